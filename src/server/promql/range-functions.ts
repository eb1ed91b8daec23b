// Functions over a range-vector window: samples [lo, hi) of one series whose times lie within
// [rangeStartMs, rangeEndMs] (both inclusive, as in Prometheus 2.x). Each returns the output value,
// or undefined when the series yields no output at this step (e.g. rate over fewer than 2 samples).
import { kahanSumInc, quantile } from './quantile.js';

export interface Window {
  ts: ArrayLike<number>;
  vs: ArrayLike<number>;
  lo: number;
  /** Exclusive. */
  hi: number;
  rangeStartMs: number;
  rangeEndMs: number;
  rangeMs: number;
}

export type RangeFunction = (w: Window, param: number) => number | undefined;

/**
 * rate / increase / delta: the change between the first and last sample of the window (counter
 * resets added back for counters), extrapolated towards the window edges the way Prometheus does:
 * to an edge when the gap is under 1.1 average sample intervals, else by half an interval; a counter
 * is never extrapolated below zero.
 */
function extrapolatedRate(w: Window, isCounter: boolean, isRate: boolean): number | undefined {
  const { ts, vs, lo, hi } = w;
  const n = hi - lo;
  if (n < 2) return undefined;
  const first = vs[lo];
  let result = vs[hi - 1] - first;
  if (isCounter) {
    let prev = first;
    for (let i = lo + 1; i < hi; i++) {
      const cur = vs[i];
      if (cur < prev) result += prev;
      prev = cur;
    }
  }
  let durationToStart = (ts[lo] - w.rangeStartMs) / 1000;
  const durationToEnd = (w.rangeEndMs - ts[hi - 1]) / 1000;
  const sampledInterval = (ts[hi - 1] - ts[lo]) / 1000;
  const averageInterval = sampledInterval / (n - 1);
  if (isCounter && result > 0 && first >= 0) {
    const durationToZero = sampledInterval * (first / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = averageInterval * 1.1;
  let extrapolateTo = sampledInterval;
  extrapolateTo += durationToStart < threshold ? durationToStart : averageInterval / 2;
  extrapolateTo += durationToEnd < threshold ? durationToEnd : averageInterval / 2;
  let factor = extrapolateTo / sampledInterval;
  if (isRate) factor /= w.rangeMs / 1000;
  return result * factor;
}

/** irate / idelta: the last two samples only (irate treats a drop as a counter reset). */
function instantValue(w: Window, isRate: boolean): number | undefined {
  const { ts, vs, hi } = w;
  if (hi - w.lo < 2) return undefined;
  const last = vs[hi - 1];
  const prev = vs[hi - 2];
  const result = isRate && last < prev ? last : last - prev;
  const intervalMs = ts[hi - 1] - ts[hi - 2];
  if (intervalMs === 0) return undefined;
  return isRate ? result / (intervalMs / 1000) : result;
}

function avgOverTime(w: Window): number {
  let mean = 0;
  let c = 0;
  let count = 0;
  for (let i = w.lo; i < w.hi; i++) {
    const v = w.vs[i];
    count++;
    if (!Number.isFinite(mean) && !Number.isNaN(mean)) {
      // An infinite mean stays as it is unless a NaN or an opposite infinity arrives
      // (subtracting it from itself below would turn it into NaN).
      if (!Number.isFinite(v) && !Number.isNaN(v) && mean > 0 === v > 0) continue;
      if (Number.isFinite(v)) continue;
    }
    [mean, c] = kahanSumInc(v / count - mean / count, mean, c);
  }
  return !Number.isFinite(mean) && !Number.isNaN(mean) ? mean : mean + c;
}

function sumOverTime(w: Window): number {
  let sum = 0;
  let c = 0;
  for (let i = w.lo; i < w.hi; i++) [sum, c] = kahanSumInc(w.vs[i], sum, c);
  return !Number.isFinite(sum) && !Number.isNaN(sum) ? sum : sum + c;
}

/** Welford's running variance (population), with compensated sums. */
function varianceOverTime(w: Window): number {
  let count = 0;
  let mean = 0;
  let cMean = 0;
  let aux = 0;
  let cAux = 0;
  for (let i = w.lo; i < w.hi; i++) {
    const v = w.vs[i];
    count++;
    const delta = v - (mean + cMean);
    [mean, cMean] = kahanSumInc(delta / count, mean, cMean);
    [aux, cAux] = kahanSumInc(delta * (v - (mean + cMean)), aux, cAux);
  }
  return (aux + cAux) / count;
}

function minOverTime(w: Window): number {
  let m = w.vs[w.lo];
  for (let i = w.lo; i < w.hi; i++) {
    const v = w.vs[i];
    if (v < m || Number.isNaN(m)) m = v;
  }
  return m;
}

function maxOverTime(w: Window): number {
  let m = w.vs[w.lo];
  for (let i = w.lo; i < w.hi; i++) {
    const v = w.vs[i];
    if (v > m || Number.isNaN(m)) m = v;
  }
  return m;
}

function changes(w: Window): number {
  let n = 0;
  let prev = w.vs[w.lo];
  for (let i = w.lo + 1; i < w.hi; i++) {
    const cur = w.vs[i];
    if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) n++;
    prev = cur;
  }
  return n;
}

function resets(w: Window): number {
  let n = 0;
  let prev = w.vs[w.lo];
  for (let i = w.lo + 1; i < w.hi; i++) {
    const cur = w.vs[i];
    if (cur < prev) n++;
    prev = cur;
  }
  return n;
}

export const RANGE_FUNCTIONS: ReadonlyMap<string, RangeFunction> = new Map<string, RangeFunction>([
  ['rate', (w) => extrapolatedRate(w, true, true)],
  ['increase', (w) => extrapolatedRate(w, true, false)],
  ['delta', (w) => extrapolatedRate(w, false, false)],
  ['irate', (w) => instantValue(w, true)],
  ['idelta', (w) => instantValue(w, false)],
  ['avg_over_time', avgOverTime],
  ['sum_over_time', sumOverTime],
  ['count_over_time', (w) => w.hi - w.lo],
  ['min_over_time', minOverTime],
  ['max_over_time', maxOverTime],
  ['last_over_time', (w) => w.vs[w.hi - 1]],
  ['stdvar_over_time', varianceOverTime],
  ['stddev_over_time', (w) => Math.sqrt(varianceOverTime(w))],
  ['present_over_time', () => 1],
  ['changes', changes],
  ['resets', resets],
  [
    'quantile_over_time',
    (w, q) => {
      const values: number[] = [];
      for (let i = w.lo; i < w.hi; i++) values.push(w.vs[i]);
      return quantile(q, values);
    },
  ],
]);
