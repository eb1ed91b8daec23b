// Int column coder (twin of src/codec/reference/series-intcol.ts). One pass gathers min/max and the
// OR / constant tests of every transform; long columns then pick the transforms worth a Huffman
// candidate from a sampled histogram (huffmanTransforms), and only those get an exact histogram. The
// exact size of every remaining candidate (constant, FOR bit-packing, Huffman buckets, dictionary) is
// derived analytically and only the winner's parameters are kept; the emit pass recomputes the
// transformed values on the fly (no u arrays in memory).
// Plans are kept per nesting depth (0 = column, 1 = a dictionary's value column).
import {
  ERR_CORRUPT, bitLen, rBits, rErr, rFail, rSvarint, rVarint, refill, varintBits, wBig, wBits, wSvarint,
  wVarint, zigzag, unzigzag, rPeek, rSkip, rBuffered,
} from './bits';
import {
  HUFF_MAX_SYMBOLS, buildDecodeTable, canonicalCodes, codes, huffmanLengths, lengthsBits, readLengths,
  table, writeLengths,
} from './huffman';

export const T_RAW: i32 = 0;
export const T_DELTA: i32 = 1;
export const T_DOD: i32 = 2;
export const E_CONST: i32 = 0;
export const E_BITPACK: i32 = 1;
export const E_HUFFMAN: i32 = 2;
export const E_DICT: i32 = 3;

const DIRECT: u32 = 16;
const MAX_U_BITS: u32 = 52;
const BUCKET_SYMBOLS: i32 = 16 + (52 - 4) * 4;
const DICT_MIN_N: i32 = 16;

const bucketBaseT = memory.data(8 * BUCKET_SYMBOLS, 8);
const bucketExtraT = memory.data(BUCKET_SYMBOLS, 8);
for (let s = 0; s < BUCKET_SYMBOLS; s++) {
  let base: u64 = <u64>s;
  let extra: u32 = 0;
  if (s >= <i32>DIRECT) {
    const b = 5 + ((s - 16) >> 2);
    extra = <u32>b - 3;
    base = <u64>(4 + ((s - 16) & 3)) << extra;
  }
  store<u64>(bucketBaseT + (<usize>s << 3), base);
  store<u8>(bucketExtraT + <usize>s, <u8>extra);
}

// @ts-ignore: decorator
@inline function bucketSym(u: u64): u32 {
  // Branch-free (small and large values mix unpredictably): 16 + 4(b − 5) + s = 4b − 4 + s.
  const b = bitLen(u);
  return select<u32>(<u32>u, (b << 2) - 4 + (<u32>(u >> <u64>(b - 3)) & 3), u < 16);
}

// @ts-ignore: decorator
@inline function extraOf(sym: u32): u32 {
  return <u32>load<u8>(bucketExtraT + <usize>sym);
}

// Histograms of the three transforms, the candidate's lengths and the winners' lengths per depth.
const hist = memory.data(4 * BUCKET_SYMBOLS * 3, 8);
const candLens = memory.data(BUCKET_SYMBOLS, 8);
const bestLens = memory.data(BUCKET_SYMBOLS * 2, 8);

// Plan per depth: bits u64 @0, t @8, e @12, width @16, S @20, p0 i64 @24, p1 i64 @32, u0 u64 @40.
const PLAN = memory.data(64 * 2, 8);

// Dictionary: open-addressing hash (key, stamp, count-then-rank), sorted values, counts, lengths.
/** The encoder builds dictionaries of at most this many values (the decoder accepts up to 4096). */
const DICT_MAX: i32 = 1024;
const HASH_BITS: u64 = 11;
const HASH_SIZE: i32 = 1 << 11;
// These live in the caller's work area: intcolInit places them (and clears the hash) per call.
let hKeys: usize = 0;
let hStamp: usize = 0;
let hVal: usize = 0;
let stamp: u32 = 0;
let dictVals: usize = 0;
let dictFreq: usize = 0;
let dictLens: usize = 0;
let dictDec: usize = 0;
let lensDec: usize = 0;

