// The standalone server: argument/env parsing, and the built `timeless serve` process — listens,
// ingests, warns when exposed without auth, and on SIGTERM flushes, closes and exits 0 with the
// acknowledged data on disk.
import { afterEach, describe, expect, it } from 'vitest';
import { parseServeArgs, isLoopback, UsageError, USAGE } from '../src/server/cli-args.js';
import { Timeless } from '../src/store.js';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { tempDir } from './metrics-helpers.js';
import { MAIN, startMain, type Proc } from './process-helpers.js';


describe('parseServeArgs', () => {
  it('defaults to 127.0.0.1:4318 and data/observability', () => {
    expect(parseServeArgs(['serve'], {})).toEqual({ port: 4318, host: '127.0.0.1', dataDir: 'data/observability', auth: {}, forward: { remoteWrite: [] }, demo: true });
  });
  it('reads flags in both spellings, env defaults and auth from env', () => {
    const cfg = parseServeArgs(['serve', '--port=9000', '--host', '0.0.0.0', '--data-dir', '/d', '--forward-remote-write', 'http://vm:8428/api/v1/write', '--forward-otlp=http://c:4318'], {
      DASHBOARD_USER: 'u',
      DASHBOARD_PASS: 'p',
      TIMELESS_BEARER_TOKEN: 't',
    });
    expect(cfg).toEqual({ port: 9000, host: '0.0.0.0', dataDir: '/d', auth: { basic: { user: 'u', pass: 'p' }, bearerToken: 't' }, forward: { remoteWrite: ['http://vm:8428/api/v1/write'], otlp: 'http://c:4318' }, demo: true });
    expect(parseServeArgs([], { PORT: '1234', HOST: '::1', TIMELESS_DATA_DIR: 'x' })).toMatchObject({ port: 1234, host: '::1', dataDir: 'x' });
  });
  it('runs the demo unless --no-demo, which takes no value', () => {
    expect(parseServeArgs(['serve', '--port', '1'], {}).demo).toBe(true);
    expect(parseServeArgs(['serve', '--no-demo', '--port', '1'], {})).toMatchObject({ demo: false, port: 1 });
    expect(() => parseServeArgs(['--no-demo=yes'], {})).toThrow(/--no-demo takes no value/);
    expect(() => parseServeArgs(['--demo'], {})).toThrow(/unknown argument '--demo'/);
    expect(USAGE).toContain('--no-demo');
    expect(USAGE).toContain('timeless check');
    expect(USAGE).toContain('timeless restore');
  });
  it('refuses bad input with the usage', () => {
    for (const argv of [['--port', '70000'], ['--port'], ['--bogus'], ['--forward-otlp', 'ftp://x'], ['--max-body-bytes', '-1']]) {
      expect(() => parseServeArgs(argv, {}), argv.join(' ')).toThrow(UsageError);
    }
    expect(() => parseServeArgs([], { DASHBOARD_USER: 'u' })).toThrow(/both DASHBOARD_USER and DASHBOARD_PASS/);
    const help = (() => {
      try {
        parseServeArgs(['--help'], {});
      } catch (err) {
        return err as UsageError;
      }
    })();
    expect(help?.help).toBe(true);
  });
  it('reads --memory-limit-mb as the store\'s memoryLimitBytes: a whole number of MiB ≥ 32', () => {
    expect(parseServeArgs(['serve', '--memory-limit-mb', '512'], {}).memoryLimitBytes).toBe(512 * 1024 * 1024);
    expect(parseServeArgs(['--memory-limit-mb=32'], {}).memoryLimitBytes).toBe(32 * 1024 * 1024);
    expect(parseServeArgs([], {}).memoryLimitBytes).toBeUndefined();
    for (const bad of ['0', '31', '1.5', '-64', 'abc', '', '1e3', String(2 ** 40)]) {
      expect(() => parseServeArgs([`--memory-limit-mb=${bad}`], {}), bad).toThrow(/--memory-limit-mb must be a whole number of MiB ≥ 32/);
    }
    expect(() => parseServeArgs(['--memory-limit-mb'], {})).toThrow(/--memory-limit-mb needs a value/);
    expect(USAGE).toContain('--memory-limit-mb N');
  });

  it('reads --memory-spike-mb as memorySpikeBytes: only with --memory-limit-mb, leaving ≥ 16 MiB below it', () => {
    expect(parseServeArgs(['--memory-limit-mb', '512', '--memory-spike-mb', '64'], {})).toMatchObject({ memoryLimitBytes: 512 * 1024 * 1024, memorySpikeBytes: 64 * 1024 * 1024 });
    expect(parseServeArgs(['--memory-limit-mb=64', '--memory-spike-mb=48'], {}).memorySpikeBytes).toBe(48 * 1024 * 1024);
    expect(parseServeArgs(['--memory-limit-mb=64'], {}).memorySpikeBytes).toBeUndefined();
    expect(() => parseServeArgs(['--memory-spike-mb', '64'], {})).toThrow(/--memory-spike-mb needs --memory-limit-mb/);
    expect(() => parseServeArgs(['--memory-limit-mb=64', '--memory-spike-mb=49'], {})).toThrow(/--memory-spike-mb must be at most --memory-limit-mb - 16, got 49 with a limit of 64/);
    for (const bad of ['-1', '1.5', 'x', '']) {
      expect(() => parseServeArgs(['--memory-limit-mb=64', `--memory-spike-mb=${bad}`], {}), bad).toThrow(/--memory-spike-mb must be a whole number of MiB/);
    }
    expect(USAGE).toContain('--memory-spike-mb S');
  });
  it('knows loopback hosts', () => {
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', '::'].some(isLoopback)).toBe(false);
  });
});


