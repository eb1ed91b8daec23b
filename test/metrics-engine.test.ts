// The metrics engine through the public API: writes, queries (raw, steps, groupBy, matchers),
// latest, listings, out-of-order and duplicate points, typed input errors that keep accepted data,
// reopen (WAL replay + sealed blocks), backpressure, and two stores side by side.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Timeless, MetricsError } from '../src/index.js';
import { createPool, type Pool } from '../src/pool/pool.js';
import { plain, T0, tempDir } from './metrics-helpers.js';

let pool: Pool;
beforeAll(() => {
  pool = createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

async function withStore<T>(fn: (tl: Timeless, dir: string) => Promise<T>, metrics = {}): Promise<T> {
  const t = tempDir('engine');
  const tl = await Timeless.open({ dataDir: t.dir, pool, metrics: { compactIntervalMs: 0, ...metrics }, retention: { intervalSec: 0 } });
  try {
    return await fn(tl, t.dir);
  } finally {
    await tl.close();
    t.remove();
  }
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as MetricsError).code;
  }
  return undefined;
}

describe('metrics engine', () => {
  it('round-trips raw points across heads and sealed blocks, with matchers', async () => {
    await withStore(
      async (tl) => {
        const a = { host: 'a', dc: 'eu' };
        for (let i = 0; i < 1000; i++) {
          tl.metrics.write('cpu', a, i / 10, T0 + i * 10_000);
          tl.metrics.write('cpu', { host: 'b', dc: 'us' }, -i, T0 + i * 10_000);
          tl.metrics.write('mem', { host: 'a' }, i * 1024, T0 + i * 10_000);
        }
        await tl.metrics.flush();
        const all = await tl.metrics.query({ name: 'cpu', fromMs: T0, toMs: T0 + 1e9 });
        expect(all.map((s) => s.labels)).toEqual([{ dc: 'eu', host: 'a' }, { dc: 'us', host: 'b' }]);
        expect(Array.from(all[0].values)).toEqual(Array.from({ length: 1000 }, (_, i) => i / 10));
        expect(Array.from(all[1].tsMs)).toEqual(Array.from({ length: 1000 }, (_, i) => T0 + i * 10_000));
        expect(all.skipped).toEqual([]);
        // Sealing happened (blockPoints 128) and reads merge blocks + head.
        await tl.metrics.checkpoint();
        expect((await tl.metrics.stats()).blocks).toBeGreaterThan(8);
        const again = await tl.metrics.query({ name: 'cpu', fromMs: T0, toMs: T0 + 1e9 });
        expect(plain(again)).toEqual(plain(all));
        const sub = await tl.metrics.query({ name: 'cpu', fromMs: T0 + 100_000, toMs: T0 + 200_000, matchers: { host: 'b' } });
        expect(sub.length).toBe(1);
        expect(Array.from(sub[0].values)).toEqual(Array.from({ length: 11 }, (_, i) => -(i + 10)));
        const ops = async (op: '=' | '!=' | '=~' | '!~', value: string) =>
          (await tl.metrics.query({ name: 'cpu', fromMs: T0, toMs: T0 + 1e9, matchers: [{ label: 'dc', op, value }] })).map((s) => s.labels.host);
        expect(await ops('=', 'eu')).toEqual(['a']);
        expect(await ops('!=', 'eu')).toEqual(['b']);
        expect(await ops('=~', 'e.|u.')).toEqual(['a', 'b']);
        expect(await ops('!~', 'e.*')).toEqual(['b']);
        expect(await ops('=~', 'e')).toEqual([]);
      },
      { blockPoints: 128 },
    );
  });

  it('aggregates steps, rate over a counter reset, and groupBy', async () => {
    await withStore(async (tl) => {
      // Counter: +10 per 10 s, reset to 0 at i = 30.
      for (let i = 0; i < 60; i++) {
        const v = i < 30 ? i * 10 : (i - 30) * 10;
        tl.metrics.write('req', { route: '/a', pod: '1' }, v, T0 + i * 10_000);
        tl.metrics.write('req', { route: '/a', pod: '2' }, i, T0 + i * 10_000);
        tl.metrics.write('req', { route: '/b', pod: '3' }, 100, T0 + i * 10_000);
      }
      const q = { name: 'req', fromMs: T0, toMs: T0 + 599_999, stepMs: 60_000 };
      const inc = await tl.metrics.query({ ...q, agg: 'increase', matchers: { pod: '1' } });
      // Bucket 0 has 5 steps of 10; the reset at i=30 (value 0) adds 0; every other step adds 10.
      expect(Array.from(inc[0].values)).toEqual([50, 60, 60, 60, 60, 50, 60, 60, 60, 60]);
      const rate = await tl.metrics.query({ ...q, agg: 'rate', matchers: { pod: '1' } });
      expect(rate[0].values[1]).toBeCloseTo(1, 12);
      const avg = await tl.metrics.query({ ...q, agg: 'avg', matchers: { pod: '2' } });
      expect(Array.from(avg[0].values)).toEqual([2.5, 8.5, 14.5, 20.5, 26.5, 32.5, 38.5, 44.5, 50.5, 56.5]);
      for (const [agg, want] of [['min', 0], ['max', 5], ['sum', 15], ['count', 6], ['last', 5]] as const) {
        const r = await tl.metrics.query({ ...q, agg, matchers: { pod: '2' } });
        expect(r[0].values[0]).toBe(want);
      }
      const grouped = await tl.metrics.query({ ...q, agg: 'max', groupBy: ['route'] });
      expect(grouped.map((s) => s.labels)).toEqual([{ route: '/a' }, { route: '/b' }]);
      expect(grouped[0].values[0]).toBe(50); // max over pods 1 and 2 in the first minute
      expect(grouped[1].values[9]).toBe(100);
      const total = await tl.metrics.query({ ...q, agg: 'sum', groupBy: [] });
      expect(total.length).toBe(1);
      expect(total[0].values[0]).toBe((0 + 10 + 20 + 30 + 40 + 50) + 15 + 600);
    });
  });

  it('answers hourly and daily steps from rollups the same as from raw points', async () => {
    await withStore(
      async (tl) => {
        for (let i = 0; i < 3 * 8640; i++) tl.metrics.write('g', { k: 'v' }, (i % 97) + 0.5, T0 + i * 10_000);
        await tl.metrics.checkpoint();
        const raw = await tl.metrics.query({ name: 'g', fromMs: T0, toMs: T0 + 3 * 86_400_000 - 1 });
        const byHand = (stepMs: number) => {
          const sums = new Map<number, number>();
          raw[0].tsMs.forEach((t, i) => {
            const b = T0 + Math.floor((t - T0) / stepMs) * stepMs;
            sums.set(b, Math.max(sums.get(b) ?? -Infinity, raw[0].values[i]));
          });
          return [...sums.values()];
        };
        for (const stepMs of [3_600_000, 86_400_000, 2 * 3_600_000]) {
          const r = await tl.metrics.query({ name: 'g', fromMs: T0, toMs: T0 + 3 * 86_400_000 - 1, stepMs, agg: 'max' });
          expect(Array.from(r[0].values)).toEqual(byHand(stepMs));
        }
        // A range ending inside a bucket: the last bucket holds exactly the points up to toMs.
        const toMs = T0 + 30 * 3_600_000 + 1_200_000 - 1;
        const mid = await tl.metrics.query({ name: 'g', fromMs: T0, toMs, stepMs: 3_600_000, agg: 'count' });
        expect(mid[0].values.length).toBe(31);
        expect(mid[0].values[30]).toBe(120);
        const midDay = await tl.metrics.query({ name: 'g', fromMs: T0, toMs, stepMs: 86_400_000, agg: 'sum' });
        let want = 0;
        raw[0].tsMs.forEach((t, i) => {
          if (t >= T0 + 86_400_000 && t <= toMs) want += raw[0].values[i];
        });
        expect(midDay[0].values[1]).toBeCloseTo(want, 6);
        const cnt = await tl.metrics.query({ name: 'g', fromMs: T0, toMs: T0 + 3 * 86_400_000 - 1, stepMs: 86_400_000, agg: 'count' });
        expect(Array.from(cnt[0].values)).toEqual([8640, 8640, 8640]);
        const stats = await tl.metrics.stats();
        expect(stats.rollupRows).toBeGreaterThanOrEqual(3 * 24 + 3);
      },
      { blockPoints: 1000 },
    );
  });

  it('keeps the last write for duplicate timestamps and sorts out-of-order points', async () => {
    await withStore(
      async (tl) => {
        const l = { s: '1' };
        for (const i of [5, 1, 3, 2, 4, 0]) tl.metrics.write('x', l, i, T0 + i * 1000);
        tl.metrics.write('x', l, 33, T0 + 3000);
        await tl.metrics.checkpoint(); // sealed: dedupe in the worker
        tl.metrics.write('x', l, 44, T0 + 4000); // newer write in the head wins over the block
        tl.metrics.write('x', l, -1, T0 - 1000);
        const r = await tl.metrics.query({ name: 'x', fromMs: T0 - 5000, toMs: T0 + 10_000 });
        expect(Array.from(r[0].tsMs)).toEqual([-1, 0, 1, 2, 3, 4, 5].map((i) => T0 + i * 1000));
        expect(Array.from(r[0].values)).toEqual([-1, 0, 1, 2, 33, 44, 5]);
        const latest = await tl.metrics.latest('x');
        expect(latest).toEqual([{ name: 'x', labels: l, tsMs: T0 + 5000, value: 5 }]);
      },
      { blockPoints: 4 },
    );
  });

  it('lists metrics, label names, label values and series; stores metadata', async () => {
    await withStore(async (tl) => {
      tl.metrics.write('http_requests_total', { method: 'GET', code: '200' }, 1, T0);
      tl.metrics.write('http_requests_total', { method: 'POST', code: '500' }, 1, T0);
      tl.metrics.write('process.cpu', { host: 'h', empty: '' }, 1, T0);
      tl.metrics.defineMetric('http_requests_total', { type: 'counter', unit: '1', help: 'requests' });
      expect(tl.metrics.listMetrics()).toEqual(['http_requests_total', 'process.cpu']);
      expect(tl.metrics.labelNames('http_requests_total')).toEqual(['code', 'method']);
      expect(tl.metrics.labelNames()).toEqual(['code', 'host', 'method']);
      expect(tl.metrics.labelValues('http_requests_total', 'method')).toEqual(['GET', 'POST']);
      expect(tl.metrics.series('process.cpu')).toEqual([{ name: 'process.cpu', labels: { host: 'h' } }]);
      expect(tl.metrics.series('http_requests_total', [{ label: 'code', op: '=~', value: '5..' }])).toEqual([
        { name: 'http_requests_total', labels: { code: '500', method: 'POST' } },
      ]);
      expect(tl.metrics.metricMeta('http_requests_total')).toEqual({ type: 'counter', unit: '1', help: 'requests' });
    });
  });

  it('rejects invalid input with typed errors and keeps the data already accepted', async () => {
    await withStore(async (tl) => {
      tl.metrics.write('ok', { a: '1' }, 1, T0);
      expect(codeOf(() => tl.metrics.write('bad name!', {}, 1, T0))).toBe('INVALID_NAME');
      expect(codeOf(() => tl.metrics.write('ok', { 'bad-label': 'x' }, 1, T0))).toBe('INVALID_LABELS');
      expect(codeOf(() => tl.metrics.write('ok', { a: 1 as unknown as string }, 1, T0))).toBe('INVALID_LABELS');
      expect(codeOf(() => tl.metrics.write('ok', { a: '1' }, '2' as unknown as number, T0))).toBe('INVALID_VALUE');
      expect(codeOf(() => tl.metrics.write('ok', { a: '1' }, 2, Number.NaN))).toBe('INVALID_TIME');
      expect(codeOf(() => tl.metrics.write('ok', { a: '1' }, 2, -5))).toBe('INVALID_TIME');
      expect(
        codeOf(() =>
          tl.metrics.writeBatch([
            { name: 'ok', labels: { a: '1' }, value: 2, tsMs: T0 + 1 },
            { name: 'other', labels: { b: '1' }, value: 3, tsMs: T0 + 2 },
            { name: 'ok', labels: { a: '1' }, value: Symbol() as unknown as number, tsMs: T0 + 3 },
          ]),
        ),
      ).toBe('INVALID_VALUE');
      expect(codeOf(() => tl.metrics.writeBatch([{ name: '', labels: {}, value: 1 }]))).toBe('INVALID_NAME');
      await expect(tl.metrics.query({ name: 'ok', fromMs: 10, toMs: 5 })).rejects.toMatchObject({ code: 'INVALID_QUERY' });
      await expect(tl.metrics.query({ name: 'ok', fromMs: 0, toMs: 5, matchers: [{ label: 'a', op: '=~', value: '(' }] })).rejects.toMatchObject({
        code: 'INVALID_QUERY',
      });
      await tl.metrics.flush();
      const r = await tl.metrics.query({ name: 'ok', fromMs: T0, toMs: T0 + 10 });
      expect(plain(r)).toEqual([{ name: 'ok', labels: { a: '1' }, tsMs: [T0], values: [1] }]);
      expect(tl.metrics.listMetrics()).toEqual(['ok']); // the rejected batch created nothing
    });
  });

  it('reopens with identical answers (blocks via the index, heads via WAL replay)', async () => {
    const t = tempDir('reopen');
    try {
      const open = () => Timeless.open({ dataDir: t.dir, pool, metrics: { blockPoints: 50, compactIntervalMs: 0 }, retention: { intervalSec: 0 } });
      let tl = await open();
      for (let i = 0; i < 537; i++) {
        tl.metrics.write('m', { s: String(i % 3) }, Math.sin(i), T0 + i * 1000);
        if (i === 300) await tl.metrics.checkpoint();
      }
      tl.metrics.write('m', { s: '0' }, 7, T0); // an overwrite of a sealed point, only in the WAL
      await tl.metrics.flush();
      const q = { name: 'm', fromMs: T0, toMs: T0 + 1e6 };
      const before = plain(await tl.metrics.query(q));
      const statsBefore = await tl.metrics.stats();
      await tl.close();
      await expect(tl.metrics.query(q)).rejects.toMatchObject({ code: 'CLOSED' });
      expect(codeOf(() => tl.metrics.write('m', {}, 1))).toBe('CLOSED');
      tl = await open();
      expect(plain(await tl.metrics.query(q))).toEqual(before);
      expect(before[0].values[0]).toBe(7);
      const statsAfter = await tl.metrics.stats();
      expect(statsAfter.points).toBe(statsBefore.points);
      expect(statsAfter.series).toBe(3);
      await tl.metrics.checkpoint();
      await tl.metrics.compactNow();
      expect(plain(await tl.metrics.query(q))).toEqual(before);
      await tl.close();
    } finally {
      t.remove();
    }
  });

  it('throws BACKPRESSURE past maxPendingBytes and flush() waits it out', async () => {
    await withStore(
      async (tl) => {
        let refused: MetricsError | undefined;
        let accepted = 0;
        for (let i = 0; i < 100_000 && !refused; i++) {
          try {
            tl.metrics.write('bp', { s: String(i % 1000) }, i, T0 + i);
            accepted++;
          } catch (err) {
            refused = err as MetricsError;
          }
        }
        expect(refused?.code).toBe('BACKPRESSURE');
        expect(refused?.message).toMatch(/maxPendingBytes/);
        await tl.metrics.flush();
        tl.metrics.write('bp', { s: 'after' }, 1, T0);
        const stats = await tl.metrics.stats();
        expect(stats.points).toBe(accepted + 1);
      },
      { maxPendingBytes: 256 * 1024 },
    );
  });

  it('runs two stores side by side and refuses a second open of one data dir', async () => {
    const a = tempDir('a');
    const b = tempDir('b');
    try {
      const A = await Timeless.open({ dataDir: a.dir, pool: { threads: 1 }, retention: { intervalSec: 0 } });
      const B = await Timeless.open({ dataDir: b.dir, pool, retention: { intervalSec: 0 } });
      await expect(Timeless.open({ dataDir: a.dir, pool })).rejects.toMatchObject({ code: 'DATA_DIR_LOCKED' });
      A.metrics.write('only_a', {}, 1, T0);
      B.metrics.write('only_b', {}, 2, T0);
      await Promise.all([A.flush(), B.flush()]);
      expect(A.metrics.listMetrics()).toEqual(['only_a']);
      expect(B.metrics.listMetrics()).toEqual(['only_b']);
      await A.close();
      await B.close();
      // B shared the caller's pool: still usable.
      expect(pool.activeThreads).toBeGreaterThan(0);
    } finally {
      a.remove();
      b.remove();
    }
  });
});
