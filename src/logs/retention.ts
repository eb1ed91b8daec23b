// Retention: by age (blocks whose newest entry is older than maxAgeSec) and by size (while logs/ -
// SQLite's transient -wal/-shm aside - is over maxBytes, whole segment files go, the file whose newest entry is oldest first; the
// engine sizes segment files to a fraction of maxBytes so this is fine-grained). Rows are deleted
// in one transaction under the read gate, then segment files without a live block are deleted.
// sealed_seq is untouched, so WAL replay never brings deleted entries back.
import fsp from 'node:fs/promises';
import { deleteDeadSegments } from '../storage/segment-gc.js';
import type { LogsEngine } from './engine.js';
import { duBytes } from '../storage/disk-usage.js';
import type { LogsRetentionReport } from './types.js';

export const DEFAULT_LOGS_RETENTION = { maxAgeSec: 7 * 86_400, maxBytes: 512 * 1024 * 1024 } as const;

export interface ResolvedLogsRetention {
  maxAgeSec: number;
  maxBytes: number;
}

export async function runLogRetention(e: LogsEngine, r: ResolvedLogsRetention, nowMs: number): Promise<LogsRetentionReport> {
  const report: LogsRetentionReport = { blocksDeleted: 0, entriesDeleted: 0, filesDeleted: 0, bytesFreed: 0 };
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
 * Bytes under logs/ that retention can act on: segments, index.db and our WAL. SQLite's own -wal and
 * -shm are left out: bounded (journal_size_limit) and transient (reset at every checkpoint), they
 * would otherwise make a burst of commits delete data.
 */
export async function storedBytes(e: LogsEngine): Promise<number> {
  const transient = (await fileSize(`${e.dbFile}-wal`)) + (await fileSize(`${e.dbFile}-shm`));
  return (await duBytes(e.root)) - transient;
}

async function fileSize(file: string): Promise<number> {
  return fsp.stat(file).then((s) => s.size, () => 0);
}

async function drop(e: LogsEngine, blocks: Array<{ id: number; count: number }>, report: LogsRetentionReport): Promise<void> {
  if (blocks.length === 0) return;
  await e.gate.exclusive(async () => {
    e.db.transaction(() => e.index.delete(blocks.map((b) => b.id)))();
    report.blocksDeleted += blocks.length;
    for (const b of blocks) report.entriesDeleted += b.count;
    const gc = await deleteDeadSegments(e.gcDeps());
    report.filesDeleted += gc.files;
    report.bytesFreed += gc.bytes;
  });
}
