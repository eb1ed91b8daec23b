// HTTP errors: every error answer is JSON `{ error: { code, message, requestId? } }` (DESIGN.md §7),
// never a stack trace. Engine errors keep their stable codes; the status comes from the code.
import { MetricsError } from '../metrics/errors.js';
import { LogsError } from '../logs/errors.js';
import { TracesError } from '../traces/errors.js';
import { StorageError } from '../storage/errors.js';

export type HttpErrorCode =
  | 'BAD_REQUEST'
  | 'INVALID_BODY'
  | 'BODY_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNSUPPORTED_ENCODING'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'BACKPRESSURE'
  | 'UNAVAILABLE'
  | 'INTERNAL'
  | string;

export class HttpError extends Error {
  readonly status: number;
  readonly code: HttpErrorCode;
  readonly headers: Record<string, string>;
  constructor(status: number, code: HttpErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** Seconds a client should wait after a 429 before it retries (the engines drain within ~1 s). */
export const RETRY_AFTER_SEC = 1;

function statusOfCode(code: string): number {
  if (code === 'BACKPRESSURE') return 429;
  if (code === 'CLOSED' || code === 'DATA_DIR_LOCKED') return 503;
  if (code.startsWith('INVALID_')) return 400;
  return 500;
}

/**
 * Any thrown value as an HttpError. Engine errors keep their code and message (they are written for
 * the caller); anything else becomes INTERNAL with a generic message so no internals leak.
 */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof MetricsError || err instanceof LogsError || err instanceof TracesError || err instanceof StorageError) {
    const code = err.code;
    // A full disk is 507 Insufficient Storage (RFC 4918): still a 5xx that clients retry, but it
    // says what an operator has to do. The body keeps the code (IO) and the message.
    const full = err instanceof StorageError && err.details.errno === 'ENOSPC';
    const status = full ? 507 : statusOfCode(code);
    const prefix = `${code}: `;
    const message = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
    if (status >= 500) return new HttpError(status, code, message);
    return new HttpError(status, code, message, status === 429 ? { 'Retry-After': String(RETRY_AFTER_SEC) } : {});
  }
  // SQLite could not grow an index file (better-sqlite3's SqliteError, code SQLITE_FULL): the same
  // full disk as a segment or WAL write, so the same answer, not an anonymous INTERNAL.
  if ((err as { code?: unknown } | null)?.code === 'SQLITE_FULL') {
    return new HttpError(507, 'IO', 'an index database could not be written: disk full (free space, then retry)');
  }
  return new HttpError(500, 'INTERNAL', 'internal error; the server log has the details');
}

export function errorJson(err: HttpError, requestId?: string): { error: { code: string; message: string; requestId?: string } } {
  return { error: { code: err.code, message: err.message, ...(requestId ? { requestId } : {}) } };
}

/** True when an engine error is about the input (so the rest of a batch may still be written). */
export function isInputError(err: unknown): boolean {
  if (!(err instanceof MetricsError || err instanceof LogsError || err instanceof TracesError)) return false;
  return err.code.startsWith('INVALID_');
}
