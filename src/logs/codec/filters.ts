// Per-block text filter: lets a query skip blocks that cannot hold a match without decoding them.
// Two bloom filters in one byte string, stored in the index (so it counts in the disk ratio):
//   - trigrams (3 UTF-16 code units) of every lowercased message: a block may contain a substring
//     only if every trigram of the lowercased needle is present; a whole token likewise;
//   - trace ids (the 16 raw bytes).
// No false negatives by construction: probes hash exactly what the builder hashed. Needles shorter
// than 3 chars, and ids that are not 32 hex chars, always answer "may".
//
//   filter = [u8 version = 1][u8 kTrigram][u8 kTrace][varint trigramBytes][trigram bits][trace bits]
//
// Sizing: bits per distinct item (trigrams 8: ~2% false positives per probe, and a needle probes
// several; trace ids 7: ~3.5%), at most MAX_FILTER_BYTES in all. Distinct items, not entries, drive
// the size: log text reuses few trigrams, while trace ids are mostly distinct.
import type { LogEntry } from '../types.js';
import { hexInto } from '../../codec/columns/hex.js';

const VERSION = 1;
const TRIGRAM_BITS = 8;
const TRACE_BITS = 7;
const MIN_BLOOM_BYTES = 8;
const MAX_FILTER_BYTES = 48 * 1024;
const SEED_TRIGRAM = 0x5bd1e995;
const SEED_TRACE = 0x1b873593;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function trigramHash(a: number, b: number, c: number): number {
  return fmix32(((a << 16) | b) ^ Math.imul(c + 1, 0x9e3779b1) ^ SEED_TRIGRAM);
}

const HEXVAL = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEXVAL[48 + i] = i;
for (let i = 0; i < 6; i++) HEXVAL[97 + i] = 10 + i;

/** Hash of a trace id from its four 32-bit big-endian words (the hex text read 8 chars at a time). */
function traceHashOfWords(w0: number, w1: number, w2: number, w3: number): number {
  let h = SEED_TRACE;
  h = fmix32(h ^ w0);
  h = fmix32(h ^ w1) + 1;
  h = fmix32(h ^ w2) + 2;
  h = fmix32(h ^ w3) + 3;
  return fmix32(h);
}

/** Hash of a 32-char lowercase hex trace id, or -1 when it is not one. */
function traceHash(id: string): number {
  if (id.length !== 32) return -1;
  const w = [0, 0, 0, 0];
  for (let k = 0; k < 4; k++) {
    let word = 0;
    for (let i = 0; i < 8; i++) {
      const c = id.charCodeAt(k * 8 + i);
      const v = c < 128 ? HEXVAL[c] : -1;
      if (v < 0) return -1;
      word = ((word << 4) | v) >>> 0;
    }
    w[k] = word;
  }
  return traceHashOfWords(w[0], w[1], w[2], w[3]);
}

