// Compaction: the write path seals cheap RAW blocks (the hot chunk's entry records as-is); this job
// turns them into columnar blocks, oldest first, partitioned by severity class (compact-tasks.ts:
// A = trace/debug/info, B = warn, C = error/fatal never share a block), and merges the small
// single-class blocks that leaves (the tail of each conversion, quiet periods) within one segment
// day. Reads + merges + encodes run in the pool; the new rows and the deletion of the old ones
// commit in ONE transaction under the read gate (no query is paging the index then), then segment
// files left without a live block are deleted whole. Blocks known corrupt are never read, merged or
// rewritten. A run repeats passes until nothing committed before it started is left to do
// (compactNow() after sealNow() leaves no RAW block).
import type { LzLevel } from '../codec/lz.js';
import type { EventBlockRow, NewEventBlock } from '../storage/event-index.js';
import { commitCompaction } from '../storage/compaction-commit.js';
import { classOfMask, SEVERITY_CLASS_MASKS, type CompactLogBlocksOutput, type CompactLogRef } from './compact-tasks.js';
import type { LogsEngine } from './engine.js';
import { CODEC_LOG_BLOCK_V1, CODEC_LOG_RAW_V1 } from './schema.js';

/**
 * Target entries per columnar block, per severity class (A, B, C). Measured on the 1 M-entry nodelogs
 * dataset (bench logs.synthetic / logs.query): see docs/logs-engine.md "Compaction". B and C are rare
 * (~3 % and ~1 %): small blocks cost them nearly no ratio and keep warn/error pages cheap to decode.
 */
export const CLASS_BLOCK_ENTRIES: readonly number[] = [65_536, 4_096, 512];
/**
 * The newest events (about this many, all classes together: index.newestEventsBoundaryNs) go to
 * blocks of RECENT_BLOCK_ENTRIES: newest-first pages (the usual log view) and filters keeping a few
 * % of entries then decode a few hundred entries instead of a 64 k-entry block. Once newer events
 * push them out, a later run merges them into full-size blocks (re-encoding at most this many
 * events per run). 4 k events in 256-entry blocks cost ~0.5 % of the 1 M-entry bench's bytes.
 */
export const RECENT_EVENTS = 4_096;
export const RECENT_BLOCK_ENTRIES = 256;
/**
 * Recent blocks hold RECENT_BLOCK_ENTRIES, or more when entries are short: as many as fill about
 * RECENT_BLOCK_RAW_BYTES of entry records (the group's average), at most RECENT_BLOCK_MAX_ENTRIES.
 * A newest page's decode tracks the records' bytes more than their count (measured, decode +
 * completing the newest 100: 256 nodelogs entries, 119 KB of records, 0.93 ms; 1,024 dpkg.log lines,
 * 127 KB, 0.82 ms), while every block repeats its own filter, dictionaries and index row: a
 * 4,891-line dpkg.log compacted to 17 blocks (37 KB of frames + 15 KB of filters) with 256-entry
 * recent blocks, to 8 (29 KB + 10 KB) with these; newest-page and search latency unchanged. 96 KiB
 * leaves the standard workload (464-480 record bytes per entry in its recent blocks) at 256; the cap
 * bounds the decode for very short lines.
 */
export const RECENT_BLOCK_RAW_BYTES = 96 * 1024;
export const RECENT_BLOCK_MAX_ENTRIES = 1_024;
/**
 * A single-class block is small below half its target (recent or class size): it is merged with
 * the other small blocks of its class, tier and day.
 */
export function smallBlockEntries(cls: number, recent = false): number {
  return (recent ? RECENT_BLOCK_ENTRIES : CLASS_BLOCK_ENTRIES[cls]) >> 1;
}
/**
 * Segment tiers of the logs store (storage/segment-set.ts): '' holds sealed blocks (segments/) and
 * final compaction output (compacted/); 'staging/' holds compaction output that a later run
 * rewrites again (recent-tier and small blocks). Kept apart so that files die whole: were
 * short-lived blocks written between final ones, their bytes would stay as holes in long-lived files.
 */
export const LOG_SEGMENT_TIERS: readonly string[] = ['', 'staging/'];
const STAGING_TIER = 1;
/**
 * A staging file whose dead bytes exceed this share of it (and STAGING_DEAD_MIN_BYTES) has its live
 * blocks rewritten into the other staging generation at the end of a run, so the file dies whole:
 * staging blocks are merged away run after run, and the survivors would keep their file's dead
 * bytes on disk.
 */
