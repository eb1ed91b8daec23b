// Runs the codec fuzz cases in worker threads, one shard per core: twice as fast on this machine,
// and the watchdog (watched-shards.ts) can stop a decoder that hangs (a synchronous wasm loop could
// not be interrupted) and still report the exact input that caused it.
import type { FuzzReport } from './fuzz.js';
import type { FuzzTargetName } from './fuzz-targets.js';
import { newHeartbeat, runWatchedShards, shardCases, type WatchedShard } from './watched-shards.js';

export { HEARTBEAT_INPUT_OFFSET } from './watched-shards.js';

export interface FuzzShard extends WatchedShard {
  cases: number;
  corpora: Record<FuzzTargetName, Uint8Array[]>;
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

export function runFuzzSharded(opts: ShardedFuzzOptions): Promise<ShardedFuzzResult> {
  const shards: FuzzShard[] = Array.from({ length: opts.shards }, (_, i) => ({
    seed: opts.seed + i,
    cases: shardCases(opts.cases, opts.shards, i),
    corpora: opts.corpora,
    heartbeat: newHeartbeat(),
  }));
  return runWatchedShards<FuzzShard, FuzzReport>({
    workerUrl: new URL('./fuzz-worker.js', import.meta.url),
    shards,
    label: 'fuzz shard',
    what: 'decoder',
    hangMs: opts.hangMs,
    checkEveryMs: 1000,
    previewBytes: 256,
    progress: opts.progress,
  });
}
