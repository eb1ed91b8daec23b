// The pure query layer of the metrics engine: no I/O, no SQLite, no pool. Everything here runs
// the same on the main thread (small queries) and inside a pool worker (large ones).

export { QueryError, type QueryErrorCode } from './errors.js';
export type { Labels, Matcher, MatchOp, StepAgg, StepOptions, StepSeries, TimeSeries } from './types.js';
export { STEP_AGGS } from './types.js';
export { LabelIndex, METRIC_NAME_LABEL } from './label-index.js';
export { compileMatcher, matcherAccepts, type CompiledMatcher } from './matchers.js';
export { aggregateSteps } from './steps.js';
export { combineSeries, compareLabels, groupKey, groupLabels, groupSeries, type LabeledSeries } from './combine.js';
export {
  aggregateRollups,
  bucketAt,
  DAY_MS,
  emptyRollup,
  HOUR_MS,
  mergeBuckets,
  mergeRollups,
  rollupAligned,
  rollupBuckets,
  ROLLUP_FIELDS,
  sliceRollup,
  type RollupBucket,
  type RollupColumns,
  type RollupField,
} from './rollups.js';
export { counterStep } from './validate.js';
