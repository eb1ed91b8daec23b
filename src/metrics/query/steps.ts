// Step aggregation of one series: points → one value per step bucket.
//
// Input contract: `tsMs` ascending (the engine sorts and merges heads + blocks first; unsorted
// input gives unspecified buckets), `values` parallel to it. Points in [fromMs, toMs] fall into
// buckets [fromMs + k·stepMs, fromMs + (k+1)·stepMs); a bucket's output timestamp is its start;
// buckets with no (non-NaN) point are omitted. NaN values (stale markers) are skipped by every agg.
//
// rate / increase are counter-aware. For consecutive non-NaN points the counter step is
// `cur - prev`, or `cur` when the value dropped (a reset: the counter restarted from 0). A step is
// credited to the bucket of its later point, so a bucket's increase includes the step from the
// last point before it (in an earlier bucket, or before fromMs) and summing the buckets gives the
// total increase. Points before fromMs are otherwise ignored: the engine passes the last point
// before the range when it has one so the first bucket gets its cross-boundary step. The first
// point ever has no baseline and adds 0. rate = increase / (stepMs / 1000), per second.

import { checkColumns, checkStepOptions, counterStep } from './validate.js';
import type { StepOptions, StepSeries } from './types.js';
import { lowerBound, upperBound } from './sorted.js';

export function aggregateSteps(tsMs: ArrayLike<number>, values: ArrayLike<number>, opts: StepOptions): StepSeries {
  checkStepOptions(opts);
  checkColumns(tsMs, values);
  const { fromMs, toMs, stepMs, agg } = opts;
  const n = tsMs.length;
  const start = lowerBound(tsMs, 0, n, fromMs);
  const end = upperBound(tsMs, start, n, toMs);
  const cap = Math.min(end - start, Math.floor((toMs - fromMs) / stepMs) + 1);
  const outTs = new Float64Array(Math.max(0, cap));
  const outV = new Float64Array(Math.max(0, cap));
  let w = 0;

  // Counter baseline: the last non-NaN value before fromMs, if the caller supplied one.
  let prev = NaN;
  if (agg === 'rate' || agg === 'increase') {
    for (let i = start - 1; i >= 0; i--) {
      if (!Number.isNaN(values[i])) {
        prev = values[i];
        break;
      }
    }
  }
  const stepSec = stepMs / 1000;

  let i = start;
  while (i < end) {
    const k = Math.floor((tsMs[i] - fromMs) / stepMs);
    const bucketStart = fromMs + k * stepMs;
    const bucketEnd = bucketStart + stepMs;
    let count = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    let last = NaN;
    let inc = 0;
    for (; i < end && tsMs[i] < bucketEnd; i++) {
      const v = values[i];
      if (Number.isNaN(v)) continue;
      count++;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
      last = v;
      if (!Number.isNaN(prev)) inc += counterStep(prev, v);
      prev = v;
    }
    if (count === 0) continue;
    let out: number;
    switch (agg) {
      case 'avg':
        out = sum / count;
        break;
      case 'min':
        out = min;
        break;
      case 'max':
        out = max;
        break;
      case 'sum':
        out = sum;
        break;
      case 'count':
        out = count;
        break;
      case 'last':
        out = last;
        break;
      case 'increase':
        out = inc;
        break;
      case 'rate':
        out = inc / stepSec;
        break;
    }
    outTs[w] = bucketStart;
    outV[w] = out;
    w++;
  }
  return { tsMs: outTs.slice(0, w), values: outV.slice(0, w) };
}
