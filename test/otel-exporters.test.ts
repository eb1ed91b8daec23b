// tl.logs.exporter() and tl.metrics.exporter() with the real OpenTelemetry JS SDK: what they store
// is exactly what the same SDK data stores when the SDK's own OTLP/HTTP exporters send it to the
// OTLP route (tl.routes()), and the store's identity fills what the SDK resource leaves out.
import os from 'node:os';
import { context, trace, type SpanContext } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, loggingErrorHandler, setGlobalErrorHandler, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AggregationType, MeterProvider, MetricReader, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Timeless } from '../src/store.js';
import { resolveIdentity } from '../src/integrations/identity.js';
import { TimelessLogRecordExporter } from '../src/integrations/otel-logs-exporter.js';
import { LogsError } from '../src/logs/errors.js';
import type { LogEntry } from '../src/logs/types.js';
import { tempDir } from './metrics-helpers.js';
import { startServer, type TestServer } from './server-helpers.js';

const FAR_MS = Date.now() + 3_600_000;

/** The OTLP route's store (srv.tl) and a second store the in-process exporters write into. */
let srv: TestServer;
let tl: Timeless;
let tlDir: { dir: string; remove: () => void };
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(async () => {
  srv = await startServer();
  tlDir = tempDir('otel-exporters');
  tl = await Timeless.open({ dataDir: tlDir.dir, pool: { threads: 1 }, runtimeMetrics: false, retention: { intervalSec: 0 } });
  // Context propagation (an active span seen by logger.emit) as an OTel Node app has it.
  context.setGlobalContextManager(contextManager.enable());
});

afterAll(async () => {
  context.disable();
  await tl?.close();
  tlDir?.remove();
  await srv?.close();
});

/** A MetricReader collecting on demand: one collection feeds both exporters (same data, same times). */
class ManualReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

function exportOnce(exporter: PushMetricExporter, rm: ResourceMetrics): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(rm, resolve));
}

/** Every series of one instance in a store with its samples, in a stable order. */
async function dumpMetrics(store: Timeless, instance: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const name of [...store.metrics.listMetrics()].sort()) {
    const series = await store.metrics.query({ name, matchers: { instance }, fromMs: 0, toMs: FAR_MS });
    for (const s of series) out.push({ name, labels: s.labels, tsMs: Array.from(s.tsMs), values: Array.from(s.values) });
  }
  out.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  return out;
}

function familyMeta(store: Timeless, names: string[]): unknown {
  return Object.fromEntries(names.map((n) => [n, store.metrics.metricMeta(n)]));
}

