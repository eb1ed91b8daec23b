// The pool against direct calls: same bytes, inputs really transferred (detached), CodecError codes
// surviving the thread hop, and close() stopping the threads. Workers run dist/ (npm test builds).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodecError } from '../codec/errors.js';
import { crc32c } from '../codec/crc32c.js';
import { compress, decompress } from '../codec/lz.js';
import { decodeSeries, encodeSeries } from '../codec/series.js';
import { Prng } from '../../bench/gen/prng.js';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { createPool, defaultThreads, workerFile, type Pool } from './pool.js';
import { spawnSync } from 'node:child_process';
import { currentThreadId, SCHED_IDLE, threadStatFields } from './thread-priority.js';

/** Field `index` (threadStatFields: 16 = nice, 38 = policy) of every live thread of this process. */
function threadStatField(index: number): number[] {
  const out: number[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    const fields = threadStatFields(tid); // undefined: the thread ended since the listing
    if (fields) out.push(Number(fields[index]));
  }
  return out;
}
const threadNiceValues = () => threadStatField(16);
const idleThreads = () => threadStatField(38).filter((p) => p === SCHED_IDLE).length;
const hasChrt = process.platform === 'linux' && spawnSync('chrt', ['--version'], { stdio: 'ignore' }).status === 0;

function series(points: number, seed: number) {
  const prng = new Prng(seed);
  const tsMs = new Float64Array(points);
  const values = new Float64Array(points);
  let walk = 0;
  for (let i = 0; i < points; i++) {
    tsMs[i] = 1.7e12 + i * 10_000 + prng.int(0, 3);
    walk += prng.normal();
    values[i] = i % 97 === 0 ? NaN : Math.round(walk * 100) / 100;
  }
  return { tsMs, values };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof CodecError) return err.code;
    throw err;
  }
  throw new Error('expected the direct call to throw a CodecError');
}

