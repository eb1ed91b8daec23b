// The exporter against the real OpenTelemetry JS SDK (sdk-trace-base 2.12): spans made through the
// API must arrive in the sink with every field as the test created it.
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  context,
  createTraceState,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Context,
  type ContextManager,
  type HrTime,
  type SpanContext,
} from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hrTimeToNs, readableSpanToInput, TimelessSpanExporter, type SpanSink } from './exporter.js';
import type { SpanInput } from './types.js';

/** Context propagation for startActiveSpan, on AsyncLocalStorage (what context-async-hooks does). */
class AlsContextManager implements ContextManager {
  private readonly als = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.als.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.als.run(ctx, () => fn.apply(thisArg, args));
  }
  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const run = (...args: unknown[]) => this.with(ctx, () => (target as (...a: unknown[]) => unknown)(...args));
    return run as T;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.als.disable();
    return this;
  }
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** An in-memory engine stand-in: records batches and flushes; can throw or hold its flush. */
class MemorySink implements SpanSink {
  spans: SpanInput[] = [];
  batches = 0;
  flushes = 0;
  writeError?: Error;
  flushGate?: Promise<void>;
  writeBatch(spans: SpanInput[]): void {
    if (this.writeError) throw this.writeError;
    this.batches++;
    this.spans.push(...spans);
  }
  async flush(): Promise<void> {
    this.flushes++;
    await this.flushGate;
  }
  byName(name: string): SpanInput {
    const found = this.spans.filter((s) => s.name === name);
    expect(found, name).toHaveLength(1);
    return found[0];
  }
}

/** A typed error as the engine throws under overload. */
class SinkError extends Error {
  readonly code = 'BACKPRESSURE';
}

