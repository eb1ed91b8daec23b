// What the block encoder reads per entry, gathered either from LogEntry objects or straight from a
// buffer of entry records (the seal path: a hot chunk arrives as records). The record path skips
// materializing entries: timestamps stay two 32-bit halves (no bigint per entry), ids stay raw
// bytes, resources are compared as bytes, and only the message and the attributes are decoded, one
// entry at a time, while the encoder walks them (so nothing outlives its entry: little GC work).
import { Buffer } from 'node:buffer';
import { CodecError } from '../../codec/errors.js';
import type { Attributes, LogEntry, Resource } from '../types.js';
import { FLAG_ATTR_BINARY, FLAG_RESOURCE_PREV, FLAG_SPAN_ID, FLAG_TRACE_ID, RECORD_FIXED_BYTES, RECORD_FLAGS } from './entry-record.js';
import { sameByteRange } from '../../codec/columns/bytes.js';
import { bufferView, hexInto, utf8Slice } from '../../codec/columns/hex.js';
import { readRecordAttributes } from '../../codec/columns/record-attrs.js';

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const TWO_32 = 4294967296;

function invalid(message: string): CodecError {
  return new CodecError('INVALID_INPUT', message);
}

/** Distinct resources of a block, by JSON text. */
export class ResourceSet {
  readonly json: string[] = [];
  readonly objects: Resource[] = [];
  private readonly ids = new Map<string, number>();

  /** Id of a resource given as JSON text (`object` parsed lazily when absent). */
  idOfJson(json: string, object?: Resource): number {
    let id = this.ids.get(json);
    if (id === undefined) {
      id = this.json.length;
      this.ids.set(json, id);
      this.json.push(json);
      let o = object;
      if (o === undefined) {
        try {
          o = JSON.parse(json) as Resource;
        } catch {
          throw new CodecError('CORRUPT', 'entry record resource is not valid JSON');
        }
        if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new CodecError('CORRUPT', 'entry record resource is not a JSON object');
      }
      this.objects.push(o);
    }
    return id;
  }
}

/** Per-entry input of the block encoder (indexes are input order; the encoder sorts). */
export interface BlockInput {
  n: number;
  /** tsNs as signed high and unsigned low 32-bit halves. */
  tsHi: Int32Array;
  tsLo: Uint32Array;
  seqs: Float64Array;
  severity: Uint8Array;
  /** 1 = has a trace id, 2 = has a span id. */
  flags: Uint8Array;
  /** Raw ids: 16 / 8 bytes per entry (meaningful only where the flag is set). */
  traceIds: Uint8Array;
  spanIds: Uint8Array;
  resourceIds: Int32Array;
  resources: ResourceSet;
  message(i: number): string;
  attributes(i: number): Attributes;
  /** Byte length of the entries' records, when known without work. */
  rawBytes: number | undefined;
}

/** A BlockInput of n entries with its per-entry arrays allocated (filled by the caller). */
function newBlockInput(
  n: number,
  seqs: Float64Array,
  message: BlockInput['message'],
  attributes: BlockInput['attributes'],
  rawBytes: number | undefined,
): BlockInput {
  return {
    n,
    tsHi: new Int32Array(n),
    tsLo: new Uint32Array(n),
    seqs,
    severity: new Uint8Array(n),
    flags: new Uint8Array(n),
    traceIds: new Uint8Array(16 * n),
    spanIds: new Uint8Array(8 * n),
    resourceIds: new Int32Array(n),
    resources: new ResourceSet(),
    message,
    attributes,
    rawBytes,
  };
}

/** Encoder input from LogEntry objects (validated: CodecError INVALID_INPUT). */
export function inputFromEntries(entries: LogEntry[], seqs: Float64Array): BlockInput {
  const n = entries.length;
  if (seqs.length !== n) throw invalid(`${n} entries but ${seqs.length} seqs`);
  const input = newBlockInput(n, seqs, (i) => entries[i].message, (i) => entries[i].attributes, undefined);
  const recent = new RecentResources(input.resources);
  for (let i = 0; i < n; i++) {
    const e = entries[i];
    const ts = e.tsNs;
    if (typeof ts !== 'bigint' || ts < I64_MIN || ts > I64_MAX) throw invalid(`tsNs ${String(ts)} is not a 64-bit bigint`);
    input.tsHi[i] = Number(ts >> 32n);
    input.tsLo[i] = Number(BigInt.asUintN(32, ts));
    const sev = e.severityNumber;
    if (!Number.isInteger(sev) || sev < 1 || sev > 24) throw invalid(`severityNumber ${sev} is not in 1..24`);
    input.severity[i] = sev;
    let flags = 0;
    if (e.traceId !== undefined) {
      if (typeof e.traceId !== 'string' || !hexInto(e.traceId, 16, input.traceIds, 16 * i)) throw invalid(`traceId ${JSON.stringify(e.traceId)} is not 32 lowercase hex chars`);
      flags |= FLAG_TRACE_ID;
    }
    if (e.spanId !== undefined) {
      if (typeof e.spanId !== 'string' || !hexInto(e.spanId, 8, input.spanIds, 8 * i)) throw invalid(`spanId ${JSON.stringify(e.spanId)} is not 16 lowercase hex chars`);
      flags |= FLAG_SPAN_ID;
    }
    input.flags[i] = flags;
    if (typeof e.message !== 'string') throw invalid('message is not a string');
    input.resourceIds[i] = recent.id(e.resource);
  }
  return input;
}

