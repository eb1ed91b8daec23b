// What the three OTLP decoders share (opentelemetry/proto common/v1 and resource/v1): AnyValue,
// KeyValue lists, Resource and InstrumentationScope, in both encodings, plus the JSON field readers.
//
// Values become the store's attribute values (JSON-like, codec/columns/attr-types.ts):
// - int64 is a number when it is exact as a double (|v| < 2^53), else its decimal string (exact);
// - double NaN / ±Infinity become "NaN" / "Infinity" / "-Infinity" (the spelling of OTLP/JSON and of
//   tl.traces.exporter()): the stores' attribute numbers are JSON's and must be finite;
// - bytes become base64 text (OTLP/JSON's spelling of bytes);
// - kvlist becomes a plain object, array an array, an empty AnyValue null.
//
// Protobuf messages are walked in place on one ProtoReader: a nested message is read up to its end
// offset (checked after the walk, so a field that overruns its message is an error) instead of
// through a sub-reader per message; the ingest path decodes millions of KeyValues per second.
// A known field with an unexpected wire type is skipped like an unknown one (as protobuf-go does).
// Short ASCII strings (attribute keys, span names, enum-like values) go through a small intern cache:
// the same few strings arrive in every span, and reusing one string object saves the allocation and
// V8's re-internalizing of every attribute key. Decoders build their reader over a Buffer (protoReader)
// so strings and ids are sliced natively.
//
// Errors: OtlpFormatError = the request is malformed (HTTP 400), as is ProtobufError.
import { Buffer } from 'node:buffer';
import { bufferView, hexSlice, latin1Slice, utf8Slice } from '../../codec/columns/hex.js';
import type { AttrValue, Attributes } from '../../codec/columns/attr-types.js';
import { ProtobufError, ProtoReader } from './protobuf.js';

export type { AttrValue, Attributes };

/** A structurally malformed OTLP request (wrong JSON types, nesting bombs): answered with 400. */
export class OtlpFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OtlpFormatError';
  }
}

/** AnyValue nesting beyond this is refused (the stores refuse deeper attribute values anyway). */
export const MAX_ANY_DEPTH = 64;

// Tags (field number << 3 | wire type) of the common messages.
const T_STRING = (1 << 3) | 2;
const T_BOOL = (2 << 3) | 0;
const T_INT = (3 << 3) | 0;
const T_DOUBLE = (4 << 3) | 1;
const T_ARRAY = (5 << 3) | 2;
const T_KVLIST = (6 << 3) | 2;
const T_BYTES = (7 << 3) | 2;
const T_F1_LEN = (1 << 3) | 2;
const T_F2_LEN = (2 << 3) | 2;
const T_F2_VARINT = (2 << 3) | 0;
const T_F3_LEN = (3 << 3) | 2;
const T_F4_VARINT = (4 << 3) | 0;

const hasOwn = Object.prototype.hasOwnProperty;

/** out[key] = value, also for the key "__proto__" (an own property, not the prototype). */
export function setAttr(out: Attributes, key: string, value: AttrValue): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

/** Freezes an attributes object and every array/object value in it (see the engine's resource cache). */
export function freezeAttributes(attrs: Attributes): void {
  const freeze = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || Object.isFrozen(v)) return;
    Object.freeze(v);
    for (const k of Object.keys(v)) freeze((v as Record<string, unknown>)[k]);
  };
  freeze(attrs);
}

/** A finite double as is; NaN and ±Infinity as their OTLP/JSON names. */
export function finiteOrName(v: number): number | string {
  return v - v === 0 ? v : String(v);
}

// ------------------------------------------------------------------ protobuf

/**
 * A reader over the body as a Buffer (no copy): strings and hex ids are sliced by Node's native
 * slicers, which the proto* functions here expect (build readers for them with this).
 */
export function protoReader(body: Uint8Array): ProtoReader {
  return new ProtoReader(bufferView(body));
}

/** Strings up to this many bytes are interned (when ASCII). */
const INTERN_MAX_BYTES = 64;
const INTERN_SLOTS = 1 << 12;
const interned: Array<string | undefined> = new Array(INTERN_SLOTS).fill(undefined);

/**
 * A string field (length-delimited at r.pos). Short ASCII strings come from a direct-mapped cache
 * keyed by an FNV-1a hash of their bytes and verified byte by byte, so a hit is always the same text.
 */
