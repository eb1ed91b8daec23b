// The Jaeger query API over HTTP (/jaeger/api/*): every route's answer compared exactly with an
// oracle computed from the spans written (bench/gen/traces.ts shop traffic, part sealed into
// blocks, part still in the hot tail), the filters, limits, and the error shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTraces } from '../bench/gen/traces.js';
import { toJaegerTrace, type JaegerTrace } from '../src/server/protocols/jaeger.js';
import { compareSpanKeys } from '../src/traces/query/compile.js';
import { SPAN_KINDS, type Span } from '../src/traces/types.js';
import { getJson, startServer, type TestServer } from './server-helpers.js';
import { traceOf, T0_MS } from './traces-helpers.js';

const SHORT_TRACE = '0000000000000000' + 'a1b2c3d4e5f60718';
let srv: TestServer;
let spans: Span[] = [];
let api: string;

function legacySpan(): Span {
  return {
    traceId: SHORT_TRACE,
    spanId: '0a0b0c0d0e0f1011',
    name: 'legacy-job',
    kind: 'internal',
    startNs: BigInt(T0_MS + 1000) * 1_000_000n,
    endNs: BigInt(T0_MS + 1003) * 1_000_000n,
    status: { code: 'unset' },
    attributes: { 'job.id': 42 },
    events: [],
    links: [],
    resource: { attributes: { 'service.name': 'legacy', 'host.name': 'old-box' }, droppedAttributesCount: 0 },
    scope: { name: 'legacy', attributes: {}, droppedAttributesCount: 0 },
    flags: 1,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

beforeAll(async () => {
  srv = await startServer();
  api = `${srv.url}/jaeger/api`;
  for (const batch of generateTraces({ spans: 4000, seed: 606, fromMs: T0_MS, tracesPerSec: 40, errorRate: 0.1 })) spans.push(...batch);
  spans.push(legacySpan());
  const half = spans.length >> 1;
  srv.tl.traces.write(spans.slice(0, half));
  await srv.tl.traces.flush();
  await srv.tl.traces.sealNow();
  srv.tl.traces.write(spans.slice(half));
  await srv.tl.traces.flush();
});

afterAll(async () => {
  await srv?.close();
});

// ------------------------------------------------------------------ oracle

const svc = (s: Span) => String(s.resource.attributes['service.name']);
const us = (ns: bigint) => ns / 1000n;

/** The stored resource may order its keys differently (engine defaults first): compare process tags by key. */
function normalize(t: JaegerTrace): JaegerTrace {
  const processes: JaegerTrace['processes'] = {};
  for (const [id, p] of Object.entries(t.processes)) processes[id] = { ...p, tags: [...p.tags].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) };
  return { ...t, processes };
}

function expectedTrace(id: string): JaegerTrace {
  return normalize(toJaegerTrace(id, traceOf(spans, id)));
}

/** A Jaeger tag's text on a span, from the span's own fields (independent of the route's compiler). */
function tagText(s: Span, key: string): string | undefined {
  switch (key) {
    case 'error':
      return s.status.code === 'error' ? 'true' : 'false'; // error=false: the non-error spans
    case 'span.kind':
      return s.kind === 'unspecified' ? undefined : s.kind;
    case 'otel.status_code':
      return s.status.code === 'unset' ? undefined : s.status.code.toUpperCase();
  }
  const v = Object.prototype.hasOwnProperty.call(s.attributes, key) ? s.attributes[key] : s.resource.attributes[key];
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

interface Search {
  service: string;
  operation?: string;
  startUs: bigint;
  endUs: bigint;
  minNs?: bigint;
  maxNs?: bigint;
  tags?: Record<string, string>;
}

function oracleIds(q: Search, limit: number): string[] {
  const hits = spans.filter((s) => {
    const d = s.endNs - s.startNs;
    return (
      svc(s) === q.service &&
      (q.operation === undefined || s.name === q.operation) &&
      us(s.startNs) >= q.startUs &&
      us(s.startNs) <= q.endUs &&
      (q.minNs === undefined || d >= q.minNs) &&
      (q.maxNs === undefined || d <= q.maxNs) &&
      Object.entries(q.tags ?? {}).every(([k, v]) => tagText(s, k) === v)
    );
  });
  const ids: string[] = [];
  for (const s of hits.sort(compareSpanKeys)) {
    if (!ids.includes(s.traceId)) ids.push(s.traceId);
    if (ids.length === limit) break;
  }
  return ids;
}

const minStartUs = () => spans.reduce((m, s) => (us(s.startNs) < m ? us(s.startNs) : m), us(spans[0].startNs));
const maxStartUs = () => spans.reduce((m, s) => (us(s.startNs) > m ? us(s.startNs) : m), 0n);

function searchUrl(q: Search, extra: Record<string, string> = {}): string {
  const p = new URLSearchParams({ service: q.service, start: String(q.startUs), end: String(q.endUs), ...extra });
  if (q.operation !== undefined) p.set('operation', q.operation);
  return `${api}/traces?${p}`;
}

async function expectSearch(q: Search, limit: number, extra: Record<string, string>): Promise<string[]> {
  const ids = oracleIds(q, limit);
  const r = await getJson(searchUrl(q, extra));
  expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200);
  expect(r.body.errors).toBeNull();
  expect(r.body.total).toBe(ids.length);
  expect(r.body.data.map((t: JaegerTrace) => t.traceID)).toEqual(ids);
  expect(r.body.data.map(normalize)).toEqual(ids.map(expectedTrace));
  return ids;
}

function expectJaegerError(r: { status: number; body: any }, status: number): void {
  expect(r.status).toBe(status);
  expect(r.body).toEqual({ data: null, total: 0, limit: 0, offset: 0, errors: [{ code: status, msg: expect.any(String) }] });
}

// ------------------------------------------------------------------ tests

describe('services and operations', () => {
  it('lists services', async () => {
    const want = [...new Set(spans.map(svc))].sort();
    expect(want.length).toBeGreaterThan(5);
    const r = await getJson(`${api}/services`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ data: want, total: want.length, limit: 0, offset: 0, errors: null });
  });

  it('lists operation names per service (legacy route) and (name, spanKind) rows', async () => {
    for (const service of [...new Set(spans.map(svc))]) {
      const mine = spans.filter((s) => svc(s) === service);
      const names = [...new Set(mine.map((s) => s.name))].sort();
      const r = await getJson(`${api}/services/${encodeURIComponent(service)}/operations`);
      expect(r.body).toEqual({ data: names, total: names.length, limit: 0, offset: 0, errors: null });

      const rows = [...new Map(mine.map((s) => [`${s.name}\u0000${s.kind}`, s])).values()]
        .sort((a, b) => (a.name !== b.name ? (a.name < b.name ? -1 : 1) : SPAN_KINDS.indexOf(a.kind) - SPAN_KINDS.indexOf(b.kind)))
        .map((s) => ({ name: s.name, spanKind: s.kind === 'unspecified' ? '' : s.kind }));
      const o = await getJson(`${api}/operations?service=${encodeURIComponent(service)}`);
      expect(o.body).toEqual({ data: rows, total: rows.length, limit: 0, offset: 0, errors: null });

      const servers = rows.filter((x) => x.spanKind === 'server');
      const k = await getJson(`${api}/operations?service=${encodeURIComponent(service)}&spanKind=server`);
      expect(k.body.data).toEqual(servers);
    }
    expect((await getJson(`${api}/operations?service=nope`)).body.data).toEqual([]);
  });

  it('refuses operations without a service or with an unknown span kind', async () => {
    expectJaegerError(await getJson(`${api}/operations`), 400);
    expectJaegerError(await getJson(`${api}/operations?service=frontend&spanKind=bogus`), 400);
  });
});

