// Raw compaction packing: day-aligned block boundaries, consecutive days joined up to blockPoints
// and 7 days, big days alone, straddling blocks pulled into their group, and a packed result that
// the next plan leaves alone (no endless rewriting).
import { describe, expect, it } from 'vitest';
import type { BlockRow } from './block-index.js';
import { packDays, planRawGroups, type PackLimits } from './raw-packing.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);
const LIMITS: PackLimits = { cellMs: DAY, blockPoints: 8192, maxSpanDays: 7, maxBlockPoints: 65_536 };

let nextId = 1;
function row(seriesId: number, tMin: number, tMax: number, count: number): BlockRow {
  const id = nextId++;
  return { id, seriesId, tier: 0, file: 'f', offset: 0, length: 1, tMin, tMax, count, maxSeq: id };
}

/** Timestamps every `intervalMs` over [fromMs, toMs). */
function grid(fromMs: number, toMs: number, intervalMs: number): Float64Array {
  const out: number[] = [];
  for (let t = fromMs; t < toMs; t += intervalMs) out.push(t);
  return Float64Array.from(out);
}

describe('raw packing', () => {
  it('joins a sparse series into week-long blocks cut at UTC midnight', () => {
    const ts = grid(T0, T0 + 14 * DAY, 300_000); // 288 points/day, 14 days
    const blocks = packDays(ts, LIMITS);
    expect(blocks).toEqual([
      [0, 7 * 288],
      [7 * 288, 14 * 288],
    ]);
  });

  it('keeps a dense day (over blockPoints) one block of its own, aligned to midnight', () => {
    const ts = grid(T0 + DAY / 2, T0 + 3 * DAY + 3_600_000, 10_000); // 8,640 points/day
    const cuts = packDays(ts, LIMITS).map(([a, b]) => [ts[a], ts[b - 1]]);
    expect(cuts).toEqual([
      [T0 + DAY / 2, T0 + DAY - 10_000], // half a day: 4,320 points, but the next day does not fit with it
      [T0 + DAY, T0 + 2 * DAY - 10_000],
      [T0 + 2 * DAY, T0 + 3 * DAY - 10_000],
      [T0 + 3 * DAY, T0 + 3 * DAY + 3_590_000],
    ]);
  });

  it('splits a day evenly only past maxBlockPoints', () => {
    const ts = grid(T0, T0 + DAY, 1_000); // 86,400 points
    const blocks = packDays(ts, LIMITS);
    expect(blocks.length).toBe(2);
    expect(blocks[0]).toEqual([0, 43_200]);
    expect(blocks[1]).toEqual([43_200, 86_400]);
  });

  it('plans groups by whole days within the limits, and leaves packed blocks alone', () => {
    const hour = 3_600_000;
    const rows: BlockRow[] = [];
    // Series 1: sparse, 12 two-hour blocks a day for 10 days (24 points each).
    for (let d = 0; d < 10; d++) for (let h = 0; h < 24; h += 2) rows.push(row(1, T0 + d * DAY + h * hour, T0 + d * DAY + (h + 2) * hour - 1, 24));
    // Series 2: dense, 720-point blocks, one straddling midnight into day 1.
    rows.push(row(2, T0 + 22 * hour, T0 + DAY + hour, 720));
    rows.push(row(2, T0 + 10 * hour, T0 + 12 * hour - 1, 8000));
    for (let h = 1; h < 24; h += 2) rows.push(row(2, T0 + DAY + h * hour, T0 + DAY + (h + 2) * hour - 1, 720));
    rows.sort((a, b) => a.seriesId - b.seriesId || a.tMin - b.tMin);
    const groups = planRawGroups(rows, LIMITS);
    const s1 = groups.filter((g) => g[0].seriesId === 1);
    expect(s1.map((g) => g.length)).toEqual([7 * 12, 3 * 12]);
    const s2 = groups.filter((g) => g[0].seriesId === 2);
    // Day 0 holds 8,720 points (over blockPoints) but its straddler reaches into day 1: one group.
    expect(s2.length).toBe(1);
    expect(s2[0].length).toBe(14);
    // Write order inside a group.
    for (const g of groups) for (let i = 1; i < g.length; i++) expect(g[i].maxSeq).toBeGreaterThan(g[i - 1].maxSeq);

    // What compaction writes back (one block per packed range) is not planned again.
    const packed: BlockRow[] = [
      row(1, T0, T0 + 7 * DAY - 1, 7 * 288),
      row(1, T0 + 7 * DAY, T0 + 10 * DAY - 1, 3 * 288),
      row(2, T0 + 10 * hour, T0 + DAY - 1, 8720),
      row(2, T0 + DAY, T0 + 2 * DAY - 1, 8640),
    ];
    expect(planRawGroups(packed, LIMITS)).toEqual([]);
    // A new day next to a full week starts its own group; next to a short run it joins it.
    expect(planRawGroups([...packed.slice(0, 2), row(1, T0 + 10 * DAY, T0 + 10 * DAY + hour, 288)], LIMITS).map((g) => g.length)).toEqual([2]);
  });

  it('with the engine 6 h cells, cuts a dense series every 6 h and joins a sparse one up to a week', () => {
    const cells: PackLimits = { cellMs: DAY / 4, blockPoints: 2048, maxSpanDays: 7, maxBlockPoints: 65_536 };
    const dense = grid(T0 + 3 * 3_600_000, T0 + 2 * DAY, 10_000); // 2,160 points per 6 h cell
    const cuts = packDays(dense, cells).map(([a, b]) => [dense[a], dense[b - 1] + 10_000]);
    expect(cuts[0]).toEqual([T0 + 3 * 3_600_000, T0 + DAY / 4]);
    for (const [from, to] of cuts.slice(1)) {
      expect(from % (DAY / 4)).toBe(0);
      expect(to - from).toBe(DAY / 4);
    }
    expect(cuts.length).toBe(8);
    const sparse = grid(T0, T0 + 14 * DAY, 300_000); // 72 points per cell: 28 cells = 2,016 points
    expect(packDays(sparse, cells)).toEqual([
      [0, 7 * 288],
      [7 * 288, 14 * 288],
    ]);
  });
});
