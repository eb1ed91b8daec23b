// The typed worker pool (DESIGN.md §3): every codec call runs on a Piscina thread, never on the main
// thread. Buffers cross by transfer both ways, never by structured clone.
//
// Ownership rule (callers read this): every method TRANSFERS its typed-array inputs to the worker.
// After the call the caller's arrays are detached (length 0) and must not be reused; keep a copy
// first if you still need the data. A view that does not cover its whole ArrayBuffer (a subarray, or
// a Node Buffer from the shared slab) is copied instead of transferred, so that the rest of the
// buffer (data the caller never handed over) is not detached with it.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Piscina } from 'piscina';
import { CodecError } from '../codec/errors.js';
import { StorageError, type StorageErrorCode } from '../storage/errors.js';
import type {
  BlocksOutput, CompactInput, CompactOutput, CopySpec, ReadInput, ReadOutput, SealInput, WriteInput,
} from '../metrics/block-tasks.js';
import type { IndexCheckpointMode, IndexCheckpointResult } from '../storage/sqlite-durability.js';
import type { SealLogBlockInput, SealRawLogBlockInput, SealedLogBlock, SealedRawLogBlock } from '../logs/block-tasks.js';
import type { CompactLogBlocksInput, CompactLogBlocksOutput } from '../logs/compact-tasks.js';
import type { ReadLogBlocksInput, ReadLogBlocksOutput } from '../logs/query/read-blocks.js';
import type { ReadSpanBlocksInput, ReadSpansOutput, ReadTraceSpansInput, SealRawSpanBlockInput, SealedRawSpanBlock } from '../traces/block-tasks.js';
import type { CompactSpanBlocksInput, CompactSpanBlocksOutput } from '../traces/compact-tasks.js';
import { packageRoot } from '../codec/wasm.js';
import type {
  DecodedSeries,
  LzLevel,
  PoolResponse,
  PoolTask,
  PoolTaskResults,
  PoolTaskType,
  SeriesValueCodec,
  SerializedError,
  WorkerThreadData,
} from './messages.js';
import { ownedView } from './messages.js';
import { BACKGROUND_TASKS, LaneTaskQueue, markBackground } from './task-queue.js';

export interface PoolOptions {
  /** Worker threads for seals, writes, reads and copies; default max(1, available cores - 1) so one core stays with the host app. */
  threads?: number;
  /**
   * Threads of their own for background work (compaction), default 1; 0 runs it on the threads
   * above, behind every other task. On Linux they run at nice `backgroundNice` (default 10) and,
   * with `backgroundIdle` (default true), under SCHED_IDLE (thread-priority.ts): the host's threads
   * and the seals get the cores first, compaction what is left. Under SCHED_IDLE a host that keeps
   * every core busy leaves compaction nothing: RAW blocks then wait (bigger on disk, slower to
   * query; size retention still bounds the disk) - set `backgroundIdle: false` to give it a
   * nice-10 share instead. Measured (logs.ingest, 2 cores): seals no longer wait behind a
   * compaction task (flush p99 ~90 ms instead of 0.6-3 s); host event-loop p99 8.5 ms idle, 10.2
   * ms at nice 10.
   */
  backgroundThreads?: number;
  backgroundNice?: number;
  backgroundIdle?: boolean;
}

export const DEFAULT_BACKGROUND_THREADS = 1;
export const DEFAULT_BACKGROUND_NICE = 10;

export interface Pool {
  readonly threads: number;
  /** Threads that run only background work (0: it runs on `threads`). */
  readonly backgroundThreads: number;
  /** Tasks waiting for a free worker (not counting the ones running). */
  readonly queueSize: number;
  /** Threads that have finished loading the worker module since the pool was made (close() waits for all). */
  readonly startedThreads: number;
  /** Worker threads currently alive (0 after close()). */
  readonly activeThreads: number;
  encodeSeries(tsMs: Float64Array, values: Float64Array, opts?: { values?: SeriesValueCodec }): Promise<Uint8Array>;
  decodeSeries(block: Uint8Array): Promise<DecodedSeries>;
  compress(bytes: Uint8Array, level?: LzLevel): Promise<Uint8Array>;
  decompress(frame: Uint8Array): Promise<Uint8Array>;
  crc32c(bytes: Uint8Array, seed?: number): Promise<number>;
  // Metrics block work (src/metrics/block-tasks.ts). Typed-array inputs are transferred (detached).
  sealBlocks(input: SealInput): Promise<BlocksOutput>;
  writeBlocks(input: WriteInput): Promise<number>;
  readSeries(input: ReadInput): Promise<ReadOutput>;
  compactBlocks(input: CompactInput): Promise<CompactOutput>;
  copyFiles(copies: CopySpec[]): Promise<number>;
  /** Checkpoint (default PASSIVE) of an SQLite database from a worker's own short-lived connection. */
  checkpointIndex(file: string, mode?: IndexCheckpointMode): Promise<IndexCheckpointResult>;
  // Logs block work (src/logs/block-tasks.ts, src/logs/query/read-blocks.ts). `records` is transferred.
  sealLogBlock(input: SealLogBlockInput): Promise<SealedLogBlock>;
  /** Frames + writes + fdatasyncs a RAW logs block (+ its attribute keys); `buffer` is shared, or transferred whole (detached). */
  sealRawLogBlock(input: SealRawLogBlockInput): Promise<SealedRawLogBlock>;
  readLogBlocks(input: ReadLogBlocksInput): Promise<ReadLogBlocksOutput>;
  compactLogBlocks(input: CompactLogBlocksInput): Promise<CompactLogBlocksOutput>;
  // Spans block work (src/traces/block-tasks.ts, compact-tasks.ts).
  /** Frames + writes + fdatasyncs a RAW span block and returns its trace-id filter; `buffer` is shared, or transferred whole. */
  sealRawSpanBlock(input: SealRawSpanBlockInput): Promise<SealedRawSpanBlock>;
  readSpanBlocks(input: ReadSpanBlocksInput): Promise<ReadSpansOutput>;
  readTraceSpans(input: ReadTraceSpansInput): Promise<ReadSpansOutput>;
  compactSpanBlocks(input: CompactSpanBlocksInput): Promise<CompactSpanBlocksOutput>;
  /** Destroys the pool: running tasks are rejected and every thread is stopped. */
  close(): Promise<void>;
}

