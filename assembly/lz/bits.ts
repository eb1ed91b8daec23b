// Bit I/O on raw memory for the lz codec (twin of src/codec/reference/lz-bits.ts). LSB-first.
// The writer is a module-level cursor (one compression at a time per instance); readers are
// module-level too, one forward (headers), and two backward (literal and sequence ANS streams).

// ---- writer ----
let wPtr: usize = 0;
let wAcc: u64 = 0;
let wBits: u32 = 0;

export function wStart(ptr: usize): void {
  wPtr = ptr;
  wAcc = 0;
  wBits = 0;
}

/** Appends the low n bits of v (n <= 32). */
// @ts-ignore: decorator
@inline export function wBitsPut(v: u32, n: u32): void {
  wAcc |= <u64>(v & <u32>((<u64>1 << n) - 1)) << wBits;
  wBits += n;
  if (wBits >= 32) {
    store<u32>(wPtr, <u32>wAcc);
    wPtr += 4;
    wAcc >>= 32;
    wBits -= 32;
  }
}

/** Pads to a byte boundary and flushes every pending byte (after this, byte writes are allowed). */
export function wAlign(): void {
  wBits = (wBits + 7) & ~7;
  while (wBits > 0) {
    store<u8>(wPtr, <u8>wAcc);
    wPtr++;
    wAcc >>= 8;
    wBits -= 8;
  }
}

export function wCloseStream(): void {
  wBitsPut(1, 1);
  wAlign();
}

export function wU8(v: u32): void {
  store<u8>(wPtr, <u8>v);
  wPtr++;
}

export function wVarint(v: u32): void {
  while (v >= 0x80) {
    wU8((v & 0x7f) | 0x80);
    v >>= 7;
  }
  wU8(v);
}

export function wPos(): usize {
  return wPtr;
}

export function wSetPos(p: usize): void {
  wPtr = p;
}

// ---- forward reader (count headers) ----
let fPos: usize = 0; // bit position, absolute address * 8
let fEnd: usize = 0;
export let fOverflow = false;

export function fStart(start: usize, end: usize): void {
  fPos = start << 3;
  fEnd = end << 3;
  fOverflow = false;
}

export function fRead(n: u32): u32 {
  if (fPos + <usize>n > fEnd) {
    fOverflow = true;
    return 0;
  }
  const v = (load<u32>(fPos >> 3) >> <u32>(fPos & 7)) & ((<u32>1 << n) - 1);
  fPos += <usize>n;
  return v;
}

export function fBytePos(): usize {
  return (fPos + 7) >> 3;
}

// ---- backward readers (ANS streams): A = literals, B = sequences ----
// Positions are bit offsets relative to the stream start, so "below the start" is simply < 0.
let aBase: usize = 0;
let aPos: i32 = 0;
export let aBad = false;
let bBase: usize = 0;
let bPos: i32 = 0;
export let bBad = false;

/** Bit position of the sentinel of stream [start, end), or -1 when there is none. */
function sentinel(start: usize, end: usize): i32 {
  if (end <= start) return -1;
  const last = load<u8>(end - 1);
  if (last == 0) return -1;
  return <i32>((end - 1 - start) << 3) + (31 - <i32>clz<u32>(last));
}

export function aStart(start: usize, end: usize): void {
  aBase = start;
  aPos = sentinel(start, end);
  aBad = aPos < 0;
  if (aBad) aPos = 0;
}

// @ts-ignore: decorator
@inline export function aRead(n: i32): u32 {
  if (aPos < n) {
    aBad = true;
    aPos = 0;
    return 0;
  }
  aPos -= n;
  return (load<u32>(aBase + <usize>(aPos >> 3)) >> <u32>(aPos & 7)) & ((<u32>1 << <u32>n) - 1);
}

export function aFinished(): bool {
  return !aBad && aPos == 0;
}

export function bStart(start: usize, end: usize): void {
  bBase = start;
  bPos = sentinel(start, end);
  bBad = bPos < 0;
  if (bBad) bPos = 0;
}

// @ts-ignore: decorator
@inline export function bRead(n: i32): u32 {
  if (bPos < n) {
    bBad = true;
    bPos = 0;
    return 0;
  }
  bPos -= n;
  return (load<u32>(bBase + <usize>(bPos >> 3)) >> <u32>(bPos & 7)) & ((<u32>1 << <u32>n) - 1);
}

export function bFinished(): bool {
  return !bBad && bPos == 0;
}
