// aggregateSteps: seeded properties against a deliberately naive oracle (per-bucket lists built
// point by point, counter steps from a separate pass), edge cases and parameter errors.
import { describe, expect, it } from 'vitest';
import { Prng } from '../../../bench/gen/prng.js';
import { aggregateSteps, StepAggregator } from './steps.js';
import { STEP_AGGS, type StepAgg } from './types.js';
import { randomSeries } from '../../../test/random-series.js';

/** Naive oracle: bucket every in-range point into a Map, compute each agg from the bucket's list. */
function naiveSteps(
  ts: number[],
  vs: number[],
  o: { fromMs: number; toMs: number; stepMs: number; agg: StepAgg },
): { tsMs: number[]; values: number[] } {
  const buckets = new Map<number, number[]>();
  const incs = new Map<number, number>();
  // Counter steps: every pair of consecutive non-NaN points anywhere in the input, credited to the
  // later point's bucket if that point is in range.
  let prev: number | undefined;
  for (let i = 0; i < ts.length; i++) {
    if (Number.isNaN(vs[i])) continue;
    const inRange = ts[i] >= o.fromMs && ts[i] <= o.toMs;
    const k = Math.floor((ts[i] - o.fromMs) / o.stepMs);
    if (inRange) {
      if (!buckets.has(k)) buckets.set(k, []);
      buckets.get(k)!.push(vs[i]);
      const step = prev === undefined ? 0 : vs[i] < prev ? vs[i] : vs[i] - prev;
      incs.set(k, (incs.get(k) ?? 0) + step);
    }
    prev = vs[i];
  }
  const keys = [...buckets.keys()].sort((a, b) => a - b);
  const values = keys.map((k) => {
    const b = buckets.get(k)!;
    switch (o.agg) {
      case 'avg':
        return b.reduce((s, x) => s + x, 0) / b.length;
      case 'min':
        return Math.min(...b);
      case 'max':
        return Math.max(...b);
      case 'sum':
        return b.reduce((s, x) => s + x, 0);
      case 'count':
        return b.length;
      case 'last':
        return b[b.length - 1];
      case 'increase':
        return incs.get(k)!;
      case 'rate':
        return incs.get(k)! / (o.stepMs / 1000);
    }
  });
  return { tsMs: keys.map((k) => o.fromMs + k * o.stepMs), values };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, exact: boolean) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (exact) expect(actual[i]).toBe(expected[i]);
    else expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected[i])));
  }
}

describe('aggregateSteps vs naive oracle', () => {
  for (const seed of [101, 102, 103, 104, 105, 106]) {
    it(`seed ${seed}: every agg, random ranges and steps`, () => {
      const rng = new Prng(seed);
      for (let round = 0; round < 30; round++) {
        const counter = rng.float() < 0.5;
        const { ts, vs } = randomSeries(rng, rng.int(0, 400), { counter, integer: rng.float() < 0.5 });
        const lo = ts.length ? ts[0] : 0;
        const hi = ts.length ? ts[ts.length - 1] : 1000;
        const fromMs = rng.int(lo - 50_000, hi);
        const toMs = rng.int(fromMs, hi + 50_000);
        const stepMs = rng.pick([1, 1000, 15_000, 60_000, 3_600_000, rng.int(1, 200_000)]);
        for (const agg of STEP_AGGS) {
          const got = aggregateSteps(ts, vs, { fromMs, toMs, stepMs, agg });
          const want = naiveSteps(ts, vs, { fromMs, toMs, stepMs, agg });
          expect(Array.from(got.tsMs)).toEqual(want.tsMs);
          // Same summation order as the oracle, so equal to the last bit.
          expectClose(got.values, want.values, true);
        }
      }
    });
  }

  it('summed increases over buckets equal the total counter increase', () => {
    const rng = new Prng(7);
    const { ts, vs } = randomSeries(rng, 2000, { counter: true, integer: true, nanRate: 0 });
    let total = 0;
    for (let i = 1; i < vs.length; i++) total += vs[i] >= vs[i - 1] ? vs[i] - vs[i - 1] : vs[i];
    for (const stepMs of [1000, 60_000, 3_600_000, 86_400_000]) {
      const got = aggregateSteps(ts, vs, { fromMs: ts[0], toMs: ts[ts.length - 1], stepMs, agg: 'increase' });
      expect(got.values.reduce((s, x) => s + x, 0)).toBe(total);
    }
  });
});