export function protoString(r: ProtoReader): string {
  const n = r.len();
  const start = r.pos;
  const end = start + n;
  r.pos = end;
  if (n === 0) return '';
  const buf = r.buf as Buffer;
  if (n > INTERN_MAX_BYTES) return utf8Slice(buf, start, end);
  let h = 0x811c9dc5 ^ n;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c >= 0x80) return utf8Slice(buf, start, end);
    h = Math.imul(h ^ c, 0x01000193);
  }
  const slot = (h ^ (h >>> 16)) & (INTERN_SLOTS - 1);
  const hit = interned[slot];
  if (hit !== undefined && hit.length === n) {
    let i = 0;
    while (i < n && hit.charCodeAt(i) === buf[start + i]) i++;
    if (i === n) return hit;
  }
  const s = latin1Slice(buf, start, end); // ASCII: latin1 is the same text, and the fastest slicer
  interned[slot] = s;
  return s;
}

/** End offset of the length-delimited field at r.pos (its length is consumed). */
export function subEnd(r: ProtoReader): number {
  const n = r.len();
  return r.pos + n;
}

/** After walking a nested message: its fields must have ended exactly at its end. */
export function checkEnd(r: ProtoReader, end: number, what: string): void {
  if (r.pos !== end) throw new ProtobufError(`a field of ${what} runs past the end of its message (byte ${r.pos} > ${end})`);
}

/** A bytes field as lowercase hex ('' when empty). Ids of the wrong length are left to the stores' checks. */
export function protoHex(r: ProtoReader): string {
  const n = r.len();
  const start = r.pos;
  r.pos += n;
  return n === 0 ? '' : hexSlice(r.buf as Buffer, start, start + n);
}

/** An int64 varint: a number when exact, else the exact decimal string. */
function protoInt64(r: ProtoReader): number | string {
  const start = r.pos;
  const v = r.varint64();
  if (Number.isSafeInteger(v)) return v;
  r.pos = start;
  return BigInt.asIntN(64, r.varintBig()).toString();
}

/** An AnyValue message (length-delimited field at r.pos). */
export function protoAnyValue(r: ProtoReader, depth = 0): AttrValue {
  const end = subEnd(r);
  let v: AttrValue = null;
  while (r.pos < end) {
    const t = r.tag();
    switch (t) {
      case T_STRING:
        v = protoString(r);
        break;
      case T_BOOL:
        v = r.varint64() !== 0;
        break;
      case T_INT:
        v = protoInt64(r);
        break;
      case T_DOUBLE:
        v = finiteOrName(r.double());
        break;
      case T_ARRAY:
        v = protoArrayValue(r, depth + 1);
        break;
      case T_KVLIST:
        v = protoKeyValueList(r, depth + 1);
        break;
      case T_BYTES: {
        const n = r.len();
        v = Buffer.from(r.buf.buffer, r.buf.byteOffset + r.pos, n).toString('base64');
        r.pos += n;
        break;
      }
      default:
        r.skip(t & 7);
    }
  }
  checkEnd(r, end, 'an AnyValue');
  return v;
}

function tooDeep(depth: number): void {
  if (depth > MAX_ANY_DEPTH) throw new OtlpFormatError(`an attribute value is nested more than ${MAX_ANY_DEPTH} levels deep`);
}

function protoArrayValue(r: ProtoReader, depth: number): AttrValue[] {
  tooDeep(depth);
  const end = subEnd(r);
  const out: AttrValue[] = [];
  while (r.pos < end) {
    const t = r.tag();
    if (t === T_F1_LEN) out.push(protoAnyValue(r, depth));
    else r.skip(t & 7);
  }
  checkEnd(r, end, 'an ArrayValue');
  return out;
}

function protoKeyValueList(r: ProtoReader, depth: number): Attributes {
  tooDeep(depth);
  const end = subEnd(r);
  const out: Attributes = {};
  while (r.pos < end) {
    const t = r.tag();
    if (t === T_F1_LEN) protoKeyValue(r, out, depth);
    else r.skip(t & 7);
  }
  checkEnd(r, end, 'a KeyValueList');
  return out;
}

/** A KeyValue message (length-delimited field at r.pos) into out[key]; a later duplicate key wins. */
export function protoKeyValue(r: ProtoReader, out: Attributes, depth = 0): void {
  const end = subEnd(r);
  let key = '';
  let value: AttrValue = null;
  while (r.pos < end) {
    const t = r.tag();
    if (t === T_F1_LEN) key = protoString(r);
    else if (t === T_F2_LEN) value = protoAnyValue(r, depth);
    else r.skip(t & 7);
  }
  checkEnd(r, end, 'a KeyValue');
  setAttr(out, key, value);
}

export interface OtlpResource {
  attributes: Attributes;
  droppedAttributesCount: number;
}

