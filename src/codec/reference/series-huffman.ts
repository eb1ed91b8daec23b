// Canonical, length-limited Huffman codes (max 12 bits) for the series int columns.
// Construction is deterministic (heap ordered by (weight, node id)) so the wasm twin builds the very
// same code; lengths over the limit are fixed by halving the weights and rebuilding, which is simple,
// deterministic and only costs a little when a block is extremely skewed.
// Codes are written LSB-first (bit-reversed canonical codes, as in deflate) so the decoder can index a
// 2^maxLen table with the next bits of the stream.
import { CodecError } from '../errors.js';
import type { BitReader, BitWriter } from './series-bits.js';

export const HUFF_MAX_LEN = 12;
/** Largest alphabet a table may describe (dictionary mode uses one symbol per distinct value). */
export const HUFF_MAX_SYMBOLS = 4096;

/** Code lengths (0 = unused) for symbol counts `freq[0..S)`. One used symbol gets length 1. */
export function huffmanLengths(freq: ArrayLike<number>, S: number): Uint8Array {
  const lens = new Uint8Array(S);
  const w = new Float64Array(2 * S);
  let used = 0;
  for (let s = 0; s < S; s++) if (freq[s] > 0) used++;
  if (used === 0) return lens;
  if (used === 1) {
    for (let s = 0; s < S; s++) if (freq[s] > 0) lens[s] = 1;
    return lens;
  }
  for (let s = 0; s < S; s++) w[s] = freq[s];
  for (;;) {
    buildDepths(w, S, lens);
    let max = 0;
    for (let s = 0; s < S; s++) if (lens[s] > max) max = lens[s];
    if (max <= HUFF_MAX_LEN) return lens;
    for (let s = 0; s < S; s++) if (w[s] > 0) w[s] = Math.floor((w[s] + 1) / 2);
  }
}

/** One Huffman build: leaves 0..S-1 (weight > 0), internal nodes S, S+1, ... in creation order. */
function buildDepths(w: Float64Array, S: number, lens: Uint8Array): void {
  const heap = new Int32Array(S);
  let size = 0;
  const less = (a: number, b: number) => w[a] < w[b] || (w[a] === w[b] && a < b);
  const push = (node: number) => {
    let i = size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(node, heap[p])) break;
      heap[i] = heap[p];
      i = p;
    }
    heap[i] = node;
  };
  const pop = () => {
    const top = heap[0];
    const last = heap[--size];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && less(heap[c + 1], heap[c])) c++;
      if (!less(heap[c], last)) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = last;
    return top;
  };
  const parent = new Int32Array(2 * S);
  for (let s = 0; s < S; s++) if (w[s] > 0) push(s);
  let next = S;
  while (size > 1) {
    const a = pop();
    const b = pop();
    w[next] = w[a] + w[b];
    parent[a] = next;
    parent[b] = next;
    push(next);
    next++;
  }
  // Root is next-1; internal nodes only point to later nodes, so walk them backwards.
  const depth = new Uint8Array(2 * S);
  depth[next - 1] = 0;
  for (let i = next - 2; i >= S; i--) depth[i] = depth[parent[i]] + 1;
  for (let s = 0; s < S; s++) lens[s] = w[s] > 0 ? depth[parent[s]] + 1 : 0;
}

/** Bit-reversed canonical codes: symbols sorted by (length, symbol) get consecutive codes. */
export function canonicalCodes(lens: Uint8Array, S: number): Uint32Array {
  const count = new Uint32Array(HUFF_MAX_LEN + 1);
  for (let s = 0; s < S; s++) count[lens[s]]++;
  count[0] = 0;
  const next = new Uint32Array(HUFF_MAX_LEN + 2);
  let code = 0;
  for (let l = 1; l <= HUFF_MAX_LEN; l++) {
    code = (code + count[l - 1]) << 1;
    next[l] = code;
  }
  const codes = new Uint32Array(S);
  for (let s = 0; s < S; s++) {
    const l = lens[s];
    if (l === 0) continue;
    codes[s] = reverseBits(next[l]++, l);
  }
  return codes;
}

export function reverseBits(v: number, n: number): number {
  let r = 0;
  for (let i = 0; i < n; i++) {
    r = (r << 1) | (v & 1);
    v >>>= 1;
  }
  return r;
}

/** Table of lengths: per symbol, `0` = same length as the previous symbol, `1` + 4 bits = new length. */
export function lengthsBits(lens: Uint8Array, S: number): number {
  let bits = 0;
  let prev = 0;
  for (let s = 0; s < S; s++) {
    bits += lens[s] === prev ? 1 : 5;
    prev = lens[s];
  }
  return bits;
}

export function writeLengths(w: BitWriter, lens: Uint8Array, S: number): void {
  let prev = 0;
  for (let s = 0; s < S; s++) {
    if (lens[s] === prev) w.bits(0, 1);
    else w.bits(1 | (lens[s] << 1), 5);
    prev = lens[s];
  }
}

/** Reads S lengths and checks they form a usable prefix code (Kraft sum ≤ 1, at least one code). */
export function readLengths(r: BitReader, S: number): Uint8Array {
  const lens = new Uint8Array(S);
  let prev = 0;
  let kraft = 0;
  for (let s = 0; s < S; s++) {
    if (r.bits(1) === 1) {
      prev = r.bits(4);
      if (prev > HUFF_MAX_LEN) throw new CodecError('CORRUPT', 'huffman length > 12');
    }
    lens[s] = prev;
    if (prev > 0) kraft += 1 << (HUFF_MAX_LEN - prev);
  }
  if (kraft === 0 || kraft > 1 << HUFF_MAX_LEN) throw new CodecError('CORRUPT', 'invalid huffman table');
  return lens;
}

export interface DecodeTable {
  /** entry = symbol << 4 | length; 0 marks a bit pattern no code starts with. */
  table: Uint32Array;
  bits: number;
}

export function decodeTable(lens: Uint8Array, S: number): DecodeTable {
  let bits = 0;
  for (let s = 0; s < S; s++) if (lens[s] > bits) bits = lens[s];
  const size = 1 << bits;
  const table = new Uint32Array(size);
  const codes = canonicalCodes(lens, S);
  for (let s = 0; s < S; s++) {
    const l = lens[s];
    if (l === 0) continue;
    for (let j = codes[s]; j < size; j += 1 << l) table[j] = (s << 4) | l;
  }
  return { table, bits };
}

/** Decodes one symbol. */
export function readSymbol(r: BitReader, t: DecodeTable): number {
  const e = t.table[r.peek(t.bits)];
  if (e === 0) throw new CodecError('CORRUPT', 'invalid huffman code');
  r.skip(e & 15);
  return e >>> 4;
}
