// Disk faults, per engine: a full disk (real ENOSPC from a small tmpfs) on the WAL, on segment
// writes and on index.db; a torn WAL tail and a cut segment found on open. What must hold: the
// caller gets a typed error (HTTP: JSON with the code), nothing acknowledged before is lost or
// changed, and writing works again once space is back, without a restart.
// Background timers are off (quietEngines) so every disk write happens where the test asks for it.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Timeless } from '../src/store.js';
import { StorageError } from '../src/storage/errors.js';
import {
  ENGINES,
  expectedItems,
  mountSmallDisk,
  quietEngines,
  readItems,
  sealNow,
  tmpfsUnavailable,
  writeItems,
  type Engine,
  type SmallDisk,
  rejection,
} from './disk-fault-helpers.js';
import { postJson, startServer } from './server-helpers.js';
import { tempDir } from './metrics-helpers.js';

const noTmpfs = tmpfsUnavailable();
if (noTmpfs) console.warn(`disk-faults: skipping the disk-full tests: ${noTmpfs}`);

const DISK_BYTES = 16 * 1024 * 1024;
const N = 3000;

function expectDiskFull(err: unknown): void {
  expect(err).toBeInstanceOf(StorageError);
  expect((err as StorageError).code).toBe('IO');
  expect((err as StorageError).details.errno).toBe('ENOSPC');
  expect((err as Error).message).toMatch(/disk full: free space, then retry/);
}

