// Rollup block payload: the bucket columns of one series and one tier, each column encoded with the
// series codec against the bucket start times (regular starts cost ~nothing after the first column
// thanks to delta-of-delta; values use the codec's decimal path when they have few digits).
//   u8 version 1 | u8 columns (7) | u16 0 | per column: u32 bytes | series block(startMs, column)
// Column order: min, max, sum, count, first, last, increase. The columns are the query layer's
// RollupColumns (src/metrics/query/rollups.ts: the one rollup implementation); the bucket width is
// not stored (the tier says it), so decoding takes it.
import { CodecError } from '../codec/errors.js';
import { decodeSeries, encodeSeries } from '../codec/series.js';
import type { RollupColumns } from './query/rollups.js';

export type { RollupColumns };

export const ROLLUP_COLUMNS = ['min', 'max', 'sum', 'count', 'first', 'last', 'increase'] as const;
export type RollupColumn = (typeof ROLLUP_COLUMNS)[number];

export function encodeRollup(cols: RollupColumns): Uint8Array {
  const parts = ROLLUP_COLUMNS.map((c) => encodeSeries(cols.startMs, cols[c]));
  let total = 4;
  for (const p of parts) total += 4 + p.length;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out[0] = 1;
  out[1] = ROLLUP_COLUMNS.length;
  let at = 4;
  for (const p of parts) {
    dv.setUint32(at, p.length, true);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}

export function decodeRollup(payload: Uint8Array, bucketMs: number): RollupColumns {
  if (payload.length < 4) throw new CodecError('TRUNCATED', `rollup payload of ${payload.length} bytes is shorter than its header`);
  if (payload[0] !== 1 || payload[1] !== ROLLUP_COLUMNS.length) {
    throw new CodecError('UNSUPPORTED', `rollup payload: unknown version ${payload[0]} / ${payload[1]} columns`);
  }
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  let at = 4;
  let startMs: Float64Array | undefined;
  const cols: Partial<Record<RollupColumn, Float64Array>> = {};
  for (const c of ROLLUP_COLUMNS) {
    if (at + 4 > payload.length) throw new CodecError('TRUNCATED', 'rollup payload truncated');
    const len = dv.getUint32(at, true);
    if (at + 4 + len > payload.length) throw new CodecError('TRUNCATED', 'rollup payload truncated');
    const d = decodeSeries(payload.subarray(at + 4, at + 4 + len));
    startMs ??= d.tsMs;
    if (d.tsMs.length !== startMs.length) throw new CodecError('CORRUPT', 'rollup columns disagree on bucket count');
    cols[c] = d.values;
    at += 4 + len;
  }
  return { bucketMs, startMs: startMs ?? new Float64Array(0), ...(cols as Record<RollupColumn, Float64Array>) };
}
