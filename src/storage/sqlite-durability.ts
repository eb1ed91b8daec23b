// Durability of an SQLite index without a checkpoint on the main thread. Engines open their index
// with synchronous=NORMAL (a commit is durable at the next checkpoint) and auto-checkpoint off;
// before deleting something a commit made redundant (WAL files, segment files) they need that
// commit on disk. fdatasync of the database's `-wal` file from libuv's threads gives exactly what
// synchronous=FULL would have at commit time, without blocking the event loop. PASSIVE checkpoints
// run in the pool (pool.checkpointIndex) to keep the SQLite WAL short.
import fsp from 'node:fs/promises';

/** Resolves once every transaction committed on `dbFile` so far is durable. */
export async function syncSqliteWal(dbFile: string): Promise<void> {
  let h: fsp.FileHandle;
  try {
    h = await fsp.open(`${dbFile}-wal`, 'r+');
  } catch (err) {
    // No WAL file: nothing is committed outside the database file (which checkpoints synced).
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    await h.datasync();
  } finally {
    await h.close();
  }
}
