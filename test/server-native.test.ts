// The native REST routes end to end over loopback: ingest is durable and readable through the
// library API, queries answer what the library answers, tails stream, admin routes work, and every
// error is JSON with a stable code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, postJson, startServer, type TestServer } from './server-helpers.js';
import { makeInputs, T0_MS } from './logs-helpers.js';
import { makeSpans } from './traces-helpers.js';
import { toJsonText } from '../src/server/json.js';

let s: TestServer;

beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => {
  await s?.close();
});

describe('native metrics routes', () => {
  it('writes points durably and queries them back as the library does', async () => {
    const points = [];
    for (let i = 0; i < 100; i++) {
      points.push({ name: 'http_requests_total', labels: { route: i % 2 ? '/a' : '/b' }, value: i, tsMs: T0_MS + i * 1000 });
    }
    const w = await postJson(`${s.url}/api/v1/metrics/write`, { points });
    expect(w.status).toBe(200);
    expect(w.body).toEqual({ accepted: 100, rejected: 0, errors: [] });
    const q = await getJson(`${s.url}/api/v1/metrics/query?name=http_requests_total&from=${T0_MS}&to=${T0_MS + 200_000}`);
    expect(q.status).toBe(200);
    const lib = await s.tl.metrics.query({ name: 'http_requests_total', fromMs: T0_MS, toMs: T0_MS + 200_000 });
    expect(q.body).toEqual(JSON.parse(toJsonText(lib)));
    expect(q.body).toHaveLength(2);
    expect(q.body[0].values).toHaveLength(50);
    // Aggregated, stepped and filtered by a matcher list.
    const matchers = encodeURIComponent(JSON.stringify([{ label: 'route', op: '=~', value: '/a' }]));
    const agg = await getJson(`${s.url}/api/v1/metrics/query?name=http_requests_total&matchers=${matchers}&from=${T0_MS}&to=${T0_MS + 100_000}&step=10s&agg=max`);
    const libAgg = await s.tl.metrics.query({ name: 'http_requests_total', matchers: [{ label: 'route', op: '=~', value: '/a' }], fromMs: T0_MS, toMs: T0_MS + 100_000, stepMs: 10_000, agg: 'max' });
    expect(agg.body).toEqual(JSON.parse(toJsonText(libAgg)));
    const post = await postJson(`${s.url}/api/v1/metrics/query`, { name: 'http_requests_total', fromMs: T0_MS, toMs: T0_MS + 200_000, stepMs: 60_000, agg: 'sum', groupBy: [] });
    expect(post.status).toBe(200);
    expect(post.body).toEqual(JSON.parse(toJsonText(await s.tl.metrics.query({ name: 'http_requests_total', fromMs: T0_MS, toMs: T0_MS + 200_000, stepMs: 60_000, agg: 'sum', groupBy: [] }))));
  });

  it('lists names, labels, values, series and metadata', async () => {
    expect((await getJson(`${s.url}/api/v1/metrics/names`)).body).toContain('http_requests_total');
    expect((await getJson(`${s.url}/api/v1/metrics/labels?name=http_requests_total`)).body).toEqual(['route']);
    expect((await getJson(`${s.url}/api/v1/metrics/labels/route/values?name=http_requests_total`)).body).toEqual(['/a', '/b']);
    expect((await getJson(`${s.url}/api/v1/metrics/series?name=http_requests_total`)).body).toHaveLength(2);
    const put = await getJson(`${s.url}/api/v1/metrics/meta/http_requests_total`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'counter', help: 'Requests.' }) });
    expect(put.status).toBe(200);
    expect((await getJson(`${s.url}/api/v1/metrics/meta/http_requests_total`)).body).toMatchObject({ type: 'counter', help: 'Requests.' });
    const missing = await getJson(`${s.url}/api/v1/metrics/meta/nope_total`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
    const latest = await getJson(`${s.url}/api/v1/metrics/latest?name=http_requests_total`);
    expect(latest.body.map((p: { value: number }) => p.value).sort()).toEqual([98, 99]);
  });

  it('keeps the good points of a batch with a bad one and says which was rejected', async () => {
    const w = await postJson(`${s.url}/api/v1/metrics/write`, [
      { name: 'partial_ok', labels: {}, value: 1, tsMs: T0_MS },
      { name: 'bad name!', labels: {}, value: 2, tsMs: T0_MS },
      { name: 'partial_ok', labels: {}, value: 3, tsMs: T0_MS + 1 },
    ]);
    expect(w.status).toBe(200);
    expect(w.body.accepted).toBe(2);
    expect(w.body.rejected).toBe(1);
    expect(w.body.errors[0]).toMatch(/^point 1: INVALID_NAME/);
    const q = await s.tl.metrics.query({ name: 'partial_ok', fromMs: T0_MS, toMs: T0_MS + 10 });
    expect(Array.from(q[0].values)).toEqual([1, 3]);
    const allBad = await postJson(`${s.url}/api/v1/metrics/write`, [{ name: 'x', labels: { 'bad-label': 'v' }, value: 1 }]);
    expect(allBad.status).toBe(400);
  });

  it('answers bad parameters with 400 JSON naming the parameter', async () => {
    const r = await getJson(`${s.url}/api/v1/metrics/query?name=x&from=yesterday`);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('INVALID_PARAM');
    expect(r.body.error.message).toContain("'from'");
    expect(r.body.error.requestId).toBe(r.headers.get('x-request-id'));
    const agg = await getJson(`${s.url}/api/v1/metrics/query?name=x&agg=median`);
    expect(agg.status).toBe(400);
    const m = await getJson(`${s.url}/api/v1/metrics/query?name=x&matchers=%7Bnot-json`);
    expect(m.status).toBe(400);
    const engine = await getJson(`${s.url}/api/v1/metrics/query?from=0&to=10`);
    expect(engine.status).toBe(400);
    expect(engine.body.error.code).toBe('INVALID_QUERY');
  });
});

