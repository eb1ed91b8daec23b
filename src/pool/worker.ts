// Piscina worker entry: runs one codec task per call against this thread's wasm instances (the
// bridges hold one instance per module per thread, so scratch memory is reused across tasks).
// Results go back by transfer, never by structured clone; errors go back as data (see messages.ts).
import { Piscina, workerData } from 'piscina';
import { CodecError } from '../codec/errors.js';
import { encodeSeries, decodeSeries } from '../codec/series.js';
import { compress, decompress } from '../codec/lz.js';
import { crc32c } from '../codec/crc32c.js';
import { StorageError } from '../storage/errors.js';
import { compactBlocks, copyFiles, readSeries, sealBlocks, writeBlocks } from '../metrics/block-tasks.js';
import { checkpointIndex } from '../storage/sqlite-durability.js';
import { sealLogBlock, sealRawLogBlock, transferablesOf } from '../logs/block-tasks.js';
import { compactLogBlocks } from '../logs/compact-tasks.js';
import { readLogBlocks } from '../logs/query/read-blocks.js';
import { readSpanBlocks, readTraceSpans, sealRawSpanBlock } from '../traces/block-tasks.js';
import { compactSpanBlocks } from '../traces/compact-tasks.js';
import { ownedView, type PoolTask, type PoolResponse, type SerializedError, type WorkerThreadData } from './messages.js';
import { lowerThreadPriority, setThreadIdlePolicy } from './thread-priority.js';
import { lendsSharedBuffers, releaseLentSharedBuffers } from './shared-release.js';

// A background thread (pool.ts) runs at a lower CPU priority for its whole life: nice first (the
// fallback), then SCHED_IDLE when asked.
const threadData = workerData as WorkerThreadData | undefined;
if (threadData?.backgroundNice !== undefined) lowerThreadPriority(threadData.backgroundNice);
if (threadData?.backgroundIdle) setThreadIdlePolicy();

export default function runTask(task: PoolTask): unknown {
  try {
    return runOne(task);
  } finally {
    // A lent SharedArrayBuffer stays alive as long as this thread's wrapper of it (shared-release.ts).
    if (lendsSharedBuffers(task as { type: string; input?: unknown })) releaseLentSharedBuffers();
  }
}

function runOne(task: PoolTask): unknown {
  try {
    switch (task.type) {
      case 'encodeSeries': {
        const opts = task.valueCodec ? { values: task.valueCodec } : undefined;
        return reply(ownedView(encodeSeries(task.tsMs, task.values, opts)));
      }
      case 'decodeSeries': {
        const decoded = decodeSeries(task.block);
        const tsMs = ownedView(decoded.tsMs);
        const values = ownedView(decoded.values);
        return reply({ tsMs, values }, [tsMs.buffer as ArrayBuffer, values.buffer as ArrayBuffer]);
      }
      case 'compress':
        return reply(ownedView(compress(task.bytes, task.level)));
      case 'decompress':
        return reply(ownedView(decompress(task.frame)));
      case 'crc32c':
        return { ok: true, value: crc32c(task.bytes, task.seed) } satisfies PoolResponse;
      case 'sealBlocks': {
        const out = sealBlocks(task.input);
        return reply(out, [out.bytes.buffer as ArrayBuffer, out.blocks.buffer as ArrayBuffer]);
      }
      case 'writeBlocks':
        return { ok: true, value: writeBlocks(task.input) } satisfies PoolResponse;
      case 'readSeries': {
        const out = readSeries(task.input);
        const buffers: ArrayBuffer[] = [];
        for (const s of out.series) buffers.push(s.tsMs.buffer as ArrayBuffer, s.values.buffer as ArrayBuffer);
        return reply(out, buffers);
      }
      case 'compactBlocks': {
        const out = compactBlocks(task.input);
        return reply(out, [out.bytes.buffer as ArrayBuffer, out.blocks.buffer as ArrayBuffer]);
      }
      case 'copyFiles':
        return { ok: true, value: copyFiles(task.copies) } satisfies PoolResponse;
      case 'checkpointIndex':
        return { ok: true, value: checkpointIndex(task.file, task.mode) } satisfies PoolResponse;
      case 'sealLogBlock': {
        const out = sealLogBlock(task.input);
        const framed = ownedView(out.framed);
        return reply({ ...out, framed }, transferablesOf([out], [framed]));
      }
      case 'sealRawLogBlock':
        return { ok: true, value: sealRawLogBlock(task.input) } satisfies PoolResponse;
      case 'readLogBlocks': {
        const out = readLogBlocks(task.input);
        const records = ownedView(out.records);
        return reply({ ...out, records }, [records.buffer as ArrayBuffer]);
      }
      case 'compactLogBlocks': {
        const out = compactLogBlocks(task.input);
        const bytes = ownedView(out.bytes);
        return reply({ ...out, bytes }, transferablesOf(out.blocks, [bytes]));
      }
      case 'sealRawSpanBlock': {
        const out = sealRawSpanBlock(task.input);
        return reply(out, [out.filter.buffer as ArrayBuffer]);
      }
      case 'readSpanBlocks':
      case 'readTraceSpans': {
        const out = task.type === 'readSpanBlocks' ? readSpanBlocks(task.input) : readTraceSpans(task.input);
        const records = ownedView(out.records);
        return reply({ ...out, records }, [records.buffer as ArrayBuffer]);
      }
      case 'compactSpanBlocks': {
        const out = compactSpanBlocks(task.input);
        const bytes = ownedView(out.bytes);
        return reply({ ...out, bytes }, [bytes.buffer as ArrayBuffer, ...out.blocks.map((b) => b.filter.buffer as ArrayBuffer)]);
      }
      default: {
        const unknownType = (task as { type?: unknown }).type;
        return { ok: false, error: { kind: 'other', name: 'Error', message: `unknown pool task type ${String(unknownType)}` } };
      }
    }
  } catch (err) {
    return { ok: false, error: serializeError(err) } satisfies PoolResponse;
  }
}

/** Wraps the response so Piscina transfers the result buffers instead of cloning them. */
function reply(value: Uint8Array | object, buffers?: ArrayBuffer[]): unknown {
  const response = { ok: true, value };
  const transfer = buffers ?? [(value as Uint8Array).buffer as ArrayBuffer];
  return Piscina.move({
    [Piscina.transferableSymbol]: transfer,
    [Piscina.valueSymbol]: response,
  } as never);
}

function serializeError(err: unknown): SerializedError {
  if (err instanceof CodecError) {
    return { kind: 'codec', code: err.code, message: err.message };
  }
  if (err instanceof StorageError) {
    return { kind: 'storage', code: err.code, message: err.message, details: plainDetails(err.details) };
  }
  if (err instanceof Error) return { kind: 'other', name: err.name, message: err.message };
  return { kind: 'other', name: 'Error', message: String(err) };
}

/** Details that survive structured clone (drops functions and errors). */
function plainDetails(details: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) {
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[k] = v;
  }
  return out;
}

// This thread has loaded once the require(esm) evaluating this module has returned (its facade
// step runs after the evaluation): a microtask queued now runs right after that. pool.ts close()
// waits for it, since Node 20 aborts the process when a worker is terminated inside require(esm).
// (Not a macrotask: an idle foreground worker blocks in Atomics.wait, so none would run there.)
const started = threadData?.started;
if (started) queueMicrotask(() => Atomics.add(started, 0, 1));
