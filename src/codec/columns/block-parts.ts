// How a block body becomes its payload (format 2): the body is cut at section boundaries into parts,
// and each part is compressed on its own (src/codec/lz.ts) or stored. Why parts:
// - the LZ stage's entropy tables then fit one kind of data each (time deltas, template slots,
//   signature ids...) instead of one table for the whole mix: about 2% smaller on web app logs;
// - random sections (trace and span ids) are stored as they are, without the match finder's time;
// - a messages-only decode decompresses only the parts it reads (the attributes are over half).
// The decoder concatenates the parts back into the body, whose layout (README.md) is unchanged.
//
//   payload = u8 format (2) | varint nParts | varint nMessageParts | nParts × part
//   part    = u8 kind (0 stored, 1 lz frame) | varint byteLength | bytes
import { Buffer } from 'node:buffer';
import { CodecError } from '../errors.js';
import { compress, decompress, LZ_MAX_OUTPUT_BYTES, type LzLevel } from '../lz.js';
import { ByteReader, ByteWriter, corrupt, truncated } from './bytes.js';
import { bufferView } from './hex.js';

export const PART_STORED = 0;
export const PART_LZ = 1;
/** Ranges smaller than this share a part with their neighbours: a frame costs its header and entropy tables (measured: 8 KiB beat 1-4 KiB and 16-32 KiB on web app logs and plain text). */
const PART_MIN_BYTES = 8192;
/** Byte offset of an lz frame's u32 raw length ("TLZ", version, then the length). */
const LZ_RAW_LENGTH_AT = 4;

/** Section boundaries of a body being written, and which sections are random bytes (stored). */
export class BodyCuts {
  private readonly marks: number[] = [0];
  private readonly stored: boolean[] = [];
  private messageEnd = -1;

  /** The section that ends at `pos` started at the previous mark; `stored`: it is random bytes. */
  mark(pos: number, stored = false): void {
    this.marks.push(pos);
    this.stored.push(stored);
  }

  /** Everything before `pos` (a mark) is what a messages-only decode reads. */
  markMessagesEnd(pos: number, stored = false): void {
    this.mark(pos, stored);
    this.messageEnd = this.marks.length - 1;
  }

  /** The payload: parts of the body (its bytes up to the last mark and beyond, all of them). */
  pack(format: number, body: Uint8Array, level: LzLevel): Uint8Array {
    if (this.marks[this.marks.length - 1] !== body.length) this.mark(body.length);
    const parts: { start: number; end: number; stored: boolean }[] = [];
    let cur: { start: number; end: number; stored: boolean } | undefined;
    let nMessage = 0;
    const flush = () => {
      if (cur !== undefined && cur.end > cur.start) parts.push(cur);
      cur = undefined;
    };
    for (let i = 0; i + 1 < this.marks.length; i++) {
      const start = this.marks[i];
      const end = this.marks[i + 1];
      if (end - start >= PART_MIN_BYTES) {
        flush();
        parts.push({ start, end, stored: this.stored[i] });
      } else if (cur === undefined) cur = { start, end, stored: false };
      else cur.end = end;
      if (i + 1 === this.messageEnd) {
        flush();
        nMessage = parts.length;
      }
    }
    flush();
    if (this.messageEnd < 0) nMessage = parts.length;
    const bodies = parts.map((p) => {
      const raw = body.subarray(p.start, p.end);
      return p.stored ? raw : compress(raw, level);
    });
    const head = new ByteWriter(16 + parts.length * 6);
    head.u8(format);
    head.varint(parts.length);
    head.varint(nMessage);
    let total = head.pos;
    for (const b of bodies) total += 6 + b.length;
    const out = new ByteWriter(total);
    out.append(head);
    for (let i = 0; i < parts.length; i++) {
      out.u8(parts[i].stored ? PART_STORED : PART_LZ);
      out.varint(bodies[i].length);
      out.bytes(bodies[i]);
    }
    return out.view().slice();
  }
}

/**
 * The body of a format-2 payload (payload[0] already checked): its parts decompressed and joined;
 * with `messagesOnly`, only the parts a messages-only decode reads.
 */
export function unpackParts(payload: Uint8Array, messagesOnly: boolean): Buffer {
  const buf = bufferView(payload);
  const r = new ByteReader(buf, 1, buf.length);
  const nParts = r.bounded('part count', r.remaining);
  const nMessage = r.bounded('messages-only part count', nParts);
  const want = messagesOnly ? nMessage : nParts;
  const pieces: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i < want; i++) {
    const kind = r.u8('part kind');
    if (kind !== PART_STORED && kind !== PART_LZ) throw corrupt(`part kind ${kind} is unknown`);
    const len = r.varint('part length');
    const at = r.skip(len, 'a part');
    const bytes = buf.subarray(at, at + len);
    let rawLen = len;
    if (kind === PART_LZ) {
      if (len < LZ_RAW_LENGTH_AT + 4) throw truncated('an lz part');
      rawLen = buf.readUInt32LE(at + LZ_RAW_LENGTH_AT);
    }
    total += rawLen;
    if (total > LZ_MAX_OUTPUT_BYTES) throw new CodecError('TOO_LARGE', `log block body exceeds ${LZ_MAX_OUTPUT_BYTES} bytes`);
    const piece = kind === PART_LZ ? decompress(bytes) : bytes;
    if (piece.length !== rawLen) throw corrupt('part length disagrees with its frame');
    pieces.push(piece);
  }
  if (!messagesOnly && r.remaining !== 0) throw corrupt('bytes after the last part');
  // The decoder only reads the body: a single piece (even a view into the payload) serves as is.
  if (pieces.length === 1) return bufferView(pieces[0]);
  const body = Buffer.allocUnsafe(total);
  let at = 0;
  for (const p of pieces) {
    body.set(p, at);
    at += p.length;
  }
  return body;
}
