// I/O errors (EIO) on WAL writes, per engine (issue #9, "ENOSPC and EIO on segment/WAL/SQLite
// writes"). ENOSPC comes from a real tmpfs in disk-faults.test.ts; a tmpfs cannot fail with EIO, so
// here the fs.promises FileHandle methods the WAL uses fail on demand (io-fault-helpers.ts), only for
// the WAL files of the test's data dir. What must hold: the caller gets StorageError IO (errno EIO),
// stats() counts it, the failed frame leaves nothing behind that replay would read twice or that
// would hide later frames, writing resumes once the device answers again, and a WAL whose failed
// write could not be undone refuses further writes until the store is reopened, losing nothing that
// was acknowledged before. Background timers are off (quietEngines): every WAL write happens where
// the test asks for it.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Timeless } from '../src/store.js';
import { StorageError } from '../src/storage/errors.js';
import type { WriteErrorStats } from '../src/storage/write-errors.js';
import { checkWalDir } from '../src/tools/check-wal.js';
import { toJsonText } from '../src/server/json.js';
import { ENGINES, expectedItems, quietEngines, readItems, rejection, T0_MS, writeItems, type Engine } from './disk-fault-helpers.js';
import { installIoFaults, walFileMatcher, type IoFaults } from './io-fault-helpers.js';
import { tempDir } from './metrics-helpers.js';

const N = 2000;

/** stats().writeErrors of one engine. */
async function writeErrors(tl: Timeless, engine: Engine): Promise<WriteErrorStats> {
  return (await tl[engine].stats()).writeErrors;
}

/** Items the engine holds (sealed + in memory), duplicates included: queries may merge duplicates, this does not. */
async function storedCount(tl: Timeless, engine: Engine): Promise<number> {
  if (engine === 'metrics') return (await tl.metrics.stats()).points;
  if (engine === 'logs') return (await tl.logs.stats()).entries;
  return (await tl.traces.stats()).spans;
}

const engineDir = (engine: Engine) => (engine === 'traces' ? 'spans' : engine);

function expectEio(err: unknown, syscall: string): void {
  expect(err).toBeInstanceOf(StorageError);
  expect(err).toMatchObject({ code: 'IO', details: { errno: 'EIO' } });
  expect((err as Error).message).toMatch(new RegExp(`write WAL failed for .*\\.wal: EIO: i/o error, ${syscall}`));
}

/** The error of a WAL that could not undo a failed write: typed, and saying what to do. */
function expectUnusable(err: unknown): void {
  expect(err).toBeInstanceOf(StorageError);
  expect((err as StorageError).code).toBe('IO');
  expect((err as Error).message).toMatch(/WAL is unusable after a failed write that could not be undone .*EIO.*; close and reopen the store/);
}

