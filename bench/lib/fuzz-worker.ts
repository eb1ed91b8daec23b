// Worker-thread entry for one shard of the fuzz run. Before each case it publishes the case index
// and input bytes in shared memory, so the parent can name the exact input if a decoder hangs.
import { parentPort, workerData } from 'node:worker_threads';
import { Prng } from '../gen/prng.js';
import { runFuzz, type FuzzTarget } from './fuzz.js';
import { FUZZ_DECODERS, type FuzzTargetName } from './fuzz-targets.js';
import { HEARTBEAT_INPUT_OFFSET, type FuzzShard } from './fuzz-shards.js';

const shard = workerData as FuzzShard;
const heartbeat = new Int32Array(shard.heartbeat, 0, 2);
const inputCopy = new Uint8Array(shard.heartbeat, HEARTBEAT_INPUT_OFFSET);

const targets: FuzzTarget[] = (Object.keys(shard.corpora) as FuzzTargetName[]).map((name) => ({
  name,
  corpus: shard.corpora[name],
  decode: FUZZ_DECODERS[name],
}));

const report = runFuzz(new Prng(shard.seed), targets, shard.cases, {
  onCase(index, bytes) {
    const n = Math.min(bytes.length, inputCopy.length);
    inputCopy.set(bytes.subarray(0, n));
    Atomics.store(heartbeat, 1, n);
    Atomics.store(heartbeat, 0, index);
  },
  onProgress(done) {
    parentPort!.postMessage({ type: 'progress', done });
  },
});
parentPort!.postMessage({ type: 'done', report });