const STAGING_DEAD_SHARE = 0.25;
const STAGING_DEAD_MIN_BYTES = 64 * 1024;
const STAGING_PREFIX = LOG_SEGMENT_TIERS[STAGING_TIER];
const STAGING_GEN1_PREFIX = `${STAGING_PREFIX}compacted/`;
/** Entries one group (one pool task) holds at most: bounds a worker's decoded objects. */
export const GROUP_ENTRIES = 65_536;
/** Candidate rows looked at per pass, and groups run per pass (bounds the pass's memory). */
const ROWS_PER_PASS = 20_000;
const GROUPS_PER_PASS = 16;
/** Passes per run at most (each does work, so a run ends long before unless the backlog is huge). */
const MAX_PASSES = 10_000;
const I64_MIN = -(2n ** 63n);
export const COMPACT_LEVEL: LzLevel = 'max';

export interface LogCompactionReport {
  groups: number;
  blocksIn: number;
  blocksOut: number;
  filesDeleted: number;
}

/** A block the write path sealed (RAW) or one mixing severity classes: it must be rewritten. */
export function needsConversion(r: Pick<EventBlockRow, 'codec' | 'mask'>): boolean {
  return r.codec === CODEC_LOG_RAW_V1 || classOfMask(r.mask) < 0;
}

/**
 * One pass's groups from the candidate rows (day, then write order). While blocks need conversion,
 * only those: consecutive ones of a day, up to GROUP_ENTRIES each. Otherwise the small blocks of one
 * (day, class), groups of >= 2 (each such group leaves fewer small blocks: the passes converge).
 */
export function planGroups(rows: readonly EventBlockRow[], recentFromNs?: bigint, groupEntries = GROUP_ENTRIES): EventBlockRow[][] {
  const convert = rows.filter(needsConversion);
  const groups: EventBlockRow[][] = [];
  const chunk = (list: readonly EventBlockRow[], minBlocks: number) => {
    let cur: EventBlockRow[] = [];
    let entries = 0;
    const close = () => {
      if (cur.length >= minBlocks) groups.push(cur);
      cur = [];
      entries = 0;
    };
    // Per day (compaction output stays in its day), in the given (write) order.
    const byDay = new Map<string, EventBlockRow[]>();
    for (const r of list) {
      const d = byDay.get(r.day);
      if (d) d.push(r);
      else byDay.set(r.day, [r]);
    }
    for (const day of byDay.values()) {
      for (const r of day) {
        if (cur.length > 0 && entries + r.count > groupEntries) close();
        cur.push(r);
        entries += r.count;
      }
      close();
    }
  };
  if (convert.length > 0) {
    chunk(convert, 1);
    return groups;
  }
  // A block reaching back before the boundary is an old one (a merge splits off its recent part).
  const isRecent = (r: EventBlockRow) => recentFromNs !== undefined && r.tMinNs >= recentFromNs;
  for (let k = 0; k < SEVERITY_CLASS_MASKS.length; k++) {
    for (const recent of [false, true]) {
      chunk(
        rows.filter((r) => classOfMask(r.mask) === k && isRecent(r) === recent && r.count < smallBlockEntries(k, recent)),
        2,
      );
    }
  }
  return groups;
}

/** Target entries of a group's recent blocks, from its rows' average record bytes (RECENT_BLOCK_RAW_BYTES). */
export function recentBlockEntries(rows: readonly Pick<EventBlockRow, 'count' | 'rawBytes'>[]): number {
  let entries = 0;
  let rawBytes = 0;
  for (const r of rows) {
    entries += r.count;
    rawBytes += r.rawBytes;
  }
  if (entries === 0 || rawBytes === 0) return RECENT_BLOCK_ENTRIES;
  const fit = Math.floor(RECENT_BLOCK_RAW_BYTES / (rawBytes / entries));
  return Math.min(RECENT_BLOCK_MAX_ENTRIES, Math.max(RECENT_BLOCK_ENTRIES, fit));
}

