// `timeless restore BACKUP --data-dir D [--force]`: puts a backup (a directory written by
// tl.backup(), or the .tar.gz of GET /api/v1/backup/<name>/download) in place as data directory D.
// All-or-nothing: the copy is written to D.restoring-<stamp> next to D, fsynced, opened as a store to
// verify it, and only then renamed to D; a crash or failure at any point leaves D as it was (or
// absent) and never half restored. An existing non-empty D is refused unless --force, which moves it
// aside to D.before-restore-<stamp> (never deletes it). A D held by a running store is refused.
import { constants as fsc } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { acquireDirLock, LOCK_FILE, type DirLock } from '../storage/lock.js';
import { StorageError } from '../storage/errors.js';
import { fsyncDir } from '../storage/fsutil.js';
import { Timeless } from '../store.js';
import { RestoreError } from './restore-errors.js';
import { Progress, formatBytes, type ProgressState } from './restore-progress.js';
import { ENGINE_DIRS, extractTarGz } from './restore-tar.js';
import { StagingWriter } from './restore-write.js';

export { RestoreError } from './restore-errors.js';

export const RESTORE_USAGE = `usage: timeless restore BACKUP --data-dir DIR [--force] [--engine metrics|logs|spans]
  BACKUP   a backup directory (<dataDir>/backups/<name>/) or a .tar.gz from GET /api/v1/backup/<name>/download
  DIR      the data directory to create; it must not exist or be empty
  --force  DIR may hold data: it is moved aside to DIR.before-restore-<timestamp>, not deleted
  --engine restore one engine only into the existing DIR (DIR/<engine> moved aside with --force)
The running server must be stopped first: a data directory in use is refused.`;

export type Engine = (typeof ENGINE_DIRS)[number];

export interface RestoreOptions {
  /** Move a non-empty target aside instead of refusing. */
  force?: boolean;
  /** Restore only this engine's directory into an existing data directory. */
  engine?: Engine;
  /** Progress and status lines. */
  out?: (line: string) => void;
  /** Minimum time between progress lines (default 250 ms). */
  progressIntervalMs?: number;
}

export interface RestoreReport {
  dataDir: string;
  /** Where the previous contents of the target went (--force on a non-empty target). */
  movedAside?: string;
  files: number;
  bytes: number;
  counts: { series: number; points: number; entries: number; spans: number };
}

const COPY_CHUNK = 1024 * 1024;

function stamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '');
}