describe('tl.metrics.exporter()', () => {
  it.each(['json', 'protobuf'] as const)('stores the series, values and metadata the OTLP route stores for the same SDK data (http/%s)', async (encoding) => {
    const instance = `i-${encoding}`;
    const reader = new ManualReader();
    const provider = new MeterProvider({
      // Every identity key set by the app itself: the identity fills nothing, so both paths get the same resource.
      resource: resourceFromAttributes({
        ...resolveIdentity({ env: { OTEL_SERVICE_NAME: 'shop-api' } }),
        'service.namespace': 'shop', 'service.instance.id': instance, 'deployment.environment.name': 'test',
      }),
      readers: [reader],
      views: [{ instrumentName: 'payload.size', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
    });
    const meter = provider.getMeter('shop-meter', '3.0.0');
    const requests = meter.createCounter('http.server.requests', { unit: '{request}', description: 'Requests served.' });
    requests.add(3, { route: '/a', 'http.status_code': 200, cached: true });
    requests.add(1, { route: '/b', 'http.status_code': 500, cached: false });
    const depth = meter.createUpDownCounter('queue.depth', { unit: '{item}' });
    depth.add(5);
    depth.add(-2);
    meter.createGauge('cpu.temperature', { unit: 'Cel' }).record(42.5, { core: 0 });
    const duration = meter.createHistogram('http.server.duration', { unit: 's', description: 'Request time.', advice: { explicitBucketBoundaries: [0.1, 0.5, 1] } });
    for (const v of [0.05, 0.3, 0.3, 2]) duration.record(v, { route: '/a' });
    const size = meter.createHistogram('payload.size', { unit: 'By' });
    for (const v of [3, 5, 5, 100, 1000, 0.3]) size.record(v);

    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    const url = `${srv.url}/v1/metrics`;
    const otlp = encoding === 'json' ? new OTLPMetricExporter({ url }) : new ProtoMetricExporter({ url });
    const ours = tl.metrics.exporter();
    expect(await exportOnce(otlp, resourceMetrics)).toEqual({ code: ExportResultCode.SUCCESS });
    expect(await exportOnce(ours, resourceMetrics)).toEqual({ code: ExportResultCode.SUCCESS });
    await otlp.shutdown();
    await ours.shutdown();
    await provider.shutdown();

    const viaOtlp = await dumpMetrics(srv.tl, instance);
    const viaExporter = await dumpMetrics(tl, instance);
    expect(viaExporter).toEqual(viaOtlp);
    // The comparison covers what the test recorded (not two empty stores).
    const names = new Set(viaExporter.map((s) => (s as { name: string }).name));
    expect([...names]).toEqual(expect.arrayContaining([
      'http_server_requests_total', 'queue_depth', 'cpu_temperature_celsius', 'http_server_duration_seconds_bucket',
      'http_server_duration_seconds_sum', 'http_server_duration_seconds_count', 'payload_size_bytes_bucket', 'target_info',
    ]));
    const families = ['http_server_requests_total', 'queue_depth', 'cpu_temperature_celsius', 'http_server_duration_seconds', 'payload_size_bytes', 'target_info'];
    expect(familyMeta(tl, families)).toEqual(familyMeta(srv.tl, families));
    expect(tl.metrics.metricMeta('http_server_duration_seconds')).toEqual({ type: 'histogram', unit: 'seconds', help: 'Request time.' });
    // A few values spelled out, so a mapping broken the same way on both paths would still show.
    const req = await tl.metrics.query({ name: 'http_server_requests_total', matchers: { route: '/a', instance }, fromMs: 0, toMs: FAR_MS });
    expect(req.map((s) => [s.labels, Array.from(s.values)])).toEqual([
      [{ route: '/a', http_status_code: '200', cached: 'true', job: 'shop/shop-api', instance }, [3]],
    ]);
    const buckets = await tl.metrics.query({ name: 'http_server_duration_seconds_bucket', matchers: { instance }, fromMs: 0, toMs: FAR_MS });
    expect(Object.fromEntries(buckets.map((s) => [s.labels.le, s.values[0]]))).toEqual({ '0.1': 1, '0.5': 3, '1': 3, '+Inf': 4 });
  });

  it('asks the SDK for cumulative temporality for every instrument kind', () => {
    const exporter = tl.metrics.exporter();
    // InstrumentType values are strings in sdk-metrics 2.x; every one answers CUMULATIVE (1).
    for (const t of ['COUNTER', 'UP_DOWN_COUNTER', 'HISTOGRAM', 'GAUGE', 'OBSERVABLE_COUNTER', 'OBSERVABLE_UP_DOWN_COUNTER', 'OBSERVABLE_GAUGE']) {
      expect(exporter.selectAggregationTemporality(t as never)).toBe(1);
    }
  });

  it('reports FAILED for delta points (not storable) and after shutdown', async () => {
    const exporter = tl.metrics.exporter();
    const rm = {
      resource: resourceFromAttributes({ 'service.name': 'delta-app' }),
      scopeMetrics: [{
        scope: { name: 'm' },
        metrics: [{
          descriptor: { name: 'delta.jobs', description: '', unit: '', valueType: 1 },
          aggregationTemporality: 0, dataPointType: 3, isMonotonic: true,
          dataPoints: [{ startTime: [1_700_000_000, 0], endTime: [1_700_000_010, 0], attributes: {}, value: 7 }],
        }],
      }],
    } as unknown as ResourceMetrics;
    const failed = await exportOnce(exporter, rm);
    expect(failed.code).toBe(ExportResultCode.FAILED);
    expect(failed.error?.message).toMatch(/delta/);
    expect(tl.metrics.listMetrics()).not.toContain('delta_jobs_total');
    await exporter.shutdown();
    const after = await exportOnce(exporter, rm);
    expect(after.code).toBe(ExportResultCode.FAILED);
    expect(after.error?.message).toMatch(/shut down/);
  });
});

describe('tl.logs.exporter()', () => {
  it('stores records emitted inside an active span exactly as the OTLP route stores them', async () => {
    // Protobuf: the SDK's OTLP/JSON serializer turns a non-finite double into null (JSON.stringify),
    // which the route then stores as null; over protobuf (and in-process) Infinity stays "Infinity".
    const otlp = new ProtoLogExporter({ url: `${srv.url}/v1/logs` });
    const ours = tl.logs.exporter();
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ ...resolveIdentity({ env: { OTEL_SERVICE_NAME: 'checkout' } }), 'service.version': '1.2.3' }),
      // One record object reaches both processors: same times, same ids.
      processors: [new SimpleLogRecordProcessor({ exporter: otlp }), new SimpleLogRecordProcessor({ exporter: ours })],
    });
    const logger = provider.getLogger('checkout-logger', '0.9.0');
    const tracer = new BasicTracerProvider().getTracer('t');
    let sc: SpanContext | undefined;
    tracer.startActiveSpan('GET /cart', (span) => {
      sc = span.spanContext();
      logger.emit({ severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: 'cart loaded', attributes: { 'cart.items': 3, user: 'u-1', tags: ['a', 'b'] } });
      logger.emit({ severityNumber: SeverityNumber.ERROR2, severityText: 'E2', body: { order: 42, items: ['x'] }, eventName: 'checkout.failed' });
      span.end();
    });
    logger.emit({ severityText: 'Warning', body: 'outside any span', attributes: { ratio: 0.5, big: Infinity } });
    await provider.forceFlush();
    await provider.shutdown();

    const q = { service: 'checkout', order: 'asc' as const };
    const viaOtlp = (await srv.tl.logs.query(q)).entries;
    const viaExporter = (await tl.logs.query(q)).entries;
    expect(viaExporter).toHaveLength(3);
    expect(viaExporter).toEqual(viaOtlp);

    const scope = { 'otel.scope.name': 'checkout-logger', 'otel.scope.version': '0.9.0' };
    const [info, error, warn] = viaExporter as [LogEntry, LogEntry, LogEntry];
    expect(info).toMatchObject({ level: 'info', severityNumber: 9, message: 'cart loaded', traceId: sc!.traceId, spanId: sc!.spanId, attributes: { 'cart.items': 3, user: 'u-1', tags: ['a', 'b'], ...scope } });
    expect(error).toMatchObject({ level: 'error', severityNumber: 18, traceId: sc!.traceId, attributes: { severity_text: 'E2', 'event.name': 'checkout.failed', ...scope } });
    expect(JSON.parse(error.message)).toEqual({ order: 42, items: ['x'] });
    expect(warn).toMatchObject({ level: 'warn', message: 'outside any span', attributes: { ratio: 0.5, big: 'Infinity', severity_text: 'Warning' } });
    expect(warn.traceId).toBeUndefined();
    expect(info.resource).toMatchObject({ 'service.name': 'checkout', 'service.version': '1.2.3', 'host.name': os.hostname() });
    expect(info.resource).not.toHaveProperty('telemetry.sdk.language');
  });
});

