// The spans engine's work inside pool workers, as plain synchronous functions over bytes and files:
// the RAW seal (frame + trace-id filter + positional write + fdatasync), and the reads of queries
// and trace look-ups. No SQLite and no engine state: the main thread decides offsets and rows.
// Compaction is compact-tasks.ts. A block that cannot be read or decoded is reported in `skipped`
// and the rest still answer: reads never throw for a bad block.
import path from 'node:path';
import { BLOCK_HEADER_BYTES, blockHeaderBytes, parseBlock, parseBlockHeader } from '../storage/block.js';
import { SegmentReader, writeAt } from '../storage/segments.js';
import { decodeSpanBlock } from './codec/block.js';
import { openSpanBlock } from './block-cache.js';
import { decodeSpanRecords, forEachSpanRecord, SpanRecordWriter } from './codec/span-record.js';
import { TraceFilterBuilder, traceIdBytes } from './codec/trace-filter.js';
import { compareSpanKeys, spanMatches, type CompiledTraceQuery, type SpanKey } from './query/compile.js';
import { CODEC_SPAN_RAW_V1, KIND_SPAN_BLOCK } from './schema.js';
import type { Span } from './types.js';

const NS_PER_MS = 1_000_000n;
export const floorMs = (ns: bigint): number => Number(ns / NS_PER_MS) - (ns % NS_PER_MS < 0n ? 1 : 0);
export const ceilMs = (ns: bigint): number => Number(ns / NS_PER_MS) + (ns % NS_PER_MS > 0n ? 1 : 0);

export interface SealRawSpanBlockInput {
  /** Absolute engine root (spans/). */
  root: string;
  /** Segment file (relative to root) and offset the main thread allocated for the framed block. */
  file: string;
  offset: number;
  /** The chunk's records in buffer[0, length): the hot chunk's own buffer, shared (no copy). */
  buffer: SharedArrayBuffer | ArrayBuffer;
  length: number;
  count: number;
  tMinMs: number;
  tMaxMs: number;
}

export interface SealedRawSpanBlock {
  /** Bytes written (the frame). */
  bytes: number;
  /** The block's trace-id filter (codec/trace-filter.ts), for blocks.filter. */
  filter: Uint8Array;
}

/** The cheap seal (CODEC_SPAN_RAW_V1): the records as the payload, framed (crc), written + fdatasynced, plus the trace-id filter. */
export function sealRawSpanBlock(input: SealRawSpanBlockInput): SealedRawSpanBlock {
  const records = new Uint8Array(input.buffer, 0, input.length);
  // Sized for one trace per span (the upper bound): a RAW block lives until compaction.
  const filter = new TraceFilterBuilder(input.count);
  forEachSpanRecord(records, (r) => filter.addBytes(r.buf, r.traceIdOffset));
  const header = blockHeaderBytes({ kind: KIND_SPAN_BLOCK, ownerId: 0, count: input.count, tMinMs: input.tMinMs, tMaxMs: input.tMaxMs }, records);
  writeAt(path.join(input.root, input.file), input.offset, [header, records]);
  return { bytes: header.length + records.length, filter: filter.finish() };
}

export interface SpanBlockRef {
  /** blocks.id (echoed in skipped). */
  id: number;
  /** Absolute segment path. */
  file: string;
  offset: number;
  length: number;
  codec: number;
}

export interface SkippedSpanBlock {
  id: number;
  file: string;
  offset: number;
  code: string;
  message: string;
}

export interface ReadSpansOutput {
  /** Span records (codec/span-record.ts) of the kept spans: query order for reads, any order for traces. */
  records: Uint8Array;
  count: number;
  skipped: SkippedSpanBlock[];
  blocksScanned: number;
}

/** A block's spans, its frame and crc checked first (throws StorageError/CodecError). */
function readSpans(reader: SegmentReader, ref: SpanBlockRef): Span[] {
  const { header, payload } = parseBlock(reader.read(ref.file, ref.offset, ref.length));
  const spans = ref.codec === CODEC_SPAN_RAW_V1 ? decodeSpanRecords(payload).spans : decodeSpanBlock(payload);
  if (spans.length !== header.count) throw Object.assign(new Error(`block decodes to ${spans.length} spans but its header says ${header.count}`), { code: 'CORRUPT_BLOCK' });
  return spans;
}

/**
 * The matching spans of a columnar block (kept opened: block-cache.ts), building only the rows
 * that may match (predicate pushdown: codec/block.ts SpanBlockReader.select): at most `limit`, the
 * best in query order. Rows that start before `worst` (the last span of a page already full)
 * cannot improve the page and are not built. Throws as readSpans.
 */
function selectSpans(reader: SegmentReader, ref: SpanBlockRef, query: CompiledTraceQuery, limit: number, worst: SpanKey | undefined): Span[] {
  const block = openSpanBlock(reader, ref.file, ref.offset, ref.length);
  const header = parseBlockHeader(reader.read(ref.file, ref.offset, BLOCK_HEADER_BYTES));
  if (block.count !== header.count) throw Object.assign(new Error(`block holds ${block.count} spans but its header says ${header.count}`), { code: 'CORRUPT_BLOCK' });
  // A span that starts at the worst one's start may still sort before it (trace id, span id).
  const where = worst !== undefined && (query.fromNs === undefined || query.fromNs < worst.startNs) ? { ...query, fromNs: worst.startNs } : query;
  return block.select(where, { accept: (s) => spanMatches(query, s), limit });
}

