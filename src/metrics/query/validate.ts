// Parameter checks shared by the step and rollup aggregations: one place for the error texts.

import { QueryError } from './errors.js';
import { STEP_AGGS, type StepAgg, type StepOptions } from './types.js';

export function checkStepOptions(opts: StepOptions): void {
  const { fromMs, toMs, stepMs, agg } = opts;
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) {
    throw new QueryError('BAD_QUERY', `fromMs (${fromMs}) and toMs (${toMs}) must be finite millisecond timestamps`);
  }
  if (fromMs > toMs) {
    throw new QueryError('BAD_QUERY', `fromMs (${fromMs}) is after toMs (${toMs}); swap them or widen the range`);
  }
  if (!Number.isFinite(stepMs) || stepMs <= 0) {
    throw new QueryError('BAD_QUERY', `stepMs must be a positive number of milliseconds, got ${stepMs}`);
  }
  checkAgg(agg);
}

export function checkAgg(agg: string): asserts agg is StepAgg {
  if (!(STEP_AGGS as readonly string[]).includes(agg)) {
    throw new QueryError('BAD_QUERY', `unknown agg ${JSON.stringify(agg)}; use one of ${STEP_AGGS.join('|')}`);
  }
}

export function checkColumns(tsMs: ArrayLike<number>, values: ArrayLike<number>): void {
  if (tsMs.length !== values.length) {
    throw new QueryError('BAD_QUERY', `tsMs has ${tsMs.length} entries but values has ${values.length}; they must be parallel`);
  }
}

/** Counter increase from `prev` to `cur`: a drop is a reset, after which `cur` is the increase since it. */
export function counterStep(prev: number, cur: number): number {
  return cur >= prev ? cur - prev : cur;
}