function traceHashOfBytes(b: Uint8Array, off: number): number {
  const word = (o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  return traceHashOfWords(word(off), word(off + 4), word(off + 8), word(off + 12));
}

// ASCII trigram dedupe: one bit per 21-bit key, cleared after each build via the touched list.
const ASCII_SEEN = new Uint8Array(1 << 18);

class TrigramSet {
  /** Distinct trigram hashes. */
  hashes: number[] = [];
  private readonly asciiKeys: number[] = [];
  private readonly other = new Set<number>();

  addString(lower: string): void {
    const n = lower.length;
    if (n < 3) return;
    let a = lower.charCodeAt(0);
    let b = lower.charCodeAt(1);
    for (let i = 2; i < n; i++) {
      const c = lower.charCodeAt(i);
      this.add(a, b, c);
      a = b;
      b = c;
    }
  }

  /** Message text: ASCII lowercased inline; anything else through toLowerCase (as the matcher does). */
  addMessage(msg: string): void {
    const n = msg.length;
    if (n < 3) return;
    // Rolling 21-bit key of the last three (lowercased ASCII) chars.
    let key = 0;
    for (let i = 0; i < n; i++) {
      let c = msg.charCodeAt(i);
      if (c >= 128) {
        this.addString(msg.toLowerCase());
        return;
      }
      if (c >= 65 && c <= 90) c |= 0x20;
      key = ((key << 7) | c) & 0x1fffff;
      if (i < 2) continue;
      const byte = key >>> 3;
      const bit = 1 << (key & 7);
      if (ASCII_SEEN[byte] & bit) continue;
      ASCII_SEEN[byte] |= bit;
      this.asciiKeys.push(key);
      this.hashes.push(trigramHash(key >>> 14, (key >>> 7) & 0x7f, c));
    }
  }

  private add(a: number, b: number, c: number): void {
    if ((a | b | c) < 128) {
      const key = (a << 14) | (b << 7) | c;
      const byte = key >>> 3;
      const bit = 1 << (key & 7);
      if (ASCII_SEEN[byte] & bit) return;
      ASCII_SEEN[byte] |= bit;
      this.asciiKeys.push(key);
      this.hashes.push(trigramHash(a, b, c));
      return;
    }
    const key = a * 4294967296 + b * 65536 + c;
    if (this.other.has(key)) return;
    this.other.add(key);
    this.hashes.push(trigramHash(a, b, c));
  }

  release(): void {
    const keys = this.asciiKeys;
    for (let i = 0; i < keys.length; i++) ASCII_SEEN[keys[i] >>> 3] = 0;
  }
}

function bloomBytes(items: number, bitsPerItem: number, budget: number): number {
  if (items === 0) return 0;
  return Math.max(MIN_BLOOM_BYTES, Math.min(budget, Math.ceil((items * bitsPerItem) / 8)));
}

function kFor(bytes: number, items: number): number {
  if (items === 0) return 1;
  return Math.max(1, Math.min(8, Math.round(((bytes * 8) / items) * Math.LN2)));
}

function insert(bits: Uint8Array, off: number, bytes: number, k: number, h1: number): void {
  const m = bytes * 8;
  const h2 = fmix32(h1 ^ 0x68e31da4) | 1;
  let h = h1;
  for (let i = 0; i < k; i++) {
    const p = h % m;
    bits[off + (p >>> 3)] |= 1 << (p & 7);
    h = (h + h2) >>> 0;
  }
}

function probe(bits: Uint8Array, off: number, bytes: number, k: number, h1: number): boolean {
  const m = bytes * 8;
  if (m === 0) return false;
  const h2 = fmix32(h1 ^ 0x68e31da4) | 1;
  let h = h1;
  for (let i = 0; i < k; i++) {
    const p = h % m;
    if ((bits[off + (p >>> 3)] & (1 << (p & 7))) === 0) return false;
    h = (h + h2) >>> 0;
  }
  return true;
}

/** Builds a filter incrementally: messages one by one, then the trace ids as raw bytes. */
export class FilterBuilder {
  private readonly tri = new TrigramSet();
  private released = false;

  addMessage(message: string): void {
    this.tri.addMessage(message);
  }

  /** The filter; traceIdBytes holds 16 bytes per trace id (repeats allowed). */
  build(traceIdBytes: Uint8Array): Uint8Array {
    this.release();
    const tri = this.tri;
    const traceHashes = new Set<number>();
    for (let off = 0; off + 16 <= traceIdBytes.length; off += 16) traceHashes.add(traceHashOfBytes(traceIdBytes, off));
    // Budget split by item count, so neither bloom starves the other when the cap binds.
    const total = tri.hashes.length + traceHashes.size;
    const triBudget = total === 0 ? 0 : Math.floor((MAX_FILTER_BYTES * tri.hashes.length) / total);
    const triBytes = bloomBytes(tri.hashes.length, TRIGRAM_BITS, Math.max(MIN_BLOOM_BYTES, triBudget));
    const traceBytes = bloomBytes(traceHashes.size, TRACE_BITS, Math.max(MIN_BLOOM_BYTES, MAX_FILTER_BYTES - triBytes));
    const kTri = kFor(triBytes, tri.hashes.length);
    const kTrace = kFor(traceBytes, traceHashes.size);
    const lenBytes = triBytes < 0x80 ? 1 : triBytes < 0x4000 ? 2 : 3;
    const head = 3 + lenBytes;
    const out = new Uint8Array(head + triBytes + traceBytes);
    out[0] = VERSION;
    out[1] = kTri;
    out[2] = kTrace;
    let v = triBytes;
    for (let i = 0; i < lenBytes; i++) {
      out[3 + i] = (v & 0x7f) | (i < lenBytes - 1 ? 0x80 : 0);
      v >>>= 7;
    }
    const hashes = tri.hashes;
    for (let i = 0; i < hashes.length; i++) insert(out, head, triBytes, kTri, hashes[i]);
    for (const h of traceHashes) insert(out, head + triBytes, traceBytes, kTrace, h);
    return out;
  }

  /**
   * Returns the shared dedupe bitmap. Must run once per builder (build() does it); call it when
   * abandoning a builder (an encode that failed midway), or later builders see stale bits.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.tri.release();
  }
}

/**
 * Filter over these messages and trace ids, the ids given as raw bytes (16 per id, concatenated;
 * repeats allowed).
 */
export function buildFilter(messages: readonly string[], traceIdBytes: Uint8Array): Uint8Array {
  const b = new FilterBuilder();
  try {
    for (let i = 0; i < messages.length; i++) b.addMessage(messages[i]);
    return b.build(traceIdBytes);
  } finally {
    b.release();
  }
}

/** Filter over the entries' messages and trace ids (ids that are not 32 lowercase hex chars are skipped). */
export function buildBlockFilter(entries: readonly LogEntry[]): Uint8Array {
  const ids = new Uint8Array(16 * entries.length);
  let n = 0;
  for (const e of entries) {
    if (e.traceId !== undefined && hexInto(e.traceId, 16, ids, n * 16)) n++;
  }
  return buildFilter(entries.map((e) => e.message), ids.subarray(0, n * 16));
}

interface Parsed {
  kTri: number;
  kTrace: number;
  triOff: number;
  triBytes: number;
  traceOff: number;
  traceBytes: number;
}

/** Layout of a filter, or undefined when it is not one this build knows (callers then answer "may"). */
function parse(filter: Uint8Array): Parsed | undefined {
  if (filter.length < 4 || filter[0] !== VERSION) return undefined;
  let triBytes = 0;
  let i = 3;
  for (let shift = 0; ; shift += 7) {
    if (i >= filter.length || shift > 21) return undefined;
    const b = filter[i++];
    triBytes += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  if (i + triBytes > filter.length) return undefined;
  const kTri = filter[1];
  const kTrace = filter[2];
  if (kTri < 1 || kTri > 8 || kTrace < 1 || kTrace > 8) return undefined;
  return { kTri, kTrace, triOff: i, triBytes, traceOff: i + triBytes, traceBytes: filter.length - i - triBytes };
}

/** False only when no message of the block can contain needleLower (an already lowercased needle). */
export function filterMayContainSubstring(filter: Uint8Array, needleLower: string): boolean {
  if (needleLower.length < 3) return true;
  const p = parse(filter);
  if (p === undefined) return true;
  for (let i = 2; i < needleLower.length; i++) {
    const h = trigramHash(needleLower.charCodeAt(i - 2), needleLower.charCodeAt(i - 1), needleLower.charCodeAt(i));
    if (!probe(filter, p.triOff, p.triBytes, p.kTri, h)) return false;
  }
  return true;
}

/** False only when no message of the block can contain the (lowercased) token. */
export function filterMayContainToken(filter: Uint8Array, tokenLower: string): boolean {
  return filterMayContainSubstring(filter, tokenLower);
}

/** False only when no entry of the block has this trace id (32 lowercase hex chars). */
export function filterMayContainTraceId(filter: Uint8Array, traceIdHex: string): boolean {
  const h = traceHash(traceIdHex);
  if (h < 0) return true;
  const p = parse(filter);
  if (p === undefined) return true;
  return probe(filter, p.traceOff, p.traceBytes, p.kTrace, h);
}
