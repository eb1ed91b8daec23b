// The int column coder: a column of integers (|x| < 2^49) is transformed (raw − min, delta or
// delta-of-delta, zigzag) into non-negative u < 2^52 and encoded as a constant, FOR bit-packing or
// Huffman-coded buckets; or, for peaky distributions, as a sorted dictionary plus Huffman-coded
// indices. The encoder computes the exact size of every candidate from histograms and writes only the
// smallest (ties: first in the order below), so the wasm twin makes the same choice. Long columns
// first drop the Huffman candidates of transforms that a sample shows to be clearly worse.
import { CodecError } from '../errors.js';
import { BitReader, BitWriter, bitLen, unzigzag, varintBits, zigzag } from './series-bits.js';
import {
  HUFF_MAX_SYMBOLS, canonicalCodes, decodeTable, huffmanLengths, lengthsBits, readLengths,
  readSymbol, writeLengths,
} from './series-huffman.js';

export const T_RAW = 0;
export const T_DELTA = 1;
export const T_DOD = 2;
export const E_CONST = 0;
export const E_BITPACK = 1;
export const E_HUFFMAN = 2;
export const E_DICT = 3;

/** Transformed values never need more bits than this (inputs are |x| < 2^49). */
export const MAX_U_BITS = 52;
/** Values below this are their own Huffman symbol; larger ones are bucketed. */
const DIRECT = 16;
/** Bucket alphabet: 16 direct symbols + 4 sub-buckets for every bit length 5..52. */
export const BUCKET_SYMBOLS = DIRECT + (MAX_U_BITS - 4) * 4;
/** Dictionary mode is tried only for columns of at least this many values with at most n/2 distinct. */
const DICT_MIN_N = 16;
/**
 * The encoder builds dictionaries of at most this many values (the format allows 4096): bigger ones
 * almost never win and the wasm encoder's hash table stays inside L1.
 */
const DICT_MAX = 1024;

/** Symbol of u: u itself below 16, else (bit length, next 2 bits after the leading 1). */
export function bucketSymbol(u: number): number {
  if (u < DIRECT) return u;
  const b = bitLen(u);
  const sub = Math.floor(u / 2 ** (b - 3)) & 3;
  return DIRECT + (b - 5) * 4 + sub;
}

/** Raw low bits that follow a bucket symbol. */
export function bucketExtraBits(sym: number): number {
  return sym < DIRECT ? 0 : 2 + ((sym - DIRECT) >> 2);
}

/** Smallest u of a bucket (u = base + extra bits). */
export function bucketBase(sym: number): number {
  if (sym < DIRECT) return sym;
  const b = 5 + ((sym - DIRECT) >> 2);
  return (4 + ((sym - DIRECT) & 3)) * 2 ** (b - 3);
}

interface Plan {
  bits: number;
  t: number;
  e: number;
  /** transform params (base, x0, d1) */
  params: number[];
  u: number[];
  width: number;
  lens?: Uint8Array;
  S: number;
  dict?: number[];
  dictPlan?: Plan;
  indices?: number[];
}

function transform(x: ArrayLike<number>, t: number): { params: number[]; u: number[] } {
  const n = x.length;
  const u: number[] = [];
  if (t === T_RAW) {
    let min = x[0];
    for (let i = 1; i < n; i++) if (x[i] < min) min = x[i];
    for (let i = 0; i < n; i++) u.push(x[i] - min);
    return { params: [min], u };
  }
  if (t === T_DELTA) {
    for (let i = 1; i < n; i++) u.push(zigzag(x[i] - x[i - 1]));
    return { params: [x[0]], u };
  }
  for (let i = 2; i < n; i++) u.push(zigzag(x[i] - 2 * x[i - 1] + x[i - 2]));
  return { params: [x[0], x[1] - x[0]], u };
}

/** Best encoding of an already-transformed column (header and params included in `bits`). */
function planEncodings(t: number, params: number[], u: number[], plans: Plan[], huffman: boolean): void {
  let head = 4;
  for (const p of params) head += varintBits(zigzag(p));
  const c = u.length;
  let max = 0;
  let allSame = true;
  for (let i = 0; i < c; i++) {
    if (u[i] > max) max = u[i];
    if (u[i] !== u[0]) allSame = false;
  }
  if (allSame) {
    plans.push({ bits: head + varintBits(c > 0 ? u[0] : 0), t, e: E_CONST, params, u, width: 0, S: 0 });
    return;
  }
  const width = bitLen(max);
  plans.push({ bits: head + 6 + c * width, t, e: E_BITPACK, params, u, width, S: 0 });
  if (!huffman) return;
  const freq = new Uint32Array(BUCKET_SYMBOLS);
  let S = 0;
  for (let i = 0; i < c; i++) {
    const s = bucketSymbol(u[i]);
    freq[s]++;
    if (s + 1 > S) S = s + 1;
  }
  const lens = huffmanLengths(freq, S);
  let bits = head + varintBits(S) + lengthsBits(lens, S);
  for (let s = 0; s < S; s++) bits += freq[s] * (lens[s] + bucketExtraBits(s));
  plans.push({ bits, t, e: E_HUFFMAN, params, u, width: 0, lens, S });
}

