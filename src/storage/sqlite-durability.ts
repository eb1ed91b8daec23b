// Durability of an SQLite index without a checkpoint on the main thread, for every engine. Engines
// open their index with synchronous=NORMAL (a commit is durable at the next checkpoint) and
// auto-checkpoint off: a checkpoint copies WAL pages into the database file and fsyncs twice, which
// on the main thread showed up as 10-30 ms event-loop stalls during ingest.
// - Main side (syncSqliteWal): before deleting something a commit made redundant (WAL files, segment
//   files), fdatasync the database's `-wal` file from libuv's threads — exactly what
//   synchronous=FULL would have done at commit time, without blocking the event loop.
// - Worker side (checkpointIndex, run by pool.checkpointIndex): keeps the `-wal` file short. A
//   PASSIVE checkpoint from a second connection never takes the writer lock, so the main thread's
//   transactions go on beside it.
import fsp from 'node:fs/promises';
import { openDatabase } from '../sqlite/open.js';

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

export interface IndexCheckpointResult {
  /** Frames in the SQLite WAL when the checkpoint ran. */
  walFrames: number;
  /** Of those, frames now copied into the database file (fewer when a reader still needed them). */
  checkpointedFrames: number;
}

/**
 * PASSIVE never waits for anyone; TRUNCATE (an explicit maintenance point, e.g. logs compactNow())
 * copies everything back and cuts the -wal file to zero bytes once no reader needs it.
 */
export type IndexCheckpointMode = 'PASSIVE' | 'TRUNCATE';

/** Worker side: one short-lived connection per call (no handle outlives the engine that asked). */
export function checkpointIndex(file: string, mode: IndexCheckpointMode = 'PASSIVE'): IndexCheckpointResult {
  const db = openDatabase(file);
  try {
    const [row] = db.pragma(`wal_checkpoint(${mode === 'TRUNCATE' ? 'TRUNCATE' : 'PASSIVE'})`) as Array<{ busy: number; log: number; checkpointed: number }>;
    return { walFrames: Math.max(0, row?.log ?? 0), checkpointedFrames: Math.max(0, row?.checkpointed ?? 0) };
  } finally {
    db.close();
  }
}
