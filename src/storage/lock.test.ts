// The lock is about other processes, so the holders here are real child processes that take the lock
// through the built module (dist/; `npm test` builds first).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../codec/wasm.js';
import { StorageError } from './errors.js';
import { acquireDirLock, LOCK_FILE } from './lock.js';

let dir: string;
const children: ChildProcess[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-lock-'));
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A child that takes the lock, prints 'locked', and idles until killed. */
async function childHoldingLock(lockDir: string): Promise<ChildProcess> {
  const mod = pathToFileURL(path.join(packageRoot(), 'dist/src/storage/lock.js')).href;
  const code = `const { acquireDirLock } = await import(${JSON.stringify(mod)});
    acquireDirLock(${JSON.stringify(lockDir)}); console.log('locked'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('locked')) resolve();
    });
    child.on('exit', (c) => reject(new Error(`lock child exited early with ${c}`)));
  });
  return child;
}

function lockError(fn: () => unknown): StorageError | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof StorageError) return err;
    throw err;
  }
  return undefined;
}

describe('acquireDirLock', () => {
  it('writes our pid, refuses a second holder in the same process, and release() removes the file', () => {
    const lock = acquireDirLock(dir);
    const file = path.join(dir, LOCK_FILE);
    expect(fs.readFileSync(file, 'utf8').trim()).toBe(String(process.pid));
    expect(lockError(() => acquireDirLock(dir))?.code).toBe('DATA_DIR_LOCKED');
    lock.release();
    expect(fs.existsSync(file)).toBe(false);
    lock.release(); // idempotent
    const again = acquireDirLock(dir);
    again.release();
  });

  it('creates a missing data directory', () => {
    const nested = path.join(dir, 'a', 'b');
    const lock = acquireDirLock(nested);
    expect(fs.existsSync(path.join(nested, LOCK_FILE))).toBe(true);
    lock.release();
  });

  it('a live child process holding the lock → DATA_DIR_LOCKED naming its pid; once it is killed, the stale lock is taken over', async () => {
    const child = await childHoldingLock(dir);
    const err = lockError(() => acquireDirLock(dir));
    expect(err?.code).toBe('DATA_DIR_LOCKED');
    expect(err?.details.pid).toBe(child.pid);
    expect(err?.message).toContain(String(child.pid));

    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    // kill -9 leaves the file behind with a dead pid in it.
    expect(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(child.pid));
    const lock = acquireDirLock(dir);
    expect(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    lock.release();
  });

  it('treats an empty or garbled LOCK file (crash before the pid was written) as stale', () => {
    fs.writeFileSync(path.join(dir, LOCK_FILE), '');
    acquireDirLock(dir).release();
    fs.writeFileSync(path.join(dir, LOCK_FILE), 'not a pid');
    acquireDirLock(dir).release();
  });

  it('release() leaves a lock that someone else has since taken over', () => {
    const lock = acquireDirLock(dir);
    fs.writeFileSync(path.join(dir, LOCK_FILE), '1\n'); // pid 1 is always alive
    lock.release();
    expect(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')).toBe('1\n');
    expect(lockError(() => acquireDirLock(dir))?.code).toBe('DATA_DIR_LOCKED');
  });
});
