// Timestamp section (twin of src/codec/reference/series-timestamps.ts): PATCH / COLUMN / GORILLA /
// RAW, chosen by exact size (ties: PATCH, COLUMN, GORILLA). Timestamps arrive as validated i64.
import {
  ERR_CORRUPT, r64, rBits, rBig, rErr, rFail, rSvarint, rVarint, varintBits, wBig, wBits, wSvarint, wVarint,
  zigzag,
} from './bits';
import { decodeColumn, emitColumn, planColumn } from './intcol';

export const TS_PATCH: i32 = 0;
export const TS_COLUMN: i32 = 1;
export const TS_GORILLA: i32 = 2;
export const TS_RAW: i32 = 3;

const SMALL: i64 = <i64>1 << 48;
export const MAX_SAFE: i64 = (<i64>1 << 53) - 1;

// @ts-ignore: decorator
@inline function L(p: usize, i: i32): i64 {
  return load<i64>(p + (<usize>i << 3));
}

/** Boyer–Moore majority vote over d[0..m). */
function commonDelta(d: usize, m: i32): i64 {
  let cand: i64 = 0;
  let count = 0;
  for (let i = 0; i < m; i++) {
    const v = L(d, i);
    if (count == 0) {
      cand = v;
      count = 1;
    } else if (v == cand) count++;
    else count--;
  }
  return cand;
}

// The last patchBits result, reused by emitTimestamps (same block, same deltas).
let patchBase: i64 = 0;
let patchCount: u64 = 0;

function patchBits(ts: usize, d: usize, n: i32, regular: bool): u64 {
  let bits = varintBits(zigzag(L(ts, 0)));
  patchCount = 0;
  if (n < 2) return bits;
  if (regular) {
    // Every delta equals d[0]: that is the majority and there is no patch.
    patchBase = L(d, 0);
    return bits + varintBits(zigzag(patchBase)) + varintBits(0);
  }
  const base = commonDelta(d, n - 1);
  patchBase = base;
  bits += varintBits(zigzag(base));
  let patches: u64 = 0;
  let prev = -1;
  for (let i = 0; i < n - 1; i++) {
    const v = L(d, i);
    if (v == base) continue;
    bits += varintBits(<u64>(i - prev - 1)) + varintBits(zigzag(v - base));
    prev = i;
    patches++;
  }
  patchCount = patches;
  return bits + varintBits(patches);
}

// @ts-ignore: decorator
@inline function dodBits(dod: i64): u64 {
  if (dod == 0) return 1;
  if (dod >= -63 && dod <= 64) return 9;
  if (dod >= -255 && dod <= 256) return 12;
  if (dod >= -2047 && dod <= 2048) return 16;
  if (dod >= -2147483647 && dod <= 2147483647) return 36;
  return 100;
}

function gorillaBits(ts: usize, d: usize, n: i32): u64 {
  let bits = varintBits(zigzag(L(ts, 0)));
  if (n < 2) return bits;
  bits += varintBits(zigzag(L(d, 0)));
  for (let i = 1; i < n - 1; i++) bits += dodBits(L(d, i) - L(d, i - 1));
  return bits;
}

/**
 * Picks the codec for n ≥ 1 timestamps; d[0..n-1) must hold the deltas (the caller fills them while
 * validating), `small` says whether every |t| < 2^48 and `regular` whether every delta equals d[0].
 */
export function chooseTsCodec(ts: usize, d: usize, n: i32, small: bool, forceGorilla: bool, regular: bool): i32 {
  if (!small) return TS_RAW;
  if (forceGorilla) return TS_GORILLA;
  let best = TS_PATCH;
  let bestBits = patchBits(ts, d, n, regular);
  const head = varintBits(zigzag(L(ts, 0)));
  // No patch means all deltas are equal: the column would be raw/constant, strictly bigger than PATCH
  // (same t0 and Δ varints plus a 4-bit header). The column plan stays in place when COLUMN wins.
  if (n > 1 && patchCount != 0) {
    const col = head + planColumn(d, n - 1, 0, true);
    if (col < bestBits) {
      best = TS_COLUMN;
      bestBits = col;
    }
  }
  // GORILLA costs at least t0, d[0] and one bit per further delta; skip it when that cannot win.
  const gorillaMin = n < 2 ? head : head + varintBits(zigzag(L(d, 0))) + <u64>(n - 2);
  if (gorillaMin < bestBits && gorillaBits(ts, d, n) < bestBits) best = TS_GORILLA;
  return best;
}

function writeDod(dod: i64): void {
  if (dod == 0) {
    wBits(0, 1);
  } else if (dod >= -63 && dod <= 64) {
    wBits(0b01, 2);
    wBits(<u64>dod & 0x7f, 7);
  } else if (dod >= -255 && dod <= 256) {
    wBits(0b011, 3);
    wBits(<u64>dod & 0x1ff, 9);
  } else if (dod >= -2047 && dod <= 2048) {
    wBits(0b0111, 4);
    wBits(<u64>dod & 0xfff, 12);
  } else if (dod >= -2147483647 && dod <= 2147483647) {
    wBits(0b1111, 4);
    wBits(<u64>dod & 0xffffffff, 32);
  } else {
    wBits(0b1111, 4);
    wBits(0x80000000, 32);
    wBig(<u64>dod, 64);
  }
}

