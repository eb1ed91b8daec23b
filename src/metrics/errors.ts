// Typed errors of the metrics engine. Callers (and the HTTP layer) branch on `code`, never on the
// message; every message says what was wrong and what to do about it.

export type MetricsErrorCode =
  /** Metric name missing or not of the form [a-zA-Z_:][a-zA-Z0-9_:.]*. */
  | 'INVALID_NAME'
  /** Labels are not a plain object of string values, or a label name is malformed. */
  | 'INVALID_LABELS'
  /** The value is not a number. */
  | 'INVALID_VALUE'
  /** tsMs is not a finite millisecond timestamp in [0, 2^53). */
  | 'INVALID_TIME'
  /** Query parameters are invalid (range, step, agg, matchers). */
  | 'INVALID_QUERY'
  /** Pending (unsealed head + unsynced WAL) bytes passed maxPendingBytes. */
  | 'BACKPRESSURE'
  /** The store was closed. */
  | 'CLOSED';

export class MetricsError extends Error {
  readonly code: MetricsErrorCode;
  constructor(code: MetricsErrorCode, message: string, cause?: unknown) {
    super(`${code}: ${message}`, cause === undefined ? undefined : { cause });
    this.name = 'MetricsError';
    this.code = code;
  }
}
