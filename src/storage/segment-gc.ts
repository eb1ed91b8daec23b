// Deleting segment files no live block references (after compaction or retention), for any engine
// built on SegmentSet + EventBlockIndex. A file goes only when, at that very moment, no index row
// points into it and no allocation, copy or read holds it; the deleting transaction is made durable
// first (an fdatasync of the SQLite WAL from libuv's threads, never a checkpoint on the main thread),
// so a crash can never leave rows pointing at a deleted file.
import type { EventBlockIndex } from './event-index.js';
import type { FilePins } from './mutex.js';
import type { SegmentSet } from './segment-set.js';
import { syncSqliteWal } from './sqlite-durability.js';

export interface SegmentGcDeps {
  index: EventBlockIndex;
  segments: SegmentSet;
  pins: FilePins;
  /** Absolute path of the index database (its -wal is synced). */
  dbFile: string;
  /** Resolves once no pool read of segment files is in flight. */
  readsIdle: () => Promise<void>;
}

export async function deleteDeadSegments(d: SegmentGcDeps): Promise<{ files: number; bytes: number }> {
  await d.readsIdle();
  await syncSqliteWal(d.dbFile);
  const deleted: string[] = [];
  let bytes = 0;
  for (const f of d.segments.files()) {
    // Synchronous check + synchronous forget (deleteFile drops it from the allocator before awaiting).
    if (d.pins.has(f.file) || d.index.hasLiveBlock(f.file)) continue;
    const done = d.segments.deleteFile(f.file);
    deleted.push(f.file);
    bytes += f.bytes;
    await done;
  }
  d.index.pruneSegments(deleted);
  d.index.releaseFreePages();
  return { files: deleted.length, bytes };
}
