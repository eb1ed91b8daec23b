// How compaction packs a series' raw points into blocks. Block boundaries fall on cell boundaries
// (UTC, `cellMs`: 6 h in the engine), so a query decodes at most one partial cell at each end of
// its window — a "last 24 h" window at any time of day decodes ≤ 30 h per dense series, where
// day-aligned blocks made it decode up to 48 h. Consecutive cells share one block while the block
// stays ≤ blockPoints and spans ≤ maxSpanDays (a sparse series, e.g. 72 points per 6 h, gets a week
// per block: the per-block header and codec tables are paid far less often). A cell holding more
// than blockPoints points stays one block of its own (split only past maxBlockPoints). Measured on
// the standard telemetry: 6 h blocks of a 10 s series cost 0.727 B/pt, day blocks 0.731. Pure functions: the plan runs on the main thread, the packing in the pool worker, and
// both follow the same rule so a packed group is not picked again by the next plan.
import type { BlockRow } from './block-index.js';
import { DAY_MS } from './schema.js';

export interface PackLimits {
  /** Block boundaries fall on multiples of this (UTC); one cell is the packing unit. */
  cellMs: number;
  /** Points per block when cells are joined. */
  blockPoints: number;
  /** Longest block span in UTC days when days are joined. */
  maxSpanDays: number;
  /** Hard cap for a single day's block (bigger days are split evenly). */
  maxBlockPoints: number;
}

/** Default span of a cross-day block: retention keeps a block until its newest point ages out. */
export const MAX_BLOCK_SPAN_DAYS = 7;
/** The engine's packing cell: 6 h (see the header comment for why). */
export const COMPACT_CELL_MS = DAY_MS / 4;
/** The engine joins cells up to this many points (a 10 s series fills one cell with 2,160). */
export const COMPACT_JOIN_POINTS = 2048;

const cellOf = (tMs: number, cellMs: number): number => Math.floor(tMs / cellMs);
const spanCells = (limits: PackLimits): number => Math.round((limits.maxSpanDays * DAY_MS) / limits.cellMs);

/**
 * Groups of raw blocks to merge. `rows` are one or more series' raw blocks ordered by (series,
 * tMin). A block belongs to the UTC day of its tMin; days are packed greedily, oldest first, by the
 * limits above (a day some block of the group reaches into always joins); a group with ≥ 2 blocks
 * is returned (blocks in write order), a single block is already as packed as the rule makes it.
 * A dense series whose heads were cut across midnights becomes one group of all those days (the
 * worker cuts it back into one block per day).
 */
export function planRawGroups(rows: readonly BlockRow[], limits: PackLimits): BlockRow[][] {
  const out: BlockRow[][] = [];
  let i = 0;
  while (i < rows.length) {
    const seriesId = rows[i].seriesId;
    let j = i;
    while (j < rows.length && rows[j].seriesId === seriesId) j++;
    planSeries(rows.slice(i, j), limits, out);
    i = j;
  }
  return out;
}

function planSeries(blocks: BlockRow[], limits: PackLimits, out: BlockRow[][]): void {
  // Day units: the blocks whose tMin falls on one UTC day.
  const units: Array<{ day: number; endDay: number; count: number; blocks: BlockRow[] }> = [];
  const maxCells = spanCells(limits);
  for (const b of blocks) {
    const day = cellOf(b.tMin, limits.cellMs);
    let u = units[units.length - 1];
    if (!u || u.day !== day) units.push((u = { day, endDay: day, count: 0, blocks: [] }));
    u.blocks.push(b);
    u.count += b.count;
    u.endDay = Math.max(u.endDay, cellOf(b.tMax, limits.cellMs));
  }
  // Replays packDays at the level of day units (a block counted on its tMin day): a group ends
  // where the packer would start a new block, unless a block of the group reaches into the next
  // day (a head cut across midnight): then that day must be rewritten with it, and the group goes
  // on. So a group is exactly what one packDays call will cut, and its output is not planned again.
  let group: BlockRow[] = [];
  let groupEndDay = -Infinity;
  let blockDay = 0;
  let blockCount = 0;
  for (const u of units) {
    const fits = group.length > 0 && blockCount + u.count <= limits.blockPoints && u.day - blockDay + 1 <= maxCells;
    if (!fits) {
      if (groupEndDay < u.day) {
        if (group.length >= 2) out.push(group.sort((a, b) => a.maxSeq - b.maxSeq || a.id - b.id));
        group = [];
      }
      blockDay = u.day;
      blockCount = 0;
    }
    group.push(...u.blocks);
    blockCount += u.count;
    groupEndDay = Math.max(groupEndDay, u.endDay);
  }
  if (group.length >= 2) out.push(group.sort((a, b) => a.maxSeq - b.maxSeq || a.id - b.id));
}

/**
 * Block boundaries for one series' merged, sorted timestamps: [start, end) index ranges. Day cells
 * are joined while the block stays within the limits; a day over blockPoints is a block of its own,
 * split evenly only past maxBlockPoints.
 */
export function packDays(tsMs: Float64Array, limits: PackLimits): Array<[number, number]> {
  const n = tsMs.length;
  const out: Array<[number, number]> = [];
  let at = 0;
  let blockStart = -1;
  let blockDay = 0;
  const maxCells = spanCells(limits);
  while (at < n) {
    const day = cellOf(tsMs[at], limits.cellMs);
    let end = at;
    const dayEndMs = (day + 1) * limits.cellMs;
    while (end < n && tsMs[end] < dayEndMs) end++;
    const cell = end - at;
    if (blockStart >= 0 && (at - blockStart + cell > limits.blockPoints || day - blockDay + 1 > maxCells)) {
      out.push([blockStart, at]);
      blockStart = -1;
    }
    if (blockStart < 0) {
      if (cell > limits.blockPoints) {
        const chunks = Math.ceil(cell / limits.maxBlockPoints);
        const per = Math.ceil(cell / chunks);
        for (let s = at; s < end; s += per) out.push([s, Math.min(end, s + per)]);
      } else {
        blockStart = at;
        blockDay = day;
      }
    }
    at = end;
  }
  if (blockStart >= 0) out.push([blockStart, n]);
  return out;
}
