// Shapes shared by the query layer. Plain data only, so every value here can cross a worker
// boundary by structured clone (or by transfer, for the Float64Array columns).

/** Label set of one series, without the metric name. Empty values mean "label absent". */
export type Labels = Record<string, string>;

export type MatchOp = '=' | '!=' | '=~' | '!~';

/** One label matcher with Prometheus semantics (regexes fully anchored; absent label = ""). */
export interface Matcher {
  label: string;
  op: MatchOp;
  value: string;
}

/** Per-series step aggregations. */
export type StepAgg = 'avg' | 'min' | 'max' | 'sum' | 'count' | 'last' | 'rate' | 'increase';
export const STEP_AGGS: readonly StepAgg[] = ['avg', 'min', 'max', 'sum', 'count', 'last', 'rate', 'increase'];

export interface StepOptions {
  /** First bucket starts here; points before it are ignored (except as counter baseline). */
  fromMs: number;
  /** Inclusive end of the range; points after it are ignored. */
  toMs: number;
  /** Bucket width; buckets are [fromMs + k·stepMs, fromMs + (k+1)·stepMs). */
  stepMs: number;
  agg: StepAgg;
}

/** A series of points or of step outputs: parallel arrays, sorted by time. */
export interface TimeSeries {
  tsMs: ArrayLike<number>;
  values: ArrayLike<number>;
}

/** Output of the aggregations: exact-length columns (transferable). */
export interface StepSeries {
  tsMs: Float64Array;
  values: Float64Array;
}
