// OTLP/HTTP receiver end to end: the real OpenTelemetry JS exporters (http/json and http/protobuf,
// 0.223 with the 2.12 SDKs) send traces, logs and metrics to a live server, and the data is read
// back through the library API with the exact values the SDK produced. Then the protocol's edges:
// partialSuccess for a batch with one invalid span (the rest stored), delta metrics refused, 415,
// 413, and a malformed protobuf body answered 400 with the data stored before it intact.
import { gzipSync } from 'node:zlib';
import { createTraceState, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type HrTime, type SpanContext } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { AggregationType, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { AggregationTemporalityPreference, OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readableSpanToInput } from '../src/traces/exporter.js';
import { ProtoReader } from '../src/server/protocols/protobuf.js';
import type { Span } from '../src/traces/types.js';
import { getJson, postJson, startServer, type TestServer } from './server-helpers.js';
import { fBytes, fFixed64, fMsg, fString, fVarint, hexBytes, u8 } from './otlp-helpers.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await startServer();
});
afterAll(async () => {
  await srv?.close();
});

type Encoding = 'json' | 'proto';
const ENCODINGS: Encoding[] = ['json', 'proto'];
const FAR_MS = Date.now() + 3_600_000;

function addNs(t: HrTime, ns: number): HrTime {
  const total = t[1] + ns;
  return [t[0] + Math.floor(total / 1e9), total % 1e9];
}

// ------------------------------------------------------------------ traces

/** Two spans (a server span under a remote parent, with a link and an event; a client child with an error) through `exporter`. */
async function exportSpans(exporter: SpanExporter, traceId: string): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.version': '2.1.0', 'deployment.environment.name': 'test', 'cpu.count': 4 }),
    spanProcessors: [new SimpleSpanProcessor(memory), new BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('otlp-test', '1.2.3');
  const t0: HrTime = [1_700_000_000, 123_456_789];
  const remote: SpanContext = { traceId, spanId: '0badc0ffee000001', traceFlags: TraceFlags.SAMPLED, isRemote: true, traceState: createTraceState('vendor=a,other=b') };
  const linked: SpanContext = { traceId: 'fe'.repeat(16), spanId: 'ca11ab1e00000002', traceFlags: TraceFlags.NONE, isRemote: true, traceState: createTraceState('k=v') };
  const root = tracer.startSpan(
    'GET /cart',
    {
      kind: SpanKind.SERVER,
      startTime: t0,
      attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200, 'server.ratio': 0.25, 'feature.on': true, 'tags': ['a', 'b'], 'codes': [1, 2, 3] },
      links: [{ context: linked, attributes: { 'link.reason': 'retry-of', 'link.n': 7 } }],
    },
    trace.setSpanContext(ROOT_CONTEXT, remote),
  );
  root.addEvent('cache.miss', { key: 'cart:42', 'retry.count': 2 }, addNs(t0, 5_000));
  const child = tracer.startSpan('SELECT cart', { kind: SpanKind.CLIENT, startTime: addNs(t0, 10_000), attributes: { 'db.system.name': 'postgresql', 'db.rows': 3 } }, trace.setSpan(ROOT_CONTEXT, root));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'statement timeout' });
  child.end(addNs(t0, 2_000_000));
  root.setStatus({ code: SpanStatusCode.OK });
  root.end(addNs(t0, 3_000_001));
  await provider.forceFlush();
  const spans = memory.getFinishedSpans() as ReadableSpan[];
  await provider.shutdown();
  return spans;
}

