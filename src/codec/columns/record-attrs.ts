// The attributes part of an entry record (entry-record.ts, flag FLAG_ATTR_BINARY), written by the
// main thread on every write() and read back in the pool: a binary form of the attribute object that
// is written in ONE walk which also validates it. The JSON text it replaces cost a validating walk,
// a JSON.stringify (number formatting and escape scanning) and a UTF-8 copy of the text per entry;
// this walk writes keys and short strings byte by byte and numbers as varints or raw doubles.
//
//   section = u8 form
//     form 0 (pairs): varint count (2 bytes, padded), count × (string key, value)
//     form 1 (JSON):  the object's JSON text to the section end (keys that UTF-8 cannot carry, or
//                     more than 16,383 keys)
//   value   = u8 tag + payload: 0 null | 1 false | 2 true | 3 string | 4 uint (varint, < 2^31)
//             | 5 negative int (varint of -v, v >= -2^31) | 6 f64 LE | 7 JSON text (string: nested
//             arrays and objects, and strings with lone surrogates, which UTF-8 cannot carry)
//   string  = varint byteLength + UTF-8
//
// The values kept are exactly what JSON keeps (the record used to hold JSON.stringify output and
// readers may still meet such records): undefined members dropped, -0 stored as 0; non-finite
// numbers, bigint, functions, symbols, class instances below the top level and cycles are refused
// (checkAttributeValue, shared with normalize.ts so both paths refuse the same inputs).
import { Buffer } from 'node:buffer';
import { CodecError } from '../errors.js';
import type { AttrValue, Attributes } from './attr-types.js';
import { varintSize32, writeVarint32At } from './bytes.js';
import { utf8Slice, utf8Write } from './hex.js';

export const ATTR_FORM_PAIRS = 0;
export const ATTR_FORM_JSON = 1;
export const TAG_NULL = 0;
export const TAG_FALSE = 1;
export const TAG_TRUE = 2;
export const TAG_STRING = 3;
export const TAG_UINT = 4;
export const TAG_NEG_INT = 5;
export const TAG_F64 = 6;
export const TAG_JSON = 7;

/** Nesting depth bound: protects the walk (and JSON) from cycles and pathological inputs. */
export const MAX_ATTR_DEPTH = 64;
/** Pairs form holds at most this many keys (its count is a 2-byte padded varint). */
const MAX_PAIRS = 0x3fff;
/** Strings up to this many UTF-16 units are written by a JS loop when ASCII (a native call costs more). */
const JS_LOOP_CHARS = 48;

const hasOwn = Object.prototype.hasOwnProperty;

/** Where the encoder writes: a growable buffer and a position (EntryRecordWriter). */
export interface ByteSink {
  buf: Buffer;
  pos: number;
  /** Makes room for `extra` more bytes at pos (buf may be replaced). */
  ensure(extra: number): void;
}

export type FailFn = (message: string) => Error;

/** Key or string that UTF-8 cannot carry (a lone surrogate): written another way. */
class NotUtf8 {}
const NOT_UTF8 = new NotUtf8();

// ------------------------------------------------------------------ validation (shared rules)

/**
 * Checks one attribute value below the top level as JSON would keep it; throws fail(message) for
 * what JSON would silently change or drop. undefined is allowed (dropped; null inside arrays).
 */
export function checkAttributeValue(v: unknown, path: string, key: string | number, depth: number, fail: FailFn): void {
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return;
    case 'number':
      if (!Number.isFinite(v)) throw fail(`${path}.${key} is ${v}: attribute numbers must be finite (JSON has no ${v})`);
      return;
    case 'object': {
      if (v === null) return;
      const where = `${path}.${key}`;
      if (Array.isArray(v)) {
        if (depth + 1 > MAX_ATTR_DEPTH) throw fail(`${where} is nested more than ${MAX_ATTR_DEPTH} levels deep (a cycle?)`);
        // JSON would call it (a copy would not): refused rather than stored differently.
        if (hasOwn.call(v, 'toJSON')) throw fail(`${where} is an array with its own toJSON; pass plain data`);
        for (let i = 0; i < v.length; i++) checkAttributeValue(v[i], where, i, depth + 1, fail);
        return;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        throw fail(`${where} must be a plain object, array or scalar, got ${proto?.constructor?.name ?? 'an object'} (convert it first, e.g. toISOString() for a Date)`);
      }
      checkAttributeObject(v as Record<string, unknown>, where, depth + 1, fail);
      return;
    }
    default:
      throw fail(`${path}.${key} has a ${typeof v} value; attribute values are strings, finite numbers, booleans, null, arrays or plain objects`);
  }
}

