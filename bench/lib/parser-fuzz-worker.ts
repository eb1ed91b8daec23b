// Worker-thread entry for one shard of the parser fuzz run. Before each case it publishes the case
// index and input bytes in shared memory, so the parent can name the exact input if a parser hangs.
import { parentPort, workerData } from 'node:worker_threads';
import { runParserFuzz } from './parser-fuzz-run.js';
import { PARSER_HEARTBEAT_INPUT_OFFSET, type ParserFuzzShard } from './parser-fuzz-shards.js';

const shard = workerData as ParserFuzzShard;
const heartbeat = new Int32Array(shard.heartbeat, 0, 2);
const inputCopy = new Uint8Array(shard.heartbeat, PARSER_HEARTBEAT_INPUT_OFFSET);

const report = runParserFuzz({
  seed: shard.seed,
  corpora: shard.corpora,
  casesPerTarget: shard.casesPerTarget,
  slowMs: shard.slowMs,
  onCase(index, bytes) {
    const n = Math.min(bytes.length, inputCopy.length);
    inputCopy.set(bytes.subarray(0, n));
    Atomics.store(heartbeat, 1, bytes.length);
    Atomics.store(heartbeat, 0, index);
  },
  onProgress(done) {
    parentPort!.postMessage({ type: 'progress', done });
  },
});
parentPort!.postMessage({ type: 'done', report });
