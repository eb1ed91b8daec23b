// The metrics WAL record format: define + points records round-trip exactly (NaN payloads, ±0,
// negative time offsets), several records in one payload, the staging buffer's base-time limit.
import { describe, expect, it } from 'vitest';
import { Prng } from '../../bench/gen/prng.js';
import { decodeRecords, encodeDefine, MAX_TS_OFFSET, PointStaging } from './wal-records.js';

describe('metrics WAL records', () => {
  it('round-trips define and points records back to back', () => {
    const prng = new Prng(7);
    const st = new PointStaging(100);
    const want: number[] = [];
    const base = 1.7e12;
    for (let i = 0; i < 100; i++) {
      const id = prng.int(1, 2 ** 32 - 1);
      const ts = base + prng.int(-1e9, 1e9);
      const v = i % 10 === 0 ? NaN : i % 10 === 1 ? -0 : prng.normal() * 1e6;
      expect(st.push(id, ts, v)).toBe(true);
      want.push(id, ts, v);
    }
    expect(st.push(1, base, 1)).toBe(false); // full
    const def = encodeDefine(42, 'http.requests', { method: 'GET', path: '/é' });
    const points = st.seal(17).slice();
    const payload = new Uint8Array(def.length + points.length);
    payload.set(def);
    payload.set(points, def.length);
    const recs = decodeRecords(payload);
    expect(recs[0]).toEqual({ type: 'define', id: 42, name: 'http.requests', labels: { method: 'GET', path: '/é' } });
    expect(recs[1].type).toBe('points');
    if (recs[1].type !== 'points') return;
    expect(recs[1].seq).toBe(17);
    expect(Array.from(recs[1].triples)).toEqual(want);
    expect(Object.is(recs[1].triples[3 * 1 + 2], -0)).toBe(true);
    expect(st.count).toBe(0);
  });

  it('refuses a point too far from the record base time, accepts it in a new record', () => {
    const st = new PointStaging(10);
    expect(st.push(1, 0, 1)).toBe(true);
    expect(st.push(1, MAX_TS_OFFSET, 2)).toBe(true);
    expect(st.push(1, MAX_TS_OFFSET + 1, 3)).toBe(false);
    st.seal(1);
    expect(st.push(1, MAX_TS_OFFSET + 1, 3)).toBe(true);
  });

  it('throws on truncated or unknown records', () => {
    const st = new PointStaging(4);
    st.push(1, 5, 5);
    st.push(2, 6, 6);
    const rec = st.seal(1).slice();
    expect(() => decodeRecords(rec.subarray(0, rec.length - 1))).toThrow(/truncated/);
    expect(() => decodeRecords(rec.subarray(0, rec.length - 1))).toThrowError(expect.objectContaining({ code: 'WAL_CORRUPT' }));
    const bad = rec.slice();
    bad[0] = 9;
    expect(() => decodeRecords(bad)).toThrow(/unknown/);
    expect(() => decodeRecords(bad)).toThrowError(expect.objectContaining({ code: 'WAL_CORRUPT' }));
  });
});
