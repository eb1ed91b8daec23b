// Backup taken while log writes keep coming: the backup directory opens as a data directory and
// holds everything written before the backup started, exactly as the source answers it, plus a
// prefix of what came during it (each entry once).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Timeless } from '../src/index.js';
import { createPool, type Pool } from '../src/pool/pool.js';
import { tempDir } from './metrics-helpers.js';
import { makeInputs, plainEntries, T0_MS } from './logs-helpers.js';

let pool: Pool;
beforeAll(() => {
  pool = createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

describe('logs backup', () => {
  it('is consistent during concurrent writes and reopens with the same answers', async () => {
    const t = tempDir('logs-backup');
    try {
      const tl = await Timeless.open({
        dataDir: t.dir,
        pool,
        logs: { sealEntries: 256, sealIntervalMs: 10, compactIntervalMs: 25 },
        retention: { intervalSec: 0 },
      });
      const inputs = makeInputs(31, 20_000, { stepMs: 3 });
      let k = 0;
      const writeSome = (n: number) => {
        tl.logs.writeBatch(inputs.slice(k, k + n));
        k += n;
      };
      for (let b = 0; b < 12; b++) {
        writeSome(250);
        await tl.logs.flush();
      }
      const before = k;
      let stop = false;
      const writer = (async () => {
        while (!stop && k + 50 <= inputs.length) {
          writeSome(50);
          await tl.logs.flush();
          await new Promise((r) => setImmediate(r));
        }
      })();
      const report = await tl.backup();
      stop = true;
      await writer;
      expect(report.files).toBeGreaterThan(2);
      expect(report.bytes).toBeGreaterThan(0);

      const cutoffMs = T0_MS + (before - 1) * 3; // entries < before have tsMs <= this
      const queries = [
        { toMs: cutoffMs + 1, limit: 10_000 },
        { toMs: cutoffMs + 1, minLevel: 'warn' as const, order: 'asc' as const, limit: 10_000 },
        { toMs: cutoffMs + 1, search: 'econnrefused', limit: 10_000 },
      ];
      const b = await Timeless.open({ dataDir: report.path, pool, logs: { compaction: false }, retention: { intervalSec: 0 } });
      try {
        for (const q of queries) {
          const src = await tl.logs.query(q);
          const dst = await b.logs.query(q);
          expect(dst.skipped).toEqual([]);
          expect(plainEntries(dst.entries)).toEqual(plainEntries(src.entries));
        }
        const all = (await b.logs.query({ order: 'asc', limit: 10_000 })).entries.map((e) => Number(e.message.split(' ')[1]));
        const sorted = [...all].sort((x, y) => x - y);
        expect(sorted.length).toBeGreaterThanOrEqual(before);
        sorted.forEach((v, i) => expect(v).toBe(i)); // a prefix of the write order, each once
      } finally {
        await b.close();
        await tl.close();
      }
    } finally {
      t.remove();
    }
  });
});
