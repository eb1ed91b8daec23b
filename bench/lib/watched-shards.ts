// Fuzz shards in worker threads, one per core, under a watchdog (the codec and parser fuzzers share
// it): a synchronous loop cannot be interrupted on its own thread, so each worker publishes the case
// it is on — index, length and input bytes — in a SharedArrayBuffer, and the parent, when that
// index stops moving for hangMs, stops the worker and reports the exact input.
import { Worker, type ResourceLimits } from 'node:worker_threads';

/** Heartbeat layout: int32 [case index, input length], then the input bytes. */
export const HEARTBEAT_INPUT_OFFSET = 8;
const HEARTBEAT_INPUT_BYTES = 64 * 1024;

export interface WatchedShard {
  seed: number;
  heartbeat: SharedArrayBuffer;
}

export function newHeartbeat(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEARTBEAT_INPUT_OFFSET + HEARTBEAT_INPUT_BYTES);
}

export interface WatchedShardsOptions<S extends WatchedShard> {
  /** The worker module; it gets the shard as workerData, posts { type: 'progress', done } and { type: 'done', report }. */
  workerUrl: URL;
  shards: S[];
  /** 'fuzz shard' / 'parser fuzz shard': names the shard in failure messages. */
  label: string;
  /** 'decoder' / 'parser': what a hang is blamed on. */
  what: string;
  hangMs: number;
  checkEveryMs: number;
  /** Input bytes shown (hex) for a hang. */
  previewBytes: number;
  /** Arm the watchdog at the first case (heartbeat starts at -1): loading the worker's modules is no hang. */
  armAtFirstCase?: boolean;
  resourceLimits?: ResourceLimits;
  progress(done: number): void;
}

/** Splits `total` cases over `shards`: the first shards take one more when it does not divide. */
export function shardCases(total: number, shards: number, i: number): number {
  return Math.floor(total / shards) + (i < total % shards ? 1 : 0);
}

export async function runWatchedShards<S extends WatchedShard, R>(o: WatchedShardsOptions<S>): Promise<{ reports: R[]; crashes: string[] }> {
  const done = new Array<number>(o.shards.length).fill(0);
  const settled = await Promise.allSettled(
    o.shards.map((shard, i) =>
      runShard<S, R>(shard, o, (n) => {
        done[i] = n;
        o.progress(done.reduce((a, b) => a + b, 0));
      }),
    ),
  );
  const reports: R[] = [];
  const crashes: string[] = [];
  for (const s of settled) {
    if (s.status === 'fulfilled') reports.push(s.value);
    else crashes.push(s.reason instanceof Error ? s.reason.message : String(s.reason));
  }
  return { reports, crashes };
}

function runShard<S extends WatchedShard, R>(shard: S, o: WatchedShardsOptions<S>, onProgress: (done: number) => void): Promise<R> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(o.workerUrl, { workerData: shard, ...(o.resourceLimits ? { resourceLimits: o.resourceLimits } : {}) });
    const heartbeat = new Int32Array(shard.heartbeat, 0, 2);
    if (o.armAtFirstCase) Atomics.store(heartbeat, 0, -1);
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
      if (current !== lastCase || (o.armAtFirstCase && current < 0)) {
        lastCase = current;
        lastChangeMs = performance.now();
        return;
      }
      if (performance.now() - lastChangeMs < o.hangMs) return;
      const length = Atomics.load(heartbeat, 1);
      const input = new Uint8Array(shard.heartbeat, HEARTBEAT_INPUT_OFFSET, Math.min(length, o.previewBytes));
      finish(() => {
        void worker.terminate();
        reject(new Error(`${o.label} seed ${shard.seed}: case ${current} did not finish within ${o.hangMs} ms (${o.what} hang); input (${length} bytes) ${Buffer.from(input).toString('hex')}`));
      });
    }, o.checkEveryMs);
    worker.on('message', (msg: { type: 'progress'; done: number } | { type: 'done'; report: R }) => {
      if (msg.type === 'progress') onProgress(msg.done);
      else finish(() => resolve(msg.report));
    });
    worker.on('error', (err) => finish(() => reject(new Error(`${o.label} seed ${shard.seed}: worker failed: ${err.name}: ${err.message}`))));
    worker.on('exit', (code) => finish(() => reject(new Error(`${o.label} seed ${shard.seed}: worker exited with code ${code} before reporting`))));
  });
}
