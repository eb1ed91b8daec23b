// MemoryGuard with an injected RSS: refuses only while over the limit AND the engine has something
// pending (else it admits one batch and warns once that the limit is below the working set), counts
// both, reports since when it is over, and stops its timer.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryGuard, MIN_MEMORY_LIMIT_BYTES } from './memory-guard.js';

const MIB = 1024 * 1024;
const LIMIT = 64 * MIB;

describe('MemoryGuard', () => {
  const guards: MemoryGuard[] = [];
  afterEach(() => {
    for (const g of guards.splice(0)) g.stop();
    vi.useRealTimers();
  });
  function make(rss: { bytes: number }, warn: (m: string) => void = () => undefined, checkIntervalMs?: number): MemoryGuard {
    const g = new MemoryGuard({ limitBytes: LIMIT, rssBytes: () => rss.bytes, warn, checkIntervalMs });
    guards.push(g);
    return g;
  }

  it('admits everything under the limit, refuses writes with pending bytes above it, and admits again when RSS falls', () => {
    const rss = { bytes: 40 * MIB };
    const g = make(rss);
    expect(g.over).toBe(false);
    expect(g.refusal(10 * MIB)).toBeUndefined();
    rss.bytes = 80 * MIB;
    // Sampled on the timer, not per write: nothing changes until the next sample.
    expect(g.refusal(1)).toBeUndefined();
    g.sample();
    expect(g.over).toBe(true);
    const reason = g.refusal(1);
    expect(reason).toBe('process RSS 80 MiB is above memoryLimitBytes 64 MiB');
    expect(g.refusal(5 * MIB)).toMatch(/RSS 80 MiB/);
    // Exactly at the limit is not over it.
    rss.bytes = LIMIT;
    g.sample();
    expect(g.over).toBe(false);
    expect(g.refusal(5 * MIB)).toBeUndefined();
    expect(g.stats()).toEqual({ limitBytes: LIMIT, rssBytes: LIMIT, over: false, refusedWrites: 2, admittedOverLimit: 0 });
  });

  it('over the limit with nothing pending: admits (one batch at a time), counts it and warns once', () => {
    const rss = { bytes: 100 * MIB };
    const warnings: string[] = [];
    const g = make(rss, (m) => warnings.push(m));
    expect(g.over).toBe(true);
    expect(g.refusal(0)).toBeUndefined();
    expect(g.refusal(0)).toBeUndefined();
    expect(g.refusal(1)).toBeDefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^timeless: process RSS 100 MiB is above memoryLimitBytes 64 MiB .*below the process's working set/);
    expect(g.stats()).toMatchObject({ over: true, refusedWrites: 1, admittedOverLimit: 2 });
  });

  it('reports since when RSS has been over the limit, and forgets it once under', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_700_000_000_000);
    const rss = { bytes: 10 * MIB };
    const g = make(rss);
    expect(g.stats().overSinceMs).toBeUndefined();
    rss.bytes = 70 * MIB;
    g.sample();
    vi.setSystemTime(1_700_000_005_000);
    g.sample();
    expect(g.stats()).toMatchObject({ over: true, rssBytes: 70 * MIB, overSinceMs: 1_700_000_000_000 });
    rss.bytes = 10 * MIB;
    g.sample();
    expect('overSinceMs' in g.stats()).toBe(false);
  });

  it('samples on its timer (unref’d) until stopped', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const rss = { bytes: 10 * MIB };
    const reads = vi.fn(() => rss.bytes);
    const g = new MemoryGuard({ limitBytes: LIMIT, rssBytes: reads, checkIntervalMs: 50 });
    guards.push(g);
    expect(reads).toHaveBeenCalledTimes(1); // at construction: the first write sees a sample
    rss.bytes = 70 * MIB;
    vi.advanceTimersByTime(50);
    expect(reads).toHaveBeenCalledTimes(2);
    expect(g.over).toBe(true);
    g.stop();
    rss.bytes = 10 * MIB;
    vi.advanceTimersByTime(500);
    expect(reads).toHaveBeenCalledTimes(2);
    expect(g.over).toBe(true);
  });

  it('refuses limits that are not whole bytes ≥ 32 MiB', () => {
    for (const bad of [0, -1, MIN_MEMORY_LIMIT_BYTES - 1, 64 * MIB + 0.5, Number.NaN, Infinity, '64' as unknown as number]) {
      expect(() => new MemoryGuard({ limitBytes: bad, rssBytes: () => 0 }), String(bad)).toThrow(RangeError);
    }
    expect(() => new MemoryGuard({ limitBytes: 64 * MIB, checkIntervalMs: 0, rssBytes: () => 0 })).toThrow(/interval/);
    const ok = new MemoryGuard({ limitBytes: MIN_MEMORY_LIMIT_BYTES, rssBytes: () => 0 });
    ok.stop();
  });
});