describe('trace by id', () => {
  it('returns whole traces, hot and sealed alike', async () => {
    const ids = [...new Set(spans.map((s) => s.traceId))];
    for (const id of [ids[0], ids[3], ids[Math.floor(ids.length / 2)], ids[ids.length - 2]]) {
      const r = await getJson(`${api}/traces/${id}`);
      expect(r.status).toBe(200);
      expect(r.body.total).toBe(1);
      expect(r.body.errors).toBeNull();
      expect(r.body.data.map(normalize)).toEqual([expectedTrace(id)]);
      expect(r.body.data[0].spans).toHaveLength(traceOf(spans, id).length);
    }
  });

  it('prints and accepts the 16-digit form of a 64-bit trace id', async () => {
    for (const id of ['a1b2c3d4e5f60718', SHORT_TRACE, 'A1B2C3D4E5F60718']) {
      const r = await getJson(`${api}/traces/${id}`);
      expect(r.status).toBe(200);
      expect(r.body.data[0].traceID).toBe('a1b2c3d4e5f60718');
      expect(r.body.data.map(normalize)).toEqual([expectedTrace(SHORT_TRACE)]);
    }
  });

  it('answers 404 in Jaeger shape for an unknown id and 400 for a malformed one', async () => {
    const r = await getJson(`${api}/traces/${'f'.repeat(32)}`);
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 404, msg: 'trace not found' }] });
    expectJaegerError(await getJson(`${api}/traces/not-hex`), 400);
    expectJaegerError(await getJson(`${api}/traces/${'a'.repeat(33)}`), 400);
    expectJaegerError(await getJson(`${api}/traces/${'a'.repeat(32)}?start=yesterday`), 400);
  });
});

