// Canonical length-limited Huffman codes (twin of src/codec/reference/series-huffman.ts: the same
// heap order, the same weight halving when a code exceeds 12 bits, so both build identical codes).
import { ERR_CORRUPT, rBits, wBits } from './bits';

export const HUFF_MAX_LEN: u32 = 12;
export const HUFF_MAX_SYMBOLS: i32 = 4096;

// Buffers live in the caller's work area (too big for static data); huffInit places them per call.
let weights: usize = 0; // u32 per node (leaves + internal)
let heap: usize = 0; // i32 node ids
let parent: usize = 0; // i32 per node
let depth: usize = 0; // u8 per node
/** Shared canonical code buffer (u32 per symbol): valid until the next canonicalCodes call. */
export let codes: usize = 0;
/** Shared decode table (u32 entries: symbol << 4 | length). */
export let table: usize = 0;

/** Places the buffers at p (8-aligned); returns the first byte after them. */
export function huffInit(p: usize): usize {
  weights = p;
  p += 8 * HUFF_MAX_SYMBOLS;
  heap = p;
  p += 4 * HUFF_MAX_SYMBOLS;
  parent = p;
  p += 8 * HUFF_MAX_SYMBOLS;
  depth = p;
  p += 2 * HUFF_MAX_SYMBOLS;
  codes = p;
  p += 4 * HUFF_MAX_SYMBOLS;
  table = p;
  return p + (4 << HUFF_MAX_LEN);
}

