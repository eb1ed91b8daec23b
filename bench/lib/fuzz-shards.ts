// Runs the fuzz cases in worker threads, one shard per core: twice as fast on this machine, and a
// watchdog can stop a decoder that hangs (a synchronous wasm loop on the main thread could not be
// interrupted) and still report the exact input that caused it.
import { Worker } from 'node:worker_threads';
import type { FuzzReport } from './fuzz.js';
import type { FuzzTargetName } from './fuzz-targets.js';

/** Heartbeat layout: int32 [case index, input length], then the input bytes. */
export const HEARTBEAT_INPUT_OFFSET = 8;
const HEARTBEAT_INPUT_BYTES = 64 * 1024;

export interface FuzzShard {
  seed: number;
  cases: number;
  corpora: Record<FuzzTargetName, Uint8Array[]>;
  heartbeat: SharedArrayBuffer;
}

export interface ShardedFuzzOptions {
  seed: number;
  cases: number;
  shards: number;
  corpora: Record<FuzzTargetName, Uint8Array[]>;
  /** A case running longer than this is a hang (the decoders take microseconds per input). */
  hangMs: number;
  progress(done: number): void;
}

export interface ShardedFuzzResult {
  reports: FuzzReport[];
  /** Shards that hung or died: each message names the shard and, for a hang, the input. */
  crashes: string[];
}

export async function runFuzzSharded(opts: ShardedFuzzOptions): Promise<ShardedFuzzResult> {
  const done = new Array<number>(opts.shards).fill(0);
  const shardCases = (i: number) => Math.floor(opts.cases / opts.shards) + (i < opts.cases % opts.shards ? 1 : 0);
  const settled = await Promise.allSettled(
    Array.from({ length: opts.shards }, (_, i) =>
      runShard({ seed: opts.seed + i, cases: shardCases(i), corpora: opts.corpora, heartbeat: new SharedArrayBuffer(HEARTBEAT_INPUT_OFFSET + HEARTBEAT_INPUT_BYTES) }, opts.hangMs, (n) => {
        done[i] = n;
        opts.progress(done.reduce((a, b) => a + b, 0));
      }),
    ),
  );
  const reports: FuzzReport[] = [];
  const crashes: string[] = [];
  for (const s of settled) {
    if (s.status === 'fulfilled') reports.push(s.value);
    else crashes.push(s.reason instanceof Error ? s.reason.message : String(s.reason));
  }
  return { reports, crashes };
}

function runShard(shard: FuzzShard, hangMs: number, onProgress: (done: number) => void): Promise<FuzzReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./fuzz-worker.js', import.meta.url), { workerData: shard });
    const heartbeat = new Int32Array(shard.heartbeat, 0, 2);
    let lastCase = -1;
    let lastChangeMs = performance.now();
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      fn();
    };
    const watchdog = setInterval(() => {
      const current = Atomics.load(heartbeat, 0);
      if (current !== lastCase) {
        lastCase = current;
        lastChangeMs = performance.now();
        return;
      }
      if (performance.now() - lastChangeMs < hangMs) return;
      const length = Atomics.load(heartbeat, 1);
      const input = new Uint8Array(shard.heartbeat, HEARTBEAT_INPUT_OFFSET, Math.min(length, 256));
      finish(() => {
        void worker.terminate();
        reject(new Error(`fuzz shard seed ${shard.seed}: case ${current} did not finish within ${hangMs} ms (decoder hang); input ${Buffer.from(input).toString('hex')}`));
      });
    }, 1000);
    worker.on('message', (msg: { type: 'progress'; done: number } | { type: 'done'; report: FuzzReport }) => {
      if (msg.type === 'progress') onProgress(msg.done);
      else finish(() => resolve(msg.report));
    });
    worker.on('error', (err) => finish(() => reject(new Error(`fuzz shard seed ${shard.seed}: worker failed: ${err.name}: ${err.message}`))));
    worker.on('exit', (code) => finish(() => reject(new Error(`fuzz shard seed ${shard.seed}: worker exited with code ${code} before reporting`))));
  });
}
