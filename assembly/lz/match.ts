// Hash-chain match finder and greedy/lazy parser (twin of src/codec/reference/lz-match.ts: same hash,
// candidate order and tie-breaking, so both emit the same sequences). Works on raw memory: the input
// at `src`, head/chain tables in the caller's scratch, sequences as three i32 arrays.
import { highbit, MIN_MATCH } from './format';

export const WINDOW_LOG_MAX: i32 = 22;
/** Matches with less gain than this cost more bits than their literals (short, far matches into random ids). */
export const MIN_GAIN: i32 = 12;

// Level parameters (index 0 fast, 1 default, 2 max).
export function levelHashLogMax(level: i32): i32 {
  return level == 0 ? 16 : 20;
}
let depthOverride: i32 = 0;
/** Bench hook: overrides the chain depth of every level (0 = level defaults). */
export function lzSetDepth(d: i32): void {
  depthOverride = d;
}
function levelDepth(level: i32): i32 {
  if (depthOverride > 0) return depthOverride;
  return level == 0 ? 2 : level == 1 ? 32 : 256;
}
function levelLazy(level: i32): i32 {
  return level == 0 ? 0 : 2;
}

export function hashLogFor(n: i32, level: i32): i32 {
  const want = n > 1 ? highbit(<u32>(n - 1)) + 1 : 1;
  return max(10, min(levelHashLogMax(level), want));
}

export function windowLogFor(n: i32): i32 {
  const want = n > 1 ? highbit(<u32>(n - 1)) + 1 : 1;
  return max(10, min(WINDOW_LOG_MAX, want));
}

// Match finder state (one compression at a time per instance).
let src: usize = 0;
let head: usize = 0;
let chain: usize = 0;
let hashShift: u32 = 0;
let windowSize: i32 = 0;
let mask: i32 = 0;
let nextToUpdate: i32 = 0;
let bestLen: i32 = 0;
let bestOff: i32 = 0;

export function mfInit(srcPtr: usize, headPtr: usize, hashLog: i32, chainPtr: usize, windowLog: i32): void {
  src = srcPtr;
  head = headPtr;
  chain = chainPtr;
  hashShift = <u32>(32 - hashLog);
  windowSize = 1 << windowLog;
  mask = windowSize - 1;
  nextToUpdate = 0;
  memory.fill(head, 0xff, <usize>4 << hashLog);
}

// @ts-ignore: decorator
@inline function hash(p: i32): usize {
  // 6 bytes hashed (see HASH_BYTES in the reference): u32 xor the next u16 times the FNV prime.
  const extra = <u32>load<u16>(src + <usize>p, 4);
  return <usize>(((load<u32>(src + <usize>p) ^ (extra * 0x01000193)) * 0x9e3779b1) >> hashShift);
}

function insertUpTo(ip: i32): void {
  for (let p = nextToUpdate; p < ip; p++) {
    const h = head + (hash(p) << 2);
    store<i32>(chain + (<usize>(p & mask) << 2), load<i32>(h));
    store<i32>(h, p);
  }
  if (ip > nextToUpdate) nextToUpdate = ip;
}

/** Number of equal bytes at a and b (a < b), at most maxLen. Reads up to 7 bytes past (the caller pads). */
// @ts-ignore: decorator
@inline export function matchLength(a: i32, b: i32, maxLen: i32): i32 {
  let n = 0;
  const pa = src + <usize>a;
  const pb = src + <usize>b;
  while (n < maxLen) {
    const x = load<u64>(pa + <usize>n) ^ load<u64>(pb + <usize>n);
    if (x != 0) {
      n += <i32>(ctz<u64>(x) >> 3);
      return n < maxLen ? n : maxLen;
    }
    n += 8;
  }
  return maxLen;
}

function find(ip: i32, end: i32, depth: i32): void {
  insertUpTo(ip);
  const maxLen = end - ip;
  const low = ip - windowSize + 1;
  let bl = 3;
  let bo = 0;
  let cand = load<i32>(head + (hash(ip) << 2));
  while (cand >= 0 && cand >= low && depth-- > 0) {
    if (bl < maxLen && load<u8>(src + <usize>(cand + bl)) == load<u8>(src + <usize>(ip + bl))) {
      const len = matchLength(cand, ip, maxLen);
      if (len > bl) {
        bl = len;
        bo = ip - cand;
        if (len == maxLen) break;
      }
    }
    cand = load<i32>(chain + (<usize>(cand & mask) << 2));
  }
  bestLen = bo == 0 ? 0 : bl;
  bestOff = bo;
}

