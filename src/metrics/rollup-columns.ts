// Rollup buckets as columns (the form the rollup codec stores): computing them from sorted points,
// and merging partial buckets of the same start (a bucket sealed in two blocks, or compaction).
// Semantics match the query layer's rollup buckets: counter-aware `increase` inside a bucket,
// `first`/`last` so increases across bucket and block boundaries can be recovered.
import { emptyRollup, type RollupColumns } from './rollup-codec.js';

const counterStep = (prev: number, cur: number) => (cur >= prev ? cur - prev : cur);

/** Buckets of width bucketMs (aligned to the epoch) over sorted points; NaN values are skipped. */
export function bucketize(tsMs: Float64Array, values: Float64Array, bucketMs: number): RollupColumns {
  const n = tsMs.length;
  const out = emptyRollup(n === 0 ? 0 : Math.min(n, Math.floor((tsMs[n - 1] - tsMs[0]) / bucketMs) + 2));
  let w = 0;
  let i = 0;
  while (i < n) {
    const start = tsMs[i] - (((tsMs[i] % bucketMs) + bucketMs) % bucketMs);
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
  return sliceRollup(out, 0, w);
}

export function sliceRollup(c: RollupColumns, from: number, to: number): RollupColumns {
  return {
    startMs: c.startMs.slice(from, to),
    min: c.min.slice(from, to),
    max: c.max.slice(from, to),
    sum: c.sum.slice(from, to),
    count: c.count.slice(from, to),
    first: c.first.slice(from, to),
    last: c.last.slice(from, to),
    increase: c.increase.slice(from, to),
  };
}

/**
 * Merges bucket lists given in write order (oldest first) into one sorted list; buckets with the
 * same start combine (the earlier-written part supplies `first`, the later one `last`, and the
 * counter step between them joins the increases).
 */
export function mergeRollups(parts: RollupColumns[]): RollupColumns {
  const live = parts.filter((p) => p.startMs.length > 0);
  if (live.length === 0) return emptyRollup(0);
  if (live.length === 1) return live[0];
  let total = 0;
  for (const p of live) total += p.startMs.length;
  // (part, row) pairs ordered by (startMs, part): a stable sort keeps write order within a bucket.
  const refs: Array<[number, number]> = [];
  for (let k = 0; k < live.length; k++) for (let r = 0; r < live[k].startMs.length; r++) refs.push([k, r]);
  refs.sort((a, b) => live[a[0]].startMs[a[1]] - live[b[0]].startMs[b[1]] || a[0] - b[0]);
  const out = emptyRollup(total);
  let w = -1;
  for (const [k, r] of refs) {
    const p = live[k];
    const s = p.startMs[r];
    if (w >= 0 && out.startMs[w] === s) {
      out.min[w] = Math.min(out.min[w], p.min[r]);
      out.max[w] = Math.max(out.max[w], p.max[r]);
      out.sum[w] += p.sum[r];
      out.count[w] += p.count[r];
      out.increase[w] += counterStep(out.last[w], p.first[r]) + p.increase[r];
      out.last[w] = p.last[r];
    } else {
      w++;
      out.startMs[w] = s;
      out.min[w] = p.min[r];
      out.max[w] = p.max[r];
      out.sum[w] = p.sum[r];
      out.count[w] = p.count[r];
      out.first[w] = p.first[r];
      out.last[w] = p.last[r];
      out.increase[w] = p.increase[r];
    }
  }
  return sliceRollup(out, 0, w + 1);
}

/** The buckets whose start lies in [fromMs, toMs]. */
export function clipRollup(c: RollupColumns, fromMs: number, toMs: number): RollupColumns {
  let lo = 0;
  while (lo < c.startMs.length && c.startMs[lo] < fromMs) lo++;
  let hi = lo;
  while (hi < c.startMs.length && c.startMs[hi] <= toMs) hi++;
  return lo === 0 && hi === c.startMs.length ? c : sliceRollup(c, lo, hi);
}

/**
 * Step aggregation over buckets (stepMs a whole number of buckets, fromMs bucket-aligned): the
 * rollup twin of aggregateSteps, same output shape and counter semantics (the step from the bucket
 * before fromMs, when present, is credited to the first output bucket).
 */
export function aggregateRollupSteps(
  c: RollupColumns,
  opts: { fromMs: number; toMs: number; stepMs: number; agg: string },
): { tsMs: Float64Array; values: Float64Array } {
  const { fromMs, toMs, stepMs, agg } = opts;
  const n = c.startMs.length;
  const outTs = new Float64Array(n);
  const outV = new Float64Array(n);
  let w = 0;
  let i = 0;
  let prevLast = NaN;
  while (i < n && c.startMs[i] < fromMs) prevLast = c.last[i++];
  const perSec = 1000 / stepMs;
  while (i < n && c.startMs[i] <= toMs) {
    const k = Math.floor((c.startMs[i] - fromMs) / stepMs);
    const stepStart = fromMs + k * stepMs;
    const stepEnd = stepStart + stepMs;
    let count = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    let last = NaN;
    let inc = 0;
    for (; i < n && c.startMs[i] < stepEnd && c.startMs[i] <= toMs; i++) {
      count += c.count[i];
      sum += c.sum[i];
      if (c.min[i] < min) min = c.min[i];
      if (c.max[i] > max) max = c.max[i];
      if (!Number.isNaN(prevLast)) inc += counterStep(prevLast, c.first[i]);
      inc += c.increase[i];
      last = c.last[i];
      prevLast = last;
    }
    if (count === 0) continue;
    let v: number;
    switch (agg) {
      case 'avg': v = sum / count; break;
      case 'min': v = min; break;
      case 'max': v = max; break;
      case 'sum': v = sum; break;
      case 'count': v = count; break;
      case 'last': v = last; break;
      case 'increase': v = inc; break;
      default: v = inc * perSec; break; // rate
    }
    outTs[w] = stepStart;
    outV[w] = v;
    w++;
  }
  return { tsMs: outTs.slice(0, w), values: outV.slice(0, w) };
}
