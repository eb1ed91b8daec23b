// Fidelity through the whole engine (issue #5): random OpenTelemetry spans with every field
// (test/traces-random-spans.ts: nasty strings, extreme times, nested attributes, events, links,
// trace state, flags, dropped counts), written in their many equivalent input spellings, read back
// equal from the hot tail, RAW blocks, columnar blocks and after a reopen; and the real OpenTelemetry
// JS SDK exporting through tl.traces.exporter() gives spans that trace() returns as their tree.
import { context, SpanKind, SpanStatusCode, trace as otelTrace, type Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prng } from '../bench/gen/prng.js';
import { Timeless } from '../src/index.js';
import { createPool, type Pool } from '../src/pool/pool.js';
import type { Span, SpanNode } from '../src/traces/types.js';
import { tempDir } from './metrics-helpers.js';
import { inQueryOrder, traceOf } from './traces-helpers.js';
import { firstSpanMismatch, nonZeroHex, randomSpan, spanAsInput } from './traces-random-spans.js';

let pool: Pool;
beforeAll(() => {
  pool = createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

const DEFAULT_RESOURCE = { 'service.name': 'fidelity', 'host.name': 'h1' };

async function open(dir: string) {
  return Timeless.open({
    dataDir: dir,
    pool,
    traces: { resource: DEFAULT_RESOURCE, compaction: false, sealIntervalMs: 0, compactIntervalMs: 0, sealSpans: 400 },
    retention: { intervalSec: 0 },
  });
}

async function everySpan(tl: Timeless): Promise<Span[]> {
  const out: Span[] = [];
  let cursor: string | undefined;
  do {
    const page = await tl.traces.query({ limit: 500, cursor });
    expect(page.skipped).toEqual([]);
    out.push(...page.spans);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

describe('traces fidelity', () => {
  it('reads back random spans with every OTel field exactly, in every storage state', async () => {
    const rng = new Prng(5151);
    // 120 traces of random spans (random spans have random trace ids: share them out).
    const ids = Array.from({ length: 120 }, () => nonZeroHex(rng, 32));
    const spans: Span[] = [];
    for (let i = 0; i < 1_500; i++) {
      const s = randomSpan(rng);
      s.traceId = rng.pick(ids);
      // What the engine stores: its default resource attributes under the span's own.
      s.resource = { ...s.resource, attributes: { ...DEFAULT_RESOURCE, ...s.resource.attributes } };
      spans.push(s);
    }
    const inputs = spans.map((s) => spanAsInput({ ...s, resource: { ...s.resource, attributes: Object.fromEntries(Object.entries(s.resource.attributes).filter(([k, v]) => !(k in DEFAULT_RESOURCE) || DEFAULT_RESOURCE[k as keyof typeof DEFAULT_RESOURCE] !== v)) } }, rng));
    const t = tempDir('traces-fidelity');
    try {
      let tl = await open(t.dir);
      const check = async (state: string) => {
        const all = await everySpan(tl);
        expect(firstSpanMismatch(all, inQueryOrder(spans)), state).toBeUndefined();
        for (const id of ids.slice(0, 25)) {
          const r = await tl.traces.trace(id);
          expect(firstSpanMismatch(r.spans, traceOf(spans, id)), `${state}: trace ${id}`).toBeUndefined();
        }
      };
      try {
        for (let i = 0; i < inputs.length; i += 100) tl.traces.write(inputs.slice(i, i + 100));
        await check('hot');
        await tl.traces.sealNow();
        await check('RAW blocks');
        await tl.traces.compactNow();
        await check('columnar blocks');
      } finally {
        await tl.close();
      }
      tl = await open(t.dir);
      try {
        await check('reopened');
      } finally {
        await tl.close();
      }
    } finally {
      t.remove();
    }
  });

  it('stores what the real OpenTelemetry JS SDK exports as the trace tree', async () => {
    const t = tempDir('traces-otel');
    const tl = await open(t.dir);
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'shop-frontend', 'deployment.environment': 'test' }),
      spanProcessors: [new SimpleSpanProcessor(tl.traces.exporter())],
    });
    try {
      const tracer: Tracer = provider.getTracer('shop', '1.2.3');
      // A request: server span -> (db query, client call -> internal), parents set through contexts.
      const root = tracer.startSpan('GET /checkout', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'http.route': '/checkout' } });
      const inRoot = otelTrace.setSpan(context.active(), root);
      const db = tracer.startSpan('SELECT carts', { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql' } }, inRoot);
      db.addEvent('rows', { n: 3 });
      db.end();
      const call = tracer.startSpan('POST payments', { kind: SpanKind.CLIENT }, inRoot);
      const inner = tracer.startSpan('sign request', {}, otelTrace.setSpan(inRoot, call));
      inner.end();
      call.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
      call.end();
      root.end();
      await provider.forceFlush();
      const traceId = root.spanContext().traceId;
      const r = await tl.traces.trace(traceId);
      expect(r.spans.map((s) => s.name).sort()).toEqual(['GET /checkout', 'POST payments', 'SELECT carts', 'sign request']);
      const shape = (n: SpanNode): unknown => ({ name: n.span.name, children: n.children.map(shape).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) });
      expect(r.roots.map(shape)).toEqual([
        {
          name: 'GET /checkout',
          children: [
            { name: 'POST payments', children: [{ name: 'sign request', children: [] }] },
            { name: 'SELECT carts', children: [] },
          ],
        },
      ]);
      const byName = new Map(r.spans.map((s) => [s.name, s]));
      expect(byName.get('GET /checkout')!.kind).toBe('server');
      expect(byName.get('POST payments')!.status).toEqual({ code: 'error', message: 'card declined' });
      expect(byName.get('SELECT carts')!.events.map((e) => [e.name, e.attributes])).toEqual([['rows', { n: 3 }]]);
      expect(byName.get('GET /checkout')!.resource.attributes['service.name']).toBe('shop-frontend');
      expect(byName.get('GET /checkout')!.scope).toMatchObject({ name: 'shop', version: '1.2.3' });
      // Durable: the exporter flushed before reporting success, so a reopen has them all.
      await provider.shutdown();
      await tl.close();
      const again = await open(t.dir);
      try {
        expect((await again.traces.trace(traceId)).spans.length).toBe(4);
      } finally {
        await again.close();
      }
    } finally {
      await tl.close();
      t.remove();
    }
  });
});
