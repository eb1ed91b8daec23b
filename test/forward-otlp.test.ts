// Forwarding logs and spans to an OTLP/HTTP collector: a small in-test receiver decodes the OTLP/JSON
// requests (gzip) back to entries and spans, which must equal what the store kept, every field.
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogEntry, LogInput } from '../src/logs/types.js';
import { LOG_LEVELS } from '../src/logs/types.js';
import type { AttrValue, Attributes, Span } from '../src/traces/types.js';
import { SPAN_KINDS, STATUS_CODES } from '../src/traces/types.js';
import { startServer, type TestServer } from './server-helpers.js';
import { makeSpans, traceIds } from './traces-helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
  status: number;
}

/** An OTLP/HTTP receiver; `answer` picks each request's status (and headers). */
async function startReceiver(answer: (path: string, n: number) => { status: number; headers?: Record<string, string> } = () => ({ status: 200 })): Promise<{ url: string; got: Received[] }> {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
      const a = answer(req.url!, got.filter((g) => g.path === req.url).length);
      got.push({ path: req.url!, headers: req.headers, body: JSON.parse(text), status: a.status });
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(a.status === 200 ? '{}' : '{"message":"not now"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`, got };
}

async function waitFor<T>(what: string, fn: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// --- OTLP/JSON back to the store's shapes (the inverse of what a collector would parse) ---

function attrs(kvs: Array<{ key: string; value: any }> | undefined): Attributes {
  const out: Attributes = {};
  for (const kv of kvs ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

function anyValue(v: any): AttrValue {
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) {
    expect(typeof v.intValue).toBe('string'); // int64 is a decimal string in OTLP/JSON
    return Number(v.intValue);
  }
  if ('doubleValue' in v) return v.doubleValue;
  if ('arrayValue' in v) return (v.arrayValue.values ?? []).map(anyValue);
  if ('kvlistValue' in v) return attrs(v.kvlistValue.values);
  return null;
}

function decodeLogs(body: any): LogEntry[] {
  const out: LogEntry[] = [];
  for (const rl of body.resourceLogs) {
    for (const sl of rl.scopeLogs) {
      for (const r of sl.logRecords) {
        const e: LogEntry = {
          tsNs: BigInt(r.timeUnixNano),
          severityNumber: r.severityNumber,
          level: LOG_LEVELS[Math.floor((r.severityNumber - 1) / 4)],
          message: r.body.stringValue,
          attributes: attrs(r.attributes),
          resource: attrs(rl.resource.attributes) as LogEntry['resource'],
        };
        expect(r.severityText).toBe(e.level.toUpperCase());
        if (r.traceId !== undefined) e.traceId = r.traceId;
        if (r.spanId !== undefined) e.spanId = r.spanId;
        out.push(e);
      }
    }
  }
  return out;
}

function decodeSpans(body: any): Span[] {
  const out: Span[] = [];
  for (const rs of body.resourceSpans) {
    const resource: Span['resource'] = { attributes: attrs(rs.resource.attributes), droppedAttributesCount: rs.resource.droppedAttributesCount ?? 0 };
    if (rs.schemaUrl !== undefined) resource.schemaUrl = rs.schemaUrl;
    for (const ss of rs.scopeSpans) {
      const scope: Span['scope'] = { name: ss.scope.name ?? '', attributes: attrs(ss.scope.attributes), droppedAttributesCount: ss.scope.droppedAttributesCount ?? 0 };
      if (ss.scope.version !== undefined) scope.version = ss.scope.version;
      if (ss.schemaUrl !== undefined) scope.schemaUrl = ss.schemaUrl;
      for (const s of ss.spans) {
        const span: Span = {
          traceId: s.traceId,
          spanId: s.spanId,
          name: s.name,
          kind: SPAN_KINDS[s.kind],
          startNs: BigInt(s.startTimeUnixNano),
          endNs: BigInt(s.endTimeUnixNano),
          status: s.status.message !== undefined ? { code: STATUS_CODES[s.status.code], message: s.status.message } : { code: STATUS_CODES[s.status.code] },
          attributes: attrs(s.attributes),
          events: s.events.map((e: any) => ({ name: e.name, timeNs: BigInt(e.timeUnixNano), attributes: attrs(e.attributes), droppedAttributesCount: e.droppedAttributesCount })),
          links: s.links.map((l: any) => ({
            traceId: l.traceId,
            spanId: l.spanId,
            ...(l.traceState !== undefined ? { traceState: l.traceState } : {}),
            flags: l.flags,
            attributes: attrs(l.attributes),
            droppedAttributesCount: l.droppedAttributesCount,
          })),
          resource,
          scope,
          flags: s.flags,
          droppedAttributesCount: s.droppedAttributesCount,
          droppedEventsCount: s.droppedEventsCount,
          droppedLinksCount: s.droppedLinksCount,
        };
        if (s.parentSpanId !== undefined) span.parentSpanId = s.parentSpanId;
        if (s.traceState !== undefined) span.traceState = s.traceState;
        out.push(span);
      }
    }
  }
  return out;
}

function targetStats(s: TestServer, label: string): Record<string, number> {
  return (s.app.timeless.forwarder!.stats() as Record<string, Record<string, number>>)[label];
}

async function closeServer(s: TestServer): Promise<void> {
  // tl.close() closes what tl.routes() built (the forwarder and its queue files).
  await s.close();
}

const T0_MS = Date.UTC(2025, 5, 1, 12);

function makeLogs(): LogInput[] {
  const logs: LogInput[] = [];
  for (let i = 0; i < 60; i++) {
    logs.push({
      // Fractional ms (kept to the ns), ns strings, and ns bigints.
      ...(i % 3 === 0 ? { tsMs: T0_MS + i + 0.25 } : i % 3 === 1 ? { tsNs: `${BigInt(T0_MS + i) * 1_000_000n + 7n}` } : { tsNs: BigInt(T0_MS + i) * 1_000_000n }),
      level: i % 4 === 0 ? 'warn' : i % 4 === 1 ? 18 : i % 4 === 2 ? 'debug' : undefined,
      message: `request ${i} done — ok ✓`,
      attributes: {
        'http.status_code': 200 + (i % 5),
        ratio: i / 7,
        big: 2 ** 53 + 2,
        ok: i % 2 === 0,
        nothing: null,
        tags: ['a', i, { deep: [true, 'x'] }],
        nested: { user: { id: `u${i}`, score: -i } },
      },
      ...(i % 2 === 0 ? { traceId: 'ABCDEF0123456789abcdef01234567' + String(i).padStart(2, '0'), spanId: '00000000000000' + String(i + 10).padStart(2, '0') } : {}),
      ...(i % 5 === 0 ? { resource: { 'service.name': 'billing', 'deployment.environment': 'test', replica: i } } : {}),
    });
  }
  return logs;
}

describe('forwarding to an OTLP/HTTP collector', () => {
  it('sends accepted logs and spans as OTLP/JSON that decodes to exactly what the store kept', async () => {
    const receiver = await startReceiver((path, n) => (path === '/v1/traces' && n === 0 ? { status: 503, headers: { 'retry-after': '0' } } : { status: 200 }));
    const s = await startServer({ server: { forward: { otlp: `${receiver.url}/`, minBackoffMs: 20, maxBackoffMs: 100 } } });
    cleanups.push(() => closeServer(s));
    const logs = makeLogs();
    const spans = makeSpans(7, 400, T0_MS);
    const ingest = s.app.timeless.ingest;
    expect(await ingest.logs(logs.slice(0, 25), 'test')).toMatchObject({ accepted: 25, rejected: 0 });
    expect(await ingest.logs(logs.slice(25), 'test')).toMatchObject({ accepted: 35, rejected: 0 });
    expect(await ingest.spans(spans, 'test')).toMatchObject({ accepted: spans.length, rejected: 0 });

    const logsLabel = `${receiver.url}/v1/logs`;
    const tracesLabel = `${receiver.url}/v1/traces`;
    await waitFor('both queues to drain', () => {
      const l = targetStats(s, logsLabel);
      const t = targetStats(s, tracesLabel);
      return l.sent_records_total === logs.length && t.sent_records_total === spans.length && l.queued_records === 0 && t.queued_records === 0 ? true : undefined;
    });
    const ok = receiver.got.filter((g) => g.status === 200);
    for (const g of receiver.got) {
      expect(g.headers['content-type']).toBe('application/json');
      expect(g.headers['content-encoding']).toBe('gzip');
    }
    // The first traces request was answered 503 and sent again.
    expect(receiver.got.filter((g) => g.path === '/v1/traces' && g.status === 503).length).toBe(1);
    expect(targetStats(s, tracesLabel).retries_total).toBe(1);
    expect(targetStats(s, logsLabel)).toMatchObject({ retries_total: 0, dropped_records_total: 0 });

    const storedLogs = (await s.tl.logs.query({ order: 'asc', limit: 1000 })).entries;
    expect(storedLogs.length).toBe(logs.length);
    // Grouped by resource in the requests: compared in time order.
    const sentLogs = ok.filter((g) => g.path === '/v1/logs').flatMap((g) => decodeLogs(g.body)).sort((a, b) => (a.tsNs < b.tsNs ? -1 : 1));
    expect(sentLogs).toEqual(storedLogs);

    const sentSpans = ok.filter((g) => g.path === '/v1/traces').flatMap((g) => decodeSpans(g.body));
    expect(sentSpans.length).toBe(spans.length);
    const byId = new Map(sentSpans.map((sp) => [sp.spanId, sp]));
    let compared = 0;
    for (const traceId of traceIds(spans)) {
      for (const stored of (await s.tl.traces.trace(traceId)).spans) {
        expect(byId.get(stored.spanId)).toEqual(stored);
        compared++;
      }
    }
    expect(compared).toBe(spans.length);
  });

  it('drops (and counts) a batch the collector refuses with a 4xx, then goes on; credentials in the URL become Basic auth', async () => {
    const receiver = await startReceiver((_path, n) => (n === 0 ? { status: 400 } : { status: 200 }));
    const base = receiver.url.replace('http://', 'http://collector:s3cret@');
    const logsOut: string[] = [];
    const s = await startServer({ server: { forward: { otlp: base, minBackoffMs: 20, maxBackoffMs: 100, log: (m) => logsOut.push(m) } } });
    cleanups.push(() => closeServer(s));
    const label = `${receiver.url}/v1/logs`;
    const logs = makeLogs();
    await s.app.timeless.ingest.logs(logs.slice(0, 10), 'test');
    await waitFor('the refusal', () => (targetStats(s, label).rejected_records_total === 10 ? true : undefined));
    await s.app.timeless.ingest.logs(logs.slice(10, 30), 'test');
    const st = await waitFor('the next batch', () => {
      const x = targetStats(s, label);
      return x.sent_records_total === 20 ? x : undefined;
    });
    expect(st).toMatchObject({ rejected_records_total: 10, dropped_records_total: 10, retries_total: 0, queued_records: 0 });
    expect(st.last_error_timestamp_seconds).toBeGreaterThan(0);
    expect(logsOut.join('\n')).toMatch(/refused: .*answered 400/);
    expect(receiver.got.length).toBe(2);
    for (const g of receiver.got) expect(g.headers.authorization).toBe(`Basic ${Buffer.from('collector:s3cret').toString('base64')}`);
    // The label (stats, logs) never shows the password.
    expect(Object.keys(s.app.timeless.forwarder!.stats()).join(' ')).not.toMatch(/s3cret/);
  });
});