describe('timeless serve (built)', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it('serves, and on SIGTERM flushes, closes and exits 0 with the data on disk', async () => {
    const tmp = tempDir('serve');
    cleanups.push(tmp.remove);
    const p = startMain(['--port', '0', '--data-dir', tmp.dir]);
    cleanups.push(() => p.child.kill('SIGKILL'));
    const url = await p.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(p.out()).not.toContain('WARNING');
    const w = await fetch(`${url}/api/v1/metrics/write`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ points: [{ name: 'cli_test', labels: { a: '1' }, value: 42, tsMs: 1_700_000_000_000 }] }),
    });
    expect(w.status).toBe(200);
    const l = await fetch(`${url}/api/v1/logs/write`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ message: 'from the cli test', level: 'warn' }]) });
    expect(l.status).toBe(200);
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    expect(p.out()).toContain('stopped; all acknowledged data is on disk');
    const tl = await Timeless.open({ dataDir: tmp.dir, pool: { threads: 1 } });
    try {
      const q = await tl.metrics.query({ name: 'cli_test', fromMs: 1_699_999_999_000, toMs: 1_700_000_001_000 });
      expect(Array.from(q[0].values)).toEqual([42]);
      expect((await tl.logs.query({ search: 'from the cli test' })).entries).toHaveLength(1);
    } finally {
      await tl.close();
    }
  });

  it('warns when listening beyond loopback without auth, and enforces env auth', async () => {
    const tmp = tempDir('serve');
    cleanups.push(tmp.remove);
    const open = startMain(['--port', '0', '--host', '0.0.0.0', '--data-dir', tmp.dir]);
    cleanups.push(() => open.child.kill('SIGKILL'));
    await open.url;
    // stderr and stdout are separate pipes: wait for the warning rather than assume its order.
    for (let i = 0; i < 100 && !open.out().includes('WARNING'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(open.out()).toContain('WARNING: listening on 0.0.0.0 with auth off');
    open.child.kill('SIGINT');
    expect(await open.exit).toBe(0);

    const guarded = startMain(['--port', '0', '--data-dir', tmp.dir], { DASHBOARD_USER: 'u', DASHBOARD_PASS: 'p' });
    cleanups.push(() => guarded.child.kill('SIGKILL'));
    const url = await guarded.url;
    expect((await fetch(`${url}/api/v1/stats`)).status).toBe(401);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await fetch(`${url}/api/v1/stats`, { headers: { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` } })).status).toBe(200);
    guarded.child.kill('SIGTERM');
    expect(await guarded.exit).toBe(0);
  });

  it('exits 2 with the usage on a bad flag, and 1 when the data dir is locked', async () => {
    const bad = startMain(['--nope']);
    await expect(bad.url).rejects.toThrow(/unknown argument '--nope'/);
    expect(await bad.exit).toBe(2);
    const tmp = tempDir('serve');
    cleanups.push(tmp.remove);
    const tl = await Timeless.open({ dataDir: tmp.dir, pool: { threads: 1 } });
    try {
      const locked = startMain(['--port', '0', '--data-dir', tmp.dir]);
      await expect(locked.url).rejects.toThrow(/exited 1/);
      expect(locked.out()).toMatch(/lock/i);
    } finally {
      await tl.close();
    }
  });

  it('runs `check` and `restore` as subcommands of the same bin', async () => {
    const tmp = tempDir('serve-tools');
    cleanups.push(tmp.remove);
    const dataDir = path.join(tmp.dir, 'data');
    const tl = await Timeless.open({ dataDir, pool: { threads: 1 }, runtimeMetrics: false });
    tl.metrics.write('tools_total', { a: '1' }, 1);
    tl.logs.write({ message: 'before the backup' });
    await tl.flush();
    const backup = await tl.backup();
    await tl.close();
    const run = (args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
    const checked = run(['check', '--data-dir', dataDir]);
    expect(checked.status, checked.stdout + checked.stderr).toBe(0);
    const restoredDir = path.join(tmp.dir, 'restored');
    const restored = run(['restore', backup.path, '--data-dir', restoredDir]);
    expect(restored.status, restored.stdout + restored.stderr).toBe(0);
    const again = await Timeless.open({ dataDir: restoredDir, pool: { threads: 1 }, runtimeMetrics: false });
    try {
      expect((await again.logs.query({ search: 'before the backup' })).entries).toHaveLength(1);
      expect(again.metrics.listMetrics()).toContain('tools_total');
    } finally {
      await again.close();
    }
    expect(run(['check', '--nope']).status).toBe(2);
  });
});
