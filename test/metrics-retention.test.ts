// Retention by age per tier: old raw and hourly blocks go, the daily rollup still answers for the
// old days, recent data is untouched, and segment files that lost all their blocks are deleted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Timeless } from '../src/index.js';
import { createPool, type Pool } from '../src/pool/pool.js';
import { listFiles, T0, tempDir } from './metrics-helpers.js';
import fs from 'node:fs';
import path from 'node:path';

const DAY = 86_400_000;
let pool: Pool;
beforeAll(() => {
  pool = createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

describe('metrics retention', () => {
  it('drops each tier by its own age and deletes emptied segment files', async () => {
    const t = tempDir('retention');
    const now = T0 + 100 * DAY;
    try {
      const tl = await Timeless.open({ dataDir: t.dir, pool, metrics: { compactIntervalMs: 0 }, retention: { intervalSec: 0 } });
      for (let i = 0; i < 3 * 144; i++) tl.metrics.write('r', { k: 'v' }, i % 10, T0 + i * 600_000); // 3 old days
      for (let i = 0; i < 60; i++) tl.metrics.write('r', { k: 'v' }, 5, now - 3_600_000 + i * 60_000); // last hour
      await tl.metrics.checkpoint();
      const seg = () => listFiles(path.join(t.dir, 'metrics')).filter((f) => f.endsWith('.seg'));
      const before = seg();
      expect(before.some((f) => f.startsWith('segments/2024-01-01/'))).toBe(true);
      expect(before.some((f) => f.startsWith('hourly/segments/2024-01-02/'))).toBe(true);

      const report = await tl.retention.runNow(now);
      const tiers = Object.fromEntries(report.metrics.tiers.map((x) => [x.tier, x.blocksDeleted]));
      expect(tiers.raw).toBeGreaterThan(0);
      expect(tiers.hourly).toBeGreaterThan(0);
      expect(tiers.daily).toBe(0);
      expect(report.metrics.segmentFilesDeleted).toBeGreaterThanOrEqual(6);

      const after = seg();
      // The row deletions were checkpointed back into index.db (from a pool worker) and its -wal cut.
      expect(fs.statSync(path.join(t.dir, 'metrics', 'index.db-wal')).size).toBe(0);
      expect(after.filter((f) => /^(hourly\/)?segments\/2024-01-0[1-3]\//.test(f))).toEqual([]);
      expect(after.some((f) => f.startsWith('daily/segments/2024-01-01/'))).toBe(true);

      const raw = await tl.metrics.query({ name: 'r', fromMs: T0, toMs: T0 + 3 * DAY });
      expect(raw.length).toBe(0);
      const daily = await tl.metrics.query({ name: 'r', fromMs: T0, toMs: T0 + 3 * DAY - 1, stepMs: DAY, agg: 'count' });
      expect(Array.from(daily[0].values)).toEqual([144, 144, 144]);
      const dailyMax = await tl.metrics.query({ name: 'r', fromMs: T0, toMs: T0 + 3 * DAY - 1, stepMs: DAY, agg: 'max' });
      expect(Array.from(dailyMax[0].values)).toEqual([9, 9, 9]);
      const recent = await tl.metrics.query({ name: 'r', fromMs: now - 3_600_000, toMs: now });
      expect(recent[0].tsMs.length).toBe(60);

      // A second run a year later removes the daily tier too.
      const later = await tl.retention.runNow(now + 365 * DAY);
      expect(later.metrics.tiers.find((x) => x.tier === 'daily')!.blocksDeleted).toBeGreaterThan(0);
      expect(seg().filter((f) => f.startsWith('daily/segments/2024-01-0'))).toEqual([]);
      await tl.close();
    } finally {
      t.remove();
    }
  });
});
