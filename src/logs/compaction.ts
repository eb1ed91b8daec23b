// Compaction: small blocks (the write path seals every second, so a quiet app makes many tiny
// blocks) merge into blocks of up to MAX_ENTRIES within one segment day, at the strongest LZ level.
// Reads + merges + encodes run in the pool; the new rows and the deletion of the old ones commit in
// ONE transaction under the read gate (no query is paging the index then), then segment files left
// without a live block are deleted whole. Blocks known corrupt are never read, merged or rewritten.
import type { LzLevel } from '../codec/lz.js';
import type { EventBlockRow, NewEventBlock } from '../storage/event-index.js';
import { deleteDeadSegments } from '../storage/segment-gc.js';
import type { CompactLogBlocksOutput, CompactLogRef } from './block-tasks.js';
import type { LogsEngine } from './engine.js';
import { CODEC_LOG_BLOCK_V1 } from './schema.js';

/** Blocks with fewer entries than this are compaction candidates. */
export const SMALL_BLOCK_ENTRIES = 8192;
/** Largest block compaction writes. */
export const MAX_COMPACT_ENTRIES = 65_536;
/** Candidate rows looked at per run (a backlog is worked off over several runs). */
const ROWS_PER_RUN = 20_000;
/** Entries per pool task (bounds one task's memory). */
const ENTRIES_PER_TASK = 4 * MAX_COMPACT_ENTRIES;
export const COMPACT_LEVEL: LzLevel = 'max';

export interface LogCompactionReport {
  groups: number;
  blocksIn: number;
  blocksOut: number;
  filesDeleted: number;
}

/** Consecutive small blocks of one day, up to MAX_COMPACT_ENTRIES together; groups of >= 2 blocks. */
export function planGroups(rows: readonly EventBlockRow[], maxEntries = MAX_COMPACT_ENTRIES): EventBlockRow[][] {
  const groups: EventBlockRow[][] = [];
  let cur: EventBlockRow[] = [];
  let entries = 0;
  const close = () => {
    if (cur.length >= 2) groups.push(cur);
    cur = [];
    entries = 0;
  };
  for (const r of rows) {
    if (cur.length > 0 && (r.day !== cur[0].day || entries + r.count > maxEntries)) close();
    cur.push(r);
    entries += r.count;
  }
  close();
  return groups;
}

export async function runLogCompaction(e: LogsEngine): Promise<LogCompactionReport> {
  const report: LogCompactionReport = { groups: 0, blocksIn: 0, blocksOut: 0, filesDeleted: 0 };
  if (e.isClosed) return report;
  const groups = planGroups(e.index.smallBlocks(SMALL_BLOCK_ENTRIES, ROWS_PER_RUN));
  if (groups.length === 0) return report;
  // Tasks of about ENTRIES_PER_TASK entries each.
  const tasks: EventBlockRow[][][] = [];
  let cur: EventBlockRow[][] = [];
  let entries = 0;
  for (const g of groups) {
    const n = g.reduce((s, r) => s + r.count, 0);
    if (cur.length > 0 && entries + n > ENTRIES_PER_TASK) {
      tasks.push(cur);
      cur = [];
      entries = 0;
    }
    cur.push(g);
    entries += n;
  }
  if (cur.length > 0) tasks.push(cur);
  const ref = (r: EventBlockRow): CompactLogRef => ({ id: r.id, file: r.file, offset: r.offset, length: r.length });
  // Old blocks are only deleted by maintenance jobs, which run one at a time (the caller holds the
  // maintenance mutex), so reading them here needs no gate.
  const outputs: CompactLogBlocksOutput[] = await Promise.all(
    tasks.map((t) =>
      e.pool.compactLogBlocks({
        root: e.root,
        groups: t.map((g) => ({ blocks: g.map(ref) })),
        level: COMPACT_LEVEL,
        indexedAttributes: [...e.indexedAttributes],
        maxEntries: MAX_COMPACT_ENTRIES,
      }),
    ),
  );
  if (e.isClosed) return report;
  const rows: NewEventBlock[] = [];
  const doomed: number[] = [];
  const files = new Set<string>();
  const writes: Array<Promise<number>> = [];
  outputs.forEach((out, t) => {
    const failedGroups = new Set<number>();
    for (const f of out.failed) {
      failedGroups.add(f.group);
      const bad = tasks[t][f.group].find((r) => r.id === f.blockId);
      if (bad) e.reportCorrupt({ blockId: bad.id, file: bad.file, offset: bad.offset, code: f.code, message: f.message });
    }
    tasks[t].forEach((g, gi) => {
      if (failedGroups.has(gi)) return;
      report.groups++;
      report.blocksIn += g.length;
      for (const r of g) doomed.push(r.id);
    });
    const w: Array<{ file: string; offset: number; start: number; length: number }> = [];
    for (const b of out.blocks) {
      if (failedGroups.has(b.group)) continue;
      const day = tasks[t][b.group][0].day;
      const { file, offset } = e.segments.allocate(day, b.length, true);
      if (!files.has(file)) {
        files.add(file);
        e.pins.pin(file);
      }
      w.push({ file, offset, start: b.start, length: b.length });
      const m = b.meta;
      rows.push({
        file,
        offset,
        length: b.length,
        tMinNs: m.tMinNs,
        tMaxNs: m.tMaxNs,
        count: m.count,
        mask: m.levelMask,
        rawBytes: m.rawBytes,
        minSeq: b.minSeq,
        maxSeq: b.maxSeq,
        codec: CODEC_LOG_BLOCK_V1,
        day,
        filter: m.filter,
        terms: m.terms,
        keys: m.keys,
      });
    }
    if (w.length > 0) writes.push(e.pool.writeBlocks({ root: e.root, bytes: out.bytes, writes: w }));
  });
  try {
    await Promise.all(writes);
    if (e.isClosed || doomed.length === 0) return report;
    await e.gate.exclusive(async () => {
      e.db.transaction(() => {
        e.index.insert(rows);
        e.index.delete(doomed);
      })();
      for (const f of files) e.pins.unpin(f);
      files.clear();
      report.blocksOut = rows.length;
      report.filesDeleted = (await deleteDeadSegments(e.gcDeps())).files;
    });
  } finally {
    for (const f of files) e.pins.unpin(f);
  }
  return report;
}
