// The built-in demo of `timeless serve` (issue #8): the built server, started as `npm start` does,
// runs a real shop app under /demo and drives traffic at it, so its store fills with request
// histograms, server + DB client spans, a client→server hop, errors and trace-correlated logs —
// durably (checked by reopening the data dir after SIGTERM). --no-demo leaves no trace of it, and
// with auth on the demo still gets through.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DemoTraffic } from '../src/server/demo/traffic.js';
import { Timeless } from '../src/store.js';
import type { Span } from '../src/traces/types.js';
import { tempDir } from './metrics-helpers.js';
import { startMain, type Proc } from './process-helpers.js';

const HISTOGRAM_COUNT = 'http_server_request_duration_seconds_count';
const DEADLINE_MS = 90_000;


/** Polls until check() returns true; fails with what the last check saw after DEADLINE_MS. */
async function waitUntil(what: string, check: () => Promise<boolean | string>): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  let last: boolean | string = false;
  while (Date.now() < deadline) {
    last = await check();
    if (last === true) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${typeof last === 'string' ? `: ${last}` : ''}`);
}

interface WireSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  kind: string;
  name: string;
  status: { code: string };
  attributes: Record<string, unknown>;
}

function api(url: string, headers: Record<string, string> = {}) {
  return async <T>(p: string): Promise<T> => {
    const res = await fetch(`${url}${p}`, { headers });
    if (res.status !== 200) throw new Error(`${p}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
}

/** The demo injects rare 5xx faults into every request, ours included: retry those like a client would. */
async function fetchPast5xx(url: string): Promise<Response> {
  for (let i = 0; ; i++) {
    const res = await fetch(url);
    if (res.status < 500 || i === 9) return res;
    await res.arrayBuffer();
  }
}

const spansOf = (r: { spans: WireSpan[] }) => r.spans;

