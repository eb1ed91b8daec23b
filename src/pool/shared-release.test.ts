// The pool threads give back the SharedArrayBuffers a task lent them (shared-release.ts): after a
// run of tasks each lent a fresh buffer, the buffers are freed as soon as the caller drops them.
// Without the minor GC after each such task the thread's wrappers kept all of them alive (measured:
// a logs server's hot chunk buffers, 520 MB after 10 s at capacity). Also: which tasks count as
// lending, and that collectGarbage leaves no `gc` global behind. Workers run dist/ (npm test builds).
import vm from 'node:vm';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { collectGarbage } from './gc.js';
import { createPool } from './pool.js';
import { lendsSharedBuffers } from './shared-release.js';

const MIB = 1024 * 1024;

/** Bytes of ArrayBuffers this thread's allocator made that are still alive anywhere (any thread's references count). */
async function liveArrayBufferBytes(): Promise<number> {
  // Twice, a turn apart: V8 frees array buffer memory in a sweep that can finish after gc() returns.
  collectGarbage('major');
  await sleep(20);
  collectGarbage('major');
  return process.memoryUsage().arrayBuffers;
}

describe('lendsSharedBuffers', () => {
  it('is true for a seal lent a shared buffer and a trace look-up with hot chunks, false otherwise', () => {
    const sab = new SharedArrayBuffer(8);
    expect(lendsSharedBuffers({ type: 'sealRawLogBlock', input: { buffer: sab } })).toBe(true);
    expect(lendsSharedBuffers({ type: 'sealRawSpanBlock', input: { buffer: sab } })).toBe(true);
    expect(lendsSharedBuffers({ type: 'readTraceSpans', input: { hot: [{ buffer: sab, length: 0, count: 0 }] } })).toBe(true);
    // A transferred ArrayBuffer belongs to the thread now: V8 counts it, nothing to release.
    expect(lendsSharedBuffers({ type: 'sealRawLogBlock', input: { buffer: new ArrayBuffer(8) } })).toBe(false);
    expect(lendsSharedBuffers({ type: 'readTraceSpans', input: { hot: [] } })).toBe(false);
    expect(lendsSharedBuffers({ type: 'crc32c' })).toBe(false);
    expect(lendsSharedBuffers({ type: 'x', input: null })).toBe(false);
  });
});

describe('collectGarbage', () => {
  it('runs minor and major GCs without leaving `gc` exposed to contexts made later', () => {
    const before = vm.runInNewContext('typeof gc') as string;
    expect(collectGarbage('minor')).toBe(true);
    expect(collectGarbage('major')).toBe(true);
    expect(vm.runInNewContext('typeof gc')).toBe(before);
  });
});

describe('pool threads and lent shared buffers', () => {
  it('a buffer lent to a task is freed once the caller drops it: the thread keeps no wrapper alive', async () => {
    const pool = createPool({ threads: 1, backgroundThreads: 0 });
    const n = 24;
    const size = 4 * MIB;
    try {
      // Warm the thread up first (its module loading allocates buffers of its own).
      await pool.readTraceSpans({ blocks: [], traceId: '0'.repeat(32), hot: [{ buffer: new SharedArrayBuffer(64), length: 0, count: 0 }] });
      const base = await liveArrayBufferBytes();
      const held: SharedArrayBuffer[] = [];
      for (let i = 0; i < n; i++) {
        const buffer = new SharedArrayBuffer(size);
        held.push(buffer);
        const out = await pool.readTraceSpans({ blocks: [], traceId: '0'.repeat(32), hot: [{ buffer, length: 0, count: 0 }] });
        expect(out.records.length).toBe(0);
      }
      // The measure sees them while they are held here...
      expect((await liveArrayBufferBytes()) - base).toBeGreaterThanOrEqual(n * size - MIB);
      held.length = 0;
      // ...and, dropped here, nothing else holds them (the last task's at most: see shared-release.ts).
      expect((await liveArrayBufferBytes()) - base).toBeLessThan(2 * size);
    } finally {
      await pool.close();
    }
  });
});
