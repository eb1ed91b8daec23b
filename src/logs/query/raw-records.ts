// Reading a RAW block (schema.ts CODEC_LOG_RAW_V1: a hot chunk's entry records back to back) without
// decoding every record: one pass over the records' fixed headers (seq, tsNs, severity, flags) that
// skips the variable parts by their lengths, so time, level and cursor filters run on plain arrays;
// then only the candidates are decoded - their message first when the query searches text, the
// whole record only when it can still make the page.
import type { Buffer } from 'node:buffer';
import { CodecError } from '../../codec/errors.js';
import { decodeEntryRecords, FLAG_RESOURCE_PREV, FLAG_SPAN_ID, FLAG_TRACE_ID, RECORD_FIXED_BYTES, RECORD_FLAGS } from '../codec/entry-record.js';
import { bufferView, utf8Slice } from '../../codec/columns/hex.js';
import type { LogEntry } from '../types.js';

/** Where each record of a RAW payload is, and its fixed fields (parallel arrays, seq order). */
export interface RawRecordIndex {
  n: number;
  /** Start of record i; starts[n] = the payload's end. */
  starts: Uint32Array;
  /** Start of record i's message length varint. */
  messageAt: Uint32Array;
  tsNs: BigInt64Array;
  seqs: Float64Array;
  severity: Uint8Array;
  /** Record whose resource record i has (i itself, or an earlier one when i chains to it: FLAG_RESOURCE_PREV). */
  resourceOf: Uint32Array;
  /** Where record resourceOf[i]'s resource part (length varint + JSON) starts; it ends with that record. */
  resourceAt: Uint32Array;
  buf: Buffer;
}

/**
 * Indexes the records of a RAW payload holding `count` records (the frame header's count). Throws
 * CodecError TRUNCATED/CORRUPT when the records do not parse or their number differs from `count`.
 */
export function indexRawRecords(payload: Uint8Array, count: number): RawRecordIndex {
  const buf = bufferView(payload);
  const end = buf.length;
  const n = count;
  const starts = new Uint32Array(n + 1);
  const messageAt = new Uint32Array(n);
  const tsNs = new BigInt64Array(n);
  const seqs = new Float64Array(n);
  const severity = new Uint8Array(n);
  const resourceOf = new Uint32Array(n);
  const resourceAt = new Uint32Array(n);
  let p = 0;
  let i = 0;
  while (p < end) {
    if (i >= n) throw new CodecError('CORRUPT', `RAW block holds more than the ${n} records its header says`);
    if (p + RECORD_FIXED_BYTES > end) throw new CodecError('TRUNCATED', `RAW block ends inside record ${i}'s fixed header`);
    starts[i] = p;
    const hi = buf.readUInt32LE(p + 4);
    if (hi >= 0x200000) throw new CodecError('CORRUPT', `RAW record ${i} seq is >= 2^53`);
    seqs[i] = hi * 4294967296 + buf.readUInt32LE(p);
    tsNs[i] = buf.readBigInt64LE(p + 8);
    const sev = buf[p + 16];
    const flags = buf[p + 17];
    if (sev < 1 || sev > 24) throw new CodecError('CORRUPT', `RAW record ${i} severity ${sev} is not in 1..24`);
    if (flags & ~RECORD_FLAGS) throw new CodecError('CORRUPT', `RAW record ${i} flags ${flags} are unknown`);
    severity[i] = sev;
    if (flags & FLAG_RESOURCE_PREV) {
      if (i === 0) throw new CodecError('CORRUPT', 'RAW record 0 refers to a previous record\'s resource');
      resourceOf[i] = resourceOf[i - 1];
    } else resourceOf[i] = i;
    p += RECORD_FIXED_BYTES + (flags & FLAG_TRACE_ID ? 16 : 0) + (flags & FLAG_SPAN_ID ? 8 : 0);
    messageAt[i] = p;
    // message, attributes, resource: three length-prefixed parts (two when the resource chains).
    const parts = flags & FLAG_RESOURCE_PREV ? 2 : 3;
    if (parts === 2) resourceAt[i] = resourceAt[i - 1];
    for (let part = 0; part < parts; part++) {
      if (part === 2) resourceAt[i] = p;
      let len = 0;
      let shift = 0;
      for (;;) {
        if (p >= end) throw new CodecError('TRUNCATED', `RAW block ends inside record ${i}'s lengths`);
        const b = buf[p++];
        len += (b & 0x7f) * 2 ** shift;
        if (b < 0x80) break;
        shift += 7;
        if (shift >= 35) throw new CodecError('CORRUPT', `RAW record ${i} has a malformed length`);
      }
      p += len;
    }
    if (p > end) throw new CodecError('TRUNCATED', `RAW block ends inside record ${i}`);
    i++;
  }
  if (i !== n) throw new CodecError('CORRUPT', `RAW block holds ${i} records but its header says ${n}`);
  starts[n] = end;
  return { n, starts, messageAt, tsNs, seqs, severity, resourceOf, resourceAt, buf };
}

/** Record i's message (decoded alone: text filters run before the record is decoded whole). */
export function rawMessage(ix: RawRecordIndex, i: number): string {
  const { buf } = ix;
  let p = ix.messageAt[i];
  let len = 0;
  let shift = 0;
  for (;;) {
    const b = buf[p++];
    len += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
    shift += 7;
  }
  if (p + len > ix.starts[i + 1]) throw new CodecError('CORRUPT', `RAW record ${i} message overruns the record`);
  return len === 0 ? '' : utf8Slice(buf, p, p + len);
}

/** Record i decoded whole (throws CodecError on a bad record). */
export function rawEntry(ix: RawRecordIndex, i: number): LogEntry {
  const from = ix.resourceOf[i];
  // A chained resource is in record `from`: decode that one too for it.
  const prevResource = from === i ? undefined : decodeEntryRecords(ix.buf.subarray(ix.starts[from], ix.starts[from + 1])).entries[0].resource;
  return decodeEntryRecords(ix.buf.subarray(ix.starts[i], ix.starts[i + 1]), prevResource).entries[0];
}

/** Every record decoded (for scans that test most of them: one pass shares parsed resources). */
export function rawEntries(ix: RawRecordIndex): LogEntry[] {
  const { entries } = decodeEntryRecords(ix.buf.subarray(0, ix.starts[ix.n]));
  if (entries.length !== ix.n) throw new CodecError('CORRUPT', `RAW block decodes to ${entries.length} records, indexed ${ix.n}`);
  return entries;
}