const RECENT_RESOURCES = 8;

/**
 * Resource ids of objects. Entries rarely share resource objects, but their contents repeat: a
 * shallow compare against the few most recent distinct resources replaces a JSON.stringify per entry.
 */
class RecentResources {
  private readonly recent: { obj: Resource; keys: string[]; id: number }[] = [];
  private readonly protoClean: boolean;

  constructor(private readonly set: ResourceSet) {
    let clean = true;
    for (const _ in {}) clean = false;
    this.protoClean = clean;
  }

  id(r: Resource): number {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw invalid('resource is not a plain object');
    const plain = this.protoClean && Object.getPrototypeOf(r) === Object.prototype;
    if (plain) {
      for (const c of this.recent) if (c.obj === r || sameFlat(r, c.keys, c.obj)) return c.id;
    }
    let json: string;
    try {
      json = JSON.stringify(r);
    } catch (err) {
      throw invalid(`resource cannot be serialized as JSON: ${(err as Error).message}`);
    }
    const id = this.set.idOfJson(json, r);
    if (plain && isFlat(r)) {
      if (this.recent.length === RECENT_RESOURCES) this.recent.pop();
      this.recent.unshift({ obj: r, keys: Object.keys(r), id });
    }
    return id;
  }
}

function isFlat(r: Resource): boolean {
  for (const k in r) {
    const v = r[k] as unknown;
    if (typeof v === 'object' || typeof v === 'function' || typeof v === 'symbol' || typeof v === 'undefined') return false;
    if (typeof v === 'number' && !Number.isFinite(v)) return false;
  }
  return true;
}

/** Same keys in the same order with identical scalar values (then JSON.stringify would agree). */
function sameFlat(r: Resource, keys: string[], ref: Resource): boolean {
  let i = 0;
  for (const k in r) {
    if (keys[i] !== k || r[k] !== ref[k]) return false;
    i++;
  }
  return i === keys.length;
}

function truncatedRecord(what: string, at: number): CodecError {
  return new CodecError('TRUNCATED', `entry record ends inside ${what} at byte ${at}`);
}

/**
 * Encoder input straight from concatenated entry records (entry-record.ts). Structure is checked as
 * decodeEntryRecords does (CodecError TRUNCATED / CORRUPT); messages and attributes are decoded when
 * the encoder asks for them.
 */
