// tl.backup() writes under a hidden `.partial-<name>` and renames when complete, so a listing (or a
// crash) never presents a half-written backup; an existing target is refused.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Timeless } from '../src/store.js';
import { tempDir } from './metrics-helpers.js';

describe('tl.backup() target handling', () => {
  it('appears under its name only when complete, leaving no partial directory', async () => {
    const tmp = tempDir('bpartial');
    const tl = await Timeless.open({ dataDir: tmp.dir, pool: { threads: 1 } });
    try {
      tl.metrics.write('m', {}, 1, 1_700_000_000_000);
      tl.logs.write({ message: 'x' });
      await tl.flush();
      const target = path.join(tmp.dir, 'backups', 'b1');
      const partial = path.join(tmp.dir, 'backups', '.partial-b1');
      const pending = tl.backup(target);
      // Whenever the final name exists, the backup in it is whole (every engine's directory there)
      // and the partial directory is gone: the old code created the target first and filled it.
      let done = false;
      let polls = 0;
      let sawPartial = false;
      void pending.finally(() => (done = true));
      while (!done) {
        polls++;
        if (fs.existsSync(partial)) sawPartial = true;
        if (fs.existsSync(target)) {
          expect(fs.existsSync(partial)).toBe(false);
          expect(fs.readdirSync(target).sort()).toEqual(['logs', 'metrics', 'spans']);
        }
        await new Promise((r) => setImmediate(r));
      }
      const report = await pending;
      expect(polls).toBeGreaterThan(0);
      expect(sawPartial).toBe(true);
      expect(report.path).toBe(target);
      expect(fs.readdirSync(path.join(tmp.dir, 'backups'))).toEqual(['b1']);
      await expect(tl.backup(target)).rejects.toThrow(/already exists/);
      const copy = await Timeless.open({ dataDir: target, pool: { threads: 1 } });
      try {
        expect(Array.from((await copy.metrics.query({ name: 'm', fromMs: 1_699_999_999_000, toMs: 1_700_000_001_000 }))[0].values)).toEqual([1]);
      } finally {
        await copy.close();
      }
    } finally {
      await tl.close();
      tmp.remove();
    }
  });
});
