// Forwarding to a REAL VictoriaMetrics (Debian's /usr/bin/victoria-metrics): points written over our
// HTTP API arrive through remote_write as the same series with the same samples; with VM down the
// queue holds them (lag > 0), across a restart of our server, until VM comes up.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { WritePoint } from '../src/metrics/types.js';
import { getJson, postJson, startServer, type TestServer } from './server-helpers.js';
import { tempDir } from './metrics-helpers.js';

const VM_BIN = '/usr/bin/victoria-metrics';
const HAVE_VM = fs.existsSync(VM_BIN);
if (!HAVE_VM) console.warn(`forward-victoria: ${VM_BIN} is missing (apt-get install victoria-metrics): skipping the VictoriaMetrics forwarding tests`);

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Vm {
  url: string;
  stop(): Promise<void>;
}

async function startVm(port: number): Promise<Vm> {
  const data = tempDir('vm');
  const child: ChildProcess = spawn(VM_BIN, [`-storageDataPath=${data.dir}`, `-httpListenAddr=127.0.0.1:${port}`, '-loggerLevel=ERROR', '-retentionPeriod=100y'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    data.remove();
  };
  cleanups.push(stop);
  await waitFor(`VictoriaMetrics on ${url} (stderr: ${stderr})`, async () => {
    if (child.exitCode !== null) throw new Error(`victoria-metrics exited ${child.exitCode}: ${stderr}`);
    try {
      return (await fetch(`${url}/health`)).ok ? true : undefined;
    } catch {
      return undefined;
    }
  });
  return { url, stop };
}

interface Series {
  labels: Record<string, string>;
  tsMs: number[];
  values: number[];
}

/** What VM holds for the metric names matching `re`, series sorted by their labels. */
async function vmExport(vm: Vm, re: string): Promise<Series[]> {
  // Recent samples become searchable only after a flush of VM's in-memory parts.
  await fetch(`${vm.url}/internal/force_flush`);
  const res = await fetch(`${vm.url}/api/v1/export?${new URLSearchParams({ 'match[]': `{__name__=~"${re}"}` })}`);
  expect(res.status).toBe(200);
  const text = await res.text();
  const out: Series[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const row = JSON.parse(line) as { metric: Record<string, string>; values: number[]; timestamps: number[] };
    const pairs = row.timestamps.map((t, i) => [t, row.values[i]] as const).sort((a, b) => a[0] - b[0]);
    out.push({ labels: row.metric, tsMs: pairs.map((p) => p[0]), values: pairs.map((p) => p[1]) });
  }
  return sortSeries(out);
}

function sortSeries(s: Series[]): Series[] {
  return s.sort((a, b) => (JSON.stringify(sortedLabels(a.labels)) < JSON.stringify(sortedLabels(b.labels)) ? -1 : 1)).map((x) => ({ ...x, labels: sortedLabels(x.labels) }));
}

function sortedLabels(l: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(l).sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

/** The series `points` make, as VM should export them. */
function expectedSeries(points: WritePoint[]): Series[] {
  const m = new Map<string, Series>();
  for (const p of points) {
    const labels = sortedLabels({ __name__: p.name, ...p.labels });
    const key = JSON.stringify(labels);
    let s = m.get(key);
    if (s === undefined) m.set(key, (s = { labels, tsMs: [], values: [] }));
    s.tsMs.push(p.tsMs!);
    s.values.push(p.value);
  }
  for (const s of m.values()) {
    const pairs = s.tsMs.map((t, i) => [t, s.values[i]] as const).sort((a, b) => a[0] - b[0]);
    s.tsMs = pairs.map((p) => p[0]);
    s.values = pairs.map((p) => p[1]);
  }
  return sortSeries([...m.values()]);
}

/** Points of a few series (label sets of several sizes, odd values), one sample every 15 s. */
function makePoints(prefix: string, fromMs: number, count: number): WritePoint[] {
  const points: WritePoint[] = [];
  const series = [
    { name: `${prefix}_requests_total`, labels: { method: 'GET', route: '/api/items' } },
    { name: `${prefix}_requests_total`, labels: { method: 'POST', route: '/api/items' } },
    { name: `${prefix}_temperature_celsius`, labels: { room: 'lab "A"', sensor: 'ß-7' } },
    { name: `${prefix}_up`, labels: {} },
  ];
  for (let i = 0; i < count; i++) {
    series.forEach((s, k) => points.push({ name: s.name, labels: s.labels, tsMs: fromMs + i * 15_000, value: k === 2 ? -12.625 + i / 8 : k === 3 ? 1 : i * 3 + k }));
  }
  return points;
}

type ForwardStats = Record<string, Record<string, number>>;

function targetStats(s: TestServer, label: string): Record<string, number> {
  return (s.app.timeless.forwarder!.stats() as ForwardStats)[label];
}

async function closeServer(s: TestServer): Promise<void> {
  // tl.close() closes what tl.routes() built (the forwarder and its queue files).
  await s.close();
}

describe.skipIf(!HAVE_VM)('forwarding to VictoriaMetrics (remote_write)', () => {
  it('VictoriaMetrics returns the same series and samples that our HTTP API accepted', async () => {
    const vm = await startVm(await freePort());
    const target = `${vm.url}/api/v1/write`;
    const s = await startServer({ server: { forward: { remoteWrite: [target] } } });
    cleanups.push(() => closeServer(s));
    const fromMs = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
    const points = makePoints('fwd_a', fromMs, 120);
    // Two requests: the forwarder batches across them and VM must still see each series whole.
    for (const half of [points.slice(0, 200), points.slice(200)]) {
      const r = await postJson(`${s.url}/api/v1/metrics/write`, { points: half });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ accepted: half.length, rejected: 0 });
    }
    await waitFor('the queue to drain', () => {
      const st = targetStats(s, target);
      return st.queued_records === 0 && st.sent_records_total === points.length ? st : undefined;
    });
    const got = await waitFor('VM to return every sample', async () => {
      const e = await vmExport(vm, 'fwd_a_.*');
      return e.reduce((n, x) => n + x.tsMs.length, 0) >= points.length ? e : undefined;
    });
    expect(got).toEqual(expectedSeries(points));
    const st = targetStats(s, target);
    expect(st).toMatchObject({ dropped_records_total: 0, rejected_records_total: 0, oldest_age_seconds: 0 });
    expect(st.sent_requests_total).toBeGreaterThan(0);
    // The same numbers in /api/v1/stats.
    const stats = await getJson(`${s.url}/api/v1/stats`);
    expect(stats.body.forward[target].sent_records_total).toBe(points.length);
    // And in the /metrics exposition, labelled by target.
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toContain('# TYPE timeless_forward_sent_records_total counter');
    expect(metrics).toContain(`timeless_forward_sent_records_total{target="${target}"} ${points.length}\n`);
    expect(metrics).toContain(`timeless_forward_oldest_age_seconds{target="${target}"} 0\n`);
  });

  it('holds data while VM is down (lag grows), keeps it across a restart of our server, and delivers all of it once VM is up', async () => {
    const port = await freePort();
    const target = `http://127.0.0.1:${port}/api/v1/write`;
    const dir = tempDir('fwd-server');
    cleanups.push(dir.remove);
    const forward = { remoteWrite: [target], minBackoffMs: 50, maxBackoffMs: 300 };
    const fromMs = Math.floor(Date.now() / 1000) * 1000 - 7_200_000;
    const before = makePoints('fwd_b', fromMs, 50);
    const after = makePoints('fwd_b', fromMs + 50 * 15_000, 30);

    let s = await startServer({ dir: dir.dir, server: { forward } });
    expect((await postJson(`${s.url}/api/v1/metrics/write`, { points: before })).body).toMatchObject({ accepted: before.length });
    const lagging = await waitFor('retries against the closed port and a visible lag', () => {
      const st = targetStats(s, target);
      return st.retries_total > 0 && st.oldest_age_seconds > 0 ? st : undefined;
    });
    expect(lagging).toMatchObject({ queued_records: before.length, sent_records_total: 0, dropped_records_total: 0 });
    expect(lagging.last_error_timestamp_seconds).toBeGreaterThan(0);
    expect(lagging.queued_bytes).toBeGreaterThan(0);
    // /metrics carries the forwarding numbers too (rendered by the admin route).
    const metrics = await fetch(`${s.url}/metrics`);
    expect(metrics.status).toBe(200);

    // Restart with the queue non-empty.
    await closeServer(s);
    s = await startServer({ dir: dir.dir, server: { forward } });
    cleanups.push(() => closeServer(s));
    expect(targetStats(s, target)).toMatchObject({ queued_records: before.length });
    expect((await postJson(`${s.url}/api/v1/metrics/write`, { points: after })).body).toMatchObject({ accepted: after.length });
    expect(targetStats(s, target).queued_records).toBe(before.length + after.length);

    const vm = await startVm(port);
    await waitFor('the queue to drain into VM', () => {
      const st = targetStats(s, target);
      return st.queued_records === 0 ? st : undefined;
    });
    const all = [...before, ...after];
    const got = await waitFor('VM to return every sample', async () => {
      const e = await vmExport(vm, 'fwd_b_.*');
      return e.reduce((n, x) => n + x.tsMs.length, 0) >= all.length ? e : undefined;
    });
    // Everything, each sample once.
    expect(got).toEqual(expectedSeries(all));
    expect(targetStats(s, target)).toMatchObject({ sent_records_total: all.length, dropped_records_total: 0, oldest_age_seconds: 0 });
  });
});
