// Every task the worker pool runs, named. The pool (main thread) and the worker agree on these shapes;
// adding a task type means one variant here, one case in worker.ts and one method in pool.ts.
import type { CodecErrorCode } from '../codec/errors.js';
import type { LzLevel } from '../codec/lz.js';
import type { SeriesEncodeOptions } from '../codec/series.js';
import type {
  BlocksOutput, CompactInput, CompactOutput, CopySpec, ReadInput, ReadOutput, SealInput, WriteInput,
} from '../metrics/block-tasks.js';
import type { IndexCheckpointMode, IndexCheckpointResult } from '../storage/sqlite-durability.js';
import type { SealLogBlockInput, SealRawLogBlockInput, SealedLogBlock, SealedRawLogBlock } from '../logs/block-tasks.js';
import type { CompactLogBlocksInput, CompactLogBlocksOutput } from '../logs/compact-tasks.js';
import type { ReadLogBlocksInput, ReadLogBlocksOutput } from '../logs/query/read-blocks.js';
import type { ReadSpanBlocksInput, ReadSpansOutput, ReadTraceSpansInput, SealRawSpanBlockInput, SealedRawSpanBlock } from '../traces/block-tasks.js';
import type { CompactSpanBlocksInput, CompactSpanBlocksOutput } from '../traces/compact-tasks.js';

export type { LzLevel };
export type SeriesValueCodec = NonNullable<SeriesEncodeOptions['values']>;

export type PoolTask =
  | { type: 'encodeSeries'; tsMs: Float64Array; values: Float64Array; valueCodec?: SeriesValueCodec }
  | { type: 'decodeSeries'; block: Uint8Array }
  | { type: 'compress'; bytes: Uint8Array; level?: LzLevel }
  | { type: 'decompress'; frame: Uint8Array }
  | { type: 'crc32c'; bytes: Uint8Array; seed?: number }
  // Metrics engine block work (src/metrics/block-tasks.ts): file I/O happens in the worker.
  | { type: 'sealBlocks'; input: SealInput }
  | { type: 'writeBlocks'; input: WriteInput }
  | { type: 'readSeries'; input: ReadInput }
  | { type: 'compactBlocks'; input: CompactInput }
  | { type: 'copyFiles'; copies: CopySpec[] }
  | { type: 'checkpointIndex'; file: string; mode?: IndexCheckpointMode }
  // Logs engine block work (src/logs/block-tasks.ts, src/logs/query/read-blocks.ts).
  | { type: 'sealLogBlock'; input: SealLogBlockInput }
  | { type: 'sealRawLogBlock'; input: SealRawLogBlockInput }
  | { type: 'readLogBlocks'; input: ReadLogBlocksInput }
  | { type: 'compactLogBlocks'; input: CompactLogBlocksInput }
  // Spans engine block work (src/traces/block-tasks.ts, compact-tasks.ts).
  | { type: 'sealRawSpanBlock'; input: SealRawSpanBlockInput }
  | { type: 'readSpanBlocks'; input: ReadSpanBlocksInput }
  | { type: 'readTraceSpans'; input: ReadTraceSpansInput }
  | { type: 'compactSpanBlocks'; input: CompactSpanBlocksInput };

export type PoolTaskType = PoolTask['type'];

export interface DecodedSeries {
  tsMs: Float64Array;
  values: Float64Array;
}

/** What each task type resolves to on the caller's side. */
export interface PoolTaskResults {
  encodeSeries: Uint8Array;
  decodeSeries: DecodedSeries;
  compress: Uint8Array;
  decompress: Uint8Array;
  crc32c: number;
  sealBlocks: BlocksOutput;
  writeBlocks: number;
  readSeries: ReadOutput;
  compactBlocks: CompactOutput;
  copyFiles: number;
  checkpointIndex: IndexCheckpointResult;
  sealLogBlock: SealedLogBlock;
  sealRawLogBlock: SealedRawLogBlock;
  readLogBlocks: ReadLogBlocksOutput;
  compactLogBlocks: CompactLogBlocksOutput;
  sealRawSpanBlock: SealedRawSpanBlock;
  readSpanBlocks: ReadSpansOutput;
  readTraceSpans: ReadSpansOutput;
  compactSpanBlocks: CompactSpanBlocksOutput;
}

/**
 * Errors cross the thread boundary as plain data: structured clone turns a CodecError into a plain
 * Error and drops `code`, so the worker sends {code, message} and the pool rebuilds the class.
 */
export type SerializedError =
  | { kind: 'codec'; code: CodecErrorCode; message: string }
  | { kind: 'storage'; code: string; message: string; details: Record<string, unknown> }
  | { kind: 'other'; name: string; message: string };

export type PoolResponse<K extends PoolTaskType = PoolTaskType> =
  | { ok: true; value: PoolTaskResults[K] }
  | { ok: false; error: SerializedError };

/**
 * The view itself when it owns its whole ArrayBuffer, else a private copy. Transferring a view moves
 * its entire buffer: that must never be the wasm memory (not transferable), a larger buffer a bridge
 * keeps reusing, nor a caller's buffer holding other data (a subarray, a Node Buffer from the slab).
 * Used on both sides of the pool, before every transfer.
 */
export function ownedView<T extends Uint8Array | Float64Array>(view: T): T {
  const buf = view.buffer;
  if (buf instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === buf.byteLength) return view;
  // Not view.slice(): on a Node Buffer, slice() returns another view of the same memory.
  return (view instanceof Float64Array ? new Float64Array(view) : new Uint8Array(view)) as T;
}

/** Piscina `workerData` of every pool thread (pool.ts makes it, worker.ts reads it). */
export interface WorkerThreadData {
  /** Counts threads that finished loading the worker module (close() waits for all). */
  started: Int32Array;
  /** Background threads only: nice value, then SCHED_IDLE when set. */
  backgroundNice?: number;
  backgroundIdle?: boolean;
}