describe('worker pool', () => {
  let pool: Pool;
  beforeAll(() => {
    pool = createPool({ threads: 2 });
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('runs the built worker with the documented default size', () => {
    expect(workerFile()).toMatch(/dist[/\\]src[/\\]pool[/\\]worker\.js$/);
    expect(defaultThreads()).toBeGreaterThanOrEqual(1);
    expect(pool.threads).toBe(2);
  });

  it('encodes and decodes series exactly like the direct calls', async () => {
    const { tsMs, values } = series(5000, 1);
    const direct = encodeSeries(tsMs, values);
    const viaPool = await pool.encodeSeries(tsMs.slice(), values.slice());
    expect(Buffer.from(viaPool).equals(Buffer.from(direct))).toBe(true);
    const decoded = await pool.decodeSeries(viaPool.slice());
    const want = decodeSeries(direct);
    expect(Buffer.from(decoded.tsMs.buffer).equals(Buffer.from(want.tsMs.buffer))).toBe(true);
    expect(Buffer.from(decoded.values.buffer).equals(Buffer.from(values.buffer))).toBe(true);
  });

  it('compresses, decompresses and checksums exactly like the direct calls', async () => {
    const text = new TextEncoder().encode('GET /api/v1/users/42 200 3ms\n'.repeat(500) + 'tail');
    for (const level of ['fast', 'default', 'max'] as const) {
      const frame = await pool.compress(text.slice(), level);
      expect(Buffer.from(frame).equals(Buffer.from(compress(text, level)))).toBe(true);
      expect(Buffer.from(await pool.decompress(frame.slice())).equals(Buffer.from(text))).toBe(true);
      expect(Buffer.from(decompress(frame)).equals(Buffer.from(text))).toBe(true);
    }
    expect(await pool.crc32c(text.slice())).toBe(crc32c(text));
    expect(await pool.crc32c(text.slice(), 0x1234)).toBe(crc32c(text, 0x1234));
  });

  it('transfers inputs: the caller keeps detached arrays, and many tasks run concurrently', async () => {
    const { tsMs, values } = series(8192, 2);
    const copyTs = tsMs.slice();
    const copyValues = values.slice();
    const block = await pool.encodeSeries(tsMs, values);
    expect(tsMs.length).toBe(0);
    expect(tsMs.buffer.byteLength).toBe(0);
    expect(values.buffer.byteLength).toBe(0);
    const bytes = block.slice();
    await pool.decodeSeries(block);
    expect(block.byteLength).toBe(0);
    const results = await Promise.all(Array.from({ length: 16 }, () => pool.decodeSeries(bytes.slice())));
    for (const r of results) expect(Buffer.from(r.values.buffer).equals(Buffer.from(copyValues.buffer))).toBe(true);
    expect(Buffer.from(results[0].tsMs.buffer).equals(Buffer.from(copyTs.buffer))).toBe(true);
  });

  it('copies a partial view instead of detaching data the caller did not hand over', async () => {
    const whole = new TextEncoder().encode('abcdefghijklmnopqrstuvwxyz'.repeat(40));
    const part = whole.subarray(10, 500);
    const crc = await pool.crc32c(part);
    expect(crc).toBe(crc32c(whole.subarray(10, 500)));
    expect(whole.length).toBe(1040);
    expect(part.length).toBe(490);
  });

  it('rethrows worker CodecErrors as CodecError with the same code', async () => {
    const { tsMs, values } = series(300, 3);
    const block = encodeSeries(tsMs, values);
    const truncated = block.slice(0, block.length >> 1);
    const garbage = new Prng(4).bytes(200);
    const frame = compress(new TextEncoder().encode('hello hello hello hello'.repeat(50)));
    const badFrame = frame.slice(0, frame.length - 3);
    const cases: Array<[() => unknown, () => Promise<unknown>]> = [
      [() => decodeSeries(truncated), () => pool.decodeSeries(truncated.slice())],
      [() => decodeSeries(garbage), () => pool.decodeSeries(garbage.slice())],
      [() => decompress(badFrame), () => pool.decompress(badFrame.slice())],
      [() => encodeSeries(new Float64Array(3), new Float64Array(2)), () => pool.encodeSeries(new Float64Array(3), new Float64Array(2))],
    ];
    for (const [direct, viaPool] of cases) {
      const code = codeOf(direct);
      const err = await viaPool().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CodecError);
      expect((err as CodecError).code).toBe(code);
      expect((err as CodecError).message.startsWith(`${code}: `)).toBe(true);
    }
  });

  it('close() stops every thread and later calls fail clearly', async () => {
    const own = createPool({ threads: 2 });
    expect(await own.crc32c(new Uint8Array([1, 2, 3]))).toBe(crc32c(new Uint8Array([1, 2, 3])));
    expect(own.activeThreads).toBe(3); // + the background thread
    await own.close();
    expect(own.activeThreads).toBe(0);
    await expect(own.crc32c(new Uint8Array(4))).rejects.toThrow(/pool is closed/);
    await own.close(); // idempotent
  });

  it('close() right after the pool is made waits until every thread has loaded (Node 20 aborts on a worker terminated mid-load)', async () => {
    const own = createPool({ threads: 2, backgroundThreads: 1 });
    expect(own.startedThreads).toBeLessThan(3); // loading takes tens of ms
    await own.close();
    expect(own.startedThreads).toBe(3);
    expect(own.activeThreads).toBe(0);
  });

  it('rejects a nonsensical thread count', () => {
    expect(() => createPool({ threads: 0 })).toThrow(/positive integer/);
    expect(() => createPool({ backgroundThreads: -1 })).toThrow(/non-negative integer/);
    expect(() => createPool({ backgroundNice: 0 })).toThrow(/1\.\.19/);
    expect(() => createPool({ backgroundNice: 20 })).toThrow(/1\.\.19/);
  });

  it('without background threads, the pool has only its own threads', async () => {
    const own = createPool({ threads: 1, backgroundThreads: 0 });
    expect(own.backgroundThreads).toBe(0);
    expect(await own.crc32c(new Uint8Array([4]))).toBe(crc32c(new Uint8Array([4])));
    expect(own.activeThreads).toBe(1);
    await own.close();
  });

  it.runIf(hasChrt)('background threads run under SCHED_IDLE by default, the others unchanged', async () => {
    const before = idleThreads();
    const own = createPool({ threads: 1, backgroundThreads: 1 });
    try {
      const deadline = Date.now() + 20_000;
      while (idleThreads() < before + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(idleThreads()).toBe(before + 1);
    } finally {
      await own.close();
    }
  });

  it.runIf(process.platform === 'linux')('background threads run at the configured nice value, the host threads unchanged', async () => {
    const niceBefore = threadNiceValues();
    expect(niceBefore.filter((n) => n === 13)).toEqual([]);
    const own = createPool({ threads: 1, backgroundThreads: 2, backgroundNice: 13, backgroundIdle: false });
    try {
      expect(own.activeThreads).toBe(3);
      // The threads renice themselves as they start: wait for both (no timing asserted).
      const deadline = Date.now() + 20_000;
      while (threadNiceValues().filter((n) => n === 13).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(threadNiceValues().filter((n) => n === 13).length).toBe(2);
      expect(os.getPriority(currentThreadId()!)).toBe(os.getPriority(process.pid));
    } finally {
      await own.close();
    }
  });
});
