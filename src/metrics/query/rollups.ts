// Rollup buckets (hourly/daily tiers) and answering step queries from them.
//
// A bucket covers [startMs, startMs + bucketMs), aligned to the Unix epoch (so daily buckets are
// UTC days), and holds min, max, sum, count, first, last and increase over its non-NaN points.
// Buckets with no non-NaN point are omitted.
//
// Counter increase across bucket boundaries — the "carry": a bucket's `increase` column holds only
// the counter steps between points *inside* the bucket. The step from the previous point (the last
// point of the previous non-empty bucket, possibly in another block) to the bucket's first point is
// not stored; it is recomputed from the neighbours' `last` and `first` columns wherever buckets
// meet: in mergeBuckets (one bucket sealed in two blocks), mergeRollups, and aggregateRollups. So
// sealing needs no state from earlier blocks, any block can be rolled up on its own in a worker,
// and the previous bucket's `last` is the carried value. A query over [fromMs, toMs] should pass
// the last bucket before fromMs too (as aggregateSteps wants the last raw point before fromMs),
// so the first step gets its cross-boundary step; buckets before fromMs are otherwise ignored.
//
// Assumption: when two parts of one bucket are merged, every point of the first part precedes
// every point of the second (blocks of a series are sealed in time order). Out-of-order parts
// merge min/max/sum/count exactly, but first/last/increase follow the argument order.

import { QueryError } from './errors.js';
import { lowerBound } from './sorted.js';
import type { StepOptions, StepSeries } from './types.js';
import { checkColumns, checkStepOptions, counterStep } from './validate.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export interface RollupBucket {
  startMs: number;
  min: number;
  max: number;
  sum: number;
  count: number;
  first: number;
  last: number;
  increase: number;
}

/** Buckets as columns (one Float64Array per field, parallel, ascending startMs): what a rollup block stores. */
export interface RollupColumns {
  bucketMs: number;
  startMs: Float64Array;
  min: Float64Array;
  max: Float64Array;
  sum: Float64Array;
  count: Float64Array;
  first: Float64Array;
  last: Float64Array;
  increase: Float64Array;
}

export const ROLLUP_FIELDS = ['startMs', 'min', 'max', 'sum', 'count', 'first', 'last', 'increase'] as const;
export type RollupField = (typeof ROLLUP_FIELDS)[number];

export function emptyRollup(bucketMs: number, length = 0): RollupColumns {
  return {
    bucketMs,
    startMs: new Float64Array(length),
    min: new Float64Array(length),
    max: new Float64Array(length),
    sum: new Float64Array(length),
    count: new Float64Array(length),
    first: new Float64Array(length),
    last: new Float64Array(length),
    increase: new Float64Array(length),
  };
}

function checkBucketMs(bucketMs: number): void {
  if (!Number.isInteger(bucketMs) || bucketMs <= 0) {
    throw new QueryError('BAD_QUERY', `bucketMs must be a positive integer number of milliseconds, got ${bucketMs}`);
  }
}

/** Rolls points (ascending tsMs, parallel values) up into epoch-aligned buckets of `bucketMs`. */
export function rollupBuckets(tsMs: ArrayLike<number>, values: ArrayLike<number>, bucketMs: number): RollupColumns {
  checkBucketMs(bucketMs);
  checkColumns(tsMs, values);
  const n = tsMs.length;
  // Upper bound on buckets: one per point, and no more than the time span allows.
  const span = n === 0 ? 0 : Math.floor(tsMs[n - 1] / bucketMs) - Math.floor(tsMs[0] / bucketMs) + 1;
  const out = emptyRollup(bucketMs, Math.min(n, Math.max(0, span)));
  let w = 0;
  let i = 0;
  while (i < n) {
    const start = Math.floor(tsMs[i] / bucketMs) * bucketMs;
    const end = start + bucketMs;
    let count = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    let first = NaN;
    let last = NaN;
    let inc = 0;
    for (; i < n && tsMs[i] < end; i++) {
      const v = values[i];
      if (Number.isNaN(v)) continue;
      if (count === 0) first = v;
      else inc += counterStep(last, v);
      count++;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
      last = v;
    }
    if (count === 0) continue;
    out.startMs[w] = start;
    out.min[w] = min;
    out.max[w] = max;
    out.sum[w] = sum;
    out.count[w] = count;
    out.first[w] = first;
    out.last[w] = last;
    out.increase[w] = inc;
    w++;
  }
  return w === out.startMs.length ? out : sliceRollup(out, 0, w);
}

export function sliceRollup(r: RollupColumns, from: number, to: number): RollupColumns {
  const out = emptyRollup(r.bucketMs);
  for (const f of ROLLUP_FIELDS) out[f] = r[f].slice(from, to);
  return out;
}

export function bucketAt(r: RollupColumns, i: number): RollupBucket {
  return {
    startMs: r.startMs[i],
    min: r.min[i],
    max: r.max[i],
    sum: r.sum[i],
    count: r.count[i],
    first: r.first[i],
    last: r.last[i],
    increase: r.increase[i],
  };
}

/**
 * One bucket computed in two parts (`a` = the earlier points, `b` = the later ones, same startMs).
 * The increase adds the counter step from a's last point to b's first.
 */