/** Checks every own member of an attribute object (checkAttributeValue's rules). */
export function checkAttributeObject(src: Record<string, unknown>, path: string, depth: number, fail: FailFn): void {
  if (depth > MAX_ATTR_DEPTH) throw fail(`${path} is nested more than ${MAX_ATTR_DEPTH} levels deep (a cycle?)`);
  for (const k in src) {
    if (!hasOwn.call(src, k)) continue;
    const v = src[k];
    // Scalars inline (the common case).
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && v - v === 0)) continue;
    checkAttributeValue(v, path, k, depth, fail);
  }
}

// ------------------------------------------------------------------ encoding



/**
 * Writes `s` as varint byteLength + UTF-8 at sink.pos. Throws NOT_UTF8 (writing nothing) when s
 * holds a lone surrogate.
 */
function writeUtf8(sink: ByteSink, s: string): void {
  writeUtf8String(sink, s, false);
}

/**
 * Writes `s` as varint byteLength + UTF-8 at sink.pos: ASCII up to JS_LOOP_CHARS by a JS loop, the
 * rest natively. A lone surrogate becomes U+FFFD (as TextEncoder writes it) when `lenient`; else the
 * call throws (writing nothing) so the caller can store the text another way. Shared with the span
 * records, whose plain strings (names, messages) take the lenient rule.
 */
export function writeUtf8String(sink: ByteSink, s: string, lenient: boolean): void {
  const n = s.length;
  if (n <= JS_LOOP_CHARS) {
    sink.ensure(1 + n);
    const buf = sink.buf;
    const at = sink.pos + 1;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[at + i] = c;
    }
    if (i === n) {
      buf[sink.pos] = n;
      sink.pos = at + n;
      return;
    }
  }
  const max = n * 3; // UTF-16 unit -> at most 3 UTF-8 bytes
  const lenBytes = varintSize32(n); // room for the length as if the text were ASCII: no shift then
  sink.ensure(varintSize32(max) + max);
  const buf = sink.buf;
  const at = sink.pos + lenBytes;
  const written = utf8Write(buf, s, at, max);
  // More bytes than units: non-ASCII text, which may hold a lone surrogate (written as U+FFFD).
  if (!lenient && written !== n && !(s as unknown as { isWellFormed(): boolean }).isWellFormed()) throw NOT_UTF8;
  const actual = varintSize32(written);
  if (actual !== lenBytes) buf.copyWithin(sink.pos + actual, at, at + written);
  sink.pos = writeVarint32At(buf, sink.pos, written) + written;
}

function writeJsonText(sink: ByteSink, v: unknown): void {
  sink.ensure(1);
  sink.buf[sink.pos++] = TAG_JSON;
  // JSON escapes lone surrogates, so its text is always valid UTF-8.
  writeUtf8(sink, JSON.stringify(v));
}

