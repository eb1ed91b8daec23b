// Logs retention: by age (blocks whose newest entry is past maxAgeSec go; a segment file goes once it
// holds no live block) and by size (whole files, oldest first, until logs/ fits maxBytes). The
// answers afterwards hold exactly the entries that were kept.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prng } from '../bench/gen/prng.js';
import { Timeless } from '../src/index.js';
import { createPool, type Pool } from '../src/pool/pool.js';
import { listFiles, tempDir } from './metrics-helpers.js';
import { makeInputs, T0_MS } from './logs-helpers.js';


const DAY_MS = 86_400_000;

let pool: Pool;
beforeAll(() => {
  pool = createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

describe('logs retention', () => {
  it('drops blocks by age, then the files left empty', async () => {
    const t = tempDir('logs-ret-age');
    try {
      const tl = await Timeless.open({
        dataDir: t.dir,
        pool,
        logs: { sealIntervalMs: 0, compaction: false },
        retention: { intervalSec: 0, logs: { maxAgeSec: 86_400 } },
      });
      for (let d = 0; d < 3; d++) {
        tl.logs.writeBatch(makeInputs(20 + d, 300, { startMs: T0_MS + d * DAY_MS, stepMs: 60_000, tag: `d${d}` }));
        await tl.logs.sealNow();
      }
      // Day 0's newest entry is at T0 + 299 min < T0 + 12 h.
      const r1 = await tl.retention.runNow(T0_MS + DAY_MS + 12 * 3_600_000);
      expect(r1.logs).toMatchObject({ blocksDeleted: 1, entriesDeleted: 300, filesDeleted: 0 });
      let q = await tl.logs.query({ limit: 10_000 });
      expect(q.entries).toHaveLength(600);
      expect(q.entries.some((e) => e.message.startsWith('d0 '))).toBe(false);
      const r2 = await tl.retention.runNow(T0_MS + 2 * DAY_MS + 12 * 3_600_000);
      expect(r2.logs).toMatchObject({ blocksDeleted: 1, entriesDeleted: 300 });
      expect(r2.metrics).toBeDefined();
      q = await tl.logs.query({ limit: 10_000 });
      expect(new Set(q.entries.map((e) => e.message.split(' ')[0]))).toEqual(new Set(['d2']));
      const r3 = await tl.retention.runNow(T0_MS + 30 * DAY_MS);
      expect(r3.logs.blocksDeleted).toBe(1);
      expect(r3.logs.filesDeleted).toBeGreaterThanOrEqual(1);
      expect(r3.logs.bytesFreed).toBeGreaterThan(0);
      expect(listFiles(path.join(t.dir, 'logs', 'segments'))).toEqual([]);
      expect((await tl.logs.stats()).entries).toBe(0);
      // Retention never brings entries back from the WAL on reopen.
      await tl.close();
      const again = await Timeless.open({ dataDir: t.dir, pool, retention: { intervalSec: 0 } });
      expect((await again.logs.count({})).total).toBe(0);
      await again.close();
    } finally {
      t.remove();
    }
  });

  it('gives the index pages of deleted blocks back to the file system', async () => {
    const t = tempDir('logs-ret-vacuum');
    const indexBytes = () => fs.statSync(path.join(t.dir, 'logs', 'index.db')).size;
    const open = () => Timeless.open({ dataDir: t.dir, pool, logs: { sealIntervalMs: 0 }, retention: { intervalSec: 0, logs: { maxAgeSec: 86_400 } } });
    try {
      let tl = await open();
      // Enough blocks that their rows take well over the 64 free pages releaseFreePages() waits for
      // (the index's size depends on the entries' resource too, which the environment names).
      for (let d = 0; d < 8; d++) tl.logs.writeBatch(makeInputs(40 + d, 6000, { startMs: T0_MS + d * DAY_MS, stepMs: 1000, tag: `v${d}` }));
      await tl.logs.compactNow(); // columnar blocks: their rows carry the filters
      await tl.close(); // folds SQLite's -wal into index.db
      const full = indexBytes();
      tl = await open();
      const r = await tl.retention.runNow(T0_MS + 30 * DAY_MS);
      expect(r.logs.entriesDeleted).toBe(48_000);
      await tl.close();
      const emptied = indexBytes();
      // Without incremental vacuum the deleted rows' pages stay in the file as free pages.
      expect(full).toBeGreaterThan(64 * 1024);
      expect(emptied).toBeLessThan(full / 2);
    } finally {
      t.remove();
    }
  });

  it('drops the oldest segment files until logs/ fits maxBytes', async () => {
    const t = tempDir('logs-ret-size');
    const logsDir = path.join(t.dir, 'logs');
    // logs/ without SQLite's transient -wal/-shm (what size retention measures).
    const stored = () =>
      listFiles(logsDir)
        .filter((f) => !f.endsWith('-wal') && !f.endsWith('-shm'))
        .reduce((sum, f) => sum + fs.statSync(path.join(logsDir, f)).size, 0);
    const segmentSizes = () => listFiles(path.join(logsDir, 'segments')).map((f) => fs.statSync(path.join(logsDir, 'segments', f)).size);
    const open = (maxBytes: number) =>
      Timeless.open({
        dataDir: t.dir,
        pool,
        logs: { sealIntervalMs: 0, compaction: false, maxSegmentBytes: 64 * 1024 },
        retention: { intervalSec: 0, logs: { maxBytes, maxAgeSec: 1e9 } },
      });
    try {
      let tl = await open(1e12);
      const rng = new Prng(99);
      let i = 0;
      for (let b = 0; b < 40; b++) {
        const batch = [];
        for (let j = 0; j < 100; j++, i++) {
          // Hard to compress: 100 random hex chars per message.
          batch.push({ tsMs: T0_MS + i * 1000, message: `e ${i} ${Array.from(rng.bytes(50), (x) => x.toString(16).padStart(2, '0')).join('')}` });
        }
        tl.logs.writeBatch(batch);
        await tl.logs.sealNow();
      }
      await tl.close();
      const sizes = segmentSizes();
      expect(sizes.length).toBeGreaterThanOrEqual(4);
      // A budget two and a half files below what is stored: the two oldest files have to go.
      const fileBytes = Math.max(...sizes);
      const maxBytes = stored() - Math.round(1.5 * fileBytes);
      tl = await open(maxBytes);
      try {
        const r = await tl.retention.runNow(T0_MS + 4000 * 1000);
        expect(r.logs.filesDeleted).toBe(2);
        expect(r.logs.bytesFreed).toBe(sizes[0] + sizes[1]);
        expect(stored()).toBeLessThanOrEqual(maxBytes);
        // What is left is the newest entries, contiguous, each once.
        const left = (await tl.logs.query({ limit: 10_000, order: 'asc' })).entries.map((e) => Number(e.message.split(' ')[1]));
        expect(left.length).toBe(4000 - r.logs.entriesDeleted);
        expect(left.length).toBeGreaterThan(1000);
        expect(left[left.length - 1]).toBe(3999);
        left.forEach((k, n) => expect(k).toBe(left[0] + n));
        expect((await tl.logs.stats()).entries).toBe(left.length);
        // Under budget now: another run drops nothing.
        expect((await tl.retention.runNow(T0_MS + 4000 * 1000)).logs.blocksDeleted).toBe(0);
      } finally {
        await tl.close();
      }
    } finally {
      t.remove();
    }
  });
});
