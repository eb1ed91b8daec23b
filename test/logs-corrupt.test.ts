// A flipped byte inside a sealed logs block: queries and counts return everything else and name the
// bad block in `skipped`; stats count it (persisted across reopen); the block's bytes are never
// rewritten, not by queries, not by compaction (which never touches a known-corrupt block), not on reopen.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Timeless } from '../src/index.js';
import { createPool, type Pool } from '../src/pool/pool.js';
import { tempDir } from './metrics-helpers.js';
import { makeInputs, T0_MS } from './logs-helpers.js';

let pool: Pool;
beforeAll(() => {
  pool = createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

describe('logs corrupt block', () => {
  it('skips and reports the bad block, returns the rest, never rewrites it', async () => {
    const t = tempDir('logs-corrupt');
    const warnings: string[] = [];
    const open = () =>
      Timeless.open({
        dataDir: t.dir,
        pool,
        logs: { sealIntervalMs: 0, compaction: false, log: (m) => warnings.push(m) },
        retention: { intervalSec: 0 },
      });
    try {
      let tl = await open();
      for (let k = 0; k < 5; k++) {
        tl.logs.writeBatch(makeInputs(10 + k, 200, { startMs: T0_MS + k * 10_000, tag: `b${k}` }));
        await tl.logs.sealNow();
      }
      const db = new Database(path.join(t.dir, 'logs', 'index.db'), { readonly: true });
      const row = db
        .prepare('SELECT b.id, s.path AS file, b.offset, b.length, b.count FROM blocks b JOIN segments s ON s.id = b.segment_id ORDER BY b.id LIMIT 1 OFFSET 2')
        .get() as { id: number; file: string; offset: number; length: number; count: number };
      db.close();
      expect(row.count).toBe(200);
      const abs = path.join(t.dir, 'logs', row.file);
      const fd = fs.openSync(abs, 'r+');
      const byte = Buffer.alloc(1);
      fs.readSync(fd, byte, 0, 1, row.offset + 60);
      byte[0] ^= 0x10;
      fs.writeSync(fd, byte, 0, 1, row.offset + 60);
      fs.closeSync(fd);
      const blockBytes = () => Buffer.from(fs.readFileSync(abs).subarray(row.offset, row.offset + row.length));
      const corrupted = blockBytes();

      const check = async (tlx: Timeless) => {
        const r = await tlx.logs.query({ limit: 10_000 });
        expect(r.entries).toHaveLength(800);
        expect(r.entries.some((e) => e.message.startsWith('b2 '))).toBe(false);
        expect(r.skipped).toHaveLength(1);
        expect(r.skipped[0]).toMatchObject({ file: row.file, offset: row.offset, code: 'CORRUPT_BLOCK' });
        expect(r.skipped[0].message).toMatch(/crc/);
        const c = await tlx.logs.count({ minLevel: 'trace' });
        expect(c.total).toBe(800);
        expect(c.skipped).toHaveLength(1);
        // A query whose time range excludes the bad block does not touch it.
        const other = await tlx.logs.query({ fromMs: T0_MS + 40_000, limit: 10_000 });
        expect(other.skipped).toEqual([]);
        expect(other.entries).toHaveLength(200);
        expect((await tlx.logs.stats()).corruptBlocks).toBe(1);
        expect(blockBytes().equals(corrupted)).toBe(true);
      };
      await check(tl);
      expect(warnings.filter((m) => m.includes('corrupt block'))).toHaveLength(1);
      const report = await tl.logs.compactNow();
      expect(report.blocksIn).toBe(4); // every block but the bad one
      await check(tl);
      await tl.close();
      tl = await open();
      expect((await tl.logs.stats()).corruptBlocks).toBe(1);
      await check(tl);
      await tl.close();
      expect(blockBytes().equals(corrupted)).toBe(true);
    } finally {
      t.remove();
    }
  });
});