function expectSpanAsSent(stored: Span | undefined, sent: ReadableSpan): void {
  const want = readableSpanToInput(sent);
  expect(stored).toBeDefined();
  const s = stored!;
  expect({
    traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId, name: s.name, kind: s.kind, startNs: s.startNs, endNs: s.endNs,
    status: s.status, attributes: s.attributes, events: s.events, links: s.links, traceState: s.traceState, flags: s.flags,
    droppedAttributesCount: s.droppedAttributesCount, droppedEventsCount: s.droppedEventsCount, droppedLinksCount: s.droppedLinksCount,
  }).toEqual({
    traceId: want.traceId, spanId: want.spanId, parentSpanId: want.parentSpanId, name: want.name, kind: want.kind, startNs: want.startNs, endNs: want.endNs,
    status: want.status, attributes: want.attributes, events: want.events, links: want.links, traceState: want.traceState, flags: want.flags,
    droppedAttributesCount: want.droppedAttributesCount, droppedEventsCount: want.droppedEventsCount, droppedLinksCount: want.droppedLinksCount,
  });
  expect(s.resource.attributes).toMatchObject(want.resource!.attributes!);
  expect(s.scope).toMatchObject({ name: 'otlp-test', version: '1.2.3' });
}

describe('OTLP traces from the OpenTelemetry JS exporters', () => {
  for (const encoding of ENCODINGS) {
    it(`stores every field of the spans sent over http/${encoding}`, async () => {
      const traceId = encoding === 'json' ? '4bf92f3577b34da6a3ce929d0e0e4736' : '5bf92f3577b34da6a3ce929d0e0e4737';
      const url = `${srv.url}/v1/traces`;
      // The protobuf exporter also gzips its body (Content-Encoding: gzip).
      const exporter = encoding === 'json' ? new JsonTraceExporter({ url }) : new ProtoTraceExporter({ url, compression: 'gzip' as never });
      const sent = await exportSpans(exporter, traceId);
      expect(sent).toHaveLength(2);
      const stored = await srv.tl.traces.trace(traceId);
      expect(stored.spans).toHaveLength(2);
      for (const s of sent) expectSpanAsSent(stored.spans.find((x) => x.spanId === s.spanContext().spanId), s);
      // Values the conversion must not have guessed: remote parent flags, kinds, the event time.
      const root = stored.spans.find((x) => x.name === 'GET /cart')!;
      expect(root.flags).toBe(0x301);
      expect(root.parentSpanId).toBe('0badc0ffee000001');
      expect(root.traceState).toBe('vendor=a,other=b');
      expect(root.events[0].timeNs).toBe(1_700_000_000_123_461_789n);
      expect(root.links[0]).toEqual({ traceId: 'fe'.repeat(16), spanId: 'ca11ab1e00000002', traceState: 'k=v', flags: 0x300, attributes: { 'link.reason': 'retry-of', 'link.n': 7 }, droppedAttributesCount: 0 });
      const child = stored.spans.find((x) => x.name === 'SELECT cart')!;
      expect(child).toMatchObject({ kind: 'client', status: { code: 'error', message: 'statement timeout' }, endNs: 1_700_000_000_125_456_789n });
      const found = await srv.tl.traces.query({ service: 'checkout', traceId });
      expect(found.spans.map((x) => x.name).sort()).toEqual(['GET /cart', 'SELECT cart']);
    });
  }
});

// ------------------------------------------------------------------ logs

async function exportLogs(exporter: LogRecordExporter, service: string): Promise<void> {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'host.name': 'web-1', 'process.pid': 4242 }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('billing', '0.9.0');
  const sc: SpanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };
  logger.emit({
    timestamp: [1_700_000_100, 5],
    severityNumber: SeverityNumber.WARN,
    severityText: 'WARN',
    body: 'disk almost full',
    attributes: { 'disk.free_mb': 120, path: '/var', ratio: 0.5 },
    context: trace.setSpanContext(ROOT_CONTEXT, sc),
  });
  logger.emit({ timestamp: [1_700_000_101, 0], severityNumber: SeverityNumber.ERROR2, severityText: 'E2', body: { order: 42, items: ['a', 'b'] } });
  logger.emit({ timestamp: [1_700_000_102, 0], severityText: 'Warning', body: 'no severity number', eventName: 'app.startup' });
  await provider.forceFlush();
  await provider.shutdown();
}