function writeValue(sink: ByteSink, v: unknown, key: string, fail: FailFn): void {
  sink.ensure(9);
  const buf = sink.buf;
  if (typeof v === 'string') {
    buf[sink.pos++] = TAG_STRING;
    try {
      writeUtf8(sink, v);
    } catch (err) {
      if (err !== NOT_UTF8) throw err;
      sink.pos--;
      writeJsonText(sink, v);
    }
  } else if (typeof v === 'number') {
    if ((v | 0) === v) {
      // -0 | 0 is 0: stored as 0, as JSON does.
      if (v >= 0) {
        buf[sink.pos] = TAG_UINT;
        sink.pos = writeVarint32At(buf, sink.pos + 1, v);
      } else {
        buf[sink.pos] = TAG_NEG_INT;
        sink.pos = writeVarint32At(buf, sink.pos + 1, -v);
      }
    } else if (v - v === 0) {
      buf[sink.pos] = TAG_F64;
      buf.writeDoubleLE(v, sink.pos + 1);
      sink.pos += 9;
    } else {
      checkAttributeValue(v, 'attributes', key, 0, fail); // throws the non-finite message
    }
  } else if (typeof v === 'boolean') {
    buf[sink.pos++] = v ? TAG_TRUE : TAG_FALSE;
  } else if (v === null) {
    buf[sink.pos++] = TAG_NULL;
  } else {
    // Arrays, objects and refused values: checked with the shared rules, kept as JSON text.
    checkAttributeValue(v, 'attributes', key, 0, fail);
    writeJsonText(sink, v);
  }
}

/**
 * Writes the record's attributes part: varint section length (0 = {}) + section. Validates as it
 * goes and throws fail(message) on a value JSON cannot keep, leaving sink.pos where it was.
 */
export function writeRecordAttributes(sink: ByteSink, attrs: unknown, fail: FailFn): void {
  if (attrs === null || typeof attrs !== 'object' || Array.isArray(attrs)) throw fail(`attributes must be a plain object, got ${attrs === null ? 'null' : Array.isArray(attrs) ? 'an array' : typeof attrs}`);
  const start = sink.pos;
  try {
    writePairs(sink, attrs as Record<string, unknown>, fail);
  } catch (err) {
    sink.pos = start;
    if (err !== NOT_UTF8) throw err;
    // A key UTF-8 cannot carry (or too many keys): the JSON form, after the checks the walk did not
    // finish (it stopped at that key).
    checkAttributeObject(attrs as Record<string, unknown>, 'attributes', 0, fail);
    const json = JSON.stringify(attrs);
    const bytes = Buffer.byteLength(json, 'utf8') + 1;
    sink.ensure(varintSize32(bytes) + bytes);
    sink.pos = writeVarint32At(sink.buf, sink.pos, bytes);
    sink.buf[sink.pos++] = ATTR_FORM_JSON;
    sink.pos += utf8Write(sink.buf, json, sink.pos, bytes - 1);
  }
}

function writePairs(sink: ByteSink, attrs: Record<string, unknown>, fail: FailFn): void {
  const start = sink.pos;
  // [2-byte padded section length][form][2-byte padded count]: both known only at the end.
  sink.ensure(5);
  sink.buf[start + 2] = ATTR_FORM_PAIRS;
  sink.pos = start + 5;
  let n = 0;
  for (const k in attrs) {
    if (!hasOwn.call(attrs, k)) continue;
    const v = attrs[k];
    if (v === undefined) continue;
    writeUtf8(sink, k);
    writeValue(sink, v, k, fail);
    n++;
  }
  const buf = sink.buf;
  if (n === 0) {
    buf[start] = 0;
    sink.pos = start + 1;
    return;
  }
  if (n > MAX_PAIRS) throw NOT_UTF8; // the JSON form (a pathological object; the walk checked it)
  buf[start + 3] = (n & 0x7f) | 0x80;
  buf[start + 4] = n >>> 7;
  const len = sink.pos - start - 2;
  if (len < 0x4000) {
    buf[start] = (len & 0x7f) | 0x80;
    buf[start + 1] = len >>> 7;
    return;
  }
  // A big section: its length needs more than two varint bytes; move it right.
  const extra = varintSize32(len) - 2;
  sink.ensure(extra);
  const b = sink.buf;
  b.copyWithin(start + 2 + extra, start + 2, sink.pos);
  writeVarint32At(b, start, len);
  sink.pos += extra;
}

// ------------------------------------------------------------------ decoding

function corrupt(message: string): CodecError {
  return new CodecError('CORRUPT', `entry record attributes ${message}`);
}

/** Bounds-checked cursor over one section. */
interface Cursor {
  p: number;
  readonly end: number;
}

