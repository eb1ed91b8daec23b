// Typed errors of the traces engine. Callers (and the HTTP layer) branch on `code`, never on the
// message; every message names the field that was wrong and says what to pass instead.
import { CodecError } from '../codec/errors.js';

export type TracesErrorCode =
  /** The span is not a valid SpanInput (bad ids, name not a string, unknown kind, bad attributes...). */
  | 'INVALID_SPAN'
  /** A start, end or event time is missing, not an epoch timestamp in [0, 2^63) ns, or end < start. */
  | 'INVALID_TIME'
  /** Query parameters are invalid (range, limit, filters). */
  | 'INVALID_QUERY'
  /** The cursor is not one this engine produced. */
  | 'INVALID_CURSOR'
  /** Pending (hot tail + unsynced WAL) bytes passed maxPendingBytes: retry after flush(). */
  | 'BACKPRESSURE'
  /** The store was closed (or is closing). */
  | 'CLOSED';

export class TracesError extends Error {
  readonly code: TracesErrorCode;
  constructor(code: TracesErrorCode, message: string, cause?: unknown) {
    super(`${code}: ${message}`, cause === undefined ? undefined : { cause });
    this.name = 'TracesError';
    this.code = code;
  }
}

/**
 * The span record writer's refusal of a span (CodecError INVALID_INPUT: attributes JSON cannot keep,
 * ids that are not hex) as the caller's INVALID_SPAN; any other error is returned unchanged. The
 * write path leaves those checks to the writer (normalize.ts `recordChecks`), so it needs this.
 */
export function spanInputError(err: unknown): unknown {
  if (!(err instanceof CodecError) || err.code !== 'INVALID_INPUT') return err;
  const prefix = 'INVALID_INPUT: ';
  return new TracesError('INVALID_SPAN', err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message, err);
}
