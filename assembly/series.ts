// Series block codec (wasm entry → build/series.wasm). Twin of src/codec/reference/series.ts; the byte
// format is specified in assembly/README.md, "Series block". The bridge (src/codec/series.ts) lays out
// inputs, output and work areas in scratch memory using encodeOutBytes/encodeWorkBytes/decodeWorkBytes.
import {
  ERR_CORRUPT, ERR_INVALID_INPUT, ERR_TOO_LARGE, ERR_TRUNCATED, ERR_UNSUPPORTED, rBits, rBitPos, rErr, rFail,
  rInit, rOverrun, rVarint, wBitPos, wBits, wFinish, wInit, wRestore, wSave, wVarint,
} from './series/bits';
import { huffInit } from './series/huffman';
import { intcolInit } from './series/intcol';
import { TS_RAW, chooseTsCodec, decodeTimestamps, emitTimestamps } from './series/timestamps';
import { V_DECIMAL, V_GORILLA, decodeDecimal, decodeGorilla, emitDecimal, emitGorilla, gorillaBits } from './series/values';

const MAGIC: u32 = 0x53;
const VERSION: u32 = 1;
export const MAX_POINTS: i32 = 1 << 20;
const MAX_SAFE: f64 = 9007199254740991;
/** 2^48: timestamps at or beyond it use the RAW codec. */
const SMALL_TS: f64 = 281474976710656;

/** Values mode: 0 auto, 1 gorilla values, 2 decimal values, 3 gorilla timestamps + gorilla values. */
const MODE_AUTO: i32 = 0;
const MODE_GORILLA: i32 = 1;
const MODE_GORILLA_SERIES: i32 = 3;

export function heapBase(): usize {
  return __heap_base;
}

export function maxPoints(): i32 {
  return MAX_POINTS;
}

/** Worst-case encoded size: raw timestamps (8 B) + the worst value section (< 20 B) per point. */
export function encodeOutBytes(n: i32): i32 {
  return 40 * n + 4096;
}

/** Fixed buffers (Huffman scratch, dictionary hash) at the start of every work area. */
function fixedInit(work: usize): usize {
  return intcolInit(huffInit((work + 7) & ~<usize>7));
}
const FIXED_BYTES: i32 = 400 * 1024;

/** Fixed buffers + ts i64, deltas i64, mantissas i64, corrections i64, exception positions i32. */
export function encodeWorkBytes(n: i32): i32 {
  return FIXED_BYTES + 36 * n + 64;
}

/** Fixed buffers + the correction column (or the timestamp patch list) while decoding. */
export function decodeWorkBytes(n: i32): i32 {
  return FIXED_BYTES + 12 * n + 64;
}

/** Encodes n points (f64 timestamps and values) to out; returns the byte length or an error code. */
export function encode(tsPtr: usize, valPtr: usize, n: i32, mode: i32, out: usize, work: usize): i32 {
  if (n < 0 || n > MAX_POINTS) return ERR_TOO_LARGE;
  const N = <usize>n << 3;
  const ts = (fixedInit(work) + 7) & ~<usize>7;
  const d = ts + N;
  const m = d + N;
  const k = m + N;
  const exc = k + N;
  // One pass: validate, convert to i64, take the deltas and check the 2^48 bound of the small codecs.
  // Also notes whether every delta equals the first (a regular series: PATCH with no patches).
  let small = true;
  let prev: i64 = 0;
  let irregular: i64 = 0;
  if (n > 0) {
    const v = load<f64>(tsPtr);
    if (!(floor<f64>(v) == v && abs<f64>(v) <= MAX_SAFE)) return ERR_INVALID_INPUT;
    prev = <i64>v;
    store<i64>(ts, prev);
    small = abs<f64>(v) < SMALL_TS;
  }
  let d0: i64 = 0;
  for (let i = 1; i < n; i++) {
    const v = load<f64>(tsPtr + (<usize>i << 3));
    if (!(floor<f64>(v) == v && abs<f64>(v) <= MAX_SAFE)) return ERR_INVALID_INPUT;
    const t = <i64>v;
    store<i64>(ts + (<usize>i << 3), t);
    const delta = t - prev;
    store<i64>(d + (<usize>(i - 1) << 3), delta);
    if (i == 1) d0 = delta;
    irregular |= delta ^ d0;
    prev = t;
    small = small & (abs<f64>(v) < SMALL_TS);
  }
  wInit(out);
  wBits(MAGIC, 8);
  wBits(VERSION, 8);
  wVarint(<u64>n);
  if (n == 0) return wFinish();
  const tsCodec = chooseTsCodec(ts, d, n, small, mode == MODE_GORILLA_SERIES, irregular == 0);
  const codecPos = <usize>(wBitPos() >> 3);
  let valueCodec = mode == MODE_GORILLA || mode == MODE_GORILLA_SERIES ? V_GORILLA : V_DECIMAL;
  wBits(<u64>(tsCodec | (valueCodec << 4)), 8);
  emitTimestamps(ts, d, n, tsCodec);
  if (valueCodec == V_DECIMAL) {
    wSave();
    const start = wBitPos();
    emitDecimal(valPtr, n, m, k, exc);
    // GORILLA replaces DECIMAL only when strictly smaller; its size is counted up to that limit.
    if (mode == MODE_AUTO && gorillaBits(valPtr, n, wBitPos() - start) < wBitPos() - start) {
      wRestore();
      emitGorilla(valPtr, n);
      valueCodec = V_GORILLA;
    }
  } else {
    emitGorilla(valPtr, n);
  }
  const len = wFinish();
  store<u8>(out + codecPos, <u8>(tsCodec | (valueCodec << 4)));
  return len;
}

/**
 * Decodes a block into tsOut/valOut (f64, room for maxN points each); returns the point count or an
 * error code.
 */
export function decode(inPtr: usize, inLen: i32, tsOut: usize, valOut: usize, maxN: i32, work: usize): i32 {
  work = fixedInit(work);
  rInit(inPtr, <usize>inLen);
  if (inLen < 2) return ERR_TRUNCATED;
  if (<u32>rBits(8) != MAGIC) return ERR_CORRUPT;
  if (<u32>rBits(8) != VERSION) return ERR_UNSUPPORTED;
  const n64 = rVarint();
  if (rErr != 0) return rFail(rErr);
  if (rOverrun()) return ERR_TRUNCATED;
  if (n64 > <u64>MAX_POINTS) return ERR_TOO_LARGE;
  const n = <i32>n64;
  if (n > maxN) return ERR_TOO_LARGE;
  if (n > 0) {
    const codecs = <i32>rBits(8);
    const tsCodec = codecs & 15;
    const valueCodec = codecs >> 4;
    if (rOverrun()) return ERR_TRUNCATED;
    if (tsCodec > TS_RAW || valueCodec > V_GORILLA) return ERR_UNSUPPORTED;
    const w = (work + 7) & ~<usize>7;
    let rc = decodeTimestamps(tsOut, n, tsCodec, w);
    if (rc != 0) return rc;
    rc = valueCodec == V_DECIMAL ? decodeDecimal(valOut, n, w) : decodeGorilla(valOut, n);
    if (rc != 0) return rc;
  }
  if (rOverrun()) return ERR_TRUNCATED;
  if (<i32>((rBitPos() + 7) >> 3) != inLen) return ERR_CORRUPT;
  return n;
}