/** Resource { attributes = 1; dropped_attributes_count = 2 } (entity refs ignored). */
export function protoResource(r: ProtoReader): OtlpResource {
  const end = subEnd(r);
  const attributes: Attributes = {};
  let dropped = 0;
  while (r.pos < end) {
    const t = r.tag();
    if (t === T_F1_LEN) protoKeyValue(r, attributes);
    else if (t === T_F2_VARINT) dropped = r.varint32() >>> 0;
    else r.skip(t & 7);
  }
  checkEnd(r, end, 'a Resource');
  return { attributes, droppedAttributesCount: dropped };
}

export interface OtlpScope {
  name: string;
  version: string;
  attributes: Attributes;
  droppedAttributesCount: number;
}

export function emptyScope(): OtlpScope {
  return { name: '', version: '', attributes: {}, droppedAttributesCount: 0 };
}

/** InstrumentationScope { name = 1; version = 2; attributes = 3; dropped_attributes_count = 4 }. */
export function protoScope(r: ProtoReader): OtlpScope {
  const end = subEnd(r);
  const s = emptyScope();
  while (r.pos < end) {
    const t = r.tag();
    if (t === T_F1_LEN) s.name = protoString(r);
    else if (t === T_F2_LEN) s.version = protoString(r);
    else if (t === T_F3_LEN) protoKeyValue(r, s.attributes);
    else if (t === T_F4_VARINT) s.droppedAttributesCount = r.varint32() >>> 0;
    else r.skip(t & 7);
  }
  checkEnd(r, end, 'an InstrumentationScope');
  return s;
}

// ------------------------------------------------------------------ JSON (proto3 JSON mapping, lowerCamelCase keys)

export type JsonObject = Record<string, unknown>;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return v.length > 40 ? `${JSON.stringify(v.slice(0, 40))}…` : JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function bad(path: string, expected: string, got: unknown): OtlpFormatError {
  return new OtlpFormatError(`${path} must be ${expected}, got ${describe(got)}`);
}

/** A message field: undefined when absent or null (proto3 JSON's "default"). */
export function jsonObject(v: unknown, path: string): JsonObject | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw bad(path, 'an object', v);
  return v as JsonObject;
}

/** The request's top level: a JSON object. */
export function jsonRoot(v: unknown, what: string): JsonObject {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad('the body', `a JSON object (an ${what})`, v);
  return v as JsonObject;
}

/** A repeated field: [] when absent or null. */
export function jsonArray(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw bad(path, 'an array', v);
  return v;
}

export function jsonString(v: unknown, path: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw bad(path, 'a string', v);
  return v;
}

export function jsonBool(v: unknown, path: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw bad(path, 'true or false', v);
  return v;
}

const UINT_RE = /^\d{1,20}$/;
const INT_RE = /^-?\d{1,20}$/;

/** A uint32 (counts, flags): a JSON number or decimal string. */
export function jsonUint32(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'string' && UINT_RE.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) throw bad(path, 'an integer in [0, 2^32)', v);
  return n;
}

/** A sint32 (scale, offsets). */
export function jsonInt32(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'string' && INT_RE.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) throw bad(path, 'an integer in [-2^31, 2^31)', v);
  return n;
}

/** A uint64 count (histogram counts): a number (exact below 2^53). */
export function jsonUint64(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'string' && UINT_RE.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw bad(path, 'a non-negative integer (number or decimal string)', v);
  return n;
}

/**
 * A fixed64 nanosecond timestamp, as the decimal string the stores accept ('0' when absent). JSON
 * numbers above 2^53 are already rounded by the parser; the spec allows them, so they are taken.
 */
export function jsonNanos(v: unknown, path: string): string {
  if (v === undefined || v === null) return '0';
  if (typeof v === 'string') {
    if (UINT_RE.test(v)) return v.length > 1 && v.charCodeAt(0) === 48 ? BigInt(v).toString() : v;
  } else if (typeof v === 'number' && Number.isInteger(v) && v >= 0) {
    return BigInt(v).toString();
  }
  throw bad(path, 'epoch nanoseconds (a decimal string or an integer)', v);
}

/** A double: a JSON number or "NaN" / "Infinity" / "-Infinity" (or a numeric string). */
export function jsonDouble(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    const n = Number(v);
    if (v.trim() !== '' && !Number.isNaN(n)) return n;
  }
  throw bad(path, 'a number (or "NaN", "Infinity", "-Infinity")', v);
}

