// Opens a better-sqlite3 database with the pragmas every engine relies on. One connection per thread
// that needs it; WAL journal mode lets readers in workers run beside the main thread's writer.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteError } from './errors.js';

export type Db = Database.Database;

export interface OpenDatabaseOptions {
  /** Open read-only (the file must exist; journal mode is left as the writer set it). */
  readonly?: boolean;
  /** How long a statement waits for another connection's lock before SQLITE_BUSY. Default 5000. */
  busyTimeoutMs?: number;
  /**
   * SQLite page size of a NEW database file (a power of two in 512..65536; SQLite's default is
   * 4096). Every table and index takes at least one page, so a small page keeps an almost-empty
   * index small. Applied only when the file has no page yet: SQLite fixes the size with the first
   * page written (here, switching to WAL writes it) and a database in WAL mode never changes it, so
   * an existing file keeps the size it was created with. Ignored read-only.
   */
  pageSizeBytes?: number;
  /**
   * For a new file: `auto_vacuum = INCREMENTAL`, so `PRAGMA incremental_vacuum` can give the pages of
   * deleted rows back to the file system (it must be set before the first table exists; an existing
   * file keeps its mode). Ignored read-only.
   */
  autoVacuum?: boolean;
}

/** Throws a RangeError unless `n` is a page size SQLite accepts. */
function checkPageSize(n: number): void {
  if (!Number.isInteger(n) || n < 512 || n > 65536 || (n & (n - 1)) !== 0) {
    throw new RangeError(`pageSizeBytes must be a power of two in 512..65536, got ${String(n)}`);
  }
}

/**
 * Opens (creating the parent directories and the file unless readonly) with journal_mode=WAL,
 * synchronous=NORMAL (durable at checkpoints; our own WAL carries the acknowledged data),
 * foreign_keys=ON and a busy timeout (and, for a new file, `pageSizeBytes` and `autoVacuum`).
 */
export function openDatabase(file: string, opts: OpenDatabaseOptions = {}): Db {
  const readonly = opts.readonly ?? false;
  const busyTimeoutMs = opts.busyTimeoutMs ?? 5000;
  if (opts.pageSizeBytes !== undefined) checkPageSize(opts.pageSizeBytes);
  let db: Db;
  try {
    if (!readonly) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    db = new Database(file, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
  } catch (err) {
    throw new SqliteError(
      'OPEN_FAILED',
      `cannot open SQLite database ${file}${readonly ? ' read-only' : ''}: ${(err as Error).message}`,
      err,
    );
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    if (!readonly) {
      // Before the journal mode: switching a new file to WAL writes its first page.
      if (db.pragma('page_count', { simple: true }) === 0) {
        if (opts.pageSizeBytes !== undefined) db.pragma(`page_size = ${opts.pageSizeBytes}`);
        if (opts.autoVacuum) db.pragma('auto_vacuum = INCREMENTAL');
      }
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (String(mode).toLowerCase() !== 'wal') throw new Error(`journal_mode stayed '${mode}'`);
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
  } catch (err) {
    db.close();
    throw new SqliteError('OPEN_FAILED', `cannot configure SQLite database ${file}: ${(err as Error).message}`, err);
  }
  return db;
}

/**
 * Writes a compacted, consistent copy of `db` to `targetFile` with VACUUM INTO (a single transaction,
 * so it is safe while other connections write). The target must not exist; parents are created.
 */
export function backupTo(db: Db, targetFile: string): void {
  const target = path.resolve(targetFile);
  if (fs.existsSync(target)) {
    throw new SqliteError('TARGET_EXISTS', `backup target ${target} already exists; choose a new file or remove it`);
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  db.prepare('VACUUM INTO ?').run(target);
}
