// The distinct top-level attribute keys of a buffer of entry records, without parsing any JSON into
// objects: one byte scan of each record's attributes text. The seal task runs this in the pool so the
// main thread does not walk every entry's attributes (a RAW block's row needs its keys, for field
// listing). Binary attribute sections (record-attrs.ts) list their keys directly; JSON ones (older
// records) are scanned as JSON.stringify output. A malformed buffer only ever yields a typed
// CodecError, never a hang.
import type { Buffer } from 'node:buffer';
import { CodecError } from '../../codec/errors.js';
import { FLAG_ATTR_BINARY, FLAG_RESOURCE_PREV, FLAG_SPAN_ID, FLAG_TRACE_ID, RECORD_FIXED_BYTES } from './entry-record.js';
import { RecordKeyScanner } from '../../codec/columns/record-attrs.js';
import { bufferView, utf8Slice } from '../../codec/columns/hex.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Sorted distinct attribute keys of the records in `records` (concatenated entry records). */
export function attributeKeysOfRecords(records: Uint8Array): string[] {
  const buf = bufferView(records);
  const end = buf.length;
  const table = new KeyTable();
  const binary = new RecordKeyScanner();
  const at = { p: 0 };
  while (at.p < end) {
    const p = at.p;
    if (p + RECORD_FIXED_BYTES > end) throw new CodecError('TRUNCATED', 'entry records end inside a fixed header');
    const flags = buf[p + 17];
    at.p = p + RECORD_FIXED_BYTES + (flags & FLAG_TRACE_ID ? 16 : 0) + (flags & FLAG_SPAN_ID ? 8 : 0);
    const messageLen = varint(buf, end, at, 'message');
    at.p += messageLen;
    const attrLen = varint(buf, end, at, 'attributes');
    const attrStart = at.p;
    const attrEnd = attrStart + attrLen;
    if (attrEnd > end) throw new CodecError('TRUNCATED', 'entry record ends inside its attributes');
    if (attrLen > 0 && !(flags & FLAG_ATTR_BINARY && binary.add(buf, attrStart, attrEnd))) scanTopLevelKeys(buf, attrStart, attrEnd, table);
    at.p = attrEnd;
    if (flags & FLAG_RESOURCE_PREV) continue;
    const resourceLen = varint(buf, end, at, 'resource');
    at.p += resourceLen;
    if (at.p > end) throw new CodecError('TRUNCATED', 'entry record ends inside its resource');
  }
  for (const k of binary.keys) table.keys.add(k);
  return [...table.keys].sort();
}

/** Reads an unsigned LEB128 at at.p (advancing it). */
function varint(buf: Buffer, end: number, at: { p: number }, what: string): number {
  let v = 0;
  let p = at.p;
  for (let shift = 0; shift < 35; shift += 7) {
    if (p >= end) throw new CodecError('TRUNCATED', `entry record ends inside its ${what} length`);
    const b = buf[p++];
    v += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) {
      at.p = p;
      return v;
    }
  }
  throw new CodecError('CORRUPT', `entry record ${what} length varint is malformed`);
}

/**
 * Keys seen so far by a hash of their bytes: a key already known costs its scan and a byte compare,
 * never a string (blocks repeat a few dozen keys thousands of times).
 */
class KeyTable {
  private readonly byHash = new Map<number, Array<{ bytes: Uint8Array; key: string }>>();
  readonly keys = new Set<string>();

  add(buf: Buffer, start: number, end: number, hash: number, escaped: boolean): void {
    let list = this.byHash.get(hash);
    if (list !== undefined) {
      const n = end - start;
      for (const k of list) {
        if (k.bytes.length !== n) continue;
        let same = true;
        for (let i = 0; i < n; i++) {
          if (k.bytes[i] !== buf[start + i]) {
            same = false;
            break;
          }
        }
        if (same) return;
      }
    } else {
      list = [];
      this.byHash.set(hash, list);
    }
    const key = escaped ? parseKey(utf8Slice(buf, start - 1, end + 1)) : utf8Slice(buf, start, end);
    list.push({ bytes: buf.slice(start, end), key });
    this.keys.add(key);
  }
}

/** Adds the keys of the JSON object in buf[start, end) (JSON.stringify output: no whitespace). */
function scanTopLevelKeys(buf: Buffer, start: number, end: number, table: KeyTable): void {
  let depth = 0;
  let expectKey = false;
  let i = start;
  while (i < end) {
    const c = buf[i];
    if (c === QUOTE) {
      let j = i + 1;
      if (depth === 1 && expectKey) {
        let escaped = false;
        let hash = 0;
        for (;;) {
          if (j >= end) throw unterminated();
          const b = buf[j];
          if (b === QUOTE) break;
          if (b === BACKSLASH) {
            escaped = true;
            j++;
          }
          hash = (Math.imul(hash, 31) + b) | 0;
          j++;
        }
        table.add(buf, i + 1, j, hash, escaped);
        expectKey = false;
      } else {
        // A value string: skip to its closing quote (memchr), then past escaped quotes.
        for (;;) {
          j = buf.indexOf(QUOTE, j);
          if (j < 0 || j >= end) throw unterminated();
          let backslashes = 0;
          while (buf[j - 1 - backslashes] === BACKSLASH) backslashes++;
          if ((backslashes & 1) === 0) break;
          j++;
        }
      }
      i = j + 1;
      continue;
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth === 1) expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    } else if (c === 0x2c /* , */ && depth === 1) {
      expectKey = true;
    }
    i++;
  }
}

function unterminated(): CodecError {
  return new CodecError('CORRUPT', 'entry record attributes hold an unterminated string');
}

function parseKey(quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    throw new CodecError('CORRUPT', 'entry record attributes hold a malformed key');
  }
}