export function inputFromRecords(records: Uint8Array): BlockInput {
  const buf = bufferView(records);
  // First pass: count and locate.
  let n = 0;
  let p = 0;
  const starts: number[] = [];
  while (p < buf.length) {
    starts.push(p);
    p = skipRecord(buf, p);
    n++;
  }
  const input = newBlockInput(
    n,
    new Float64Array(n),
    (i) => utf8Slice(buf, msgAt[i], attrAt[i]),
    (i) => parseAttributes(buf, attrAt[i], attrEnd[i], binary[i] !== 0),
    buf.length,
  );
  // Each record's message text is [msgAt, attrAt); its attributes are the length varint at attrAt
  // and the JSON up to attrEnd.
  const msgAt = new Int32Array(n);
  const attrAt = new Int32Array(n);
  const attrEnd = new Int32Array(n);
  const binary = new Uint8Array(n);
  // Resources compared as bytes against the distinct ones seen (usually a handful per block).
  const resStart: number[] = [];
  const resEnd: number[] = [];
  let lastRes = -1;
  for (let i = 0; i < n; i++) {
    let q = starts[i];
    const lo = buf.readUInt32LE(q);
    const hi = buf.readUInt32LE(q + 4);
    input.seqs[i] = hi * TWO_32 + lo;
    input.tsLo[i] = buf.readUInt32LE(q + 8);
    input.tsHi[i] = buf.readInt32LE(q + 12);
    input.severity[i] = buf[q + 16];
    const flags = buf[q + 17];
    // Only the id bits: the encoder's flags are the entry's, not the record format's.
    input.flags[i] = flags & (FLAG_TRACE_ID | FLAG_SPAN_ID);
    binary[i] = flags & FLAG_ATTR_BINARY;
    q += RECORD_FIXED_BYTES;
    if (flags & FLAG_TRACE_ID) {
      buf.copy(input.traceIds, 16 * i, q, q + 16);
      q += 16;
    }
    if (flags & FLAG_SPAN_ID) {
      buf.copy(input.spanIds, 8 * i, q, q + 8);
      q += 8;
    }
    // message
    let len: number;
    [len, q] = varintAt(buf, q);
    msgAt[i] = q;
    q += len;
    // attributes: attrAt points at the length varint, so message() can find the message end
    attrAt[i] = q;
    [len, q] = varintAt(buf, q);
    attrEnd[i] = q + len;
    q += len;
    if (flags & FLAG_RESOURCE_PREV) {
      // skipRecord refused a chain without a start, so lastRes is set.
      input.resourceIds[i] = lastRes;
      continue;
    }
    [len, q] = varintAt(buf, q);
    // resource bytes [q, q + len)
    let id = -1;
    if (lastRes >= 0 && sameByteRange(buf, q, len, resStart[lastRes], resEnd[lastRes])) id = lastRes;
    else {
      for (let r = 0; r < resStart.length; r++) {
        if (sameByteRange(buf, q, len, resStart[r], resEnd[r])) {
          id = r;
          break;
        }
      }
      if (id < 0) {
        id = resStart.length;
        resStart.push(q);
        resEnd.push(q + len);
        const rid = input.resources.idOfJson(len === 0 ? '{}' : utf8Slice(buf, q, q + len));
        // Two byte-different texts can parse to the same JSON text only if the writer changed;
        // the set keys by text, so keep our local ids aligned with it.
        if (rid !== id) throw new CodecError('CORRUPT', 'entry record resources are inconsistent');
      }
    }
    lastRes = id;
    input.resourceIds[i] = id;
  }
  return input;
}

/** [value, next offset] of the varint at q (the record was checked by skipRecord). */
function varintAt(buf: Buffer, q: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (;;) {
    const b = buf[q++];
    v += (b & 0x7f) * mul;
    if (b < 0x80) return [v, q];
    mul *= 128;
  }
}

function parseAttributes(buf: Buffer, at: number, end: number, binary: boolean): Attributes {
  let q = at;
  while (buf[q] >= 0x80) q++;
  q++;
  if (binary) return readRecordAttributes(buf, q, end);
  if (q === end) return {};
  let v: unknown;
  try {
    v = JSON.parse(utf8Slice(buf, q, end));
  } catch {
    throw new CodecError('CORRUPT', 'entry record attributes are not valid JSON');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new CodecError('CORRUPT', 'entry record attributes are not a JSON object');
  return v as Attributes;
}

/** Checks one record's structure (as decodeEntryRecords does) and returns where the next starts. */
function skipRecord(buf: Buffer, p: number): number {
  if (p + RECORD_FIXED_BYTES > buf.length) throw truncatedRecord('the fixed header', p);
  if (buf.readUInt32LE(p + 4) >= 0x200000) throw new CodecError('CORRUPT', `entry record seq at byte ${p} is >= 2^53`);
  const sev = buf[p + 16];
  const flags = buf[p + 17];
  if (sev < 1 || sev > 24) throw new CodecError('CORRUPT', `entry record severity ${sev} is not in 1..24`);
  if (flags & ~RECORD_FLAGS) throw new CodecError('CORRUPT', `entry record flags ${flags} are unknown`);
  if (flags & FLAG_RESOURCE_PREV && p === 0) throw new CodecError('CORRUPT', 'the first entry record refers to a previous record\'s resource');
  let q = p + RECORD_FIXED_BYTES + (flags & FLAG_TRACE_ID ? 16 : 0) + (flags & FLAG_SPAN_ID ? 8 : 0);
  if (q > buf.length) throw truncatedRecord('an id', p);
  const parts = flags & FLAG_RESOURCE_PREV ? 2 : 3;
  for (let f = 0; f < parts; f++) {
    let len = 0;
    let mul = 1;
    let done = false;
    for (let k = 0; k < 5; k++) {
      if (q >= buf.length) throw truncatedRecord('a length', p);
      const b = buf[q++];
      len += (b & 0x7f) * mul;
      if (b < 0x80) {
        done = true;
        break;
      }
      mul *= 128;
    }
    if (!done || len > 0xffffffff) throw new CodecError('CORRUPT', 'entry record length varint is malformed');
    if (q + len > buf.length) throw truncatedRecord(f === 0 ? 'message' : f === 1 ? 'attributes' : 'resource', p);
    q += len;
  }
  return q;
}

/** tsNs of input entry i as a bigint. */
export function tsOf(input: BlockInput, i: number): bigint {
  return (BigInt(input.tsHi[i]) << 32n) | BigInt(input.tsLo[i]);
}
