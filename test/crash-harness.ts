// The parent side of the engines' crash tests (DESIGN.md §9): a child fixture writes and flushes,
// printing `READY` once it is writing and `ACK <round> <count>` after each acknowledged flush; the
// parent SIGKILLs it a seeded delay after READY, then checks the reopened data dir. Shared so each
// engine's test differs only in what it writes and what it checks.
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { expect } from 'vitest';

/**
 * Runs `node <script> <dataDir> <round>`, SIGKILLs it `delayMs` after READY, and resolves to the
 * count of its last ACK line (0 if none came before the kill). Rejects if the child exits by itself.
 */
export function killChildAfterReady(script: string, dataDir: string, round: number, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, dataDir, String(round)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let ready = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!ready && out.includes('READY\n')) {
        ready = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`child exited by itself (code ${code}): ${err}`));
      const acks = [...out.matchAll(/^ACK (\d+) (\d+)$/gm)];
      const last = acks[acks.length - 1];
      resolve(last ? Number(last[2]) : 0);
    });
  });
}

/** SQLite's integrity_check of an index the crash may have cut mid-transaction (opened read-only). */
export function expectSqliteIntact(dbFile: string): void {
  const db = new Database(dbFile, { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  } finally {
    db.close();
  }
}