describe('identity', () => {
  it('fills the SDK default resource from OTEL_SERVICE_NAME (logs, metrics, spans) and keeps what the app set', async () => {
    const dir = tempDir('otel-identity');
    vi.stubEnv('OTEL_SERVICE_NAME', 'orders-svc');
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', 'deployment.environment=staging');
    let store: Timeless;
    try {
      store = await Timeless.open({ dataDir: dir.dir, pool: { threads: 1 }, runtimeMetrics: false, retention: { intervalSec: 0 } });
    } finally {
      vi.unstubAllEnvs();
    }
    try {
      // No resource given: the SDK's default, service.name "unknown_service:<argv0>".
      const logs = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: store.logs.exporter() })] });
      logs.getLogger('l').emit({ body: 'hello', severityNumber: SeverityNumber.WARN });
      await logs.shutdown();
      const [entry] = (await store.logs.query({})).entries;
      expect(entry.resource).toMatchObject({ 'service.name': 'orders-svc', 'host.name': os.hostname(), 'deployment.environment': 'staging', 'telemetry.sdk.language': 'nodejs' });

      // A service.name the app set is kept; only the missing keys are filled.
      const reader = new ManualReader();
      const meters = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'own-name' }), readers: [reader] });
      meters.getMeter('m').createCounter('jobs').add(2);
      const defaults = new ManualReader();
      const defaultMeters = new MeterProvider({ readers: [defaults] });
      defaultMeters.getMeter('m').createCounter('ticks').add(1);
      const exporter = store.metrics.exporter();
      expect((await exportOnce(exporter, (await reader.collect()).resourceMetrics)).code).toBe(ExportResultCode.SUCCESS);
      expect((await exportOnce(exporter, (await defaults.collect()).resourceMetrics)).code).toBe(ExportResultCode.SUCCESS);
      await Promise.all([meters.shutdown(), defaultMeters.shutdown()]);
      const jobs = await store.metrics.query({ name: 'jobs_total', fromMs: 0, toMs: FAR_MS });
      expect(jobs.map((s) => s.labels)).toEqual([{ job: 'own-name' }]);
      const ticks = await store.metrics.query({ name: 'ticks_total', fromMs: 0, toMs: FAR_MS });
      expect(ticks.map((s) => s.labels)).toEqual([{ job: 'orders-svc' }]);
      const info = await store.metrics.query({ name: 'target_info', matchers: { job: 'own-name' }, fromMs: 0, toMs: FAR_MS });
      expect(info[0].labels).toMatchObject({ host_name: os.hostname(), deployment_environment: 'staging' });

      // Spans from a default SDK resource get the same name; plain writes get the identity as their default.
      const tracer = new BasicTracerProvider({ spanProcessors: [] }).getTracer('t');
      const span = tracer.startSpan('work');
      span.end();
      await new Promise<void>((resolve, reject) => store.traces.exporter().export([span as never], (r) => (r.code === ExportResultCode.SUCCESS ? resolve() : reject(r.error))));
      const spans = (await store.traces.query({})).spans;
      expect(spans.map((s) => s.resource.attributes['service.name'])).toEqual(['orders-svc']);
      store.logs.write({ message: 'plain' });
      const plain = (await store.logs.query({ search: 'plain' })).entries[0];
      expect(plain.resource).toEqual({ 'service.name': 'orders-svc', 'host.name': os.hostname(), 'deployment.environment': 'staging' });
    } finally {
      await store.close();
      dir.remove();
    }
  });

  it('makes the store default to the package.json name of the working directory', async () => {
    // The test runner's cwd is the repository, whose package.json names it "timeless-node".
    tl.logs.write({ message: 'default identity' });
    const [entry] = (await tl.logs.query({ search: 'default identity' })).entries;
    expect(entry.resource['service.name']).toBe(resolveIdentity()['service.name']);
    expect(resolveIdentity({ env: {} })['service.name']).toBe('timeless-node');
  });
});

