// The hashed key map must never confuse two series: hits are confirmed by the caller, and keys whose
// 30-bit hashes collide (found by brute force here) both stay reachable.
import { describe, expect, it } from 'vitest';
import { hash30, SeriesKeyMap } from './series-keys.js';

function collidingPair(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const key = JSON.stringify(['m', { pod: `pod-${i}` }]);
    const h = hash30(key);
    const other = seen.get(h);
    if (other !== undefined) return [other, key];
    seen.set(h, key);
  }
}

describe('SeriesKeyMap', () => {
  it('hashes to non-negative 30-bit integers', () => {
    for (const s of ['', 'a', '["up",{}]', 'é€😀'.repeat(50)]) {
      const h = hash30(s);
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 30).toBe(true);
    }
  });

  it('keeps colliding keys apart and returns only confirmed ids', () => {
    const [a, b] = collidingPair();
    expect(hash30(a)).toBe(hash30(b));
    const keys = new Map<number, string>([[1, a], [2, b]]);
    const confirm = (key: string) => (id: number) => keys.get(id) === key;
    const m = new SeriesKeyMap();
    m.set(a, 1);
    expect(m.get(b, confirm(b))).toBeUndefined(); // same hash, different key: not a hit
    m.set(b, 2);
    expect(m.get(a, confirm(a))).toBe(1);
    expect(m.get(b, confirm(b))).toBe(2);
    expect(m.size).toBe(2);
    expect(m.get('["other",{}]', confirm('["other",{}]'))).toBeUndefined();
  });

  it('maps many keys to their ids', () => {
    const m = new SeriesKeyMap();
    const key = (i: number) => JSON.stringify(['http_requests_total', { route: `/r/${i % 97}`, status: String(200 + (i % 5)), pod: `p${i}` }]);
    for (let i = 0; i < 20_000; i++) m.set(key(i), i);
    const byId = (i: number) => key(i);
    for (let i = 0; i < 20_000; i += 7) expect(m.get(key(i), (id) => byId(id) === key(i))).toBe(i);
    expect(m.size).toBe(20_000);
  });
});