describe('OTLP logs from the OpenTelemetry JS exporters', () => {
  for (const encoding of ENCODINGS) {
    it(`stores the records sent over http/${encoding}`, async () => {
      const service = `billing-${encoding}`;
      const url = `${srv.url}/v1/logs`;
      await exportLogs(encoding === 'json' ? new JsonLogExporter({ url }) : new ProtoLogExporter({ url }), service);
      const { entries } = await srv.tl.logs.query({ service, order: 'asc' });
      expect(entries).toHaveLength(3);
      const scope = { 'otel.scope.name': 'billing', 'otel.scope.version': '0.9.0' };
      expect(entries[0]).toMatchObject({
        tsNs: 1_700_000_100_000_000_005n, level: 'warn', severityNumber: 13, message: 'disk almost full',
        attributes: { 'disk.free_mb': 120, path: '/var', ratio: 0.5, ...scope },
        traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331',
      });
      expect(entries[0].resource).toMatchObject({ 'service.name': service, 'host.name': 'web-1', 'process.pid': 4242 });
      // A structured body is stored as its JSON text; a severity text that is not the level name is kept.
      expect(entries[1]).toMatchObject({ level: 'error', severityNumber: 18, attributes: { severity_text: 'E2', ...scope } });
      expect(JSON.parse(entries[1].message)).toEqual({ order: 42, items: ['a', 'b'] });
      expect(entries[1].traceId).toBeUndefined();
      // No severity number: the level comes from the text.
      expect(entries[2]).toMatchObject({ level: 'warn', message: 'no severity number', attributes: { severity_text: 'Warning', 'event.name': 'app.startup', ...scope } });
    });
  }
});

// ------------------------------------------------------------------ metrics

const EXP_VALUES = [3, 5, 5, 100, 1000, 0.3];

