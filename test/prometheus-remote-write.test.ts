// The real Prometheus (Debian's 2.42, /usr/bin/prometheus) against this server: it scrapes a small
// target served here every second (values change per scrape) and remote_writes to us; the samples
// in our store must equal, series for series, the raw samples Prometheus itself holds (read back
// with a range selector, which returns raw samples). It also receives a body built by our own
// encodeWriteRequest + snappyCompress on its remote-write receiver, which checks our encoder and
// compressor against Go's decoders.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './server-helpers.js';
import { tempDir } from './metrics-helpers.js';
import { snappyCompress } from '../src/server/protocols/snappy.js';
import { encodeWriteRequest } from '../src/server/protocols/remote-write.js';

const PROMETHEUS = '/usr/bin/prometheus';
const HAVE_PROMETHEUS = fs.existsSync(PROMETHEUS);
const SCRAPES_WANTED = 6;
if (!HAVE_PROMETHEUS) console.warn(`SKIPPED prometheus-remote-write.test.ts: ${PROMETHEUS} is not installed (apt-get install prometheus)`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(250);
  }
}

/** The exposition the target serves on its n-th scrape: every value depends on n. */
function exposition(n: number): string {
  return [
    '# HELP prt_requests_total Requests served.',
    '# TYPE prt_requests_total counter',
    `prt_requests_total{path="/a"} ${n * 3}`,
    `prt_requests_total{path="/b\\"q"} ${n * 7 + 0.5}`,
    '# HELP prt_temperature_celsius Room temperature.',
    '# TYPE prt_temperature_celsius gauge',
    `prt_temperature_celsius{room="lab"} ${20 + n * 0.125}`,
    `prt_temperature_celsius{room="roof"} ${-3.3 - n / 7}`,
    '# TYPE prt_latency_seconds histogram',
    `prt_latency_seconds_bucket{le="0.1"} ${n}`,
    `prt_latency_seconds_bucket{le="1"} ${2 * n}`,
    `prt_latency_seconds_bucket{le="+Inf"} ${3 * n}`,
    `prt_latency_seconds_sum ${n * 0.7}`,
    `prt_latency_seconds_count ${3 * n}`,
    '',
  ].join('\n');
}

type SeriesSamples = Map<string, { tsMs: number[]; values: number[] }>;

function seriesKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

function promValue(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v); // "NaN" → NaN; decimals are Go's shortest round-trip form
}

