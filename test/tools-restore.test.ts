// `timeless restore`: real backups (tl.backup() directories and the .tar.gz of the download route)
// restore to a data directory that answers queries exactly like the source; a target that holds data
// or is in use is refused (or moved aside with --force); hostile or damaged archives are refused with
// nothing written at the target or outside it; progress lines are printed and never go backwards.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Timeless } from '../src/index.js';
import type { Timeless as Store } from '../src/store.js';
import { entryHeader, tarChunks, trailer } from '../src/server/tar.js';
import { restoreBackup, runRestore, RestoreError } from '../src/tools/restore.js';
import { startServer, type TestServer } from './server-helpers.js';
import { tempDir } from './metrics-helpers.js';
import { makeInputs } from './logs-helpers.js';
import { makeSpans, traceIds } from './traces-helpers.js';

const FROM_MS = Date.now() - 3_600_000;
const TO_MS = Date.now() + 60_000;

async function fillStore(tl: Store): Promise<string[]> {
  const points = [];
  for (let s = 0; s < 5; s++) {
    for (let i = 0; i < 300; i++) points.push({ name: 'http_requests', labels: { route: `/r${s}`, code: i % 7 === 0 ? '500' : '200' }, value: i * 1.5 + s, tsMs: FROM_MS + i * 10_000 });
  }
  tl.metrics.writeBatch(points);
  tl.logs.writeBatch(makeInputs(7, 2_000, { startMs: FROM_MS, stepMs: 500 }));
  const spans = makeSpans(3, 1_500, FROM_MS);
  tl.traces.write(spans);
  await tl.flush();
  return traceIds(spans);
}

async function answers(tl: Store, ids: readonly string[]) {
  return {
    metrics: await tl.metrics.query({ name: 'http_requests', fromMs: FROM_MS, toMs: TO_MS }),
    rate: await tl.metrics.query({ name: 'http_requests', matchers: { code: '500' }, fromMs: FROM_MS, toMs: TO_MS, stepMs: 300_000, agg: 'sum' }),
    logs: (await tl.logs.query({ fromMs: FROM_MS, toMs: TO_MS, limit: 5_000 })).entries,
    errors: (await tl.logs.query({ minLevel: 'error', search: 'timeout', limit: 5_000 })).entries,
    traces: await Promise.all(ids.slice(0, 20).map((id) => tl.traces.trace(id))),
    spanQuery: (await tl.traces.query({ fromMs: FROM_MS, toMs: TO_MS, limit: 5_000 })).spans,
  };
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

/** Names next to `target` that a restore would leave behind if it did not clean up. */
function leftovers(target: string): string[] {
  const base = path.basename(target);
  return fs.readdirSync(path.dirname(target)).filter((n) => n.startsWith(`${base}.restoring-`));
}

/** Numbers of each progress line ("restore: NN% ..."), in order; the human-readable "(... MiB)" part left out. */
function progressNumbers(lines: string[]): number[][] {
  return lines.filter((l) => /^restore: \d+% /.test(l)).map((l) => [...l.replace(/\([^)]*\)/g, '').matchAll(/\d+/g)].map((m) => Number(m[0])));
}

function expectMonotonic(rows: number[][]): void {
  for (let i = 1; i < rows.length; i++) {
    expect(rows[i].length).toBe(rows[i - 1].length);
    for (let k = 0; k < rows[i].length; k++) expect(rows[i][k], `line ${i} field ${k}`).toBeGreaterThanOrEqual(rows[i - 1][k]);
  }
}

