// Runs the parser fuzz cases in worker threads, one shard per core (each its own seed), with a
// watchdog: a parser stuck in a loop cannot be interrupted on its own thread, so the parent names
// the exact input from shared memory and stops the worker. Cases that finish but take longer than
// slowMs are failures reported by the worker itself. Workers get a 1 MB stack, like the server's
// main thread, so a recursion that would overflow in production overflows here too.
import type { ParserCorpora, ParserFuzzReport } from './parser-fuzz-run.js';
import { HEARTBEAT_INPUT_OFFSET, newHeartbeat, runWatchedShards, shardCases, type WatchedShard } from './watched-shards.js';

export const PARSER_HEARTBEAT_INPUT_OFFSET = HEARTBEAT_INPUT_OFFSET;

export interface ParserFuzzShard extends WatchedShard {
  casesPerTarget: number;
  slowMs: number;
  corpora: ParserCorpora;
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

export function runParserFuzzSharded(opts: ShardedParserFuzzOptions): Promise<{ reports: ParserFuzzReport[]; crashes: string[] }> {
  const shards: ParserFuzzShard[] = Array.from({ length: opts.shards }, (_, i) => ({
    seed: opts.seed + i,
    casesPerTarget: shardCases(opts.casesPerTarget, opts.shards, i),
    slowMs: opts.slowMs,
    corpora: opts.corpora,
    heartbeat: newHeartbeat(),
  }));
  return runWatchedShards<ParserFuzzShard, ParserFuzzReport>({
    workerUrl: new URL('./parser-fuzz-worker.js', import.meta.url),
    shards,
    label: 'parser fuzz shard',
    what: 'parser',
    hangMs: opts.hangMs,
    checkEveryMs: 250,
    previewBytes: 512,
    armAtFirstCase: true,
    resourceLimits: { stackSizeMb: 1 },
    progress: opts.progress,
  });
}