function planDict(x: ArrayLike<number>, plans: Plan[], best: number): void {
  const n = x.length;
  if (n < DICT_MIN_N) return;
  const limit = Math.min(DICT_MAX, Math.floor(n / 2));
  const seen = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    seen.set(x[i], (seen.get(x[i]) ?? 0) + 1);
    if (seen.size > limit) return;
  }
  // Lower bound (entropy ≥ Σ f·⌊log2(n/f)⌋, ≥ 1 bit per table entry, nested column ≥ 4 bits): when it
  // is not below the best plan the dictionary cannot win, so skip the sort and the big Huffman build.
  let bound = 8 + varintBits(seen.size) + seen.size;
  for (const f of seen.values()) bound += f * (31 - Math.clz32(Math.floor(n / f)));
  if (bound >= best) return;
  const dict = [...seen.keys()].sort((a, b) => a - b);
  const rank = new Map<number, number>();
  dict.forEach((v, i) => rank.set(v, i));
  const D = dict.length;
  const freq = new Uint32Array(D);
  const indices: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = rank.get(x[i])!;
    indices.push(k);
    freq[k]++;
  }
  const dictPlan = planColumn(dict, false);
  const lens = huffmanLengths(freq, D);
  let bits = 4 + varintBits(D) + dictPlan.bits + lengthsBits(lens, D);
  for (let s = 0; s < D; s++) bits += freq[s] * lens[s];
  plans.push({ bits, t: T_RAW, e: E_DICT, params: [], u: [], width: 0, lens, S: D, dict, dictPlan, indices });
}

/** Columns of at least this many values pick the Huffman transforms from a sample. */
const SAMPLE_MIN_N = 2048;

/**
 * Which transforms get a Huffman candidate: all three for short columns. From SAMPLE_MIN_N values on,
 * every (n >> 10)-th value (i = 2, 2 + step, …) is transformed all three ways, a Huffman code is built
 * for each sample histogram, and only the transforms whose sample costs Σ f·(length + extra bits) at
 * most 1/32 more than the cheapest are planned exactly (the others keep constant / bit-pack only).
 */
function huffmanTransforms(x: ArrayLike<number>): boolean[] {
  const n = x.length;
  if (n < SAMPLE_MIN_N) return [true, true, true];
  let min = x[0];
  for (let i = 1; i < n; i++) if (x[i] < min) min = x[i];
  const step = n >> 10;
  const freq = [new Uint32Array(BUCKET_SYMBOLS), new Uint32Array(BUCKET_SYMBOLS), new Uint32Array(BUCKET_SYMBOLS)];
  for (let i = 2; i < n; i += step) {
    const d = x[i] - x[i - 1];
    freq[0][bucketSymbol(x[i] - min)]++;
    freq[1][bucketSymbol(zigzag(d))]++;
    freq[2][bucketSymbol(zigzag(d - (x[i - 1] - x[i - 2])))]++;
  }
  const cost = freq.map((f) => {
    let S = BUCKET_SYMBOLS;
    while (S > 0 && f[S - 1] === 0) S--;
    if (S === 0) return 0;
    const lens = huffmanLengths(f, S);
    let bits = 0;
    for (let s = 0; s < S; s++) bits += f[s] * (lens[s] + bucketExtraBits(s));
    return bits;
  });
  const cmin = Math.min(...cost);
  const limit = cmin + Math.floor(cmin / 32);
  return cost.map((c) => c <= limit);
}

function planColumn(x: ArrayLike<number>, allowDict: boolean): Plan {
  const plans: Plan[] = [];
  const n = x.length;
  const huffman = huffmanTransforms(x);
  for (let t = T_RAW; t <= T_DOD; t++) {
    if (t === T_DOD && n < 2) continue;
    const { params, u } = transform(x, t);
    planEncodings(t, params, u, plans, huffman[t]);
  }
  let best = plans[0];
  for (const p of plans) if (p.bits < best.bits) best = p;
  if (allowDict) {
    planDict(x, plans, best.bits);
    if (plans[plans.length - 1].bits < best.bits) best = plans[plans.length - 1];
  }
  return best;
}