export function defaultThreads(): number {
  return Math.max(1, os.availableParallelism() - 1);
}

/**
 * Workers always run the built JS (dist/src/pool/worker.js): vitest's transforms do not reach worker
 * threads on Node 20, so loading worker.ts from src/ would fail under tests.
 */
export function workerFile(): string {
  return path.join(packageRoot(), 'dist', 'src', 'pool', 'worker.js');
}

export function createPool(options: PoolOptions = {}): Pool {
  const threads = options.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`timeless: pool threads must be a positive integer, got ${String(options.threads)}`);
  }
  const backgroundThreads = options.backgroundThreads ?? DEFAULT_BACKGROUND_THREADS;
  if (!Number.isInteger(backgroundThreads) || backgroundThreads < 0) {
    throw new RangeError(`timeless: pool backgroundThreads must be a non-negative integer, got ${String(options.backgroundThreads)}`);
  }
  const backgroundNice = options.backgroundNice ?? DEFAULT_BACKGROUND_NICE;
  if (!Number.isInteger(backgroundNice) || backgroundNice < 1 || backgroundNice > 19) {
    throw new RangeError(`timeless: pool backgroundNice must be an integer 1..19, got ${String(options.backgroundNice)}`);
  }
  const filename = workerFile();
  if (!existsSync(filename)) {
    throw new Error(`timeless: the worker pool needs the built worker ${filename}; run \`npm run build\` first`);
  }
  // minThreads = maxThreads: the threads (and their wasm instances) live as long as the pool, so
  // no task pays a cold wasm start. idleTimeout only matters if that ever changes.
  // `started` counts the threads that finished loading the worker module (worker.ts, last line).
  const started = new Int32Array(new SharedArrayBuffer(4));
  const foregroundData: WorkerThreadData = { started };
  const backgroundData: WorkerThreadData = { started, backgroundNice, backgroundIdle: options.backgroundIdle ?? true };
  const piscina = new Piscina({ filename, minThreads: threads, maxThreads: threads, idleTimeout: 60_000, taskQueue: new LaneTaskQueue(), workerData: foregroundData });
  // Background threads wait for work with Atomics.waitAsync ('async'), not Piscina's default
  // blocking Atomics.wait: their event loop stays free between tasks, so V8's memory reducer can
  // collect what a compaction task left behind. Blocked, an idle thread never GCs: measured in the
  // soak, the compaction thread sat on ~50 MB of dead block buffers and a 70 MB heap (10 MB and 44 MB
  // with 'async'). Foreground threads keep the blocking wait: a query's latency pays for a wake-up.
  const background = backgroundThreads > 0
    ? new Piscina({ filename, minThreads: backgroundThreads, maxThreads: backgroundThreads, idleTimeout: 60_000, atomics: 'async', workerData: backgroundData })
    : undefined;
  let closed = false;

  async function run<K extends PoolTaskType>(task: Extract<PoolTask, { type: K }>, inputs: ArrayBufferView[]): Promise<PoolTaskResults[K]> {
    if (closed) throw new Error('timeless: the worker pool is closed');
    const transferList = inputs.map((view) => view.buffer as ArrayBuffer);
    const isBackground = BACKGROUND_TASKS.has(task.type);
    const response = (await (isBackground && background
      ? background.run(task, { transferList })
      : piscina.run(isBackground ? markBackground(task) : task, { transferList }))) as PoolResponse<K>;
    // Settle on a fresh macrotask. Piscina drains every finished response synchronously inside one
    // message callback, and a caller that posts its next task from the continuation would keep the
    // event loop inside that callback while the workers keep up, starving the host's timers and
    // I/O (measured: 60-130 ms event-loop stalls in the codec.pool bench). One loop turn per task
    // is the price of fairness.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (response.ok) return response.value;
    throw rebuildError(response.error);
  }

  return {
    threads,
    backgroundThreads,
    get queueSize() {
      return piscina.queueSize + (background?.queueSize ?? 0);
    },
    get startedThreads() {
      return Atomics.load(started, 0);
    },
    get activeThreads() {
      return piscina.threads.length + (background?.threads.length ?? 0);
    },
    encodeSeries(tsMs, values, opts) {
      const t = ownedView(tsMs);
      const v = ownedView(values);
      // Same buffer for both (e.g. two halves copied into one): transfer it once.
      const inputs = t.buffer === v.buffer ? [t] : [t, v];
      return run({ type: 'encodeSeries', tsMs: t, values: v, valueCodec: opts?.values }, inputs);
    },
    decodeSeries(block) {
      const b = ownedView(block);
      return run({ type: 'decodeSeries', block: b }, [b]);
    },
    compress(bytes, level) {
      const b = ownedView(bytes);
      return run({ type: 'compress', bytes: b, level }, [b]);
    },
    decompress(frame) {
      const f = ownedView(frame);
      return run({ type: 'decompress', frame: f }, [f]);
    },
    crc32c(bytes, seed) {
      const b = ownedView(bytes);
      return run({ type: 'crc32c', bytes: b, seed }, [b]);
    },
    sealBlocks(input) {
      const points = ownedView(input.points);
      const heads = ownedView(input.heads);
      return run({ type: 'sealBlocks', input: { points, heads } }, [points, heads]);
    },
    writeBlocks(input) {
      const bytes = ownedView(input.bytes);
      return run({ type: 'writeBlocks', input: { ...input, bytes } }, [bytes]);
    },
    readSeries(input) {
      const views: ArrayBufferView[] = [];
      const series = input.series.map((s) => {
        if (!s.headTsMs || !s.headValues) return s;
        const headTsMs = ownedView(s.headTsMs);
        const headValues = ownedView(s.headValues);
        views.push(headTsMs, headValues);
        return { ...s, headTsMs, headValues };
      });
      return run({ type: 'readSeries', input: { ...input, series } }, views);
    },
    compactBlocks(input) {
      return run({ type: 'compactBlocks', input }, []);
    },
    copyFiles(copies) {
      return run({ type: 'copyFiles', copies }, []);
    },
    checkpointIndex(file, mode) {
      return run({ type: 'checkpointIndex', file, mode }, []);
    },
    sealLogBlock(input) {
      const records = ownedView(input.records);
      return run({ type: 'sealLogBlock', input: { ...input, records } }, [records]);
    },
    sealRawLogBlock(input) {
      // A shared buffer crosses as it is (no copy); an ArrayBuffer is moved whole, never copied.
      return run({ type: 'sealRawLogBlock', input }, input.buffer instanceof ArrayBuffer ? [new Uint8Array(input.buffer)] : []);
    },
    readLogBlocks(input) {
      return run({ type: 'readLogBlocks', input }, []);
    },
    compactLogBlocks(input) {
      return run({ type: 'compactLogBlocks', input }, []);
    },
    sealRawSpanBlock(input) {
      return run({ type: 'sealRawSpanBlock', input }, input.buffer instanceof ArrayBuffer ? [new Uint8Array(input.buffer)] : []);
    },
    readSpanBlocks(input) {
      return run({ type: 'readSpanBlocks', input }, []);
    },
    readTraceSpans(input) {
      return run({ type: 'readTraceSpans', input }, []);
    },
    compactSpanBlocks(input) {
      return run({ type: 'compactSpanBlocks', input }, []);
    },
    async close() {
      if (closed) return;
      closed = true;
      await allStarted(started, threads + backgroundThreads);
      await Promise.all([piscina.destroy(), background?.destroy()]);
    },
  };
}

/**
 * Waits (at most STARTUP_WAIT_MS) until `n` threads finished loading the worker module. Node 20
 * loads it through require(esm), and terminating a thread in the middle of that aborts the whole
 * process (V8 "Module::IsGraphAsync must be used on an instantiated module"): seen when a pool was
 * closed right after it was made, its background thread still loading.
 */
async function allStarted(started: Int32Array, n: number): Promise<void> {
  const deadline = Date.now() + STARTUP_WAIT_MS;
  while (Atomics.load(started, 0) < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}
const STARTUP_WAIT_MS = 10_000;

function rebuildError(error: SerializedError): Error {
  if (error.kind === 'codec') {
    const err = new CodecError(error.code, '');
    // Keep the worker's message verbatim (the constructor would prefix the code a second time).
    err.message = error.message;
    return err;
  }
  if (error.kind === 'storage') {
    const err = new StorageError(error.code as StorageErrorCode, '', error.details);
    err.message = error.message;
    return err;
  }
  const err = new Error(error.message);
  err.name = error.name;
  return err;
}
