// Checkpoints under sustained ingest: checkpoint() waits only for the heads cut before it (a stream of
// later cuts must not hold it up), leaves SQLite's checkpointing to the pool (auto-checkpoint off on
// the engine's connection), and everything written survives a reopen.
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

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('metrics checkpoint', () => {
  it('completes while writes keep cutting heads, and every point is there after reopen', async () => {
    const t = tempDir('checkpoint');
    const open = () =>
      Timeless.open({ dataDir: t.dir, pool, metrics: { compactIntervalMs: 0, autoFlushMs: 0, blockPoints: 2 }, retention: { intervalSec: 0 } });
    try {
      const tl = await open();
      const labels = Array.from({ length: 20 }, (_, i) => ({ s: String(i) }));
      let ts = T0;
      let written = 0;
      const writeSome = () => {
        for (const l of labels) tl.metrics.write('m', l, written, ts);
        ts += 1000;
        written += labels.length;
      };
      for (let i = 0; i < 10; i++) writeSome();
      let done = false;
      const cp = tl.metrics.checkpoint().then(() => {
        done = true;
      });
      // With blockPoints 2 every second write cuts a head, so the sealer never runs dry while this
      // loop goes. The checkpoint needs the round(s) holding the cuts made before it, not an empty
      // queue: it must be done well before 20 seal rounds went by (a wait for an empty queue never is).
      const sealer = (tl as unknown as { engine: { sealer: { rounds: number } } }).engine.sealer;
      const roundsBefore = sealer.rounds;
      while (!done && sealer.rounds - roundsBefore < 20) {
        writeSome();
        await turn();
      }
      expect(done).toBe(true);
      await cp;
      await tl.metrics.flush();
      const stats = await tl.metrics.stats();
      expect(stats.points).toBe(written);
      await tl.close();

      const again = await open();
      try {
        expect((await again.metrics.stats()).points).toBe(written);
        const [s0] = await again.metrics.query({ name: 'm', matchers: { s: '0' }, fromMs: T0, toMs: ts });
        expect(s0.tsMs.length).toBe(written / labels.length);
      } finally {
        await again.close();
      }
    } finally {
      t.remove();
    }
  });
});
