// HTTP instrumentation end to end (issue #8): a real Hono app on @hono/node-server with
// timelessHono(tl), and a plain node:http server wrapped by timelessHttp(tl). Requests become the
// histogram series the overview queries (by route pattern, exact counts) and one server span each,
// joined to the caller's trace by W3C traceparent.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { Timeless, timelessHono, timelessHttp, type TimelessHonoVariables } from '../src/index.js';
import type { Span } from '../src/traces/types.js';
import { tempDir } from './metrics-helpers.js';

const HTTP = 'http_server_request_duration_seconds';
const PARENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN = '00f067aa0ba902b7';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function openStore(): Promise<Timeless> {
  const t = tempDir('http-instr');
  const tl = await Timeless.open({ dataDir: t.dir, pool: { threads: 1 }, runtimeMetrics: false, retention: { intervalSec: 0 } });
  cleanups.push(async () => {
    await tl.close();
    t.remove();
  });
  return tl;
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function serveHono(app: Hono<any>): Promise<string> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  return listen0(server as unknown as http.Server);
}

// serve() already listens: only register the cleanup and read the port.
function listen0(server: http.Server): string {
  cleanups.push(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Sum of the last value of every series of `name` matching `labels`. */
async function lastValues(tl: Timeless, name: string, labels: Record<string, string>): Promise<Map<string, number>> {
  await tl.metrics.flush();
  const r = await tl.metrics.query({ name, matchers: labels, fromMs: 0, toMs: Date.now() + 60_000 });
  return new Map(r.map((s) => [JSON.stringify(s.labels), s.values[s.values.length - 1]]));
}

async function spansOf(tl: Timeless, attributes: Record<string, string | number>, n: number): Promise<Span[]> {
  for (let i = 0; i < 500; i++) {
    await tl.traces.flush();
    const r = await tl.traces.query({ attributes, limit: 1000 });
    if (r.spans.length >= n) return r.spans;
    await sleep(10);
  }
  throw new Error(`fewer than ${n} spans with ${JSON.stringify(attributes)}`);
}

describe('timelessHono', () => {
  it('records the histogram by route pattern, a span per request, traceparent, 5xx errors; PromQL answers', async () => {
    const tl = await openStore();
    const app = new Hono<{ Variables: TimelessHonoVariables }>();
    const mw = timelessHono(tl, { ignorePaths: ['/health', /^\/obs\//] });
    cleanups.push(async () => mw.stop());
    app.use('*', mw);
    app.get('/users/:id', (c) => c.json({ id: c.req.param('id'), traceId: c.get('traceId') }));
    app.post('/users', (c) => c.text('created', 201));
    app.get('/boom', () => {
      throw new Error('kaput');
    });
    app.get('/health', (c) => c.text('ok'));
    app.onError((_err, c) => c.text('internal error', 500));
    app.route('/obs', tl.routes());
    const url = await serveHono(app);

    const ids: string[] = [];
    for (const id of ['42', '42', '7']) {
      const res = await fetch(`${url}/users/${id}?x=1`, { headers: { 'user-agent': 'vitest-agent' } });
      expect(res.status).toBe(200);
      ids.push(((await res.json()) as { traceId: string }).traceId);
    }
    const traced = await fetch(`${url}/users/9`, { headers: { traceparent: `00-${PARENT_TRACE}-${PARENT_SPAN}-01` } });
    expect(((await traced.json()) as { traceId: string }).traceId).toBe(PARENT_TRACE);
    expect((await fetch(`${url}/users`, { method: 'POST' })).status).toBe(201);
    expect((await fetch(`${url}/boom`)).status).toBe(500);
    expect((await fetch(`${url}/nope`)).status).toBe(404);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    // New traces per request without a traceparent.
    expect(new Set(ids).size).toBe(3);
    expect(mw.flushMetrics()).toBeGreaterThan(0);

    const counts = await lastValues(tl, `${HTTP}_count`, {});
    const key = (method: string, status: string, route?: string) =>
      JSON.stringify(route === undefined
        ? { http_request_method: method, http_response_status_code: status }
        : { http_request_method: method, http_response_status_code: status, http_route: route });
    expect(Object.fromEntries(counts)).toEqual({
      [key('GET', '200', '/users/:id')]: 4,
      [key('POST', '201', '/users')]: 1,
      [key('GET', '500', '/boom')]: 1,
      // No route matched: no http_route label (an empty value is an absent label).
      [key('GET', '404')]: 1,
    });
    const buckets = await lastValues(tl, `${HTTP}_bucket`, { http_route: '/users/:id' });
    expect(buckets.size).toBe(12);
    expect(buckets.get(JSON.stringify({ http_request_method: 'GET', http_response_status_code: '200', http_route: '/users/:id', le: '+Inf' }))).toBe(4);
    expect(tl.metrics.metricMeta(HTTP)).toMatchObject({ type: 'histogram', unit: 'seconds' });

    // Spans: one per recorded request, named by the route pattern, with the semconv attributes.
    const users = await spansOf(tl, { 'http.route': '/users/:id' }, 4);
    expect(users).toHaveLength(4);
    for (const s of users) {
      expect(s.name).toBe('GET /users/:id');
      expect(s.kind).toBe('server');
      expect(s.status.code).toBe('unset');
      expect(s.endNs).toBeGreaterThanOrEqual(s.startNs);
      expect(s.attributes).toMatchObject({
        'http.request.method': 'GET', 'url.scheme': 'http', 'http.response.status_code': 200,
        'server.address': '127.0.0.1', 'client.address': expect.stringMatching(/127\.0\.0\.1/), 'network.protocol.version': '1.1',
      });
      expect(s.attributes['url.path']).toMatch(/^\/users\/\d+$/);
      expect(typeof s.attributes['server.port']).toBe('number');
    }
    expect(users.filter((s) => s.attributes['user_agent.original'] === 'vitest-agent')).toHaveLength(3);
    const child = users.find((s) => s.traceId === PARENT_TRACE)!;
    expect(child.parentSpanId).toBe(PARENT_SPAN);
    expect(child.attributes['url.path']).toBe('/users/9');
    expect(users.filter((s) => s.parentSpanId === undefined).map((s) => s.traceId).sort()).toEqual([...ids].sort());

    const [boom] = await spansOf(tl, { 'url.path': '/boom' }, 1);
    expect(boom.status.code).toBe('error');
    expect(boom.attributes['error.type']).toBe('500');
    const [nope] = await spansOf(tl, { 'url.path': '/nope' }, 1);
    expect(nope.name).toBe('GET');
    expect(nope.attributes['http.route']).toBeUndefined();
    expect(nope.status.code).toBe('unset'); // 4xx is the client's error, not the server's
    expect((await tl.traces.query({ attributes: { 'url.path': '/health' } })).spans).toHaveLength(0);
    expect((await tl.traces.query({ attributes: { 'url.path': '/obs/prometheus/api/v1/query' } })).spans).toHaveLength(0);

    // A second flush after more requests: rate() has two samples; the overview's p50 query answers.
    await fetch(`${url}/users/1`);
    await sleep(5);
    mw.flushMetrics();
    await tl.metrics.flush();
    const expr = `histogram_quantile(0.5, sum by (le) (rate(${HTTP}_bucket[1m])))`;
    const q = await fetch(`${url}/obs/prometheus/api/v1/query?query=${encodeURIComponent(expr)}&time=${(Date.now() + 1000) / 1000}`);
    expect(q.status).toBe(200);
    const body = (await q.json()) as { status: string; data: { resultType: string; result: Array<{ value: [number, string] }> } };
    expect(body.status).toBe('success');
    expect(body.data.result).toHaveLength(1);
    const p50 = Number(body.data.result[0].value[1]);
    expect(Number.isFinite(p50)).toBe(true);
    expect(p50).toBeGreaterThan(0);
    expect(p50).toBeLessThanOrEqual(10);
    // The dashboard's own call above was excluded by ignorePaths: the counts did not move for /obs.
    expect([...(await lastValues(tl, `${HTTP}_count`, {})).keys()].some((k) => k.includes('/obs'))).toBe(false);
  });
});

describe('span sampling', () => {
  it('counts every request in the histogram; over maxPerSecond stores only errors and the rate', async () => {
    const tl = await openStore();
    const app = new Hono();
    const mw = timelessHono(tl, { spans: { maxPerSecond: 5 } });
    cleanups.push(async () => mw.stop());
    app.use('*', mw);
    app.get('/ok', (c) => c.text('ok'));
    app.get('/fail', (c) => c.text('no', 503));
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 60; i++) expect((await app.request('/ok')).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await app.request('/fail')).status).toBe(503);
    const elapsedSec = Number(process.hrtime.bigint() - t0) / 1e9;
    mw.flushMetrics();
    const counts = await lastValues(tl, `${HTTP}_count`, {});
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(63);
    const errors = await spansOf(tl, { 'http.route': '/fail' }, 3);
    expect(errors).toHaveLength(3);
    await tl.traces.flush();
    const ok = (await tl.traces.query({ attributes: { 'http.route': '/ok' }, limit: 1000 })).spans;
    // The first second's burst (5), plus what the rate refilled while the requests ran.
    expect(ok.length).toBeGreaterThanOrEqual(5);
    expect(ok.length).toBeLessThanOrEqual(5 + Math.ceil(elapsedSec * 5));
    expect(ok.length).toBeLessThan(60);
  });

  it('{ maxPerSecond: Infinity } stores every span; a bad spans option is a TypeError/RangeError', async () => {
    const tl = await openStore();
    const app = new Hono();
    const mw = timelessHono(tl, { spans: { maxPerSecond: Infinity } });
    cleanups.push(async () => mw.stop());
    app.use('*', mw);
    app.get('/ok', (c) => c.text('ok'));
    for (let i = 0; i < 150; i++) await app.request('/ok');
    expect(await spansOf(tl, { 'http.route': '/ok' }, 150)).toHaveLength(150);
    expect(() => timelessHono(tl, { spans: 'yes' as never })).toThrow(TypeError);
    expect(() => timelessHono(tl, { spans: { maxPerSecond: -1 } })).toThrow(RangeError);
  });
});

describe('timelessHttp', () => {
  it('wraps a plain node:http handler: histogram without route, spans with traceparent, 5xx errors', async () => {
    const tl = await openStore();
    const instr = timelessHttp(tl);
    cleanups.push(async () => instr.stop());
    const seen: Array<string | undefined> = [];
    const server = http.createServer(instr.wrap((req: IncomingMessage, res: ServerResponse) => {
      seen.push((req as IncomingMessage & { traceId?: string }).traceId);
      if (req.url === '/fail') {
        res.statusCode = 503;
        res.end('down');
      } else {
        res.end('hello');
      }
    }));
    const url = await listen(server);
    for (let i = 0; i < 3; i++) expect((await fetch(`${url}/hello?i=${i}`)).status).toBe(200);
    await fetch(`${url}/hello`, { headers: { traceparent: `00-${PARENT_TRACE}-${PARENT_SPAN}-01` } });
    expect((await fetch(`${url}/fail`)).status).toBe(503);
    await fetch(`${url}/metrics`); // ignored by default
    instr.flushMetrics();

    const counts = await lastValues(tl, `${HTTP}_count`, {});
    expect(Object.fromEntries(counts)).toEqual({
      [JSON.stringify({ http_request_method: 'GET', http_response_status_code: '200' })]: 4,
      [JSON.stringify({ http_request_method: 'GET', http_response_status_code: '503' })]: 1,
    });
    const hello = await spansOf(tl, { 'url.path': '/hello' }, 4);
    expect(hello).toHaveLength(4);
    expect(hello.every((s) => s.name === 'GET' && s.kind === 'server' && s.attributes['http.route'] === undefined)).toBe(true);
    const child = hello.find((s) => s.traceId === PARENT_TRACE)!;
    expect(child.parentSpanId).toBe(PARENT_SPAN);
    expect(seen).toContain(PARENT_TRACE);
    const [fail] = await spansOf(tl, { 'url.path': '/fail' }, 1);
    expect(fail.status.code).toBe('error');
    expect(fail.attributes['http.response.status_code']).toBe(503);
    expect((await tl.traces.query({ attributes: { 'url.path': '/metrics' } })).spans).toHaveLength(0);
  });

  it('as (req, res, next) middleware reads an Express-style route at finish, and marks aborted requests', async () => {
    const tl = await openStore();
    const mw = timelessHttp(tl);
    cleanups.push(async () => mw.stop());
    let arrived!: () => void;
    const hanging = new Promise<void>((r) => (arrived = r));
    // A minimal router that sets req.baseUrl / req.route the way Express does before its handler runs.
    const server = http.createServer((req, res) => mw(req, res, () => {
      const r = req as IncomingMessage & { baseUrl?: string; route?: { path: string } };
      if (req.url?.startsWith('/api/items/')) {
        r.baseUrl = '/api';
        r.route = { path: '/items/:id' };
        res.end('item');
      } else {
        arrived(); // never answers: the client gives up
      }
    }));
    const url = await listen(server);
    expect(await (await fetch(`${url}/api/items/5`)).text()).toBe('item');
    await fetch(`${url}/api/items/6`);
    const ac = new AbortController();
    const pending = fetch(`${url}/slow`, { signal: ac.signal }).catch(() => undefined);
    await hanging;
    ac.abort();
    await pending;

    const items = await spansOf(tl, { 'http.route': '/api/items/:id' }, 2);
    expect(items.map((s) => s.name)).toEqual(['GET /api/items/:id', 'GET /api/items/:id']);
    const [slow] = await spansOf(tl, { 'url.path': '/slow' }, 1);
    expect(slow.status).toEqual({ code: 'error', message: 'client closed request' });
    mw.flushMetrics();
    const counts = await lastValues(tl, `${HTTP}_count`, { http_route: '/api/items/:id' });
    expect([...counts.values()]).toEqual([2]);
  });
});
