// SQLite checkpoints of metrics/index.db, run in a pool worker. The engine's connection has
// auto-checkpoint off: a checkpoint copies WAL pages into the database file and fsyncs twice, which
// on the main thread showed up as 10-30 ms event-loop stalls during ingest. A PASSIVE checkpoint from
// a second connection never takes the writer lock, so the main thread's transactions go on beside it.
import fsp from 'node:fs/promises';
import { openDatabase } from '../sqlite/open.js';

export interface IndexCheckpointResult {
  /** Frames in the SQLite WAL when the checkpoint ran. */
  walFrames: number;
  /** Of those, frames now copied into the database file (fewer when a reader still needed them). */
  checkpointedFrames: number;
}

/** Worker side: one short-lived connection per call (no handle outlives the engine that asked). */
export function checkpointIndex(file: string): IndexCheckpointResult {
  const db = openDatabase(file);
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    return { walFrames: Math.max(0, row?.log ?? 0), checkpointedFrames: Math.max(0, row?.checkpointed ?? 0) };
  } finally {
    db.close();
  }
}

/**
 * Main side: makes every transaction committed on `file` so far durable without a checkpoint on the
 * main thread, by fdatasyncing its SQLite WAL (`<file>-wal`) from libuv's threads — what
 * synchronous=FULL would do at each commit. Frames already checkpointed are in the database file,
 * which the checkpoint synced. No WAL file means nothing is committed outside the database file.
 */
export async function syncIndexWal(file: string): Promise<void> {
  let h: fsp.FileHandle;
  try {
    h = await fsp.open(`${file}-wal`, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    await h.datasync();
  } finally {
    await h.close();
  }
}