/** Places the dictionary buffers at p (8-aligned); returns the first byte after them. */
export function intcolInit(p: usize): usize {
  hKeys = p;
  p += 8 * HASH_SIZE;
  hStamp = p;
  p += 4 * HASH_SIZE;
  // Stamps only need to be unique within one call once the table starts zeroed.
  memory.fill(hStamp, 0, 4 * HASH_SIZE);
  stamp = 0;
  hVal = p;
  p += 4 * HASH_SIZE;
  dictVals = p;
  p += 8 * HUFF_MAX_SYMBOLS;
  dictFreq = p;
  p += 4 * HUFF_MAX_SYMBOLS;
  dictDec = p;
  p += 8 * HUFF_MAX_SYMBOLS;
  dictLens = p;
  p += HUFF_MAX_SYMBOLS;
  lensDec = p;
  return p + HUFF_MAX_SYMBOLS;
}

// @ts-ignore: decorator
@inline function X(x: usize, i: i32): i64 {
  return load<i64>(x + (<usize>i << 3));
}

/** Slot of key in the hash (its own or the empty one where it would go). */
// @ts-ignore: decorator
@inline function slotOf(key: i64): i32 {
  let h = <i32>((<u64>key * 0x9e3779b97f4a7c15) >> (64 - HASH_BITS));
  while (load<u32>(hStamp + (<usize>h << 2)) == stamp && load<i64>(hKeys + (<usize>h << 3)) != key) {
    h = (h + 1) & (HASH_SIZE - 1);
  }
  return h;
}

/** Collects the distinct values of x with counts; returns D, or -1 when more than min(1024, n/2). */
function buildDict(x: usize, n: i32): i32 {
  stamp++;
  const limit = min(DICT_MAX, n >> 1);
  let D = 0;
  for (let i = 0; i < n; i++) {
    const key = X(x, i);
    const h = slotOf(key);
    if (load<u32>(hStamp + (<usize>h << 2)) == stamp) {
      store<u32>(hVal + (<usize>h << 2), load<u32>(hVal + (<usize>h << 2)) + 1);
    } else {
      if (++D > limit) return -1;
      store<u32>(hStamp + (<usize>h << 2), stamp);
      store<i64>(hKeys + (<usize>h << 3), key);
      store<u32>(hVal + (<usize>h << 2), 1);
      store<i64>(dictVals + (<usize>(D - 1) << 3), key);
    }
  }
  return D;
}

/**
 * A lower bound on the dictionary candidate's size (any prefix code costs at least the entropy,
 * Σ f·log2(n/f) ≥ Σ f·⌊log2(n/f)⌋; every table entry takes ≥ 1 bit; a column ≥ 4 bits). Skipping
 * the dictionary when this bound is not below the best plan cannot change the choice, and it
 * saves sorting and a Huffman build over thousands of symbols on noisy columns.
 */
function dictLowerBound(x: usize, n: i32, D: i32): u64 {
  let bits: u64 = 8 + varintBits(<u64>D) + <u64>D;
  for (let j = 0; j < D; j++) {
    const f = load<u32>(hVal + (<usize>slotOf(X(dictVals, j)) << 2));
    bits += <u64>f * <u64>(31 - clz<u32>(<u32>n / f));
  }
  return bits;
}

/** Sorts the dictionary and turns the hash counts into ranks (dictFreq gets the counts). */
function rankDict(D: i32): void {
  sortI64(dictVals, D);
  for (let j = 0; j < D; j++) {
    const h = slotOf(X(dictVals, j));
    store<u32>(dictFreq + (<usize>j << 2), load<u32>(hVal + (<usize>h << 2)));
    store<u32>(hVal + (<usize>h << 2), <u32>j);
  }
}

/** In-place heapsort (ascending) of n i64. */
function sortI64(a: usize, n: i32): void {
  for (let start = (n >> 1) - 1; start >= 0; start--) siftDown(a, start, n);
  for (let end = n - 1; end > 0; end--) {
    const t = X(a, 0);
    store<i64>(a, X(a, end));
    store<i64>(a + (<usize>end << 3), t);
    siftDown(a, 0, end);
  }
}

function siftDown(a: usize, i: i32, n: i32): void {
  const v = X(a, i);
  for (;;) {
    let c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && X(a, c + 1) > X(a, c)) c++;
    if (X(a, c) <= v) break;
    store<i64>(a + (<usize>i << 3), X(a, c));
    i = c;
  }
  store<i64>(a + (<usize>i << 3), v);
}

// Scratch for per-transform stats during planning.
const tOr = memory.data(8 * 3, 8); // OR of all u (bit width)
const tDiff = memory.data(8 * 3, 8); // OR of (u ^ first u): 0 when constant
const tFirst = memory.data(8 * 3, 8);

