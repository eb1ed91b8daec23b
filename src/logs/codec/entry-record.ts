// The binary form of one log entry: the WAL record payload and the format a batch of hot entries is
// shipped to a pool worker in (one transferred ArrayBuffer, never structured-cloned objects).
//
//   record = [u64 seq][i64 tsNs][u8 severityNumber][u8 flags: 1=traceId 2=spanId]
//            [traceId 16 bytes]? [spanId 8 bytes]?
//            [varint len][message utf8]
//            [varint len][attributes]             (len 0 = {}; record-attrs.ts when flag 4 is set,
//                                                  else JSON text: records written before it existed)
//            [varint len][resource JSON utf8]     (len 0 = {}; absent with flag 8: the resource
//                                                  is the previous record's in the same buffer)
//
// Little-endian; varints are unsigned LEB128 (at most 5 bytes, < 2^32). Records are self-delimiting,
// so a buffer of concatenated records needs no framing of its own.
//
// Strings are UTF-8: a lone surrogate in the message (no UTF-8 form) is written as U+FFFD, as
// TextEncoder does. Attributes and resource round-trip as JSON does (key order kept; undefined
// dropped); the writer refuses attribute values JSON would change (non-finite numbers, functions,
// class instances below the top level: record-attrs.ts), with CodecError INVALID_INPUT.
//
// The writer is on the main thread's hot path (one append per write() at >= 300 k/s): it appends
// into one reusable growable buffer, writes strings straight into it, validates and writes the
// attributes in one walk (record-attrs.ts), and reuses the encoded bytes of the last few resource
// objects it saw (entries share a handful of resource objects; LogEntry objects are treated as
// immutable once written).
import { Buffer } from 'node:buffer';
import { CodecError } from '../../codec/errors.js';
import { levelOfSeverity } from '../levels.js';
import { LOG_LEVELS, type LogLevel } from '../types.js';
import type { Attributes, LogEntry, Resource } from '../types.js';
import { sameByteRange, varintSize32, writeVarint32At } from '../../codec/columns/bytes.js';
import { bufferView, hexInto, hexOf, utf8Slice, utf8Write } from '../../codec/columns/hex.js';
import { readRecordAttributes, writeRecordAttributes, type ByteSink } from '../../codec/columns/record-attrs.js';

export const FLAG_TRACE_ID = 1;
export const FLAG_SPAN_ID = 2;
/** The attributes part is record-attrs.ts's binary section (else JSON text: older records). */
export const FLAG_ATTR_BINARY = 4;
/**
 * The record has no resource part: its resource is the previous record's in the same buffer (a hot
 * chunk's records repeat one resource; a chain restarts at every WAL hand-off, so each WAL record
 * and each chunk decodes on its own).
 */
export const FLAG_RESOURCE_PREV = 8;
/** Every flag a record may carry; any other bit is CORRUPT. */
export const RECORD_FLAGS = FLAG_TRACE_ID | FLAG_SPAN_ID | FLAG_ATTR_BINARY | FLAG_RESOURCE_PREV;
/** Fixed part: seq 8 + tsNs 8 + severity 1 + flags 1. */
export const RECORD_FIXED_BYTES = 18;
const MAX_SEQ = 2 ** 53;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const INITIAL_CAPACITY = 64 * 1024;
const EMPTY_BYTES = new Uint8Array(0);
/** Little-endian scratch for the record's i64 tsNs (typed arrays use the platform's order). */
const TS_SLOT = new BigInt64Array(1);
const TS_BYTES = new Uint8Array(TS_SLOT.buffer);
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('timeless: entry records need a little-endian platform');
/** Level of each severity number (index 0 unused). */
const LEVEL_OF: LogLevel[] = [LOG_LEVELS[0], ...Array.from({ length: 24 }, (_, i) => levelOfSeverity(i + 1))];


function invalid(message: string): CodecError {
  return new CodecError('INVALID_INPUT', message);
}

/** Appends entry records to one growable buffer; bytes() is a view valid until the next append/reset. */
export class EntryRecordWriter implements ByteSink {
  /** The buffer and write position (ByteSink: record-attrs.ts writes into them). */
  buf: Buffer;
  pos = 0;
  private n = 0;
  /** Encoded bytes of the last few resource objects (hosts of one process interleave). */
  private readonly resObjects: (Resource | undefined)[] = [undefined, undefined, undefined, undefined];
  private readonly resBytes: Uint8Array[] = [EMPTY_BYTES, EMPTY_BYTES, EMPTY_BYTES, EMPTY_BYTES];
  private resNext = 0;
  /** Resource object of the previous record when chaining (undefined: the next one is written whole). */
  private chainFrom: Resource | undefined;

