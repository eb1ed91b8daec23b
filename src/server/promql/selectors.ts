// Vector and matrix selectors over pre-fetched samples. Each selector's series are read once for the
// whole query (the union of every step's window); per step a cursor per series moves forward, so a
// range query costs O(series × steps + samples), not a fetch or a search per step.
//
// Windows follow Prometheus 2.x: an instant selector at reference time r takes the newest sample in
// [r − lookback, r] (unless it is a staleness marker); a range selector takes the samples in
// [r − range, r], markers excluded. r = (the @ time, or the step time) − offset.
import type { AtModifier, VectorSelector } from './ast.js';
import type { SeriesData } from './storage.js';
import { isStaleNaN, type Labels, type Vector } from './values.js';
import type { Window } from './range-functions.js';
import { lowerBound } from '../../metrics/query/sorted.js';

export interface QueryTimes {
  startMs: number;
  endMs: number;
  lookbackMs: number;
}

export function atTimeMs(at: AtModifier, q: QueryTimes): number {
  return at.kind === 'time' ? at.ms : at.kind === 'start' ? q.startMs : q.endMs;
}

/** The reference time of a selector at step time t. */
export function refTimeMs(vs: VectorSelector, t: number, q: QueryTimes): number {
  return (vs.at ? atTimeMs(vs.at, q) : t) - vs.offsetMs;
}

/** The sample time range a selector needs over the whole query: [fromMs, toMs]. */
export function fetchRange(vs: VectorSelector, rangeMs: number | undefined, q: QueryTimes): { fromMs: number; toMs: number } {
  const first = refTimeMs(vs, q.startMs, q);
  const last = refTimeMs(vs, q.endMs, q);
  return { fromMs: first - (rangeMs ?? q.lookbackMs), toMs: last };
}

/** One fetched series; `rts/rvs` are the samples without staleness markers (for range windows). */
export interface Series {
  labels: Labels;
  ts: ArrayLike<number>;
  vs: ArrayLike<number>;
  rts: ArrayLike<number>;
  rvs: ArrayLike<number>;
}

export function toSeries(d: SeriesData): Series {
  let stale = 0;
  for (let i = 0; i < d.values.length; i++) if (isStaleNaN(d.values[i])) stale++;
  if (stale === 0) return { labels: d.labels, ts: d.tsMs, vs: d.values, rts: d.tsMs, rvs: d.values };
  const n = d.values.length - stale;
  const rts = new Float64Array(n);
  const rvs = new Float64Array(n);
  for (let i = 0, k = 0; i < d.values.length; i++) {
    if (isStaleNaN(d.values[i])) continue;
    rts[k] = d.tsMs[i];
    rvs[k++] = d.values[i];
  }
  return { labels: d.labels, ts: d.tsMs, vs: d.values, rts, rvs };
}

/** Index of the last element ≤ x (−1 if none). */
function lastAtOrBefore(a: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}


/** Instant-vector selection with one forward-moving cursor per series. */
export class InstantCursor {
  private readonly last: Int32Array;
  private prevRef = Infinity;
  constructor(private readonly series: Series[]) {
    this.last = new Int32Array(series.length).fill(-1);
  }

  select(ref: number, lookbackMs: number): Vector {
    const out: Vector = [];
    const forward = ref >= this.prevRef;
    this.prevRef = ref;
    const minT = ref - lookbackMs;
    for (let i = 0; i < this.series.length; i++) {
      const s = this.series[i];
      const ts = s.ts;
      let j: number;
      if (forward) {
        j = this.last[i];
        while (j + 1 < ts.length && ts[j + 1] <= ref) j++;
      } else {
        j = lastAtOrBefore(ts, ref);
      }
      this.last[i] = j;
      if (j < 0 || ts[j] < minT) continue;
      const v = s.vs[j];
      if (v !== v && isStaleNaN(v)) continue;
      out.push({ labels: s.labels, v, t: ts[j] });
    }
    return out;
  }
}

/** Range windows with forward-moving [lo, hi) cursors per series. */
export class RangeCursor {
  private readonly lo: Int32Array;
  private readonly hi: Int32Array;
  private prevRef = Infinity;
  private readonly w: Window = { ts: [], vs: [], lo: 0, hi: 0, rangeStartMs: 0, rangeEndMs: 0, rangeMs: 0 };
  constructor(readonly series: Series[]) {
    this.lo = new Int32Array(series.length);
    this.hi = new Int32Array(series.length);
  }

  /** Moves every window to [ref − range, ref]; call before window(). */
  advance(ref: number, rangeMs: number): void {
    const forward = ref >= this.prevRef;
    this.prevRef = ref;
    const minT = ref - rangeMs;
    for (let i = 0; i < this.series.length; i++) {
      const ts = this.series[i].rts;
      if (forward) {
        let lo = this.lo[i];
        while (lo < ts.length && ts[lo] < minT) lo++;
        let hi = Math.max(this.hi[i], lo);
        while (hi < ts.length && ts[hi] <= ref) hi++;
        this.lo[i] = lo;
        this.hi[i] = hi;
      } else {
        this.lo[i] = lowerBound(ts, 0, ts.length, minT);
        this.hi[i] = lastAtOrBefore(ts, ref) + 1;
      }
    }
  }

  /** Series i's current window (lo ≥ hi when empty); one reused object, valid until the next call. */
  window(i: number, ref: number, rangeMs: number): Window {
    const s = this.series[i];
    const w = this.w;
    w.ts = s.rts;
    w.vs = s.rvs;
    w.lo = this.lo[i];
    w.hi = this.hi[i];
    w.rangeStartMs = ref - rangeMs;
    w.rangeEndMs = ref;
    w.rangeMs = rangeMs;
    return w;
  }

  size(i: number): number {
    return this.hi[i] - this.lo[i];
  }
}