/** Columns of at least this many values pick the Huffman transforms from a sample (see README). */
const SAMPLE_MIN_N: i32 = 2048;

// @ts-ignore: decorator
@inline function bump(h: usize, u: u64): void {
  const p = h + (<usize>bucketSym(u) << 2);
  store<u32>(p, load<u32>(p) + 1);
}

/** Σ f·(length + extra bits) of the Huffman code for histogram h (what the values cost, no table). */
function sampleCost(h: usize): u64 {
  let S = BUCKET_SYMBOLS;
  while (S > 0 && load<u32>(h + (<usize>(S - 1) << 2)) == 0) S--;
  if (S == 0) return 0;
  huffmanLengths(h, S, candLens);
  let bits: u64 = 0;
  for (let s = 0; s < S; s++) {
    const f = <u64>load<u32>(h + (<usize>s << 2));
    if (f != 0) bits += f * (<u64>load<u8>(candLens + <usize>s) + extraOf(<u32>s));
  }
  return bits;
}

/**
 * Which transforms get a Huffman candidate (bit t of the result): all of them for short columns; for
 * n ≥ SAMPLE_MIN_N, the Huffman cost of every (n >> 10)-th value (i = 2, 2 + step, …) under each
 * transform is measured and only those within 1/32 of the cheapest are planned exactly.
 */
function huffmanTransforms(x: usize, n: i32, min: i64): i32 {
  if (n < SAMPLE_MIN_N) return 7;
  memory.fill(hist, 0, 4 * BUCKET_SYMBOLS * 3);
  const h0 = hist;
  const h1 = hist + 4 * BUCKET_SYMBOLS;
  const h2 = hist + 8 * BUCKET_SYMBOLS;
  const step = n >> 10;
  for (let i = 2; i < n; i += step) {
    const v = X(x, i);
    const p = X(x, i - 1);
    const d = v - p;
    bump(h0, <u64>(v - min));
    bump(h1, zigzag(d));
    bump(h2, zigzag(d - (p - X(x, i - 2))));
  }
  const c0 = sampleCost(h0);
  const c1 = sampleCost(h1);
  const c2 = sampleCost(h2);
  let cmin = c0 < c1 ? c0 : c1;
  if (c2 < cmin) cmin = c2;
  const lim = cmin + (cmin >> 5);
  return (c0 <= lim ? 1 : 0) | (c1 <= lim ? 2 : 0) | (c2 <= lim ? 4 : 0);
}

