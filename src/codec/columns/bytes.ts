// Growable byte writer and bounds-checked reader for the logs block format. Varints are unsigned
// LEB128 of integers < 2^53 (arithmetic, not 32-bit shifts, so large values stay exact); zigzag maps
// signed integers with |v| < 2^52 onto them. Every read past the end is a typed TRUNCATED and every
// impossible value a CORRUPT: a hostile block can never surface a RangeError or loop unbounded.
import { Buffer } from 'node:buffer';
import { CodecError } from '../errors.js';
import { utf8Slice, utf8Write } from './hex.js';

export function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

export function unzigzag(u: number): number {
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

/** varintSize for v < 2^32 without a loop (record lengths on the write path). */
export function varintSize32(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** Writes v (< 2^32) as an unsigned LEB128 at buf[p] and returns the position after it. */
export function writeVarint32At(buf: Uint8Array, p: number, v: number): number {
  while (v >= 0x80) {
    buf[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[p++] = v;
  return p;
}

/**
 * buf[at, at + len) equals buf[start, end) (false when start < 0: no range). Compared from the end:
 * the resources this finds again differ last when they differ (host name, pid).
 */
export function sameByteRange(buf: Uint8Array, at: number, len: number, start: number, end: number): boolean {
  if (end - start !== len || start < 0) return false;
  for (let i = len - 1; i >= 0; i--) if (buf[at + i] !== buf[start + i]) return false;
  return true;
}

export function varintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

export class ByteWriter {
  buf: Buffer;
  pos = 0;

  constructor(capacity = 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(16, capacity));
  }

  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = v;
  }

  varint(v: number): void {
    if (this.pos + 8 > this.buf.length) this.ensure(8);
    const buf = this.buf;
    let p = this.pos;
    if (v < 0x80) {
      buf[p] = v;
      this.pos = p + 1;
      return;
    }
    while (v >= 0x80000000) {
      buf[p++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    while (v >= 0x80) {
      buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[p++] = v;
    this.pos = p;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** varint byte length + UTF-8 bytes. */
  string(s: string): void {
    if (s.length === 0) {
      this.u8(0);
      return;
    }
    const max = s.length * 3;
    const lenBytes = varintSize(max);
    this.ensure(lenBytes + max);
    const at = this.pos + lenBytes;
    const n = utf8Write(this.buf, s, at, max);
    const actual = varintSize(n);
    if (actual < lenBytes) this.buf.copyWithin(this.pos + actual, at, at + n);
    this.varint(n);
    this.pos += n;
  }

  /** ASCII/latin1 string of known single-byte chars (digit strings): no length prefix. */
  latin1(s: string): void {
    this.ensure(s.length);
    this.pos += this.buf.write(s, this.pos, s.length, 'latin1');
  }

  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  i64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64LE(v, this.pos);
    this.pos += 8;
  }

  /** Appends another writer's bytes. */
  append(w: ByteWriter): void {
    this.ensure(w.pos);
    w.buf.copy(this.buf, this.pos, 0, w.pos);
    this.pos += w.pos;
  }

  /** varint length + another writer's bytes (a section). */
  section(w: ByteWriter): void {
    this.varint(w.pos);
    this.append(w);
  }

  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  reset(): void {
    this.pos = 0;
  }
}

export function truncated(what: string): CodecError {
  return new CodecError('TRUNCATED', `log block ends inside ${what}`);
}

export function corrupt(what: string): CodecError {
  return new CodecError('CORRUPT', `log block: ${what}`);
}

/** Reader over buf[pos, end). */
export class ByteReader {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    public end: number,
  ) {}

  get remaining(): number {
    return this.end - this.pos;
  }

  u8(what: string): number {
    if (this.pos >= this.end) throw truncated(what);
    return this.buf[this.pos++];
  }

  varint(what: string): number {
    const buf = this.buf;
    let p = this.pos;
    const end = this.end;
    if (p < end) {
      const b = buf[p];
      if (b < 0x80) {
        this.pos = p + 1;
        return b;
      }
    }
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (p >= end) throw truncated(what);
      const b = buf[p++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (v > Number.MAX_SAFE_INTEGER) break;
        this.pos = p;
        return v;
      }
      mul *= 128;
    }
    throw corrupt(`${what}: varint is too long`);
  }

  /** A varint that must be <= max (counts, indexes): CORRUPT otherwise. */
  bounded(what: string, max: number): number {
    const v = this.varint(what);
    if (v > max) throw corrupt(`${what} ${v} exceeds ${max}`);
    return v;
  }

  skip(n: number, what: string): number {
    if (n > this.end - this.pos) throw truncated(what);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  string(what: string): string {
    const n = this.varint(what);
    if (n === 0) return '';
    const at = this.skip(n, what);
    return utf8Slice(this.buf, at, at + n);
  }

  f64(what: string): number {
    const at = this.skip(8, what);
    return this.buf.readDoubleLE(at);
  }

  i64(what: string): bigint {
    const at = this.skip(8, what);
    return this.buf.readBigInt64LE(at);
  }

  /** Reads a section length and returns a reader over it, advancing past it. */
  section(what: string): ByteReader {
    const n = this.varint(what);
    const at = this.skip(n, what);
    return new ByteReader(this.buf, at, at + n);
  }
}
