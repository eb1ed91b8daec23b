// LSB-first bitstream over raw memory (twin of src/codec/reference/series-bits.ts).
// Writer: 64-bit accumulator stored whole on every write (fewer than 8 bits stay pending); the caller
// sizes the output for the worst case plus 8 bytes of slack, so the hot loops carry no capacity checks. Reader: 64-bit buffer refilled with unaligned loads
// ("refill to ≥ 56 bits"); bytes past the end read as zero and the consumed-bit position is compared
// with the input size afterwards, so a truncated block never reads outside its bytes.

export const ERR_TRUNCATED: i32 = -1;
export const ERR_CORRUPT: i32 = -2;
export const ERR_UNSUPPORTED: i32 = -3;
export const ERR_TOO_LARGE: i32 = -4;
export const ERR_INVALID_INPUT: i32 = -6;

export const MAX_VARINT: u64 = (<u64>1 << 53) - 1;

// ---- writer ----
export let wStart: usize = 0;
export let wPtr: usize = 0;
export let wBuf: u64 = 0;
export let wCnt: u32 = 0;

export function wInit(p: usize): void {
  wStart = p;
  wPtr = p;
  wBuf = 0;
  wCnt = 0;
}

/**
 * Writes v (< 2^n) in n ≤ 56 bits. Branch-free: the accumulator (< 8 bits pending) is stored whole
 * and the pointer moves by the completed bytes (the stray high bytes are zeros and get overwritten).
 */
// @ts-ignore: decorator
@inline export function wBits(v: u64, n: u32): void {
  const buf = wBuf | (v << wCnt);
  const cnt = wCnt + n;
  store<u64>(wPtr, buf);
  const bytes = cnt >> 3;
  wPtr += <usize>bytes;
  wBuf = buf >> <u64>(bytes << 3);
  wCnt = cnt & 7;
}

/** Writes v (< 2^n) in n ≤ 64 bits. */
// @ts-ignore: decorator
@inline export function wBig(v: u64, n: u32): void {
  if (n <= 56) {
    wBits(v, n);
  } else {
    wBits(v & 0xffffffff, 32);
    wBits(v >> 32, n - 32);
  }
}

export function wVarint(v: u64): void {
  while (v >= 128) {
    wBits((v & 127) | 128, 8);
    v >>= 7;
  }
  wBits(v, 8);
}

// @ts-ignore: decorator
@inline export function zigzag(v: i64): u64 {
  return <u64>((v << 1) ^ (v >> 63));
}

// @ts-ignore: decorator
@inline export function unzigzag(u: u64): i64 {
  return <i64>(u >> 1) ^ -<i64>(u & 1);
}

export function wSvarint(v: i64): void {
  wVarint(zigzag(v));
}

export function wBitPos(): u64 {
  return <u64>(wPtr - wStart) * 8 + wCnt;
}

let savedPtr: usize = 0;
let savedBuf: u64 = 0;
let savedCnt: u32 = 0;

/** Remembers the writer position so a section can be rewritten (auto value codec). */
export function wSave(): void {
  savedPtr = wPtr;
  savedBuf = wBuf;
  savedCnt = wCnt;
}

export function wRestore(): void {
  wPtr = savedPtr;
  wBuf = savedBuf;
  wCnt = savedCnt;
}

/** Flushes the accumulator (zero padding to a byte) and returns the byte length. */
export function wFinish(): i32 {
  if (wCnt > 0) {
    store<u8>(wPtr, <u8>wBuf);
    wPtr++;
    wBuf = 0;
    wCnt = 0;
  }
  return <i32>(wPtr - wStart);
}

// @ts-ignore: decorator
@inline export function varintBits(v: u64): u64 {
  // 8 bits per 7-bit group; a zero still takes one group.
  const b = 64 - clz<u64>(v | 1);
  return <u64>((b + 6) / 7) * 8;
}

// @ts-ignore: decorator
@inline export function bitLen(u: u64): u32 {
  return <u32>(64 - clz<u64>(u));
}

// ---- reader ----
export let rStart: usize = 0;
export let rEnd: usize = 0;
export let rPtr: usize = 0;
export let rBuf: u64 = 0;
export let rCnt: u32 = 0;
/** First error seen by a reader helper that cannot return one (varint). */
export let rErr: i32 = 0;

export function rInit(p: usize, len: usize): void {
  rStart = p;
  rEnd = p + len;
  rPtr = p;
  rBuf = 0;
  rCnt = 0;
  rErr = 0;
}

function refillSlow(): void {
  while (rCnt <= 56) {
    const b: u64 = rPtr < rEnd ? <u64>load<u8>(rPtr) : 0;
    rBuf |= b << rCnt;
    rPtr++;
    rCnt += 8;
  }
}

/** Ensures at least 56 bits are buffered. */
// @ts-ignore: decorator
@inline export function refill(): void {
  if (rCnt < 56) {
    if (rPtr + 8 <= rEnd) {
      rBuf |= load<u64>(rPtr) << rCnt;
      rPtr += (63 - rCnt) >> 3;
      rCnt |= 56;
    } else {
      refillSlow();
    }
  }
}

/** The buffered bits (call refill first; at least 56 are valid after it). */
// @ts-ignore: decorator
@inline export function rPeek(): u64 {
  return rBuf;
}

/** Drops n bits from the buffer (n ≤ bits buffered). */
// @ts-ignore: decorator
@inline export function rSkip(n: u32): void {
  rBuf >>= n;
  rCnt -= n;
}

// @ts-ignore: decorator
@inline export function rBuffered(): u32 {
  return rCnt;
}

/** Reads n ≤ 56 bits. */
// @ts-ignore: decorator
@inline export function rBits(n: u32): u64 {
  if (rCnt < n) refill();
  const v = rBuf & ((<u64>1 << n) - 1);
  rBuf >>= n;
  rCnt -= n;
  return v;
}

export function rBig(n: u32): u64 {
  if (n <= 32) return rBits(n);
  const lo = rBits(32);
  return lo | (rBits(n - 32) << 32);
}

export function r64(): u64 {
  const lo = rBits(32);
  return lo | (rBits(32) << 32);
}

export function rVarint(): u64 {
  let v: u64 = 0;
  for (let shift: u32 = 0; shift < 56; shift += 7) {
    const b = rBits(8);
    v |= (b & 127) << shift;
    if (b < 128) {
      if (v > MAX_VARINT) break;
      return v;
    }
  }
  if (rErr == 0) rErr = ERR_CORRUPT;
  return 0;
}

export function rSvarint(): i64 {
  return unzigzag(rVarint());
}

/** Bits consumed so far (may exceed the input when zeros past the end were read). */
export function rBitPos(): u64 {
  return <u64>(rPtr - rStart) * 8 - rCnt;
}

export function rOverrun(): bool {
  return rBitPos() > <u64>(rEnd - rStart) * 8;
}

/** An error code, preferring TRUNCATED when the reader already ran past the end. */
export function rFail(rc: i32): i32 {
  return rOverrun() ? ERR_TRUNCATED : rc;
}
