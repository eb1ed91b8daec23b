// Runs the parser fuzz cases in worker threads, one shard per core (each its own seed), with a
// watchdog: a parser stuck in a loop cannot be interrupted on its own thread, so the parent names
// the exact input from shared memory and stops the worker. Cases that finish but take longer than
// slowMs are failures reported by the worker itself. Workers get a 1 MB stack, like the server's
// main thread, so a recursion that would overflow in production overflows here too.
import { Worker } from 'node:worker_threads';
import type { ParserCorpora, ParserFuzzReport } from './parser-fuzz-run.js';

/** Heartbeat layout: int32 [case index, input length], then the input bytes. */
export const PARSER_HEARTBEAT_INPUT_OFFSET = 8;
const HEARTBEAT_INPUT_BYTES = 64 * 1024;

export interface ParserFuzzShard {
  seed: number;
  casesPerTarget: number;
  slowMs: number;
  corpora: ParserCorpora;
  heartbeat: SharedArrayBuffer;
}

export interface ShardedParserFuzzOptions {
  seed: number;
  casesPerTarget: number;
  shards: number;
  slowMs: number;
  /** No heartbeat for this long = a hang: the worker is stopped and the input reported. */
  hangMs: number;
  corpora: ParserCorpora;
  progress(done: number): void;
}

export async function runParserFuzzSharded(opts: ShardedParserFuzzOptions): Promise<{ reports: ParserFuzzReport[]; crashes: string[] }> {
  const done = new Array<number>(opts.shards).fill(0);
  const shardCases = (i: number) => Math.floor(opts.casesPerTarget / opts.shards) + (i < opts.casesPerTarget % opts.shards ? 1 : 0);
  const settled = await Promise.allSettled(
    Array.from({ length: opts.shards }, (_, i) =>
      runShard({ seed: opts.seed + i, casesPerTarget: shardCases(i), slowMs: opts.slowMs, corpora: opts.corpora, heartbeat: new SharedArrayBuffer(PARSER_HEARTBEAT_INPUT_OFFSET + HEARTBEAT_INPUT_BYTES) }, opts.hangMs, (n) => {
        done[i] = n;
        opts.progress(done.reduce((a, b) => a + b, 0));
      }),
    ),
  );
  const reports: ParserFuzzReport[] = [];
  const crashes: string[] = [];
  for (const s of settled) {
    if (s.status === 'fulfilled') reports.push(s.value);
    else crashes.push(s.reason instanceof Error ? s.reason.message : String(s.reason));
  }
  return { reports, crashes };
}

function runShard(shard: ParserFuzzShard, hangMs: number, onProgress: (done: number) => void): Promise<ParserFuzzReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./parser-fuzz-worker.js', import.meta.url), { workerData: shard, resourceLimits: { stackSizeMb: 1 } });
    const heartbeat = new Int32Array(shard.heartbeat, 0, 2);
    Atomics.store(heartbeat, 0, -1);
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
      // Armed from the first case on: loading the worker's modules is not a parser hang.
      if (current !== lastCase || current < 0) {
        lastCase = current;
        lastChangeMs = performance.now();
        return;
      }
      if (performance.now() - lastChangeMs < hangMs) return;
      const length = Atomics.load(heartbeat, 1);
      const input = new Uint8Array(shard.heartbeat, PARSER_HEARTBEAT_INPUT_OFFSET, Math.min(length, 512));
      finish(() => {
        void worker.terminate();
        reject(new Error(`parser fuzz shard seed ${shard.seed}: case ${current} did not finish within ${hangMs} ms (parser hang); input (${length} bytes) ${Buffer.from(input).toString('hex')}`));
      });
    }, 250);
    worker.on('message', (msg: { type: 'progress'; done: number } | { type: 'done'; report: ParserFuzzReport }) => {
      if (msg.type === 'progress') onProgress(msg.done);
      else finish(() => resolve(msg.report));
    });
    worker.on('error', (err) => finish(() => reject(new Error(`parser fuzz shard seed ${shard.seed}: worker failed: ${err.name}: ${err.message}`))));
    worker.on('exit', (code) => finish(() => reject(new Error(`parser fuzz shard seed ${shard.seed}: worker exited with code ${code} before reporting`))));
  });
}
