// Typed storage errors. Callers branch on `code` (stable), never on the message text.

export type StorageErrorCode =
  /** Another live process holds the data directory's LOCK file. */
  | 'DATA_DIR_LOCKED'
  /** A block failed its magic/version/length/crc check, or the segment ends before it. */
  | 'CORRUPT_BLOCK'
  /** A WAL frame failed its check in a file that is not the last one (the tail is truncated instead). */
  | 'WAL_CORRUPT'
  /** The object was closed; reopen it. */
  | 'CLOSED'
  /** The operating system refused a read/write/sync; `cause` holds the original error. */
  | 'IO';

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  /** Where it happened (file, offset, seq...), for logs and the query's "skipped" report. */
  readonly details: Record<string, unknown>;

  constructor(code: StorageErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(`${code}: ${message}`, cause === undefined ? undefined : { cause });
    this.name = 'StorageError';
    this.code = code;
    this.details = details;
  }
}

/** Wraps an fs error as StorageError IO with what we were doing; StorageErrors pass through. */
export function ioError(what: string, file: string, err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  const sys = (err as NodeJS.ErrnoException | undefined)?.code;
  const msg = err instanceof Error ? err.message : String(err);
  return new StorageError(
    'IO',
    `${what} failed for ${file}: ${msg}` + (sys === 'ENOSPC' ? ' (disk full: free space, then retry)' : ''),
    { file, errno: sys },
    err,
  );
}
