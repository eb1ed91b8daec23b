// The metrics engine's block work, as plain synchronous functions over bytes and files. They run
// inside pool workers (sealing, compaction, big reads, block writes, backup copies) and, for small
// reads only, on the main thread. No SQLite and no engine state here: the main thread decides
// offsets and rows, these functions produce and consume bytes.
import fs from 'node:fs';
import path from 'node:path';
import { encodeSeries } from '../codec/series.js';
import { frameBlock, parseBlock } from '../storage/block.js';
import { BlockFetcher } from '../storage/block-fetch.js';
import { SegmentReader, writeAt } from '../storage/segments.js';
import { fsyncDirSync } from '../storage/fsutil.js';
import type { StepAgg } from './query/types.js';
import { sortDedupe } from './heads.js';
import { clipRun, mergeRuns, type PointRun } from './points.js';
import { aggregateRollups, mergeRollups, rollupBuckets, sliceRollup } from './query/rollups.js';
import { lowerBound } from './query/sorted.js';
import { decodeRollup, encodeRollup, type RollupColumns } from './rollup-codec.js';
import { packDays, type PackLimits } from './raw-packing.js';
import { readRawSeries } from './raw-read.js';
import { decodeRawRow, diffColumns, encodeGroupPayload, GroupBlockCache, KIND_RAW_GROUP } from './group-block.js';
import { TIER_BUCKET_MS, TIER_DAILY, TIER_HOURLY, TIER_RAW } from './schema.js';

export const KIND_RAW = 1;
export const KIND_ROLLUP = 2;
/** Doubles per block descriptor in seal/compact outputs. */
export const BLOCK_DESC_F64 = 8;
/** Largest block compaction builds (points): a day holding more is split evenly. */
export const MAX_COMPACT_POINTS = 65_536;

// ---------------------------------------------------------------- sealing

export interface SealInput {
  /** Interleaved (tsMs, value) pairs of every head in the batch, back to back. */
  points: Float64Array;
  /** Per head: seriesId, first pair index, pair count, maxSeq. */
  heads: Float64Array;
}

export interface BlocksOutput {
  /** Framed blocks back to back. */
  bytes: Uint8Array;
  /** Per block: owner (seriesId or group index), tier, byte start in `bytes`, length, tMin, tMax, count, maxSeq. */
  blocks: Float64Array;
}

class BlockSink {
  private parts: Uint8Array[] = [];
  private desc: number[] = [];
  private total = 0;

  add(owner: number, tier: number, framed: Uint8Array, tMin: number, tMax: number, count: number, maxSeq: number): void {
    this.desc.push(owner, tier, this.total, framed.length, tMin, tMax, count, maxSeq);
    this.parts.push(framed);
    this.total += framed.length;
  }

  raw(owner: number, seriesId: number, run: PointRun, maxSeq: number): void {
    const n = run.tsMs.length;
    if (n === 0) return;
    const payload = encodeSeries(run.tsMs, run.values);
    const tMin = run.tsMs[0];
    const tMax = run.tsMs[n - 1];
    const framed = frameBlock({ kind: KIND_RAW, flags: TIER_RAW, ownerId: seriesId, count: n, tMinMs: tMin, tMaxMs: tMax }, payload);
    this.add(owner, TIER_RAW, framed, tMin, tMax, n, maxSeq);
  }

  rollup(owner: number, seriesId: number, tier: number, cols: RollupColumns, maxSeq: number): void {
    const n = cols.startMs.length;
    if (n === 0) return;
    const tMin = cols.startMs[0];
    const tMax = cols.startMs[n - 1] + TIER_BUCKET_MS[tier] - 1;
    const framed = frameBlock({ kind: KIND_ROLLUP, flags: tier, ownerId: seriesId, count: n, tMinMs: tMin, tMaxMs: tMax }, encodeRollup(cols));
    this.add(owner, tier, framed, tMin, tMax, n, maxSeq);
  }

