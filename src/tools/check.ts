// `timeless check --data-dir D [--json]`: verifies a closed data directory — every block of every
// segment (magic, version, length, crc32c), each index.db (`PRAGMA integrity_check`, and every row
// that points at a block finds a valid block there), and every WAL frame — without changing anything.
// Exit 0: no error; 1: errors found (or the directory is in use / unreadable); 2: usage error.
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../sqlite/open.js';
import { openDatabase } from '../sqlite/open.js';
import { StorageError } from '../storage/errors.js';
import { acquireDirLock } from '../storage/lock.js';
import { emptyEngineCheck, ENGINE_NAMES, finishReport, formatReport, type CheckReport, type EngineCheck, type EngineName } from './check-report.js';
import { checkSegmentFile, listSegmentFiles, type IndexedBlock } from './check-segments.js';
import { checkWalDir } from './check-wal.js';

export type { CheckProblem, CheckReport, EngineCheck } from './check-report.js';

export const CHECK_USAGE = `usage: timeless check --data-dir DIR [--json]
  verifies every segment block's crc, the indexes and the WALs of a data directory that no store has open;
  exit 0 = no errors, 1 = errors found (or the directory is in use), 2 = usage error`;

/** Bad arguments or a directory that is not a Timeless data directory (exit 2). */
export class CheckUsageError extends Error {
  constructor(message: string) {
    super(`timeless check: ${message}`);
    this.name = 'CheckUsageError';
  }
}

export interface CheckOptions {
  /**
   * Hold the data directory's LOCK while checking (default true), so a store cannot open it and
   * start writing halfway through; a directory a live store holds is refused (StorageError
   * DATA_DIR_LOCKED). False only for a directory known to be inert (a read-only copy).
   */
  lock?: boolean;
}

/**
 * Checks `dataDir` and returns the full report (never prints). Throws CheckUsageError when `dataDir`
 * is missing or not a data directory, StorageError DATA_DIR_LOCKED when a running store holds it.
 */
