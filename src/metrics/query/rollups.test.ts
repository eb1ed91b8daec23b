// Rollups: seeded properties — aggregateRollups over rollupBuckets equals aggregateSteps over the
// raw points for aligned steps (counter resets included); a series rolled up in arbitrary block
// pieces and merged equals the whole; plus edge cases and alignment errors.
import { describe, expect, it } from 'vitest';
import { Prng } from '../../../bench/gen/prng.js';
import {
  aggregateRollups,
  bucketAt,
  DAY_MS,
  HOUR_MS,
  mergeBuckets,
  mergeRollups,
  rollupAligned,
  rollupBuckets,
  ROLLUP_FIELDS,
  type RollupColumns,
} from './rollups.js';
import { aggregateSteps } from './steps.js';
import { STEP_AGGS } from './types.js';
import { randomSeries } from '../../../test/random-series.js';

/** Naive oracle for one bucket set: group points by epoch bucket, compute fields from each list. */
function naiveRollup(ts: number[], vs: number[], bucketMs: number) {
  const groups = new Map<number, number[]>();
  ts.forEach((t, i) => {
    if (Number.isNaN(vs[i])) return;
    const s = Math.floor(t / bucketMs) * bucketMs;
    if (!groups.has(s)) groups.set(s, []);
    groups.get(s)!.push(vs[i]);
  });
  return [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([startMs, xs]) => {
      let increase = 0;
      for (let i = 1; i < xs.length; i++) increase += xs[i] < xs[i - 1] ? xs[i] : xs[i] - xs[i - 1];
      return {
        startMs,
        min: Math.min(...xs),
        max: Math.max(...xs),
        sum: xs.reduce((s, x) => s + x, 0),
        count: xs.length,
        first: xs[0],
        last: xs[xs.length - 1],
        increase,
      };
    });
}

function rows(r: RollupColumns) {
  return Array.from(r.startMs, (_, i) => bucketAt(r, i));
}

function closeRows(a: ReturnType<typeof rows>, b: ReturnType<typeof rows>, exact: boolean) {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    for (const f of ROLLUP_FIELDS) {
      if (exact) expect(a[i][f]).toBe(b[i][f]);
      else expect(Math.abs(a[i][f] - b[i][f])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b[i][f])));
    }
  }
}

const MIN_MS = 60_000;

describe('rollupBuckets', () => {
  for (const seed of [301, 302, 303]) {
    it(`seed ${seed}: equals the naive per-bucket oracle`, () => {
      const rng = new Prng(seed);
      for (let round = 0; round < 20; round++) {
        const { ts, vs } = randomSeries(rng, rng.int(0, 500), { counter: rng.float() < 0.5, integer: true });
        const bucketMs = rng.pick([MIN_MS, 10 * MIN_MS, HOUR_MS]);
        closeRows(rows(rollupBuckets(ts, vs, bucketMs)), naiveRollup(ts, vs, bucketMs), true);
      }
    });
  }

  it('empty, all-NaN, single point', () => {
    expect(rollupBuckets([], [], HOUR_MS).startMs.length).toBe(0);
    expect(rollupBuckets([1, 2], [NaN, NaN], HOUR_MS).startMs.length).toBe(0);
    const one = rollupBuckets([HOUR_MS + 5], [3], HOUR_MS);
    expect(rows(one)).toEqual([{ startMs: HOUR_MS, min: 3, max: 3, sum: 3, count: 1, first: 3, last: 3, increase: 0 }]);
    expect(one.bucketMs).toBe(HOUR_MS);
  });

  it('buckets are epoch-aligned (daily = UTC days)', () => {
    const t = Date.UTC(2024, 2, 10, 23, 59, 59, 999);
    const r = rollupBuckets([t, t + 1], [1, 2], DAY_MS);
    expect(Array.from(r.startMs)).toEqual([Date.UTC(2024, 2, 10), Date.UTC(2024, 2, 11)]);
  });

  it('bad bucket size is BAD_QUERY', () => {
    expect(() => rollupBuckets([1], [1], 0)).toThrow(/BAD_QUERY/);
    expect(() => rollupBuckets([1], [1], 1.5)).toThrow(/BAD_QUERY/);
  });
});

describe('merging partial rollups', () => {
  for (const seed of [401, 402, 403]) {
    it(`seed ${seed}: a series cut into random blocks, rolled up per block and merged, equals the whole`, () => {
      const rng = new Prng(seed);
      for (let round = 0; round < 20; round++) {
        const { ts, vs } = randomSeries(rng, rng.int(1, 600), { counter: true, integer: true });
        const bucketMs = rng.pick([MIN_MS, HOUR_MS]);
        const whole = rollupBuckets(ts, vs, bucketMs);
        // Block boundaries fall anywhere, including inside buckets (one bucket sealed in two blocks).
        let merged = rollupBuckets([], [], bucketMs);
        let i = 0;
        while (i < ts.length) {
          const j = Math.min(ts.length, i + rng.int(1, 80));
          merged = mergeRollups(merged, rollupBuckets(ts.slice(i, j), vs.slice(i, j), bucketMs));
          i = j;
        }
        closeRows(rows(merged), rows(whole), true);
      }
    });
  }

  it('mergeBuckets adds the cross-part counter step, reset included', () => {
    const a = { startMs: 0, min: 10, max: 20, sum: 30, count: 2, first: 10, last: 20, increase: 10 };
    const b = { startMs: 0, min: 3, max: 8, sum: 11, count: 2, first: 3, last: 8, increase: 5 };
    expect(mergeBuckets(a, b)).toEqual({ startMs: 0, min: 3, max: 20, sum: 41, count: 4, first: 10, last: 8, increase: 18 });
    const c = { ...b, first: 25, last: 30, min: 25, max: 30, sum: 55 };
    expect(mergeBuckets(a, c).increase).toBe(10 + 5 + 5);
    expect(() => mergeBuckets(a, { ...b, startMs: 1 })).toThrow(/BAD_QUERY/);
    expect(() => mergeRollups(rollupBuckets([], [], 1000), rollupBuckets([], [], 2000))).toThrow(/BAD_QUERY/);
  });
});

