// The logs engine's seal work inside pool workers, as plain synchronous functions over bytes: entry
// records -> block -> TBLK frame. No SQLite and no engine state: the main thread decides offsets and
// rows; positional writes + fdatasync reuse the pool's writeBlocks task, backup copies its copyFiles
// task, compaction is compact-tasks.ts and query reads are query/read-blocks.ts.
import path from 'node:path';
import type { LzLevel } from '../codec/lz.js';
import { blockHeaderBytes, frameBlock } from '../storage/block.js';
import { writeAt } from '../storage/segments.js';
import { encodeLogBlockFromRecords, type LogBlockMeta } from './codec/block.js';
import { attributeKeysOfRecords } from './codec/record-keys.js';
import { ceilMs, floorMs } from './query/time.js';
import { KIND_LOG_BLOCK } from './schema.js';

export interface SealLogBlockInput {
  /** Concatenated entry records (codec/entry-record.ts) of one hot chunk, in seq order. */
  records: Uint8Array;
  level: LzLevel;
  indexedAttributes: string[];
}

export interface SealedLogBlock {
  /** The framed block (storage/block.ts header + payload), ready for a segment write. */
  framed: Uint8Array;
  meta: LogBlockMeta;
  minSeq: number;
  maxSeq: number;
}

export function sealLogBlock(input: SealLogBlockInput): SealedLogBlock {
  // Straight from the records (no LogEntry objects: all of a chunk's would survive to the old
  // generation); the records' length is the block's raw size.
  const { payload, meta, minSeq, maxSeq } = encodeLogBlockFromRecords(input.records, input.level, { indexedAttributes: input.indexedAttributes });
  const framed = frameBlock({ kind: KIND_LOG_BLOCK, ownerId: 0, count: meta.count, tMinMs: floorMs(meta.tMinNs), tMaxMs: ceilMs(meta.tMaxNs) }, payload);
  return { framed, meta, minSeq, maxSeq };
}

export interface SealRawLogBlockInput {
  /** Absolute engine root (logs/). */
  root: string;
  /** Segment file (relative to root) and offset the main thread allocated for the framed block. */
  file: string;
  offset: number;
  /**
   * The chunk's records live in `buffer[0, length)`: the hot chunk's own record buffer, shared (no
   * copy and no transfer: the main thread keeps serving queries from it until the commit).
   */
  buffer: SharedArrayBuffer | ArrayBuffer;
  length: number;
  count: number;
  tMinMs: number;
  tMaxMs: number;
}

export interface SealedRawLogBlock {
  /** Bytes written (the frame). */
  bytes: number;
  /** Distinct top-level attribute keys of the records (the row's keys, with the resources' ones). */
  attributeKeys: string[];
}

/**
 * The cheap seal (schema.ts CODEC_LOG_RAW_V1): the records as the block payload, framed (crc) and
 * written at the allocated offset + fdatasync, in one task; plus the records' attribute keys (a byte
 * scan: kept off the main thread, which would otherwise walk every entry's attributes).
 */
export function sealRawLogBlock(input: SealRawLogBlockInput): SealedRawLogBlock {
  const records = new Uint8Array(input.buffer, 0, input.length);
  const attributeKeys = attributeKeysOfRecords(records);
  const header = blockHeaderBytes({ kind: KIND_LOG_BLOCK, ownerId: 0, count: input.count, tMinMs: input.tMinMs, tMaxMs: input.tMaxMs }, records);
  writeAt(path.join(input.root, input.file), input.offset, [header, records]);
  return { bytes: header.length + records.length, attributeKeys };
}

/** Buffers of an output a worker transfers back (filters included). */
export function transferablesOf(blocks: ReadonlyArray<{ meta: LogBlockMeta }>, extra: Uint8Array[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const u of extra) out.add(u.buffer as ArrayBuffer);
  for (const b of blocks) {
    const f = b.meta.filter;
    // Only a filter that owns its whole buffer moves; a view into a bigger one is cloned instead.
    if (f.byteOffset === 0 && f.byteLength === f.buffer.byteLength && f.buffer instanceof ArrayBuffer) out.add(f.buffer);
  }
  return [...out];
}