export function mergeBuckets(a: RollupBucket, b: RollupBucket): RollupBucket {
  if (a.startMs !== b.startMs) {
    throw new QueryError('BAD_QUERY', `mergeBuckets: buckets start at ${a.startMs} and ${b.startMs}; only parts of one bucket merge`);
  }
  if (a.count === 0) return { ...b };
  if (b.count === 0) return { ...a };
  return {
    startMs: a.startMs,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    sum: a.sum + b.sum,
    count: a.count + b.count,
    first: a.first,
    last: b.last,
    increase: a.increase + b.increase + counterStep(a.last, b.first),
  };
}

/**
 * Merges two rollups of one series and bucket size (e.g. sealed buckets + buckets of the raw tail,
 * or two blocks' rollups) into one ascending column set; a bucket present in both is combined
 * with mergeBuckets, `a` taken as the earlier part.
 */
export function mergeRollups(a: RollupColumns, b: RollupColumns): RollupColumns {
  if (a.bucketMs !== b.bucketMs) {
    throw new QueryError('BAD_QUERY', `mergeRollups: bucket sizes differ (${a.bucketMs} vs ${b.bucketMs} ms)`);
  }
  const out = emptyRollup(a.bucketMs, a.startMs.length + b.startMs.length);
  let i = 0;
  let j = 0;
  let w = 0;
  const put = (x: RollupBucket) => {
    out.startMs[w] = x.startMs;
    out.min[w] = x.min;
    out.max[w] = x.max;
    out.sum[w] = x.sum;
    out.count[w] = x.count;
    out.first[w] = x.first;
    out.last[w] = x.last;
    out.increase[w] = x.increase;
    w++;
  };
  while (i < a.startMs.length || j < b.startMs.length) {
    const ta = i < a.startMs.length ? a.startMs[i] : Infinity;
    const tb = j < b.startMs.length ? b.startMs[j] : Infinity;
    if (ta === tb) put(mergeBuckets(bucketAt(a, i++), bucketAt(b, j++)));
    else if (ta < tb) put(bucketAt(a, i++));
    else put(bucketAt(b, j++));
  }
  return w === out.startMs.length ? out : sliceRollup(out, 0, w);
}

/** Whether a step query can be answered from buckets of `bucketMs` (whole buckets per step, aligned start). */
export function rollupAligned(bucketMs: number, fromMs: number, stepMs: number): boolean {
  return stepMs >= bucketMs && stepMs % bucketMs === 0 && fromMs % bucketMs === 0;
}

/**
 * aggregateSteps answered from rollup buckets. Requires stepMs a multiple of bucketMs and fromMs
 * on a bucket boundary (`UNALIGNED` otherwise). Buckets starting in [fromMs, toMs] count whole, so
 * results equal aggregateSteps on the raw points whenever toMs + 1 is a bucket boundary (or no
 * point lies between toMs and the end of its bucket) — up to floating-point summation order for
 * sum/avg/increase/rate on non-integer values.
 */
export function aggregateRollups(rollup: RollupColumns, opts: StepOptions): StepSeries {
  checkStepOptions(opts);
  const { fromMs, toMs, stepMs, agg } = opts;
  const { bucketMs } = rollup;
  if (!rollupAligned(bucketMs, fromMs, stepMs)) {
    throw new QueryError(
      'UNALIGNED',
      `stepMs ${stepMs} and fromMs ${fromMs} must be whole multiples of the rollup bucket (${bucketMs} ms); ` +
        'align them or query raw data',
    );
  }
  const starts = rollup.startMs;
  const n = starts.length;
  const begin = lowerBound(starts, 0, n, fromMs);
  let end = begin;
  while (end < n && starts[end] <= toMs) end++;
  const cap = Math.min(end - begin, Math.floor((toMs - fromMs) / stepMs) + 1);
  const outTs = new Float64Array(Math.max(0, cap));
  const outV = new Float64Array(Math.max(0, cap));
  let w = 0;
  // Counter baseline: the last bucket before the range (see the header comment).
  let prevLast = begin > 0 ? rollup.last[begin - 1] : NaN;
  const stepSec = stepMs / 1000;
  let i = begin;
  while (i < end) {
    const k = Math.floor((starts[i] - fromMs) / stepMs);
    const stepStart = fromMs + k * stepMs;
    const stepEnd = stepStart + stepMs;
    let count = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    let last = NaN;
    let inc = 0;
    for (; i < end && starts[i] < stepEnd; i++) {
      const c = rollup.count[i];
      if (!(c > 0)) continue;
      count += c;
      sum += rollup.sum[i];
      if (rollup.min[i] < min) min = rollup.min[i];
      if (rollup.max[i] > max) max = rollup.max[i];
      last = rollup.last[i];
      if (!Number.isNaN(prevLast)) inc += counterStep(prevLast, rollup.first[i]);
      inc += rollup.increase[i];
      prevLast = rollup.last[i];
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
    outTs[w] = stepStart;
    outV[w] = out;
    w++;
  }
  return { tsMs: outTs.slice(0, w), values: outV.slice(0, w) };
}