describe.skipIf(noTmpfs !== undefined)('disk full (ENOSPC on a small tmpfs)', () => {
  let disk: SmallDisk;
  let logged: string[];
  let tl: Timeless | undefined;
  const log = (m: string) => logged.push(m);
  const open = () => Timeless.open({ dataDir: path.join(disk.dir, 'data'), ...quietEngines(log) });

  beforeEach(() => {
    disk = mountSmallDisk(DISK_BYTES);
    logged = [];
  });
  afterEach(async () => {
    await tl?.close().catch(() => undefined);
    tl = undefined;
    disk.unmount();
  });

  describe.each(ENGINES)('%s', (engine: Engine) => {
    it('WAL write: flush() rejects with StorageError IO (ENOSPC); acknowledged data intact; writes resume when space returns', async () => {
      tl = await open();
      writeItems(tl, engine, 'sealed', N, 0);
      await tl[engine].flush();
      await sealNow(tl, engine);
      writeItems(tl, engine, 'walonly', N, 10_000);
      await tl[engine].flush();

      disk.fill();
      writeItems(tl, engine, 'refused', N, 20_000);
      expectDiskFull(await rejection(tl[engine].flush()));
      // A second attempt while still full fails the same way (the WAL cut its half-written frame).
      writeItems(tl, engine, 'refused2', N, 30_000);
      expectDiskFull(await rejection(tl[engine].flush()));
      // stats() says so: how many writes failed, the last one with its errno.
      const { writeErrors } = await tl[engine].stats();
      expect(writeErrors.count).toBeGreaterThanOrEqual(2);
      expect(writeErrors.last).toMatchObject({ what: 'WAL write', code: 'IO', errno: 'ENOSPC' });
      expect(writeErrors.last!.message).toMatch(/disk full/);
      expect(await readItems(tl, engine, 'sealed')).toEqual(expectedItems(engine, 'sealed', N, 0));
      expect(await readItems(tl, engine, 'walonly')).toEqual(expectedItems(engine, 'walonly', N, 10_000));

      disk.free();
      writeItems(tl, engine, 'after', N, 40_000);
      await tl[engine].flush();
      await tl.close();

      tl = await open();
      expect(await readItems(tl, engine, 'sealed')).toEqual(expectedItems(engine, 'sealed', N, 0));
      expect(await readItems(tl, engine, 'walonly')).toEqual(expectedItems(engine, 'walonly', N, 10_000));
      expect(await readItems(tl, engine, 'after')).toEqual(expectedItems(engine, 'after', N, 40_000));
      expect((await tl[engine].stats()).corruptBlocks).toBe(0);
    });

    it('WAL write: records of a failed frame are written by the next flush, which never resolves over them while the disk is full', async () => {
      tl = await open();
      writeItems(tl, engine, 'before', N, 0);
      await tl[engine].flush();
      disk.fill();
      writeItems(tl, engine, 'pending', N, 10_000);
      // The frame fails (as a background flush would, with nobody listening)...
      expectDiskFull(await rejection(tl[engine].flush()));
      // ...and a flush with nothing new appended must not claim those records are on disk.
      expectDiskFull(await rejection(tl[engine].flush()));
      disk.free();
      await tl[engine].flush();
      await tl.close();
      tl = await open();
      expect(await readItems(tl, engine, 'before')).toEqual(expectedItems(engine, 'before', N, 0));
      expect(await readItems(tl, engine, 'pending')).toEqual(expectedItems(engine, 'pending', N, 10_000));
    });

    it('segment write: sealing rejects with StorageError IO (ENOSPC) and logs it; data stays readable; sealing succeeds when space returns', async () => {
      tl = await open();
      writeItems(tl, engine, 'held', N, 0);
      await tl[engine].flush();

      disk.fill();
      expectDiskFull(await rejection(sealNow(tl, engine)));
      expect(logged.join('\n')).toMatch(new RegExp(`timeless ${engine}: background sealing failed: IO: write segment failed .*ENOSPC`));
      expect((await tl[engine].stats()).writeErrors.last).toMatchObject({ what: 'sealing', errno: 'ENOSPC' });
      expect(await readItems(tl, engine, 'held')).toEqual(expectedItems(engine, 'held', N, 0));

      disk.free();
      // Event engines retry a failed seal with backoff; each sealNow() waits for the next attempt.
      const deadline = Date.now() + 15_000;
      for (;;) {
        try {
          await sealNow(tl, engine);
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
        }
      }
      const stats = await tl[engine].stats();
      expect(stats.blocks).toBeGreaterThan(0);
      await tl.close();
      tl = await open();
      expect(await readItems(tl, engine, 'held')).toEqual(expectedItems(engine, 'held', N, 0));
      expect((await tl[engine].stats()).corruptBlocks).toBe(0);
    });
  });

  it('index.db write (metric metadata): refused with an error, nothing half-applied, works again when space returns', async () => {
    tl = await open();
    tl.metrics.defineMetric('kept_total', { type: 'counter', help: 'defined before the disk filled' });
    disk.fill();
    const errorsBefore = (await tl.metrics.stats()).writeErrors.count;
    let refused: unknown;
    try {
      tl.metrics.defineMetric('refused_total', { type: 'counter', help: 'h'.repeat(8192) });
    } catch (err) {
      refused = err;
    }
    // The typed IO error of a full disk (as WAL and segment writes give), counted in stats.
    expect(refused).toBeInstanceOf(StorageError);
    expect(refused).toMatchObject({ code: 'IO', details: { errno: 'ENOSPC', sqliteCode: 'SQLITE_FULL' }, message: expect.stringMatching(/disk is full.*disk full: free space/) });
    const after = (await tl.metrics.stats()).writeErrors;
    expect(after.count).toBe(errorsBefore + 1);
    expect(after.last).toMatchObject({ what: 'metric metadata', code: 'IO', errno: 'ENOSPC' });
    expect(tl.metrics.metricMeta('refused_total')).toBeUndefined();
    // Over HTTP the same failure is the full-disk answer, not an anonymous INTERNAL.
    const app = tl.routes();
    const res = await app.request('/api/v1/metrics/meta/refused_total', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'counter', help: 'h'.repeat(8192) }) });
    expect(res.status).toBe(507);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'IO', message: expect.stringMatching(/disk full/) });
    expect(tl.metrics.metricMeta('refused_total')).toBeUndefined();
    disk.free();
    tl.metrics.defineMetric('after_total', { type: 'gauge', unit: 'bytes' });
    await tl.close();
    tl = await open();
    expect(tl.metrics.metricMeta('kept_total')).toEqual({ type: 'counter', unit: undefined, help: 'defined before the disk filled' });
    expect(tl.metrics.metricMeta('after_total')).toEqual({ type: 'gauge', unit: 'bytes', help: undefined });
    expect(tl.metrics.metricMeta('refused_total')).toBeUndefined();
  });

  it('HTTP ingest: 507 JSON with code IO naming the full disk, nothing acknowledged is lost, 200 again once space returns', async () => {
    const s = await startServer({ dir: path.join(disk.dir, 'data'), store: quietEngines(log) });
    try {
      const points = (tag: string, base: number) => Array.from({ length: N }, (_, i) => ({ name: `m_${tag}`, labels: { i: String(i % 50) }, value: base + i, tsMs: Date.UTC(2024, 0, 1) + base + i }));
      const entries = (tag: string, base: number) => Array.from({ length: N }, (_, i) => ({ tsMs: Date.UTC(2024, 0, 1) + base + i, message: `${tag} item ${base + i}`, attributes: { tag, n: base + i } }));
      expect((await postJson(`${s.url}/api/v1/metrics/write`, points('before', 0))).status).toBe(200);
      expect((await postJson(`${s.url}/api/v1/logs/write`, entries('before', 0))).status).toBe(200);

      disk.fill();
      for (const [route, body] of [['metrics', points('refused', 10_000)], ['logs', entries('refused', 10_000)]] as const) {
        const r = await postJson(`${s.url}/api/v1/${route}/write`, body);
        expect(r.status, route).toBe(507);
        expect(r.body.error.code, route).toBe('IO');
        expect(r.body.error.message, route).toMatch(/ENOSPC.*disk full: free space, then retry/);
      }
      expect((await fetch(`${s.url}/health`)).status).toBe(200);

      disk.free();
      expect((await postJson(`${s.url}/api/v1/metrics/write`, points('after', 20_000))).status).toBe(200);
      expect((await postJson(`${s.url}/api/v1/logs/write`, entries('after', 20_000))).status).toBe(200);
      for (const engine of ['metrics', 'logs'] as const) {
        expect(await readItems(s.tl, engine, 'before')).toEqual(expectedItems(engine, 'before', N, 0));
        expect(await readItems(s.tl, engine, 'after')).toEqual(expectedItems(engine, 'after', N, 20_000));
      }
    } finally {
      await s.close();
    }
  });
});