describe('search', () => {
  const all = (): Search => ({ service: 'frontend', startUs: minStartUs(), endUs: maxStartUs() });

  it('returns whole traces, newest matching span first, limited', async () => {
    const ids = await expectSearch(all(), 7, { limit: '7' });
    expect(ids).toHaveLength(7);
    await expectSearch({ ...all(), service: 'payments' }, 3, { limit: '3' });
  });

  it('defaults to 100 traces (limit absent or 0)', async () => {
    expect(oracleIds(all(), 1000).length).toBeGreaterThan(100);
    await expectSearch(all(), 100, {});
    await expectSearch(all(), 100, { limit: '0' });
  });

  it('filters by operation, time window (µs, end inclusive) and duration', async () => {
    await expectSearch({ ...all(), operation: 'POST /api/checkout' }, 20, { limit: '20' });
    // A window inside the data, its end exactly on a span's start microsecond.
    const sorted = [...spans].sort((a, b) => (a.startNs < b.startNs ? -1 : 1));
    const endUs = us(sorted[Math.floor(sorted.length * 0.6)].startNs);
    const startUs = us(sorted[Math.floor(sorted.length * 0.3)].startNs);
    const ids = await expectSearch({ service: 'catalog', startUs, endUs }, 1500, { limit: '1500' });
    expect(ids.length).toBeGreaterThan(10);
    const d = await expectSearch({ ...all(), service: 'catalog', minNs: 2_500_000n, maxNs: 9_000_000n }, 30, { limit: '30', minDuration: '2.5ms', maxDuration: '9ms' });
    expect(d.length).toBeGreaterThan(5);
    expect(d).not.toEqual(oracleIds({ ...all(), service: 'catalog' }, 30));
    await expectSearch({ ...all(), minNs: 1_000_000_000n }, 10, { limit: '10', minDuration: '1s' });
  });

  it('filters by tags given as JSON, logfmt or tag=key:value', async () => {
    const errs = await expectSearch({ ...all(), tags: { error: 'true' } }, 50, { limit: '50', tags: '{"error":"true"}' });
    expect(errs.length).toBeGreaterThan(3);
    await expectSearch({ ...all(), tags: { 'otel.status_code': 'ERROR', 'http.request.method': 'POST' } }, 50, { limit: '50', tags: 'otel.status_code=ERROR http.request.method=POST' });
    const clients = await expectSearch({ ...all(), tags: { 'span.kind': 'client', 'http.request.method': 'GET' } }, 15, { limit: '15', tags: 'span.kind=client' , tag: 'http.request.method:GET' });
    expect(clients.length).toBe(15);
    // A resource attribute (a process tag) matches when the span has no attribute of that name.
    await expectSearch({ ...all(), service: 'cart', tags: { 'service.version': '1.18.2' } }, 12, { limit: '12', tags: '{"service.version":"1.18.2"}' });
    expect(oracleIds({ ...all(), service: 'cart', tags: { 'service.version': '1.18.2' } }, 12)).toHaveLength(12);
    await expectSearch({ ...all(), tags: { error: 'false' } }, 9, { limit: '9', tags: 'error=false' });
    // Contradictions match nothing.
    const none = await getJson(searchUrl(all(), { tags: 'error=true otel.status_code=OK' }));
    expect(none.body).toEqual({ data: [], total: 0, limit: 0, offset: 0, errors: null });
  });

  it('uses lookback when start is absent, and the last 48 hours by default', async () => {
    const endUs = maxStartUs() - 2_000_000n;
    const p = new URLSearchParams({ service: 'frontend', end: String(endUs), lookback: '3s', limit: '1500' });
    const r = await getJson(`${api}/traces?${p}`);
    const ids = oracleIds({ service: 'frontend', startUs: endUs - 3_000_000n, endUs }, 1500);
    expect(ids.length).toBeGreaterThan(5);
    expect(r.body.data.map((t: JaegerTrace) => t.traceID)).toEqual(ids);
    // The data is from 2024: the default window (now - 48 h .. now) holds none of it.
    expect((await getJson(`${api}/traces?service=frontend`)).body).toEqual({ data: [], total: 0, limit: 0, offset: 0, errors: null });
    // The UI sends lookback=custom with explicit start/end.
    await expectSearch(all(), 5, { limit: '5', lookback: 'custom' });
  });

  it('fetches given trace ids and lists the missing ones', async () => {
    const ids = [...new Set(spans.map((s) => s.traceId))].slice(2, 4);
    const missing = 'e'.repeat(32);
    const r = await getJson(`${api}/traces?traceID=${ids[0]}&traceID=${missing}&traceID=${ids[1]}`);
    expect(r.status).toBe(200);
    expect(r.body.data.map(normalize)).toEqual(ids.map(expectedTrace));
    expect(r.body.errors).toEqual([{ msg: 'trace not found', traceID: missing }]);
  });

  it('answers 400 in Jaeger shape for bad parameters', async () => {
    const base = `${api}/traces?service=frontend`;
    for (const url of [
      `${api}/traces`,
      `${api}/traces?operation=x`,
      `${base}&limit=abc`,
      `${base}&limit=-1`,
      `${base}&limit=1501`,
      `${base}&start=abc`,
      `${base}&end=1.5`,
      `${base}&start=2000&end=1000`,
      `${base}&minDuration=5`,
      `${base}&maxDuration=1x`,
      `${base}&minDuration=10ms&maxDuration=1ms`,
      `${base}&tags=%7Bbad`,
      `${base}&tags=novalue`,
      `${base}&tag=nocolon`,
      `${base}&lookback=forever`,
      `${base}&traceID=xyz`,
    ]) {
      const r = await getJson(url);
      expectJaegerError(r, 400);
    }
  });
});