function readVarint(buf: Buffer, c: Cursor): number {
  let v = 0;
  let mul = 1;
  for (let k = 0; k < 5; k++) {
    if (c.p >= c.end) throw corrupt('end inside a varint');
    const b = buf[c.p++];
    v += (b & 0x7f) * mul;
    if (b < 0x80) return v;
    mul *= 128;
  }
  throw corrupt('hold a malformed varint');
}

/**
 * Keys repeat record after record: a small direct-mapped cache by byte hash returns the same string
 * for the same bytes, without allocating one per record.
 */
const KEY_SLOTS = 1024;
const KEY_CACHE_MAX_BYTES = 64;
const keyBytes: (Uint8Array | undefined)[] = new Array(KEY_SLOTS).fill(undefined);
const keyStrings: string[] = new Array(KEY_SLOTS).fill('');

function readKey(buf: Buffer, c: Cursor): string {
  const n = readVarint(buf, c);
  const at = c.p;
  if (at + n > c.end) throw corrupt('end inside a key');
  c.p = at + n;
  if (n > KEY_CACHE_MAX_BYTES) return utf8Slice(buf, at, at + n);
  let h = n;
  for (let i = 0; i < n; i++) h = (Math.imul(h, 31) + buf[at + i]) | 0;
  const slot = (h ^ (h >>> 11)) & (KEY_SLOTS - 1);
  const known = keyBytes[slot];
  if (known !== undefined && known.length === n) {
    let same = true;
    for (let i = 0; i < n; i++) {
      if (known[i] !== buf[at + i]) {
        same = false;
        break;
      }
    }
    if (same) return keyStrings[slot];
  }
  const key = utf8Slice(buf, at, at + n);
  keyBytes[slot] = buf.slice(at, at + n);
  keyStrings[slot] = key;
  return key;
}

function readString(buf: Buffer, c: Cursor): string {
  const n = readVarint(buf, c);
  const at = c.p;
  if (at + n > c.end) throw corrupt('end inside a string');
  c.p = at + n;
  return n === 0 ? '' : utf8Slice(buf, at, at + n);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw corrupt('hold malformed JSON text');
  }
}

function readValue(buf: Buffer, c: Cursor): AttrValue {
  if (c.p >= c.end) throw corrupt('end before a value');
  const tag = buf[c.p++];
  switch (tag) {
    case TAG_NULL:
      return null;
    case TAG_FALSE:
      return false;
    case TAG_TRUE:
      return true;
    case TAG_STRING:
      return readString(buf, c);
    case TAG_UINT:
      return readVarint(buf, c);
    case TAG_NEG_INT: {
      const v = readVarint(buf, c);
      return v === 0 ? 0 : -v;
    }
    case TAG_F64: {
      if (c.p + 8 > c.end) throw corrupt('end inside a number');
      const v = buf.readDoubleLE(c.p);
      c.p += 8;
      if (!Number.isFinite(v)) throw corrupt('hold a non-finite number');
      return v;
    }
    case TAG_JSON:
      return parseJson(readString(buf, c)) as AttrValue;
    default:
      throw corrupt(`hold unknown value tag ${tag}`);
  }
}

/** The attributes of a section buf[start, end) (the bytes after its length varint; empty = {}). */
export function readRecordAttributes(buf: Buffer, start: number, end: number): Attributes {
  if (start === end) return {};
  const form = buf[start];
  if (form === ATTR_FORM_JSON) {
    const v = parseJson(utf8Slice(buf, start + 1, end));
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw corrupt('JSON text is not an object');
    return v as Attributes;
  }
  if (form !== ATTR_FORM_PAIRS) throw corrupt(`hold unknown form ${form}`);
  const c: Cursor = { p: start + 1, end };
  const n = readVarint(buf, c);
  const out: Attributes = {};
  for (let i = 0; i < n; i++) {
    const k = readKey(buf, c);
    const v = readValue(buf, c);
    if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    else out[k] = v;
  }
  if (c.p !== end) throw corrupt('hold bytes after the last member');
  return out;
}

