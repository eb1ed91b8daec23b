// The metrics engine's block work, as plain synchronous functions over bytes and files. They run
// inside pool workers (sealing, compaction, big reads, block writes, backup copies) and, for small
// reads only, on the main thread. No SQLite and no engine state here: the main thread decides
// offsets and rows, these functions produce and consume bytes.
import fs from 'node:fs';
import path from 'node:path';
import { decodeSeries, encodeSeries, SERIES_MAX_BLOCK_POINTS } from '../codec/series.js';
import { frameBlock, parseBlock } from '../storage/block.js';
import { readAt, writeAt } from '../storage/segments.js';
import { fsyncDirSync } from '../storage/fsutil.js';
import { aggregateSteps } from './query/steps.js';
import type { StepAgg } from './query/types.js';
import { sortDedupe } from './heads.js';
import { clipRun, mergeRuns, type PointRun } from './points.js';
import { decodeRollup, encodeRollup, type RollupColumns } from './rollup-codec.js';
import { aggregateRollupSteps, bucketize, clipRollup, mergeRollups } from './rollup-columns.js';
import { TIER_BUCKET_MS, TIER_DAILY, TIER_HOURLY, TIER_RAW } from './schema.js';

export const KIND_RAW = 1;
export const KIND_ROLLUP = 2;
/** Doubles per block descriptor in seal/compact outputs. */
export const BLOCK_DESC_F64 = 8;
/** Largest block compaction builds (points); bigger merges are split. */
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
    sink.rollup(seriesId, seriesId, TIER_HOURLY, bucketize(run.tsMs, run.values, TIER_BUCKET_MS[TIER_HOURLY]), maxSeq);
    sink.rollup(seriesId, seriesId, TIER_DAILY, bucketize(run.tsMs, run.values, TIER_BUCKET_MS[TIER_DAILY]), maxSeq);
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

function loadBlock(root: string, ref: BlockRef): Uint8Array {
  const bytes = readAt(path.join(root, ref.file), ref.offset, ref.length);
  return parseBlock(bytes).payload;
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Reads, verifies (crc) and decodes blocks; a bad block is skipped and reported, the rest returned. */
export function readSeries(input: ReadInput): ReadOutput {
  const skipped: SkippedRef[] = [];
  const out: ReadOutput['series'] = [];
  for (const spec of input.series) {
    if (input.tier === TIER_RAW) {
      const runs: PointRun[] = [];
      for (const ref of spec.blocks) {
        try {
          // Clip before merging: a block usually covers more than the range (a whole day).
          runs.push(clipRun(decodeSeries(loadBlock(input.root, ref)), input.clipFromMs, input.toMs));
        } catch (err) {
          skipped.push({ blockId: ref.id, seriesId: spec.seriesId, file: ref.file, offset: ref.offset, reason: reasonOf(err) });
        }
      }
      if (spec.headTsMs && spec.headValues) runs.push({ tsMs: spec.headTsMs, values: spec.headValues });
      const merged = clipRun(mergeRuns(runs), input.clipFromMs, input.toMs);
      if (input.step) {
        const s = aggregateSteps(merged.tsMs, merged.values, input.step);
        out.push({ seriesId: spec.seriesId, tsMs: s.tsMs, values: s.values });
      } else {
        out.push({ seriesId: spec.seriesId, tsMs: merged.tsMs.slice(), values: merged.values.slice() });
      }
    } else {
      const parts: RollupColumns[] = [];
      const tailFrom = input.tailFromMs ?? Infinity;
      for (const ref of spec.blocks) {
        try {
          const cols = decodeRollup(loadBlock(input.root, ref));
          parts.push(tailFrom === Infinity ? cols : clipRollup(cols, -Infinity, tailFrom - 1));
        } catch (err) {
          skipped.push({ blockId: ref.id, seriesId: spec.seriesId, file: ref.file, offset: ref.offset, reason: reasonOf(err) });
        }
      }
      const head: PointRun | undefined =
        spec.headTsMs && spec.headValues && spec.headTsMs.length > 0 ? { tsMs: spec.headTsMs, values: spec.headValues } : undefined;
      const bucketMs = TIER_BUCKET_MS[input.tier];
      if (head) {
        const before = clipRun(head, -Infinity, tailFrom - 1);
        if (before.tsMs.length > 0) parts.push(bucketize(before.tsMs, before.values, bucketMs));
      }
      if (tailFrom !== Infinity) {
        const runs: PointRun[] = [];
        for (const ref of spec.tailBlocks ?? []) {
          try {
            runs.push(decodeSeries(loadBlock(input.root, ref)));
          } catch (err) {
            skipped.push({ blockId: ref.id, seriesId: spec.seriesId, file: ref.file, offset: ref.offset, reason: reasonOf(err) });
          }
        }
        if (head) runs.push(head);
        const tail = clipRun(mergeRuns(runs), tailFrom, input.toMs);
        if (tail.tsMs.length > 0) parts.push(bucketize(tail.tsMs.slice(), tail.values.slice(), bucketMs));
      }
      const merged = clipRollup(mergeRollups(parts), input.clipFromMs, input.toMs);
      const step = input.step ?? { fromMs: input.clipFromMs, toMs: input.toMs, stepMs: TIER_BUCKET_MS[input.tier], agg: 'avg' as StepAgg };
      const s = aggregateRollupSteps(merged, step);
      out.push({ seriesId: spec.seriesId, tsMs: s.tsMs, values: s.values });
    }
  }
  return { series: out, skipped };
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
}

/** Merges each group's blocks into as few blocks as possible (owner in the descriptors = group index). */
export function compactBlocks(input: { root: string; groups: CompactGroup[] }): CompactOutput {
  const sink = new BlockSink();
  const failed: CompactOutput['failed'] = [];
  input.groups.forEach((g, gi) => {
    const decoded: Array<PointRun | RollupColumns> = [];
    for (const ref of g.blocks) {
      try {
        const payload = loadBlock(input.root, ref);
        decoded.push(g.tier === TIER_RAW ? decodeSeries(payload) : decodeRollup(payload));
      } catch (err) {
        failed.push({ group: gi, blockId: ref.id, reason: reasonOf(err) });
        return;
      }
    }
    if (g.tier === TIER_RAW) {
      const merged = mergeRuns(decoded as PointRun[]);
      const n = merged.tsMs.length;
      const chunks = Math.max(1, Math.ceil(n / Math.min(MAX_COMPACT_POINTS, SERIES_MAX_BLOCK_POINTS)));
      const per = Math.ceil(n / chunks);
      for (let at = 0; at < n; at += per) {
        sink.raw(gi, g.seriesId, { tsMs: merged.tsMs.subarray(at, at + per), values: merged.values.subarray(at, at + per) }, g.maxSeq);
      }
    } else {
      sink.rollup(gi, g.seriesId, g.tier, mergeRollups(decoded as RollupColumns[]), g.maxSeq);
    }
  });
  return { ...sink.finish(), failed };
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
