// Typed errors of the SQLite layer (stable `code`s).

export type SqliteErrorCode =
  /** The database could not be opened (missing in readonly mode, not a database, permissions...). */
  | 'OPEN_FAILED'
  /** A migration step failed; the database stays at the last step that succeeded. */
  | 'MIGRATION_FAILED'
  /** The database's user_version is past the steps this build knows. */
  | 'SCHEMA_TOO_NEW'
  /** backupTo() target already exists (VACUUM INTO never overwrites). */
  | 'TARGET_EXISTS';

export class SqliteError extends Error {
  readonly code: SqliteErrorCode;
  constructor(code: SqliteErrorCode, message: string, cause?: unknown) {
    super(`${code}: ${message}`, cause === undefined ? undefined : { cause });
    this.name = 'SqliteError';
    this.code = code;
  }
}