async function exportMetrics(exporter: PushMetricExporter, instance: string): Promise<void> {
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'shop-api', 'service.namespace': 'shop', 'service.instance.id': instance, 'deployment.environment.name': 'test', 'host.arch': 'amd64' }),
    readers: [reader],
    views: [{ instrumentName: 'payload.size', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('shop-meter', '3.0.0');
  const requests = meter.createCounter('http.server.requests', { unit: '{request}', description: 'Requests served.' });
  requests.add(3, { route: '/a' });
  requests.add(2, { route: '/a' });
  requests.add(1, { route: '/b' });
  const depth = meter.createUpDownCounter('queue.depth', { unit: '{item}' });
  depth.add(5);
  depth.add(-2);
  meter.createGauge('cpu.temperature', { unit: 'Cel' }).record(42.5, { core: 0 });
  const duration = meter.createHistogram('http.server.duration', { unit: 's', description: 'Request time.', advice: { explicitBucketBoundaries: [0.1, 0.5, 1] } });
  for (const v of [0.05, 0.3, 0.3, 2]) duration.record(v, { route: '/a' });
  const size = meter.createHistogram('payload.size', { unit: 'By' });
  for (const v of EXP_VALUES) size.record(v);
  await reader.forceFlush();
  await provider.shutdown();
}

async function lastValues(name: string, instance: string): Promise<Array<{ labels: Record<string, string>; value: number; tsMs: number }>> {
  const series = await srv.tl.metrics.query({ name, matchers: { instance }, fromMs: 0, toMs: FAR_MS });
  return series.map((s) => ({ labels: s.labels, value: s.values[s.values.length - 1], tsMs: s.tsMs[s.tsMs.length - 1] }));
}

describe('OTLP metrics from the OpenTelemetry JS exporters', () => {
  for (const encoding of ENCODINGS) {
    it(`stores the points sent over http/${encoding} under their Prometheus names`, async () => {
      const instance = `i-${encoding}`;
      const url = `${srv.url}/v1/metrics`;
      const before = Date.now();
      await exportMetrics(encoding === 'json' ? new JsonMetricExporter({ url }) : new ProtoMetricExporter({ url }), instance);
      const id = { job: 'shop/shop-api', instance };

      const requests = await lastValues('http_server_requests_total', instance);
      expect(requests.map((s) => [s.labels, s.value])).toEqual([[{ ...id, route: '/a' }, 5], [{ ...id, route: '/b' }, 1]]);
      expect(requests[0].tsMs).toBeGreaterThanOrEqual(before - 1);
      expect(requests[0].tsMs).toBeLessThanOrEqual(Date.now());
      expect(srv.tl.metrics.metricMeta('http_server_requests_total')).toEqual({ type: 'counter', unit: undefined, help: 'Requests served.' });

      expect((await lastValues('queue_depth', instance)).map((s) => [s.labels, s.value])).toEqual([[id, 3]]);
      expect(srv.tl.metrics.metricMeta('queue_depth')?.type).toBe('gauge');
      expect((await lastValues('cpu_temperature_celsius', instance)).map((s) => [s.labels, s.value])).toEqual([[{ ...id, core: '0' }, 42.5]]);

      const buckets = await lastValues('http_server_duration_seconds_bucket', instance);
      const byLe = Object.fromEntries(buckets.map((s) => [s.labels.le, s.value]));
      expect(byLe).toEqual({ '0.1': 1, '0.5': 3, '1': 3, '+Inf': 4 });
      expect(buckets.every((s) => s.labels.route === '/a' && s.labels.job === id.job)).toBe(true);
      expect((await lastValues('http_server_duration_seconds_sum', instance))[0].value).toBeCloseTo(2.65, 12);
      expect((await lastValues('http_server_duration_seconds_count', instance))[0].value).toBe(4);
      expect(srv.tl.metrics.metricMeta('http_server_duration_seconds')).toEqual({ type: 'histogram', unit: 'seconds', help: 'Request time.' });

      // Exponential histogram as classic buckets: at every boundary, the count of recorded values <= le.
      const exp = await lastValues('payload_size_bytes_bucket', instance);
      expect(exp.length).toBeGreaterThan(3);
      const les = exp.map((s) => s.labels.le);
      expect(les).toContain('+Inf');
      for (const s of exp) {
        const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
        expect(s.value, `le=${s.labels.le}`).toBe(EXP_VALUES.filter((v) => v <= le).length);
      }
      expect((await lastValues('payload_size_bytes_count', instance))[0].value).toBe(EXP_VALUES.length);
      expect((await lastValues('payload_size_bytes_sum', instance))[0].value).toBeCloseTo(EXP_VALUES.reduce((a, b) => a + b, 0), 9);

      // The other resource attributes: one target_info series for the job/instance.
      const info = await lastValues('target_info', instance);
      expect(info).toHaveLength(1);
      expect(info[0].value).toBe(1);
      expect(info[0].labels).toMatchObject({ ...id, deployment_environment_name: 'test', host_arch: 'amd64' });
      expect(info[0].labels).not.toHaveProperty('service_name');
    });
  }

  it('refuses delta-temporality sums with a partialSuccess and stores the cumulative gauge next to them', async () => {
    const url = `${srv.url}/v1/metrics`;
    const exporter = new ProtoMetricExporter({ url, temporalityPreference: AggregationTemporalityPreference.DELTA });
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'delta-app' }), readers: [reader] });
    const meter = provider.getMeter('m');
    meter.createCounter('delta.jobs').add(7);
    meter.createGauge('delta.gauge').record(9);
    await reader.forceFlush();
    await provider.shutdown();
    expect(srv.tl.metrics.listMetrics()).not.toContain('delta_jobs_total');
    const g = await srv.tl.metrics.query({ name: 'delta_gauge', matchers: { job: 'delta-app' }, fromMs: 0, toMs: FAR_MS });
    expect(g.map((s) => s.values[0])).toEqual([9]);

    // The same refusal seen on the wire (OTLP/JSON).
    const now = `${Date.now()}000000`;
    const res = await postJson(url, {
      resourceMetrics: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'delta-json' } }] },
        scopeMetrics: [{ metrics: [{ name: 'jobs', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ asInt: '3', timeUnixNano: now }, { asInt: '4', timeUnixNano: now }] } }] }],
      }],
    });
    expect(res.status).toBe(200);
    expect(res.body.partialSuccess.rejectedDataPoints).toBe('2');
    expect(res.body.partialSuccess.errorMessage).toContain('invalid temporality and type combination for metric "jobs"');
  });
});