function skippedOf(ref: SpanBlockRef, err: unknown): SkippedSpanBlock {
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'CORRUPT_BLOCK';
  return { id: ref.id, file: ref.file, offset: ref.offset, code, message: err instanceof Error ? err.message : String(err) };
}

/** Spans as records in one buffer (seq 0: blocks keep no write sequence, and readers need none). */
function toRecords(spans: Span[]): Uint8Array {
  const w = new SpanRecordWriter(64 * 1024);
  for (const s of spans) w.append(s, 0);
  return w.bytes().slice();
}

export interface ReadSpanBlocksInput {
  blocks: SpanBlockRef[];
  query: CompiledTraceQuery;
  /** Most spans returned (the best ones in query order). */
  limit: number;
}

/** The best `limit` matching spans of the blocks, in query order. */
export function readSpanBlocks(input: ReadSpanBlocksInput): ReadSpansOutput {
  const reader = new SegmentReader();
  const kept: Span[] = [];
  const skipped: SkippedSpanBlock[] = [];
  let blocksScanned = 0;
  try {
    for (const ref of input.blocks) {
      let spans: Span[];
      // Once `limit` spans are kept, the last of them bounds what later blocks can add.
      const worst = kept.length >= input.limit ? kept[input.limit - 1] : undefined;
      try {
        spans = ref.codec === CODEC_SPAN_RAW_V1 ? readSpans(reader, ref) : selectSpans(reader, ref, input.query, input.limit, worst);
      } catch (err) {
        skipped.push(skippedOf(ref, err));
        continue;
      }
      blocksScanned++;
      for (const s of spans) if (spanMatches(input.query, s)) kept.push(s);
      // Sorted and cut as soon as it holds `limit`: kept[limit - 1] is then the worst that stays.
      if (kept.length >= input.limit) trim(kept, input.limit);
    }
  } finally {
    reader.close();
  }
  trim(kept, input.limit);
  return { records: toRecords(kept), count: kept.length, skipped, blocksScanned };
}

function trim(spans: Span[], limit: number): void {
  spans.sort(compareSpanKeys);
  if (spans.length > limit) spans.length = limit;
}

export interface ReadTraceSpansInput {
  blocks: SpanBlockRef[];
  /** 32 lowercase hex chars. */
  traceId: string;
  /** Hot chunks' records (shared buffers, read as they are: buffer[0, length) holds `count` spans at least). */
  hot?: Array<{ buffer: SharedArrayBuffer; length: number; count: number }>;
}

/**
 * Every span of one trace in the blocks. A RAW block is checked on its records' fixed headers
 * first (trace id bytes, no decode) and decoded only when it holds the trace; a columnar block
 * decodes only the page holding it (a kept SpanBlockReader: block-cache.ts).
 */
export function readTraceSpans(input: ReadTraceSpansInput): ReadSpansOutput {
  const reader = new SegmentReader();
  const id = traceIdBytes(input.traceId);
  const kept: Span[] = [];
  const skipped: SkippedSpanBlock[] = [];
  let blocksScanned = 0;
  // Records of one trace among a RAW block's or hot chunk's: found on the fixed headers, decoded only on a hit.
  const fromRecords = (records: Uint8Array, count: number): number => {
    let hit = false;
    let n = 0;
    forEachSpanRecord(records, (r) => {
      if (++n > count) return false;
      if (r.hasTraceId(id)) hit = true;
    });
    if (!hit) return Math.min(n, count);
    const spans = decodeSpanRecords(records).spans;
    for (let i = 0; i < Math.min(count, spans.length); i++) if (spans[i].traceId === input.traceId) kept.push(spans[i]);
    return Math.min(n, count);
  };
  try {
    for (const h of input.hot ?? []) fromRecords(new Uint8Array(h.buffer, 0, h.length), h.count);
    for (const ref of input.blocks) {
      try {
        if (ref.codec === CODEC_SPAN_RAW_V1) {
          const { header, payload } = parseBlock(reader.read(ref.file, ref.offset, ref.length));
          const n = fromRecords(payload, Number.MAX_SAFE_INTEGER);
          if (n !== header.count) throw Object.assign(new Error(`block holds ${n} records but its header says ${header.count}`), { code: 'CORRUPT_BLOCK' });
        } else {
          // Columnar blocks are kept opened (block-cache.ts): a look-up then decodes one page.
          for (const s of openSpanBlock(reader, ref.file, ref.offset, ref.length).trace(input.traceId)) kept.push(s);
        }
        blocksScanned++;
      } catch (err) {
        skipped.push(skippedOf(ref, err));
      }
    }
  } finally {
    reader.close();
  }
  return { records: toRecords(kept), count: kept.length, skipped, blocksScanned };
}

/** The trace ids of spans as a filter (compaction output rows). */
export function traceFilterOf(traceIds: Iterable<string>, n: number): Uint8Array {
  const b = new TraceFilterBuilder(n);
  for (const t of traceIds) b.addHex(t);
  return b.finish();
}

