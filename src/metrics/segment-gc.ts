// Deleting segment files that no live block references (after compaction or retention). A file is
// only deleted when, at that very moment, no block row points into it and no allocation or pool read
// holds it; the row deletions are made durable first (an fdatasync of SQLite's -wal from libuv's
// threads, never a checkpoint on the main thread: that copies pages and fsyncs the database file).
import path from 'node:path';
import { syncSqliteWal } from '../storage/sqlite-durability.js';
import type { MetricsEngine } from './engine.js';

export async function deleteDeadSegments(e: MetricsEngine): Promise<{ files: number; bytes: number }> {
  const dbFile = path.join(e.root, 'index.db');
  await e.readsIdle();
  await syncSqliteWal(dbFile);
  const liveStmt = e.db.prepare('SELECT 1 FROM blocks b JOIN segments s ON s.id = b.segment_id WHERE s.path = ? LIMIT 1').pluck();
  const deleted: string[] = [];
  let bytes = 0;
  for (const f of e.allocator.files()) {
    // Synchronous check + synchronous forget (deleteFile drops it from the allocator before awaiting).
    if (e.pins.has(f.file) || liveStmt.get(f.file) !== undefined) continue;
    const done = e.allocator.deleteFile(f.file);
    deleted.push(f.file);
    bytes += f.bytes;
    await done;
  }
  e.index.pruneSegments(deleted);
  // Freed index pages go back to the file system (auto_vacuum = INCREMENTAL); in WAL mode the file
  // shrinks at the checkpoint, run by a pool worker's own connection.
  e.db.pragma('incremental_vacuum');
  await e.pool.checkpointIndex(dbFile, 'TRUNCATE');
  return { files: deleted.length, bytes };
}
