// Rollup block payload: the bucket columns of one series and one tier, each column encoded with the
// series codec against the bucket start times (regular starts cost ~nothing after the first column
// thanks to delta-of-delta; values use the codec's decimal path when they have few digits).
//   u8 version 1 | u8 columns (7) | u16 0 | per column: u32 bytes | series block(startMs, column)
// Column order: min, max, sum, count, first, last, increase.
import { decodeSeries, encodeSeries } from '../codec/series.js';

export const ROLLUP_COLUMNS = ['min', 'max', 'sum', 'count', 'first', 'last', 'increase'] as const;
export type RollupColumn = (typeof ROLLUP_COLUMNS)[number];

/** Buckets of one series as parallel columns, sorted by startMs, one row per bucket. */
export interface RollupColumns {
  startMs: Float64Array;
  min: Float64Array;
  max: Float64Array;
  sum: Float64Array;
  count: Float64Array;
  first: Float64Array;
  last: Float64Array;
  increase: Float64Array;
}

export function emptyRollup(n: number): RollupColumns {
  return {
    startMs: new Float64Array(n),
    min: new Float64Array(n),
    max: new Float64Array(n),
    sum: new Float64Array(n),
    count: new Float64Array(n),
    first: new Float64Array(n),
    last: new Float64Array(n),
    increase: new Float64Array(n),
  };
}

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

export function decodeRollup(payload: Uint8Array): RollupColumns {
  if (payload.length < 4 || payload[0] !== 1 || payload[1] !== ROLLUP_COLUMNS.length) {
    throw new Error(`rollup payload: unknown version ${payload[0]} / ${payload[1]} columns`);
  }
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  let at = 4;
  let startMs: Float64Array | undefined;
  const cols: Partial<RollupColumns> = {};
  for (const c of ROLLUP_COLUMNS) {
    if (at + 4 > payload.length) throw new Error('rollup payload truncated');
    const len = dv.getUint32(at, true);
    if (at + 4 + len > payload.length) throw new Error('rollup payload truncated');
    const d = decodeSeries(payload.subarray(at + 4, at + 4 + len));
    startMs ??= d.tsMs;
    if (d.tsMs.length !== startMs.length) throw new Error('rollup columns disagree on bucket count');
    cols[c] = d.values;
    at += 4 + len;
  }
  return { startMs: startMs ?? new Float64Array(0), ...(cols as Omit<RollupColumns, 'startMs'>) };
}
