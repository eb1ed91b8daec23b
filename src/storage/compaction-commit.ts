// The last step of a compaction pass in an event engine (logs, spans): wait for the pool's writes of
// the new blocks, then - under the read gate, so no query pages through the rows being swapped - ONE
// transaction inserts the new rows and deletes the replaced ones, the new files' pins are released
// and segment files left without a live block are deleted. The new files stay pinned until their
// rows are committed (a file with no committed block must not look dead to segment GC), and are
// unpinned whatever happens.
import type Database from 'better-sqlite3';
import type { EventBlockIndex, NewEventBlock } from './event-index.js';
import type { FilePins } from './mutex.js';
import type { ReadGate } from './read-gate.js';
import { deleteDeadSegments, type SegmentGcDeps } from './segment-gc.js';

export interface CompactionCommitHost {
  readonly isClosed: boolean;
  readonly db: Database.Database;
  readonly index: EventBlockIndex;
  readonly pins: FilePins;
  readonly gate: ReadGate;
  gcDeps(): SegmentGcDeps;
}

/**
 * Commits a pass: `rows` replace `doomed` once `writes` are done; `files` are the pinned files the
 * rows point into. Returns the segment files deleted, or undefined when nothing was committed (the
 * engine closed meanwhile, or nothing to replace).
 */
export async function commitCompaction(
  e: CompactionCommitHost,
  pass: { rows: NewEventBlock[]; doomed: number[]; files: Set<string>; writes: Array<Promise<unknown>> },
): Promise<number | undefined> {
  const { rows, doomed, files, writes } = pass;
  try {
    await Promise.all(writes);
    if (e.isClosed || doomed.length === 0) return undefined;
    return await e.gate.exclusive(async () => {
      e.db.transaction(() => {
        e.index.insert(rows);
        e.index.delete(doomed);
      })();
      for (const f of files) e.pins.unpin(f);
      files.clear();
      return (await deleteDeadSegments(e.gcDeps())).files;
    });
  } finally {
    for (const f of files) e.pins.unpin(f);
  }
}
