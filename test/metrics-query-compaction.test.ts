// Queries that select metrics by `__name__` matchers (one query over many metrics), raw compaction
// across days (sparse series get week-long blocks; answers, rollups and retention unchanged), and
// the rollup block codec over the query layer's rollup columns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Timeless, MetricsError } from '../src/index.js';
import { createPool, type Pool } from '../src/pool/pool.js';
import { rollupBuckets, ROLLUP_FIELDS } from '../src/metrics/query/rollups.js';
import { decodeRollup, encodeRollup } from '../src/metrics/rollup-codec.js';
import { plain, T0, tempDir } from './metrics-helpers.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
let pool: Pool;
beforeAll(() => {
  pool = createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

async function withStore<T>(fn: (tl: Timeless) => Promise<T>, poolDecodeBytes?: number): Promise<T> {
  const t = tempDir('query-compaction');
  const tl = await Timeless.open({ dataDir: t.dir, pool, metrics: { compactIntervalMs: 0, poolDecodeBytes }, retention: { intervalSec: 0 } });
  try {
    return await fn(tl);
  } finally {
    await tl.close();
    t.remove();
  }
}

describe('query by __name__ matchers', () => {
  for (const poolDecodeBytes of [0, 1 << 30]) {
    it(`answers many metrics in one query (${poolDecodeBytes === 0 ? 'pool' : 'main thread'} decode)`, async () => {
      await withStore(async (tl) => {
        for (let i = 0; i < 600; i++) {
          tl.metrics.write('app_cpu', { host: 'a' }, i, T0 + i * 60_000);
          tl.metrics.write('app_mem', { host: 'a' }, 2 * i, T0 + i * 60_000);
          tl.metrics.write('app_mem', { host: 'b' }, 3 * i, T0 + i * 60_000);
          tl.metrics.write('other', { host: 'a' }, 4 * i, T0 + i * 60_000);
        }
        await tl.metrics.checkpoint();
        await tl.metrics.compactNow();
        const q = { fromMs: T0, toMs: T0 + 10 * HOUR - 1, stepMs: HOUR, agg: 'sum' as const };
        const all = await tl.metrics.query({ ...q, matchers: [{ label: '__name__', op: '=~', value: 'app_.*' }] });
        // Sorted by labels, then by name; each series carries its own metric name.
        expect(all.map((s) => [s.name, s.labels.host])).toEqual([
          ['app_cpu', 'a'],
          ['app_mem', 'a'],
          ['app_mem', 'b'],
        ]);
        for (const s of all) {
          const single = await tl.metrics.query({ ...q, name: s.name, matchers: { host: s.labels.host } });
          expect(plain(single)).toEqual(plain([s]));
        }
        const everything = await tl.metrics.query({ ...q, matchers: [{ label: '__name__', op: '=~', value: '.+' }, { label: 'host', op: '=', value: 'a' }] });
        expect(everything.map((s) => s.name)).toEqual(['app_cpu', 'app_mem', 'other']);
        // name and __name__ matchers combine (both must hold).
        expect((await tl.metrics.query({ ...q, name: 'other', matchers: [{ label: '__name__', op: '=~', value: 'app_.*' }] })).length).toBe(0);
        // groupBy across metrics: the group's name is the members' common name, else ''.
        const grouped = await tl.metrics.query({ ...q, matchers: [{ label: '__name__', op: '=~', value: 'app_.*' }], groupBy: ['host'] });
        expect(grouped.map((g) => [g.name, g.labels.host])).toEqual([
          ['', 'a'],
          ['app_mem', 'b'],
        ]);
        expect(grouped[0].values[0]).toBe(all[0].values[0] + all[1].values[0]);
        const latest = await tl.metrics.latest(undefined, [{ label: '__name__', op: '!=', value: 'other' }]);
        expect(latest.map((p) => [p.name, p.labels.host, p.value])).toEqual([
          ['app_cpu', 'a', 599],
          ['app_mem', 'a', 1198],
          ['app_mem', 'b', 1797],
        ]);
      }, poolDecodeBytes);
    });
  }

  it('refuses a query with neither a name nor a __name__ matcher', async () => {
    await withStore(async (tl) => {
      tl.metrics.write('m', { k: 'v' }, 1, T0);
      const err = await tl.metrics.query({ matchers: { k: 'v' }, fromMs: T0, toMs: T0 + 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MetricsError);
      expect((err as MetricsError).code).toBe('INVALID_QUERY');
      const bad = await tl.metrics.latest(undefined).catch((e: unknown) => e);
      expect((bad as MetricsError).code).toBe('INVALID_QUERY');
    });
  });
});

describe('raw compaction across days', () => {
  it('packs a sparse series into week-long blocks; answers, rollups and retention hold', async () => {
    await withStore(async (tl) => {
      // 14 days at 5 min (288 points/day), sealed in 2 h heads: 168 small raw blocks.
      const n = 14 * 288;
      const values: number[] = [];
      for (let i = 0; i < n; i++) {
        values.push(Math.round(100 * Math.sin(i / 40)) / 10);
        tl.metrics.write('sparse', { s: '1' }, values[i], T0 + i * 300_000);
        if (i % 500 === 499) await tl.metrics.checkpoint();
      }
      await tl.metrics.checkpoint();
      const rawQ = { name: 'sparse', fromMs: T0, toMs: T0 + 14 * DAY };
      const dailyQ = { name: 'sparse', fromMs: T0, toMs: T0 + 14 * DAY - 1, stepMs: DAY, agg: 'avg' as const };
      const stepQ = { name: 'sparse', fromMs: T0 + 3 * DAY + 7 * HOUR, toMs: T0 + 9 * DAY, stepMs: 1_800_000, agg: 'max' as const };
      const before = await Promise.all([rawQ, dailyQ, stepQ].map((q) => tl.metrics.query(q)));
      expect((await tl.metrics.stats()).blocks).toBeGreaterThan(100);

      await tl.metrics.compactNow();
      const stats = await tl.metrics.stats();
      expect(stats.blocks).toBe(2); // days 1-7 and 8-14, 2,016 points each (≤ blockPoints, ≤ 7 days)
      expect(stats.points).toBe(n);
      const after = await Promise.all([rawQ, dailyQ, stepQ].map((q) => tl.metrics.query(q)));
      expect(after.map(plain)).toEqual(before.map(plain));
      expect(Array.from(after[0][0].values)).toEqual(values);
      // A second run finds nothing to do (the packed blocks are final).
      expect((await tl.metrics.compactNow()).groups).toBe(0);

      // Retention keeps a block until its newest point is past the horizon.
      const kept = await tl.retention.runNow(T0 + 7 * DAY + 7 * DAY - HOUR);
      expect(kept.metrics.tiers.find((x) => x.tier === 'raw')!.blocksDeleted).toBe(0);
      const dropped = await tl.retention.runNow(T0 + 7 * DAY + 7 * DAY + HOUR);
      expect(dropped.metrics.tiers.find((x) => x.tier === 'raw')!.blocksDeleted).toBe(1);
      expect(dropped.metrics.segmentFilesDeleted).toBeGreaterThan(0);
      const rest = await tl.metrics.query(rawQ);
      expect(rest[0].tsMs[0]).toBe(T0 + 7 * DAY);
      expect(rest[0].tsMs.length).toBe(7 * 288);
      // The daily rollups still answer for the dropped week, equal to the raw answer before.
      expect(plain(await tl.metrics.query(dailyQ))).toEqual(plain(before[1]));
    });
  });
});

describe('rollup codec', () => {
  it('round-trips the query layer rollup columns', () => {
    const ts = Float64Array.from({ length: 500 }, (_, i) => T0 + i * 97_000);
    const vs = Float64Array.from({ length: 500 }, (_, i) => (i % 37 === 0 ? NaN : (i * 7) % 101));
    const cols = rollupBuckets(ts, vs, HOUR);
    const back = decodeRollup(encodeRollup(cols), HOUR);
    expect(back.bucketMs).toBe(HOUR);
    for (const f of ROLLUP_FIELDS) expect(Array.from(back[f])).toEqual(Array.from(cols[f]));
    expect(() => decodeRollup(new Uint8Array([9, 7, 0, 0]), HOUR)).toThrow(/version/);
  });
});
