// Lowercase hex ids (traceId 32 chars, spanId 16 chars) <-> raw bytes. Stored raw: half the bytes,
// and random ids do not compress anyway.
import { Buffer } from 'node:buffer';

/**
 * Nibble value of each char code, -1 for anything but lowercase hex: ids are lowercase by contract
 * (normalize lowercases input), and decoding yields lowercase, so upper case could not round-trip.
 */
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) NIBBLE[97 + i] = 10 + i;

/**
 * Writes the `bytes` bytes of hex string `s` into dst at off. Returns false (writing garbage into
 * dst) when s is not exactly 2*bytes lowercase hex chars, so callers can raise their own typed error.
 */
export function hexInto(s: string, bytes: number, dst: Uint8Array, off: number): boolean {
  if (s.length !== bytes * 2) return false;
  for (let i = 0; i < bytes; i++) {
    const c1 = s.charCodeAt(2 * i);
    const c2 = s.charCodeAt(2 * i + 1);
    const hi = c1 < 128 ? NIBBLE[c1] : -1;
    const lo = c2 < 128 ? NIBBLE[c2] : -1;
    if ((hi | lo) < 0) return false;
    dst[off + i] = (hi << 4) | lo;
  }
  return true;
}

/** True when s is exactly `chars` lowercase hex characters. */
export function isHex(s: string, chars: number): boolean {
  if (s.length !== chars) return false;
  for (let i = 0; i < chars; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || NIBBLE[c] < 0) return false;
  }
  return true;
}

// Node's Buffer has per-encoding slicers (hexSlice, utf8Slice, latin1Slice) behind toString; calling
// them directly skips toString's argument handling and the Buffer view it allocates per call, which
// shows up when decoding millions of short strings. Fall back to toString where they are missing.
interface Slicers {
  utf8Write?: (s: string, offset: number, length: number) => number;
  hexSlice?: (start: number, end: number) => string;
  utf8Slice?: (start: number, end: number) => string;
  latin1Slice?: (start: number, end: number) => string;
}
const proto = Buffer.prototype as unknown as Slicers;
const HEX = proto.hexSlice;
const UTF8 = proto.utf8Slice;
const LATIN1 = proto.latin1Slice;
const UTF8_WRITE = proto.utf8Write;

/** Writes s as UTF-8 at buf[offset...] (at most `length` bytes); returns the bytes written. */
export function utf8Write(buf: Buffer, s: string, offset: number, length: number): number {
  return UTF8_WRITE !== undefined ? UTF8_WRITE.call(buf, s, offset, length) : buf.write(s, offset, length, 'utf8');
}

/** Lowercase hex of buf[start, end). */
export function hexSlice(buf: Buffer, start: number, end: number): string {
  return HEX !== undefined ? HEX.call(buf, start, end) : buf.toString('hex', start, end);
}

/** UTF-8 text of buf[start, end) (invalid sequences become U+FFFD). */
export function utf8Slice(buf: Buffer, start: number, end: number): string {
  return UTF8 !== undefined ? UTF8.call(buf, start, end) : buf.toString('utf8', start, end);
}

/** Latin-1 text of buf[start, end). */
export function latin1Slice(buf: Buffer, start: number, end: number): string {
  return LATIN1 !== undefined ? LATIN1.call(buf, start, end) : buf.toString('latin1', start, end);
}

/** Lowercase hex of buf[off, off + n). */
export function hexOf(buf: Buffer, off: number, n: number): string {
  return hexSlice(buf, off, off + n);
}

/** A Buffer over the same memory as u8 (no copy), for Node's native utf8/hex slicing. */
export function bufferView(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

/** Slots of the direct-mapped caches keyed by random hex ids (hexSlot values are below this). */
export const HEX_SLOTS = 1 << 12;

/**
 * 12-bit slot of a hex id from its first three chars (random ids: uniform). Garbage for non-hex
 * text, which is harmless: callers compare the full id before trusting a slot.
 */
export function hexSlot(s: string): number {
  const a = s.charCodeAt(0);
  const b = s.charCodeAt(1);
  const c = s.charCodeAt(2);
  return ((((a & 15) + (a >> 6) * 9) << 8) | (((b & 15) + (b >> 6) * 9) << 4) | ((c & 15) + (c >> 6) * 9)) & (HEX_SLOTS - 1);
}
