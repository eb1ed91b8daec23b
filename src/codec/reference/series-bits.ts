// LSB-first bitstream used by the whole series block (one continuous stream, padded with zero bits
// only at the very end). Varints are LEB128 groups written as 8-bit fields, so they cost the same as
// byte varints without needing byte alignment. Plain numbers are used for values up to 2^53 (all
// arithmetic below stays exact in doubles); 64-bit raw words are written as two 32-bit halves.
import { CodecError } from '../errors.js';

const TWO32 = 4294967296;
/** Largest varint any field may hold (keeps every decoded number exact in a double). */
export const MAX_VARINT = 2 ** 53 - 1;

export class BitWriter {
  private buf = new Uint8Array(256);
  private len = 0; // bytes flushed
  private acc = 0; // pending bits (< 2^8 before a write, < 2^40 during)
  private accBits = 0;

  /** Number of bits written so far. */
  get bitLength(): number {
    return this.len * 8 + this.accBits;
  }

  /** Writes the low `n` bits of the non-negative integer `v` (n ≤ 32, v < 2^n). */
  bits(v: number, n: number): void {
    if (n === 0) return;
    this.acc += v * 2 ** this.accBits;
    this.accBits += n;
    while (this.accBits >= 8) {
      const b = this.acc % 256;
      this.push(b);
      this.acc = (this.acc - b) / 256;
      this.accBits -= 8;
    }
  }

  /** Writes a non-negative integer below 2^53 in `n` ≤ 53 bits. */
  big(v: number, n: number): void {
    if (n <= 32) return this.bits(v, n);
    const lo = v % TWO32;
    this.bits(lo, 32);
    this.bits((v - lo) / TWO32, n - 32);
  }

  /** Writes a raw 64-bit word given as two unsigned 32-bit halves. */
  word64(hi: number, lo: number): void {
    this.bits(lo >>> 0, 32);
    this.bits(hi >>> 0, 32);
  }

  /** Unsigned LEB128 varint of a non-negative integer below 2^53. */
  varint(v: number): void {
    while (v >= 128) {
      const low = v % 128;
      this.bits(low | 128, 8);
      v = (v - low) / 128;
    }
    this.bits(v, 8);
  }

  /** Zigzag + LEB128 for a signed integer with |v| < 2^52. */
  svarint(v: number): void {
    this.varint(zigzag(v));
  }

  finish(): Uint8Array {
    if (this.accBits > 0) {
      this.push(this.acc);
      this.acc = 0;
      this.accBits = 0;
    }
    return this.buf.slice(0, this.len);
  }

  private push(b: number): void {
    if (this.len === this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.len++] = b;
  }
}

export class BitReader {
  private pos = 0; // bit position
  private readonly limit: number; // bits available

  constructor(private readonly data: Uint8Array) {
    this.limit = data.length * 8;
  }

  get bitPos(): number {
    return this.pos;
  }

  get bitLimit(): number {
    return this.limit;
  }

  /** The next `n` ≤ 32 bits without consuming them; bits past the end read as zero. */
  peek(n: number): number {
    let v = 0;
    let got = 0;
    let p = this.pos;
    while (got < n) {
      const byte = (p >> 3) < this.data.length ? this.data[p >> 3] : 0;
      const off = p & 7;
      const take = Math.min(8 - off, n - got);
      v += ((byte >> off) & ((1 << take) - 1)) * 2 ** got;
      got += take;
      p += take;
    }
    return v;
  }

  skip(n: number): void {
    if (this.pos + n > this.limit) throw new CodecError('TRUNCATED', 'series block ends early');
    this.pos += n;
  }

  bits(n: number): number {
    if (n === 0) return 0;
    const v = this.peek(n);
    this.skip(n);
    return v;
  }

  big(n: number): number {
    if (n <= 32) return this.bits(n);
    const lo = this.bits(32);
    return lo + this.bits(n - 32) * TWO32;
  }

  /** A raw 64-bit word as [hi, lo] unsigned halves. */
  word64(): [number, number] {
    const lo = this.bits(32);
    const hi = this.bits(32);
    return [hi, lo];
  }

  /** LEB128; more than 8 groups (56 bits) is CORRUPT: no field of ours needs that many. */
  varint(): number {
    let v = 0;
    for (let shift = 0; shift < 56; shift += 7) {
      const b = this.bits(8);
      v += (b & 127) * 2 ** shift;
      if (b < 128) {
        if (v > MAX_VARINT) throw new CodecError('CORRUPT', 'varint out of range');
        return v;
      }
    }
    throw new CodecError('CORRUPT', 'varint too long');
  }

  svarint(): number {
    return unzigzag(this.varint());
  }
}

export function zigzag(v: number): number {
  return v < 0 ? -2 * v - 1 : 2 * v;
}

export function unzigzag(u: number): number {
  return u % 2 === 1 ? -(u + 1) / 2 : u / 2;
}

/** Number of bits needed for a non-negative integer below 2^53 (0 for 0). */
export function bitLen(u: number): number {
  if (u < TWO32) return 32 - Math.clz32(u);
  return 64 - Math.clz32(Math.floor(u / TWO32));
}

/** Bits a varint of `v` takes (8 per LEB128 group). */
export function varintBits(v: number): number {
  let bytes = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    bytes++;
  }
  return bytes * 8;
}
