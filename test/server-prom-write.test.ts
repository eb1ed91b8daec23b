// Prometheus remote_write, Prometheus text import and VictoriaMetrics import/export over HTTP:
// what goes in comes back exactly (through the library API and through /api/v1/export), and
// malformed, oversized and wrongly typed bodies get a 4xx JSON error while earlier data stays intact.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, startServer, type TestServer } from './server-helpers.js';
import { snappyCompress } from '../src/server/protocols/snappy.js';
import { encodeMetadata, encodeWriteRequest } from '../src/server/protocols/remote-write.js';
import { serializeVmLine } from '../src/server/protocols/vm-import.js';

const T0 = Date.UTC(2025, 0, 1, 12);
const MAX_BODY = 1 << 20;

let s: TestServer;

beforeAll(async () => {
  s = await startServer({ server: { maxBodyBytes: MAX_BODY } });
});
afterAll(async () => {
  await s?.close();
});

type Series = { labels: Record<string, string>; samples: Array<{ tsMs: number; value: number }> };

function post(path: string, body: Uint8Array | string, headers: Record<string, string>) {
  return getJson(`${s.url}${path}`, { method: 'POST', headers, body });
}

const RW_HEADERS = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' };

function remoteWrite(series: Series[], path = '/api/v1/write', headers: Record<string, string> = RW_HEADERS) {
  return post(path, snappyCompress(encodeWriteRequest(series)), headers);
}

/** Every stored point of a metric as [labels, ts[], values[]] via the library API. */
async function stored(name: string, fromMs = 0, toMs = T0 + 1e9) {
  const r = await s.tl.metrics.query({ name, fromMs, toMs });
  return r.map((x) => ({ labels: x.labels, tsMs: Array.from(x.tsMs), values: Array.from(x.values) }));
}

function expectSameValues(got: number[], want: number[]) {
  expect(got).toHaveLength(want.length);
  for (let i = 0; i < want.length; i++) expect(Object.is(got[i], want[i]), `value ${i}: ${got[i]} vs ${want[i]}`).toBe(true);
}

function expectJsonError(r: { status: number; body: any }, status: number, code: string) {
  expect(r.status).toBe(status);
  expect(r.body?.error?.code, JSON.stringify(r.body)).toBe(code);
  expect(typeof r.body.error.message).toBe('string');
  expect(JSON.stringify(r.body)).not.toMatch(/at .*\.(ts|js):\d+/);
}