/** Plans the cheapest encoding of x[0..n) (n ≥ 1) at `depth`; returns its size in bits. */
export function planColumn(x: usize, n: i32, depth: i32, allowDict: bool): u64 {
  const P = PLAN + (<usize>depth << 6);
  const x0 = X(x, 0);
  let min = x0;
  let max = x0;
  let diff: i64 = 0;
  // One pass for every statistic except the histograms: min/max (raw width), and the OR and
  // constant test of the delta and dod values.
  const first1: u64 = n >= 2 ? zigzag(X(x, 1) - x0) : 0;
  const first2: u64 = n >= 3 ? zigzag(X(x, 2) - 2 * X(x, 1) + x0) : 0;
  let or1: u64 = 0, or2: u64 = 0;
  let df1: u64 = 0, df2: u64 = 0;
  if (n >= 2) {
    const v = X(x, 1);
    if (v < min) min = v;
    if (v > max) max = v;
    diff = v ^ x0;
    or1 = first1;
    let prev = v;
    let prevD = v - x0;
    for (let i = 2; i < n; i++) {
      const w = X(x, i);
      if (w < min) min = w;
      if (w > max) max = w;
      diff |= w ^ x0;
      const d = w - prev;
      const u1 = zigzag(d);
      or1 |= u1;
      df1 |= u1 ^ first1;
      const u2 = zigzag(d - prevD);
      or2 |= u2;
      df2 |= u2 ^ first2;
      prevD = d;
      prev = w;
    }
  }
  if (diff == 0) {
    // All equal: raw/constant is the cheapest plan (delta/constant ties and comes later; every other
    // candidate is larger), so skip the histograms. Same choice as the reference's full search.
    const bits = 4 + varintBits(zigzag(min)) + 8;
    setPlan(P, bits, T_RAW, E_CONST, 0, 0, min, 0, 0);
    return bits;
  }
  store<u64>(tOr, <u64>(max - min)); // same bit length as the OR of every x − min
  store<u64>(tOr, or1, 8);
  store<u64>(tOr, or2, 16);
  store<u64>(tDiff, 1); // not constant (diff != 0)
  store<u64>(tDiff, df1, 8);
  store<u64>(tDiff, df2, 16);
  store<u64>(tFirst, <u64>(x0 - min));
  store<u64>(tFirst, first1, 8);
  store<u64>(tFirst, first2, 16);
  // Histograms only of the transforms that get a Huffman candidate and are not constant.
  let huffT = huffmanTransforms(x, n, min);
  if (df1 == 0) huffT &= ~2;
  if (df2 == 0) huffT &= ~4;
  memory.fill(hist, 0, 4 * BUCKET_SYMBOLS * 3);
  const h0 = hist;
  const h1 = hist + 4 * BUCKET_SYMBOLS;
  const h2 = hist + 8 * BUCKET_SYMBOLS;
  if (huffT == 7) {
    bump(h0, <u64>(x0 - min));
    bump(h0, <u64>(X(x, 1) - min));
    bump(h1, first1);
    let prev = X(x, 1);
    let prevD = prev - x0;
    for (let i = 2; i < n; i++) {
      const v = X(x, i);
      const d = v - prev;
      bump(h0, <u64>(v - min));
      bump(h1, zigzag(d));
      bump(h2, zigzag(d - prevD));
      prevD = d;
      prev = v;
    }
  } else {
    if (huffT & 1) {
      for (let i = 0; i < n; i++) bump(h0, <u64>(X(x, i) - min));
    }
    if (huffT & 2) {
      let prev = x0;
      for (let i = 1; i < n; i++) {
        const v = X(x, i);
        bump(h1, zigzag(v - prev));
        prev = v;
      }
    }
    if (huffT & 4) {
      let prev = X(x, 1);
      let prevD = prev - x0;
      for (let i = 2; i < n; i++) {
        const v = X(x, i);
        const d = v - prev;
        bump(h2, zigzag(d - prevD));
        prevD = d;
        prev = v;
      }
    }
  }

  let best: u64 = u64.MAX_VALUE;
  for (let t = T_RAW; t <= T_DOD; t++) {
    if (t == T_DOD && n < 2) continue;
    let head: u64 = 4;
    let p0: i64 = 0, p1: i64 = 0;
    if (t == T_RAW) {
      p0 = min;
      head += varintBits(zigzag(min));
    } else if (t == T_DELTA) {
      p0 = x0;
      head += varintBits(zigzag(x0));
    } else {
      p0 = x0;
      p1 = X(x, 1) - x0;
      head += varintBits(zigzag(p0)) + varintBits(zigzag(p1));
    }
    const c = <u64>(n - t);
    if (load<u64>(tDiff + (<usize>t << 3)) == 0) {
      const u0: u64 = c > 0 ? load<u64>(tFirst + (<usize>t << 3)) : 0;
      const bits = head + varintBits(u0);
      if (bits < best) {
        best = bits;
        setPlan(P, bits, t, E_CONST, 0, 0, p0, p1, u0);
      }
      continue;
    }
    const width = bitLen(load<u64>(tOr + (<usize>t << 3)));
    const bp = head + 6 + c * width;
    if (bp < best) {
      best = bp;
      setPlan(P, bp, t, E_BITPACK, width, 0, p0, p1, 0);
    }
    if ((huffT & (1 << t)) == 0) continue;
    const h = hist + <usize>(4 * BUCKET_SYMBOLS * t);
    let S = BUCKET_SYMBOLS;
    while (load<u32>(h + (<usize>(S - 1) << 2)) == 0) S--;
    huffmanLengths(h, S, candLens);
    let bits = head + varintBits(<u64>S) + lengthsBits(candLens, S);
    for (let s = 0; s < S; s++) {
      const f = <u64>load<u32>(h + (<usize>s << 2));
      if (f != 0) bits += f * (<u64>load<u8>(candLens + <usize>s) + extraOf(<u32>s));
    }
    if (bits < best) {
      best = bits;
      setPlan(P, bits, t, E_HUFFMAN, 0, S, p0, p1, 0);
      memory.copy(bestLens + <usize>(depth * BUCKET_SYMBOLS), candLens, <usize>S);
    }
  }
  if (allowDict && n >= DICT_MIN_N) {
    const D = buildDict(x, n);
    if (D > 0 && dictLowerBound(x, n, D) < best) {
      rankDict(D);
      huffmanLengths(dictFreq, D, dictLens);
      let bits: u64 = 4 + varintBits(<u64>D) + planColumn(dictVals, D, depth + 1, false) + lengthsBits(dictLens, D);
      for (let s = 0; s < D; s++) {
        bits += <u64>load<u32>(dictFreq + (<usize>s << 2)) * <u64>load<u8>(dictLens + <usize>s);
      }
      if (bits < best) {
        best = bits;
        setPlan(P, bits, T_RAW, E_DICT, 0, D, 0, 0, 0);
      }
    }
  }
  return best;
}

