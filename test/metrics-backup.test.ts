// Backup taken while writes keep coming: the backup directory opens as a data directory and
// answers exactly like the source for everything written before the backup started.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Timeless } from '../src/index.js';
import { createPool, type Pool } from '../src/pool/pool.js';
import { plain, T0, tempDir } from './metrics-helpers.js';

let pool: Pool;
beforeAll(() => {
  pool = createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

describe('metrics backup', () => {
  it('is consistent during concurrent writes and reopens with the same answers', async () => {
    const t = tempDir('backup');
    try {
      const tl = await Timeless.open({
        dataDir: t.dir,
        pool,
        metrics: { blockPoints: 200, walMaxBytes: 64 * 1024, compactIntervalMs: 20 },
        retention: { intervalSec: 0 },
      });
      let k = 0;
      const writeSome = (n: number) => {
        for (let j = 0; j < n; j++, k++) for (const s of ['a', 'b', 'c', 'd']) tl.metrics.write('bk', { s }, k * 0.25, T0 + k * 1000);
      };
      writeSome(3000);
      await tl.metrics.flush();
      const cutoffMs = T0 + k * 1000; // everything before this was written before the backup began
      let stop = false;
      const writer = (async () => {
        while (!stop) {
          writeSome(50);
          await tl.metrics.flush();
          await new Promise((r) => setImmediate(r));
        }
      })();
      const report = await tl.backup();
      stop = true;
      await writer;
      expect(report.path.startsWith(path.join(t.dir, 'backups'))).toBe(true);
      expect(report.files).toBeGreaterThan(2);
      expect(report.bytes).toBeGreaterThan(0);

      const queries = [
        { name: 'bk', fromMs: T0, toMs: cutoffMs - 1 },
        { name: 'bk', fromMs: T0, toMs: cutoffMs - 1, stepMs: 60_000, agg: 'avg' as const },
        { name: 'bk', fromMs: T0, toMs: cutoffMs - 1, stepMs: 3_600_000, agg: 'sum' as const, groupBy: [] },
      ];
      const want = [];
      for (const q of queries) want.push(plain(await tl.metrics.query(q)));
      expect(want[0][0].tsMs.length).toBe(3000);
      await tl.close();

      const restored = await Timeless.open({ dataDir: report.path, pool, metrics: { compactIntervalMs: 0 }, retention: { intervalSec: 0 } });
      for (let i = 0; i < queries.length; i++) expect(plain(await restored.metrics.query(queries[i]))).toEqual(want[i]);
      // Whatever it holds past the cutoff is a prefix of what the source acknowledged: no gaps.
      const all = await restored.metrics.query({ name: 'bk', fromMs: T0, toMs: T0 + 1e9 });
      for (const s of all) s.tsMs.forEach((ts, i) => expect(ts).toBe(T0 + i * 1000));
      await restored.close();
    } finally {
      t.remove();
    }
  });
});
