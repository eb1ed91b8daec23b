// crc32c through build/bytes.wasm (slicing-by-8). Same results as src/codec/reference/crc32c.ts.
import { wasm } from './wasm.js';

/** Bytes copied into wasm per call: bounds the scratch this bridge claims for huge inputs. */
const CHUNK_BYTES = 1 << 20;

/**
 * crc32c (Castagnoli) of `bytes`; `seed` is a previous result, so crc32c(b, crc32c(a)) equals
 * crc32c(a ++ b). Check value: crc32c(ascii "123456789") === 0xE3069283.
 */
export function crc32c(bytes: Uint8Array, seed = 0): number {
  const h = wasm('bytes');
  const update = h.exports.crc32cUpdate as (ptr: number, len: number, seed: number) => number;
  const base = h.ensure(Math.min(bytes.length, CHUNK_BYTES));
  let crc = seed >>> 0;
  for (let i = 0; i < bytes.length; i += CHUNK_BYTES) {
    const part = bytes.subarray(i, Math.min(bytes.length, i + CHUNK_BYTES));
    h.u8().set(part, base);
    crc = update(base, part.length, crc) >>> 0;
  }
  return crc;
}
