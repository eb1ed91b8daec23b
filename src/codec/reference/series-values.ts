// Value section codecs.
//   DECIMAL  one exponent e per block; every value v becomes a mantissa m = floor(v·10^e + 0.5) and a
//            ulp correction k = bits(v) − bits(m / 10^e) (int64 on the raw IEEE bits). Printed
//            decimals give k = 0; results of float arithmetic (6.0520000000000005) give small k.
//            Values that do not fit (NaN, ±Inf, −0, |m| ≥ 2^49, |k| ≥ 2^20) are exceptions stored
//            raw. m and k are int columns; exceptions hold the previous mantissa and k = 0 there.
//   GORILLA  XOR with the previous value, exactly as in the Gorilla paper (leading zeros capped at
//            31 in 5 bits, 6-bit meaningful length with 64 written as 0).
import { CodecError } from '../errors.js';
import { BitReader, BitWriter, bitLen, varintBits, zigzag } from './series-bits.js';
import { columnBits, readColumn, writeColumn } from './series-intcol.js';

export const V_DECIMAL = 0;
export const V_GORILLA = 1;
export const VALUE_CODEC_NAMES = ['decimal', 'gorilla'];

export const MAX_EXPONENT = 18;
const M_LIMIT = 2 ** 49;
const K_LIMIT = 2 ** 20;
const TWO32 = 4294967296;
/** Exact powers of ten (literals: Math.pow is not guaranteed to be correctly rounded). */
export const POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18];

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Raw IEEE bits of a number as [hi, lo]. */
export function bitsOf(v: number): [number, number] {
  f64[0] = v;
  return [u32[1], u32[0]];
}

/** Sentinel for "this value is an exception". */
const EXC = Number.NaN;

/** Mantissa and correction for v at exponent e; m is NaN when v must be an exception. */
function splitDecimal(v: number, e: number, out: { m: number; k: number }): void {
  out.m = EXC;
  out.k = 0;
  if (!Number.isFinite(v)) return;
  const p = POW10[e];
  const m = Math.floor(v * p + 0.5);
  if (!(m < M_LIMIT && m > -M_LIMIT)) return;
  f64[0] = v;
  const hv = u32[1];
  const lv = u32[0];
  f64[0] = m / p;
  const dh = hv - u32[1];
  if (dh > 1 || dh < -1) return;
  const k = dh * TWO32 + (lv - u32[0]);
  if (k >= K_LIMIT || k <= -K_LIMIT) return;
  out.m = m;
  out.k = k;
}

/** Estimated bits for exponent e over a sample (cheap proxy; the real size is computed later). */
function sampleCost(values: ArrayLike<number>, e: number, starts: number[], len: number): { bits: number; exact: boolean } {
  const s = { m: 0, k: 0 };
  let bits = 0;
  let nonzeroK = 0;
  let count = 0;
  let exact = true;
  for (const start of starts) {
    let prev = EXC;
    for (let i = start; i < start + len; i++) {
      splitDecimal(values[i], e, s);
      count++;
      if (Number.isNaN(s.m)) {
        bits += 72;
        exact = false;
        continue;
      }
      if (!Number.isNaN(prev)) bits += bitLen(zigzag(s.m - prev));
      prev = s.m;
      if (s.k !== 0) {
        bits += 4 + bitLen(zigzag(s.k));
        nonzeroK++;
        exact = false;
      }
    }
  }
  if (nonzeroK > 0) bits += count;
  return { bits, exact };
}

/** Sample windows: the whole block up to 256 values, else 8 windows of 32 spread evenly. */
function sampleWindows(n: number): { starts: number[]; len: number } {
  if (n <= 256) return { starts: [0], len: n };
  const starts: number[] = [];
  for (let c = 0; c < 8; c++) starts.push(Math.floor((c * (n - 32)) / 7));
  return { starts, len: 32 };
}

/** Exponent with the lowest sampled cost; stops at the first e where the sample is exact. */
export function chooseExponent(values: ArrayLike<number>): number {
  const { starts, len } = sampleWindows(values.length);
  let best = 0;
  let bestBits = Infinity;
  for (let e = 0; e <= MAX_EXPONENT; e++) {
    const { bits, exact } = sampleCost(values, e, starts, len);
    if (bits < bestBits) {
      best = e;
      bestBits = bits;
    }
    // Past an exact e, more digits only multiply the mantissa deltas by 10.
    if (exact) break;
  }
  return best;
}

interface DecimalPlan {
  e: number;
  m: number[];
  k: number[];
  excPos: number[];
  bits: number;
}

export function planDecimal(values: ArrayLike<number>): DecimalPlan {
  const e = chooseExponent(values);
  const n = values.length;
  const m: number[] = [];
  const k: number[] = [];
  const excPos: number[] = [];
  const s = { m: 0, k: 0 };
  let prevM = 0;
  for (let i = 0; i < n; i++) {
    splitDecimal(values[i], e, s);
    if (Number.isNaN(s.m)) {
      excPos.push(i);
      m.push(prevM);
      k.push(0);
    } else {
      m.push(s.m);
      k.push(s.k);
      prevM = s.m;
    }
  }
  let bits = 5 + columnBits(m) + columnBits(k) + varintBits(excPos.length);
  let prev = -1;
  for (const p of excPos) {
    bits += varintBits(p - prev - 1) + 64;
    prev = p;
  }
  return { e, m, k, excPos, bits };
}

