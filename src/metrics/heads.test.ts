// Heads: geometric growth from a tiny start, and sortDedupe's contract (sorted by time, the later
// write wins for equal timestamps) against a naive oracle on seeded shuffled input.
import { describe, expect, it } from 'vitest';
import { Prng } from '../../bench/gen/prng.js';
import { Head, HeadSlabs, sortDedupe } from './heads.js';
import { mergeRuns } from './points.js';

describe('heads', () => {
  it('grows from a few points and tracks range and sequence', () => {
    const h = new Head();
    expect(h.bytes).toBe(64);
    for (let i = 0; i < 1000; i++) h.append(1000 - i, i, 5 + i, 8192);
    expect(h.n).toBe(1000);
    expect(h.minTsMs).toBe(1);
    expect(h.maxTsMs).toBe(1000);
    expect(h.lastSeq).toBe(1004);
    expect(h.bytes).toBeLessThanOrEqual(16 * 1024);
    const s = h.sortedCopy();
    expect(s.tsMs[0]).toBe(1);
    expect(s.values[0]).toBe(999);
  });

  it('heads sharing slabs keep their own points through interleaved growth, take() and reuse', () => {
    const prng = new Prng(9);
    const slabs = new HeadSlabs();
    const heads: Head[] = [];
    const oracle: number[][] = [];
    for (let i = 0; i < 2000; i++) {
      heads.push(new Head(undefined, slabs));
      oracle.push([]);
    }
    // Round robin with random skips: every head grows through several classes while its neighbours do.
    for (let step = 0; step < 160_000; step++) {
      const i = prng.int(0, heads.length - 1);
      const t = step;
      heads[i].append(t, -t, step, 8192);
      oracle[i].push(t, -t);
      if (prng.int(0, 3000) === 0) {
        // A cut: the taken points are exact, and the head starts over in fresh storage.
        expect(Array.from(heads[i].take())).toEqual(oracle[i]);
        heads[i] = new Head(undefined, slabs);
        oracle[i] = [];
      }
    }
    heads.forEach((h, i) => {
      expect(h.n).toBe(oracle[i].length / 2);
      expect(Array.from(h.pairs())).toEqual(oracle[i]);
    });
    const peakChunks = slabs.chunkCount;
    expect(peakChunks).toBeGreaterThan(40);
    for (const h of heads) h.take();
    // Emptied chunks go back: at most one spare chunk per size class stays.
    expect(slabs.chunkCount).toBeLessThanOrEqual(25);
  });

  it('a head past the largest class gets its own array, handed over by take() without a copy', () => {
    const h = new Head(undefined, new HeadSlabs());
    for (let i = 0; i < 40_000; i++) h.append(i, i, 1, Number.MAX_SAFE_INTEGER);
    expect(h.n).toBe(40_000);
    const pairs = h.take();
    expect(pairs.length).toBeGreaterThanOrEqual(80_000);
    expect(pairs[79_998]).toBe(39_999);
    expect(h.n).toBe(0);
  });

  it('sorts and keeps the last write of each timestamp', () => {
    const prng = new Prng(3);
    for (let round = 0; round < 50; round++) {
      const n = prng.int(0, 300);
      const pairs = new Float64Array(2 * n);
      const oracle = new Map<number, number>();
      for (let i = 0; i < n; i++) {
        const t = prng.int(0, 100);
        pairs[2 * i] = t;
        pairs[2 * i + 1] = i;
        oracle.set(t, i);
      }
      const got = sortDedupe(pairs, n);
      const keys = [...oracle.keys()].sort((a, b) => a - b);
      expect(Array.from(got.tsMs)).toEqual(keys);
      expect(Array.from(got.values)).toEqual(keys.map((k) => oracle.get(k)));
    }
  });

  it('merges runs in write order (later run wins) and concatenates disjoint ones', () => {
    const a = { tsMs: Float64Array.of(1, 2, 3), values: Float64Array.of(1, 1, 1) };
    const b = { tsMs: Float64Array.of(2, 5), values: Float64Array.of(2, 2) };
    const m = mergeRuns([a, b]);
    expect(Array.from(m.tsMs)).toEqual([1, 2, 3, 5]);
    expect(Array.from(m.values)).toEqual([1, 2, 1, 2]);
    const c = { tsMs: Float64Array.of(6, 7), values: Float64Array.of(3, 3) };
    expect(Array.from(mergeRuns([a, c]).tsMs)).toEqual([1, 2, 3, 6, 7]);
  });
});
