// Per-thread priority: a worker thread lowers its own priority; the main thread's is untouched.
import { Worker } from 'node:worker_threads';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../codec/wasm.js';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { currentThreadId, lowerThreadPriority, SCHED_IDLE, threadPolicy } from './thread-priority.js';

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

  const hasChrt = process.platform === 'linux' && spawnSync('chrt', ['--version'], { stdio: 'ignore' }).status === 0;
  it.runIf(hasChrt)('moves only the calling thread to SCHED_IDLE', async () => {
    const mainTid = currentThreadId()!;
    const mainPolicy = threadPolicy(mainTid);
    const built = pathToFileURL(path.join(packageRoot(), 'dist', 'src', 'pool', 'thread-priority.js')).href;
    const code = `
      const { parentPort } = require('node:worker_threads');
      import(${JSON.stringify(built)}).then((m) => {
        const before = m.threadPolicy();
        const ok = m.setThreadIdlePolicy();
        parentPort.postMessage({ tid: m.currentThreadId(), before, ok });
        parentPort.on('message', () => undefined); // stays alive until terminated
      });`;
    const w = new Worker(code, { eval: true });
    try {
      const reply = await new Promise<{ tid: number; before: number; ok: boolean }>((resolve, reject) => {
        w.once('message', (m) => resolve(m as { tid: number; before: number; ok: boolean }));
        w.once('error', reject);
      });
      expect(reply.before).toBe(0);
      expect(reply.ok).toBe(true);
      expect(threadPolicy(reply.tid)).toBe(SCHED_IDLE); // read from this thread while it runs
      expect(threadPolicy(mainTid)).toBe(mainPolicy);
    } finally {
      await w.terminate();
    }
  });
});
