// Histogram-aware compaction through the engine: the `_bucket` series of one histogram are packed
// into shared group blocks (per-bucket differences) only where that reconstructs every value
// exactly; answers (raw, steps, rollups) are the same before and after compaction, after reopen,
// after late points, retention and backup; a damaged group block is reported for every member.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Timeless } from '../src/index.js';
import { createPool, type Pool } from '../src/pool/pool.js';
import { plain, T0, tempDir } from './metrics-helpers.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const POINTS = 2 * 1440; // two days at 1 min
// Written in this (shuffled) order on purpose: the group is ordered by numeric le, +Inf last.
const LES = ['+Inf', '0.1', '1', '0.5'];

let pool: Pool;
beforeAll(() => {
  pool = createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

/** Cumulative bucket counts with a counter reset every 1,000 points. */
function cumulative(le: string, i: number, route: string): number {
  const bound = le === '+Inf' ? 4 : Number(le) * 3;
  const k = i % 1000;
  return Math.floor(k * bound * (route === 'a' ? 1 : 2)) + (k % 7 === 0 ? 0 : Math.floor(bound));
}

function writeAll(tl: Timeless): Promise<void> {
  return (async () => {
    for (let i = 0; i < POINTS; i++) {
      const ts = T0 + i * MIN;
      for (const route of ['a', 'b']) {
        for (const le of LES) tl.metrics.write('lat_bucket', { route, le }, cumulative(le, i, route), ts);
      }
      tl.metrics.write('lat_count', { route: 'a' }, i, ts);
      // One bucket misses a timestamp in every cell: that histogram stays per series.
      for (const le of LES) if (!(le === '1' && i % 100 === 7)) tl.metrics.write('odd_bucket', { le }, cumulative(le, i, 'a'), ts);
      // Differences that do not give the values back (1e16 swallows the small bucket): per series.
      tl.metrics.write('wide_bucket', { le: '0.1' }, 1e16 + 2 * i, ts);
      tl.metrics.write('wide_bucket', { le: '1' }, 0.5 + i, ts);
      if (i % 500 === 499) await tl.metrics.checkpoint();
    }
    await tl.metrics.checkpoint();
  })();
}

const QUERIES = [
  { name: 'lat_bucket', fromMs: T0, toMs: T0 + 2 * DAY },
  { name: 'lat_bucket', fromMs: T0 + 5 * HOUR + 17 * MIN, toMs: T0 + 30 * HOUR, stepMs: 7 * MIN, agg: 'max' as const },
  { name: 'lat_bucket', fromMs: T0, toMs: T0 + 2 * DAY - 1, stepMs: HOUR, agg: 'increase' as const },
  { name: 'lat_bucket', fromMs: T0, toMs: T0 + 2 * DAY - 1, stepMs: DAY, agg: 'avg' as const },
  { name: 'odd_bucket', fromMs: T0, toMs: T0 + 2 * DAY },
  { name: 'wide_bucket', fromMs: T0, toMs: T0 + 2 * DAY },
  { name: 'lat_count', fromMs: T0, toMs: T0 + 2 * DAY },
];

async function answers(tl: Timeless) {
  const out = [];
  for (const q of QUERIES) out.push(plain(await tl.metrics.query(q)));
  return out;
}

interface IndexRow {
  name: string;
  route: string | null;
  le: string | null;
  file: string;
  offset: number;
  length: number;
  col: number;
  tMin: number;
  tMax: number;
}

function rawRows(dir: string): IndexRow[] {
  const db = new Database(path.join(dir, 'metrics', 'index.db'), { readonly: true });
  try {
    return db
      .prepare(
        `SELECT x.name, json_extract(x.labels_json, '$.le') AS le, json_extract(x.labels_json, '$.route') AS route, s.path AS file, b.offset, b.length, b.col, b.t_min AS tMin, b.t_max AS tMax
         FROM blocks b JOIN segments s ON s.id = b.segment_id JOIN series x ON x.id = b.series_id WHERE b.tier = 0`,
      )
      .all() as IndexRow[];
  } finally {
    db.close();
  }
}

function openStore(dir: string, poolDecodeBytes?: number): Promise<Timeless> {
  return Timeless.open({ dataDir: dir, pool, metrics: { compactIntervalMs: 0, poolDecodeBytes }, retention: { intervalSec: 0 } });
}

describe('histogram group blocks', () => {
  for (const poolDecodeBytes of [0, 1 << 30]) {
    it(`packs exact histogram cells together and answers the same (${poolDecodeBytes === 0 ? 'pool' : 'main thread'} reads)`, async () => {
      const t = tempDir('histogram');
      try {
        let tl = await openStore(t.dir, poolDecodeBytes);
        await writeAll(tl);
        const before = await answers(tl);
        expect(before[0].length).toBe(8);
        const statsBefore = await tl.metrics.stats();

        await tl.metrics.compactNow();
        const rows = rawRows(t.dir);
        const lat = rows.filter((r) => r.name === 'lat_bucket');
        expect(lat.length).toBeGreaterThan(0);
        expect(lat.every((r) => r.col >= 0)).toBe(true);
        // Columns follow numeric le; each group block is shared by exactly its 4 members.
        const colOf = new Map(lat.map((r) => [r.le, r.col]));
        expect([...['0.1', '0.5', '1', '+Inf'].map((le) => colOf.get(le))]).toEqual([0, 1, 2, 3]);
        const shared = new Map<string, IndexRow[]>();
        for (const r of lat) shared.set(`${r.file}@${r.offset}`, [...(shared.get(`${r.file}@${r.offset}`) ?? []), r]);
        for (const members of shared.values()) expect(members.map((m) => m.col).sort()).toEqual([0, 1, 2, 3]);
        // Route a's lat_count (equal to its +Inf bucket) joins that histogram's group blocks as the
        // last column; route b has no _count series, so its blocks hold the 4 buckets only.
        const counts = rows.filter((r) => r.name === 'lat_count');
        expect(counts.length).toBeGreaterThan(0);
        for (const c of counts) {
          expect(c.col).toBe(4);
          expect((shared.get(`${c.file}@${c.offset}`) ?? []).every((b) => b.route === 'a')).toBe(true);
        }
        for (const members of shared.values()) {
          const withCount = counts.some((c) => members[0].file === c.file && members[0].offset === c.offset);
          expect(withCount).toBe(members[0].route === 'a');
        }
        // The fallbacks stay ordinary per-series blocks.
        expect(rows.filter((r) => r.name === 'odd_bucket' || r.name === 'wide_bucket').every((r) => r.col === -1)).toBe(true);

        expect(await answers(tl)).toEqual(before);
        // dataBytes counts a shared block once (distinct file + offset).
        const distinct = new Map(rows.map((r) => [`${r.file}@${r.offset}`, r.length]));
        const stats = await tl.metrics.stats();
        expect(stats.dataBytes).toBe([...distinct.values()].reduce((a, b) => a + b, 0));
        expect(stats.dataBytes).toBeLessThan(rows.reduce((a, r) => a + r.length, 0));
        expect(stats.points).toBe(statsBefore.points);
        expect((await tl.metrics.latest('lat_bucket', { route: 'b' })).map((p) => p.value)).toEqual(
          ['+Inf', '0.1', '0.5', '1'].map((le) => cumulative(le, POINTS - 1, 'b')),
        );
        // A second run finds the group blocks final.
        expect((await tl.metrics.compactNow()).groups).toBe(0);
        await tl.close();

        tl = await openStore(t.dir, poolDecodeBytes);
        expect(await answers(tl)).toEqual(before);

        // A late point into a grouped cell: that member is merged out of its group block (column
        // sum + the new point), the other members keep reading the group block.
        tl.metrics.write('lat_bucket', { route: 'a', le: '0.5' }, 12345, T0 + 3 * HOUR + 30_000);
        await tl.metrics.checkpoint();
        await tl.metrics.compactNow();
        const late = await answers(tl);
        const member = late[0].find((s) => s.labels.route === 'a' && s.labels.le === '0.5')!;
        const at = member.tsMs.indexOf(T0 + 3 * HOUR + 30_000);
        expect(member.values[at]).toBe(12345);
        expect(member.tsMs.length).toBe(POINTS + 1);
        const want = before[0].find((s) => s.labels.route === 'a' && s.labels.le === '0.5')!;
        expect([...member.tsMs.slice(0, at), ...member.tsMs.slice(at + 1)]).toEqual(want.tsMs);
        expect([...member.values.slice(0, at), ...member.values.slice(at + 1)]).toEqual(want.values);
        expect(late[0].filter((s) => s !== member)).toEqual(before[0].filter((s) => s !== want));
        await tl.close();
      } finally {
        t.remove();
      }
    });
  }

  it('retention drops a group block with all its members; backup reopens with the same answers', async () => {
    const t = tempDir('histogram-retention');
    try {
      const tl = await openStore(t.dir);
      await writeAll(tl);
      const before = await answers(tl);
      await tl.metrics.compactNow();
      const backup = await tl.backup();
      const restored = await openStore(backup.path);
      expect(await answers(restored)).toEqual(before);
      await restored.close();

      const rows = rawRows(t.dir).filter((r) => r.name === 'lat_bucket');
      const firstEnd = Math.min(...rows.map((r) => r.tMax));
      const doomed = rows.filter((r) => r.tMax === firstEnd);
      expect(doomed.length).toBeGreaterThanOrEqual(8); // two routes × 4 members of one cell
      const report = await tl.retention.runNow(firstEnd + 1 + 7 * DAY);
      expect(report.metrics.tiers.find((x) => x.tier === 'raw')!.blocksDeleted).toBeGreaterThanOrEqual(doomed.length);
      const after = rawRows(t.dir).filter((r) => r.name === 'lat_bucket');
      expect(after.some((r) => r.tMax <= firstEnd)).toBe(false);
      // Every member of every remaining group block is still there.
      const shared = new Map<string, number>();
      for (const r of after) shared.set(`${r.file}@${r.offset}`, (shared.get(`${r.file}@${r.offset}`) ?? 0) + 1);
      expect([...shared.values()].every((n) => n === 4)).toBe(true);
      const raw = await tl.metrics.query(QUERIES[0]);
      for (const s of raw) {
        expect(s.tsMs[0]).toBeGreaterThan(firstEnd);
        const full = before[0].find((b) => b.labels.route === s.labels.route && b.labels.le === s.labels.le)!;
        const from = full.tsMs.indexOf(s.tsMs[0]);
        expect(Array.from(s.values)).toEqual(full.values.slice(from));
      }
      await tl.close();
    } finally {
      t.remove();
    }
  });

  it('a flipped byte in a group block: every member reports it skipped, the rest is intact, never rewritten', async () => {
    const t = tempDir('histogram-corrupt');
    try {
      let tl = await openStore(t.dir);
      await writeAll(tl);
      await tl.metrics.compactNow();
      const before = await answers(tl);
      await tl.close();

      // Route b's histogram: its group blocks hold exactly the 4 buckets (no _count series).
      const target = rawRows(t.dir).find((r) => r.name === 'lat_bucket' && r.col === 2 && r.route === 'b')!;
      const abs = path.join(t.dir, 'metrics', target.file);
      const fd = fs.openSync(abs, 'r+');
      const byte = Buffer.alloc(1);
      fs.readSync(fd, byte, 0, 1, target.offset + 60);
      byte[0] ^= 0x10;
      fs.writeSync(fd, byte, 0, 1, target.offset + 60);
      fs.closeSync(fd);
      const corrupted = Buffer.from(fs.readFileSync(abs).subarray(target.offset, target.offset + target.length));

      for (const poolDecodeBytes of [0, 1 << 30]) {
        tl = await openStore(t.dir, poolDecodeBytes);
        const r = await tl.metrics.query(QUERIES[0]);
        expect(r.skipped.length).toBe(4);
        expect(r.skipped.every((s) => s.file === target.file && s.offset === target.offset && /crc/.test(s.reason))).toBe(true);
        expect(new Set(r.skipped.map((s) => s.seriesId)).size).toBe(4);
        // Members lose exactly the damaged block's span; the other route's histogram is whole.
        let damaged = 0;
        for (const s of plain(r)) {
          const full = before[0].find((b) => b.labels.route === s.labels.route && b.labels.le === s.labels.le)!;
          if (s.tsMs.length === full.tsMs.length) {
            expect(s).toEqual(full);
            continue;
          }
          damaged++;
          const keep = full.tsMs.map((ts) => ts < target.tMin || ts > target.tMax);
          expect(s.tsMs).toEqual(full.tsMs.filter((_, i) => keep[i]));
          expect(s.values).toEqual(full.values.filter((_, i) => keep[i]));
        }
        expect(damaged).toBe(4);
        expect(plain(await tl.metrics.query(QUERIES[6]))).toEqual(before[6]);
        expect((await tl.metrics.stats()).corruptBlocks).toBe(4);
        await tl.metrics.compactNow();
        await tl.close();
        expect(fs.readFileSync(abs).subarray(target.offset, target.offset + target.length).equals(corrupted)).toBe(true);
      }
    } finally {
      t.remove();
    }
  });
});
