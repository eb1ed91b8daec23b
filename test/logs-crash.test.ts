// Crash safety of the logs engine: a child process writes and flushes; the parent SIGKILLs it at
// seeded random moments (many land in sealing, WAL drops and compaction: the child seals tiny chunks
// every 15 ms and compacts every 40 ms), then reopens the data dir: every acknowledged entry is
// there exactly once with its content, what survived of each round is a prefix of what was written
// (nothing corrupt, nothing twice), stats count each entry once, and SQLite's integrity_check is ok.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prng } from '../bench/gen/prng.js';
import { Timeless } from '../src/index.js';
import { createPool, type Pool } from '../src/pool/pool.js';
import { expectSqliteIntact, killChildAfterReady } from './crash-harness.js';
import { tempDir } from './metrics-helpers.js';

const ROUNDS = 14;
const CHILD = path.join(import.meta.dirname, 'fixtures', 'logs-crash-child.mjs');
const T0 = Date.UTC(2024, 0, 1);

let pool: Pool;
beforeAll(() => {
  pool = createPool({ threads: 1 });
});
afterAll(async () => {
  await pool.close();
});

describe('logs crash safety', () => {
  it(`keeps every acknowledged entry exactly once across ${ROUNDS} SIGKILLs`, async () => {
    const t = tempDir('logs-crash');
    const prng = new Prng(77001);
    const acked: number[] = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        acked.push(await killChildAfterReady(CHILD, t.dir, round, prng.int(30, 1200)));
        const tl = await Timeless.open({ dataDir: t.dir, pool, logs: { compaction: false, sealIntervalMs: 0 }, retention: { intervalSec: 0 } });
        let total = 0;
        try {
          for (let r = 0; r <= round; r++) {
            const base = T0 + r * 10_000_000;
            const seen: number[] = [];
            let cursor: string | undefined;
            do {
              const page = await tl.logs.query({ fromMs: base, toMs: base + 9_999_999, order: 'asc', limit: 10_000, cursor });
              expect(page.skipped).toEqual([]);
              for (const e of page.entries) {
                const k = Number(e.message.split(' ')[1]);
                if (e.message !== `r${r} ${k} request handled in ${k % 97}ms` || e.tsNs !== BigInt(base + k) * 1_000_000n || e.attributes.k !== k) {
                  throw new Error(`round ${r}: entry ${seen.length} is corrupt: ${e.message}`);
                }
                seen.push(k);
              }
              cursor = page.cursor;
            } while (cursor);
            // A prefix of the write order, each entry once, covering everything acknowledged.
            expect(seen.length, `round ${r}`).toBeGreaterThanOrEqual(acked[r]);
            for (let i = 0; i < seen.length; i++) if (seen[i] !== i) throw new Error(`round ${r}: position ${i} holds entry ${seen[i]}`);
            total += seen.length;
          }
          const stats = await tl.logs.stats();
          expect(stats.entries).toBe(total);
          expect((await tl.logs.count({})).total).toBe(total);
        } finally {
          await tl.close();
        }
        expectSqliteIntact(path.join(t.dir, 'logs', 'index.db'));
      }
      expect(acked.filter((k) => k > 0).length).toBeGreaterThan(ROUNDS / 2);
    } finally {
      t.remove();
    }
  });
});