function setPlan(P: usize, bits: u64, t: i32, e: i32, width: u32, S: i32, p0: i64, p1: i64, u0: u64): void {
  store<u64>(P, bits);
  store<i32>(P, t, 8);
  store<i32>(P, e, 12);
  store<u32>(P, width, 16);
  store<i32>(P, S, 20);
  store<i64>(P, p0, 24);
  store<i64>(P, p1, 32);
  store<u64>(P, u0, 40);
}

/** Writes x[0..n) with the plan made by planColumn at the same depth (n ≥ 1). */
export function emitColumn(x: usize, n: i32, depth: i32): void {
  const P = PLAN + (<usize>depth << 6);
  const t = load<i32>(P, 8);
  const e = load<i32>(P, 12);
  wBits(<u64>(t | (e << 2)), 4);
  if (e == E_DICT) {
    const D = load<i32>(P, 20);
    wVarint(<u64>D);
    planColumn(dictVals, D, depth + 1, false);
    emitColumn(dictVals, D, depth + 1);
    writeLengths(dictLens, D);
    canonicalCodes(dictLens, D);
    for (let i = 0; i < n; i++) {
      const r = <usize>load<u32>(hVal + (<usize>slotOf(X(x, i)) << 2));
      wBits(<u64>load<u32>(codes + (r << 2)), <u32>load<u8>(dictLens + r));
    }
    return;
  }
  const p0 = load<i64>(P, 24);
  wSvarint(p0);
  if (t == T_DOD) wSvarint(load<i64>(P, 32));
  if (e == E_CONST) {
    wVarint(load<u64>(P, 40));
    return;
  }
  const lens = bestLens + <usize>(depth * BUCKET_SYMBOLS);
  if (e == E_HUFFMAN) {
    const S = load<i32>(P, 20);
    wVarint(<u64>S);
    writeLengths(lens, S);
    canonicalCodes(lens, S);
  }
  const width = load<u32>(P, 16);
  const huff = e == E_HUFFMAN;
  if (!huff) wBits(<u64>width, 6);
  let prev: i64 = t == T_RAW ? 0 : X(x, t - 1);
  let prevD: i64 = t == T_DOD ? X(x, 1) - X(x, 0) : 0;
  for (let i = t; i < n; i++) {
    const v = X(x, i);
    let u: u64;
    if (t == T_RAW) {
      u = <u64>(v - p0);
    } else if (t == T_DELTA) {
      u = zigzag(v - prev);
    } else {
      const d = v - prev;
      u = zigzag(d - prevD);
      prevD = d;
    }
    prev = v;
    if (huff) {
      // Code and extra bits in one write (code ≤ 12 bits; the extra bits follow it in the stream).
      const s = <usize>bucketSym(u);
      const len = <u32>load<u8>(lens + s);
      const eb = extraOf(<u32>s);
      const code = <u64>load<u32>(codes + (s << 2));
      const extra = u - load<u64>(bucketBaseT + (s << 3));
      if (len + eb <= 56) {
        wBits(code | (extra << <u64>len), len + eb);
      } else {
        wBits(code, len);
        wBig(extra, eb);
      }
    } else {
      wBig(u, width);
    }
  }
}


/** Set by decodeColumn(lazyConst = true) when the column is raw/constant: nothing was written to out. */
export let constColumn = false;
export let constValue: i64 = 0;

/**
 * Decodes a column of n values into out (i64); 0 or a negative error code. With lazyConst, a
 * raw/constant column only sets constColumn/constValue (the caller skips a fill and a memory pass).
 */