/**
 * The distinct top-level keys of many pairs-form sections (the RAW seal lists a chunk's keys: ~32k
 * records of a few keys each, on the pool's critical path). A key already seen costs one pass over
 * its bytes for a 64-bit hash (two 32-bit ones) and a table probe, no string; a new key is decoded
 * once. Two distinct keys with equal hashes (odds ~k^2 / 2^65 for k distinct keys) would list one of
 * them only: this feeds the field-name listing, never the stored data.
 */
export class RecordKeyScanner {
  readonly keys = new Set<string>();
  /** Open-addressed table of the (h1, h2) hash pairs seen (no boxed numbers, no allocation per key). */
  private table = new Int32Array(2 * 256);
  private used = 0;

  /** True when the pair was new (and is now recorded). */
  private insert(h1: number, h2: number): boolean {
    if (h1 === 0 && h2 === 0) h2 = 1; // (0, 0) marks an empty slot
    let t = this.table;
    const mask = (t.length >> 1) - 1;
    for (let i = h1 & mask; ; i = (i + 1) & mask) {
      const a = t[2 * i];
      const b = t[2 * i + 1];
      if (a === 0 && b === 0) {
        t[2 * i] = h1;
        t[2 * i + 1] = h2;
        if (++this.used * 2 > mask + 1) {
          // Half full: double it and re-insert.
          const old = t;
          t = this.table = new Int32Array(old.length * 2);
          this.used = 0;
          for (let j = 0; j < old.length; j += 2) if (old[j] !== 0 || old[j + 1] !== 0) this.insert(old[j], old[j + 1]);
        }
        return true;
      }
      if (a === h1 && b === h2) return false;
    }
  }

  /** Read position of add()'s varints (a field, so the reader returns one number and allocates nothing). */
  private at = 0;

  /** The varint at this.at (advancing it); `what` names it in the error. */
  private varint(buf: Buffer, end: number, what: string): number {
    let v = 0;
    let mul = 1;
    let p = this.at;
    for (let k = 0; ; k++) {
      if (p >= end || k === 5) throw corrupt(`end inside ${what}`);
      const b = buf[p++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 128;
    }
    this.at = p;
    return v;
  }

  /** Adds the keys of section buf[start, end) and returns true; false for a JSON-form section (the caller scans its text). */
  add(buf: Buffer, start: number, end: number): boolean {
    if (start === end) return true;
    const form = buf[start];
    if (form === ATTR_FORM_JSON) return false;
    if (form !== ATTR_FORM_PAIRS) throw corrupt(`hold unknown form ${form}`);
    this.at = start + 1;
    const n = this.varint(buf, end, 'the count');
    for (let i = 0; i < n; i++) {
      const len = this.varint(buf, end, 'a key length');
      const keyStart = this.at;
      const keyEnd = keyStart + len;
      if (keyEnd > end) throw corrupt('end inside a key');
      let h1 = len | 0;
      let h2 = 0x2545f491 ^ len;
      for (let j = keyStart; j < keyEnd; j++) {
        const b = buf[j];
        h1 = Math.imul(h1 ^ b, 0x01000193);
        h2 = (Math.imul(h2, 31) + b) | 0;
      }
      if (this.insert(h1 | 0, h2)) this.keys.add(utf8Slice(buf, keyStart, keyEnd));
      // value: skipped by its tag
      if (keyEnd >= end) throw corrupt('end before a value');
      const tag = buf[keyEnd];
      this.at = keyEnd + 1;
      if (tag <= TAG_TRUE) continue;
      if (tag === TAG_F64) this.at += 8;
      else if (tag === TAG_UINT || tag === TAG_NEG_INT) this.varint(buf, end, 'a number');
      else if (tag === TAG_STRING || tag === TAG_JSON) {
        const valueBytes = this.varint(buf, end, 'a value length'); // advances this.at first
        this.at += valueBytes;
      }
      else throw corrupt(`hold unknown value tag ${tag}`);
      if (this.at > end) throw corrupt('end inside a value');
    }
    if (this.at !== end) throw corrupt('hold bytes after the last member');
    return true;
  }
}
