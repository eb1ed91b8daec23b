// Typed errors of `timeless restore`. Callers (and tests) branch on `code`, never on the message.

export type RestoreErrorCode =
  /** The BACKUP argument is missing, unreadable, or neither a directory nor a .tar.gz. */
  | 'SOURCE_INVALID'
  /** The source holds no metrics/, logs/ or spans/: not a timeless backup. */
  | 'NOT_A_BACKUP'
  /** The target exists and is not empty (and --force was not given). */
  | 'TARGET_NOT_EMPTY'
  /** A running store holds the target (or the source directory). */
  | 'LOCKED'
  /** An archive entry would land outside the target, or is a link/device/unsupported type. */
  | 'UNSAFE_ENTRY'
  /** The archive is cut short, fails its checksums, or is not a tar.gz. */
  | 'BAD_ARCHIVE'
  /** The restored directory does not open as a store. */
  | 'VERIFY_FAILED';

export class RestoreError extends Error {
  readonly code: RestoreErrorCode;
  constructor(code: RestoreErrorCode, message: string, cause?: unknown) {
    super(`timeless: ${message}`, cause === undefined ? undefined : { cause });
    this.name = 'RestoreError';
    this.code = code;
  }
}
