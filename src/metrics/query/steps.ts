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
//
// StepAggregator is the streaming form: the read path feeds it each decoded block in time order
// (straight from the decoder's scratch memory) instead of merging the blocks into one array first.
// aggregateSteps is one add() of the whole input, so both give the same bits. The inner loops are
// one per kind of agg (sum/avg/count, min, max, last, counter): no per-point branch on the agg.

import { checkColumns, checkStepOptions, counterStep } from './validate.js';
import type { StepOptions, StepSeries } from './types.js';
import { lowerBound, upperBound } from './sorted.js';

export function aggregateSteps(tsMs: ArrayLike<number>, values: ArrayLike<number>, opts: StepOptions): StepSeries {
  const acc = new StepAggregator(opts, tsMs.length);
  checkColumns(tsMs, values);
  acc.add(tsMs, values, 0, tsMs.length);
  return acc.finish();
}

const SUM = 0; // avg, sum, count
const MIN = 1;
const MAX = 2;
const LAST = 3;
const COUNTER = 4; // rate, increase

/** Buckets allocated before the first grow when the caller gives no point count. */
const INITIAL_BUCKETS = 64;

/**
 * Step aggregation over chunks fed in ascending time order (each chunk sorted, every point of a
 * chunk after every point of the previous one). A bucket may span chunks.
 */
export class StepAggregator {
  private readonly fromMs: number;
  private readonly toMs: number;
  private readonly stepMs: number;
  private readonly agg: StepOptions['agg'];
  private readonly kind: number;
  private readonly maxBuckets: number;
  private outTs: Float64Array;
  private outV: Float64Array;
  private w = 0;
  // The open bucket (bucketEnd = -Infinity: none yet) and its accumulators.
  private bucketStart = 0;
  private bucketEnd = -Infinity;
  private count = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;
  private last = NaN;
  private inc = 0;
  /** Counter baseline: the last non-NaN value seen (before fromMs, or in range). */
  private prev = NaN;

  /** `pointsHint`: an upper bound of the points to come, when known (sizes the output once). */
  constructor(opts: StepOptions, pointsHint = Infinity) {
    checkStepOptions(opts);
    this.fromMs = opts.fromMs;
    this.toMs = opts.toMs;
    this.stepMs = opts.stepMs;
    this.agg = opts.agg;
    this.kind = kindOf(opts.agg);
    this.maxBuckets = Math.floor((opts.toMs - opts.fromMs) / opts.stepMs) + 1;
    const cap = Math.max(0, Math.min(this.maxBuckets, pointsHint === Infinity ? INITIAL_BUCKETS : pointsHint));
    this.outTs = new Float64Array(cap);
    this.outV = new Float64Array(cap);
  }

  /** Feeds points [lo, hi) of one chunk. */
  add(tsMs: ArrayLike<number>, values: ArrayLike<number>, lo: number, hi: number): void {
    const { fromMs } = this;
    const end = upperBound(tsMs, lo, hi, this.toMs);
    let i = lo;
    if (i < end && tsMs[i] < fromMs) {
      const first = lowerBound(tsMs, i, end, fromMs);
      if (this.kind === COUNTER) {
        for (let j = first - 1; j >= i; j--) {
          if (!Number.isNaN(values[j])) {
            this.prev = values[j];
            break;
          }
        }
      }
      i = first;
    }
    while (i < end) {
      if (!(tsMs[i] < this.bucketEnd)) this.open(tsMs[i]);
      const from = i;
      i = this.fill(tsMs, values, i, end);
      // Never stall (a bucket bound lost to rounding, or a NaN timestamp): drop the point.
      if (i === from) i++;
    }
  }

  /** The step outputs (exact-length columns); the aggregator is spent. */
  finish(): StepSeries {
    this.close();
    if (this.w === this.outTs.length) return { tsMs: this.outTs, values: this.outV };
    return { tsMs: this.outTs.slice(0, this.w), values: this.outV.slice(0, this.w) };
  }

  private open(t: number): void {
    this.close();
    const k = Math.floor((t - this.fromMs) / this.stepMs);
    this.bucketStart = this.fromMs + k * this.stepMs;
    this.bucketEnd = this.bucketStart + this.stepMs;
  }

  /** Accumulates points from i while they are in the open bucket; returns the next index. */
  private fill(ts: ArrayLike<number>, vs: ArrayLike<number>, i: number, end: number): number {
    const be = this.bucketEnd;
    switch (this.kind) {
      case SUM: {
        let sum = this.sum;
        let count = this.count;
        for (; i < end && ts[i] < be; i++) {
          const v = vs[i];
          if (v === v) {
            sum += v;
            count++;
          }
        }
        this.sum = sum;
        this.count = count;
        return i;
      }
      case MIN: {
        let min = this.min;
        let count = this.count;
        for (; i < end && ts[i] < be; i++) {
          const v = vs[i];
          if (v === v) {
            if (v < min) min = v;
            count++;
          }
        }
        this.min = min;
        this.count = count;
        return i;
      }
      case MAX: {
        let max = this.max;
        let count = this.count;
        for (; i < end && ts[i] < be; i++) {
          const v = vs[i];
          if (v === v) {
            if (v > max) max = v;
            count++;
          }
        }
        this.max = max;
        this.count = count;
        return i;
      }
      case LAST: {
        let last = this.last;
        let count = this.count;
        for (; i < end && ts[i] < be; i++) {
          const v = vs[i];
          if (v === v) {
            last = v;
            count++;
          }
        }
        this.last = last;
        this.count = count;
        return i;
      }
      default: {
        let prev = this.prev;
        let inc = this.inc;
        let count = this.count;
        for (; i < end && ts[i] < be; i++) {
          const v = vs[i];
          if (v === v) {
            if (prev === prev) inc += counterStep(prev, v);
            prev = v;
            count++;
          }
        }
        this.prev = prev;
        this.inc = inc;
        this.count = count;
        return i;
      }
    }
  }

  /** Emits the open bucket if it holds a point, and resets the accumulators (not the baseline). */
  private close(): void {
    if (this.count > 0) {
      let out: number;
      switch (this.agg) {
        case 'avg':
          out = this.sum / this.count;
          break;
        case 'min':
          out = this.min;
          break;
        case 'max':
          out = this.max;
          break;
        case 'sum':
          out = this.sum;
          break;
        case 'count':
          out = this.count;
          break;
        case 'last':
          out = this.last;
          break;
        case 'increase':
          out = this.inc;
          break;
        case 'rate':
          out = this.inc / (this.stepMs / 1000);
          break;
      }
      if (this.w === this.outTs.length) this.grow();
      this.outTs[this.w] = this.bucketStart;
      this.outV[this.w] = out;
      this.w++;
    }
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
    this.last = NaN;
    this.inc = 0;
  }

  private grow(): void {
    const cap = Math.min(this.maxBuckets, Math.max(INITIAL_BUCKETS, 2 * this.outTs.length));
    const ts = new Float64Array(cap);
    const vs = new Float64Array(cap);
    ts.set(this.outTs);
    vs.set(this.outV);
    this.outTs = ts;
    this.outV = vs;
  }
}

function kindOf(agg: StepOptions['agg']): number {
  switch (agg) {
    case 'avg':
    case 'sum':
    case 'count':
      return SUM;
    case 'min':
      return MIN;
    case 'max':
      return MAX;
    case 'last':
      return LAST;
    default:
      return COUNTER;
  }
}