describe('timeless serve demo (built)', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it('runs a real shop whose requests, DB calls, hops, errors and logs land durably in the store', async () => {
    const tmp = tempDir('demo');
    cleanups.push(tmp.remove);
    const p = startMain(['--port', '0', '--data-dir', tmp.dir]);
    cleanups.push(() => p.child.kill('SIGKILL'));
    const url = await p.url;
    await waitUntil('the demo banner', async () => p.out().includes('demo app at'));
    expect(p.out()).toContain(`demo app at ${url}/demo, generating traffic; --no-demo to turn it off`);
    // A real app answering real requests, not canned telemetry.
    const index = await fetchPast5xx(`${url}/demo`);
    expect(index.status).toBe(200);
    expect(await index.json()).toMatchObject({ app: 'timeless demo shop' });
    expect((await fetchPast5xx(`${url}/demo/products/999999`)).status).toBe(404);
    const one = (await (await fetchPast5xx(`${url}/demo/products/1`)).json()) as { id: number; name: string };
    expect(one.id).toBe(1);
    expect(one.name).toMatch(/\w+ \w+/);

    const get = api(url);
    await waitUntil('demo traffic of every kind in the store', async () => {
      const services = await get<string[]>('/api/v1/traces/services');
      if (!services.includes('demo-shop') || !services.includes('demo-payments')) return `services ${JSON.stringify(services)}`;
      const servers = spansOf(await get('/api/v1/traces/query?service=demo-shop&kind=server&limit=10000'));
      const routes = new Set(servers.map((s) => s.attributes['http.route']));
      if (routes.size < 4) return `routes ${[...routes].join(', ')}`;
      if (!servers.some((s) => s.status.code === 'error')) return 'no error span yet';
      if (spansOf(await get('/api/v1/traces/query?service=demo-payments&kind=server&limit=1')).length === 0) return 'no payment hop yet';
      const series = await get<unknown[]>(`/api/v1/metrics/series?name=${HISTOGRAM_COUNT}`);
      if (series.length === 0) return 'no request histogram yet';
      return (await get<{ entries: unknown[] }>('/api/v1/logs/query?service=demo-shop&minLevel=error')).entries.length > 0 || 'no error log yet';
    });
    // The Overview's "HTTP requests per second" panel query sees the demo (two histogram flushes in).
    await waitUntil('a request rate in PromQL', async () => {
      const r = await get<{ data: { result: Array<{ value: [number, string] }> } }>(`/prometheus/api/v1/query?query=${encodeURIComponent(`sum(rate(${HISTOGRAM_COUNT}[1m]))`)}`);
      return Number(r.data.result[0]?.value[1] ?? 0) > 0 || JSON.stringify(r.data.result);
    });
    // The polling above went through the dashboard's API: none of it may count as demo traffic.
    const liveSeries = await get<Array<{ labels: Record<string, string> }>>(`/api/v1/metrics/series?name=${HISTOGRAM_COUNT}`);
    expect(liveSeries.every((s) => s.labels.http_route.startsWith('/demo'))).toBe(true);

    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    expect(p.out()).toContain('stopped; all acknowledged data is on disk');

    const tl = await Timeless.open({ dataDir: tmp.dir, pool: { threads: 1 }, runtimeMetrics: false });
    try {
      const spanIn = async (traceId: string, spanId: string | undefined): Promise<Span | undefined> =>
        spanId === undefined ? undefined : (await tl.traces.trace(traceId)).spans.find((s) => s.spanId === spanId);

      // Server spans of several route patterns, only for demo paths.
      const servers = (await tl.traces.query({ service: 'demo-shop', kind: 'server', limit: 10_000 })).spans;
      const routes = new Set(servers.map((s) => s.attributes['http.route']));
      expect(routes.size).toBeGreaterThanOrEqual(4);
      expect([...routes].every((r) => typeof r === 'string' && r.startsWith('/demo'))).toBe(true);
      expect(servers.every((s) => String(s.attributes['url.path']).startsWith('/demo'))).toBe(true);
      expect(servers.some((s) => s.attributes['http.response.status_code'] === 404 && s.attributes['http.route'] === '/demo/products/:id')).toBe(true);

      // DB queries: client spans with the db.* conventions, children of a server span of their trace.
      const dbSpans = (await tl.traces.query({ service: 'demo-shop', kind: 'client', attributes: { 'db.system.name': 'sqlite' }, limit: 50 })).spans;
      expect(dbSpans.length).toBeGreaterThan(0);
      for (const s of dbSpans.slice(0, 10)) {
        expect(s.attributes['db.query.text']).toMatch(/^(SELECT|INSERT|UPDATE) /);
        expect(s.attributes['db.operation.name']).toBe(String(s.attributes['db.query.text']).split(' ')[0]);
        const parent = await spanIn(s.traceId, s.parentSpanId);
        expect(parent?.kind, s.name).toBe('server');
      }

      // The payment hop: shop server span → shop HTTP client span → payments server span, one trace.
      const payServer = (await tl.traces.query({ service: 'demo-payments', kind: 'server', limit: 1 })).spans[0];
      expect(payServer).toBeDefined();
      const client = await spanIn(payServer.traceId, payServer.parentSpanId);
      expect(client?.kind).toBe('client');
      expect(client?.resource.attributes['service.name']).toBe('demo-shop');
      const root = await spanIn(payServer.traceId, client?.parentSpanId);
      expect(root?.kind).toBe('server');
      expect(root?.attributes['http.route']).toBe('/demo/orders');

      // Errors: a 5xx server span, and an error log with exception.* carrying that span's ids.
      const errorSpans = servers.filter((s) => s.status.code === 'error');
      expect(errorSpans.length).toBeGreaterThan(0);
      expect(errorSpans.every((s) => Number(s.attributes['http.response.status_code']) >= 500)).toBe(true);
      const errorLogs = (await tl.logs.query({ service: 'demo-shop', minLevel: 'error', limit: 20 })).entries;
      expect(errorLogs.length).toBeGreaterThan(0);
      for (const e of errorLogs) {
        expect(e.attributes['exception.type']).toEqual(expect.any(String));
        expect(e.attributes['exception.message']).toEqual(expect.any(String));
        const span = await spanIn(e.traceId!, e.spanId);
        expect(span?.status.code, e.message).toBe('error');
      }

      // One access log per request at info, each carrying the ids of a stored span.
      const infoLogs = (await tl.logs.query({ service: 'demo-shop', minLevel: 'info', search: ' /demo', limit: 20 })).entries.filter((e) => e.level === 'info');
      expect(infoLogs.length).toBeGreaterThan(0);
      for (const e of infoLogs) {
        const span = await spanIn(e.traceId!, e.spanId);
        expect(span?.kind, e.message).toBe('server');
        expect(e.message).toContain(String(span?.attributes['url.path']));
      }

      // The request histogram the Overview's HTTP panels read.
      const series = tl.metrics.series(HISTOGRAM_COUNT);
      expect(new Set(series.map((s) => s.labels.http_route)).size).toBeGreaterThanOrEqual(4);
      const counted = await tl.metrics.query({ name: HISTOGRAM_COUNT, matchers: { http_route: '/demo/products/:id', http_response_status_code: '200' }, fromMs: 0, toMs: Date.now() + 60_000 });
      expect(counted.length).toBeGreaterThan(0);
      expect(Math.max(...counted[0].values)).toBeGreaterThan(0);
    } finally {
      await tl.close();
    }
  });

  it('--no-demo: nothing is mounted, run or recorded', async () => {
    const tmp = tempDir('demo');
    cleanups.push(tmp.remove);
    const p = startMain(['--port', '0', '--data-dir', tmp.dir, '--no-demo']);
    cleanups.push(() => p.child.kill('SIGKILL'));
    const url = await p.url;
    for (const route of ['/demo', '/demo/products', '/demo/products/1', '/demo/search?q=kettle']) expect((await fetch(`${url}${route}`)).status, route).toBe(404);
    const get = api(url);
    await get('/api/v1/stats');
    // Uptime evidence without a fixed sleep: the first runtime sample comes one interval (10 s)
    // after start; by then a running demo would have written spans, logs and a histogram flush.
    await waitUntil('the first runtime metrics sample', async () => (await get<unknown[]>('/api/v1/metrics/series?name=process_resident_memory_bytes')).length > 0);
    expect(await get('/api/v1/traces/services')).toEqual([]);
    expect((await get<{ total: number }>('/api/v1/logs/count')).total).toBe(0);
    expect(await get(`/api/v1/metrics/series?name=${HISTOGRAM_COUNT}`)).toEqual([]);
    expect(p.out()).not.toContain('demo app at');
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    const tl = await Timeless.open({ dataDir: tmp.dir, pool: { threads: 1 }, runtimeMetrics: false });
    try {
      expect((await tl.traces.query({ limit: 1 })).spans).toEqual([]);
      expect(tl.metrics.series(HISTOGRAM_COUNT)).toEqual([]);
    } finally {
      await tl.close();
    }
  });

  it('with auth on, the demo sends the credentials (its traffic and its payment hop get through)', async () => {
    const tmp = tempDir('demo');
    cleanups.push(tmp.remove);
    const p = startMain(['--port', '0', '--data-dir', tmp.dir], { DASHBOARD_USER: 'u', DASHBOARD_PASS: 'p' });
    cleanups.push(() => p.child.kill('SIGKILL'));
    const url = await p.url;
    expect((await fetch(`${url}/demo/products`)).status).toBe(401);
    const get = api(url, { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` });
    await waitUntil('authenticated demo traffic and payment hops', async () => {
      const shop = spansOf(await get('/api/v1/traces/query?service=demo-shop&kind=server&limit=100'));
      if (!shop.some((s) => s.attributes['http.response.status_code'] === 200)) return 'no answered shop request yet';
      const pay = spansOf(await get('/api/v1/traces/query?service=demo-payments&kind=server&limit=100'));
      return pay.some((s) => s.attributes['http.response.status_code'] === 200) || 'no approved payment yet';
    });
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    expect(p.out()).not.toContain('demo traffic request');
  });
});

describe('DemoTraffic', () => {
  async function listen(handler: http.RequestListener): Promise<{ server: http.Server; base: string }> {
    const server = http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/demo` };
  }

  it('sends a mix of every demo route over HTTP, with the credentials, including unknown product ids', async () => {
    const seen: Array<{ method: string; url: string; auth?: string; body: string }> = [];
    const { server, base } = await listen((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
        res.end('{}');
      });
    });
    const traffic = new DemoTraffic({ baseUrl: base, seed: 7, productCount: 50, authorization: 'Bearer t', meanIntervalMs: 5 });
    try {
      traffic.start();
      // ~6 % of product look-ups ask for an unknown id: wait for one rather than hope 150 requests hold one.
      const unknownId = (r: { url: string }) => /^\/demo\/products\/\d+$/.test(r.url) && Number(r.url.split('/').pop()) > 50;
      await waitUntil('150 demo requests, one of them for an unknown product', async () => seen.length >= 150 && seen.some(unknownId));
    } finally {
      await traffic.stop();
      server.close();
    }
    expect(seen.every((r) => r.auth === 'Bearer t' && r.url.startsWith('/demo'))).toBe(true);
    const kinds = new Set(seen.map((r) => `${r.method} ${r.url.replace(/\?.*/, '').replace(/\d+$/, ':id')}`));
    for (const k of ['GET /demo', 'GET /demo/products', 'GET /demo/products/:id', 'GET /demo/search', 'POST /demo/orders', 'GET /demo/slow']) expect(kinds, k).toContain(k);
    const ids = seen.filter((r) => /^\/demo\/products\/\d+$/.test(r.url)).map((r) => Number(r.url.split('/').pop()));
    expect(ids.some((id) => id > 50)).toBe(true);
    expect(ids.some((id) => id <= 50)).toBe(true);
    const order = seen.find((r) => r.method === 'POST');
    expect(JSON.parse(order!.body)).toEqual({ productId: expect.any(Number), quantity: expect.any(Number) });
  });

  it('survives a server that is gone: counts the failures, warns once, stops cleanly', async () => {
    const { server, base } = await listen((_req, res) => res.end());
    await new Promise((resolve) => server.close(resolve));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const traffic = new DemoTraffic({ baseUrl: base, seed: 1, productCount: 10, meanIntervalMs: 5 });
    try {
      traffic.start();
      await waitUntil('failed requests', async () => traffic.counts.failed >= 5);
      await traffic.stop();
      expect(traffic.counts.answered).toBe(0);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/demo traffic request .* failed/);
    } finally {
      warn.mockRestore();
      await traffic.stop();
    }
  });
});