describe('dependencies', () => {
  function oracleDeps(fromMs: bigint, toMs: bigint) {
    const inWindow = spans.filter((s) => s.startNs >= fromMs * 1_000_000n && s.startNs < (toMs + 1n) * 1_000_000n);
    const byId = new Map(inWindow.map((s) => [s.traceId + s.spanId, svc(s)]));
    const counts = new Map<string, number>();
    for (const s of inWindow) {
      if (s.parentSpanId === undefined) continue;
      const parent = byId.get(s.traceId + s.parentSpanId);
      if (parent === undefined || parent === svc(s)) continue;
      const k = `${parent}|${svc(s)}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    return [...counts]
      .map(([k, callCount]) => ({ parent: k.split('|')[0], child: k.split('|')[1], callCount }))
      .sort((a, b) => (a.parent !== b.parent ? (a.parent < b.parent ? -1 : 1) : a.child < b.child ? -1 : 1));
  }

  it('counts parent -> child service calls in the window', async () => {
    const endMs = maxStartUs() / 1000n + 1n;
    const lookback = endMs - minStartUs() / 1000n + 1n;
    const want = oracleDeps(endMs - lookback, endMs);
    expect(want.length).toBeGreaterThan(4);
    const r = await getJson(`${api}/dependencies?endTs=${endMs}&lookback=${lookback}`);
    expect(r.body).toEqual({ data: want, total: want.length, limit: 0, offset: 0, errors: null });

    const narrow = oracleDeps(endMs - 3000n, endMs);
    expect(narrow).not.toEqual(want);
    expect((await getJson(`${api}/dependencies?endTs=${endMs}&lookback=3000`)).body.data).toEqual(narrow);

    const cart = want.filter((d) => d.parent === 'cart' || d.child === 'cart');
    expect(cart.length).toBeGreaterThan(0);
    expect((await getJson(`${api}/dependencies?endTs=${endMs}&lookback=${lookback}&service=cart`)).body.data).toEqual(cart);
    expectJaegerError(await getJson(`${api}/dependencies?endTs=soon`), 400);
  });
});
