// Retention of an event store (logs, spans): by age (blocks whose newest event is older than
// maxAgeSec) and by size (while the store's directory - SQLite's transient -wal/-shm aside - is over
// maxBytes, whole segment files go, the file whose newest event is oldest first; engines size segment
// files to a fraction of maxBytes so this is fine-grained). Rows are deleted in one transaction under
// the read gate, then segment files without a live block are deleted. The sealed-sequence watermark
// is untouched, so WAL replay never brings deleted events back.
import fsp from 'node:fs/promises';
import type Database from 'better-sqlite3';
import { duBytes } from './disk-usage.js';
import type { EventBlockIndex } from './event-index.js';
import type { ReadGate } from './read-gate.js';
import { deleteDeadSegments, type SegmentGcDeps } from './segment-gc.js';
import type { SegmentSet } from './segment-set.js';

export interface ResolvedEventRetention {
  maxAgeSec: number;
  maxBytes: number;
}

export interface EventRetentionReport {
  blocksDeleted: number;
  /** Events (entries, spans) in the deleted blocks. */
  eventsDeleted: number;
  filesDeleted: number;
  bytesFreed: number;
}

/** What retention needs of an event engine. */
export interface EventRetentionHost {
  readonly isClosed: boolean;
  /** The store's directory (logs/, spans/). */
  readonly root: string;
  readonly dbFile: string;
  readonly db: Database.Database;
  readonly index: EventBlockIndex;
  readonly segments: SegmentSet;
  readonly gate: ReadGate;
  gcDeps(): SegmentGcDeps;
}

export async function runEventRetention(e: EventRetentionHost, r: ResolvedEventRetention, nowMs: number): Promise<EventRetentionReport> {
  const report: EventRetentionReport = { blocksDeleted: 0, eventsDeleted: 0, filesDeleted: 0, bytesFreed: 0 };
  if (e.isClosed) return report;
  const horizonNs = BigInt(Math.floor(nowMs - r.maxAgeSec * 1000)) * 1_000_000n;
  await drop(e, e.index.olderThan(horizonNs), report);
  let over = (await storedBytes(e)) - r.maxBytes;
  if (over > 0) {
    const doomed: Array<{ id: number; count: number }> = [];
    for (const f of e.index.segmentUsage()) {
      if (over <= 0) break;
      doomed.push(...e.index.blocksInFile(f.file));
      over -= e.segments.files().find((x) => x.file === f.file)?.bytes ?? f.end;
    }
    await drop(e, doomed, report);
  }
  return report;
}

/**
 * Bytes under the store's directory that retention can act on: segments, index.db and our WAL.
 * SQLite's own -wal and -shm are left out: bounded (journal_size_limit) and transient (reset at
 * every checkpoint), they would otherwise make a burst of commits delete data.
 */
export async function storedBytes(e: Pick<EventRetentionHost, 'root' | 'dbFile'>): Promise<number> {
  const transient = (await fileSize(`${e.dbFile}-wal`)) + (await fileSize(`${e.dbFile}-shm`));
  return (await duBytes(e.root)) - transient;
}

async function fileSize(file: string): Promise<number> {
  return fsp.stat(file).then((s) => s.size, () => 0);
}

async function drop(e: EventRetentionHost, blocks: Array<{ id: number; count: number }>, report: EventRetentionReport): Promise<void> {
  if (blocks.length === 0) return;
  await e.gate.exclusive(async () => {
    e.db.transaction(() => e.index.delete(blocks.map((b) => b.id)))();
    report.blocksDeleted += blocks.length;
    for (const b of blocks) report.eventsDeleted += b.count;
    const gc = await deleteDeadSegments(e.gcDeps());
    report.filesDeleted += gc.files;
    report.bytesFreed += gc.bytes;
  });
}
