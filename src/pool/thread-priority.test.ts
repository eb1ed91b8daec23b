// Per-thread priority: a worker thread lowers its own priority; the main thread's is untouched.
import { Worker } from 'node:worker_threads';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../codec/wasm.js';
import { describe, expect, it } from 'vitest';
import { currentThreadId, lowerThreadPriority } from './thread-priority.js';

describe('thread priority', () => {
  it('rejects nice values outside 1..19', () => {
    for (const bad of [0, -1, 20, 1.5, NaN]) expect(() => lowerThreadPriority(bad)).toThrow(/1\.\.19/);
  });

  it.runIf(process.platform === 'linux')('renices only the calling thread', async () => {
    const mainTid = currentThreadId();
    expect(mainTid).toBeGreaterThan(0);
    const mainNice = os.getPriority(mainTid!);
    // The worker runs the built module (vitest's loader does not reach worker threads; npm test builds first).
    const built = pathToFileURL(path.join(packageRoot(), 'dist', 'src', 'pool', 'thread-priority.js')).href;
    const code = `
      const { parentPort } = require('node:worker_threads');
      import(${JSON.stringify(built)}).then((m) => {
        const nice = m.lowerThreadPriority(11);
        parentPort.postMessage({ tid: m.currentThreadId(), nice, again: m.lowerThreadPriority(5) });
      });`;
    const reply = await new Promise<{ tid: number; nice: number; again: number }>((resolve, reject) => {
      const w = new Worker(code, { eval: true });
      w.once('message', (m) => {
        resolve(m as { tid: number; nice: number; again: number });
        void w.terminate();
      });
      w.once('error', reject);
    });
    expect(reply.tid).not.toBe(mainTid);
    expect(reply.nice).toBe(11);
    expect(reply.again).toBe(11); // never raised back: that would need privileges
    expect(os.getPriority(mainTid!)).toBe(mainNice);
  });
});
