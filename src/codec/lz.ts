// The lz block compressor through build/bytes.wasm (the fast path; src/codec/reference/lz.ts is its
// byte-identical plain-TS twin). Layout in the wasm scratch area per call:
//   [input | 16 zero bytes][output][work]
// The codec may read a few bytes past the input (8-byte compares, 32-bit bit-reader loads): the
// zeroed padding keeps those reads inside our own region. Results are copied out with slice().
import { CodecError, codecErrorFromWasm } from './errors.js';
import { wasm } from './wasm.js';

export type LzLevel = 'fast' | 'default' | 'max';
/** Hard decoder limit on a frame's declared raw length (a hostile header cannot demand more). */
export const LZ_MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

const LEVELS: Record<LzLevel, number> = { fast: 0, default: 1, max: 2 };
const PAD_BYTES = 16;

function align16(n: number): number {
  return (n + 15) & ~15;
}

export function compress(bytes: Uint8Array, level: LzLevel = 'default'): Uint8Array {
  const lv = LEVELS[level];
  if (lv === undefined) throw new CodecError('INVALID_INPUT', `unknown lz level ${String(level)}`);
  const n = bytes.length;
  if (n > LZ_MAX_OUTPUT_BYTES) throw new CodecError('TOO_LARGE', `lz input of ${n} bytes exceeds ${LZ_MAX_OUTPUT_BYTES}`);
  const h = wasm('bytes');
  const e = h.exports;
  const outOff = align16(n + PAD_BYTES);
  const workOff = align16(outOff + (e.lzCompressBound(n) as number));
  const base = h.ensure(workOff + (e.lzWorkBytes(n, lv) as number) + PAD_BYTES);
  const mem = h.u8();
  mem.set(bytes, base);
  mem.fill(0, base + n, base + n + PAD_BYTES);
  const rc = e.lzCompress(base, n, base + outOff, base + workOff, lv) as number;
  if (rc < 0) throw codecErrorFromWasm(rc, 'lz compress');
  return h.u8().slice(base + outOff, base + outOff + rc);
}

export function decompress(frame: Uint8Array): Uint8Array {
  const h = wasm('bytes');
  const e = h.exports;
  const len = frame.length;
  let base = h.ensure(len + PAD_BYTES);
  let mem = h.u8();
  mem.set(frame, base);
  mem.fill(0, base + len, base + len + PAD_BYTES);
  const n = e.lzFrameRawLength(base, len) as number;
  if (n < 0) throw codecErrorFromWasm(n, 'lz decompress');
  const outOff = align16(len + PAD_BYTES);
  const workOff = align16(outOff + n + PAD_BYTES);
  base = h.ensure(workOff + (e.lzDecodeWorkBytes() as number) + PAD_BYTES);
  const rc = e.lzDecompress(base, len, base + outOff, base + workOff) as number;
  if (rc < 0) throw codecErrorFromWasm(rc, 'lz decompress');
  return h.u8().slice(base + outOff, base + outOff + n);
}
