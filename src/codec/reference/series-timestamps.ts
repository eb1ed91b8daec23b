// Timestamp section codecs. All but RAW start with t0 as a zigzag varint (seriesBlockInfo reads it).
//   PATCH   t0, Δ, then only the deltas that differ from Δ (position gap + difference): a regular
//           series costs nothing per point, a scrape with a few missed samples a few bytes per gap.
//   COLUMN  t0, then the n−1 deltas as an int column (raw/delta/dod × FOR/Huffman/dict): jitter.
//   GORILLA t0, first delta, then delta-of-delta buckets as in the Gorilla paper ('0', '10'+7,
//           '110'+9, '1110'+12, '1111'+32 bits); the 32-bit pattern 0x80000000 escapes to 64 bits
//           because millisecond gaps can exceed the paper's second-based range.
//   RAW     n × int64, used only when a timestamp is ≥ 2^48 in magnitude (keeps the other codecs'
//           arithmetic inside 2^53).
import { CodecError } from '../errors.js';
import { BitReader, BitWriter, varintBits, zigzag } from './series-bits.js';
import { columnBits, readColumn, writeColumn } from './series-intcol.js';

export const TS_PATCH = 0;
export const TS_COLUMN = 1;
export const TS_GORILLA = 2;
export const TS_RAW = 3;
export const TS_CODEC_NAMES = ['patch', 'column', 'gorilla', 'raw'];

/** Timestamps at or beyond this magnitude force the RAW codec. */
export const TS_SMALL_LIMIT = 2 ** 48;
const TWO32 = 4294967296;

export function validateTimestamps(ts: ArrayLike<number>): void {
  for (let i = 0; i < ts.length; i++) {
    if (!Number.isSafeInteger(ts[i])) throw new CodecError('INVALID_INPUT', `tsMs[${i}] is not a safe integer`);
  }
}

function deltas(ts: ArrayLike<number>): number[] {
  const d: number[] = [];
  for (let i = 1; i < ts.length; i++) d.push(ts[i] - ts[i - 1]);
  return d;
}

/** Boyer–Moore majority vote: the majority delta if there is one (else some delta; still correct). */
function commonDelta(d: number[]): number {
  let cand = 0;
  let count = 0;
  for (const v of d) {
    if (count === 0) {
      cand = v;
      count = 1;
    } else if (v === cand) count++;
    else count--;
  }
  return cand;
}

function patchBits(ts: ArrayLike<number>, d: number[]): number {
  let bits = varintBits(zigzag(ts[0]));
  if (ts.length < 2) return bits;
  const base = commonDelta(d);
  let patches = 0;
  let prev = -1;
  bits += varintBits(zigzag(base));
  for (let i = 0; i < d.length; i++) {
    if (d[i] === base) continue;
    bits += varintBits(i - prev - 1) + varintBits(zigzag(d[i] - base));
    prev = i;
    patches++;
  }
  return bits + varintBits(patches);
}

/** Bits for one Gorilla delta-of-delta. */
function gorillaDodBits(dod: number): number {
  if (dod === 0) return 1;
  if (dod >= -63 && dod <= 64) return 2 + 7;
  if (dod >= -255 && dod <= 256) return 3 + 9;
  if (dod >= -2047 && dod <= 2048) return 4 + 12;
  if (dod >= -(2 ** 31 - 1) && dod <= 2 ** 31 - 1) return 4 + 32;
  return 4 + 32 + 64;
}

function gorillaBits(ts: ArrayLike<number>, d: number[]): number {
  let bits = varintBits(zigzag(ts[0]));
  if (ts.length < 2) return bits;
  bits += varintBits(zigzag(d[0]));
  for (let i = 1; i < d.length; i++) bits += gorillaDodBits(d[i] - d[i - 1]);
  return bits;
}

function isSmall(ts: ArrayLike<number>): boolean {
  for (let i = 0; i < ts.length; i++) if (ts[i] >= TS_SMALL_LIMIT || ts[i] <= -TS_SMALL_LIMIT) return false;
  return true;
}

/** Picks the smallest codec for n ≥ 1 timestamps (ties: PATCH, COLUMN, GORILLA). */
export function chooseTsCodec(ts: ArrayLike<number>, forceGorilla: boolean): number {
  if (!isSmall(ts)) return TS_RAW;
  if (forceGorilla) return TS_GORILLA;
  const d = deltas(ts);
  let best = TS_PATCH;
  let bestBits = patchBits(ts, d);
  const col = varintBits(zigzag(ts[0])) + columnBits(d);
  if (col < bestBits) {
    best = TS_COLUMN;
    bestBits = col;
  }
  if (gorillaBits(ts, d) < bestBits) best = TS_GORILLA;
  return best;
}