  /** One group block shared by `members` (owners, lowest bucket first): `shares` gets (block, owner, col) per member. */
  group(members: readonly number[], seriesId: number, tsMs: Float64Array, columns: Float64Array[], maxSeq: number, shares: number[]): void {
    const n = tsMs.length;
    const tMin = tsMs[0];
    const tMax = tsMs[n - 1];
    const framed = frameBlock({ kind: KIND_RAW_GROUP, flags: TIER_RAW, ownerId: seriesId, count: n, tMinMs: tMin, tMaxMs: tMax }, encodeGroupPayload(tsMs, columns));
    const block = this.desc.length / BLOCK_DESC_F64;
    this.add(members[0], TIER_RAW, framed, tMin, tMax, n, maxSeq);
    members.forEach((owner, col) => shares.push(block, owner, col));
  }

  finish(): BlocksOutput {
    const bytes = new Uint8Array(this.total);
    let at = 0;
    for (const p of this.parts) {
      bytes.set(p, at);
      at += p.length;
    }
    return { bytes, blocks: Float64Array.from(this.desc) };
  }
}

/** Sorts + dedupes each head, encodes its raw block, and its hourly and daily rollup buckets. */
export function sealBlocks(input: SealInput): BlocksOutput {
  const sink = new BlockSink();
  const { points, heads } = input;
  for (let h = 0; h < heads.length; h += 4) {
    const seriesId = heads[h];
    const start = heads[h + 1];
    const n = heads[h + 2];
    const maxSeq = heads[h + 3];
    const run = sortDedupe(points.subarray(2 * start, 2 * (start + n)), n);
    sink.raw(seriesId, seriesId, run, maxSeq);
    sink.rollup(seriesId, seriesId, TIER_HOURLY, rollupBuckets(run.tsMs, run.values, TIER_BUCKET_MS[TIER_HOURLY]), maxSeq);
    sink.rollup(seriesId, seriesId, TIER_DAILY, rollupBuckets(run.tsMs, run.values, TIER_BUCKET_MS[TIER_DAILY]), maxSeq);
  }
  return sink.finish();
}

// ---------------------------------------------------------------- writing

export interface WriteInput {
  /** Absolute segment root (the engine's metrics dir). */
  root: string;
  bytes: Uint8Array;
  /** Per block: file (relative), offset in file, start in `bytes`, length. */
  writes: Array<{ file: string; offset: number; start: number; length: number }>;
}

/** Writes every block at its offset; one positional write + fdatasync per file. */
export function writeBlocks(input: WriteInput): number {
  const byFile = new Map<string, Array<{ offset: number; start: number; length: number }>>();
  for (const w of input.writes) {
    let list = byFile.get(w.file);
    if (!list) byFile.set(w.file, (list = []));
    list.push(w);
  }
  let written = 0;
  for (const [file, list] of byFile) {
    list.sort((a, b) => a.offset - b.offset);
    // Runs of contiguous offsets become one write (allocations of one round are back to back).
    let i = 0;
    while (i < list.length) {
      let j = i + 1;
      let end = list[i].offset + list[i].length;
      while (j < list.length && list[j].offset === end) end += list[j++].length;
      const buf = new Uint8Array(end - list[i].offset);
      for (let k = i; k < j; k++) buf.set(input.bytes.subarray(list[k].start, list[k].start + list[k].length), list[k].offset - list[i].offset);
      writeAt(path.join(input.root, file), list[i].offset, buf, { sync: j === list.length });
      written += buf.length;
      i = j;
    }
  }
  return written;
}

// ---------------------------------------------------------------- reading

export interface BlockRef {
  id: number;
  /** Relative segment path. */
  file: string;
  offset: number;
  length: number;
  /** Raw rows only: the column of a histogram group block (group-block.ts); absent or -1 = an ordinary block. */
  col?: number;
}

