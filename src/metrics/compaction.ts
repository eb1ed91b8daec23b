// Background compaction: a series' raw blocks merge into blocks aligned to 6 h UTC cells that join
// consecutive cells while they stay ≤ 2,048 points and ≤ 7 days (raw-packing.ts: dense series get
// one block per 6 h, sparse series up to a week per block);
// rollup blocks of one period (hourly: one UTC day; daily: 30 days) merge into one block. Merges run
// in the pool; the new rows and the deletion of the old ones commit in one transaction; then
// segment files left without live blocks are deleted. A series with a corrupt block is skipped
// entirely: the bad block is never rewritten or compacted away.
// The `_bucket` series of one histogram are packed together per cell into group blocks of per-bucket
// differences where that is exact (histogram-families.ts, group-block.ts): one row per member, same bytes.
import { MAX_COMPACT_POINTS, type CompactGroup } from './block-tasks.js';
import type { MetricsEngine } from './engine.js';
import type { NewBlockRow } from './block-index.js';
import { deleteDeadSegments } from './segment-gc.js';
import { allocate } from './sealer.js';
import { COMPACT_CELL_MS, COMPACT_JOIN_POINTS, MAX_BLOCK_SPAN_DAYS, planRawGroups, type PackLimits } from './raw-packing.js';
import { CODEC_RAW_GROUP_V1, DAY_MS } from './schema.js';
import { histogramFamilies } from './histogram-families.js';

/** Rollup tiers (1 hourly, 2 daily) merge per period; index 0 is unused (raw: see raw-packing.ts). */
const PERIOD_MS_BY_TIER = [DAY_MS, DAY_MS, 30 * DAY_MS] as const;
/**
 * Background runs look this far back for raw blocks to join: a cross-day block spans ≤ 7 days, so
 * older blocks are settled (compactNow() looks at everything).
 */
const RAW_LOOKBACK_MS = (MAX_BLOCK_SPAN_DAYS + 1) * DAY_MS;
const GROUPS_PER_TASK = 256;
const GROUPS_PER_RUN = 20_000;

export interface CompactionReport {
  groups: number;
  blocksIn: number;
  blocksOut: number;
  filesDeleted: number;
}

/**
 * Merges every group of ≥ 2 blocks whose period started before `beforeMs`. The background timer
 * passes the start of the current period (so a day still being written is merged once, after it
 * ends, instead of again and again); compactNow() passes Infinity.
 */