// @ts-ignore: decorator
@inline function W(i: i32): u32 {
  return load<u32>(weights + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline function less(a: i32, b: i32): bool {
  const wa = W(a);
  const wb = W(b);
  return wa < wb || (wa == wb && a < b);
}

let heapSize: i32 = 0;

function push(node: i32): void {
  let i = heapSize++;
  while (i > 0) {
    const p = (i - 1) >> 1;
    const hp = load<i32>(heap + (<usize>p << 2));
    if (!less(node, hp)) break;
    store<i32>(heap + (<usize>i << 2), hp);
    i = p;
  }
  store<i32>(heap + (<usize>i << 2), node);
}

function pop(): i32 {
  const top = load<i32>(heap);
  const last = load<i32>(heap + (<usize>(--heapSize) << 2));
  let i = 0;
  for (;;) {
    let c = 2 * i + 1;
    if (c >= heapSize) break;
    if (c + 1 < heapSize && less(load<i32>(heap + (<usize>(c + 1) << 2)), load<i32>(heap + (<usize>c << 2)))) c++;
    const hc = load<i32>(heap + (<usize>c << 2));
    if (!less(hc, last)) break;
    store<i32>(heap + (<usize>i << 2), hc);
    i = c;
  }
  store<i32>(heap + (<usize>i << 2), last);
  return top;
}

function buildDepths(S: i32, lens: usize): u32 {
  heapSize = 0;
  for (let s = 0; s < S; s++) if (W(s) > 0) push(s);
  let next = S;
  while (heapSize > 1) {
    const a = pop();
    const b = pop();
    store<u32>(weights + (<usize>next << 2), W(a) + W(b));
    store<i32>(parent + (<usize>a << 2), next);
    store<i32>(parent + (<usize>b << 2), next);
    push(next);
    next++;
  }
  store<u8>(depth + <usize>(next - 1), 0);
  for (let i = next - 2; i >= S; i--) {
    store<u8>(depth + <usize>i, load<u8>(depth + <usize>load<i32>(parent + (<usize>i << 2))) + 1);
  }
  let max: u32 = 0;
  for (let s = 0; s < S; s++) {
    let l: u32 = 0;
    if (W(s) > 0) l = <u32>load<u8>(depth + <usize>load<i32>(parent + (<usize>s << 2))) + 1;
    store<u8>(lens + <usize>s, <u8>l);
    if (l > max) max = l;
  }
  return max;
}

/** Code lengths for counts freq[0..S) (u32 each) into lens (u8 each). One used symbol gets length 1. */
export function huffmanLengths(freq: usize, S: i32, lens: usize): void {
  let used = 0;
  for (let s = 0; s < S; s++) {
    const f = load<u32>(freq + (<usize>s << 2));
    store<u32>(weights + (<usize>s << 2), f);
    store<u8>(lens + <usize>s, f > 0 ? 1 : 0);
    if (f > 0) used++;
  }
  if (used <= 1) return;
  while (buildDepths(S, lens) > HUFF_MAX_LEN) {
    for (let s = 0; s < S; s++) {
      const w = W(s);
      if (w > 0) store<u32>(weights + (<usize>s << 2), (w + 1) >> 1);
    }
  }
}

/** Bit-reversed canonical codes into `codes`. */
export function canonicalCodes(lens: usize, S: i32): void {
  const count = memory.data(4 * 16, 4);
  const next = memory.data(4 * 16, 4);
  for (let l = 0; l < 16; l++) store<u32>(count + (<usize>l << 2), 0);
  for (let s = 0; s < S; s++) {
    const l = <usize>load<u8>(lens + <usize>s);
    store<u32>(count + (l << 2), load<u32>(count + (l << 2)) + 1);
  }
  store<u32>(count, 0);
  let code: u32 = 0;
  for (let l: u32 = 1; l <= HUFF_MAX_LEN; l++) {
    code = (code + load<u32>(count + (<usize>(l - 1) << 2))) << 1;
    store<u32>(next + (<usize>l << 2), code);
  }
  for (let s = 0; s < S; s++) {
    const l = <u32>load<u8>(lens + <usize>s);
    if (l == 0) continue;
    const c = load<u32>(next + (<usize>l << 2));
    store<u32>(next + (<usize>l << 2), c + 1);
    store<u32>(codes + (<usize>s << 2), reverseBits(c, l));
  }
}

function reverseBits(v: u32, n: u32): u32 {
  let r: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    r = (r << 1) | (v & 1);
    v >>>= 1;
  }
  return r;
}

/** Bits writeLengths takes. */
export function lengthsBits(lens: usize, S: i32): u64 {
  let bits: u64 = 0;
  let prev: u32 = 0;
  for (let s = 0; s < S; s++) {
    const l = <u32>load<u8>(lens + <usize>s);
    bits += l == prev ? 1 : 5;
    prev = l;
  }
  return bits;
}

export function writeLengths(lens: usize, S: i32): void {
  let prev: u32 = 0;
  for (let s = 0; s < S; s++) {
    const l = <u32>load<u8>(lens + <usize>s);
    if (l == prev) wBits(0, 1);
    else wBits(1 | (<u64>l << 1), 5);
    prev = l;
  }
}

/** Reads S lengths into lens; CORRUPT unless they form a usable prefix code. */
export function readLengths(lens: usize, S: i32): i32 {
  let prev: u32 = 0;
  let kraft: u32 = 0;
  for (let s = 0; s < S; s++) {
    if (rBits(1) == 1) {
      prev = <u32>rBits(4);
      if (prev > HUFF_MAX_LEN) return ERR_CORRUPT;
    }
    store<u8>(lens + <usize>s, <u8>prev);
    if (prev > 0) kraft += <u32>1 << (HUFF_MAX_LEN - prev);
  }
  if (kraft == 0 || kraft > (<u32>1 << HUFF_MAX_LEN)) return ERR_CORRUPT;
  return 0;
}

/** Fills `table` for lens[0..S) and returns its index width in bits. Unused patterns stay 0. */
export function buildDecodeTable(lens: usize, S: i32): u32 {
  let bits: u32 = 0;
  for (let s = 0; s < S; s++) {
    const l = <u32>load<u8>(lens + <usize>s);
    if (l > bits) bits = l;
  }
  const size: u32 = 1 << bits;
  memory.fill(table, 0, <usize>size << 2);
  canonicalCodes(lens, S);
  for (let s = 0; s < S; s++) {
    const l = <u32>load<u8>(lens + <usize>s);
    if (l == 0) continue;
    const e = (<u32>s << 4) | l;
    for (let j = load<u32>(codes + (<usize>s << 2)); j < size; j += <u32>1 << l) store<u32>(table + (<usize>j << 2), e);
  }
  return bits;
}
