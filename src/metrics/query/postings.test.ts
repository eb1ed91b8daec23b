// Postings: seeded add/remove sequences against a Set oracle (both representations, growth and
// shrink), and the sorted set operations against brute force.
import { describe, expect, it } from 'vitest';
import { Prng } from '../../../bench/gen/prng.js';
import { difference, intersect, postingAdd, postingIds, postingRemove, postingSize, unionAll, type Posting } from './postings.js';
import { lowerBound, upperBound } from './sorted.js';

function sortedUnique(rng: Prng, n: number, max: number): Uint32Array {
  const s = new Set<number>();
  n = Math.min(n, max + 1); // a set cannot hold more distinct values than the range has
  while (s.size < n) s.add(rng.int(0, max));
  return Uint32Array.from([...s].sort((a, b) => a - b));
}

describe('postings', () => {
  for (const seed of [7, 8, 9]) {
    it(`seed ${seed}: random add/remove matches a Set`, () => {
      const rng = new Prng(seed);
      let p: Posting | undefined;
      const oracle = new Set<number>();
      for (let i = 0; i < 5000; i++) {
        const id = rng.float() < 0.5 ? rng.int(0, 300) : rng.int(0, 0xffffffff);
        if (rng.float() < 0.55 || oracle.size === 0) {
          p = postingAdd(p, id);
          oracle.add(id);
        } else {
          const victim = rng.float() < 0.8 ? rng.pick([...oracle]) : id;
          p = postingRemove(p, victim);
          oracle.delete(victim);
        }
        expect(postingSize(p)).toBe(oracle.size);
        if (i % 97 === 0) expect(Array.from(postingIds(p))).toEqual([...oracle].sort((a, b) => a - b));
      }
    });
  }

  it('single id is a plain number; two ids an array; back to a number on removal', () => {
    let p: Posting | undefined = postingAdd(undefined, 5);
    expect(p).toBe(5);
    p = postingAdd(p, 5);
    expect(p).toBe(5);
    p = postingAdd(p, 2);
    expect(Array.from(postingIds(p))).toEqual([2, 5]);
    p = postingRemove(p, 2);
    expect(p).toBe(5);
    expect(postingRemove(p, 5)).toBeUndefined();
    expect(postingRemove(undefined, 1)).toBeUndefined();
  });

  it('set operations equal brute force', () => {
    const rng = new Prng(11);
    for (let round = 0; round < 200; round++) {
      const a = sortedUnique(rng, rng.int(0, 50), rng.pick([60, 1000]));
      const b = sortedUnique(rng, rng.int(0, rng.pick([50, 2000])), rng.pick([60, 3000]));
      const sb = new Set(b);
      const sa = new Set(a);
      expect(Array.from(intersect(a, b))).toEqual([...a].filter((x) => sb.has(x)));
      expect(Array.from(difference(a, b))).toEqual([...a].filter((x) => !sb.has(x)));
      expect(Array.from(difference(b, a))).toEqual([...b].filter((x) => !sa.has(x)));
      expect(Array.from(unionAll([a, b]))).toEqual([...new Set([...a, ...b])].sort((x, y) => x - y));
    }
    expect(unionAll([]).length).toBe(0);
  });

  it('lowerBound / upperBound', () => {
    const a = [1, 3, 3, 3, 7];
    expect([0, 1, 2, 3, 7, 8].map((x) => lowerBound(a, 0, a.length, x))).toEqual([0, 0, 1, 1, 4, 5]);
    expect([0, 1, 2, 3, 7, 8].map((x) => upperBound(a, 0, a.length, x))).toEqual([0, 1, 1, 4, 5, 5]);
  });
});
