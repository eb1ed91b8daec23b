// Crash safety: a child process writes and flushes; the parent SIGKILLs it at seeded random moments
// (some land in sealing, checkpoints and compaction: the child uses tiny blocks and WAL), then
// reopens the data dir: every acknowledged point is there with its value, no point is duplicated
// (stats.points equals the distinct points a full query returns) and SQLite's integrity_check is ok.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Timeless } from '../src/index.js';
import { createPool, type Pool } from '../src/pool/pool.js';
import { Prng } from '../bench/gen/prng.js';
import { expectSqliteIntact, killChildAfterReady } from './crash-harness.js';
import { T0, tempDir } from './metrics-helpers.js';

const ROUNDS = 22;
const CHILD = path.join(import.meta.dirname, 'fixtures', 'metrics-crash-child.mjs');

let pool: Pool;
beforeAll(() => {
  pool = createPool({ threads: 1 });
});
afterAll(async () => {
  await pool.close();
});

describe('metrics crash safety', () => {
  it(`keeps every acknowledged point across ${ROUNDS} SIGKILLs`, async () => {
    const t = tempDir('crash');
    const prng = new Prng(20240101);
    const acked: number[] = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const delayMs = prng.int(20, 900);
        const k = await killChildAfterReady(CHILD, t.dir, round, delayMs);
        acked.push(k);
        const tl = await Timeless.open({ dataDir: t.dir, pool, metrics: { compactIntervalMs: 0 }, retention: { intervalSec: 0 } });
        let distinct = 0;
        try {
          for (let r = 0; r <= round; r++) {
            const base = T0 + r * 100_000_000;
            const res = await tl.metrics.query({ name: 'crash', fromMs: base, toMs: base + 99_999_999 });
            expect(res.skipped).toEqual([]);
            for (const s of res) {
              distinct += s.tsMs.length;
              // Acknowledged prefix: every k < acked[r] present, in order, with its value.
              expect(s.tsMs.length, `round ${r} series ${s.labels.s}`).toBeGreaterThanOrEqual(acked[r]);
              for (let i = 0; i < s.tsMs.length; i++) {
                if (s.tsMs[i] !== base + i * 1000 || s.values[i] !== r * 1_000_000 + i) {
                  throw new Error(`round ${r} series ${s.labels.s}: point ${i} is (${s.tsMs[i]}, ${s.values[i]})`);
                }
              }
            }
            if (acked[r] > 0) expect(res.length).toBe(3);
          }
          const stats = await tl.metrics.stats();
          expect(stats.points).toBe(distinct); // no point stored twice (blocks + replayed WAL)
        } finally {
          await tl.close();
        }
        expectSqliteIntact(path.join(t.dir, 'metrics', 'index.db'));
      }
      // The kills must have hit a running writer, not only start-up.
      expect(acked.filter((k) => k > 0).length).toBeGreaterThan(ROUNDS / 2);
    } finally {
      t.remove();
    }
  });
});