async function lstatOrUndefined(p: string) {
  try {
    return await fs.lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function lockTarget(dir: string, what: string): DirLock {
  try {
    return acquireDirLock(dir);
  } catch (err) {
    if (err instanceof StorageError && err.code === 'DATA_DIR_LOCKED') {
      throw new RestoreError('LOCKED', `${what} ${dir} is in use by a running store (${String(err.details.pid ?? '?')}); stop it first`, err);
    }
    throw err;
  }
}

interface SourceFile {
  rel: string[];
  abs: string;
  size: number;
}

/** The tree of a backup directory, refusing links and special files (a backup has none). */
async function listSource(root: string): Promise<{ dirs: string[][]; files: SourceFile[] }> {
  const dirs: string[][] = [];
  const files: SourceFile[] = [];
  const walk = async (dir: string, rel: string[]) => {
    for (const name of (await fs.readdir(dir)).sort()) {
      if (rel.length === 0 && name === LOCK_FILE) continue; // a data dir's lock is not data
      const abs = path.join(dir, name);
      const st = await fs.lstat(abs);
      const r = [...rel, name];
      if (st.isDirectory()) {
        dirs.push(r);
        await walk(abs, r);
      } else if (st.isFile()) files.push({ rel: r, abs, size: st.size });
      else throw new RestoreError('UNSAFE_ENTRY', `backup holds ${abs}, which is not a regular file or directory; a backup holds only files and directories`);
    }
  };
  await walk(root, []);
  return { dirs, files };
}

async function copyDir(source: string, writer: StagingWriter, progress: Progress, out: (line: string) => void, only?: string): Promise<void> {
  // A data directory of a running store is not a consistent copy: refuse it (tl.backup() is).
  if (await lstatOrUndefined(path.join(source, LOCK_FILE))) lockTarget(source, 'backup directory').release();
  const listed = await listSource(source);
  const dirs = only === undefined ? listed.dirs : listed.dirs.filter((d) => d[0] === only);
  const files = only === undefined ? listed.files : listed.files.filter((f) => f.rel[0] === only);
  const totalBytes = files.reduce((s, f) => s + f.size, 0);
  out(`restore: copying ${files.length} files, ${formatBytes(totalBytes)} from ${source}`);
  const state = (): ProgressState => ({ files: writer.filesDone, bytes: writer.bytesDone, totalFiles: files.length, totalBytes });
  writer.onBytes = () => progress.update(state());
  for (const d of dirs) await writer.dir(d);
  for (const f of files) {
    await writer.file(f.rel, readChunks(f.abs, f.size));
    progress.update(state());
  }
  progress.final(state());
}

/** A file's bytes in chunks, exactly `size` of them (what was listed). */
async function* readChunks(abs: string, size: number): AsyncGenerator<Uint8Array> {
  const fh = await fs.open(abs, fsc.O_RDONLY | fsc.O_NOFOLLOW);
  try {
    const buf = Buffer.allocUnsafe(Math.min(COPY_CHUNK, Math.max(1, size)));
    let pos = 0;
    while (pos < size) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - pos), pos);
      if (bytesRead === 0) throw new RestoreError('SOURCE_INVALID', `${abs} shrank while it was copied (${pos} of ${size} bytes)`);
      pos += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

async function verify(dir: string): Promise<RestoreReport['counts']> {
  let tl: Timeless | undefined;
  try {
    // No retention pass: verifying must not delete what was just restored.
    tl = await Timeless.open({ dataDir: dir, runtimeMetrics: false, retention: { intervalSec: 0 }, pool: { threads: 1 } });
    const s = await tl.stats();
    return { series: s.metrics.series, points: s.metrics.points, entries: s.logs.entries, spans: s.traces.spans };
  } catch (err) {
    throw new RestoreError('VERIFY_FAILED', `the restored data does not open as a store: ${(err as Error).message}`, err);
  } finally {
    await tl?.close();
  }
}

interface Source {
  path: string;
  kind: 'dir' | 'tar.gz';
  bytes: number;
}

/**
 * Writes the backup (or only its `only` engine) into `staging`, fsyncs it, and verifies it opens as
 * a store. Throws with `staging` partly written; the caller removes it.
 */
async function stage(src: Source, staging: string, opts: RestoreOptions, only?: Engine): Promise<{ writer: StagingWriter; counts: RestoreReport['counts'] }> {
  const out = opts.out ?? (() => undefined);
  const progress = new Progress(out, opts.progressIntervalMs ?? 250);
  const writer = new StagingWriter(staging);
  if (src.kind === 'dir') await copyDir(src.path, writer, progress, out, only);
  else {
    const state = (readBytes: number): ProgressState => ({ files: writer.filesDone, bytes: writer.bytesDone, readBytes, archiveBytes: src.bytes });
    await extractTarGz(src.path, writer, (readBytes) => progress.update(state(readBytes)), only);
    progress.final(state(src.bytes));
  }
  const present = (await fs.readdir(staging)).filter((n) => (ENGINE_DIRS as readonly string[]).includes(n));
  if (only !== undefined && !present.includes(only)) throw new RestoreError('NOT_A_BACKUP', `${src.path} holds no ${only}/ to restore`);
  if (present.length === 0) throw new RestoreError('NOT_A_BACKUP', `${src.path} is not a timeless backup: it holds no metrics/, logs/ or spans/`);
  await writer.finish();
  const counts = await verify(staging);
  await fsyncDir(staging); // the verifying store's LOCK came and went
  const what = only === undefined ? '' : ` (${only} only)`;
  out(`restore: verified${what}: metrics ${counts.series} series, ${counts.points} points; logs ${counts.entries} entries; traces ${counts.spans} spans`);
  return { writer, counts };
}

async function resolveSource(source: string): Promise<Source> {
  const p = path.resolve(source);
  let st;
  try {
    st = await fs.stat(p);
  } catch (err) {
    throw new RestoreError('SOURCE_INVALID', `cannot read backup ${p}: ${(err as Error).message}`, err);
  }
  if (st.isDirectory()) return { path: p, kind: 'dir', bytes: 0 };
  if (st.isFile()) return { path: p, kind: 'tar.gz', bytes: st.size };
  throw new RestoreError('SOURCE_INVALID', `backup ${p} is neither a directory nor a .tar.gz file`);
}

/**
 * Restores `source` (a backup directory or .tar.gz) as data directory `dataDir`, or with
 * `opts.engine` only that engine's directory inside an existing `dataDir`. Throws RestoreError (or
 * an fs error) with nothing changed at `dataDir`.
 */
export async function restoreBackup(source: string, dataDir: string, opts: RestoreOptions = {}): Promise<RestoreReport> {
  const src = await resolveSource(source);
  const target = path.resolve(dataDir);
  if (src.kind === 'dir' && isInside(target, src.path)) throw new RestoreError('SOURCE_INVALID', `data directory ${target} is inside the backup ${src.path}`);
  if (target === path.parse(target).root) throw new RestoreError('TARGET_NOT_EMPTY', `refusing to restore into ${target}`);
  return opts.engine === undefined ? restoreAll(src, target, opts) : restoreEngine(src, target, opts.engine, opts);
}

async function restoreAll(src: Source, target: string, opts: RestoreOptions): Promise<RestoreReport> {
  const out = opts.out ?? (() => undefined);
  const targetStat = await lstatOrUndefined(target);
  if (targetStat && !targetStat.isDirectory()) throw new RestoreError('TARGET_NOT_EMPTY', `${target} exists and is not a directory`);
  // Held from here to the swap: a store opening D meanwhile would fail instead of racing us.
  let lock: DirLock | undefined = targetStat ? lockTarget(target, 'data directory') : undefined;
  const parent = path.dirname(target);
  const staging = `${target}.restoring-${stamp()}`;
  let stagingMade = false;
  try {
    const existing = targetStat ? (await fs.readdir(target)).filter((n) => n !== LOCK_FILE) : [];
    if (existing.length > 0 && !opts.force) {
      throw new RestoreError('TARGET_NOT_EMPTY', `data directory ${target} is not empty (${existing.length} entries); restore into a new directory, or pass --force to move it aside`);
    }
    await fs.mkdir(parent, { recursive: true });
    await fs.mkdir(staging, { mode: 0o755 });
    stagingMade = true;
    out(`restore: ${src.path} -> ${target} (writing ${staging})`);
    const { writer, counts } = await stage(src, staging, opts);

    let movedAside: string | undefined;
    if (lock) {
      lock.release();
      lock = undefined;
      if (existing.length > 0) {
        movedAside = `${target}.before-restore-${stamp()}`;
        await fs.rename(target, movedAside);
      } else await fs.rmdir(target); // empty: rename() onto it is not portable
    }
    try {
      await fs.rename(staging, target);
    } catch (err) {
      if (movedAside) await fs.rename(movedAside, target).catch(() => undefined);
      throw err;
    }
    stagingMade = false;
    await fsyncDir(parent);
    if (movedAside) out(`restore: the previous contents of ${target} were moved to ${movedAside}`);
    out(`restore: done: ${target} restored (${writer.filesDone} files, ${formatBytes(writer.bytesDone)})`);
    return { dataDir: target, movedAside, files: writer.filesDone, bytes: writer.bytesDone, counts };
  } finally {
    lock?.release();
    if (stagingMade) await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * One engine into an existing data directory: D/<engine> is replaced by the backup's. The copy is
 * staged next to D and verified first; an existing non-empty D/<engine> is refused unless force,
 * which moves it to D/<engine>.before-restore-<stamp> (the store ignores unknown names in D).
 */
async function restoreEngine(src: Source, target: string, engine: Engine, opts: RestoreOptions): Promise<RestoreReport> {
  const out = opts.out ?? (() => undefined);
  const targetStat = await lstatOrUndefined(target);
  if (!targetStat?.isDirectory()) throw new RestoreError('SOURCE_INVALID', `--engine restores into an existing data directory; ${target} is not one`);
  // Held through the swap: the engine directory changes under D, which stays where it is.
  const lock = lockTarget(target, 'data directory');
  const dest = path.join(target, engine);
  const staging = `${target}.restoring-${stamp()}`;
  let stagingMade = false;
  try {
    const destStat = await lstatOrUndefined(dest);
    if (destStat && !destStat.isDirectory()) throw new RestoreError('TARGET_NOT_EMPTY', `${dest} exists and is not a directory`);
    const existing = destStat ? await fs.readdir(dest) : [];
    if (existing.length > 0 && !opts.force) {
      throw new RestoreError('TARGET_NOT_EMPTY', `${dest} is not empty (${existing.length} entries); pass --force to move it aside`);
    }
    await fs.mkdir(staging, { mode: 0o755 });
    stagingMade = true;
    out(`restore: ${engine}/ of ${src.path} -> ${dest} (writing ${staging})`);
    const { writer, counts } = await stage(src, staging, opts, engine);

    let movedAside: string | undefined;
    if (existing.length > 0) {
      movedAside = `${dest}.before-restore-${stamp()}`;
      await fs.rename(dest, movedAside);
    } else if (destStat) await fs.rmdir(dest);
    try {
      await fs.rename(path.join(staging, engine), dest);
    } catch (err) {
      if (movedAside) await fs.rename(movedAside, dest).catch(() => undefined);
      throw err;
    }
    await fsyncDir(target);
    if (movedAside) out(`restore: the previous ${engine}/ of ${target} was moved to ${movedAside}`);
    out(`restore: done: ${dest} restored (${writer.filesDone} files, ${formatBytes(writer.bytesDone)})`);
    return { dataDir: target, movedAside, files: writer.filesDone, bytes: writer.bytesDone, counts };
  } finally {
    lock.release();
    if (stagingMade) await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
  }
}

interface ParsedArgs {
  source: string;
  dataDir: string;
  force: boolean;
  engine?: Engine;
}

function engineArg(v: string | undefined): Engine {
  if (v === undefined || !(ENGINE_DIRS as readonly string[]).includes(v)) throw new UsageError(`--engine must be one of ${ENGINE_DIRS.join(', ')}, got '${v ?? ''}'`);
  return v as Engine;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): ParsedArgs | 'help' {
  const positional: string[] = [];
  let dataDir: string | undefined;
  let force = false;
  let engine: Engine | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') return 'help';
    else if (a === '--force') force = true;
    else if (a === '--engine') engine = engineArg(argv[++i]);
    else if (a.startsWith('--engine=')) engine = engineArg(a.slice('--engine='.length));
    else if (a === '--data-dir') {
      const v = argv[++i];
      if (v === undefined || v === '') throw new UsageError('--data-dir needs a directory');
      dataDir = v;
    } else if (a.startsWith('--data-dir=')) {
      dataDir = a.slice('--data-dir='.length);
      if (dataDir === '') throw new UsageError('--data-dir needs a directory');
    } else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${a}`);
    else positional.push(a);
  }
  if (positional.length !== 1) throw new UsageError(positional.length === 0 ? 'missing BACKUP' : `one BACKUP expected, got ${positional.length}`);
  if (dataDir === undefined) throw new UsageError('missing --data-dir');
  return { source: positional[0], dataDir, force, engine };
}

/** The CLI: 0 restored and verified, 1 failed (nothing changed at the target), 2 usage error. */
export async function runRestore(argv: string[], io: { out(line: string): void; err(line: string): void }, opts: { progressIntervalMs?: number } = {}): Promise<number> {
  let args: ParsedArgs | 'help';
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`timeless restore: ${err.message}\n${RESTORE_USAGE}`);
    return 2;
  }
  if (args === 'help') {
    io.out(RESTORE_USAGE);
    return 0;
  }
  try {
    await restoreBackup(args.source, args.dataDir, { force: args.force, engine: args.engine, out: (l) => io.out(l), progressIntervalMs: opts.progressIntervalMs });
    return 0;
  } catch (err) {
    io.err(`timeless restore: failed: ${(err as Error).message.replace(/^timeless: /, '')}`);
    return 1;
  }
}
