// Backup of the metrics part without a checkpoint: VACUUM INTO gives a consistent index snapshot;
// in the same tick we note how far each segment file is referenced by it and how much of each WAL
// file is durable, then the pool copies exactly those prefixes. Segment files are append-only and
// the maintenance mutex (held by the caller) keeps compaction/retention/checkpoints from deleting
// anything meanwhile, so the copy matches the snapshot. The result opens as a data directory:
// replay skips WAL points already in the snapshot's blocks (series.sealed_seq).
import fs from 'node:fs';
import path from 'node:path';
import { backupTo } from '../sqlite/open.js';
import type { CopySpec } from './block-tasks.js';
import type { MetricsEngine } from './engine.js';
import type { BackupReport } from './types.js';

export async function runBackup(e: MetricsEngine, targetDir: string): Promise<BackupReport> {
  await e.syncStaged();
  const dest = path.resolve(targetDir, 'metrics');
  const indexFile = path.join(dest, 'index.db');
  backupTo(e.db, indexFile);
  // Same tick as the snapshot: nothing can commit in between.
  const ends = e.index.segmentEnds();
  const walFiles = e.wal.files();
  const copies: CopySpec[] = [];
  for (const [file, end] of ends) copies.push({ from: path.join(e.root, file), to: path.join(dest, file), bytes: end });
  for (const w of walFiles) copies.push({ from: w.path, to: path.join(dest, 'wal', path.basename(w.path)), bytes: w.bytes });
  for (const c of copies) e.pins.pin(c.from);
  let bytes = 0;
  try {
    const parts = Math.max(1, Math.min(copies.length, e.pool.threads));
    const slices: CopySpec[][] = Array.from({ length: parts }, () => []);
    copies.forEach((c, i) => slices[i % parts].push(c));
    const copied = await Promise.all(slices.filter((s) => s.length > 0).map((s) => e.pool.copyFiles(s)));
    for (const n of copied) bytes += n;
  } finally {
    for (const c of copies) e.pins.unpin(c.from);
  }
  bytes += fs.statSync(indexFile).size;
  return { path: path.resolve(targetDir), files: copies.length + 1, bytes };
}