export function writeTimestamps(w: BitWriter, ts: ArrayLike<number>, codec: number): void {
  if (codec === TS_RAW) {
    for (let i = 0; i < ts.length; i++) {
      const hi = Math.floor(ts[i] / TWO32);
      w.word64(hi >>> 0, ts[i] - hi * TWO32);
    }
    return;
  }
  w.svarint(ts[0]);
  if (ts.length < 2) return;
  const d = deltas(ts);
  if (codec === TS_COLUMN) {
    writeColumn(w, d);
  } else if (codec === TS_PATCH) {
    const base = commonDelta(d);
    w.svarint(base);
    let patches = 0;
    for (const v of d) if (v !== base) patches++;
    w.varint(patches);
    let prev = -1;
    for (let i = 0; i < d.length; i++) {
      if (d[i] === base) continue;
      w.varint(i - prev - 1);
      w.svarint(d[i] - base);
      prev = i;
    }
  } else {
    w.svarint(d[0]);
    for (let i = 1; i < d.length; i++) writeGorillaDod(w, d[i] - d[i - 1]);
  }
}

function writeGorillaDod(w: BitWriter, dod: number): void {
  const field = (v: number, b: number) => w.big(v >= 0 ? v : v + 2 ** b, b);
  if (dod === 0) w.bits(0, 1);
  else if (dod >= -63 && dod <= 64) (w.bits(0b01, 2), field(dod, 7));
  else if (dod >= -255 && dod <= 256) (w.bits(0b011, 3), field(dod, 9));
  else if (dod >= -2047 && dod <= 2048) (w.bits(0b0111, 4), field(dod, 12));
  else if (dod >= -(2 ** 31 - 1) && dod <= 2 ** 31 - 1) (w.bits(0b1111, 4), field(dod, 32));
  else {
    w.bits(0b1111, 4);
    w.bits(0x80000000, 32);
    const hi = Math.floor(dod / TWO32);
    w.word64(hi >>> 0, dod - hi * TWO32);
  }
}

function readGorillaDod(r: BitReader): number {
  let ones = 0;
  while (ones < 4 && r.bits(1) === 1) ones++;
  if (ones === 0) return 0;
  const b = [0, 7, 9, 12, 32][ones];
  const v = r.big(b);
  if (ones === 4 && v === 0x80000000) return readInt64(r);
  return v > 2 ** (b - 1) ? v - 2 ** b : v;
}

/** A two's complement int64 that must be a safe integer (anything else cannot be a timestamp). */
function readInt64(r: BitReader): number {
  const [hi, lo] = r.word64();
  const v = (hi | 0) * TWO32 + lo;
  if (!Number.isSafeInteger(v)) throw new CodecError('CORRUPT', 'timestamp out of range');
  return v;
}

function checkTs(v: number): number {
  if (!Number.isSafeInteger(v)) throw new CodecError('CORRUPT', 'timestamp out of range');
  return v;
}

export function readTimestamps(r: BitReader, n: number, codec: number): Float64Array {
  const ts = new Float64Array(n);
  if (codec === TS_RAW) {
    for (let i = 0; i < n; i++) ts[i] = readInt64(r);
    return ts;
  }
  if (codec > TS_RAW) throw new CodecError('UNSUPPORTED', `timestamp codec ${codec}`);
  ts[0] = r.svarint();
  if (n < 2) return ts;
  if (codec === TS_COLUMN) {
    const d = readColumn(r, n - 1);
    for (let i = 1; i < n; i++) ts[i] = checkTs(ts[i - 1] + d[i - 1]);
  } else if (codec === TS_PATCH) {
    const base = r.svarint();
    const patches = r.varint();
    if (patches > n - 1) throw new CodecError('CORRUPT', 'too many timestamp patches');
    const d = new Float64Array(n - 1).fill(base);
    let prev = -1;
    for (let p = 0; p < patches; p++) {
      const i = prev + 1 + r.varint();
      if (i >= n - 1) throw new CodecError('CORRUPT', 'timestamp patch out of range');
      d[i] = base + r.svarint();
      prev = i;
    }
    for (let i = 1; i < n; i++) ts[i] = checkTs(ts[i - 1] + d[i - 1]);
  } else {
    let delta = r.svarint();
    ts[1] = checkTs(ts[0] + delta);
    for (let i = 2; i < n; i++) {
      delta += readGorillaDod(r);
      ts[i] = checkTs(ts[i - 1] + delta);
    }
  }
  return ts;
}
