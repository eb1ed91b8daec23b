// Data-directory lock: a `LOCK` file holding the owner's pid. Two stores writing one directory would
// interleave WAL frames and segment offsets, so the second open must fail loudly instead.
// A pid that no longer runs is a crashed owner (kill -9 leaves the file behind): its lock is taken over.
import fs from 'node:fs';
import path from 'node:path';
import { ioError, StorageError } from './errors.js';

export const LOCK_FILE = 'LOCK';

export interface DirLock {
  /** Absolute path of the LOCK file. */
  readonly file: string;
  /** Removes the LOCK file (only if it is still ours). Idempotent. */
  release(): void;
}

/** Lock files this process holds: our own pid in a LOCK file is only stale if it is not in here
 *  (pid reuse after a container restart gives the new process the crashed one's pid). */
const heldHere = new Set<string>();

/**
 * Takes `<dir>/LOCK` (creating `dir`). Throws StorageError DATA_DIR_LOCKED when a live process (this
 * one included) holds it.
 */
export function acquireDirLock(dir: string): DirLock {
  const abs = path.resolve(dir);
  const file = path.join(abs, LOCK_FILE);
  try {
    fs.mkdirSync(abs, { recursive: true });
  } catch (err) {
    throw ioError('create data directory', abs, err);
  }
  // Two rounds: the second runs after removing a stale lock; losing that race to another process
  // that also saw it stale ends in DATA_DIR_LOCKED, which is the right answer.
  for (let attempt = 0; attempt < 2; attempt++) {
    if (tryCreate(file)) return makeLock(file);
    const owner = readOwner(file);
    if (owner === undefined) continue; // vanished between our create and read: retry
    if (isHeldBy(owner, file)) {
      throw new StorageError(
        'DATA_DIR_LOCKED',
        `data directory ${abs} is in use by process ${owner.pid}` +
          (owner.pid === process.pid ? ' (this process: close the other store first)' : '') +
          '; use a different dataDir or stop that process',
        { dir: abs, pid: owner.pid },
      );
    }
    // Stale: its owner is gone. Remove only if the file still names that owner.
    const again = readOwner(file);
    if (again && again.raw === owner.raw) {
      try {
        fs.unlinkSync(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('remove stale lock', file, err);
      }
    }
  }
  throw new StorageError('DATA_DIR_LOCKED', `data directory ${abs} is being locked by another process; retry`, {
    dir: abs,
  });
}

function tryCreate(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw ioError('create lock', file, err);
  }
  try {
    fs.writeSync(fd, `${process.pid}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

function readOwner(file: string): { pid: number; raw: string } | undefined {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError('read lock', file, err);
  }
  // An empty or garbled file (crash between create and write) has no live owner: pid 0 = stale.
  const pid = Number.parseInt(raw.trim(), 10);
  return { pid: Number.isFinite(pid) && pid > 0 ? pid : 0, raw };
}

function isHeldBy(owner: { pid: number }, file: string): boolean {
  if (owner.pid === 0) return false;
  if (owner.pid === process.pid) return heldHere.has(file);
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user: still alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function makeLock(file: string): DirLock {
  heldHere.add(file);
  let released = false;
  return {
    file,
    release() {
      if (released) return;
      released = true;
      heldHere.delete(file);
      const owner = readOwner(file);
      if (owner?.pid !== process.pid) return; // someone took it over meanwhile: not ours to delete
      try {
        fs.unlinkSync(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('remove lock', file, err);
      }
    },
  };
}