describe('damaged files found on open', () => {
  let tmp: { dir: string; remove: () => void };
  beforeEach(() => {
    tmp = tempDir('disk-faults');
  });
  afterEach(() => tmp.remove());

  /** The files a crash would leave: a copy of the data dir taken while the store is open (timers off, nothing moves). */
  const snapshot = (from: string, to: string) => fs.cpSync(from, to, { recursive: true });
  const walFiles = (dir: string, engine: Engine) => {
    const wal = path.join(dir, engine === 'traces' ? 'spans' : engine, 'wal');
    return fs.readdirSync(wal).filter((f) => f.endsWith('.wal')).sort().map((f) => path.join(wal, f));
  };
  const segmentFiles = (dir: string): string[] =>
    (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.seg')).map((f) => path.join(dir, f)).sort();

  describe.each(ENGINES)('%s', (engine: Engine) => {
    it('a torn WAL tail: the whole frames before it replay, the torn frame is cut, writing continues', async () => {
      const live = path.join(tmp.dir, 'live');
      const crashed = path.join(tmp.dir, 'crashed');
      const logs: string[] = [];
      let tl = await Timeless.open({ dataDir: live, ...quietEngines((m) => logs.push(m)) });
      try {
        writeItems(tl, engine, 'whole', N, 0);
        await tl[engine].flush();
        writeItems(tl, engine, 'torn', N, 10_000);
        await tl[engine].flush();
        snapshot(live, crashed);
      } finally {
        await tl.close();
      }
      const last = walFiles(crashed, engine).at(-1)!;
      const size = fs.statSync(last).size;
      fs.truncateSync(last, size - 100); // the second frame loses its end, as a write cut by power loss

      tl = await Timeless.open({ dataDir: crashed, ...quietEngines((m) => logs.push(m)) });
      try {
        expect(await readItems(tl, engine, 'whole')).toEqual(expectedItems(engine, 'whole', N, 0));
        expect(await readItems(tl, engine, 'torn')).toEqual([]);
        writeItems(tl, engine, 'next', N, 20_000);
        await tl[engine].flush();
        await sealNow(tl, engine);
      } finally {
        await tl.close();
      }
      tl = await Timeless.open({ dataDir: crashed, ...quietEngines((m) => logs.push(m)) });
      try {
        expect(await readItems(tl, engine, 'whole')).toEqual(expectedItems(engine, 'whole', N, 0));
        expect(await readItems(tl, engine, 'next')).toEqual(expectedItems(engine, 'next', N, 20_000));
        expect((await tl[engine].stats()).corruptBlocks).toBe(0);
      } finally {
        await tl.close();
      }
    });

    it('a segment cut inside its last block: that block is skipped and reported, the rest answers, sealing continues', async () => {
      const dir = path.join(tmp.dir, 'data');
      const logs: string[] = [];
      let tl = await Timeless.open({ dataDir: dir, ...quietEngines((m) => logs.push(m)) });
      try {
        writeItems(tl, engine, 'first', N, 0);
        await tl[engine].flush();
        await sealNow(tl, engine);
        writeItems(tl, engine, 'second', N, 10_000);
        await tl[engine].flush();
        await sealNow(tl, engine);
      } finally {
        await tl.close();
      }
      const seg = segmentFiles(path.join(dir, engine === 'traces' ? 'spans' : engine)).at(-1)!;
      fs.truncateSync(seg, fs.statSync(seg).size - 10);

      tl = await Timeless.open({ dataDir: dir, ...quietEngines((m) => logs.push(m)) });
      try {
        expect(await readItems(tl, engine, 'first')).toEqual(expectedItems(engine, 'first', N, 0));
        // The cut block held (part of) the second seal: what it held is gone, and said so.
        expect((await readItems(tl, engine, 'second')).length).toBeLessThan(N);
        expect((await tl[engine].stats()).corruptBlocks).toBeGreaterThan(0);
        expect(logs.join('\n')).toMatch(new RegExp(`corrupt block .* skipped`));
        writeItems(tl, engine, 'third', N, 20_000);
        await tl[engine].flush();
        await sealNow(tl, engine);
      } finally {
        await tl.close();
      }
      tl = await Timeless.open({ dataDir: dir, ...quietEngines((m) => logs.push(m)) });
      try {
        expect(await readItems(tl, engine, 'first')).toEqual(expectedItems(engine, 'first', N, 0));
        expect(await readItems(tl, engine, 'third')).toEqual(expectedItems(engine, 'third', N, 20_000));
      } finally {
        await tl.close();
      }
    });
  });
});