/** An int64 attribute value: a number when exact, else the exact decimal string. */
function jsonInt64(v: unknown, path: string): number | string {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && INT_RE.test(v)) {
    const n = Number(v);
    if (Number.isSafeInteger(n)) return n;
    const big = BigInt(v);
    if (big >= -(2n ** 63n) && big < 2n ** 63n) return big.toString();
  }
  throw bad(path, 'an int64 (an integer or a decimal string)', v);
}

/**
 * An enum: its number, or its name in `names` (proto3 JSON parsers accept both; OTLP/JSON senders
 * use numbers). Unknown numbers are kept (proto3 enums are open); the caller maps them.
 */
export function jsonEnum(v: unknown, path: string, names: readonly string[]): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string') {
    const i = names.indexOf(v);
    if (i >= 0) return i;
  }
  throw bad(path, `an enum number or one of ${names.join(', ')}`, v);
}

/**
 * A trace or span id: hex in OTLP/JSON (not base64 as in generic proto3 JSON), returned as given
 * (the stores lowercase and check it). '' when absent.
 */
export function jsonId(v: unknown, path: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw bad(path, 'a hex string', v);
  return v;
}

/** An AnyValue object. */
export function jsonAnyValue(v: unknown, path: string, depth = 0): AttrValue {
  const o = jsonObject(v, path);
  if (o === undefined) return null;
  if (hasOwn.call(o, 'stringValue') && o.stringValue !== null) return jsonString(o.stringValue, `${path}.stringValue`);
  if (hasOwn.call(o, 'boolValue') && o.boolValue !== null) return jsonBool(o.boolValue, `${path}.boolValue`);
  if (hasOwn.call(o, 'intValue') && o.intValue !== null) return jsonInt64(o.intValue, `${path}.intValue`);
  if (hasOwn.call(o, 'doubleValue') && o.doubleValue !== null) return finiteOrName(jsonDouble(o.doubleValue, `${path}.doubleValue`));
  if (hasOwn.call(o, 'arrayValue') && o.arrayValue !== null) {
    tooDeep(depth + 1);
    const a = jsonObject(o.arrayValue, `${path}.arrayValue`);
    const values = jsonArray(a?.values, `${path}.arrayValue.values`);
    const out: AttrValue[] = new Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = jsonAnyValue(values[i], `${path}.arrayValue.values[${i}]`, depth + 1);
    return out;
  }
  if (hasOwn.call(o, 'kvlistValue') && o.kvlistValue !== null) {
    tooDeep(depth + 1);
    const kv = jsonObject(o.kvlistValue, `${path}.kvlistValue`);
    return jsonAttributes(kv?.values, `${path}.kvlistValue.values`, depth + 1);
  }
  if (hasOwn.call(o, 'bytesValue') && o.bytesValue !== null) {
    const b = jsonString(o.bytesValue, `${path}.bytesValue`);
    // Normalized through a decode so every spelling (base64url, no padding) stores the same text.
    return Buffer.from(b, 'base64').toString('base64');
  }
  return null;
}

/** A repeated KeyValue as an attributes object; a later duplicate key wins. */
export function jsonAttributes(v: unknown, path: string, depth = 0): Attributes {
  const list = jsonArray(v, path);
  const out: Attributes = {};
  for (let i = 0; i < list.length; i++) {
    const kv = jsonObject(list[i], `${path}[${i}]`);
    if (kv === undefined) continue;
    setAttr(out, jsonString(kv.key, `${path}[${i}].key`), jsonAnyValue(kv.value, `${path}[${i}].value`, depth));
  }
  return out;
}

export function jsonResource(v: unknown, path: string): OtlpResource {
  const o = jsonObject(v, path);
  return {
    attributes: jsonAttributes(o?.attributes, `${path}.attributes`),
    droppedAttributesCount: jsonUint32(o?.droppedAttributesCount, `${path}.droppedAttributesCount`),
  };
}

export function jsonScope(v: unknown, path: string): OtlpScope {
  const o = jsonObject(v, path);
  return {
    name: jsonString(o?.name, `${path}.name`),
    version: jsonString(o?.version, `${path}.version`),
    attributes: jsonAttributes(o?.attributes, `${path}.attributes`),
    droppedAttributesCount: jsonUint32(o?.droppedAttributesCount, `${path}.droppedAttributesCount`),
  };
}

// ------------------------------------------------------------------ text forms

/**
 * An attribute value as text, as the OTel attribute spec converts non-string values: strings as is,
 * numbers and booleans in their usual spelling, arrays and maps as JSON, null as ''.
 */
export function attrText(v: AttrValue): string {
  if (typeof v === 'string') return v;
  if (v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