function exportOnce(exporter: TimelessSpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

/** Settles within a few macrotasks or reports 'pending': enough for in-memory promise chains. */
async function settledWithin<T>(p: Promise<T>): Promise<'settled' | 'pending'> {
  let settled = false;
  void p.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return settled ? 'settled' : 'pending';
}

const ns = (t: HrTime) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

// A context from another process (as a propagator would extract it): uppercase hex on purpose,
// the SDK accepts it and the store's ids are lowercase.
const REMOTE: SpanContext = {
  traceId: '0AF7651916CD43DD8448EB211C80319C',
  spanId: 'B7AD6B7169203331',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
  traceState: createTraceState('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7'),
};

// 1_700_000_000.123456789 s: more digits than a double holds, so only exact arithmetic keeps them.
const T0: HrTime = [1_700_000_000, 123_456_789];
const at = (offsetNs: number): HrTime => [T0[0], T0[1] + offsetNs];
const T0_NS = 1_700_000_000_123_456_789n;

const ALL_TYPES = {
  str: 'value',
  empty: '',
  int: 42,
  negative: -7,
  maxSafe: Number.MAX_SAFE_INTEGER,
  float: 3.25,
  yes: true,
  no: false,
  strs: ['a', 'b'],
  ints: [1, 2, 3],
  floats: [0.5, -1.5],
  bools: [true, false],
  holes: ['x', null, undefined, 'y'],
  emptyArr: [],
};
const ALL_TYPES_STORED = { ...ALL_TYPES, holes: ['x', null, null, 'y'] };

const manager = new AlsContextManager();
beforeAll(() => {
  expect(context.setGlobalContextManager(manager)).toBe(true);
});
afterAll(() => {
  context.disable();
});

describe('TimelessSpanExporter with SimpleSpanProcessor', () => {
  const sink = new MemorySink();
  const recorded = new InMemorySpanExporter();
  const resource = resourceFromAttributes(
    { 'service.name': 'checkout', 'service.version': '1.4.0', 'host.cores': 2 },
    { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' },
  );
  const provider = new BasicTracerProvider({
    resource,
    spanProcessors: [new SimpleSpanProcessor(new TimelessSpanExporter(sink)), new SimpleSpanProcessor(recorded)],
  });
  const tracer = provider.getTracer('shop', '2.0.1', { schemaUrl: 'https://example.com/schema/shop' });
  const ids: Record<string, SpanContext> = {};

  beforeAll(async () => {
    tracer.startActiveSpan('GET /checkout', { kind: SpanKind.SERVER, attributes: ALL_TYPES, startTime: T0 }, (root) => {
      ids.root = root.spanContext();
      tracer.startActiveSpan('db.query', { kind: SpanKind.CLIENT, startTime: at(1_000) }, (db) => {
        ids.db = db.spanContext();
        db.addEvent('rows', { count: 3, missing: undefined, tags: ['p', undefined] }, at(1_500));
        db.setStatus({ code: SpanStatusCode.OK, message: 'the SDK drops an OK message' });
        // Explicit propagation: a grandchild parented through a context value, not the active one.
        const cache = tracer.startSpan('cache.get', { startTime: at(2_000) }, trace.setSpan(context.active(), db));
        ids.cache = cache.spanContext();
        cache.end(at(2_500));
        db.end(at(3_000));
      });
      const publish = tracer.startSpan('publish', { kind: SpanKind.PRODUCER });
      ids.publish = publish.spanContext();
      publish.addLink({ context: ids.db, attributes: { why: 'batch' } });
      publish.recordException(new Error('queue full'));
      publish.setStatus({ code: SpanStatusCode.ERROR, message: 'queue full' });
      publish.end();
      root.end(at(9_000));
    });
    // A consumer continuing a trace from another process, linked back to our root.
    context.with(trace.setSpanContext(ROOT_CONTEXT, REMOTE), () => {
      const consume = tracer.startSpan('consume', {
        kind: SpanKind.CONSUMER,
        links: [{ context: REMOTE, attributes: { 'messaging.batch': true } }, { context: ids.root }],
      });
      ids.consume = consume.spanContext();
      consume.end();
    });
    await provider.forceFlush();
  });
  afterAll(() => provider.shutdown());

  it('delivers every span once, durably (one flush per export)', () => {
    expect(sink.spans.map((s) => s.name).sort()).toEqual(['GET /checkout', 'cache.get', 'consume', 'db.query', 'publish']);
    expect(sink.batches).toBe(5);
    expect(sink.flushes).toBe(6); // one per export, one for provider.forceFlush()
  });

  it('keeps ids, the parent tree and kinds', () => {
    const root = sink.byName('GET /checkout');
    expect(root.traceId).toBe(ids.root.traceId);
    expect(root.spanId).toBe(ids.root.spanId);
    expect('parentSpanId' in root).toBe(false);
    expect(root.kind).toBe('server');
    const parentOf = (name: string) => sink.byName(name).parentSpanId;
    expect(parentOf('db.query')).toBe(ids.root.spanId);
    expect(parentOf('cache.get')).toBe(ids.db.spanId);
    expect(parentOf('publish')).toBe(ids.root.spanId);
    for (const name of ['db.query', 'cache.get', 'publish']) expect(sink.byName(name).traceId).toBe(ids.root.traceId);
    expect(sink.byName('db.query').kind).toBe('client');
    expect(sink.byName('cache.get').kind).toBe('internal');
    expect(sink.byName('publish').kind).toBe('producer');
    const consume = sink.byName('consume');
    expect(consume.kind).toBe('consumer');
    expect(consume.traceId).toBe(REMOTE.traceId.toLowerCase());
    expect(consume.parentSpanId).toBe(REMOTE.spanId.toLowerCase());
  });

  it('converts times to exact ns: the given HrTimes, and the SDK clock', () => {
    const root = sink.byName('GET /checkout');
    expect(root.startNs).toBe(T0_NS);
    expect(root.endNs).toBe(T0_NS + 9_000n);
    expect(sink.byName('cache.get').startNs).toBe(T0_NS + 2_000n);
    expect(sink.byName('db.query').events![0].timeNs).toBe(T0_NS + 1_500n);
    for (const rs of recorded.getFinishedSpans()) {
      const stored = sink.byName(rs.name);
      expect(stored.startNs).toBe(ns(rs.startTime));
      expect(stored.endNs).toBe(ns(rs.endTime));
      rs.events.forEach((e, i) => expect(stored.events![i].timeNs).toBe(ns(e.time)));
    }
    const publish = sink.byName('publish');
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    expect(publish.startNs).toBeGreaterThan(nowNs - 60_000_000_000n);
    expect(publish.endNs).toBeGreaterThanOrEqual(publish.startNs as bigint);
  });

  it('keeps status codes, the message only when there is one', () => {
    expect(sink.byName('GET /checkout').status).toStrictEqual({ code: 'unset' });
    expect(sink.byName('db.query').status).toStrictEqual({ code: 'ok' });
    expect(sink.byName('publish').status).toStrictEqual({ code: 'error', message: 'queue full' });
  });

  it('keeps attributes of every type; array holes become null, unset values are dropped', () => {
    expect(sink.byName('GET /checkout').attributes).toStrictEqual(ALL_TYPES_STORED);
    expect(sink.byName('cache.get').attributes).toStrictEqual({});
    const [rows] = sink.byName('db.query').events!;
    expect(rows).toStrictEqual({ name: 'rows', timeNs: T0_NS + 1_500n, attributes: { count: 3, tags: ['p', null] }, droppedAttributesCount: 0 });
  });

  it('spells NaN and infinities as OTLP/JSON does, so one such value cannot fail the batch', () => {
    const provider = new BasicTracerProvider({ spanProcessors: [] });
    const span = provider.getTracer('t').startSpan('x', { attributes: { nan: Number.NaN, inf: [1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY] } });
    span.end();
    const input = readableSpanToInput(span as unknown as ReadableSpan);
    expect(input.attributes).toStrictEqual({ nan: 'NaN', inf: [1, 'Infinity', '-Infinity'] });
  });

  it('keeps events, including recorded exceptions', () => {
    const [ex] = sink.byName('publish').events!;
    expect(ex.name).toBe('exception');
    expect(ex.attributes).toMatchObject({ 'exception.type': 'Error', 'exception.message': 'queue full' });
    expect(String(ex.attributes!['exception.stacktrace'])).toContain('queue full');
  });

  it('keeps links with trace state and OTLP flags', () => {
    expect(sink.byName('publish').links).toStrictEqual([
      { traceId: ids.db.traceId, spanId: ids.db.spanId, flags: 0x101, attributes: { why: 'batch' }, droppedAttributesCount: 0 },
    ]);
    expect(sink.byName('consume').links).toStrictEqual([
      {
        traceId: REMOTE.traceId.toLowerCase(),
        spanId: REMOTE.spanId.toLowerCase(),
        traceState: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
        flags: 0x301,
        attributes: { 'messaging.batch': true },
        droppedAttributesCount: 0,
      },
      { traceId: ids.root.traceId, spanId: ids.root.spanId, flags: 0x101, attributes: {}, droppedAttributesCount: 0 },
    ]);
  });

  it('keeps trace state and flags as the OTLP exporter computes them (remote parent: bit 9)', () => {
    const consume = sink.byName('consume');
    expect(consume.traceState).toBe('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
    expect(consume.flags).toBe(0x301);
    for (const name of ['GET /checkout', 'db.query', 'cache.get', 'publish']) {
      expect(sink.byName(name).flags, name).toBe(0x101);
      expect('traceState' in sink.byName(name), name).toBe(false);
    }
  });

  it('keeps resource and scope', () => {
    for (const s of sink.spans) {
      expect(s.resource).toStrictEqual({
        attributes: { 'service.name': 'checkout', 'service.version': '1.4.0', 'host.cores': 2 },
        droppedAttributesCount: 0,
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
      });
      expect(s.scope).toStrictEqual({
        name: 'shop',
        version: '2.0.1',
        schemaUrl: 'https://example.com/schema/shop',
        attributes: {},
        droppedAttributesCount: 0,
      });
    }
  });

  it('has no dropped counts without limits', () => {
    for (const s of sink.spans) expect([s.droppedAttributesCount, s.droppedEventsCount, s.droppedLinksCount]).toEqual([0, 0, 0]);
  });
});

describe('TimelessSpanExporter with BatchSpanProcessor', () => {
  it('stores every batch, parents forming the tree, flushing after each batch', async () => {
    const sink = new MemorySink();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'batcher' }),
      spanProcessors: [new BatchSpanProcessor(new TimelessSpanExporter(sink), { maxExportBatchSize: 4, scheduledDelayMillis: 60_000 })],
    });
    const tracer = provider.getTracer('batch-test');
    const expectedParent = new Map<string, string | undefined>();
    tracer.startActiveSpan('root', (root) => {
      expectedParent.set(root.spanContext().spanId, undefined);
      for (let i = 0; i < 3; i++) {
        tracer.startActiveSpan(`child-${i}`, (child) => {
          expectedParent.set(child.spanContext().spanId, root.spanContext().spanId);
          for (let j = 0; j < 2; j++) {
            const leaf = tracer.startSpan(`leaf-${i}-${j}`);
            expectedParent.set(leaf.spanContext().spanId, child.spanContext().spanId);
            leaf.end();
          }
          child.end();
        });
      }
      root.end();
    });
    await provider.forceFlush();
    expect(sink.spans).toHaveLength(10);
    expect(sink.batches).toBe(3); // 10 spans in batches of at most 4
    expect(sink.flushes).toBe(3);
    const traceIds = new Set(sink.spans.map((s) => s.traceId));
    expect(traceIds.size).toBe(1);
    for (const s of sink.spans) {
      expect(expectedParent.has(s.spanId)).toBe(true);
      expect(s.parentSpanId).toBe(expectedParent.get(s.spanId));
      expect(s.resource!.attributes!['service.name']).toBe('batcher');
    }
    await provider.shutdown();
  });
});