  /**
   * `shared`: the records live in a SharedArrayBuffer, so a worker can read them (sharedRecords())
   * while this thread keeps them too (the hot tail decodes them lazily for queries).
   * `chainResources`: a record whose resource is the previous record's object gets
   * FLAG_RESOURCE_PREV instead of the resource's bytes; readers must then decode the buffer from its
   * start, or from a breakChain() point.
   */
  constructor(
    initialCapacity = INITIAL_CAPACITY,
    private readonly shared = false,
    private readonly chainResources = false,
    /** A buffer to write into instead of a new one (a released chunk's: see HotTail). */
    reuse?: Buffer,
  ) {
    this.buf = reuse !== undefined && reuse.length >= initialCapacity && (reuse.buffer instanceof SharedArrayBuffer) === shared ? reuse : this.alloc(Math.max(64, initialCapacity));
  }

  /** Never a slice of Node's shared pool: the buffer is its own (Shared)ArrayBuffer. */
  private alloc(bytes: number): Buffer {
    return this.shared ? Buffer.from(new SharedArrayBuffer(bytes)) : Buffer.allocUnsafeSlow(bytes);
  }

  /** A shared writer's records, in buffer[0, length): readable by a worker with no copy or transfer. */
  sharedRecords(): { buffer: SharedArrayBuffer; length: number } {
    if (!this.shared) throw new TypeError('sharedRecords() needs a writer constructed with shared = true');
    return { buffer: this.buf.buffer as SharedArrayBuffer, length: this.pos };
  }

  get count(): number {
    return this.n;
  }

  get byteLength(): number {
    return this.pos;
  }

  /** Appends one record. Throws CodecError INVALID_INPUT (and appends nothing) on a malformed entry. */
  append(entry: LogEntry, seq: number): void {
    const start = this.pos;
    try {
      this.write(entry, seq);
    } catch (err) {
      this.pos = start; // a half-written record must never reach the WAL
      throw err;
    }
    this.n++;
  }

  /** The records appended since the last reset (a view: copy it before the next append if kept). */
  bytes(): Uint8Array {
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.pos);
  }

  /** The next record carries its resource in full (a reader may start decoding there). */
  breakChain(): void {
    this.chainFrom = undefined;
  }

  reset(): void {
    this.chainFrom = undefined;
    this.pos = 0;
    this.n = 0;
  }

  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = this.alloc(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private write(entry: LogEntry, seq: number): void {
    if (!Number.isInteger(seq) || seq < 0 || seq >= MAX_SEQ) throw invalid(`seq ${seq} is not an integer in [0, 2^53)`);
    const ts = entry.tsNs;
    if (typeof ts !== 'bigint' || ts < I64_MIN || ts > I64_MAX) throw invalid(`tsNs ${String(ts)} is not a 64-bit bigint`);
    const sev = entry.severityNumber;
    if (!Number.isInteger(sev) || sev < 1 || sev > 24) throw invalid(`severityNumber ${sev} is not in 1..24`);
    if (typeof entry.message !== 'string') throw invalid('message is not a string');
    this.ensure(RECORD_FIXED_BYTES + 24);
    const buf = this.buf;
    let p = this.pos;
    buf.writeUInt32LE(seq >>> 0, p);
    buf.writeUInt32LE(Math.floor(seq / 4294967296), p + 4);
    // Through a typed-array slot: Buffer.writeBigInt64LE splits the bigint with four bigint ops.
    TS_SLOT[0] = ts;
    for (let k = 0; k < 8; k++) buf[p + 8 + k] = TS_BYTES[k];
    buf[p + 16] = sev;
    let flags = 0;
    p += 18;
    if (entry.traceId !== undefined) {
      idInto(entry.traceId, 16, buf, p, 'traceId');
      flags |= FLAG_TRACE_ID;
      p += 16;
    }
    if (entry.spanId !== undefined) {
      idInto(entry.spanId, 8, buf, p, 'spanId');
      flags |= FLAG_SPAN_ID;
      p += 8;
    }
    const start = this.pos;
    buf[start + 17] = flags | FLAG_ATTR_BINARY;
    this.pos = p;
    this.writeString(entry.message);
    writeRecordAttributes(this, entry.attributes, invalid);
    const r = entry.resource;
    if (this.chainResources && r === this.chainFrom && r !== undefined) {
      this.buf[start + 17] |= FLAG_RESOURCE_PREV;
      return;
    }
    this.writeResource(r);
    if (this.chainResources) this.chainFrom = r;
  }

  /** Appends records encoded by another writer (whole records: e.g. a batch checked before any is kept). */
  appendEncoded(records: Uint8Array, count: number): void {
    this.ensure(records.length);
    this.buf.set(records, this.pos);
    this.pos += records.length;
    this.n += count;
    this.chainFrom = undefined; // their resource objects are not known here
  }

  private writeString(s: string): void {
    const max = s.length * 3; // UTF-16 unit -> at most 3 UTF-8 bytes
    // Room for the length as if the text were ASCII (the common case): no shift after the write.
    const lenBytes = varintSize32(s.length);
    this.ensure(varintSize32(max) + max);
    const buf = this.buf;
    const at = this.pos + lenBytes;
    const n = s.length === 0 ? 0 : utf8Write(buf, s, at, max);
    const actual = varintSize32(n);
    if (actual !== lenBytes) buf.copyWithin(this.pos + actual, at, at + n);
    this.pos = writeVarint32At(buf, this.pos, n);
    this.pos += n;
  }

  private writeJsonObject(o: Attributes | Resource, what: string): void {
    if (o === null || typeof o !== 'object' || Array.isArray(o)) throw invalid(`${what} is not a plain object`);
    let json: string | undefined;
    try {
      json = JSON.stringify(o);
    } catch (err) {
      // bigint values, cycles, throwing toJSON: not storable, and not the caller's TypeError to see.
      throw invalid(`${what} cannot be serialized as JSON: ${(err as Error).message}`);
    }
    // A toJSON may turn the object into anything: only an object is decodable as one.
    if (typeof json !== 'string' || json.charCodeAt(0) !== 0x7b) throw invalid(`${what} does not serialize to a JSON object`);
    // Empty (also when every value was undefined) = length 0. Checked on the JSON, not with a
    // for-in first: that walk cost more than the stringify on objects of many shapes.
    if (json.length === 2) {
      this.ensure(1);
      this.buf[this.pos++] = 0;
      return;
    }
    this.writeString(json);
  }

  private writeResource(r: Resource): void {
    const objs = this.resObjects;
    for (let k = 0; k < objs.length; k++) {
      if (objs[k] === r) {
        const b = this.resBytes[k];
        this.ensure(b.length);
        this.buf.set(b, this.pos);
        this.pos += b.length;
        return;
      }
    }
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw invalid('resource is not a plain object');
    const start = this.pos;
    this.writeJsonObject(r, 'resource');
    const k = this.resNext;
    objs[k] = r;
    this.resBytes[k] = Uint8Array.prototype.slice.call(this.buf, start, this.pos); // a copy: buf is reused
    this.resNext = (k + 1) % objs.length;
  }
}