describe('native logs routes', () => {
  it('writes entries and queries, counts and pages them like the library', async () => {
    const inputs = makeInputs(7, 300);
    const w = await postJson(`${s.url}/api/v1/logs/write`, { entries: inputs });
    expect(w.body).toEqual({ accepted: 300, rejected: 0, errors: [] });
    const q = await getJson(`${s.url}/api/v1/logs/query?level=warn&limit=50`);
    const lib = await s.tl.logs.query({ minLevel: 'warn', limit: 50 });
    expect(q.body.entries).toEqual(JSON.parse(toJsonText(lib.entries)));
    expect(typeof q.body.entries[0].tsNs).toBe('string');
    const next = await getJson(`${s.url}/api/v1/logs/query?level=warn&limit=50&cursor=${encodeURIComponent(q.body.cursor)}`);
    const libNext = await s.tl.logs.query({ minLevel: 'warn', limit: 50, cursor: lib.cursor });
    expect(next.body.entries).toEqual(JSON.parse(toJsonText(libNext.entries)));
    const byAttr = await getJson(`${s.url}/api/v1/logs/query?attr.http.route=${encodeURIComponent('/api/orders')}&search=GET&limit=1000`);
    const libAttr = await s.tl.logs.query({ attributes: { 'http.route': '/api/orders' }, search: 'GET', limit: 1000 });
    expect(byAttr.body.entries.length).toBe(libAttr.entries.length);
    expect(byAttr.body.entries.length).toBeGreaterThan(0);
    const count = await getJson(`${s.url}/api/v1/logs/count?from=${T0_MS}&to=${T0_MS + 10 ** 9}`);
    expect(count.body.total).toBe(300);
    expect((await getJson(`${s.url}/api/v1/logs/fields`)).body).toContain('http.route');
    const bad = await getJson(`${s.url}/api/v1/logs/query?level=loud`);
    expect(bad.status).toBe(400);
    const badCursor = await getJson(`${s.url}/api/v1/logs/query?cursor=garbage`);
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.error.code).toBe('INVALID_CURSOR');
  });

  it('streams new entries matching the filter over SSE', async () => {
    const ac = new AbortController();
    const res = await fetch(`${s.url}/api/v1/logs/tail?level=error`, { signal: ac.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let text = '';
    const readUntil = async (pred: () => boolean) => {
      while (!pred()) {
        const { value, done } = await reader.read();
        if (done) break;
        text += dec.decode(value);
      }
    };
    await readUntil(() => text.includes('event: ready'));
    s.tl.logs.write({ level: 'info', message: 'not for the tail' });
    s.tl.logs.write({ level: 'error', message: 'tail me' });
    await readUntil(() => text.includes('tail me'));
    ac.abort();
    expect(text).not.toContain('not for the tail');
    const event = text.split('\n\n').find((e) => e.includes('tail me'))!;
    expect(event).toContain('event: log');
    expect(JSON.parse(event.split('\n').find((l) => l.startsWith('data: '))!.slice(6)).level).toBe('error');
  });
});

describe('native traces routes', () => {
  it('writes spans as JSON and reads traces, searches, services and operations', async () => {
    const spans = makeSpans(3, 400, T0_MS);
    const res = await fetch(`${s.url}/api/v1/traces/write`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: toJsonText({ spans }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: spans.length, rejected: 0, errors: [] });
    const id = spans[0].traceId;
    const t = await getJson(`${s.url}/api/v1/traces/trace/${id}`);
    expect(t.status).toBe(200);
    expect(t.body).toEqual(JSON.parse(toJsonText(await s.tl.traces.trace(id))));
    expect(t.body.spans.length).toBe(spans.filter((x) => x.traceId === id).length);
    const none = await getJson(`${s.url}/api/v1/traces/trace/${'0'.repeat(31)}1`);
    expect(none.status).toBe(404);
    expect((await getJson(`${s.url}/api/v1/traces/trace/xyz`)).status).toBe(400);
    expect((await getJson(`${s.url}/api/v1/traces/services`)).body).toEqual(s.tl.traces.services());
    expect((await getJson(`${s.url}/api/v1/traces/operations`)).body).toEqual(JSON.parse(JSON.stringify(s.tl.traces.operations())));
    const q = await getJson(`${s.url}/api/v1/traces/query?status=error&limit=20`);
    expect(q.body.spans).toEqual(JSON.parse(toJsonText((await s.tl.traces.query({ status: 'error', limit: 20 })).spans)));
    expect((await getJson(`${s.url}/api/v1/traces/query?kind=sideways`)).status).toBe(400);
    // Bounds past the int64 ns range select as the range's edges (they reached SQLite and threw).
    const huge = '1' + '0'.repeat(30);
    const wide = await getJson(`${s.url}/api/v1/traces/query?from=-${huge}&to=${huge}&limit=5`);
    expect(wide.status).toBe(200);
    expect(wide.body.spans).toHaveLength(5);
    // The logs engine refuses such bounds instead, with a clear 400.
    const logsWide = await getJson(`${s.url}/api/v1/logs/query?from=-${huge}&to=${huge}&limit=5`);
    expect(logsWide.status).toBe(400);
    expect(logsWide.body.error.code).toBe('INVALID_QUERY');
  });
});

describe('admin routes', () => {
  it('health is open and reports ok', async () => {
    const h = await getJson(`${s.url}/health`);
    expect(h.status).toBe(200);
    expect(h.body.status).toBe('ok');
  });

  it('stats, retention and the /metrics exposition', async () => {
    const st = await getJson(`${s.url}/api/v1/stats`);
    expect(st.body.metrics.points).toBeGreaterThanOrEqual(102);
    expect(st.body.logs.entries).toBeGreaterThanOrEqual(300);
    const r = await getJson(`${s.url}/api/v1/retention/run`, { method: 'POST' });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(['logs', 'metrics', 'traces']);
    const m = await fetch(`${s.url}/metrics`);
    expect(m.headers.get('content-type')).toContain('text/plain');
    const text = await m.text();
    expect(text).toMatch(/timeless_ingested_total\{protocol="native",signal="metrics"\} 102\n/);
    expect(text).toMatch(/timeless_ingest_rejected_total\{protocol="native",signal="metrics"\} 2\n/);
    expect(text).toMatch(/# TYPE timeless_disk_bytes gauge/);
    // Every sample line parses as `name{labels} value`.
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eE]+|NaN|[+-]Inf$/);
    }
  });

  it('unknown routes are 404 JSON', async () => {
    const r = await getJson(`${s.url}/api/v1/nope`);
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('NOT_FOUND');
  });
});
