// A flipped byte inside a sealed block: the query returns everything else, names the bad block in
// `skipped`, stats count it, and the block's bytes on disk are never rewritten — not by queries,
// not by compaction (which skips that series), not on reopen. Both read paths: the pool (big reads)
// and the main thread (small reads).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Timeless } from '../src/index.js';
import { createPool, type Pool } from '../src/pool/pool.js';
import { T0, tempDir } from './metrics-helpers.js';

let pool: Pool;
beforeAll(() => {
  pool = createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

describe('metrics corrupt block', () => {
  it('skips and reports the bad block, returns the rest, never rewrites it', async () => {
    const t = tempDir('corrupt');
    const logs: string[] = [];
    const open = (poolDecodeBytes: number) =>
      Timeless.open({
        dataDir: t.dir,
        pool,
        metrics: { blockPoints: 100, compactIntervalMs: 0, poolDecodeBytes, log: (m) => logs.push(m) },
        retention: { intervalSec: 0 },
      });
    try {
      let tl = await open(0);
      for (let i = 0; i < 500; i++) {
        tl.metrics.write('c', { s: 'bad' }, i, T0 + i * 1000);
        tl.metrics.write('c', { s: 'good' }, -i, T0 + i * 1000);
      }
      await tl.metrics.checkpoint();
      // The third raw block of series "bad" (points 200..299).
      const db = new Database(path.join(t.dir, 'metrics', 'index.db'), { readonly: true });
      const row = db
        .prepare(
          `SELECT b.id, s.path AS file, b.offset, b.length, b.series_id AS seriesId FROM blocks b
           JOIN segments s ON s.id = b.segment_id JOIN series x ON x.id = b.series_id
           WHERE x.labels_json LIKE '%bad%' AND b.tier = 0 ORDER BY b.t_min LIMIT 1 OFFSET 2`,
        )
        .get() as { id: number; file: string; offset: number; length: number; seriesId: number };
      db.close();
      const abs = path.join(t.dir, 'metrics', row.file);
      const fd = fs.openSync(abs, 'r+');
      const byte = Buffer.alloc(1);
      fs.readSync(fd, byte, 0, 1, row.offset + 45);
      byte[0] ^= 0x20;
      fs.writeSync(fd, byte, 0, 1, row.offset + 45);
      fs.closeSync(fd);
      const blockBytes = () => fs.readFileSync(abs).subarray(row.offset, row.offset + row.length);
      const corrupted = Buffer.from(blockBytes());

      const check = async (tlx: Timeless) => {
        const r = await tlx.metrics.query({ name: 'c', fromMs: T0, toMs: T0 + 1e6 });
        expect(r.map((s) => s.labels.s)).toEqual(['bad', 'good']);
        expect(r[1].tsMs.length).toBe(500);
        const badTs = Array.from(r[0].tsMs);
        expect(badTs.length).toBe(400);
        expect(badTs.some((ts) => ts >= T0 + 200_000 && ts < T0 + 300_000)).toBe(false);
        expect(r[0].values[399]).toBe(499);
        expect(r.skipped).toEqual([{ seriesId: row.seriesId, file: row.file, offset: row.offset, reason: expect.stringMatching(/crc/) }]);
        const stepped = await tlx.metrics.query({ name: 'c', fromMs: T0, toMs: T0 + 1e6, stepMs: 100_000, agg: 'count', matchers: { s: 'bad' } });
        expect(Array.from(stepped[0].values)).toEqual([100, 100, 100, 100]);
        expect(stepped.skipped.length).toBe(1);
        expect((await tlx.metrics.stats()).corruptBlocks).toBe(1);
      };
      await check(tl); // pool read path
      await tl.metrics.compactNow();
      await check(tl);
      expect(blockBytes().equals(corrupted)).toBe(true);
      expect(logs.filter((m) => m.includes('corrupt block')).length).toBe(1); // logged once
      await tl.close();

      tl = await open(1 << 30); // main-thread read path
      // Known from index.db before any read finds it again; not logged a second time.
      expect((await tl.metrics.stats()).corruptBlocks).toBe(1);
      await check(tl);
      expect(logs.filter((m) => m.includes('corrupt block')).length).toBe(1);
      await tl.metrics.compactNow(); // finds it again during the merge: still untouched
      expect(blockBytes().equals(corrupted)).toBe(true);
      const db2 = new Database(path.join(t.dir, 'metrics', 'index.db'), { readonly: true });
      expect(db2.prepare('SELECT COUNT(*) FROM blocks WHERE id = ?').pluck().get(row.id)).toBe(1);
      db2.close();
      // Retention deleting the block takes its corrupt record with it.
      await tl.retention.runNow(T0 + 30 * 86_400_000);
      expect((await tl.metrics.stats()).corruptBlocks).toBe(0);
      await tl.close();
      tl = await open(0);
      expect((await tl.metrics.stats()).corruptBlocks).toBe(0);
      await tl.close();
    } finally {
      t.remove();
    }
  });
});