describe('remote_write receive', () => {
  const series: Series[] = [];
  for (const host of ['a', 'b', 'c']) {
    const samples = [];
    for (let i = 0; i < 50; i++) samples.push({ tsMs: T0 + i * 15_000, value: host === 'c' && i === 7 ? NaN : i * 1.25 + host.charCodeAt(0) });
    series.push({ labels: { __name__: 'rw_cpu_seconds_total', host, job: 'node' }, samples });
  }
  series.push({ labels: { __name__: 'rw_inf' }, samples: [{ tsMs: T0, value: Infinity }, { tsMs: T0 + 1, value: -Infinity }, { tsMs: T0 + 2, value: -0 }] });

  it('stores every sample exactly (204) and keeps metadata', async () => {
    const r = await remoteWrite(series);
    expect(r.status).toBe(204);
    expect(r.body).toBe('');
    const got = await stored('rw_cpu_seconds_total');
    expect(got.map((g) => g.labels)).toEqual([{ host: 'a', job: 'node' }, { host: 'b', job: 'node' }, { host: 'c', job: 'node' }]);
    got.forEach((g, k) => {
      expect(g.tsMs).toEqual(series[k].samples.map((x) => x.tsMs));
      expectSameValues(g.values, series[k].samples.map((x) => x.value));
    });
    const inf = await stored('rw_inf');
    expectSameValues(inf[0].values, [Infinity, -Infinity, -0]);

    const meta = encodeMetadata([{ type: 'counter', family: 'rw_cpu_seconds_total', help: 'CPU seconds.', unit: 'seconds' }]);
    expect((await post('/api/v1/write', snappyCompress(meta), RW_HEADERS)).status).toBe(204);
    expect(s.tl.metrics.metricMeta('rw_cpu_seconds_total')).toEqual({ type: 'counter', help: 'CPU seconds.', unit: 'seconds' });
  });

  it('answers on /prometheus/api/v1/write too, and reads snappy without the Content-Encoding header', async () => {
    const one = [{ labels: { __name__: 'rw_alt', path: 'prefixed' }, samples: [{ tsMs: T0, value: 1 }] }];
    expect((await remoteWrite(one, '/prometheus/api/v1/write')).status).toBe(204);
    const bare = [{ labels: { __name__: 'rw_alt', path: 'no-header' }, samples: [{ tsMs: T0, value: 2 }] }];
    expect((await remoteWrite(bare, '/api/v1/write', { 'content-type': 'application/x-protobuf' })).status).toBe(204);
    expect((await stored('rw_alt')).map((g) => [g.labels.path, g.values])).toEqual([
      ['no-header', [2]],
      ['prefixed', [1]],
    ]);
  });

  it('stores the good samples of a partly bad request and says how many were refused (400)', async () => {
    const good = { labels: { __name__: 'rw_partial', ok: 'yes' }, samples: [{ tsMs: T0, value: 1 }, { tsMs: T0 + 1000, value: 2 }] };
    const nameless = { labels: { job: 'x' }, samples: [{ tsMs: T0, value: 3 }] };
    const badLabel = { labels: { __name__: 'rw_partial', 'bad-label': 'v' }, samples: [{ tsMs: T0, value: 4 }] };
    // A native histogram sample appended by hand (field 4 of TimeSeries): refused and counted.
    const name = Buffer.from('\x0a\x08__name__\x12\x0arw_partial', 'latin1');
    const hist = Buffer.concat([Buffer.from([0x0a, name.length]), name, Buffer.from([0x22, 0x02, 0x08, 0x01])]);
    const body = Buffer.concat([encodeWriteRequest([good, nameless, badLabel]), Buffer.from([0x0a, hist.length]), hist]);
    const r = await post('/api/v1/write', snappyCompress(body), RW_HEADERS);
    expectJsonError(r, 400, 'INVALID_SAMPLES');
    expect(r.body.accepted).toBe(2);
    expect(r.body.rejected).toBe(3);
    expect(r.body.error.message).toMatch(/native histogram/);
    expect(r.body.errors.join('\n')).toMatch(/no __name__/);
    expect(r.body.errors.join('\n')).toMatch(/bad-label/);
    expect(await stored('rw_partial')).toEqual([{ labels: { ok: 'yes' }, tsMs: [T0, T0 + 1000], values: [1, 2] }]);
  });

  it('refuses malformed, oversized and wrongly typed bodies with 4xx JSON and keeps earlier data', async () => {
    const before = await stored('rw_cpu_seconds_total');
    expectJsonError(await post('/api/v1/write', Buffer.from('definitely not snappy'), RW_HEADERS), 400, 'INVALID_BODY');
    expectJsonError(await post('/api/v1/write', snappyCompress(Buffer.from([0x0a, 0x7f, 0x01])), RW_HEADERS), 400, 'INVALID_BODY');
    // 2 MiB of zeros compresses to ~100 KiB but declares more than the 1 MiB limit.
    const bomb = snappyCompress(new Uint8Array(2 * MAX_BODY));
    expect(bomb.length).toBeLessThan(MAX_BODY);
    expectJsonError(await post('/api/v1/write', bomb, RW_HEADERS), 413, 'BODY_TOO_LARGE');
    expectJsonError(await post('/api/v1/write', new Uint8Array(MAX_BODY + 1), RW_HEADERS), 413, 'BODY_TOO_LARGE');
    const valid = snappyCompress(encodeWriteRequest(series));
    expectJsonError(await post('/api/v1/write', valid, { ...RW_HEADERS, 'content-type': 'application/json' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectJsonError(
      await post('/api/v1/write', valid, { ...RW_HEADERS, 'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectJsonError(await post('/api/v1/write', valid, { ...RW_HEADERS, 'content-encoding': 'br' }), 415, 'UNSUPPORTED_ENCODING');
    expect(await stored('rw_cpu_seconds_total')).toEqual(before);
    expect((await getJson(`${s.url}/health`)).status).toBe(200);
  });
});

describe('Prometheus text import', () => {
  it('stores samples with and without timestamps and the HELP/TYPE metadata', async () => {
    const body = [
      '# HELP txt_requests_total Requests by path.',
      '# TYPE txt_requests_total counter',
      'txt_requests_total{path="/a\\"q\\"",code="200"} 10 ' + String(T0),
      'txt_requests_total{path="/a\\"q\\"",code="200"} 12 ' + String(T0 + 15_000),
      'txt_requests_total{path="/b",code="500"} 1',
      'txt_temp NaN',
      'txt_temp_max +Inf',
      '',
    ].join('\n');
    const r = await post(`/api/v1/import/prometheus?timestamp=${(T0 + 60_000) / 1000}`, body, { 'content-type': 'text/plain; version=0.0.4' });
    expect(r.status).toBe(204);
    expect(await stored('txt_requests_total')).toEqual([
      { labels: { code: '200', path: '/a"q"' }, tsMs: [T0, T0 + 15_000], values: [10, 12] },
      { labels: { code: '500', path: '/b' }, tsMs: [T0 + 60_000], values: [1] },
    ]);
    const temp = await stored('txt_temp');
    expect(temp[0].tsMs).toEqual([T0 + 60_000]);
    expect(temp[0].values[0]).toBeNaN();
    expect((await stored('txt_temp_max'))[0].values).toEqual([Infinity]);
    expect(s.tl.metrics.metricMeta('txt_requests_total')).toEqual({ type: 'counter', help: 'Requests by path.' });
  });

  it('reads OpenMetrics (seconds timestamps) when the Content-Type says so', async () => {
    const body = `# TYPE om_up gauge\n# UNIT om_up ratio\nom_up{a="1"} 1 ${T0 / 1000}.250\n# EOF\n`;
    const r = await post('/api/v1/import/prometheus', body, { 'content-type': 'application/openmetrics-text; version=1.0.0' });
    expect(r.status).toBe(204);
    expect(await stored('om_up')).toEqual([{ labels: { a: '1' }, tsMs: [T0 + 250], values: [1] }]);
    expect(s.tl.metrics.metricMeta('om_up')).toEqual({ type: 'gauge', unit: 'ratio' });
  });

  it('refuses a malformed body whole, naming the line, and keeps earlier data', async () => {
    const before = await stored('txt_requests_total');
    const body = `txt_bad_first 1 ${T0}\ntxt_requests_total{path="/b",code="500"} 99 ${T0 + 1}\ntxt_bad{a="1" 2\n`;
    const r = await post('/api/v1/import/prometheus', body, { 'content-type': 'text/plain' });
    expectJsonError(r, 400, 'INVALID_BODY');
    expect(r.body.error.message).toMatch(/line 3/);
    expect(await stored('txt_bad_first')).toEqual([]);
    expect(await stored('txt_requests_total')).toEqual(before);
    expectJsonError(await post('/api/v1/import/prometheus', 'x 1', { 'content-type': 'application/json' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectJsonError(await post('/api/v1/import/prometheus?timestamp=yesterday-ish', 'x 1', { 'content-type': 'text/plain' }), 400, 'INVALID_PARAM');
    expectJsonError(await post('/api/v1/import/prometheus', Buffer.from([0xff, 0xfe, 0x20]), { 'content-type': 'text/plain' }), 400, 'INVALID_BODY');
  });
});

describe('VictoriaMetrics import and export', () => {
  // Sorted by name then labels, labels sorted: the order /api/v1/export writes, so the text must
  // come back byte for byte.
  const lines: string[] = [];
  const N = 40;
  const ts = Array.from({ length: N }, (_, i) => T0 + i * 10_000);
  lines.push(serializeVmLine('vm_disk_bytes', { dev: 'sda' }, ts, ts.map((_, i) => 1e9 + i * 4096)));
  lines.push(serializeVmLine('vm_disk_bytes', { dev: 'sda', part: '1' }, ts, ts.map((_, i) => i)));
  lines.push(serializeVmLine('vm_disk_bytes', { dev: 'sdb' }, ts.slice(0, 3), [NaN, Infinity, -Infinity]));
  lines.push(serializeVmLine('vm_load', { host: 'h"1', zone: 'é' }, ts, ts.map((_, i) => Math.sin(i) * 1e-3)));
  const ndjson = lines.join('');

  it('imports NDJSON (gzip too) and exports it back byte for byte', async () => {
    const r = await post('/api/v1/import', gzipSync(ndjson), { 'content-encoding': 'gzip' });
    expect(r.status).toBe(204);
    const out = await fetch(`${s.url}/api/v1/export?match[]=${encodeURIComponent('{__name__=~"vm_.*"}')}`);
    expect(out.status).toBe(200);
    expect(out.headers.get('content-type')).toMatch(/^application\/stream\+json/);
    expect(await out.text()).toBe(ndjson);
    // Re-importing the export is idempotent.
    expect((await post('/api/v1/import', ndjson, {})).status).toBe(204);
    expect(await (await fetch(`${s.url}/api/v1/export?match[]=vm_load&match[]=vm_disk_bytes`)).text()).toBe(ndjson);
  });

  it('selects by matchers and time range (RFC 3339, seconds, ms), by POST form, and splits lines', async () => {
    const from = ts[10];
    const to = ts[19];
    const want = serializeVmLine('vm_disk_bytes', { dev: 'sda', part: '1' }, ts.slice(10, 20), ts.slice(10, 20).map((_, i) => i + 10));
    const sel = encodeURIComponent('vm_disk_bytes{part="1"}');
    for (const [start, end] of [
      [new Date(from).toISOString(), new Date(to).toISOString()],
      [String(from / 1000), String(to / 1000)],
      [String(from), String(to)],
    ]) {
      const r = await fetch(`${s.url}/api/v1/export?match[]=${sel}&start=${encodeURIComponent(start)}&end=${encodeURIComponent(end)}`);
      expect(await r.text(), `${start}..${end}`).toBe(want);
    }
    const form = new URLSearchParams({ 'match[]': 'vm_disk_bytes{dev!="sda"}' });
    const p = await fetch(`${s.url}/api/v1/export`, { method: 'POST', body: form });
    expect(await p.text()).toBe(lines[2]);
    const split = await (await fetch(`${s.url}/api/v1/export?match[]=vm_disk_bytes{dev="sdb"}&max_rows_per_line=2`)).text();
    expect(split).toBe(serializeVmLine('vm_disk_bytes', { dev: 'sdb' }, ts, [NaN, Infinity, -Infinity], 0, 2) + serializeVmLine('vm_disk_bytes', { dev: 'sdb' }, ts, [NaN, Infinity, -Infinity], 2, 3));
    expect(await (await fetch(`${s.url}/api/v1/export?match[]=vm_nothing_here`)).text()).toBe('');
  });

  it('refuses bad export parameters with 400 JSON', async () => {
    expectJsonError(await getJson(`${s.url}/api/v1/export`), 400, 'INVALID_PARAM');
    expectJsonError(await getJson(`${s.url}/api/v1/export?match[]=${encodeURIComponent('{a=""}')}`), 400, 'INVALID_PARAM');
    expectJsonError(await getJson(`${s.url}/api/v1/export?match[]=${encodeURIComponent('vm_load{')}`), 400, 'INVALID_PARAM');
    expectJsonError(await getJson(`${s.url}/api/v1/export?match[]=vm_load&start=tomorrow`), 400, 'INVALID_PARAM');
    expectJsonError(await getJson(`${s.url}/api/v1/export?match[]=vm_load&start=2025-02-01&end=2025-01-01`), 400, 'INVALID_PARAM');
  });

  it('refuses malformed and wrongly typed imports, stores the valid part of partly bad ones, keeps earlier data', async () => {
    const exportAll = async () => (await fetch(`${s.url}/api/v1/export?match[]=${encodeURIComponent('{__name__=~"vm_.*"}')}`)).text();
    const before = await exportAll();
    const bad = `${serializeVmLine('vm_new', {}, [T0], [1])}{"metric":{"__name__":"vm_new"},"values":[1,2],"timestamps":[1]}\n`;
    const r = await post('/api/v1/import', bad, { 'content-type': 'application/x-ndjson' });
    expectJsonError(r, 400, 'INVALID_BODY');
    expect(r.body.error.message).toMatch(/line 2/);
    expectJsonError(await post('/api/v1/import', ndjson, { 'content-type': 'application/xml' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectJsonError(await post('/api/v1/import', Buffer.from('not gzip'), { 'content-encoding': 'gzip' }), 400, 'INVALID_BODY');
    expectJsonError(await post('/api/v1/import', new Uint8Array(MAX_BODY + 10), {}), 413, 'BODY_TOO_LARGE');
    expect(await exportAll()).toBe(before);

    const partial = serializeVmLine('vm_part', { ok: '1' }, [T0, T0 + 1], [1, 2]) + serializeVmLine('vm_part', { 'no good': '1' }, [T0], [3]);
    const p = await post('/api/v1/import', partial, {});
    expectJsonError(p, 400, 'INVALID_SAMPLES');
    expect([p.body.accepted, p.body.rejected]).toEqual([2, 1]);
    expect(await stored('vm_part')).toEqual([{ labels: { ok: '1' }, tsMs: [T0, T0 + 1], values: [1, 2] }]);
    expect((await getJson(`${s.url}/health`)).status).toBe(200);
  });
});
