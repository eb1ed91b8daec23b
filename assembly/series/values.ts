// Value section (twin of src/codec/reference/series-values.ts): DECIMAL (exponent + mantissa column +
// ulp-correction column + raw exceptions) and GORILLA XOR (paper-exact).
import {
  ERR_CORRUPT, bitLen, r64, rBits, rBig, rErr, rFail, rVarint, wBig, wBits, wVarint, zigzag,
} from './bits';
import { constColumn, constValue, decodeColumn, emitColumn, planColumn } from './intcol';

export const V_DECIMAL: i32 = 0;
export const V_GORILLA: i32 = 1;
export const MAX_EXPONENT: i32 = 18;

const M_LIMIT: f64 = 562949953421312; // 2^49
const K_LIMIT: i64 = 1 << 20;
const POW10 = memory.data<f64>([
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
]);

// @ts-ignore: decorator
@inline function pow10(e: i32): f64 {
  return load<f64>(POW10 + (<usize>e << 3));
}

// @ts-ignore: decorator
@inline function V(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}

let sM: i64 = 0;
let sK: i64 = 0;

/** Splits v at exponent e into (sM, sK); false when v must be an exception. */
// @ts-ignore: decorator
@inline function split(v: f64, p: f64): bool {
  if (!isFinite<f64>(v)) return false;
  const m = floor<f64>(v * p + 0.5);
  if (!(m < M_LIMIT && m > -M_LIMIT)) return false;
  const k = <i64>(reinterpret<u64>(v) - reinterpret<u64>(m / p));
  if (k >= K_LIMIT || k <= -K_LIMIT) return false;
  sM = <i64>m;
  sK = k;
  return true;
}

let sampleExact = false;

function sampleCost(vals: usize, p: f64, n: i32): u64 {
  let bits: u64 = 0;
  let nonzeroK: u64 = 0;
  let count: u64 = 0;
  let exact = true;
  const windows = n <= 256 ? 1 : 8;
  const len = n <= 256 ? n : 32;
  for (let c = 0; c < windows; c++) {
    const start = n <= 256 ? 0 : <i32>((<i64>c * (n - 32)) / 7);
    let hasPrev = false;
    let prev: i64 = 0;
    for (let i = start; i < start + len; i++) {
      count++;
      if (!split(V(vals, i), p)) {
        bits += 72;
        exact = false;
        continue;
      }
      if (hasPrev) bits += bitLen(zigzag(sM - prev));
      prev = sM;
      hasPrev = true;
      if (sK != 0) {
        bits += 4 + <u64>bitLen(zigzag(sK));
        nonzeroK++;
        exact = false;
      }
    }
  }
  if (nonzeroK > 0) bits += count;
  sampleExact = exact;
  return bits;
}

export function chooseExponent(vals: usize, n: i32): i32 {
  let best = 0;
  let bestBits = u64.MAX_VALUE;
  for (let e = 0; e <= MAX_EXPONENT; e++) {
    const bits = sampleCost(vals, pow10(e), n);
    if (bits < bestBits) {
      best = e;
      bestBits = bits;
    }
    if (sampleExact) break;
  }
  return best;
}

/** Writes the DECIMAL section for vals[0..n); m, k (i64) and exc (i32) are n-sized work arrays. */
export function emitDecimal(vals: usize, n: i32, m: usize, k: usize, exc: usize): void {
  const e = chooseExponent(vals, n);
  const p = pow10(e);
  let count = 0;
  let prevM: i64 = 0;
  let anyK: i64 = 0;
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 3;
    // split() with the checks folded: a non-finite v gives a NaN or infinite m, which fails |m| < 2^49.
    const v = V(vals, i);
    const mf = floor<f64>(v * p + 0.5);
    const kk = <i64>(reinterpret<u64>(v) - reinterpret<u64>(mf / p));
    if (abs<f64>(mf) < M_LIMIT && <u64>(kk + (K_LIMIT - 1)) < <u64>(2 * K_LIMIT - 1)) {
      const mi = <i64>mf;
      store<i64>(m + off, mi);
      store<i64>(k + off, kk);
      anyK |= kk;
      prevM = mi;
    } else {
      store<i32>(exc + (<usize>count << 2), i);
      count++;
      store<i64>(m + off, prevM);
      store<i64>(k + off, 0);
    }
  }
  wBits(<u64>e, 5);
  planColumn(m, n, 0, true);
  emitColumn(m, n, 0);
  if (anyK != 0) {
    planColumn(k, n, 0, true);
    emitColumn(k, n, 0);
  } else {
    // All zero: exactly what planColumn's all-equal path plans (raw, base 0, constant 0).
    wBits(0, 4);
    wVarint(0);
    wVarint(0);
  }
  wVarint(<u64>count);
  let prev = -1;
  for (let x = 0; x < count; x++) {
    const i = load<i32>(exc + (<usize>x << 2));
    wVarint(<u64>(i - prev - 1));
    wBig(load<u64>(vals + (<usize>i << 3)), 64);
    prev = i;
  }
}