describe('EIO on WAL writes', () => {
  let tmp: { dir: string; remove: () => void };
  let dataDir: string;
  let faults: IoFaults;
  let logged: string[];
  const open: Array<Timeless> = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  const openAt = async (dir: string) => {
    const tl = await Timeless.open({ dataDir: dir, ...quietEngines((m) => logged.push(m)) });
    open.push(tl);
    return tl;
  };
  const closeStore = async (tl: Timeless) => {
    open.splice(open.indexOf(tl), 1);
    await tl.close();
  };
  const walDir = (dir: string, engine: Engine) => path.join(dir, engineDir(engine), 'wal');
  const lastWalFile = (dir: string, engine: Engine) => {
    const names = fs.readdirSync(walDir(dir, engine)).filter((f) => f.endsWith('.wal')).sort();
    return path.join(walDir(dir, engine), names.at(-1)!);
  };
  /** The files a crash right now would leave (timers are off: nothing moves while it copies). */
  const crashImage = (name: string) => {
    const to = path.join(tmp.dir, name);
    fs.cpSync(dataDir, to, { recursive: true });
    return to;
  };
  /** Nothing rejected without a handler (vitest fails the file too; this names the test). */
  const expectNoUnhandled = async () => {
    await new Promise((r) => setTimeout(r, 20));
    expect(unhandled).toEqual([]);
  };

  beforeEach(async () => {
    tmp = tempDir('io-errors');
    dataDir = path.join(tmp.dir, 'data');
    logged = [];
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
    faults = await installIoFaults(walFileMatcher(dataDir));
  });
  afterEach(async () => {
    faults.restore();
    process.off('unhandledRejection', onUnhandled);
    for (const tl of open.splice(0)) await tl.close().catch(() => undefined);
    tmp.remove();
  });

  /**
   * One failed frame (fdatasync, or writev after half the frame), then the device answers again.
   * Checked twice: in a crash image taken once the retry is durable (what the WAL alone holds), and
   * after close + reopen.
   */
  async function failOnceThenResume(engine: Engine, arm: () => void, syscall: string) {
    const tl = await openAt(dataDir);
    writeItems(tl, engine, 'before', N, 0);
    await tl[engine].flush();
    const wal = lastWalFile(dataDir, engine);
    const durableBytes = fs.statSync(wal).size;
    expect(durableBytes).toBeGreaterThan(0);
    const errorsBefore = (await writeErrors(tl, engine)).count;

    arm();
    writeItems(tl, engine, 'faulted', N, 10_000);
    expectEio(await rejection(tl[engine].flush()), syscall);
    expect(faults.injected[syscall === 'fdatasync' ? 'datasync' : 'writev']).toBe(1);
    // The failed frame was cut off: the file holds exactly what was durable before.
    expect(fs.statSync(wal).size).toBe(durableBytes);
    expect(lastWalFile(dataDir, engine)).toBe(wal);
    const errors = await writeErrors(tl, engine);
    expect(errors.count).toBe(errorsBefore + 1);
    expect(errors.last).toMatchObject({ what: 'WAL write', code: 'IO', errno: 'EIO', message: expect.stringMatching(new RegExp(`EIO: i/o error, ${syscall}`)) });
    // A crash now: what was acknowledged replays, the unacknowledged frame is simply not there.
    const early = await openAt(crashImage('crash-during-fault'));
    expect(await readItems(early, engine, 'before')).toEqual(expectedItems(engine, 'before', N, 0));
    expect(await readItems(early, engine, 'faulted')).toEqual([]);
    await closeStore(early);

    // The fault cleared itself: the kept records are written again, at the same place.
    await tl[engine].flush();
    writeItems(tl, engine, 'after', N, 20_000);
    await tl[engine].flush();
    expect((await writeErrors(tl, engine)).count).toBe(errorsBefore + 1);
    await expectNoUnhandled();

    const crashed = await openAt(crashImage('crash-after-retry'));
    // The WAL alone (nothing was sealed) holds each item once: no second copy of the retried frame.
    expect(await storedCount(crashed, engine)).toBe(3 * N);
    for (const [tag, base] of [['before', 0], ['faulted', 10_000], ['after', 20_000]] as const) {
      expect(await readItems(crashed, engine, tag), `crash image, ${tag}`).toEqual(expectedItems(engine, tag, N, base));
    }
    expect((await crashed[engine].stats()).corruptBlocks).toBe(0);
    await closeStore(crashed);

    await closeStore(tl);
    const reopened = await openAt(dataDir);
    for (const [tag, base] of [['before', 0], ['faulted', 10_000], ['after', 20_000]] as const) {
      expect(await readItems(reopened, engine, tag), `reopened, ${tag}`).toEqual(expectedItems(engine, tag, N, base));
    }
    expect((await reopened[engine].stats()).corruptBlocks).toBe(0);
  }

  describe.each(ENGINES)('%s', (engine: Engine) => {
    it('fdatasync EIO once: flush() rejects with StorageError IO (EIO), stats count it, the retry makes every item durable exactly once', async () => {
      await failOnceThenResume(engine, () => faults.arm('datasync'), 'fdatasync');
    });

    it('writev EIO after half a frame reached the file: the half frame is cut, nothing is hidden or doubled on replay', async () => {
      await failOnceThenResume(engine, () => faults.arm('writev', { partial: true }), 'write');
      expect(faults.partialBytes).toBeGreaterThan(0);
    });

    it('writev EIO and the truncate that would undo it fails too: the WAL refuses writes until reopened; reopening cuts the torn tail and loses nothing acknowledged', async () => {
      const tl = await openAt(dataDir);
      writeItems(tl, engine, 'before', N, 0);
      await tl[engine].flush();
      const wal = lastWalFile(dataDir, engine);
      const durableBytes = fs.statSync(wal).size;

      faults.arm('writev', { partial: true });
      faults.arm('truncate');
      writeItems(tl, engine, 'faulted', N, 10_000);
      expectEio(await rejection(tl[engine].flush()), 'write');
      expect(faults.injected).toMatchObject({ writev: 1, truncate: 1 });
      // The half frame is still there (it could not be cut).
      expect(fs.statSync(wal).size).toBe(durableBytes + faults.partialBytes);

      // Both faults are spent, yet the WAL stays refused: the file ends in a half frame that a
      // later frame would be written after (and hidden behind at replay).
      expectUnusable(await rejection(tl[engine].flush()));
      for (let round = 0; round < 3; round++) {
        let thrown: unknown;
        try {
          writeItems(tl, engine, `later${round}`, N, 30_000 + round * N);
        } catch (err) {
          thrown = err;
        }
        // A write either is refused on the spot or is buffered in memory; flush() never says durable.
        if (thrown !== undefined) expectUnusable(thrown);
        expectUnusable(await rejection(tl[engine].flush()));
      }
      expect(fs.statSync(wal).size).toBe(durableBytes + faults.partialBytes);
      expect(await writeErrors(tl, engine)).toMatchObject({ count: 1, last: { what: 'WAL write', errno: 'EIO' } });

      // A crash now leaves a torn tail; opening it cuts the tail and replays every acknowledged item.
      const image = crashImage('crash-unusable');
      expect(checkWalDir(engineDir(engine), path.join(image, engineDir(engine))).problems).toEqual([
        expect.objectContaining({ kind: 'wal-torn-tail', file: `wal/${path.basename(wal)}`, offset: durableBytes }),
      ]);
      const crashed = await openAt(image);
      expect(await readItems(crashed, engine, 'before')).toEqual(expectedItems(engine, 'before', N, 0));
      expect(await readItems(crashed, engine, 'faulted')).toEqual([]);
      expect(fs.statSync(path.join(walDir(image, engine), path.basename(wal))).size).toBe(durableBytes);
      await closeStore(crashed);
      await expectNoUnhandled();

      // close() reports the failure (typed) and still releases the store.
      const closeError = await tl.close().then(
        () => undefined,
        (err: unknown) => err,
      );
      open.splice(open.indexOf(tl), 1);
      if (closeError !== undefined) expectUnusable(closeError);
      expect(checkWalDir(engineDir(engine), path.join(dataDir, engineDir(engine))).problems.map((p) => p.kind)).toEqual(['wal-torn-tail']);

      const reopened = await openAt(dataDir);
      expect(await readItems(reopened, engine, 'before')).toEqual(expectedItems(engine, 'before', N, 0));
      // Not acknowledged: possibly stored (the hot tail may have been sealed at close), never doubled or altered.
      // (logs and traces seal their hot tail at close, metrics keeps heads only in the WAL).
      for (const [tag, base] of [['faulted', 10_000], ['later0', 30_000], ['later1', 30_000 + N], ['later2', 30_000 + 2 * N]] as const) {
        const got = await readItems(reopened, engine, tag);
        const allowed = new Set(expectedItems(engine, tag, N, base));
        expect(new Set(got).size, tag).toBe(got.length);
        expect(got.filter((x) => !allowed.has(x)), tag).toEqual([]);
      }
      expect(checkWalDir(engineDir(engine), path.join(dataDir, engineDir(engine))).problems).toEqual([]);
      // Writable again, durably: a crash image after the next flush replays it.
      writeItems(reopened, engine, 'resumed', N, 50_000);
      await reopened[engine].flush();
      const again = await openAt(crashImage('crash-after-reopen'));
      expect(await readItems(again, engine, 'before')).toEqual(expectedItems(engine, 'before', N, 0));
      expect(await readItems(again, engine, 'resumed')).toEqual(expectedItems(engine, 'resumed', N, 50_000));
      expect((await again[engine].stats()).corruptBlocks).toBe(0);
      await closeStore(again);
      await expectNoUnhandled();
    });

    it('HTTP ingest during an fdatasync EIO: 500 with JSON { error: { code: IO } }, then the store answers normally', async () => {
      const tl = await openAt(dataDir);
      const app = tl.routes();
      const post = async (tag: string, base: number) => {
        const res = await app.request(`/api/v1/${engine}/write`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ingestBody(engine, tag, base) });
        return { status: res.status, text: await res.text() };
      };
      expect(await post('before', 0)).toEqual({ status: 200, text: JSON.stringify({ accepted: N, rejected: 0, errors: [] }) });

      faults.arm('datasync');
      const failed = await post('faulted', 10_000);
      expect(faults.injected.datasync).toBe(1);
      expect(failed.status).toBe(500);
      const body = JSON.parse(failed.text) as { error: { code: string; message: string; requestId: string } };
      expect(body).toEqual({ error: { code: 'IO', message: expect.stringMatching(/^write WAL failed for .*\.wal: EIO: i\/o error, fdatasync$/), requestId: expect.any(String) } });
      expect(failed.text).not.toMatch(/\n\s+at |StorageError|io-fault-helpers/);

      expect(await post('after', 20_000)).toEqual({ status: 200, text: JSON.stringify({ accepted: N, rejected: 0, errors: [] }) });
      const health = await app.request('/health');
      expect(health.status).toBe(200);
      expect(await readItems(tl, engine, 'before')).toEqual(expectedItems(engine, 'before', N, 0));
      expect(await readItems(tl, engine, 'after')).toEqual(expectedItems(engine, 'after', N, 20_000));
      // The 500 meant "possibly stored": the records were kept and written by the next flush.
      const crashed = await openAt(crashImage('crash-after-http'));
      expect(await storedCount(crashed, engine)).toBe(3 * N);
      for (const [tag, base] of [['before', 0], ['faulted', 10_000], ['after', 20_000]] as const) {
        expect(await readItems(crashed, engine, tag), tag).toEqual(expectedItems(engine, tag, N, base));
      }
      await closeStore(crashed);
      expect(await writeErrors(tl, engine)).toMatchObject({ count: 1, last: { errno: 'EIO' } });
      await expectNoUnhandled();
    });
  });
});

/** The native ingest body of the same items writeItems writes (so readItems/expectedItems apply). */
function ingestBody(engine: Engine, tag: string, base: number): string {
  if (engine === 'metrics') {
    return JSON.stringify({ points: Array.from({ length: N }, (_, i) => ({ name: `m_${tag}`, labels: { i: String(i % 50) }, value: base + i, tsMs: T0_MS + base + i })) });
  }
  if (engine === 'logs') {
    return JSON.stringify({ entries: Array.from({ length: N }, (_, i) => ({ tsMs: T0_MS + base + i, message: `${tag} item ${base + i}`, attributes: { tag, n: base + i } })) });
  }
  const tagHex = Buffer.from(tag.padEnd(4, '_').slice(0, 4)).toString('hex');
  const t0 = BigInt(T0_MS) * 1_000_000n;
  return toJsonText({
    spans: Array.from({ length: N }, (_, i) => {
      const startNs = t0 + BigInt(base + i) * 1_000_000n;
      return { traceId: tagHex + (base + i).toString(16).padStart(24, '0'), spanId: (base + i + 1).toString(16).padStart(16, '0'), name: `op_${tag}`, startNs, endNs: startNs + 1000n, attributes: { n: base + i } };
    }),
  });
}
