// The lz block compressor, plain-TypeScript reference (twin of build/bytes.wasm via src/codec/lz.ts).
// Frame: "TLZ" v1, raw length, crc32c of the raw bytes, then raw or LZ+FSE blocks. The byte format is
// specified in assembly/README.md ("Byte compressor").
import { CodecError, CODEC_ERROR_CODES, type CodecErrorCode } from '../errors.js';
import { crc32c } from './crc32c.js';
import { ByteOut } from './lz-bits.js';
import { decodeBlock, DecoderState, readVarint } from './lz-decode.js';
import { encodeBlock, TableHistory } from './lz-encode.js';
import {
  BLOCK_BYTES, BLOCK_LZ, BLOCK_RAW, FRAME_HEADER_BYTES, LZ_MAGIC, LZ_MAX_OUTPUT_BYTES, LZ_VERSION, MAX_BLOCK_BYTES,
} from './lz-format.js';
import { hashLogFor, LEVELS, MatchFinder, parseLazy, Sequences, windowLogFor, type LzLevel } from './lz-match.js';

export type { LzLevel } from './lz-match.js';
export { LZ_MAX_OUTPUT_BYTES } from './lz-format.js';

export function compress(bytes: Uint8Array, level: LzLevel = 'default'): Uint8Array {
  const p = LEVELS[level];
  if (!p) throw new CodecError('INVALID_INPUT', `unknown lz level ${String(level)}`);
  const n = bytes.length;
  if (n > LZ_MAX_OUTPUT_BYTES) throw new CodecError('TOO_LARGE', `lz input of ${n} bytes exceeds ${LZ_MAX_OUTPUT_BYTES}`);
  const out = new ByteOut(FRAME_HEADER_BYTES + n + (n >> 7) + 64);
  out.u8(LZ_MAGIC[0]);
  out.u8(LZ_MAGIC[1]);
  out.u8(LZ_MAGIC[2]);
  out.u8(LZ_VERSION);
  out.u32(n);
  out.u32(crc32c(bytes));
  const mf = new MatchFinder(bytes, hashLogFor(n, p), windowLogFor(n));
  const seqs = new Sequences((BLOCK_BYTES >> 1) + 1);
  const reps = Int32Array.of(1, 4, 8);
  const savedReps = new Int32Array(3);
  const hist = new TableHistory();
  const savedHist = new TableHistory();
  for (let start = 0; start < n; start += BLOCK_BYTES) {
    const end = Math.min(n, start + BLOCK_BYTES);
    savedReps.set(reps);
    savedHist.copyFrom(hist);
    parseLazy(bytes, start, end, mf, p, reps, seqs);
    const payload = encodeBlock(bytes, start, end, seqs, hist);
    if (payload.length < end - start) {
      out.u8(BLOCK_LZ);
      out.varint(end - start);
      out.varint(payload.length);
      out.bytes(payload);
    } else {
      // Stored raw: the decoder sees no sequences and no tables, so roll both back.
      reps.set(savedReps);
      hist.copyFrom(savedHist);
      out.u8(BLOCK_RAW);
      out.varint(end - start);
      out.bytes(bytes.subarray(start, end));
    }
  }
  return out.result();
}

function fail(code: CodecErrorCode, message: string): never {
  throw new CodecError(code, message);
}

function u32At(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}

/** Raw length declared by a frame header (after validating magic, version and the hard limit). */
export function frameRawLength(frame: Uint8Array): number {
  if (frame.length < FRAME_HEADER_BYTES) fail('TRUNCATED', 'lz frame shorter than its header');
  if (frame[0] !== LZ_MAGIC[0] || frame[1] !== LZ_MAGIC[1] || frame[2] !== LZ_MAGIC[2]) fail('CORRUPT', 'not an lz frame (bad magic)');
  if (frame[3] !== LZ_VERSION) fail('UNSUPPORTED', `lz frame version ${frame[3]}`);
  const n = u32At(frame, 4);
  if (n > LZ_MAX_OUTPUT_BYTES) fail('TOO_LARGE', `lz frame declares ${n} bytes (limit ${LZ_MAX_OUTPUT_BYTES})`);
  return n;
}

const NAMES = new Map<number, CodecErrorCode>(Object.entries(CODEC_ERROR_CODES).map(([k, v]) => [v, k as CodecErrorCode]));

export function decompress(frame: Uint8Array): Uint8Array {
  const n = frameRawLength(frame);
  const out = new Uint8Array(n);
  const st = new DecoderState();
  let pos = FRAME_HEADER_BYTES;
  let op = 0;
  const len = frame.length;
  while (op < n) {
    if (pos >= len) fail('TRUNCATED', 'lz frame ends before its last block');
    const type = frame[pos++];
    let size: number;
    [size, pos] = readVarint(frame, pos, len);
    if (size < 0) fail(NAMES.get(size)!, 'bad lz block header');
    if (size === 0 || size > MAX_BLOCK_BYTES || size > n - op) fail('CORRUPT', `bad lz block size ${size}`);
    if (type === BLOCK_RAW) {
      if (size > len - pos) fail('TRUNCATED', 'lz raw block truncated');
      out.set(frame.subarray(pos, pos + size), op);
      pos += size;
    } else if (type === BLOCK_LZ) {
      let plen: number;
      [plen, pos] = readVarint(frame, pos, len);
      if (plen < 0) fail(NAMES.get(plen)!, 'bad lz block header');
      if (plen > len - pos) fail('TRUNCATED', 'lz block payload truncated');
      const rc = decodeBlock(frame, pos, pos + plen, out, op, op + size, st);
      if (rc < 0) fail(NAMES.get(rc) ?? 'CORRUPT', 'lz block does not decode');
      pos += plen;
    } else fail('CORRUPT', `unknown lz block type ${type}`);
    op += size;
  }
  if (pos !== len) fail('CORRUPT', 'trailing bytes after the last lz block');
  if (crc32c(out) !== u32At(frame, 8)) fail('CHECKSUM_MISMATCH', 'lz content crc32c mismatch');
  return out;
}