export function emitTimestamps(ts: usize, d: usize, n: i32, codec: i32): void {
  if (codec == TS_RAW) {
    for (let i = 0; i < n; i++) wBig(<u64>L(ts, i), 64);
    return;
  }
  wSvarint(L(ts, 0));
  if (n < 2) return;
  if (codec == TS_COLUMN) {
    emitColumn(d, n - 1, 0);
  } else if (codec == TS_PATCH) {
    // chooseTsCodec always computes PATCH first, so base and count are those of this block.
    const base = patchBase;
    const patches = patchCount;
    wSvarint(base);
    wVarint(patches);
    if (patches == 0) return;
    let prev = -1;
    for (let i = 0; i < n - 1; i++) {
      const v = L(d, i);
      if (v == base) continue;
      wVarint(<u64>(i - prev - 1));
      wSvarint(v - base);
      prev = i;
    }
  } else {
    wSvarint(L(d, 0));
    for (let i = 1; i < n - 1; i++) writeDod(L(d, i) - L(d, i - 1));
  }
}

function readDod(): i64 {
  let ones = 0;
  while (ones < 4 && rBits(1) == 1) ones++;
  if (ones == 0) return 0;
  const b: u32 = ones == 1 ? 7 : ones == 2 ? 9 : ones == 3 ? 12 : 32;
  const v = rBig(b);
  if (ones == 4 && v == 0x80000000) return <i64>r64();
  return v > (<u64>1 << (b - 1)) ? <i64>v - (<i64>1 << b) : <i64>v;
}

// @ts-ignore: decorator
@inline function unsafe(v: i64): bool {
  return v > MAX_SAFE || v < -MAX_SAFE;
}

/** Decodes n ≥ 1 timestamps into out as f64 (work: 12n bytes of scratch); 0 or an error code. */
export function decodeTimestamps(out: usize, n: i32, codec: i32, work: usize): i32 {
  if (codec == TS_RAW) {
    for (let i = 0; i < n; i++) {
      const v = <i64>r64();
      if (unsafe(v)) return rFail(ERR_CORRUPT);
      store<f64>(out + (<usize>i << 3), <f64>v);
    }
    return 0;
  }
  let t = rSvarint();
  if (rErr != 0) return rFail(rErr);
  store<f64>(out, <f64>t);
  if (n < 2) return 0;
  if (codec == TS_COLUMN) {
    // Deltas land in out[1..n) as i64 and are replaced in place by the f64 timestamps.
    const rc = decodeColumn(out + 8, n - 1, true);
    if (rc != 0) return rc;
    for (let i = 1; i < n; i++) {
      t += L(out, i);
      if (unsafe(t)) return rFail(ERR_CORRUPT);
      store<f64>(out + (<usize>i << 3), <f64>t);
    }
  } else if (codec == TS_PATCH) {
    const base = rSvarint();
    const patches = <i32>rVarint();
    if (rErr != 0) return rFail(rErr);
    if (patches > n - 1) return rFail(ERR_CORRUPT);
    // The patch list (delta index i32, delta i64) goes to `work` (room for n − 1 patches).
    const pos = work;
    const val = work + (((<usize>n << 2) + 7) & ~<usize>7);
    let prev: i64 = -1;
    for (let p = 0; p < patches; p++) {
      const gap = rVarint();
      const diff = rSvarint();
      if (rErr != 0) return rFail(rErr);
      const i = prev + 1 + <i64>gap;
      if (i >= <i64>(n - 1)) return rFail(ERR_CORRUPT);
      store<i32>(pos + (<usize>p << 2), <i32>i);
      store<i64>(val + (<usize>p << 3), base + diff);
      prev = i;
    }
    let j = 0;
    let nextPatch: i32 = patches > 0 ? load<i32>(pos) : -1;
    for (let i = 0; i < n - 1; i++) {
      let delta = base;
      if (i == nextPatch) {
        delta = load<i64>(val + (<usize>j << 3));
        j++;
        nextPatch = j < patches ? load<i32>(pos + (<usize>j << 2)) : -1;
      }
      t += delta;
      if (unsafe(t)) return rFail(ERR_CORRUPT);
      store<f64>(out + (<usize>(i + 1) << 3), <f64>t);
    }
  } else {
    let delta = rSvarint();
    if (rErr != 0) return rFail(rErr);
    t += delta;
    if (unsafe(t)) return rFail(ERR_CORRUPT);
    store<f64>(out + 8, <f64>t);
    for (let i = 2; i < n; i++) {
      delta += readDod();
      t += delta;
      if (unsafe(t)) return rFail(ERR_CORRUPT);
      store<f64>(out + (<usize>i << 3), <f64>t);
    }
  }
  return 0;
}