describe('aggregateSteps edge cases', () => {
  const base = { fromMs: 0, toMs: 100_000, stepMs: 10_000 };

  it('empty input gives empty output for every agg', () => {
    for (const agg of STEP_AGGS) {
      const r = aggregateSteps([], [], { ...base, agg });
      expect(r.tsMs.length).toBe(0);
      expect(r.values.length).toBe(0);
      expect(r.tsMs).toBeInstanceOf(Float64Array);
    }
  });

  it('single point', () => {
    const out = (agg: StepAgg) => Array.from(aggregateSteps([25_000], [7], { ...base, agg }).values);
    expect(out('avg')).toEqual([7]);
    expect(out('count')).toEqual([1]);
    expect(out('last')).toEqual([7]);
    expect(out('increase')).toEqual([0]); // no baseline for the very first point
    expect(Array.from(aggregateSteps([25_000], [7], { ...base, agg: 'sum' }).tsMs)).toEqual([20_000]);
  });

  it('all NaN: every bucket is empty and omitted', () => {
    for (const agg of STEP_AGGS) {
      expect(aggregateSteps([1, 2, 3], [NaN, NaN, NaN], { ...base, agg }).tsMs.length).toBe(0);
    }
  });

  it('NaN points are skipped, also as counter baseline', () => {
    const r = aggregateSteps([0, 10_000, 20_000], [5, NaN, 8], { ...base, agg: 'increase' });
    expect(Array.from(r.tsMs)).toEqual([0, 20_000]);
    expect(Array.from(r.values)).toEqual([0, 3]);
  });

  it('a reset exactly at a bucket boundary counts in the new bucket', () => {
    // 100 → 110 in bucket 0; reset to 4 at t=10000 (bucket 1 start); 4 → 9 in bucket 1.
    const ts = [0, 5000, 10_000, 15_000];
    const vs = [100, 110, 4, 9];
    const inc = aggregateSteps(ts, vs, { ...base, agg: 'increase' });
    expect(Array.from(inc.values)).toEqual([10, 9]);
    const rate = aggregateSteps(ts, vs, { ...base, agg: 'rate' });
    expect(Array.from(rate.values)).toEqual([1, 0.9]);
  });

  it('cross-bucket step goes to the later bucket, across empty buckets', () => {
    const r = aggregateSteps([1000, 55_000], [10, 25], { ...base, agg: 'increase' });
    expect(Array.from(r.tsMs)).toEqual([0, 50_000]);
    expect(Array.from(r.values)).toEqual([0, 15]);
  });

  it('a point before fromMs is the counter baseline but not otherwise counted', () => {
    const o = { fromMs: 10_000, toMs: 30_000, stepMs: 10_000 };
    const ts = [2000, 9999, 12_000, 25_000];
    const vs = [1, 50, 60, 70];
    expect(Array.from(aggregateSteps(ts, vs, { ...o, agg: 'increase' }).values)).toEqual([10, 10]);
    expect(Array.from(aggregateSteps(ts, vs, { ...o, agg: 'count' }).values)).toEqual([1, 1]);
    expect(Array.from(aggregateSteps(ts, vs, { ...o, agg: 'min' }).values)).toEqual([60, 70]);
  });

  it('unaligned from/to: buckets start at fromMs, toMs is inclusive and may cut the last bucket', () => {
    const ts = [999, 1000, 1001, 7000, 7999, 8000, 8001];
    const vs = [1, 2, 3, 4, 5, 6, 7];
    const r = aggregateSteps(ts, vs, { fromMs: 1000, toMs: 8000, stepMs: 3500, agg: 'sum' });
    // buckets [1000,4500) [4500,8000) [8000,11500)∩[.., 8000]
    expect(Array.from(r.tsMs)).toEqual([1000, 4500, 8000]);
    expect(Array.from(r.values)).toEqual([5, 9, 6]);
  });

  it('fromMs = toMs selects points at exactly that time', () => {
    const r = aggregateSteps([5, 10, 10, 11], [1, 2, 3, 4], { fromMs: 10, toMs: 10, stepMs: 1000, agg: 'count' });
    expect(Array.from(r.tsMs)).toEqual([10]);
    expect(Array.from(r.values)).toEqual([2]);
  });

  it('Float64Array inputs work like arrays', () => {
    const ts = Float64Array.from([0, 10_000, 20_000]);
    const vs = Float64Array.from([1, 2, 3]);
    expect(Array.from(aggregateSteps(ts, vs, { ...base, agg: 'avg' }).values)).toEqual([1, 2, 3]);
  });

  it('bad parameters are BAD_QUERY errors', () => {
    const bad = [
      { ...base, stepMs: 0, agg: 'avg' },
      { ...base, stepMs: -5, agg: 'avg' },
      { ...base, stepMs: NaN, agg: 'avg' },
      { ...base, fromMs: 10, toMs: 5, agg: 'avg' },
      { ...base, toMs: Infinity, agg: 'avg' },
      { ...base, agg: 'median' },
    ];
    for (const o of bad) expect(() => aggregateSteps([1], [1], o as never)).toThrow(/BAD_QUERY/);
    expect(() => aggregateSteps([1, 2], [1], { ...base, agg: 'avg' })).toThrow(/BAD_QUERY.*parallel/);
  });
});

