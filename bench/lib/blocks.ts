// Splits a series into codec blocks and checks the round trip, shared by the codec suite and
// `--metrics-csv`. Data bytes/point = encoded block bytes (headers included) / points.
import { firstBitMismatch } from './bits.js';

/** Points per encoded block in every bench (the engine's block size). */
export const BLOCK_POINTS = 8192;

export type SeriesEncoder = (tsMs: Float64Array, values: Float64Array) => Uint8Array;
export type SeriesDecoder = (block: Uint8Array) => { tsMs: Float64Array; values: Float64Array };

export function encodeBlocks(tsMs: Float64Array, values: Float64Array, encode: SeriesEncoder, blockPoints = BLOCK_POINTS): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  for (let i = 0; i < tsMs.length; i += blockPoints) {
    blocks.push(encode(tsMs.subarray(i, i + blockPoints), values.subarray(i, i + blockPoints)));
  }
  return blocks;
}

export function totalBytes(blocks: readonly Uint8Array[]): number {
  let n = 0;
  for (const b of blocks) n += b.length;
  return n;
}

/** Decodes every block and compares with the input bit for bit; returns what differs, or null. */
export function verifyRoundTrip(blocks: readonly Uint8Array[], tsMs: Float64Array, values: Float64Array, decode: SeriesDecoder, blockPoints = BLOCK_POINTS): string | null {
  for (let b = 0; b < blocks.length; b++) {
    const start = b * blockPoints;
    const wantTs = tsMs.subarray(start, start + blockPoints);
    const wantValues = values.subarray(start, start + blockPoints);
    const got = decode(blocks[b]);
    const tsAt = firstBitMismatch(got.tsMs, wantTs);
    if (tsAt === -2) return `block ${b}: decoded ${got.tsMs.length} timestamps, expected ${wantTs.length}`;
    if (tsAt >= 0) return `block ${b}: timestamp ${start + tsAt} decoded as ${got.tsMs[tsAt]}, expected ${wantTs[tsAt]}`;
    const vAt = firstBitMismatch(got.values, wantValues);
    if (vAt === -2) return `block ${b}: decoded ${got.values.length} values, expected ${wantValues.length}`;
    if (vAt >= 0) return `block ${b}: value ${start + vAt} decoded as ${got.values[vAt]}, expected ${wantValues[vAt]} (bits differ)`;
  }
  return null;
}