describe.skipIf(!HAVE_PROMETHEUS)(`Prometheus 2.42 remote_write into the server${HAVE_PROMETHEUS ? '' : ` (skipped: ${PROMETHEUS} is not installed)`}`, () => {
  let s: TestServer;
  let target: http.Server;
  let prom: ChildProcess;
  let promUrl: string;
  let promLog = '';
  let scrapes = 0;
  let instance = '';
  const tmp = tempDir('prometheus');

  async function promQuery(query: string, timeSec: number): Promise<any[]> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(query)}&time=${timeSec}`);
    const body = (await res.json()) as { status: string; data: { result: any[] }; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus query ${query} failed: ${body.error}`);
    return body.data.result;
  }

  beforeAll(async () => {
    s = await startServer();
    target = http.createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      scrapes++;
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(exposition(scrapes));
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const targetPort = (target.address() as AddressInfo).port;
    instance = `127.0.0.1:${targetPort}`;
    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    const config = [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: prt',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${targetPort}']`,
      'remote_write:',
      `  - url: ${s.url}/api/v1/write`,
      '    queue_config:',
      '      batch_send_deadline: 500ms',
      '      min_backoff: 100ms',
      '      max_backoff: 1s',
      '    metadata_config:',
      '      send: true',
      '      send_interval: 1s',
      '',
    ].join('\n');
    const configFile = path.join(tmp.dir, 'prometheus.yml');
    fs.writeFileSync(configFile, config);
    prom = spawn(
      PROMETHEUS,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(tmp.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--web.enable-remote-write-receiver',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prom.stderr?.on('data', (d: Buffer) => {
      promLog = (promLog + d.toString()).slice(-20_000);
    });
    await waitFor('Prometheus to be ready', 20_000, async () => {
      if (prom.exitCode !== null) throw new Error(`prometheus exited with ${prom.exitCode}: ${promLog}`);
      const r = await fetch(`${promUrl}/-/ready`);
      return r.status === 200 ? true : undefined;
    });
  });

  afterAll(async () => {
    if (prom && prom.exitCode === null) {
      const exited = new Promise<void>((resolve) => prom.once('exit', () => resolve()));
      prom.kill('SIGTERM');
      const killTimer = setTimeout(() => prom.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killTimer);
    }
    await new Promise<void>((resolve) => (target ? target.close(() => resolve()) : resolve()));
    await s?.close();
    tmp.remove();
  });

  it('stores exactly the samples Prometheus scraped, and the metadata it sent', async () => {
    // Enough scrapes in Prometheus' own TSDB...
    await waitFor(`${SCRAPES_WANTED} scrapes`, 25_000, async () => {
      const r = await promQuery('count_over_time(prt_temperature_celsius{room="lab"}[1h])', Date.now() / 1000);
      return r.length === 1 && Number(r[0].value[1]) >= SCRAPES_WANTED ? true : undefined;
    });
    // ...then freeze a time T and read every raw sample of the job up to T from Prometheus.
    const tMs = Date.now();
    const matrix = await promQuery('{job="prt"}[1h]', tMs / 1000);
    const want: SeriesSamples = new Map();
    for (const series of matrix) {
      const values: Array<[number, string]> = series.values;
      want.set(seriesKey(series.metric), { tsMs: values.map(([t]) => Math.round(t * 1000)), values: values.map(([, v]) => promValue(v)) });
    }
    expect(want.has(seriesKey({ __name__: 'prt_requests_total', job: 'prt', instance, path: '/b"q' }))).toBe(true);
    expect(want.has(seriesKey({ __name__: 'up', job: 'prt', instance }))).toBe(true);
    expect(want.size).toBeGreaterThanOrEqual(12); // 9 target series + up and the scrape_* series

    // Our store catches up through remote_write (it lags by a batch or two).
    const names = [...new Set(matrix.map((m: any) => m.metric.__name__ as string))];
    const readOurs = async (): Promise<SeriesSamples> => {
      const got: SeriesSamples = new Map();
      for (const name of names) {
        for (const r of await s.tl.metrics.query({ name, matchers: { job: 'prt' }, fromMs: 0, toMs: tMs })) {
          got.set(seriesKey({ __name__: r.name, ...r.labels }), { tsMs: Array.from(r.tsMs), values: Array.from(r.values) });
        }
      }
      return got;
    };
    const same = (a: SeriesSamples, b: SeriesSamples) =>
      a.size === b.size && [...a].every(([k, v]) => {
        const o = b.get(k);
        return o !== undefined && o.tsMs.length === v.tsMs.length && o.tsMs.every((t, i) => t === v.tsMs[i] && Object.is(o.values[i], v.values[i]));
      });
    let ours: SeriesSamples = new Map();
    try {
      await waitFor('remote_write to deliver every sample', 20_000, async () => {
        ours = await readOurs();
        return same(ours, want) ? true : undefined;
      });
    } catch (err) {
      // Show the difference, not just the timeout.
      expect(Object.fromEntries(ours)).toEqual(Object.fromEntries(want));
      throw err;
    }
    expect(Object.fromEntries(ours)).toEqual(Object.fromEntries(want));
    // Values changed per scrape, so equal samples mean the right sample landed at the right time.
    const lab = want.get(seriesKey({ __name__: 'prt_temperature_celsius', job: 'prt', instance, room: 'lab' }))!;
    expect(new Set(lab.values).size).toBe(lab.values.length);
    expect(s.app.timeless.self.get('timeless_ingested_total', { signal: 'metrics', protocol: 'prometheus_remote_write' })).toBeGreaterThan(0);

    await waitFor('metadata', 15_000, async () => (s.tl.metrics.metricMeta('prt_temperature_celsius') ? true : undefined));
    expect(s.tl.metrics.metricMeta('prt_temperature_celsius')).toEqual({ type: 'gauge', help: 'Room temperature.' });
    await waitFor('counter metadata', 15_000, async () => (s.tl.metrics.metricMeta('prt_requests_total') ? true : undefined));
    expect(s.tl.metrics.metricMeta('prt_requests_total')).toEqual({ type: 'counter', help: 'Requests served.' });
  });

  it("is read by Prometheus' own remote-write receiver when encoded and compressed by us", async () => {
    const nowMs = Math.floor(Date.now() / 1000) * 1000;
    const samples = Array.from({ length: 5 }, (_, i) => ({ tsMs: nowMs - 5000 + i * 1000, value: i === 2 ? 0.1 + 0.2 : i * -1.5e-7 + 1e6 }));
    const labels = { __name__: 'ours_interop_total', zone: 'é"x', a: 'b'.repeat(300) };
    // Many similar series make the compressed body use every copy form, near and far (> 2 KiB back).
    const many = Array.from({ length: 400 }, (_, k) => ({
      labels: { __name__: 'ours_interop_many', k: String(k), pad: `${k % 7}-`.repeat(20 + (k % 13)) },
      samples: [{ tsMs: nowMs - 2000, value: k * 0.5 }],
    }));
    const body = encodeWriteRequest([{ labels, samples }, ...many]);
    const compressed = snappyCompress(body);
    expect(compressed.length).toBeLessThan(body.length / 3);
    const res = await fetch(`${promUrl}/api/v1/write`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0' },
      body: compressed,
    });
    expect(res.status, await res.text()).toBe(204);
    const sum = await waitFor('the many interop series', 10_000, async () => {
      const out = await promQuery('count(ours_interop_many) * 1e6 + sum(ours_interop_many)', nowMs / 1000);
      return out.length === 1 && Number(out[0].value[1]) >= 400e6 ? Number(out[0].value[1]) : undefined;
    });
    expect(sum).toBe(400e6 + many.reduce((a, m) => a + m.samples[0].value, 0));
    const r = await waitFor('the interop series', 10_000, async () => {
      const out = await promQuery('ours_interop_total[1h]', nowMs / 1000 + 1);
      return out.length === 1 && out[0].values.length === samples.length ? out : undefined;
    });
    expect(r[0].metric).toEqual(labels);
    expect(r[0].values.map(([t, v]: [number, string]) => [Math.round(t * 1000), promValue(v)])).toEqual(samples.map((x) => [x.tsMs, x.value]));
  });
});

