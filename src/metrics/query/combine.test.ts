// combineSeries / groupSeries: seeded properties against a Map-based oracle, grouping and ordering.
import { describe, expect, it } from 'vitest';
import { Prng } from '../../../bench/gen/prng.js';
import { combineSeries, compareLabels, groupKey, groupLabels, groupSeries } from './combine.js';
import { STEP_AGGS, type StepAgg } from './types.js';

function naiveCombine(list: { tsMs: number[]; values: number[] }[], agg: StepAgg) {
  const at = new Map<number, number[]>();
  for (const s of list) s.tsMs.forEach((t, i) => {
    if (Number.isNaN(s.values[i])) return;
    if (!at.has(t)) at.set(t, []);
    at.get(t)!.push(s.values[i]);
  });
  const ts = [...at.keys()].sort((a, b) => a - b);
  return {
    tsMs: ts,
    values: ts.map((t) => {
      const xs = at.get(t)!;
      if (agg === 'min') return Math.min(...xs);
      if (agg === 'max') return Math.max(...xs);
      if (agg === 'last') return xs[xs.length - 1];
      const sum = xs.reduce((s, x) => s + x, 0);
      return agg === 'avg' ? sum / xs.length : sum;
    }),
  };
}

function randomStepSeries(rng: Prng, stepMs: number) {
  const tsMs: number[] = [];
  const values: number[] = [];
  for (let k = 0; k < 60; k++) {
    if (rng.float() < 0.3) continue; // gaps: buckets a series lacks
    tsMs.push(1_000_000 + k * stepMs);
    values.push(rng.float() < 0.02 ? NaN : rng.int(-500, 500));
  }
  return { tsMs, values };
}

describe('combineSeries', () => {
  for (const seed of [21, 22, 23]) {
    it(`seed ${seed}: every agg equals the oracle`, () => {
      const rng = new Prng(seed);
      for (let round = 0; round < 20; round++) {
        const list = Array.from({ length: rng.int(0, 12) }, () => randomStepSeries(rng, 60_000));
        for (const agg of STEP_AGGS) {
          const got = combineSeries(list, agg);
          const want = naiveCombine(list, agg);
          expect(Array.from(got.tsMs)).toEqual(want.tsMs);
          expect(Array.from(got.values)).toEqual(want.values);
        }
      }
    });
  }

  it('count sums per-series counts; rate sums per-series rates', () => {
    const a = { tsMs: [0, 10], values: [3, 4] };
    const b = { tsMs: [10, 20], values: [5, 1] };
    expect(Array.from(combineSeries([a, b], 'count').values)).toEqual([3, 9, 1]);
    expect(Array.from(combineSeries([a, b], 'rate').values)).toEqual([3, 9, 1]);
    expect(Array.from(combineSeries([a, b], 'last').values)).toEqual([3, 5, 1]);
    expect(Array.from(combineSeries([a, b], 'avg').values)).toEqual([3, 4.5, 1]);
  });

  it('empty list and unknown agg', () => {
    expect(combineSeries([], 'sum').tsMs.length).toBe(0);
    expect(() => combineSeries([], 'p99' as StepAgg)).toThrow(/BAD_QUERY/);
  });
});

describe('groupBy helpers', () => {
  it('groupKey / groupLabels ignore label order and treat absent as ""', () => {
    expect(groupKey({ a: '1', b: '2', c: 'x' }, ['b', 'a'])).toBe(groupKey({ b: '2', a: '1' }, ['a', 'b']));
    expect(groupKey({ a: '1' }, ['a', 'b'])).toBe(groupKey({ a: '1', b: '' }, ['a', 'b']));
    expect(groupKey({ a: '1' }, ['a', 'b'])).not.toBe(groupKey({ a: '1', b: '2' }, ['a', 'b']));
    // No separator ambiguity.
    expect(groupKey({ a: 'x,y' }, ['a', 'b'])).not.toBe(groupKey({ a: 'x', b: 'y' }, ['a', 'b']));
    expect(groupLabels({ a: '1', b: '', c: '3' }, ['c', 'b'])).toEqual({ c: '3' });
  });

  it('compareLabels orders by names then values', () => {
    const sorted = [{ b: '1' }, { a: '2' }, { a: '1', b: '1' }, { a: '1' }, {}].sort(compareLabels);
    expect(sorted).toEqual([{}, { a: '1' }, { a: '1', b: '1' }, { a: '2' }, { b: '1' }]);
  });

  it('groupSeries groups, combines and sorts by group labels', () => {
    const s = (labels: Record<string, string>, v: number) => ({ labels, tsMs: [0, 60_000], values: [v, v * 2] });
    const out = groupSeries(
      [s({ code: '500', path: '/a' }, 1), s({ code: '200', path: '/a' }, 2), s({ code: '200', path: '/b' }, 3), s({ path: '/c' }, 4)],
      ['code'],
      'sum',
    );
    expect(out.map((g) => g.labels)).toEqual([{}, { code: '200' }, { code: '500' }]);
    expect(out.map((g) => Array.from(g.values))).toEqual([[4, 8], [5, 10], [1, 2]]);
    const all = groupSeries([s({ a: '1' }, 1), s({ a: '2' }, 2)], [], 'max');
    expect(all).toHaveLength(1);
    expect(all[0].labels).toEqual({});
    expect(Array.from(all[0].values)).toEqual([2, 4]);
  });
});