export async function runCompaction(e: MetricsEngine, beforeMs = Infinity): Promise<CompactionReport> {
  const report: CompactionReport = { groups: 0, blocksIn: 0, blocksOut: 0, filesDeleted: 0 };
  if (e.isClosed) return report;
  const corruptSeries = new Set([...e.corrupt.values()].map((s) => s.seriesId));
  const limits: PackLimits = {
    cellMs: COMPACT_CELL_MS,
    blockPoints: Math.min(e.opts.blockPoints, COMPACT_JOIN_POINTS),
    maxSpanDays: MAX_BLOCK_SPAN_DAYS,
    maxBlockPoints: MAX_COMPACT_POINTS,
  };
  // Raw: only whole days (blocks starting before today's UTC midnight in the background).
  const rawBeforeMs = beforeMs === Infinity ? Infinity : Math.floor(beforeMs / DAY_MS) * DAY_MS;
  const rawFromMs = beforeMs === Infinity ? -Infinity : rawBeforeMs - RAW_LOOKBACK_MS;
  const rawGroups = planRawGroups(e.index.rawCompactionCandidates(rawFromMs, rawBeforeMs, GROUPS_PER_RUN), limits).map((blocks) => ({
    seriesId: blocks[0].seriesId,
    tier: 0,
    blocks,
  }));
  const rollupGroups = e.index.compactionGroups(PERIOD_MS_BY_TIER, GROUPS_PER_RUN).filter((g) => {
    const period = PERIOD_MS_BY_TIER[g.tier];
    return Math.floor(g.blocks[0].tMin / period) < Math.floor(beforeMs / period);
  });
  const groups = [...rawGroups, ...rollupGroups].filter((g) => !corruptSeries.has(g.seriesId));
  if (groups.length === 0) return report;
  // Units of work that must share a task: a histogram family's raw groups (packed together into
  // group blocks by the worker), else one group each.
  const rawAt = groups.flatMap((g, i) => (g.tier === 0 ? [i] : []));
  const candidates = rawAt.map((i) => ({ seriesId: groups[i].seriesId, cell: Math.floor(Math.min(...groups[i].blocks.map((b) => b.tMin)) / limits.cellMs) }));
  const families = histogramFamilies(candidates, (id) => e.catalog.nameOf(id), (id) => e.catalog.labelsOf(id));
  const inFamily = new Set<number>();
  const units: number[][] = [];
  for (const f of families) {
    const unit = f.map((c) => rawAt[c]);
    for (const i of unit) inFamily.add(i);
    units.push(unit);
  }
  groups.forEach((_, i) => {
    if (!inFamily.has(i)) units.push([i]);
  });
  const tasks: CompactGroup[][] = [];
  const taskFamilies: number[][][] = [];
  let cur: CompactGroup[] = [];
  let curFamilies: number[][] = [];
  for (const unit of units) {
    if (cur.length > 0 && cur.length + unit.length > GROUPS_PER_TASK) {
      tasks.push(cur);
      taskFamilies.push(curFamilies);
      cur = [];
      curFamilies = [];
    }
    if (unit.length > 1) curFamilies.push(unit.map((_, k) => cur.length + k));
    for (const i of unit) {
      const g = groups[i];
      cur.push({
        seriesId: g.seriesId,
        tier: g.tier,
        blocks: g.blocks.map((b) => ({ id: b.id, file: b.file, offset: b.offset, length: b.length, col: b.col })),
        maxSeq: Math.max(...g.blocks.map((b) => b.maxSeq)),
      });
    }
  }
  if (cur.length > 0) {
    tasks.push(cur);
    taskFamilies.push(curFamilies);
  }
  e.readsInFlight++;
  let outputs;
  try {
    outputs = await Promise.all(
      tasks.map((t, i) => e.pool.compactBlocks({ root: e.root, groups: t, limits, families: taskFamilies[i].length > 0 ? taskFamilies[i] : undefined })),
    );
  } finally {
    e.readsInFlight--;
  }
  if (e.isClosed) return report;
  const rows: NewBlockRow[] = [];
  const doomed: number[] = [];
  const files: string[] = [];
  const writes = outputs.map((out, t) => {
    const failedGroups = new Set<number>();
    for (const f of out.failed) {
      failedGroups.add(f.group);
      const g = tasks[t][f.group];
      const ref = g.blocks.find((b) => b.id === f.blockId)!;
      e.reportCorrupt({ blockId: f.blockId, seriesId: g.seriesId, file: ref.file, offset: ref.offset, reason: f.reason });
    }
    tasks[t].forEach((g, gi) => {
      if (failedGroups.has(gi)) return;
      report.groups++;
      report.blocksIn += g.blocks.length;
      for (const b of g.blocks) doomed.push(b.id);
    });
    const rowBase = rows.length;
    const writes = allocate(out, (desc) => tasks[t][desc[0]].seriesId, rows, e.allocator, files, true);
    // A histogram group block: its descriptor's row is the first member; the others share its bytes.
    const shared: NewBlockRow[] = [];
    for (let k = 0; k < out.shares.length; k += 3) {
      const row = rows[rowBase + out.shares[k]];
      const g = tasks[t][out.shares[k + 1]];
      const member = { ...row, seriesId: g.seriesId, maxSeq: g.maxSeq, col: out.shares[k + 2], codec: CODEC_RAW_GROUP_V1 };
      if (out.shares[k + 2] === 0) Object.assign(row, member);
      else shared.push(member);
    }
    rows.push(...shared);
    return writes;
  });
  for (const f of files) e.pins.pin(f);
  try {
    await Promise.all(writes.map((w, i) => (w.length > 0 ? e.pool.writeBlocks({ root: e.root, bytes: outputs[i].bytes, writes: w }) : 0)));
    if (e.isClosed) return report;
    e.db.transaction(() => {
      e.index.insert(rows, false);
      e.index.delete(doomed);
    })();
  } finally {
    for (const f of files) e.pins.unpin(f);
  }
  report.blocksOut = rows.length;
  report.filesDeleted = (await deleteDeadSegments(e)).files;
  return report;
}