/** Size in bits `writeColumn` would produce (0 for an empty column). */
export function columnBits(x: ArrayLike<number>): number {
  return x.length === 0 ? 0 : planColumn(x, true).bits;
}

/** Writes the cheapest encoding of `x`; an empty column writes nothing. */
export function writeColumn(w: BitWriter, x: ArrayLike<number>, allowDict = true): void {
  if (x.length === 0) return;
  emit(w, planColumn(x, allowDict));
}

function emit(w: BitWriter, p: Plan): void {
  const start = w.bitLength;
  w.bits(p.t | (p.e << 2), 4);
  for (const v of p.params) w.svarint(v);
  if (p.e === E_CONST) {
    w.varint(p.u.length > 0 ? p.u[0] : 0);
  } else if (p.e === E_BITPACK) {
    w.bits(p.width, 6);
    for (const u of p.u) w.big(u, p.width);
  } else if (p.e === E_HUFFMAN) {
    const lens = p.lens!;
    w.varint(p.S);
    writeLengths(w, lens, p.S);
    const codes = canonicalCodes(lens, p.S);
    for (const u of p.u) {
      const s = bucketSymbol(u);
      w.bits(codes[s], lens[s]);
      const eb = bucketExtraBits(s);
      if (eb > 0) w.big(u - bucketBase(s), eb);
    }
  } else {
    const lens = p.lens!;
    w.varint(p.S);
    emit(w, p.dictPlan!);
    writeLengths(w, lens, p.S);
    const codes = canonicalCodes(lens, p.S);
    for (const k of p.indices!) w.bits(codes[k], lens[k]);
  }
  // The plan's size is what the wasm twin computes analytically; a mismatch is a bug here.
  if (w.bitLength - start !== p.bits) throw new Error(`series intcol: planned ${p.bits} bits, wrote ${w.bitLength - start}`);
}

/** Reads a column of `n` values (n ≤ the caller's hard limit). */
export function readColumn(r: BitReader, n: number, allowDict = true): Float64Array {
  const x = new Float64Array(n);
  if (n === 0) return x;
  const hdr = r.bits(4);
  const t = hdr & 3;
  const e = hdr >> 2;
  if (t === 3 || (t === T_DOD && n < 2) || (e === E_DICT && (t !== T_RAW || !allowDict))) {
    throw new CodecError('CORRUPT', 'invalid int column header');
  }
  if (e === E_DICT) return readDict(r, n, x);
  const base = r.svarint();
  const d1 = t === T_DOD ? r.svarint() : 0;
  const c = n - t;
  const u = new Float64Array(c);
  if (e === E_CONST) {
    u.fill(r.varint());
  } else if (e === E_BITPACK) {
    const width = r.bits(6);
    if (width > MAX_U_BITS) throw new CodecError('CORRUPT', 'bit width > 52');
    for (let i = 0; i < c; i++) u[i] = r.big(width);
  } else {
    const S = r.varint();
    if (S < 1 || S > BUCKET_SYMBOLS) throw new CodecError('CORRUPT', 'bad bucket alphabet size');
    const table = decodeTable(readLengths(r, S), S);
    for (let i = 0; i < c; i++) {
      const s = readSymbol(r, table);
      u[i] = bucketBase(s) + r.big(bucketExtraBits(s));
    }
  }
  if (t === T_RAW) {
    for (let i = 0; i < n; i++) x[i] = base + u[i];
  } else if (t === T_DELTA) {
    x[0] = base;
    for (let i = 1; i < n; i++) x[i] = x[i - 1] + unzigzag(u[i - 1]);
  } else {
    x[0] = base;
    x[1] = base + d1;
    let d = d1;
    for (let i = 2; i < n; i++) {
      d += unzigzag(u[i - 2]);
      x[i] = x[i - 1] + d;
    }
  }
  return x;
}

function readDict(r: BitReader, n: number, x: Float64Array): Float64Array {
  const D = r.varint();
  if (D < 1 || D > Math.min(n, HUFF_MAX_SYMBOLS)) throw new CodecError('CORRUPT', 'bad dictionary size');
  const dict = readColumn(r, D, false);
  const table = decodeTable(readLengths(r, D), D);
  for (let i = 0; i < n; i++) x[i] = dict[readSymbol(r, table)];
  return x;
}