// ------------------------------------------------------------------ protocol edges

function spanJson(spanId: string, startNs: bigint, endNs: bigint, name: string): Record<string, unknown> {
  return { traceId: '6bf92f3577b34da6a3ce929d0e0e4738', spanId, name, kind: 2, startTimeUnixNano: String(startNs), endTimeUnixNano: String(endNs) };
}

describe('OTLP protocol edges', () => {
  it('answers partialSuccess when one span of a JSON batch is invalid, and stores the rest', async () => {
    const t = 1_700_000_500_000_000_000n;
    const res = await postJson(`${srv.url}/v1/traces`, {
      resourceSpans: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'partial' } }] },
        scopeSpans: [{ scope: { name: 's' }, spans: [spanJson('00000000000000a1', t, t + 10n, 'ok-1'), spanJson('00000000000000a2', t + 10n, t, 'ends-before-start'), spanJson('00000000000000a3', t, t + 30n, 'ok-2')] }],
      }],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.body.partialSuccess.rejectedSpans).toBe('1');
    expect(res.body.partialSuccess.errorMessage).toMatch(/span 1: .*before/);
    const stored = await srv.tl.traces.trace('6bf92f3577b34da6a3ce929d0e0e4738');
    expect(stored.spans.map((s) => s.name).sort()).toEqual(['ok-1', 'ok-2']);
  });

  it('answers a protobuf partialSuccess in protobuf', async () => {
    const t = 1_700_000_600_000_000_000n;
    const span = (id: string, traceId: string) => fMsg(2, fBytes(1, hexBytes(traceId)), fBytes(2, hexBytes(id)), fString(5, `p-${id}`), fFixed64(7, t), fFixed64(8, t + 5n));
    const body = u8(fMsg(1, fMsg(2, span('00000000000000b1', '7bf92f3577b34da6a3ce929d0e0e4739'), span('00000000000000b2', '00'.repeat(16)))));
    const res = await fetch(`${srv.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    // ExportTraceServiceResponse { partial_success = 1 { rejected_spans = 1; error_message = 2 } }
    const r = new ProtoReader(new Uint8Array(await res.arrayBuffer()));
    expect(r.tag()).toBe((1 << 3) | 2);
    const ps = r.message();
    expect(r.done).toBe(true);
    expect(ps.tag()).toBe((1 << 3) | 0);
    expect(ps.varint64()).toBe(1);
    expect(ps.tag()).toBe((2 << 3) | 2);
    expect(ps.string()).toMatch(/span 1: .*all zero/);
    expect(ps.done).toBe(true);
    expect((await srv.tl.traces.trace('7bf92f3577b34da6a3ce929d0e0e4739')).spans.map((s) => s.name)).toEqual(['p-00000000000000b1']);
  });

  it('answers an empty success message when everything was stored', async () => {
    const t = 1_700_000_700_000_000_000n;
    const ok = await postJson(`${srv.url}/v1/traces`, { resourceSpans: [{ scopeSpans: [{ spans: [{ ...spanJson('00000000000000c1', t, t + 1n, 'fine'), traceId: '8bf92f3577b34da6a3ce929d0e0e4730' }] }] }] });
    expect(ok).toMatchObject({ status: 200, body: {} });
    const res = await fetch(`${srv.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array(0) });
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  it('refuses other content types with 415', async () => {
    for (const path of ['/v1/traces', '/v1/logs', '/v1/metrics']) {
      const res = await getJson(`${srv.url}${path}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
      expect(res.status).toBe(415);
      expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('refuses bodies over maxBodyBytes with 413, also once gunzipped', async () => {
    const small = await startServer({ server: { maxBodyBytes: 1024 } });
    try {
      const big = JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'x'.repeat(4000) } }] }] }] });
      const res = await getJson(`${small.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('BODY_TOO_LARGE');
      const zipped = gzipSync(big);
      expect(zipped.length).toBeLessThan(1024);
      const res2 = await getJson(`${small.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: zipped });
      expect(res2.status).toBe(413);
      expect((await small.tl.logs.query({})).entries).toHaveLength(0);
    } finally {
      await small.close();
    }
  });

  it('answers a malformed protobuf body with 400 and keeps the data stored before it', async () => {
    const t = 1_700_000_800_000_000_000n;
    const traceId = '9bf92f3577b34da6a3ce929d0e0e4731';
    const good = fMsg(1, fMsg(2, fMsg(2, fBytes(1, hexBytes(traceId)), fBytes(2, hexBytes('00000000000000d1')), fString(5, 'kept'), fFixed64(7, t), fFixed64(8, t + 1n))));
    const first = await fetch(`${srv.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: u8(good) });
    expect(first.status).toBe(200);
    // A valid ResourceSpans followed by one cut short: the framing is broken, and nothing of the
    // request is stored (not even its valid first part).
    const second = fMsg(1, fMsg(2, fMsg(2, fBytes(1, hexBytes(traceId)), fBytes(2, hexBytes('00000000000000d2')), fString(5, 'lost'), fFixed64(7, t), fFixed64(8, t + 1n))));
    const firstAgain = fMsg(1, fMsg(2, fMsg(2, fBytes(1, hexBytes(traceId)), fBytes(2, hexBytes('00000000000000d3')), fString(5, 'lost too'), fFixed64(7, t), fFixed64(8, t + 1n))));
    const truncated = [...firstAgain, ...second].slice(0, -4);
    for (const body of [u8(truncated), u8([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), u8([0xff])]) {
      const res = await getJson(`${srv.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('INVALID_BODY');
      expect(res.body.error.message).toContain('ExportTraceServiceRequest');
    }
    for (const path of ['/v1/logs', '/v1/metrics']) {
      const res = await getJson(`${srv.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: u8([0x0a, 0x05, 0x01]) });
      expect(res.status).toBe(400);
    }
    const bad = await postJson(`${srv.url}/v1/traces`, { resourceSpans: [{ scopeSpans: [{ spans: [{ name: 5 }] }] }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('resourceSpans[0].scopeSpans[0].spans[0].name must be a string');
    const notJson = await getJson(`${srv.url}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceMetrics": [' });
    expect(notJson.status).toBe(400);
    expect((await srv.tl.traces.trace(traceId)).spans.map((s) => s.name)).toEqual(['kept']);
    // The server is still up and taking data.
    expect((await getJson(`${srv.url}/health`)).status).toBe(200);
  });

  it('takes an OTLP/JSON int64 as a number or a string, and ids in upper-case hex', async () => {
    const res = await postJson(`${srv.url}/v1/logs`, {
      resourceLogs: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'json-forms' } }] },
        scopeLogs: [{ logRecords: [
          { timeUnixNano: 1_700_000_900_000_000_000, severityNumber: 9, body: { stringValue: 'as number' }, traceId: '0AF7651916CD43DD8448EB211C80319C', attributes: [{ key: 'n', value: { intValue: '9007199254740993' } }] },
          { observedTimeUnixNano: '1700000901000000007', severityNumber: 'SEVERITY_NUMBER_DEBUG', body: { intValue: 12 } },
        ] }],
      }],
    });
    expect(res).toMatchObject({ status: 200, body: {} });
    const { entries } = await srv.tl.logs.query({ service: 'json-forms', order: 'asc' });
    expect(entries.map((e) => [e.tsNs, e.level, e.message, e.traceId, e.attributes.n])).toEqual([
      [1_700_000_900_000_000_000n, 'info', 'as number', '0af7651916cd43dd8448eb211c80319c', '9007199254740993'],
      [1_700_000_901_000_000_007n, 'debug', '12', undefined, undefined],
    ]);
  });
});