/** Hex id -> bytes (any case: the bytes are what is kept, read back lowercase). */
function idInto(id: unknown, bytes: number, buf: Buffer, p: number, field: string): void {
  if (typeof id === 'string' && (hexInto(id, bytes, buf, p) || hexInto(id.toLowerCase(), bytes, buf, p))) return;
  const shown = typeof id === 'string' ? JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id) : typeof id;
  throw invalid(`${field} must be ${bytes * 2} hex characters, got ${shown}`);
}


/** One entry's record as a fresh Uint8Array. */
export function encodeEntryRecord(entry: LogEntry, seq: number): Uint8Array {
  const w = new EntryRecordWriter(256);
  w.append(entry, seq);
  return w.bytes().slice();
}

/** Byte length of an entry's record (without keeping it). */
export function entryRecordByteLength(entry: LogEntry, seq = 0): number {
  const w = new EntryRecordWriter(256);
  w.append(entry, seq);
  return w.byteLength;
}

/** Bounds-checked reader for records: every overrun is a typed TRUNCATED, never a RangeError. */
class RecordReader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) {
      throw new CodecError('TRUNCATED', `entry record ends inside ${what} at byte ${this.pos}`);
    }
  }

  varint(what: string): number {
    const buf = this.buf;
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= buf.length) throw new CodecError('TRUNCATED', `entry record ends inside ${what} length`);
      const b = buf[this.pos++];
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        if (v > 0xffffffff) break;
        return v;
      }
    }
    throw new CodecError('CORRUPT', `entry record ${what} length varint is malformed`);
  }

  string(what: string): string {
    const n = this.varint(what);
    this.need(n, what);
    const s = n === 0 ? '' : utf8Slice(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** A record-attrs.ts section (after its length). */
  attributes(): Attributes {
    const n = this.varint('attributes');
    this.need(n, 'attributes');
    const at = this.pos;
    this.pos += n;
    return readRecordAttributes(this.buf, at, at + n);
  }

  object(what: string): Attributes {
    const n = this.varint(what);
    if (n === 0) return {};
    this.need(n, what);
    const at = this.pos;
    this.pos += n;
    return parseObject(this.buf, at, at + n, what);
  }
}

/**
 * Decodes a buffer of concatenated records. Throws CodecError TRUNCATED when the buffer ends inside
 * a record, CORRUPT on impossible values (severity outside 1..24, unknown flags, seq >= 2^53, bad JSON).
 */
export function decodeEntryRecords(bytes: Uint8Array, prevResource?: Resource): { seqs: Float64Array; entries: LogEntry[]; lastResource: Resource | undefined } {
  const r = new RecordReader(bufferView(bytes));
  const buf = r.buf;
  const entries: LogEntry[] = [];
  const seqList: number[] = [];
  // Resources repeat record after record (a few hosts): parsed once per distinct byte string.
  const resStart: number[] = [];
  const resEnd: number[] = [];
  const resObj: Resource[] = [];
  let lastRes = -1;
  while (r.pos < buf.length) {
    r.need(RECORD_FIXED_BYTES, 'the fixed header');
    const p = r.pos;
    const lo = buf.readUInt32LE(p);
    const hi = buf.readUInt32LE(p + 4);
    if (hi >= 0x200000) throw new CodecError('CORRUPT', `entry record seq at byte ${p} is >= 2^53`);
    const tsNs = buf.readBigInt64LE(p + 8);
    const sev = buf[p + 16];
    const flags = buf[p + 17];
    if (sev < 1 || sev > 24) throw new CodecError('CORRUPT', `entry record severity ${sev} is not in 1..24`);
    if (flags & ~RECORD_FLAGS) throw new CodecError('CORRUPT', `entry record flags ${flags} are unknown`);
    r.pos = p + RECORD_FIXED_BYTES;
    let traceId = '';
    let spanId = '';
    if (flags & FLAG_TRACE_ID) {
      r.need(16, 'traceId');
      traceId = hexOf(buf, r.pos, 16);
      r.pos += 16;
    }
    if (flags & FLAG_SPAN_ID) {
      r.need(8, 'spanId');
      spanId = hexOf(buf, r.pos, 8);
      r.pos += 8;
    }
    const message = r.string('message');
    const attributes = flags & FLAG_ATTR_BINARY ? r.attributes() : r.object('attributes');
    let k: number;
    if (flags & FLAG_RESOURCE_PREV) {
      if (lastRes < 0) {
        // The chain began before these bytes: the caller says with which resource.
        if (prevResource === undefined) throw new CodecError('CORRUPT', `entry record at byte ${p} refers to a previous record's resource, but is the first`);
        resStart.push(-1);
        resEnd.push(-1);
        resObj.push(prevResource);
        lastRes = resObj.length - 1;
      }
      k = lastRes;
    } else {
      const resLen = r.varint('resource');
      r.need(resLen, 'resource');
      const q = r.pos;
      k = lastRes >= 0 && sameByteRange(buf, q, resLen, resStart[lastRes], resEnd[lastRes]) ? lastRes : -1;
      for (let j = 0; k < 0 && j < resStart.length; j++) if (sameByteRange(buf, q, resLen, resStart[j], resEnd[j])) k = j;
      if (k < 0) {
        k = resStart.length;
        resStart.push(q);
        resEnd.push(q + resLen);
        resObj.push(resLen === 0 ? {} : (parseObject(buf, q, q + resLen, 'resource') as Resource));
      }
      r.pos = q + resLen;
    }
    lastRes = k;
    // Each entry gets its own object: callers may mutate what they receive.
    const resource = { ...resObj[k] };
    const level = LEVEL_OF[sev];
    // One literal per id combination: no shape transitions, absent ids stay absent.
    let entry: LogEntry;
    const ids = flags & (FLAG_TRACE_ID | FLAG_SPAN_ID);
    if (ids === 3) entry = { tsNs, level, severityNumber: sev, message, attributes, resource, traceId, spanId };
    else if (ids === 0) entry = { tsNs, level, severityNumber: sev, message, attributes, resource };
    else if (ids === FLAG_TRACE_ID) entry = { tsNs, level, severityNumber: sev, message, attributes, resource, traceId };
    else entry = { tsNs, level, severityNumber: sev, message, attributes, resource, spanId };
    entries.push(entry);
    seqList.push(hi * 4294967296 + lo);
  }
  return { seqs: Float64Array.from(seqList), entries, lastResource: lastRes >= 0 ? resObj[lastRes] : prevResource };
}

function parseObject(buf: Buffer, start: number, end: number, what: string): Attributes {
  let v: unknown;
  try {
    v = JSON.parse(utf8Slice(buf, start, end));
  } catch {
    throw new CodecError('CORRUPT', `entry record ${what} is not valid JSON`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new CodecError('CORRUPT', `entry record ${what} is not a JSON object`);
  return v as Attributes;
}
