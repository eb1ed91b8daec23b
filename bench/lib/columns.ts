// The plain column layout used by the general-purpose compressor peers (brotli, deflate): delta-of-
// delta int64 timestamps followed by raw float64 values, little-endian. Not queryable, but a fair
// floor for what a block codec should beat (the same layout as the zstd/brotli rows in
// shared/data/README.md).
import zlib from 'node:zlib';

export function columnLayout(tsMs: Float64Array, values: Float64Array): Uint8Array {
  const n = tsMs.length;
  const out = new Uint8Array(n * 16);
  const view = new DataView(out.buffer);
  let prev = 0;
  let prevDelta = 0;
  for (let i = 0; i < n; i++) {
    const t = tsMs[i];
    const delta = i === 0 ? t : t - prev;
    const dod = i <= 1 ? delta : delta - prevDelta;
    view.setBigInt64(i * 8, BigInt(dod), true);
    prevDelta = delta;
    prev = t;
  }
  for (let i = 0; i < n; i++) view.setFloat64(n * 8 + i * 8, values[i], true);
  return out;
}

export function brotliBytes(bytes: Uint8Array, quality = 9): number {
  return zlib.brotliCompressSync(bytes, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: quality,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  }).length;
}

export function deflateBytes(bytes: Uint8Array, level = 9): number {
  return zlib.deflateRawSync(bytes, { level }).length;
}