export function decodeColumn(out: usize, n: i32, allowDict: bool, lazyConst: bool = false): i32 {
  constColumn = false;
  if (n == 0) return 0;
  const hdr = <i32>rBits(4);
  const t = hdr & 3;
  const e = hdr >> 2;
  if (t == 3 || (t == T_DOD && n < 2) || (e == E_DICT && (t != T_RAW || !allowDict))) return rFail(ERR_CORRUPT);
  if (e == E_DICT) return decodeDict(out, n);
  const base = rSvarint();
  const d1: i64 = t == T_DOD ? rSvarint() : 0;
  if (rErr != 0) return rFail(rErr);
  if (e == E_CONST) {
    const u = rVarint();
    if (rErr != 0) return rFail(rErr);
    if (lazyConst && t == T_RAW) {
      constColumn = true;
      constValue = base + <i64>u;
      return 0;
    }
    for (let i = t; i < n; i++) store<u64>(out + (<usize>i << 3), u);
  } else {
    // Bit-pack or Huffman: the inverse transform is applied in the same loop (no second pass).
    let width: u32 = 0;
    let mask: u64 = 0;
    const huff = e == E_HUFFMAN;
    if (huff) {
      const S = <i32>rVarint();
      if (rErr != 0 || S < 1 || S > BUCKET_SYMBOLS) return rFail(ERR_CORRUPT);
      const rc = readLengths(lensDec, S);
      if (rc != 0) return rFail(rc);
      mask = (<u64>1 << buildDecodeTable(lensDec, S)) - 1;
    } else {
      width = <u32>rBits(6);
      if (width > MAX_U_BITS) return rFail(ERR_CORRUPT);
    }
    let acc = base;
    let d = d1;
    if (t != T_RAW) store<i64>(out, base);
    if (t == T_DOD) {
      acc += d;
      store<i64>(out + 8, acc);
    }
    for (let i = t; i < n; i++) {
      let u: u64;
      if (huff) {
        refill();
        const en = load<u32>(table + (<usize>(rPeek() & mask) << 2));
        if (en == 0) return rFail(ERR_CORRUPT);
        rSkip(en & 15);
        const sym = <usize>(en >> 4);
        u = load<u64>(bucketBaseT + (sym << 3));
        const eb = <u32>load<u8>(bucketExtraT + sym);
        if (eb != 0) {
          if (rBuffered() < eb) refill();
          u += rPeek() & ((<u64>1 << eb) - 1);
          rSkip(eb);
        }
      } else {
        u = rBits(width);
      }
      if (t == T_RAW) {
        store<i64>(out + (<usize>i << 3), base + <i64>u);
      } else if (t == T_DELTA) {
        acc += unzigzag(u);
        store<i64>(out + (<usize>i << 3), acc);
      } else {
        d += unzigzag(u);
        acc += d;
        store<i64>(out + (<usize>i << 3), acc);
      }
    }
    return 0;
  }
  // Constant u: apply the inverse transform.
  if (t == T_RAW) {
    for (let i = 0; i < n; i++) store<i64>(out + (<usize>i << 3), base + X(out, i));
  } else if (t == T_DELTA) {
    let acc = base;
    store<i64>(out, acc);
    for (let i = 1; i < n; i++) {
      acc += unzigzag(load<u64>(out + (<usize>i << 3)));
      store<i64>(out + (<usize>i << 3), acc);
    }
  } else {
    let acc = base;
    let d = d1;
    store<i64>(out, acc);
    acc += d;
    store<i64>(out + 8, acc);
    for (let i = 2; i < n; i++) {
      d += unzigzag(load<u64>(out + (<usize>i << 3)));
      acc += d;
      store<i64>(out + (<usize>i << 3), acc);
    }
  }
  return 0;
}

function decodeDict(out: usize, n: i32): i32 {
  const D = <i32>rVarint();
  if (rErr != 0 || D < 1 || D > min(n, HUFF_MAX_SYMBOLS)) return rFail(ERR_CORRUPT);
  let rc = decodeColumn(dictDec, D, false);
  if (rc != 0) return rc;
  rc = readLengths(lensDec, D);
  if (rc != 0) return rFail(rc);
  const bits = buildDecodeTable(lensDec, D);
  const mask: u64 = (<u64>1 << bits) - 1;
  for (let i = 0; i < n; i++) {
    refill();
    const en = load<u32>(table + (<usize>(rPeek() & mask) << 2));
    if (en == 0) return rFail(ERR_CORRUPT);
    rSkip(en & 15);
    store<i64>(out + (<usize>i << 3), X(dictDec, <i32>(en >> 4)));
  }
  return 0;
}
