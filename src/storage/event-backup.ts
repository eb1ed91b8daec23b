// Backup of an event store (logs/, spans/) while writes go on: VACUUM INTO gives a consistent index
// snapshot; in the same tick we note how far each segment file is referenced by it and how much of
// each WAL file is durable, then the pool copies exactly those prefixes. Segment files are
// append-only, and the engine's maintenance mutex (held by the caller) keeps compaction, retention
// and WAL drops from deleting anything meanwhile, so the copy matches the snapshot. The result opens
// as a data directory: replay skips WAL events the snapshot's blocks already hold (seq <= its
// sealed-sequence watermark).
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { backupTo } from '../sqlite/open.js';
import type { EventBlockIndex } from './event-index.js';
import type { FilePins } from './mutex.js';

export interface EventBackupReport {
  path: string;
  files: number;
  bytes: number;
}

interface Copy {
  from: string;
  to: string;
  bytes: number;
}

/** What a backup needs of an event engine. */
export interface EventBackupHost {
  readonly root: string;
  readonly db: Database.Database;
  readonly index: EventBlockIndex;
  readonly pins: FilePins;
  readonly wal: { files(): Array<{ path: string; bytes: number }> };
  readonly pool: { readonly threads: number; copyFiles(copies: Copy[]): Promise<number> };
  /** Makes every write so far durable in the WAL. */
  syncWal(): Promise<void>;
}

/** Copies the store into `<targetDir>/<dirName>` (dirName: 'logs', 'spans'). */
export async function runEventBackup(e: EventBackupHost, targetDir: string, dirName: string): Promise<EventBackupReport> {
  await e.syncWal();
  const dest = path.resolve(targetDir, dirName);
  const indexFile = path.join(dest, 'index.db');
  backupTo(e.db, indexFile);
  // Same tick as the snapshot: nothing can commit in between.
  const ends = e.index.segmentEnds();
  const walFiles = e.wal.files();
  const copies: Copy[] = [];
  const pinned: string[] = [];
  for (const [file, end] of ends) {
    copies.push({ from: path.join(e.root, file), to: path.join(dest, file), bytes: end });
    pinned.push(file);
  }
  for (const w of walFiles) copies.push({ from: w.path, to: path.join(dest, 'wal', path.basename(w.path)), bytes: w.bytes });
  for (const f of pinned) e.pins.pin(f);
  let bytes = 0;
  try {
    const parts = Math.max(1, Math.min(copies.length, e.pool.threads));
    const slices: Copy[][] = Array.from({ length: parts }, () => []);
    copies.forEach((c, i) => slices[i % parts].push(c));
    const copied = await Promise.all(slices.filter((s) => s.length > 0).map((s) => e.pool.copyFiles(s)));
    for (const n of copied) bytes += n;
  } finally {
    for (const f of pinned) e.pins.unpin(f);
  }
  bytes += fs.statSync(indexFile).size;
  return { path: path.resolve(targetDir), files: copies.length + 1, bytes };
}