export function checkDataDir(dataDir: string, opts: CheckOptions = {}): CheckReport {
  const dir = path.resolve(dataDir);
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new CheckUsageError(`data directory ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw new CheckUsageError(`${dir} is not a directory`);
  const present = ENGINE_NAMES.filter((e) => fs.existsSync(path.join(dir, e, 'index.db')));
  if (present.length === 0) {
    throw new CheckUsageError(`${dir} is not a Timeless data directory (no ${ENGINE_NAMES.map((e) => `${e}/index.db`).join(', ')})`);
  }
  const lock = opts.lock === false ? undefined : acquireDirLock(dir);
  try {
    const engines = ENGINE_NAMES.map((e) => (present.includes(e) ? checkEngine(e, path.join(dir, e)) : emptyEngineCheck(e, false)));
    return finishReport(dir, engines);
  } finally {
    lock?.release();
  }
}

function checkEngine(engine: EngineName, root: string): EngineCheck {
  const out = emptyEngineCheck(engine, true);
  const index = readIndex(engine, root, out);
  const files = new Set(listSegmentFiles(root));
  for (const f of index?.paths() ?? []) files.add(f);
  for (const file of [...files].sort()) {
    const onDisk = fs.existsSync(path.join(root, file));
    const rows = index?.rowsOf(file) ?? [];
    if (!onDisk && rows.length === 0) continue; // a segments row left without blocks: harmless
    const r = checkSegmentFile(engine, root, file, rows, index !== undefined);
    if (onDisk) out.segmentFiles++;
    out.blocks += r.blocks;
    out.segmentBytes += r.bytes;
    out.indexRows += r.indexRows;
    out.indexRowsValid += r.indexRowsValid;
    out.orphanBlocks += r.orphanBlocks;
    out.problems.push(...r.problems);
  }
  index?.close();
  const wal = checkWalDir(engine, root);
  out.walFiles = wal.files;
  out.walFrames = wal.frames;
  out.walBytes = wal.bytes;
  out.problems.push(...wal.problems);
  return out;
}

interface IndexReader {
  paths(): string[];
  rowsOf(file: string): IndexedBlock[];
  close(): void;
}

/** Opens index.db read-only and runs integrity_check; undefined (with a problem) if its rows cannot be read. */
function readIndex(engine: EngineName, root: string, out: EngineCheck): IndexReader | undefined {
  const corrupt = (message: string) => out.problems.push({ engine, file: 'index.db', severity: 'error', kind: 'index-corrupt', message });
  let db: Db;
  try {
    db = openDatabase(path.join(root, 'index.db'), { readonly: true });
  } catch (err) {
    corrupt(`cannot open: ${(err as Error).message}`);
    return undefined;
  }
  try {
    const messages = (db.pragma('integrity_check') as Array<Record<string, string>>).map((r) => Object.values(r)[0]);
    out.indexIntegrityOk = messages.length === 1 && messages[0] === 'ok';
    if (!out.indexIntegrityOk) {
      corrupt(`integrity_check: ${messages.slice(0, 5).join('; ')}${messages.length > 5 ? `; ... (${messages.length} messages)` : ''}`);
    }
    const dangling = db.prepare('SELECT COUNT(*) FROM blocks WHERE segment_id NOT IN (SELECT id FROM segments)').pluck().get() as number;
    if (dangling > 0) {
      out.problems.push({ engine, file: 'index.db', severity: 'error', kind: 'index-bad-row', message: `${dangling} block rows name a segment id with no segments row` });
    }
    const paths = db.prepare('SELECT path FROM segments ORDER BY path').pluck().all() as string[];
    const rows = db.prepare(
      'SELECT DISTINCT b."offset", b.length FROM blocks b JOIN segments s ON s.id = b.segment_id WHERE s.path = ? ORDER BY b."offset", b.length',
    ).raw();
    return {
      paths: () => paths,
      rowsOf: (file) => (rows.all(file) as Array<[number, number]>).map(([offset, length]) => ({ offset, length })),
      close: () => db.close(),
    };
  } catch (err) {
    corrupt(`cannot read: ${(err as Error).message}`);
    db.close();
    return undefined;
  }
}

export interface CheckIo {
  out(line: string): void;
  err(line: string): void;
}

/** The CLI: `argv` are the arguments after `check`. Returns the exit code. */
export async function runCheck(argv: string[], io: CheckIo): Promise<number> {
  let dataDir: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      io.out(CHECK_USAGE);
      return 0;
    } else if (a === '--json') {
      json = true;
    } else if (a === '--data-dir' || a.startsWith('--data-dir=')) {
      const v = a === '--data-dir' ? argv[++i] : a.slice('--data-dir='.length);
      if (v === undefined || v === '') return usage(io, '--data-dir needs a directory');
      dataDir = v;
    } else {
      return usage(io, `unknown argument '${a}'`);
    }
  }
  if (dataDir === undefined) return usage(io, '--data-dir is required');
  let report: CheckReport;
  try {
    report = checkDataDir(dataDir);
  } catch (err) {
    if (err instanceof CheckUsageError) return usage(io, err.message.replace(/^timeless check: /, ''));
    if (err instanceof StorageError && err.code === 'DATA_DIR_LOCKED') {
      io.err(`timeless check: refusing to check ${path.resolve(dataDir)}: it is in use by a running store (${err.message}); stop it or check a backup`);
      return 1;
    }
    io.err(`timeless check: failed: ${(err as Error).message}`);
    return 1;
  }
  if (json) io.out(JSON.stringify(report, null, 2));
  else for (const line of formatReport(report)) io.out(line);
  return report.ok ? 0 : 1;
}

function usage(io: CheckIo, message: string): number {
  io.err(`timeless check: ${message}`);
  io.err(CHECK_USAGE);
  return 2;
}
