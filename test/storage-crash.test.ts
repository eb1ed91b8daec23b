// WAL durability under kill -9: a child appends numbered records and prints each number after its
// sync() resolves; we SIGKILL it at seeded random moments, 24 rounds on the same directory (each round
// reopens and continues), and after every round check that every acknowledged number replays, none
// twice, none corrupted. The child runs the built code (dist/; `npm test` builds first).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Prng } from '../bench/gen/prng.js';
import { packageRoot } from '../src/codec/wasm.js';
import { Wal } from '../src/storage/wal.js';
// @ts-expect-error plain .mjs fixture shared with the child process (no type declarations)
import { isIntact, numberOf } from './fixtures/wal-crash-record.mjs';

const ROUNDS = 24;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-wal-crash-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Round {
  acked: number[];
  readyNext: number;
}

/** Starts the child, waits for 'ready', lets it run `runMs`, SIGKILLs it, returns what it acknowledged. */
function runAndKill(seed: number, runMs: number): Promise<Round> {
  const child = spawn(process.execPath, [path.join(packageRoot(), 'test/fixtures/wal-crash-child.mjs'), dir, String(seed)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acked: number[] = [];
  let readyNext = -1;
  let buf = '';
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      buf += d;
      let nl: number;
      // Only whole lines count: a line cut by the kill was never fully acknowledged.
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('ready ')) {
          readyNext = Number(line.slice(6));
          setTimeout(() => child.kill('SIGKILL'), runMs);
        } else if (line.startsWith('ack ')) {
          for (const n of line.slice(4).split(',')) acked.push(Number(n));
        }
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ acked, readyNext });
      else reject(new Error(`crash child exited on its own (code ${code}): ${stderr}`));
    });
  });
}

describe('WAL crash safety (SIGKILL)', () => {
  it(`every acknowledged record survives ${ROUNDS} kill -9 rounds, exactly once and intact`, async () => {
    const rng = new Prng(20261127);
    const allAcked = new Set<number>();
    let roundsWithAcks = 0;
    let tornTails = 0;
    let nextAfterPrevious = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const { acked, readyNext } = await runAndKill(rng.u32(), rng.int(5, 250));
      for (const n of acked) allAcked.add(n);
      if (acked.length > 0) roundsWithAcks++;

      const { wal, records, corrupt, tornTail } = await Wal.open({ dir, maxFileBytes: 256 * 1024 });
      if (tornTail) tornTails++;
      expect(corrupt, `round ${round}: only the last file may be torn`).toEqual([]);
      const nums = records.map((r) => numberOf(r.payload) as number);
      // Numbers are handed out in append order, so replay must be strictly increasing: no duplicates.
      for (let i = 1; i < nums.length; i++) {
        if (nums[i] <= nums[i - 1]) expect.fail(`round ${round}: record ${nums[i]} replayed after ${nums[i - 1]}`);
      }
      for (const r of records) if (!isIntact(r.payload)) expect.fail(`round ${round}: record ${numberOf(r.payload)} corrupted`);
      const replayed = new Set(nums);
      const missing = [...allAcked].filter((n) => !replayed.has(n));
      expect(missing, `round ${round}: acknowledged but lost`).toEqual([]);
      // The child replayed exactly what we replayed after the previous round, and continued from there.
      expect(readyNext, `round ${round}: child's replay differs from ours`).toBe(nextAfterPrevious);
      nextAfterPrevious = nums.length ? nums[nums.length - 1] + 1 : 0;
      await wal.close();
    }
    // The test only means something if the children really wrote: most rounds must have acked data.
    expect(roundsWithAcks).toBeGreaterThan(ROUNDS / 2);
    expect(allAcked.size).toBeGreaterThan(1000);
    console.log(`crash test: ${allAcked.size} acked records over ${ROUNDS} rounds, ${tornTails} torn tails truncated`);
  });
});