// Repeat offsets (frame state, shared with the encoder) and the sequence arrays of the current block.
export let rep0: i32 = 1;
export let rep1: i32 = 4;
export let rep2: i32 = 8;
export let seqCount: i32 = 0;
let seqLL: usize = 0;
let seqML: usize = 0;
let seqOF: usize = 0;

export function seqInit(ll: usize, ml: usize, ofv: usize): void {
  seqLL = ll;
  seqML = ml;
  seqOF = ofv;
}

export function repsReset(): void {
  rep0 = 1;
  rep1 = 4;
  rep2 = 8;
}

export function repsSet(a: i32, b: i32, c: i32): void {
  rep0 = a;
  rep1 = b;
  rep2 = c;
}

function push(ll: i32, ml: i32, ofv: i32): void {
  const o = <usize>seqCount << 2;
  store<i32>(seqLL + o, ll);
  store<i32>(seqML + o, ml);
  store<i32>(seqOF + o, ofv);
  seqCount++;
}

function codeOffset(off: i32): i32 {
  if (off == rep0) return 1;
  if (off == rep1) {
    rep1 = rep0;
    rep0 = off;
    return 2;
  }
  if (off == rep2) {
    rep2 = rep1;
    rep1 = rep0;
    rep0 = off;
    return 3;
  }
  rep2 = rep1;
  rep1 = rep0;
  rep0 = off;
  return off + 3;
}

// @ts-ignore: decorator
@inline function gain(len: i32, off: i32): i32 {
  const ofv = off == rep0 ? 1 : off == rep1 ? 2 : off == rep2 ? 3 : off + 3;
  return len * 4 - highbit(<u32>ofv);
}

// Candidate evaluated at one position.
let cLen: i32 = 0;
let cOff: i32 = 0;
let cGain: i32 = 0;

function evaluate(ip: i32, end: i32, depth: i32): void {
  let len = 0;
  let off = 0;
  let g = 0;
  for (let k = 0; k < 3; k++) {
    const r = k == 0 ? rep0 : k == 1 ? rep1 : rep2;
    if (r > ip) continue;
    const l = matchLength(ip - r, ip, end - ip);
    if (l >= MIN_MATCH) {
      const gk = l * 4 - k;
      if (len == 0 || gk > g) {
        len = l;
        off = r;
        g = gk;
      }
    }
  }
  find(ip, end, depth);
  if (bestLen > 0) {
    const gc = gain(bestLen, bestOff);
    if (len == 0 || gc > g) {
      len = bestLen;
      off = bestOff;
      g = gc;
    }
  }
  cLen = len;
  cOff = off;
  cGain = g;
}

/** Greedy (fast) or lazy parse of [start, end); positions before start are history. */
export function parseLazy(start: i32, end: i32, level: i32): void {
  seqCount = 0;
  const depth = levelDepth(level);
  const lazy = levelLazy(level);
  const skip = level == 0;
  let ip = start;
  let anchor = start;
  // Hashing reads 6 bytes at a position: the last 8 bytes of a block are always literals.
  const ilimit = end - 8;
  while (ip <= ilimit) {
    evaluate(ip, end, depth);
    let len = cLen;
    let off = cOff;
    let g = cGain;
    if (len == 0 || g < MIN_GAIN) {
      ip += skip ? 1 + ((ip - anchor) >> 6) : 1;
      continue;
    }
    for (let k = 1; k <= lazy && ip + 1 <= ilimit; k++) {
      const nip = ip + 1;
      evaluate(nip, end, depth);
      if (cLen > 0 && cGain >= MIN_GAIN && cGain > g + (k == 1 ? 4 : 7)) {
        ip = nip;
        len = cLen;
        off = cOff;
        g = cGain;
      } else break;
    }
    while (ip > anchor && ip - off > 0 && load<u8>(src + <usize>(ip - 1)) == load<u8>(src + <usize>(ip - 1 - off))) {
      ip--;
      len++;
    }
    push(ip - anchor, len, codeOffset(off));
    ip += len;
    anchor = ip;
  }
}