/** Runs passes until nothing is left to compact (or `maxPasses`): every RAW block readable is converted. */
export async function runLogCompaction(e: LogsEngine, opts: { maxPasses?: number } = {}): Promise<LogCompactionReport> {
  const report: LogCompactionReport = { groups: 0, blocksIn: 0, blocksOut: 0, filesDeleted: 0 };
  const maxPasses = opts.maxPasses ?? MAX_PASSES;
  // Fixed for the run, so its passes converge (each merge leaves fewer small blocks of its tier).
  // Fewer events than RECENT_EVENTS in all: they are all recent.
  const recentFromNs = e.index.newestEventsBoundaryNs(RECENT_EVENTS) ?? I64_MIN;
  // Only blocks committed before the run started: under steady ingest new RAW blocks keep coming,
  // and a run must end (it holds the maintenance mutex: retention and backups wait for it).
  const upToSeq = e.index.sealedSeq();
  for (let pass = 0; pass < maxPasses && !e.isClosed; pass++) {
    const rows = e.index
      .compactionCandidates(
        { codecs: [CODEC_LOG_RAW_V1], maxCount: Math.max(...CLASS_BLOCK_ENTRIES.map((_, k) => smallBlockEntries(k))), maskGroups: SEVERITY_CLASS_MASKS },
        ROWS_PER_PASS,
      )
      .filter((r) => r.maxSeq <= upToSeq);
    const groups = planGroups(rows, recentFromNs).slice(0, GROUPS_PER_PASS);
    if (groups.length === 0) break;
    const corruptBefore = e.index.corruptFound();
    const done = await runPass(e, groups, recentFromNs, report, false);
    // Every group failed: retry only when that found new corrupt blocks (left out of the next
    // pass's rows); a failure with no culprit (an I/O error) waits for the next run.
    if (done === 0 && e.index.corruptFound() === corruptBefore) break;
  }
  if (!e.isClosed) await relocateStaging(e, recentFromNs, report);
  return report;
}

/** Rewrites the live blocks of mostly-dead staging files into the other staging generation. */
async function relocateStaging(e: LogsEngine, recentFromNs: bigint, report: LogCompactionReport): Promise<void> {
  const live = e.index.liveBytesByFile();
  for (const toGen1 of [true, false]) {
    const groups: EventBlockRow[][] = [];
    for (const f of e.segments.files()) {
      if (!f.file.startsWith(STAGING_PREFIX) || f.file.startsWith(STAGING_GEN1_PREFIX) === toGen1) continue;
      const liveBytes = live.get(f.file) ?? 0;
      const dead = f.bytes - liveBytes;
      if (liveBytes === 0 || dead < STAGING_DEAD_MIN_BYTES || dead < f.bytes * STAGING_DEAD_SHARE) continue;
      const rows = e.index.rowsInFile(f.file).filter((r) => !needsConversion(r));
      for (let i = 0; i < rows.length; ) {
        const g: EventBlockRow[] = [];
        let n = 0;
        while (i < rows.length && (g.length === 0 || (n + rows[i].count <= GROUP_ENTRIES && rows[i].day === g[0].day))) {
          n += rows[i].count;
          g.push(rows[i++]);
        }
        groups.push(g);
      }
    }
    if (groups.length > 0) await runPass(e, groups, recentFromNs, report, toGen1);
  }
}

/** One pass: pool tasks (one per group), writes, one commit. Returns the groups committed. */
async function runPass(e: LogsEngine, groups: EventBlockRow[][], recentFromNs: bigint, report: LogCompactionReport, stagingGen1: boolean): Promise<number> {
  const ref = (r: EventBlockRow): CompactLogRef => ({ id: r.id, file: r.file, offset: r.offset, length: r.length, codec: r.codec });
  // Old blocks are only deleted by maintenance jobs, which run one at a time (the caller holds the
  // maintenance mutex), so reading them here needs no gate.
  const outputs: CompactLogBlocksOutput[] = await Promise.all(
    groups.map((g) =>
      e.pool.compactLogBlocks({
        root: e.root,
        groups: [{ blocks: g.map(ref) }],
        level: COMPACT_LEVEL,
        indexedAttributes: [...e.indexedAttributes],
        classEntries: CLASS_BLOCK_ENTRIES,
        recentFromNs,
        recentEntries: recentBlockEntries(g),
      }),
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
    const w: Array<{ file: string; offset: number; start: number; length: number }> = [];
    for (const b of out.blocks) {
      const m = b.meta;
      const cls = classOfMask(m.levelMask);
      const shortLived = m.tMinNs >= recentFromNs || m.count < smallBlockEntries(cls);
      const { file, offset } = shortLived ? e.segments.allocate(day, b.length, stagingGen1, STAGING_TIER) : e.segments.allocate(day, b.length, true);
      if (!files.has(file)) {
        files.add(file);
        e.pins.pin(file);
      }
      w.push({ file, offset, start: b.start, length: b.length });
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
  const deleted = await commitCompaction(e, { rows, doomed, files, writes });
  if (deleted === undefined) return 0;
  report.groups += committed;
  report.blocksIn += blocksIn;
  report.blocksOut += rows.length;
  report.filesDeleted += deleted;
  return committed;
}