export interface ReadSeriesSpec {
  seriesId: number;
  /** In write order (max_seq ascending). */
  blocks: BlockRef[];
  /** Rollup reads: raw blocks covering the partial last bucket [tailFromMs, toMs]. */
  tailBlocks?: BlockRef[];
  /** Head points (sorted, deduped) — newer than every block. */
  headTsMs?: Float64Array;
  headValues?: Float64Array;
}

export interface ReadInput {
  root: string;
  tier: number;
  series: ReadSeriesSpec[];
  /** Points/buckets kept: [clipFromMs, toMs]. */
  clipFromMs: number;
  toMs: number;
  /**
   * Rollup reads whose toMs ends inside a bucket: that bucket comes from raw points in
   * [tailFromMs, toMs] (tailBlocks + head), so it holds exactly the points in range.
   */
  tailFromMs?: number;
  /** When set, each series is reduced to step outputs (in the worker: only steps cross back). */
  step?: { fromMs: number; toMs: number; stepMs: number; agg: StepAgg };
}

export interface SkippedRef {
  blockId: number;
  seriesId: number;
  file: string;
  offset: number;
  reason: string;
}

export interface ReadOutput {
  series: Array<{ seriesId: number; tsMs: Float64Array; values: Float64Array }>;
  skipped: SkippedRef[];
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Merges bucket lists given in write order (oldest first): a bucket split across parts combines in that order. */
function mergeRollupList(parts: RollupColumns[], bucketMs: number): RollupColumns {
  let acc: RollupColumns | undefined;
  for (const p of parts) {
    if (p.startMs.length === 0) continue;
    acc = acc === undefined ? p : mergeRollups(acc, p);
  }
  return acc ?? rollupBuckets([], [], bucketMs);
}

/** The buckets whose start lies in [fromMs, toMs]. */
function clipRollup(c: RollupColumns, fromMs: number, toMs: number): RollupColumns {
  const n = c.startMs.length;
  const lo = lowerBound(c.startMs, 0, n, fromMs);
  const hi = toMs === Infinity ? n : lowerBound(c.startMs, lo, n, Math.floor(toMs) + 1);
  return lo === 0 && hi === n ? c : sliceRollup(c, lo, hi);
}

/** Reads, verifies (crc) and decodes blocks; a bad block is skipped and reported, the rest returned. */
export function readSeries(input: ReadInput): ReadOutput {
  const skipped: SkippedRef[] = [];
  const out: ReadOutput['series'] = [];
  const reader = new SegmentReader();
  try {
    const refs: BlockRef[] = [];
    for (const spec of input.series) refs.push(...spec.blocks, ...(spec.tailBlocks ?? []));
    const blocks = new BlockFetcher(reader, refs, input.root);
    const groups = new GroupBlockCache();
    for (const spec of input.series) {
      const s = input.tier === TIER_RAW ? readRawSeries(blocks, spec, input, skipped, groups) : readRollupSeries(blocks, input, spec, skipped);
      out.push({ seriesId: spec.seriesId, tsMs: s.tsMs, values: s.values });
    }
  } finally {
    reader.close();
  }
  return { series: out, skipped };
}

function readRollupSeries(blocks: BlockFetcher, input: ReadInput, spec: ReadSeriesSpec, skipped: SkippedRef[]): PointRun {
  const bucketMs = TIER_BUCKET_MS[input.tier];
  const parts: RollupColumns[] = [];
  const tailFrom = input.tailFromMs ?? Infinity;
  for (const ref of spec.blocks) {
    try {
      const cols = decodeRollup(parseBlock(blocks.get(ref)).payload, bucketMs);
      parts.push(tailFrom === Infinity ? cols : clipRollup(cols, -Infinity, tailFrom - 1));
    } catch (err) {
      skipped.push({ blockId: ref.id, seriesId: spec.seriesId, file: ref.file, offset: ref.offset, reason: reasonOf(err) });
    }
  }
  const head: PointRun | undefined =
    spec.headTsMs && spec.headValues && spec.headTsMs.length > 0 ? { tsMs: spec.headTsMs, values: spec.headValues } : undefined;
  if (head) {
    const before = clipRun(head, -Infinity, tailFrom - 1);
    if (before.tsMs.length > 0) parts.push(rollupBuckets(before.tsMs, before.values, bucketMs));
  }
  if (tailFrom !== Infinity) {
    const runs: PointRun[] = [];
    for (const ref of spec.tailBlocks ?? []) {
      try {
        runs.push(decodeRawRow(blocks.get(ref), ref.col));
      } catch (err) {
        skipped.push({ blockId: ref.id, seriesId: spec.seriesId, file: ref.file, offset: ref.offset, reason: reasonOf(err) });
      }
    }
    if (head) runs.push(head);
    const tail = clipRun(mergeRuns(runs), tailFrom, input.toMs);
    if (tail.tsMs.length > 0) parts.push(rollupBuckets(tail.tsMs, tail.values, bucketMs));
  }
  const merged = clipRollup(mergeRollupList(parts, bucketMs), input.clipFromMs, input.toMs);
  const step = input.step ?? { fromMs: input.clipFromMs, toMs: input.toMs, stepMs: bucketMs, agg: 'avg' as StepAgg };
  return aggregateRollups(merged, step);
}

// ---------------------------------------------------------------- compaction

export interface CompactGroup {
  seriesId: number;
  tier: number;
  /** In write order (max_seq ascending). */
  blocks: BlockRef[];
  maxSeq: number;
}

export interface CompactOutput extends BlocksOutput {
  /** Groups that could not be merged (a block failed its check): left untouched. */
  failed: Array<{ group: number; blockId: number; reason: string }>;
  /**
   * Triples (block index in `blocks`, group index, col): every member row of a histogram group
   * block (the block's own descriptor names the first member). Empty when nothing was grouped.
   */
  shares: Float64Array;
}

export interface CompactInput {
  root: string;
  groups: CompactGroup[];
  /** How raw groups are cut into blocks (see raw-packing.ts). */
  limits: PackLimits;
  /**
   * Histogram families: indexes into `groups` of raw groups of one histogram's `_bucket` series,
   * ordered by numeric `le`. Their cells are written as group blocks where they reconstruct exactly.
   */
  families?: number[][];
}

/** Merges each group's blocks into as few blocks as possible (owner in the descriptors = group index). */
export function compactBlocks(input: CompactInput): CompactOutput {
  const sink = new BlockSink();
  const failed: CompactOutput['failed'] = [];
  const shares: number[] = [];
  const reader = new SegmentReader();
  try {
    const inFamily = new Set<number>();
    for (const family of input.families ?? []) {
      if (family.some((gi) => inFamily.has(gi) || input.groups[gi]?.tier !== TIER_RAW)) continue;
      for (const gi of family) inFamily.add(gi);
      compactFamily(reader, input, family, sink, failed, shares);
    }
    input.groups.forEach((g, gi) => {
      if (!inFamily.has(gi)) compactGroup(reader, input, g, gi, sink, failed);
    });
  } finally {
    reader.close();
  }
  return { ...sink.finish(), failed, shares: Float64Array.from(shares) };
}

/** A group's blocks decoded (raw: merged in write order); undefined after reporting a bad block. */
function loadGroup(reader: SegmentReader, input: CompactInput, g: CompactGroup, gi: number, failed: CompactOutput['failed']): PointRun | RollupColumns | undefined {
  const decoded: Array<PointRun | RollupColumns> = [];
  for (const ref of g.blocks) {
    try {
      const framed = reader.read(path.join(input.root, ref.file), ref.offset, ref.length);
      decoded.push(g.tier === TIER_RAW ? decodeRawRow(framed, ref.col) : decodeRollup(parseBlock(framed).payload, TIER_BUCKET_MS[g.tier]));
    } catch (err) {
      failed.push({ group: gi, blockId: ref.id, reason: reasonOf(err) });
      return undefined;
    }
  }
  return g.tier === TIER_RAW ? mergeRuns(decoded as PointRun[]) : mergeRollupList(decoded as RollupColumns[], TIER_BUCKET_MS[g.tier]);
}

function compactGroup(reader: SegmentReader, input: CompactInput, g: CompactGroup, gi: number, sink: BlockSink, failed: CompactOutput['failed']): void {
  const merged = loadGroup(reader, input, g, gi, failed);
  if (merged === undefined) return;
  if (g.tier === TIER_RAW) packRaw(input, g, gi, merged as PointRun, sink);
  else sink.rollup(gi, g.seriesId, g.tier, merged as RollupColumns, g.maxSeq);
}

function packRaw(input: CompactInput, g: CompactGroup, gi: number, merged: PointRun, sink: BlockSink): void {
  for (const [from, to] of packDays(merged.tsMs, input.limits)) {
    sink.raw(gi, g.seriesId, { tsMs: merged.tsMs.subarray(from, to), values: merged.values.subarray(from, to) }, g.maxSeq);
  }
}

/**
 * One histogram's bucket series: each block range (cell, or joined cells) where every member has
 * exactly the same timestamps and the differences reconstruct bit-exactly becomes one group block;
 * any other range is written per series as usual. A member with a bad block is reported and left
 * untouched; the rest still group.
 */
function compactFamily(reader: SegmentReader, input: CompactInput, family: number[], sink: BlockSink, failed: CompactOutput['failed'], shares: number[]): void {
  const members: Array<{ gi: number; run: PointRun }> = [];
  for (const gi of family) {
    const run = loadGroup(reader, input, input.groups[gi], gi, failed) as PointRun | undefined;
    if (run !== undefined) members.push({ gi, run });
  }
  const first = members[0];
  const sameTimes = members.length >= 2 && members.every((m) => equalTimes(m.run.tsMs, first.run.tsMs));
  if (!sameTimes) {
    for (const m of members) packRaw(input, input.groups[m.gi], m.gi, m.run, sink);
    return;
  }
  const owners = members.map((m) => m.gi);
  for (const [from, to] of packDays(first.run.tsMs, input.limits)) {
    const tsMs = first.run.tsMs.subarray(from, to);
    const columns = diffColumns(members.map((m) => m.run.values.subarray(from, to)));
    if (columns !== undefined && tsMs.length > 0) {
      const g0 = input.groups[first.gi];
      sink.group(owners, g0.seriesId, tsMs, columns, Math.max(...owners.map((gi) => input.groups[gi].maxSeq)), shares);
      continue;
    }
    for (const m of members) {
      const g = input.groups[m.gi];
      sink.raw(m.gi, g.seriesId, { tsMs: m.run.tsMs.subarray(from, to), values: m.run.values.subarray(from, to) }, g.maxSeq);
    }
  }
}

function equalTimes(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ---------------------------------------------------------------- backup copies

export interface CopySpec {
  from: string;
  to: string;
  /** Bytes to copy from the start of `from` (a prefix: the part the snapshot references). */
  bytes: number;
}

/** Copies file prefixes and fsyncs them (and their directories). Returns bytes copied. */
export function copyFiles(copies: CopySpec[]): number {
  const CHUNK = 1 << 20;
  const buf = Buffer.allocUnsafe(CHUNK);
  const dirs = new Set<string>();
  let total = 0;
  for (const c of copies) {
    fs.mkdirSync(path.dirname(c.to), { recursive: true });
    dirs.add(path.dirname(c.to));
    const src = fs.openSync(c.from, 'r');
    const dst = fs.openSync(c.to, 'w');
    try {
      let done = 0;
      while (done < c.bytes) {
        const n = fs.readSync(src, buf, 0, Math.min(CHUNK, c.bytes - done), done);
        if (n === 0) break;
        let w = 0;
        while (w < n) w += fs.writeSync(dst, buf, w, n - w, done + w);
        done += n;
      }
      fs.fdatasyncSync(dst);
      total += done;
    } finally {
      fs.closeSync(src);
      fs.closeSync(dst);
    }
  }
  for (const d of dirs) fsyncDirSync(d);
  return total;
}
