// Rollup payloads round-trip, and a damaged one fails with a typed CodecError (never a plain Error).
import { describe, expect, it } from 'vitest';
import { rollupBuckets, HOUR_MS } from './query/rollups.js';
import { decodeRollup, encodeRollup } from './rollup-codec.js';

const T0 = Date.UTC(2024, 0, 1);
const ts = Float64Array.from({ length: 720 }, (_, i) => T0 + i * 10_000);
const values = Float64Array.from({ length: 720 }, (_, i) => (i % 300) * 1.5 + (i % 7) / 4);

describe('rollup codec', () => {
  it('round-trips every column', () => {
    const cols = rollupBuckets(ts, values, HOUR_MS);
    const back = decodeRollup(encodeRollup(cols), HOUR_MS);
    expect(back).toEqual(cols);
  });

  it('rejects damaged payloads with typed errors', () => {
    const payload = encodeRollup(rollupBuckets(ts, values, HOUR_MS));
    expect(() => decodeRollup(payload.subarray(0, 3), HOUR_MS)).toThrowError(expect.objectContaining({ code: 'TRUNCATED' }));
    const badVersion = payload.slice();
    badVersion[0] = 9;
    expect(() => decodeRollup(badVersion, HOUR_MS)).toThrowError(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(() => decodeRollup(payload.subarray(0, payload.length - 5), HOUR_MS)).toThrowError(expect.objectContaining({ name: 'CodecError' }));
  });
});
