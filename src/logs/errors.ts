// Typed errors of the logs engine. Callers (and the HTTP layer) branch on `code`, never on the
// message; every message says what was wrong and what to do about it.

export type LogsErrorCode =
  /** The entry is not a valid LogInput (message not a string, bad ids, attributes not an object...). */
  | 'INVALID_ENTRY'
  /** tsMs / tsNs is not a valid epoch timestamp. */
  | 'INVALID_TIME'
  /** The level is not a known level name or an OTel severity number 1..24. */
  | 'INVALID_LEVEL'
  /** Query parameters are invalid (range, limit, filters). */
  | 'INVALID_QUERY'
  /** The cursor is not one this engine produced. */
  | 'INVALID_CURSOR'
  /** Pending (hot tail + unsynced WAL) bytes passed maxPendingBytes. */
  | 'BACKPRESSURE'
  /** The store was closed. */
  | 'CLOSED';

export class LogsError extends Error {
  readonly code: LogsErrorCode;
  constructor(code: LogsErrorCode, message: string, cause?: unknown) {
    super(`${code}: ${message}`, cause === undefined ? undefined : { cause });
    this.name = 'LogsError';
    this.code = code;
  }
}
