// Rollup buckets: partial buckets (a bucket split across blocks) merge to exactly the buckets of the
// whole run, the codec round-trips them, and step aggregation over buckets equals aggregateSteps
// over the raw points for every agg (counter resets included).
import { describe, expect, it } from 'vitest';
import { Prng } from '../../bench/gen/prng.js';
import { aggregateSteps } from './query/steps.js';
import type { StepAgg } from './query/types.js';
import { decodeRollup, encodeRollup } from './rollup-codec.js';
import { aggregateRollupSteps, bucketize, mergeRollups } from './rollup-columns.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

function counter(n: number, seed: number) {
  const prng = new Prng(seed);
  const tsMs = new Float64Array(n);
  const values = new Float64Array(n);
  let v = 0;
  for (let i = 0; i < n; i++) {
    tsMs[i] = T0 + i * 60_000 + prng.int(0, 999);
    v = prng.float() < 0.02 ? prng.int(0, 5) : v + prng.int(0, 50);
    values[i] = v;
  }
  return { tsMs, values };
}

describe('rollup columns', () => {
  it('merging partial buckets equals bucketizing the whole run', () => {
    const { tsMs, values } = counter(1000, 1);
    const whole = bucketize(tsMs, values, HOUR);
    const parts = [0, 130, 131, 400, 777, 1000].slice(0, -1).map((from, i, arr) => {
      const to = [130, 131, 400, 777, 1000][i];
      void arr;
      return bucketize(tsMs.subarray(from, to), values.subarray(from, to), HOUR);
    });
    const merged = mergeRollups(parts);
    for (const k of Object.keys(whole) as Array<keyof typeof whole>) expect(Array.from(merged[k])).toEqual(Array.from(whole[k]));
    const rt = decodeRollup(encodeRollup(whole));
    for (const k of Object.keys(whole) as Array<keyof typeof whole>) expect(Array.from(rt[k])).toEqual(Array.from(whole[k]));
  });

  it('step aggregation over buckets equals aggregateSteps over the points', () => {
    const { tsMs, values } = counter(3000, 2);
    const cols = bucketize(tsMs, values, HOUR);
    const aggs: StepAgg[] = ['avg', 'min', 'max', 'sum', 'count', 'last', 'rate', 'increase'];
    for (const stepMs of [HOUR, 3 * HOUR]) {
      for (const agg of aggs) {
        const opts = { fromMs: T0 + 2 * HOUR, toMs: T0 + 40 * HOUR - 1, stepMs, agg };
        const raw = aggregateSteps(tsMs, values, opts);
        const fromBuckets = aggregateRollupSteps(cols, opts);
        expect(Array.from(fromBuckets.tsMs)).toEqual(Array.from(raw.tsMs));
        fromBuckets.values.forEach((v, i) => expect(v, `${agg} ${stepMs} #${i}`).toBeCloseTo(raw.values[i], 6));
      }
    }
  });
});
