// The request trace context (issue #8): code running inside a request handled by timelessHono or
// timelessHttp sees that request's span through activeTraceContext()/traceFields(), with or without
// an OpenTelemetry SDK; with one, an already-active OTel span becomes our server span's parent.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { context as otelContext, trace as otelTrace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { activeTraceContext, runWithTraceContext, Timeless, timelessHono, timelessHttp, traceFields, type TimelessHonoVariables } from '../src/index.js';
import type { Span } from '../src/traces/types.js';
import { tempDir } from './metrics-helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function openStore(): Promise<Timeless> {
  const t = tempDir('req-ctx');
  const tl = await Timeless.open({ dataDir: t.dir, pool: { threads: 1 }, runtimeMetrics: false, retention: { intervalSec: 0 } });
  cleanups.push(async () => {
    await tl.close();
    t.remove();
  });
  return tl;
}

async function serverSpans(tl: Timeless, n: number): Promise<Span[]> {
  for (let i = 0; i < 500; i++) {
    await tl.traces.flush();
    const r = await tl.traces.query({ kind: 'server', limit: 1000 });
    if (r.spans.length >= n) return r.spans;
    await sleep(10);
  }
  throw new Error(`fewer than ${n} server spans`);
}

interface Seen { traceId: string; spanId: string; fields: Record<string, string> }

describe('activeTraceContext', () => {
  it('is undefined outside any span, and runWithTraceContext sets it', () => {
    expect(activeTraceContext()).toBeUndefined();
    expect(traceFields()).toEqual({});
    const ctx = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), flags: 1 };
    expect(runWithTraceContext(ctx, () => traceFields())).toEqual({ trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16), trace_flags: '01' });
    expect(activeTraceContext()).toBeUndefined();
  });

  it('gives each concurrent Hono request its own span, across awaits, without an OTel SDK', async () => {
    const tl = await openStore();
    const app = new Hono<{ Variables: TimelessHonoVariables }>();
    const mw = timelessHono(tl);
    cleanups.push(() => mw.stop());
    app.use('*', mw);
    app.get('/work/:ms', async (c) => {
      // Interleave the requests: each resumes after the others started.
      await sleep(Number(c.req.param('ms')));
      const ctx = activeTraceContext();
      return c.json({ traceId: ctx?.traceId, spanId: ctx?.spanId, fields: traceFields(), own: c.get('traceId') });
    });
    const answers = await Promise.all([30, 5, 20, 1, 10].map(async (ms) => (await app.request(`/work/${ms}`)).json() as Promise<Seen & { own: string }>));
    for (const a of answers) {
      expect(a.traceId).toBe(a.own);
      expect(a.fields).toEqual({ trace_id: a.traceId, span_id: a.spanId, trace_flags: '01' });
    }
    expect(new Set(answers.map((a) => a.traceId)).size).toBe(5);
    // The ids the handler saw are the stored server spans' own ids.
    const spans = await serverSpans(tl, 5);
    expect(new Set(spans.map((s) => `${s.traceId}/${s.spanId}`))).toEqual(new Set(answers.map((a) => `${a.traceId}/${a.spanId}`)));
    expect(activeTraceContext()).toBeUndefined();
  });

  it('gives a node:http handler wrapped by timelessHttp its request span', async () => {
    const tl = await openStore();
    const mw = timelessHttp(tl);
    cleanups.push(() => mw.stop());
    const server = http.createServer(mw.wrap((_req, res) => {
      setTimeout(() => {
        const ctx = activeTraceContext();
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ traceId: ctx?.traceId, spanId: ctx?.spanId, fields: traceFields() }));
      }, 5);
    }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const seen = await Promise.all([1, 2, 3].map(async () => (await fetch(`${url}/x`)).json() as Promise<Seen>));
    const spans = await serverSpans(tl, 3);
    expect(new Set(spans.map((s) => `${s.traceId}/${s.spanId}`))).toEqual(new Set(seen.map((a) => `${a.traceId}/${a.spanId}`)));
    for (const a of seen) expect(a.fields.trace_id).toBe(a.traceId);
  });
});

describe('with an OpenTelemetry SDK registered', () => {
  it('makes our server span a child of the active OTel span, and OTel spans inside the handler children of ours', async () => {
    const manager = new AsyncLocalStorageContextManager().enable();
    otelContext.setGlobalContextManager(manager);
    const memory = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
    otelTrace.setGlobalTracerProvider(provider);
    cleanups.push(async () => {
      await provider.shutdown();
      otelTrace.disable();
      otelContext.disable();
    });
    const tracer = otelTrace.getTracer('test');

    const tl = await openStore();
    const app = new Hono<{ Variables: TimelessHonoVariables }>();
    const mw = timelessHono(tl);
    cleanups.push(() => mw.stop());
    app.use('*', mw);
    app.get('/inner', async (c) => {
      await sleep(2);
      const seen = activeTraceContext();
      tracer.startActiveSpan('db.query', (s) => s.end());
      return c.json({ seen, own: c.get('spanId') });
    });

    // An outer OTel span is active (as when the SDK's http instrumentation already made one).
    const outer = tracer.startSpan('outer');
    const answer = await otelContext.with(otelTrace.setSpan(otelContext.active(), outer), async () =>
      (await app.request('/inner', { headers: { traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01` } })).json() as Promise<{ seen: { traceId: string; spanId: string }; own: string }>);
    outer.end();

    const [ours] = await serverSpans(tl, 1);
    // The active span wins over the header: no sibling that skips the SDK's span.
    expect(ours.traceId).toBe(outer.spanContext().traceId);
    expect(ours.parentSpanId).toBe(outer.spanContext().spanId);
    expect(answer.seen).toEqual({ traceId: ours.traceId, spanId: ours.spanId, flags: 1 });
    expect(answer.own).toBe(ours.spanId);
    const inner = memory.getFinishedSpans().find((s) => s.name === 'db.query');
    expect(inner?.spanContext().traceId).toBe(ours.traceId);
    expect(inner?.parentSpanContext?.spanId).toBe(ours.spanId);
  });
});