describe('export results and durability', () => {
  /** A sink whose flush resolves only when the test says so. */
  function gatedSink() {
    const written: unknown[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let flushes = 0;
    const sink = {
      writeBatch: (items: unknown[]) => void written.push(items),
      flush: async () => {
        flushes++;
        await gate;
      },
      metricMeta: () => undefined,
      defineMetric: () => undefined,
    };
    return { sink, written, release, flushes: () => flushes };
  }

  async function logRecords(severityNumbers: number[] = [SeverityNumber.INFO]): Promise<Parameters<TimelessLogRecordExporter['export']>[0]> {
    const records: Parameters<TimelessLogRecordExporter['export']>[0] = [];
    const capture = { export: (logs: typeof records, cb: (r: ExportResult) => void) => (records.push(...logs), cb({ code: ExportResultCode.SUCCESS })), shutdown: async () => {}, forceFlush: async () => {} };
    const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'gate' }), processors: [new SimpleLogRecordProcessor({ exporter: capture })] });
    for (const n of severityNumbers) provider.getLogger('g').emit({ body: 'gated', severityNumber: n });
    await provider.shutdown();
    return records;
  }

  it('reports SUCCESS only once the sink flush resolved (durable by default), and without a flush when durable is false', async () => {
    const records = await logRecords();
    const g = gatedSink();
    const results: ExportResult[] = [];
    new TimelessLogRecordExporter(g.sink, {}).export(records, (r) => results.push(r));
    // Let everything but the gated flush run: the entry is written, the callback still waits.
    for (let i = 0; i < 5; i++) await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(g.written).toHaveLength(1);
    expect(g.flushes()).toBe(1);
    expect(results).toEqual([]);
    g.release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(results).toEqual([{ code: ExportResultCode.SUCCESS }]);

    const lazy = gatedSink();
    const lazyResult = await new Promise<ExportResult>((resolve) => new TimelessLogRecordExporter(lazy.sink, {}, { durable: false }).export(records, resolve));
    expect(lazyResult).toEqual({ code: ExportResultCode.SUCCESS });
    expect(lazy.flushes()).toBe(0);
  });

  it('reports FAILED with the typed store error, storing nothing of the batch', async () => {
    const exporter = tl.logs.exporter();
    // Severity 99 is outside OTel's 1..24: the store refuses that entry, and writeBatch is all or nothing.
    const batch = await logRecords([SeverityNumber.INFO, 99]);
    const result = await new Promise<ExportResult>((resolve) => exporter.export(batch, resolve));
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error).toBeInstanceOf(LogsError);
    expect((result.error as LogsError).code).toBe('INVALID_LEVEL');
    expect((await tl.logs.query({ service: 'gate' })).entries).toEqual([]);
  });

  it('routes a throwing callback to the OTel global error handler', async () => {
    const seen: unknown[] = [];
    setGlobalErrorHandler((err) => seen.push(err));
    try {
      const [record] = await logRecords();
      const exporter = tl.logs.exporter();
      exporter.export([record], () => {
        throw new Error('callback bug');
      });
      await exporter.forceFlush();
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen.map((e) => (e as Error).message)).toEqual(['callback bug']);
    } finally {
      setGlobalErrorHandler(loggingErrorHandler());
    }
  });
});