describe('StepAggregator (chunked) equals aggregateSteps (one array)', () => {
  /** Cuts [0, n) at random points (empty chunks included) and feeds the pieces in order. */
  function chunked(ts: number[], vs: number[], o: { fromMs: number; toMs: number; stepMs: number; agg: StepAgg }, rng: Prng, hint?: number) {
    const tsF = Float64Array.from(ts);
    const vsF = Float64Array.from(vs);
    const acc = new StepAggregator(o, hint);
    let at = 0;
    while (at < ts.length) {
      const end = Math.min(ts.length, at + rng.int(0, 40));
      acc.add(tsF, vsF, at, end);
      at = end;
    }
    return acc.finish();
  }

  for (const seed of [201, 202, 203, 204]) {
    it(`seed ${seed}: every agg, random chunkings, buckets spanning chunks`, () => {
      const rng = new Prng(seed);
      for (let round = 0; round < 25; round++) {
        const counter = rng.float() < 0.5;
        const { ts, vs } = randomSeries(rng, rng.int(0, 600), { counter, integer: rng.float() < 0.5, nanRate: rng.pick([0, 0.03, 0.5]) });
        const lo = ts.length ? ts[0] : 0;
        const hi = ts.length ? ts[ts.length - 1] : 1000;
        const fromMs = rng.int(lo - 50_000, hi);
        const toMs = rng.int(fromMs, hi + 50_000);
        // Small steps make hundreds of buckets: the output grows past its first allocation.
        const stepMs = rng.pick([1, 1000, 15_000, 60_000, 3_600_000, rng.int(1, 200_000)]);
        for (const agg of STEP_AGGS) {
          const o = { fromMs, toMs, stepMs, agg };
          const want = aggregateSteps(ts, vs, o);
          for (const hint of [undefined, ts.length]) {
            const got = chunked(ts, vs, o, rng, hint);
            expect(Array.from(got.tsMs)).toEqual(Array.from(want.tsMs));
            expect(bits(got.values)).toEqual(bits(want.values));
          }
        }
      }
    });
  }

  it('the counter baseline comes from the last non-NaN point before fromMs, whichever chunk holds it', () => {
    const o = { fromMs: 10_000, toMs: 30_000, stepMs: 10_000, agg: 'increase' as const };
    const acc = new StepAggregator(o);
    acc.add([1000, 2000], [40, 50], 0, 2); // baseline 50
    acc.add([9000], [NaN], 0, 1); // NaN: not a baseline
    acc.add([12_000, 25_000], [60, 70], 0, 2);
    expect(Array.from(acc.finish().values)).toEqual([10, 10]);
  });

  it('one bucket fed across chunks is emitted once', () => {
    const acc = new StepAggregator({ fromMs: 0, toMs: 100_000, stepMs: 100_000, agg: 'avg' });
    acc.add([1, 2], [1, 2], 0, 2);
    acc.add([3], [3], 0, 1);
    acc.add([200_000], [99], 0, 1); // after toMs: ignored
    const r = acc.finish();
    expect(Array.from(r.tsMs)).toEqual([0]);
    expect(Array.from(r.values)).toEqual([2]);
  });

  it('bad parameters are BAD_QUERY errors at construction', () => {
    expect(() => new StepAggregator({ fromMs: 0, toMs: 10, stepMs: 0, agg: 'avg' })).toThrow(/BAD_QUERY/);
    expect(() => new StepAggregator({ fromMs: 0, toMs: 10, stepMs: 1, agg: 'median' as never })).toThrow(/BAD_QUERY/);
  });
});

/** Bit patterns: equal to the last bit (NaN never occurs in outputs, -0 vs 0 would differ). */
function bits(v: Float64Array): string[] {
  return Array.from(new BigUint64Array(Float64Array.from(v).buffer), (b) => b.toString(16));
}
