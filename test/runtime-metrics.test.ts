// Timeless.open()'s runtime metrics (issue #8): on by default, stored and queryable like any metric,
// off with `runtimeMetrics: false`, stopped by close(), bad options refused before anything opens.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Timeless } from '../src/index.js';
import { createPool, type Pool } from '../src/pool/pool.js';
import { tempDir } from './metrics-helpers.js';

let pool: Pool;
beforeAll(() => {
  pool = createPool({ threads: 1 });
});
afterAll(async () => {
  await pool.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const RUNTIME = { label: '__name__', op: '=~' as const, value: '(process|nodejs)_.+' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withStore<T>(opts: Partial<Parameters<typeof Timeless.open>[0]>, fn: (tl: Timeless, dir: string) => Promise<T>): Promise<T> {
  const t = tempDir('runtime');
  const tl = await Timeless.open({ dataDir: t.dir, pool, retention: { intervalSec: 0 }, metrics: { compactIntervalMs: 0 }, ...opts });
  try {
    return await fn(tl, t.dir);
  } finally {
    await tl.close();
    t.remove();
  }
}

/** Points of one series so far (bounded wait until at least `n`). */
async function waitForPoints(tl: Timeless, name: string, n: number): Promise<number[]> {
  for (let i = 0; i < 1000; i++) {
    const r = await tl.metrics.query({ name, fromMs: 0, toMs: Date.now() + 60_000 });
    if (r.length > 0 && r[0].tsMs.length >= n) return [...r[0].tsMs];
    await sleep(10);
  }
  throw new Error(`${name}: fewer than ${n} points after 10 s`);
}

describe('runtime metrics of Timeless.open()', () => {
  it('writes the runtime series every intervalMs, with metadata and increasing timestamps', async () => {
    await withStore({ runtimeMetrics: { intervalMs: 50 } }, async (tl) => {
      const ts = await waitForPoints(tl, 'nodejs_heap_size_used_bytes', 4);
      for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThan(ts[i - 1]);

      expect(tl.metrics.metricMeta('process_cpu_user_seconds_total')).toMatchObject({ type: 'counter', unit: 'seconds' });
      expect(tl.metrics.metricMeta('nodejs_eventloop_utilization_ratio')).toMatchObject({ type: 'gauge', unit: 'ratio' });
      expect(tl.metrics.metricMeta('process_resident_memory_bytes')).toMatchObject({ type: 'gauge', unit: 'bytes' });

      const all = await tl.metrics.query({ matchers: [RUNTIME], fromMs: 0, toMs: Date.now() + 60_000 });
      const names = new Set(all.map((s) => s.name));
      for (const name of ['process_cpu_system_seconds_total', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_active_handles', 'nodejs_array_buffers_bytes']) {
        expect(names.has(name), name).toBe(true);
      }
      const gcKinds = all.filter((s) => s.name === 'nodejs_gc_runs_total').map((s) => s.labels.kind).sort();
      expect(gcKinds).toEqual(['incremental', 'major', 'minor', 'weakcb']);
      // Counters stored as written: never decreasing.
      for (const s of all.filter((x) => x.name.endsWith('_total'))) {
        for (let i = 1; i < s.values.length; i++) expect(s.values[i], s.name).toBeGreaterThanOrEqual(s.values[i - 1]);
      }
    });
  });

  it('is on by default (10 s: the metadata is defined at open) and off with runtimeMetrics: false', async () => {
    await withStore({}, async (tl) => {
      expect(tl.metrics.metricMeta('nodejs_heap_size_used_bytes')).toMatchObject({ type: 'gauge', unit: 'bytes' });
    });
    await withStore({ runtimeMetrics: false }, async (tl) => {
      tl.metrics.write('app_ticks_total', {}, 1);
      await sleep(150);
      expect(tl.metrics.metricMeta('nodejs_heap_size_used_bytes')).toBeUndefined();
      expect(await tl.metrics.query({ matchers: [RUNTIME], fromMs: 0, toMs: Date.now() + 60_000 })).toHaveLength(0);
      expect(tl.metrics.listMetrics()).toEqual(['app_ticks_total']);
    });
  });

  it('stops with close(): no write after it, no error', async () => {
    const warn = vi.spyOn(console, 'warn');
    const t = tempDir('runtime-close');
    try {
      const tl = await Timeless.open({ dataDir: t.dir, pool, retention: { intervalSec: 0 }, runtimeMetrics: { intervalMs: 20 } });
      const before = await waitForPoints(tl, 'nodejs_active_handles', 2);
      await tl.close();
      const closedAt = Date.now();
      await sleep(150); // several intervals: a live timer would have tried to write into the closed store
      expect(warn.mock.calls.filter((c) => String(c[0]).includes('runtime metrics'))).toEqual([]);

      const again = await Timeless.open({ dataDir: t.dir, pool, retention: { intervalSec: 0 }, runtimeMetrics: false });
      try {
        const r = await again.metrics.query({ name: 'nodejs_active_handles', fromMs: 0, toMs: Date.now() + 60_000 });
        const ts = [...r[0].tsMs];
        expect(ts.length).toBeGreaterThanOrEqual(before.length);
        expect(ts[ts.length - 1]).toBeLessThanOrEqual(closedAt);
      } finally {
        await again.close();
      }
    } finally {
      t.remove();
    }
  });

  it('refuses bad runtimeMetrics values before taking the data directory', async () => {
    const t = tempDir('runtime-bad');
    try {
      const open = (runtimeMetrics: unknown) => Timeless.open({ dataDir: t.dir, pool, runtimeMetrics: runtimeMetrics as never });
      await expect(open('on')).rejects.toThrow(TypeError);
      await expect(open({ intervalMs: '50' })).rejects.toThrow(TypeError);
      await expect(open({ intervalMs: 0 })).rejects.toThrow(RangeError);
      await expect(open({ intervalMs: Number.NaN })).rejects.toThrow(RangeError);
      // Nothing was left locked by the refused opens.
      const tl = await Timeless.open({ dataDir: t.dir, pool, retention: { intervalSec: 0 }, runtimeMetrics: false });
      await tl.close();
    } finally {
      t.remove();
    }
  });
});