export function writeDecimal(w: BitWriter, values: ArrayLike<number>, plan: DecimalPlan): void {
  w.bits(plan.e, 5);
  writeColumn(w, plan.m);
  writeColumn(w, plan.k);
  w.varint(plan.excPos.length);
  let prev = -1;
  for (const p of plan.excPos) {
    w.varint(p - prev - 1);
    const [hi, lo] = bitsOf(values[p]);
    w.word64(hi, lo);
    prev = p;
  }
}

/** Decodes into the raw bits of the output (hi/lo u32 pairs, little-endian order) to keep NaN payloads. */
export function readDecimal(r: BitReader, n: number, out: Uint32Array): void {
  const e = r.bits(5);
  if (e > MAX_EXPONENT) throw new CodecError('CORRUPT', `decimal exponent ${e}`);
  const p = POW10[e];
  const m = readColumn(r, n);
  const k = readColumn(r, n);
  for (let i = 0; i < n; i++) {
    f64[0] = m[i] / p;
    const lo = u32[0] + k[i];
    const carry = Math.floor(lo / TWO32);
    out[2 * i] = lo - carry * TWO32;
    out[2 * i + 1] = (u32[1] + carry) >>> 0;
  }
  const count = r.varint();
  if (count > n) throw new CodecError('CORRUPT', 'too many exceptions');
  let prev = -1;
  for (let x = 0; x < count; x++) {
    const i = prev + 1 + r.varint();
    if (i >= n) throw new CodecError('CORRUPT', 'exception position out of range');
    const [hi, lo] = r.word64();
    out[2 * i] = lo;
    out[2 * i + 1] = hi;
    prev = i;
  }
}

// ---- Gorilla XOR ----

function clz64(hi: number, lo: number): number {
  return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
}

function ctz64(hi: number, lo: number): number {
  if (lo !== 0) return 31 - Math.clz32(lo & -lo);
  return 32 + 31 - Math.clz32(hi & -hi);
}

/** Writes the low `len` bits of (hi:lo) >>> shift. */
function writeShifted(w: BitWriter, hi: number, lo: number, shift: number, len: number): void {
  let yl: number;
  let yh: number;
  if (shift === 0) {
    yl = lo;
    yh = hi;
  } else if (shift >= 32) {
    yl = hi >>> (shift - 32);
    yh = 0;
  } else {
    yl = ((lo >>> shift) | (hi << (32 - shift))) >>> 0;
    yh = hi >>> shift;
  }
  if (len <= 32) w.bits(len === 32 ? yl : yl & (2 ** len - 1), len);
  else {
    w.bits(yl, 32);
    w.bits(yh, len - 32);
  }
}

export function gorillaBits(values: ArrayLike<number>): number {
  return gorillaPass(values, null);
}

export function writeGorilla(w: BitWriter, values: ArrayLike<number>): void {
  gorillaPass(values, w);
}

/** One pass that counts bits and, with a writer, also writes them (one code path for both). */
function gorillaPass(values: ArrayLike<number>, w: BitWriter | null): number {
  let [ph, pl] = bitsOf(values[0]);
  w?.word64(ph, pl);
  let bits = 64;
  let prevLead = -1;
  let prevTrail = 0;
  for (let i = 1; i < values.length; i++) {
    const [h, l] = bitsOf(values[i]);
    const xh = (h ^ ph) >>> 0;
    const xl = (l ^ pl) >>> 0;
    ph = h;
    pl = l;
    if (xh === 0 && xl === 0) {
      w?.bits(0, 1);
      bits += 1;
      continue;
    }
    let lead = clz64(xh, xl);
    if (lead > 31) lead = 31;
    const trail = ctz64(xh, xl);
    if (prevLead >= 0 && lead >= prevLead && trail >= prevTrail) {
      const len = 64 - prevLead - prevTrail;
      w?.bits(0b01, 2);
      if (w) writeShifted(w, xh, xl, prevTrail, len);
      bits += 2 + len;
    } else {
      const len = 64 - lead - trail;
      if (w) {
        w.bits(0b11, 2);
        w.bits(lead, 5);
        w.bits(len & 63, 6);
        writeShifted(w, xh, xl, trail, len);
      }
      bits += 2 + 5 + 6 + len;
      prevLead = lead;
      prevTrail = trail;
    }
  }
  return bits;
}

export function readGorilla(r: BitReader, n: number, out: Uint32Array): void {
  let [ph, pl] = r.word64();
  out[0] = pl;
  out[1] = ph;
  let lead = -1;
  let trail = 0;
  for (let i = 1; i < n; i++) {
    if (r.bits(1) === 1) {
      if (r.bits(1) === 1) {
        lead = r.bits(5);
        let len = r.bits(6);
        if (len === 0) len = 64;
        if (lead + len > 64) throw new CodecError('CORRUPT', 'gorilla window out of range');
        trail = 64 - lead - len;
      } else if (lead < 0) {
        throw new CodecError('CORRUPT', 'gorilla window reused before defined');
      }
      const len = 64 - lead - trail;
      let yl: number;
      let yh: number;
      if (len <= 32) {
        yl = r.bits(len);
        yh = 0;
      } else {
        yl = r.bits(32);
        yh = r.bits(len - 32);
      }
      // (yh:yl) << trail
      let xh: number;
      let xl: number;
      if (trail === 0) {
        xh = yh;
        xl = yl;
      } else if (trail >= 32) {
        xh = (yl << (trail - 32)) >>> 0;
        xl = 0;
      } else {
        xh = ((yh << trail) | (yl >>> (32 - trail))) >>> 0;
        xl = (yl << trail) >>> 0;
      }
      ph = (ph ^ xh) >>> 0;
      pl = (pl ^ xl) >>> 0;
    }
    out[2 * i] = pl;
    out[2 * i + 1] = ph;
  }
}