describe('span limits', () => {
  it('carries the dropped counts of attributes, events, links and their attributes', async () => {
    const recorded = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanLimits: {
        attributeCountLimit: 2,
        eventCountLimit: 1,
        linkCountLimit: 1,
        attributePerEventCountLimit: 1,
        attributePerLinkCountLimit: 1,
      },
      spanProcessors: [new SimpleSpanProcessor(recorded)],
    });
    const span = provider.getTracer('limits').startSpan('limited', {
      attributes: { a: 1, b: 2, c: 3, d: 4 },
      links: [{ context: REMOTE }, { context: REMOTE, attributes: { x: 1, y: 2, z: 3 } }],
    });
    span.addEvent('first', { k: 1 }, at(1));
    span.addEvent('second', { k: 1, l: 2, m: 3 }, at(2));
    span.end();
    await provider.forceFlush();
    const [converted] = recorded.getFinishedSpans().map(readableSpanToInput);
    expect(converted.attributes).toStrictEqual({ a: 1, b: 2 });
    expect(converted.droppedAttributesCount).toBe(2);
    expect(converted.droppedEventsCount).toBe(1);
    expect(converted.events).toStrictEqual([{ name: 'second', timeNs: T0_NS + 2n, attributes: { k: 1 }, droppedAttributesCount: 2 }]);
    expect(converted.droppedLinksCount).toBe(1);
    expect(converted.links).toHaveLength(1);
    expect(converted.links![0].attributes).toStrictEqual({ x: 1 });
    expect(converted.links![0].droppedAttributesCount).toBe(2);
    await provider.shutdown();
  });
});

