// MemoryGuard with an injected RSS and GC: refuses only while over the soft limit (the limit minus
// memorySpikeBytes, by default 20 % of it) AND the engine has something pending (else it admits one
// batch and warns once that the limit is below the working set), counts both, reports since when it
// is over, runs a full GC above the hard limit at most once a second, and stops its timer.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultSpikeBytes, FORCED_GC_MIN_INTERVAL_MS, MemoryGuard, MIN_MEMORY_LIMIT_BYTES, type MemoryGuardOptions } from './memory-guard.js';

const MIB = 1024 * 1024;
const LIMIT = 64 * MIB;
/** The default soft limit of LIMIT: 64 MiB - 20 %. */
const SOFT = LIMIT - defaultSpikeBytes(LIMIT);

describe('MemoryGuard', () => {
  const guards: MemoryGuard[] = [];
  afterEach(() => {
    for (const g of guards.splice(0)) g.stop();
    vi.useRealTimers();
  });
  /** A guard over `rss`; its GCs are counted in `gcs` (and do nothing unless `onGc` changes rss). */
  function make(rss: { bytes: number }, o: Partial<MemoryGuardOptions> & { onGc?: () => void } = {}): MemoryGuard & { gcs: number } {
    const counter = { gcs: 0 };
    const g = new MemoryGuard({
      limitBytes: LIMIT,
      rssBytes: () => rss.bytes,
      warn: () => undefined,
      collect: () => {
        counter.gcs++;
        o.onGc?.();
        return true;
      },
      ...o,
    });
    guards.push(g);
    return Object.defineProperty(g, 'gcs', { get: () => counter.gcs }) as MemoryGuard & { gcs: number };
  }

  it('admits everything under the soft limit, refuses writes with pending bytes above it, and admits again when RSS falls', () => {
    expect(SOFT).toBe(LIMIT - Math.floor(12.8 * MIB));
    const rss = { bytes: 40 * MIB };
    const g = make(rss);
    expect(g.over).toBe(false);
    expect(g.softLimitBytes).toBe(SOFT);
    expect(g.refusal(10 * MIB)).toBeUndefined();
    rss.bytes = 60 * MIB;
    // Sampled on the timer, not per write: nothing changes until the next sample.
    expect(g.refusal(1)).toBeUndefined();
    g.sample();
    expect(g.over).toBe(true);
    const reason = g.refusal(1);
    expect(reason).toBe('process RSS 60 MiB is above the soft memory limit 51 MiB (memoryLimitBytes 64 MiB - memorySpikeBytes)');
    expect(g.refusal(5 * MIB)).toMatch(/RSS 60 MiB/);
    // Between the soft and the hard limit: refusals, no GC.
    expect(g.gcs).toBe(0);
    // Exactly at the soft limit is not over it.
    rss.bytes = SOFT;
    g.sample();
    expect(g.over).toBe(false);
    expect(g.refusal(5 * MIB)).toBeUndefined();
    expect(g.stats()).toEqual({ limitBytes: LIMIT, softLimitBytes: SOFT, rssBytes: SOFT, over: false, refusedWrites: 2, admittedOverLimit: 0, forcedGcs: 0 });
  });

  it('takes memorySpikeBytes as the room below the limit (0: refusals start at the limit itself), and checks it', () => {
    const rss = { bytes: 60 * MIB };
    const g = make(rss, { spikeBytes: 0 });
    expect(g.softLimitBytes).toBe(LIMIT);
    expect(g.over).toBe(false);
    rss.bytes = LIMIT + 1;
    g.sample();
    expect(g.over).toBe(true);
    const wide = make({ bytes: 20 * MIB }, { spikeBytes: 40 * MIB });
    expect(wide.softLimitBytes).toBe(24 * MIB);
    expect(wide.stats().softLimitBytes).toBe(24 * MIB);
    // The soft limit stays ≥ 16 MiB; whole bytes only.
    for (const bad of [-1, 0.5, LIMIT - 16 * MIB + 1, LIMIT, Number.NaN, '1' as unknown as number]) {
      expect(() => new MemoryGuard({ limitBytes: LIMIT, spikeBytes: bad, rssBytes: () => 0 }), String(bad)).toThrow(/memorySpikeBytes must be an integer number of bytes from 0 to memoryLimitBytes - 16 MiB/);
    }
    make({ bytes: 0 }, { spikeBytes: LIMIT - 16 * MIB });
  });

  it('above the hard limit: a full GC, at most once a second, and RSS read again after it', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const rss = { bytes: 70 * MIB };
    // The GC gives back 8 MiB: still over the hard limit.
    const g = make(rss, { onGc: () => (rss.bytes -= 8 * MIB) });
    expect(g.gcs).toBe(1); // the first sample, at construction
    expect(g.stats()).toMatchObject({ rssBytes: 62 * MIB, over: true, forcedGcs: 1 });
    rss.bytes = 70 * MIB;
    g.sample();
    vi.advanceTimersByTime(FORCED_GC_MIN_INTERVAL_MS - 1);
    g.sample();
    expect(g.gcs).toBe(1);
    vi.advanceTimersByTime(1);
    g.sample();
    expect(g.gcs).toBe(2);
    // Between the soft and the hard limit: none.
    vi.advanceTimersByTime(5 * FORCED_GC_MIN_INTERVAL_MS);
    rss.bytes = 60 * MIB;
    g.sample();
    expect(g.gcs).toBe(2);
    // A runtime without a GC to call: nothing counted.
    const none = make({ bytes: 70 * MIB }, { collect: () => false });
    expect(none.stats()).toMatchObject({ over: true, forcedGcs: 0 });
  });

  it('over the limit with nothing pending: admits (one batch at a time), counts it and warns once', () => {
    const rss = { bytes: 100 * MIB };
    const warnings: string[] = [];
    const g = make(rss, { warn: (m) => warnings.push(m) });
    expect(g.over).toBe(true);
    expect(g.refusal(0)).toBeUndefined();
    expect(g.refusal(0)).toBeUndefined();
    expect(g.refusal(1)).toBeDefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^timeless: process RSS 100 MiB is above the soft memory limit 51 MiB \(memoryLimitBytes 64 MiB - memorySpikeBytes\) .*below the process's working set/);
    expect(g.stats()).toMatchObject({ over: true, refusedWrites: 1, admittedOverLimit: 2 });
  });

  it('reports since when RSS has been over the soft limit, and forgets it once under', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_700_000_000_000);
    const rss = { bytes: 10 * MIB };
    const g = make(rss);
    expect(g.stats().overSinceMs).toBeUndefined();
    rss.bytes = 60 * MIB;
    g.sample();
    vi.setSystemTime(1_700_000_005_000);
    g.sample();
    expect(g.stats()).toMatchObject({ over: true, rssBytes: 60 * MIB, overSinceMs: 1_700_000_000_000 });
    rss.bytes = 10 * MIB;
    g.sample();
    expect('overSinceMs' in g.stats()).toBe(false);
  });

  it('samples on its timer (unref’d) until stopped', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const rss = { bytes: 10 * MIB };
    const reads = vi.fn(() => rss.bytes);
    const g = new MemoryGuard({ limitBytes: LIMIT, rssBytes: reads, checkIntervalMs: 50, collect: () => false });
    guards.push(g);
    expect(reads).toHaveBeenCalledTimes(1); // at construction: the first write sees a sample
    rss.bytes = 60 * MIB;
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
