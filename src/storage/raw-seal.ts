// The RAW seal of a cut hot chunk, as every event engine does it (logs, spans): the frame's length
// is known on the main thread (header + the chunk's records), so its place in today's segment file
// is allocated first and pinned (a file with no committed block yet must not look dead to segment
// GC), then ONE pool task frames, writes and fdatasyncs the chunk's shared records there (`write`,
// the engine's task; it may return what it computed from the records). The block row's fields the
// chunk knows are filled in here; the engine adds its codec, mask, filter, terms and keys.
import { BLOCK_HEADER_BYTES } from './block.js';
import type { NewEventBlock } from './event-index.js';
import type { HotChunkBase, HotRecordWriter } from './hot-chunks.js';
import type { FilePins } from './mutex.js';
import type { SegmentSet } from './segment-set.js';
import { dayKeyOf } from './segments.js';

/** Where a RAW block goes and what its task gets (the chunk's records stay in their shared buffer). */
export interface RawSealTask {
  file: string;
  offset: number;
  buffer: SharedArrayBuffer;
  /** Record bytes (the payload). */
  length: number;
  count: number;
  tMinMs: number;
  tMaxMs: number;
}

export type RawBlockRow = Omit<NewEventBlock, 'codec' | 'mask' | 'filter' | 'terms' | 'keys'>;

const NS_PER_MS = 1_000_000n;
const floorMs = (ns: bigint): number => Number(ns / NS_PER_MS) - (ns % NS_PER_MS < 0n ? 1 : 0);
const ceilMs = (ns: bigint): number => Number(ns / NS_PER_MS) + (ns % NS_PER_MS > 0n ? 1 : 0);

/** Frame length of a RAW block over `recordBytes` of records. */
export function rawBlockLength(recordBytes: number): number {
  return BLOCK_HEADER_BYTES + recordBytes;
}

/**
 * Allocates + pins the block's place, runs `write` there, and returns its result with the row
 * fields. The file stays pinned until the engine commits the row (it unpins it then); a failed
 * write unpins it here and rethrows.
 */
export async function sealRawChunk<R>(
  d: { segments: SegmentSet; pins: FilePins; nowMs?: () => number },
  c: HotChunkBase<HotRecordWriter>,
  write: (task: RawSealTask) => Promise<R>,
): Promise<{ row: RawBlockRow; result: R }> {
  // Shared with the worker: the chunk keeps its records (queries, a retry) until it is released.
  const records = c.records();
  const length = rawBlockLength(records.length);
  const day = dayKeyOf((d.nowMs ?? Date.now)());
  const { file, offset } = d.segments.allocate(day, length);
  d.pins.pin(file);
  let result: R;
  try {
    result = await write({ file, offset, buffer: records.buffer, length: records.length, count: c.count, tMinMs: floorMs(c.tMinNs!), tMaxMs: ceilMs(c.tMaxNs!) });
  } catch (err) {
    d.pins.unpin(file);
    throw err;
  }
  const row: RawBlockRow = {
    file,
    offset,
    length,
    tMinNs: c.tMinNs!,
    tMaxNs: c.tMaxNs!,
    count: c.count,
    rawBytes: records.length,
    minSeq: c.firstSeq,
    maxSeq: c.lastSeq,
    day,
  };
  return { row, result };
}