describe('export results', () => {
  // Spans as the SDK hands them over, to drive export() directly.
  async function someSpans(count: number): Promise<ReadableSpan[]> {
    const recorded = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(recorded)] });
    const tracer = provider.getTracer('results');
    for (let i = 0; i < count; i++) tracer.startSpan(`s${i}`).end();
    await provider.forceFlush();
    return recorded.getFinishedSpans();
  }

  it('a throwing writeBatch fails the export with that error, nothing reported as success', async () => {
    const sink = new MemorySink();
    sink.writeError = new SinkError('over the pending-bytes bound');
    const exporter = new TimelessSpanExporter(sink);
    const results: ExportResult[] = [];
    const spans = await someSpans(2);
    const result = await new Promise<ExportResult>((resolve) =>
      exporter.export(spans, (r) => {
        results.push(r);
        resolve(r);
      }),
    );
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error).toBe(sink.writeError);
    await new Promise((r) => setImmediate(r));
    expect(results).toHaveLength(1); // reported once, never also as success
    expect(sink.spans).toHaveLength(0);
    expect(sink.flushes).toBe(0);
  });

  it('through the SDK: a failing sink surfaces its error from forceFlush, not a silent success', async () => {
    const sink = new MemorySink();
    sink.writeError = new SinkError('full');
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new TimelessSpanExporter(sink))] });
    provider.getTracer('t').startSpan('lost').end();
    // The provider gathers its processors' errors into an array.
    const error: unknown = await provider.forceFlush().then(() => undefined, (err: unknown) => err);
    expect([error].flat()).toContain(sink.writeError);
    await provider.shutdown();
  });

  it('a failing flush fails the export (the spans were not made durable)', async () => {
    const sink = new MemorySink();
    const gate = deferred();
    sink.flushGate = gate.promise;
    const exporter = new TimelessSpanExporter(sink);
    const pending = exportOnce(exporter, await someSpans(1));
    gate.reject(new Error('fdatasync failed'));
    const result = await pending;
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toBe('fdatasync failed');
  });

  it('durable (default) reports success only after the sink flush resolves', async () => {
    const sink = new MemorySink();
    const gate = deferred();
    sink.flushGate = gate.promise;
    const exporter = new TimelessSpanExporter(sink);
    const pending = exportOnce(exporter, await someSpans(3));
    expect(await settledWithin(pending)).toBe('pending');
    expect(sink.spans).toHaveLength(3); // written synchronously, waiting for durability
    gate.resolve();
    expect((await pending).code).toBe(ExportResultCode.SUCCESS);
    expect(sink.flushes).toBe(1);
  });

  it('durable: false reports success without flushing', async () => {
    const sink = new MemorySink();
    const exporter = new TimelessSpanExporter(sink, { durable: false });
    const result = await exportOnce(exporter, await someSpans(2));
    expect(result).toEqual({ code: ExportResultCode.SUCCESS });
    expect(sink.spans).toHaveLength(2);
    expect(sink.flushes).toBe(0);
  });

  it('forceFlush waits for the sink flush', async () => {
    const sink = new MemorySink();
    const exporter = new TimelessSpanExporter(sink, { durable: false });
    await exportOnce(exporter, await someSpans(1));
    const gate = deferred();
    sink.flushGate = gate.promise;
    const flushing = exporter.forceFlush();
    expect(await settledWithin(flushing)).toBe('pending');
    expect(sink.flushes).toBe(1);
    gate.resolve();
    await flushing;
  });

  it('forceFlush waits for exports in flight, then flushes what they wrote', async () => {
    const { span, resolveHost } = spanWithLateResource();
    const sink = new MemorySink();
    const exporter = new TimelessSpanExporter(sink, { durable: false });
    const exporting = exportOnce(exporter, [span]);
    const flushing = exporter.forceFlush();
    // The export is held by the resource, not by the sink: only waiting for it holds forceFlush.
    expect(await settledWithin(flushing)).toBe('pending');
    resolveHost('h-1');
    await flushing;
    expect(await settledWithin(exporting)).toBe('settled');
    expect(sink.spans).toHaveLength(1);
    expect(sink.flushes).toBe(1);
  });

  it('shutdown waits for exports in flight, then export fails saying the exporter is shut down', async () => {
    const sink = new MemorySink();
    const gate = deferred();
    sink.flushGate = gate.promise;
    const exporter = new TimelessSpanExporter(sink);
    const spans = await someSpans(1);
    const exporting = exportOnce(exporter, spans);
    const shuttingDown = exporter.shutdown();
    expect(await settledWithin(shuttingDown)).toBe('pending');
    gate.resolve();
    await shuttingDown;
    expect((await exporting).code).toBe(ExportResultCode.SUCCESS);

    const after = await exportOnce(exporter, spans);
    expect(after.code).toBe(ExportResultCode.FAILED);
    expect(after.error?.message).toMatch(/shut down/);
    expect(sink.batches).toBe(1);
  });

  it('waits for async resource attributes before converting', async () => {
    const { span, resolveHost } = spanWithLateResource();
    const sink = new MemorySink();
    const exporting = exportOnce(new TimelessSpanExporter(sink, { durable: false }), [span]);
    expect(await settledWithin(exporting)).toBe('pending');
    expect(sink.batches).toBe(0);
    resolveHost('h-42');
    expect((await exporting).code).toBe(ExportResultCode.SUCCESS);
    expect(sink.spans[0].resource!.attributes).toStrictEqual({ 'service.name': 'late', 'host.id': 'h-42' });
  });
});

/**
 * A finished span whose resource has an attribute still being detected. No processor: the span
 * object itself is the ReadableSpan handed to export(), so nothing but the exporter waits for it.
 */
function spanWithLateResource(): { span: ReadableSpan; resolveHost(host: string): void } {
  let resolveHost!: (host: string) => void;
  const host = new Promise<string>((r) => (resolveHost = r));
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'late', 'host.id': host }) });
  const span = provider.getTracer('r').startSpan('early');
  span.end();
  return { span: span as unknown as ReadableSpan, resolveHost };
}

describe('hrTimeToNs', () => {
  it('is exact past 2^53 ns', () => {
    expect(hrTimeToNs([1_700_000_000, 999_999_999])).toBe(1_700_000_000_999_999_999n);
    expect(hrTimeToNs([0, 0])).toBe(0n);
  });
});
