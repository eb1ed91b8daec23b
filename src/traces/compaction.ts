// Compaction of the spans store: RAW blocks (the seal format) and small columnar blocks are merged,
// in groups of consecutive blocks of one day (write order), into columnar span blocks of about
// BLOCK_SPANS spans (compact-tasks.ts, in the pool's background thread), written to the day's
// compacted segment files; then ONE transaction swaps the rows (new in, old out) under the read
// gate, and files left without a live block are deleted. The sealed_seq watermark is untouched.
import type { LzLevel } from '../codec/lz.js';
import type { EventBlockRow, NewEventBlock } from '../storage/event-index.js';
import { commitCompaction } from '../storage/compaction-commit.js';
import type { CompactSpanBlocksOutput, CompactSpanRef } from './compact-tasks.js';
import type { TracesEngine } from './engine.js';
import { CODEC_SPAN_BLOCK_V1, CODEC_SPAN_RAW_V1 } from './schema.js';
import path from 'node:path';

/** Target spans per columnar block (a trace is never split, so a block may be a little bigger). */
export const BLOCK_SPANS = 8_192;
/** A columnar block below this is merged with its neighbours. */
const SMALL_BLOCK_SPANS = BLOCK_SPANS >> 1;
/** Spans one group (one pool task) holds at most: bounds a worker's decoded objects. */
export const GROUP_SPANS = 32_768;
/** Candidate rows looked at per pass, and groups run per pass (bounds the pass's memory). */
const ROWS_PER_PASS = 20_000;
const GROUPS_PER_PASS = 8;
const MAX_PASSES = 10_000;
export const COMPACT_LEVEL: LzLevel = 'max';

export interface SpanCompactionReport {
  groups: number;
  blocksIn: number;
  blocksOut: number;
  filesDeleted: number;
}

/**
 * Groups of consecutive candidate rows of one day, up to GROUP_SPANS spans each. A group that holds
 * no RAW block and only one block would be rewritten as it is: skipped (so passes converge).
 */
export function planSpanGroups(rows: readonly EventBlockRow[], groupSpans = GROUP_SPANS): EventBlockRow[][] {
  const groups: EventBlockRow[][] = [];
  let cur: EventBlockRow[] = [];
  let spans = 0;
  const close = () => {
    if (cur.length > 1 || (cur.length === 1 && cur[0].codec === CODEC_SPAN_RAW_V1)) groups.push(cur);
    cur = [];
    spans = 0;
  };
  for (const r of rows) {
    if (cur.length > 0 && (r.day !== cur[0].day || spans + r.count > groupSpans)) close();
    cur.push(r);
    spans += r.count;
  }
  close();
  return groups;
}

/** Runs passes until nothing is left to compact (or `maxPasses`). */
export async function runSpanCompaction(e: TracesEngine, opts: { maxPasses?: number } = {}): Promise<SpanCompactionReport> {
  const report: SpanCompactionReport = { groups: 0, blocksIn: 0, blocksOut: 0, filesDeleted: 0 };
  const maxPasses = opts.maxPasses ?? MAX_PASSES;
  const upToSeq = e.index.sealedSeq();
  for (let pass = 0; pass < maxPasses && !e.isClosed; pass++) {
    const rows = e.index
      .compactionCandidates({ codecs: [CODEC_SPAN_RAW_V1], maxCount: SMALL_BLOCK_SPANS, maskGroups: [] }, ROWS_PER_PASS)
      .filter((r) => r.maxSeq <= upToSeq);
    const groups = planSpanGroups(rows).slice(0, GROUPS_PER_PASS);
    if (groups.length === 0) break;
    const corruptBefore = e.index.corruptFound();
    const done = await runPass(e, groups, report);
    if (done === 0 && e.index.corruptFound() === corruptBefore) break;
  }
  return report;
}

/** One pass: pool tasks (one per group), writes, one commit. Returns the groups committed. */
async function runPass(e: TracesEngine, groups: EventBlockRow[][], report: SpanCompactionReport): Promise<number> {
  const ref = (r: EventBlockRow): CompactSpanRef => ({ id: r.id, file: path.join(e.root, r.file), offset: r.offset, length: r.length, codec: r.codec, rawBytes: r.rawBytes });
  const outputs: CompactSpanBlocksOutput[] = await Promise.all(
    groups.map((g) =>
      e.pool.compactSpanBlocks({ groups: [{ blocks: g.map(ref) }], level: COMPACT_LEVEL, indexedAttributes: [...e.indexedAttributes], blockSpans: BLOCK_SPANS }),
    ),
  );
  if (e.isClosed) return 0;
  const rows: NewEventBlock[] = [];
  const doomed: number[] = [];
  const files = new Set<string>();
  const writes: Array<Promise<number>> = [];
  let committed = 0;
  let blocksIn = 0;
  outputs.forEach((out, t) => {
    const g = groups[t];
    if (out.failed.length > 0) {
      for (const f of out.failed) {
        const bad = g.find((r) => r.id === f.blockId);
        if (bad) e.reportCorrupt({ blockId: bad.id, file: bad.file, offset: bad.offset, code: f.code, message: f.message });
      }
      return;
    }
    committed++;
    blocksIn += g.length;
    for (const r of g) doomed.push(r.id);
    const day = g[0].day;
    let minSeq = g[0].minSeq;
    let maxSeq = g[0].maxSeq;
    for (const r of g) {
      if (r.minSeq < minSeq) minSeq = r.minSeq;
      if (r.maxSeq > maxSeq) maxSeq = r.maxSeq;
    }
    const w: Array<{ file: string; offset: number; start: number; length: number }> = [];
    for (const b of out.blocks) {
      const { file, offset } = e.segments.allocate(day, b.length, true);
      if (!files.has(file)) {
        files.add(file);
        e.pins.pin(file);
      }
      w.push({ file, offset, start: b.start, length: b.length });
      rows.push({
        file,
        offset,
        length: b.length,
        tMinNs: b.tMinNs,
        tMaxNs: b.tMaxNs,
        count: b.count,
        mask: b.mask,
        rawBytes: b.rawBytes,
        // The group's seq range: a block sorted by trace holds seqs from all over it (snapshots only compare max_seq).
        minSeq,
        maxSeq,
        codec: CODEC_SPAN_BLOCK_V1,
        day,
        filter: b.filter,
        terms: b.terms,
        keys: [],
      });
    }
    if (w.length > 0) writes.push(e.pool.writeBlocks({ root: e.root, bytes: out.bytes, writes: w }));
  });
  const deleted = await commitCompaction(e, { rows, doomed, files, writes });
  if (deleted === undefined) return 0;
  report.groups += committed;
  report.blocksIn += blocksIn;
  report.blocksOut += rows.length;
  report.filesDeleted += deleted;
  return committed;
}
