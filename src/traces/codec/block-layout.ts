// The span block's outer layout: a small uncompressed head (counts, time and duration ranges, page
// lengths), the trace directory's ids, one LZ frame of block-level dictionaries, then the pages. A
// trace look-up reads the head, binary-searches the ids, decompresses the dictionaries and the one
// page that holds the trace: never the whole block. Byte spec: block.ts (top comment).
import { Buffer } from 'node:buffer';
import { CodecError } from '../../codec/errors.js';
import { ByteReader, ByteWriter } from '../../codec/columns/bytes.js';
import { bufferView } from '../../codec/columns/hex.js';

/** Payload format byte. */
export const SPAN_BLOCK_FORMAT = 1;
/** Hard limit on spans per block (the encoder refuses more, the decoder treats more as corrupt). */
export const SPAN_BLOCK_MAX_SPANS = 1 << 20;
/** Raw bytes of a trace id / span id. */
export const TRACE_ID_BYTES = 16;
export const SPAN_ID_BYTES = 8;
/** Largest u64 + 1: start and end times are unsigned 64-bit ns (OTLP fixed64). */
export const TWO_64 = 1n << 64n;

export function spanCorrupt(what: string): CodecError {
  return new CodecError('CORRUPT', `span block: ${what}`);
}

export function spanTruncated(what: string): CodecError {
  return new CodecError('TRUNCATED', `span block ends inside ${what}`);
}

export function invalidSpan(message: string): CodecError {
  return new CodecError('INVALID_INPUT', message);
}

/** What the head says (everything a reader needs to find the directory, the dictionaries and each page). */
export interface SpanBlockHeader {
  count: number;
  traces: number;
  pages: number;
  /** Smallest / largest startNs. */
  tMinNs: bigint;
  tMaxNs: bigint;
  /** Smallest / largest endNs - startNs. */
  minDurationNs: bigint;
  maxDurationNs: bigint;
  /** Byte offset of the sorted trace ids (traces × 16 bytes). */
  idsAt: number;
  /** Byte range of the dictionaries' LZ frame. */
  dictAt: number;
  dictEnd: number;
  /** Byte offset of page k is pageAt[k]; pageAt[pages] is the payload's end. */
  pageAt: Float64Array;
}

export interface HeadInput {
  count: number;
  traces: number;
  tMinNs: bigint;
  tMaxNs: bigint;
  minDurationNs: bigint;
  maxDurationNs: bigint;
  traceIds: Uint8Array;
  dict: Uint8Array;
  pages: Uint8Array[];
}

/**
 *   u8 format | varint count | varint traces | varint pages
 *   u64 tMinNs | u64 tMaxNs | u64 minDurationNs | u64 maxDurationNs   (LE)
 *   pages × varint pageBytes
 *   traces × 16 bytes trace ids (ascending)
 *   varint dictBytes | dict (lz frame)
 *   pages
 */
export function writeBlock(h: HeadInput): Uint8Array {
  let total = 64 + h.traceIds.length + h.dict.length + h.pages.length * 4;
  for (const p of h.pages) total += p.length;
  const w = new ByteWriter(total);
  w.u8(SPAN_BLOCK_FORMAT);
  w.varint(h.count);
  w.varint(h.traces);
  w.varint(h.pages.length);
  u64(w, h.tMinNs);
  u64(w, h.tMaxNs);
  u64(w, h.minDurationNs);
  u64(w, h.maxDurationNs);
  for (const p of h.pages) w.varint(p.length);
  w.bytes(h.traceIds);
  w.varint(h.dict.length);
  w.bytes(h.dict);
  for (const p of h.pages) w.bytes(p);
  return w.view().slice();
}

function u64(w: ByteWriter, v: bigint): void {
  w.ensure(8);
  w.buf.writeBigUInt64LE(v, w.pos);
  w.pos += 8;
}

function readU64(r: ByteReader, what: string): bigint {
  const at = r.skip(8, what);
  return r.buf.readBigUInt64LE(at);
}

/** Parses the head; throws CodecError TRUNCATED / CORRUPT / UNSUPPORTED. */
export function readHeader(bytes: Uint8Array): SpanBlockHeader {
  const buf: Buffer = bufferView(bytes);
  if (buf.length < 1) throw spanTruncated('the format byte');
  if (buf[0] !== SPAN_BLOCK_FORMAT) throw new CodecError('UNSUPPORTED', `span block format ${buf[0]} is unknown`);
  const r = new ByteReader(buf, 1, buf.length);
  const count = r.varint('the span count');
  if (count < 1 || count > SPAN_BLOCK_MAX_SPANS) throw spanCorrupt(`span count ${count} is out of range`);
  const traces = r.varint('the trace count');
  if (traces < 1 || traces > count) throw spanCorrupt(`trace count ${traces} is out of range`);
  const pages = r.varint('the page count');
  if (pages < 1 || pages > count) throw spanCorrupt(`page count ${pages} is out of range`);
  const tMinNs = readU64(r, 'the time range');
  const tMaxNs = readU64(r, 'the time range');
  const minDurationNs = readU64(r, 'the duration range');
  const maxDurationNs = readU64(r, 'the duration range');
  if (tMaxNs < tMinNs || maxDurationNs < minDurationNs) throw spanCorrupt('time or duration range is inverted');
  const lens = new Float64Array(pages);
  for (let k = 0; k < pages; k++) lens[k] = r.varint('the page lengths');
  const idsAt = r.skip(traces * TRACE_ID_BYTES, 'the trace ids');
  const dictBytes = r.varint('the dictionary length');
  const dictAt = r.skip(dictBytes, 'the dictionaries');
  const pageAt = new Float64Array(pages + 1);
  let at = r.pos;
  for (let k = 0; k < pages; k++) {
    pageAt[k] = at;
    at += lens[k];
  }
  pageAt[pages] = at;
  if (at > buf.length) throw spanTruncated('the pages');
  if (at < buf.length) throw spanCorrupt('bytes after the last page');
  return { count, traces, pages, tMinNs, tMaxNs, minDurationNs, maxDurationNs, idsAt, dictAt, dictEnd: dictAt + dictBytes, pageAt };
}