/** Decodes n values; the mantissas go through `out` (as i64) and k through the n-sized `work`. */
export function decodeDecimal(out: usize, n: i32, work: usize): i32 {
  const e = <i32>rBits(5);
  if (e > MAX_EXPONENT) return rFail(ERR_CORRUPT);
  const p = pow10(e);
  let rc = decodeColumn(out, n, true);
  if (rc != 0) return rc;
  rc = decodeColumn(work, n, true, true);
  if (rc != 0) return rc;
  if (!constColumn) {
    for (let i = 0; i < n; i++) {
      const off = <usize>i << 3;
      const r = <f64>load<i64>(out + off) / p;
      store<u64>(out + off, reinterpret<u64>(r) + load<u64>(work + off));
    }
  } else {
    // Usually k = 0 everywhere (printed decimals): one division per value, no correction pass.
    const k = <u64>constValue;
    for (let i = 0; i < n; i++) {
      const off = <usize>i << 3;
      store<u64>(out + off, reinterpret<u64>(<f64>load<i64>(out + off) / p) + k);
    }
  }
  const count = rVarint();
  if (rErr != 0) return rFail(rErr);
  if (count > <u64>n) return rFail(ERR_CORRUPT);
  let prev: i64 = -1;
  for (let x: u64 = 0; x < count; x++) {
    const gap = rVarint();
    if (rErr != 0) return rFail(rErr);
    const i = prev + 1 + <i64>gap;
    if (i >= <i64>n) return rFail(ERR_CORRUPT);
    store<u64>(out + (<usize>i << 3), r64());
    prev = i;
  }
  return 0;
}

// ---- Gorilla XOR ----

/** Bits the GORILLA section takes (computed without writing), or some count ≥ limit once past it. */
export function gorillaBits(vals: usize, n: i32, limit: u64): u64 {
  let prevBits = load<u64>(vals);
  let bits: u64 = 64;
  let prevLead: i32 = -1;
  let prevTrail: i32 = 0;
  for (let i = 1; i < n; i++) {
    const cur = load<u64>(vals + (<usize>i << 3));
    const x = cur ^ prevBits;
    prevBits = cur;
    if (x == 0) {
      bits += 1;
      continue;
    }
    let lead = <i32>clz<u64>(x);
    if (lead > 31) lead = 31;
    const trail = <i32>ctz<u64>(x);
    if (prevLead >= 0 && lead >= prevLead && trail >= prevTrail) {
      bits += <u64>(2 + 64 - prevLead - prevTrail);
    } else {
      bits += <u64>(2 + 5 + 6 + 64 - lead - trail);
      prevLead = lead;
      prevTrail = trail;
      if (bits >= limit) return bits;
    }
  }
  return bits;
}

export function emitGorilla(vals: usize, n: i32): void {
  let prevBits = load<u64>(vals);
  wBig(prevBits, 64);
  let prevLead: i32 = -1;
  let prevTrail: i32 = 0;
  for (let i = 1; i < n; i++) {
    const cur = load<u64>(vals + (<usize>i << 3));
    const x = cur ^ prevBits;
    prevBits = cur;
    if (x == 0) {
      wBits(0, 1);
      continue;
    }
    let lead = <i32>clz<u64>(x);
    if (lead > 31) lead = 31;
    const trail = <i32>ctz<u64>(x);
    if (prevLead >= 0 && lead >= prevLead && trail >= prevTrail) {
      wBits(0b01, 2);
      wBig(x >> <u64>prevTrail, <u32>(64 - prevLead - prevTrail));
    } else {
      const len = 64 - lead - trail;
      wBits(0b11, 2);
      wBits(<u64>lead, 5);
      wBits(<u64>(len & 63), 6);
      wBig(x >> <u64>trail, <u32>len);
      prevLead = lead;
      prevTrail = trail;
    }
  }
}

export function decodeGorilla(out: usize, n: i32): i32 {
  let cur = r64();
  store<u64>(out, cur);
  let lead: i32 = -1;
  let trail: i32 = 0;
  for (let i = 1; i < n; i++) {
    if (rBits(1) == 1) {
      if (rBits(1) == 1) {
        lead = <i32>rBits(5);
        let len = <i32>rBits(6);
        if (len == 0) len = 64;
        if (lead + len > 64) return rFail(ERR_CORRUPT);
        trail = 64 - lead - len;
      } else if (lead < 0) {
        return rFail(ERR_CORRUPT);
      }
      cur ^= rBig(<u32>(64 - lead - trail)) << <u64>trail;
    }
    store<u64>(out + (<usize>i << 3), cur);
  }
  return 0;
}