describe('aggregateRollups equals aggregateSteps on raw points for aligned steps', () => {
  for (const seed of [501, 502, 503, 504]) {
    it(`seed ${seed}: every agg, counters with resets and gauges`, () => {
      const rng = new Prng(seed);
      for (let round = 0; round < 25; round++) {
        const counter = rng.float() < 0.6;
        const integer = rng.float() < 0.6;
        const { ts, vs } = randomSeries(rng, rng.int(0, 800), { counter, integer });
        const bucketMs = rng.pick([MIN_MS, 10 * MIN_MS]);
        const rollup = rollupBuckets(ts, vs, bucketMs);
        const lo = ts.length ? ts[0] : 0;
        const hi = ts.length ? ts[ts.length - 1] : bucketMs;
        // Aligned start, step a multiple of the bucket, end just before a bucket boundary.
        const fromMs = Math.floor(rng.int(lo - 5 * bucketMs, hi) / bucketMs) * bucketMs;
        const toMs = (Math.floor(rng.int(fromMs, hi + 5 * bucketMs) / bucketMs) + 1) * bucketMs - 1;
        const stepMs = bucketMs * rng.pick([1, 2, 3, 7, 60]);
        for (const agg of STEP_AGGS) {
          const fromRollup = aggregateRollups(rollup, { fromMs, toMs, stepMs, agg });
          const fromRaw = aggregateSteps(ts, vs, { fromMs, toMs, stepMs, agg });
          expect(Array.from(fromRollup.tsMs)).toEqual(Array.from(fromRaw.tsMs));
          // Integer data sums exactly in any order; decimals may differ in the last bits.
          const exact = integer || agg === 'min' || agg === 'max' || agg === 'count' || agg === 'last';
          for (let i = 0; i < fromRaw.values.length; i++) {
            if (exact) expect(fromRollup.values[i]).toBe(fromRaw.values[i]);
            else
              expect(Math.abs(fromRollup.values[i] - fromRaw.values[i])).toBeLessThanOrEqual(
                1e-9 * Math.max(1, Math.abs(fromRaw.values[i])),
              );
          }
        }
      }
    });
  }

  it('resets at bucket boundaries and the baseline bucket before fromMs', () => {
    const ts = [0, 30_000, 60_000, 90_000, 120_000, 150_000];
    const vs = [100, 110, 4, 9, 2, 12]; // resets at 60 s and 120 s, both first points of their bucket
    const rollup = rollupBuckets(ts, vs, MIN_MS);
    expect(Array.from(rollup.increase)).toEqual([10, 5, 10]);
    const o = { fromMs: MIN_MS, toMs: 3 * MIN_MS - 1, stepMs: MIN_MS, agg: 'increase' as const };
    expect(Array.from(aggregateRollups(rollup, o).values)).toEqual([9, 12]); // 4 (reset) + 5, 2 (reset) + 10
    expect(Array.from(aggregateRollups(rollup, o).values)).toEqual(Array.from(aggregateSteps(ts, vs, o).values));
  });

  it('buckets starting after toMs are excluded; a bucket starting ≤ toMs counts whole', () => {
    const rollup = rollupBuckets([0, 59_000, 60_000, 119_000], [1, 2, 3, 4], MIN_MS);
    const r = aggregateRollups(rollup, { fromMs: 0, toMs: 60_000, stepMs: MIN_MS, agg: 'sum' });
    expect(Array.from(r.values)).toEqual([3, 7]);
    expect(aggregateRollups(rollup, { fromMs: 0, toMs: 59_999, stepMs: MIN_MS, agg: 'sum' }).values.length).toBe(1);
  });

  it('unaligned step or start is UNALIGNED; rollupAligned says so beforehand', () => {
    const rollup = rollupBuckets([0], [1], HOUR_MS);
    expect(() => aggregateRollups(rollup, { fromMs: 0, toMs: DAY_MS, stepMs: 90 * MIN_MS, agg: 'avg' })).toThrow(/UNALIGNED/);
    expect(() => aggregateRollups(rollup, { fromMs: 1000, toMs: DAY_MS, stepMs: HOUR_MS, agg: 'avg' })).toThrow(/UNALIGNED/);
    expect(() => aggregateRollups(rollup, { fromMs: 0, toMs: DAY_MS, stepMs: MIN_MS, agg: 'avg' })).toThrow(/UNALIGNED/);
    expect(rollupAligned(HOUR_MS, 0, 2 * HOUR_MS)).toBe(true);
    expect(rollupAligned(HOUR_MS, 0, 90 * MIN_MS)).toBe(false);
    expect(rollupAligned(DAY_MS, Date.UTC(2024, 0, 1), DAY_MS)).toBe(true);
    expect(rollupAligned(DAY_MS, Date.UTC(2024, 0, 1, 1), DAY_MS)).toBe(false);
  });
});