/** A raw ustar header (for entry types the backup writer never produces: links, devices). */
function rawHeader(name: string, typeflag: string, size: number, linkname = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.fill(0x20, 148, 156);
  h.write(typeflag, 156);
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

function fileEntry(name: string, content: string): Buffer {
  const body = Buffer.from(content);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([entryHeader({ name, type: 'file', mode: 0o644, mtimeMs: Date.now(), size: body.length }), body, pad]);
}

function dirEntry(name: string): Buffer {
  return entryHeader({ name, type: 'directory', mode: 0o755, mtimeMs: Date.now(), size: 0 });
}

function writeTarGz(file: string, parts: Buffer[]): void {
  const tar = Buffer.concat(parts);
  fs.writeFileSync(file, zlib.gzipSync(Buffer.concat([tar, trailer(tar.length)])));
}

describe('timeless restore', () => {
  let srv: TestServer;
  let ids: string[];
  let expected: Awaited<ReturnType<typeof answers>>;
  let backupDir: string;
  let archive: string;
  const work = tempDir('restore-work');

  beforeAll(async () => {
    srv = await startServer({ store: { retention: { intervalSec: 0 } } });
    ids = await fillStore(srv.tl);
    backupDir = (await srv.tl.backup()).path;
    const name = path.basename(backupDir);
    // The archive exactly as a user downloads it.
    const res = await fetch(`${srv.url}/api/v1/backup/${name}/download`);
    expect(res.status).toBe(200);
    archive = path.join(work.dir, `${name}.tar.gz`);
    fs.writeFileSync(archive, Buffer.from(await res.arrayBuffer()));
    expected = await answers(srv.tl, ids);
    expect(expected.metrics.length).toBe(10);
    expect(expected.logs.length).toBe(2_000);
    expect(expected.errors.length).toBeGreaterThan(0);
    expect(expected.traces.every((t) => t.spans.length > 0)).toBe(true);
  });
  afterAll(async () => {
    await srv?.close();
    work.remove();
  });

  async function expectSameAnswers(dataDir: string): Promise<Awaited<ReturnType<Store['stats']>>> {
    const tl = await Timeless.open({ dataDir, runtimeMetrics: false, pool: { threads: 1 }, retention: { intervalSec: 0 } });
    try {
      const got = await answers(tl, ids);
      for (const k of Object.keys(expected) as Array<keyof typeof expected>) expect(got[k], k).toEqual(expected[k]);
      return await tl.stats();
    } finally {
      await tl.close();
    }
  }

  function expectCountsLine(lines: string[], stats: Awaited<ReturnType<Store['stats']>>): void {
    const line = lines.find((l) => l.startsWith('restore: verified:'));
    expect(line).toBe(`restore: verified: metrics ${stats.metrics.series} series, ${stats.metrics.points} points; logs ${stats.logs.entries} entries; traces ${stats.traces.spans} spans`);
    expect(stats.logs.entries).toBe(2_000);
    expect(stats.metrics.points).toBeGreaterThanOrEqual(1_500);
  }

  it('restores a backup directory into a new data dir with the same answers, printing monotonic progress', async () => {
    const target = path.join(work.dir, 'from-dir', 'data');
    const c = capture();
    expect(await runRestore([backupDir, '--data-dir', target], c.io, { progressIntervalMs: 0 })).toBe(0);
    expect(c.err).toEqual([]);
    const rows = progressNumbers(c.out);
    expect(rows.length).toBeGreaterThan(3);
    expectMonotonic(rows);
    // The last progress line: 100%, every file and byte of the backup.
    const last = rows[rows.length - 1];
    expect(last[0]).toBe(100);
    expect(last[1]).toBe(last[2]); // files done = total
    expect(last[3]).toBe(last[4]); // bytes done = total
    expect(c.out[c.out.length - 1]).toMatch(/^restore: done: /);
    expect(leftovers(target)).toEqual([]);
    expect(fs.existsSync(path.join(target, 'LOCK'))).toBe(false);
    expectCountsLine(c.out, await expectSameAnswers(target));
  });

  it('restores the downloaded .tar.gz into an existing empty dir with the same answers', async () => {
    const target = path.join(work.dir, 'from-tgz');
    fs.mkdirSync(target);
    const c = capture();
    expect(await runRestore([archive, `--data-dir=${target}`], c.io, { progressIntervalMs: 0 })).toBe(0);
    expect(c.err).toEqual([]);
    const rows = progressNumbers(c.out);
    expect(rows.length).toBeGreaterThan(1);
    expectMonotonic(rows);
    // "NN% archive READ/SIZE bytes read ... FILES files, BYTES bytes written": ends at the archive size.
    const size = fs.statSync(archive).size;
    const last = rows[rows.length - 1];
    expect([last[0], last[1], last[2]]).toEqual([100, size, size]);
    expect(leftovers(target)).toEqual([]);
    expectCountsLine(c.out, await expectSameAnswers(target));
    // Same files as the directory backup, byte for byte.
    for (const e of ['metrics', 'logs', 'spans']) expect(fs.readdirSync(path.join(target, e)).length).toBeGreaterThan(0);
  });

  it('refuses a non-empty target, and --force moves it aside instead of deleting it', async () => {
    const target = path.join(work.dir, 'occupied');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'precious.txt'), 'keep me');
    const c = capture();
    expect(await runRestore([backupDir, '--data-dir', target], c.io)).toBe(1);
    expect(c.err.join('\n')).toMatch(/not empty.*--force/);
    expect(fs.readdirSync(target)).toEqual(['precious.txt']);
    expect(leftovers(target)).toEqual([]);

    const f = capture();
    expect(await runRestore([backupDir, '--data-dir', target, '--force'], f.io)).toBe(0);
    const aside = fs.readdirSync(work.dir).filter((n) => n.startsWith('occupied.before-restore-'));
    expect(aside.length).toBe(1);
    expect(fs.readFileSync(path.join(work.dir, aside[0], 'precious.txt'), 'utf8')).toBe('keep me');
    expect(f.out.join('\n')).toContain(path.join(work.dir, aside[0]));
    expect(fs.existsSync(path.join(target, 'precious.txt'))).toBe(false);
    await expectSameAnswers(target);
  });

  it('refuses a target held by a running store, with or without --force', async () => {
    const target = path.join(work.dir, 'in-use');
    const tl = await Timeless.open({ dataDir: target, runtimeMetrics: false, pool: { threads: 1 } });
    try {
      const before = fs.readdirSync(target).sort();
      for (const extra of [[], ['--force']]) {
        const c = capture();
        expect(await runRestore([backupDir, '--data-dir', target, ...extra], c.io)).toBe(1);
        expect(c.err.join('\n')).toMatch(/in use by a running store/);
        expect(fs.readdirSync(target).sort()).toEqual(before);
        expect(fs.readdirSync(work.dir).filter((n) => n.startsWith('in-use.'))).toEqual([]);
      }
      await expect(restoreBackup(backupDir, target)).rejects.toMatchObject({ code: 'LOCKED' });
    } finally {
      await tl.close();
    }
  });

  it('refuses hostile archives: ../, absolute paths, symlinks, hard links, devices; nothing written anywhere', async () => {
    const outside = path.join(work.dir, 'outside');
    fs.mkdirSync(outside);
    const evilAbs = path.join(outside, 'abs-evil');
    const cases: Array<[string, Buffer[]]> = [
      ['dotdot', [dirEntry('bk'), dirEntry('bk/metrics'), fileEntry('bk/metrics/ok', 'fine'), fileEntry('bk/../../outside/evil', 'pwned')]],
      ['dotdot-top', [fileEntry('../evil', 'pwned')]],
      ['absolute', [dirEntry('bk'), fileEntry(evilAbs, 'pwned')]],
      ['symlink', [dirEntry('bk'), rawHeader('bk/metrics', '2', 0, outside), fileEntry('bk/metrics/evil', 'pwned')]],
      ['hardlink', [dirEntry('bk'), rawHeader('bk/metrics', '1', 0, path.join(outside, 'x'))]],
      ['device', [dirEntry('bk'), rawHeader('bk/dev', '3', 0)]],
      ['second-top', [dirEntry('bk'), dirEntry('bk/metrics'), fileEntry('other/evil', 'pwned')]],
    ];
    for (const [label, parts] of cases) {
      const file = path.join(work.dir, `${label}.tar.gz`);
      writeTarGz(file, parts);
      const target = path.join(work.dir, `hostile-${label}`);
      const c = capture();
      expect(await runRestore([file, '--data-dir', target], c.io), label).toBe(1);
      expect(c.err.join('\n'), label).toMatch(/\.\.|absolute|link|device|outside/);
      await expect(restoreBackup(file, target), label).rejects.toMatchObject({ code: 'UNSAFE_ENTRY' });
      expect(fs.existsSync(target), label).toBe(false);
      expect(leftovers(target), label).toEqual([]);
    }
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(fs.existsSync(path.join(work.dir, 'evil'))).toBe(false);
    expect(fs.existsSync(path.join(path.dirname(work.dir), 'evil'))).toBe(false);
  });

  it('refuses a truncated archive (gzip cut short, or a tar without its end) and creates nothing', async () => {
    const bytes = fs.readFileSync(archive);
    const cut = path.join(work.dir, 'cut.tar.gz');
    fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const noEnd = path.join(work.dir, 'no-end.tar.gz');
    // Valid gzip around a tar that stops in the middle of a file's content.
    const tar: Buffer[] = [];
    for await (const chunk of tarChunks(backupDir, 'bk')) tar.push(chunk);
    const whole = Buffer.concat(tar);
    fs.writeFileSync(noEnd, zlib.gzipSync(whole.subarray(0, Math.floor(whole.length / 2) + 100)));
    const garbage = path.join(work.dir, 'garbage.tar.gz');
    fs.writeFileSync(garbage, Buffer.from('this is not a gzip file at all'));
    for (const file of [cut, noEnd, garbage]) {
      const target = path.join(work.dir, `from-${path.basename(file)}`);
      const c = capture();
      expect(await runRestore([file, '--data-dir', target], c.io), file).toBe(1);
      expect(c.err.join('\n'), file).toMatch(/truncated|not a valid gzip|not a tar/);
      await expect(restoreBackup(file, target), file).rejects.toMatchObject({ code: 'BAD_ARCHIVE' });
      expect(fs.existsSync(target), file).toBe(false);
      expect(leftovers(target), file).toEqual([]);
    }
  });

  it('refuses a source that is not a backup, and one that does not open as a store, leaving the target alone', async () => {
    const empty = path.join(work.dir, 'empty-src');
    fs.mkdirSync(empty);
    const target = path.join(work.dir, 'not-a-backup');
    await expect(restoreBackup(empty, target)).rejects.toMatchObject({ code: 'NOT_A_BACKUP' });
    expect(fs.existsSync(target)).toBe(false);

    // metrics/ as a file: it looks like a backup but the store cannot open it.
    const broken = path.join(work.dir, 'broken-src');
    fs.mkdirSync(broken);
    fs.writeFileSync(path.join(broken, 'metrics'), 'not a directory');
    const c = capture();
    expect(await runRestore([broken, '--data-dir', target], c.io)).toBe(1);
    expect(c.err.join('\n')).toMatch(/does not open as a store/);
    await expect(restoreBackup(broken, target)).rejects.toBeInstanceOf(RestoreError);
    expect(fs.existsSync(target)).toBe(false);
    expect(leftovers(target)).toEqual([]);

    const missing = capture();
    expect(await runRestore([path.join(work.dir, 'nope.tar.gz'), '--data-dir', target], missing.io)).toBe(1);
    expect(missing.err.join('\n')).toMatch(/cannot read backup/);
  });

  it('--engine replaces one engine of an existing data dir (moved aside with --force), leaving the others', async () => {
    const target = path.join(work.dir, 'engine-target');
    const own = await Timeless.open({ dataDir: target, runtimeMetrics: false, pool: { threads: 1 } });
    own.metrics.writeBatch([{ name: 'own_metric', labels: {}, value: 42, tsMs: FROM_MS + 1_000 }]);
    own.logs.writeBatch(makeInputs(99, 50, { startMs: FROM_MS, stepMs: 1_000, tag: 'mine' }));
    await own.flush();
    await own.close();
    const mineLogs = fs.readdirSync(path.join(target, 'logs')).sort();

    const refused = capture();
    expect(await runRestore([archive, '--data-dir', target, '--engine', 'logs'], refused.io)).toBe(1);
    expect(refused.err.join('\n')).toMatch(/logs is not empty.*--force/);
    expect(fs.readdirSync(path.join(target, 'logs')).sort()).toEqual(mineLogs);

    const c = capture();
    expect(await runRestore([archive, '--data-dir', target, '--engine=logs', '--force'], c.io, { progressIntervalMs: 0 })).toBe(0);
    expectMonotonic(progressNumbers(c.out));
    const aside = fs.readdirSync(target).filter((n) => n.startsWith('logs.before-restore-'));
    expect(aside.length).toBe(1);
    expect(fs.readdirSync(path.join(target, aside[0])).sort()).toEqual(mineLogs);
    expect(leftovers(target)).toEqual([]);
    const tl = await Timeless.open({ dataDir: target, runtimeMetrics: false, pool: { threads: 1 }, retention: { intervalSec: 0 } });
    try {
      expect((await tl.logs.query({ fromMs: FROM_MS, toMs: TO_MS, limit: 5_000 })).entries).toEqual(expected.logs);
      // Metrics are still the directory's own: the backup's were not restored.
      expect((await tl.metrics.query({ name: 'own_metric', fromMs: FROM_MS, toMs: TO_MS })).length).toBe(1);
      expect((await tl.metrics.query({ name: 'http_requests', fromMs: FROM_MS, toMs: TO_MS })).length).toBe(0);
    } finally {
      await tl.close();
    }

    // From a directory backup too, into an engine dir that does not exist yet.
    fs.rmSync(path.join(target, 'spans'), { recursive: true, force: true });
    const d = capture();
    expect(await runRestore([backupDir, '--data-dir', target, '--engine', 'spans'], d.io)).toBe(0);
    const tl2 = await Timeless.open({ dataDir: target, runtimeMetrics: false, pool: { threads: 1 }, retention: { intervalSec: 0 } });
    try {
      expect(await Promise.all(ids.slice(0, 20).map((id) => tl2.traces.trace(id)))).toEqual(expected.traces);
    } finally {
      await tl2.close();
    }

    const missing = capture();
    expect(await runRestore([archive, '--data-dir', path.join(work.dir, 'no-such-dir'), '--engine', 'logs'], missing.io)).toBe(1);
    expect(fs.existsSync(path.join(work.dir, 'no-such-dir'))).toBe(false);
  });

  it('runs from the built module in a child process (exit codes 0, 1, 2)', async () => {
    const mod = path.resolve('dist/src/tools/restore.js');
    const script = `import(${JSON.stringify(mod)}).then((m) => m.runRestore(process.argv.slice(1), { out: console.log, err: console.error })).then((c) => process.exit(c))`;
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['-e', script, '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const target = path.join(work.dir, 'child-target');
    const ok = await run([archive, '--data-dir', target]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/restore: verified: metrics \d+ series/);
    expect(ok.stdout).toMatch(/restore: 100% archive/);
    const again = await run([archive, '--data-dir', target]);
    expect([again.code, again.stderr.includes('not empty')]).toEqual([1, true]);
    expect((await run([archive])).code).toBe(2);
    await expectSameAnswers(target);
  });

  it('exits 2 on usage errors and 0 with usage on --help', async () => {
    for (const argv of [[], ['x'], ['--data-dir', 'd'], ['a', 'b', '--data-dir', 'd'], ['a', '--data-dir'], ['a', '--data-dir', 'd', '--bogus'], ['a', '--data-dir', 'd', '--engine', 'disk']]) {
      const c = capture();
      expect(await runRestore(argv, c.io), argv.join(' ')).toBe(2);
      expect(c.err.join('\n')).toMatch(/usage: timeless restore/);
    }
    const h = capture();
    expect(await runRestore(['--help'], h.io)).toBe(0);
    expect(h.out.join('\n')).toMatch(/usage: timeless restore/);
  });
});
