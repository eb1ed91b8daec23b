// Valid seed inputs of the parser fuzz run, made by real encoders: the OpenTelemetry JS SDK (spans,
// log records and metrics recorded through its API, serialized by @opentelemetry/otlp-transformer,
// what the OTLP/HTTP exporters send), the project's own remote write / snappy / VictoriaMetrics
// encoders (what the forwarder and the export route write), and hand-written exposition text,
// VictoriaLogs lines and PromQL covering each grammar. Small (<= a few KB) so a case takes
// microseconds: the mutations, not the size, find the bugs.
import { SeverityNumber } from '@opentelemetry/api-logs';
import { SpanKind, SpanStatusCode, type Link } from '@opentelemetry/api';
import { JsonLogsSerializer, JsonMetricsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, AggregationType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { encodeMetadata, encodeWriteRequest } from '../../src/server/protocols/remote-write.js';
import { snappyCompress } from '../../src/server/protocols/snappy.js';
import { serializeVmLine } from '../../src/server/protocols/vm-import.js';
import type { ParserTargetName } from './parser-fuzz-targets.js';

const enc = new TextEncoder();
const T0_MS = 1_700_000_000_000;

const RESOURCE = resourceFromAttributes({ 'service.name': 'checkout', 'service.version': '1.4.2', 'host.name': 'web-1', 'process.pid': 4242, 'deployment.environment.name': 'prod' });

function bytesOf(x: Uint8Array | undefined, what: string): Uint8Array {
  if (!x || x.length === 0) throw new Error(`parser fuzz seeds: the ${what} serializer returned nothing`);
  return x;
}

/** Groups of 1, 2 and 4 items: seeds of a few sizes, small enough for microsecond cases. */
function groups<T>(items: readonly T[]): T[][] {
  return [items.slice(0, 1), items.slice(1, 3), items.slice(3, 7)].filter((g) => g.length > 0);
}

async function spanSeeds(): Promise<{ proto: Uint8Array[]; json: Uint8Array[] }> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: RESOURCE, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('shop-tracer', '2.0.0');
  const kinds = [SpanKind.SERVER, SpanKind.CLIENT, SpanKind.INTERNAL, SpanKind.PRODUCER, SpanKind.CONSUMER];
  let link: Link | undefined;
  for (let i = 0; i < 12; i++) {
    const start = T0_MS + i * 1000;
    const span = tracer.startSpan(`GET /api/items/${i % 3}`, {
      kind: kinds[i % kinds.length],
      startTime: start,
      attributes: { 'http.method': 'GET', 'http.status_code': 200 + (i % 4) * 100, 'net.peer.port': 443, ratio: i / 7, cached: i % 2 === 0, tags: ['a', 'b'], codes: [1, 2, 3], weights: [0.5, 1.5], flags: [true, false] },
      ...(link ? { links: [link] } : {}),
    });
    span.addEvent('cache.miss', { key: `item:${i}`, size: i * 10 }, start + 5);
    if (i % 3 === 2) span.recordException(new Error(`boom ${i}`), start + 7);
    span.setStatus(i % 4 === 3 ? { code: SpanStatusCode.ERROR, message: 'upstream failed' } : { code: SpanStatusCode.OK });
    span.end(start + 20 + i);
    link = { context: span.spanContext(), attributes: { reason: 'retry' } };
  }
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans() as ReadableSpan[];
  await provider.shutdown();
  const gs = groups(spans);
  return {
    proto: gs.map((g) => bytesOf(ProtobufTraceSerializer.serializeRequest(g), 'trace protobuf')),
    json: gs.map((g) => bytesOf(JsonTraceSerializer.serializeRequest(g), 'trace JSON')),
  };
}

async function logSeeds(): Promise<{ proto: Uint8Array[]; json: Uint8Array[] }> {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: RESOURCE, processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('pino', '9.5.0');
  const sev = [SeverityNumber.INFO, SeverityNumber.WARN, SeverityNumber.ERROR, SeverityNumber.DEBUG, SeverityNumber.FATAL];
  for (let i = 0; i < 12; i++) {
    logger.emit({
      timestamp: T0_MS + i * 250,
      severityNumber: sev[i % sev.length],
      severityText: ['INFO', 'WARN', 'ERROR', 'DEBUG', 'FATAL'][i % 5],
      // Plain text, a structured map and a list: the AnyValue shapes a body takes.
      body: i % 3 === 0 ? `request ${i} served in ${i * 3} ms` : i % 3 === 1 ? { msg: 'structured', n: i, nested: { ok: true, list: [1, 'two', 3.5] } } : ['a', i, false],
      attributes: { 'http.route': `/r${i % 2}`, attempt: i, latency: i * 1.25, retry: i % 2 === 1, ids: [`x${i}`, `y${i}`] },
    });
  }
  await provider.forceFlush();
  const records = exporter.getFinishedLogRecords();
  await provider.shutdown();
  const gs = groups(records);
  return {
    proto: gs.map((g) => bytesOf(ProtobufLogsSerializer.serializeRequest(g), 'logs protobuf')),
    json: gs.map((g) => bytesOf(JsonLogsSerializer.serializeRequest(g), 'logs JSON')),
  };
}

class ManualReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

async function metricSeeds(): Promise<{ proto: Uint8Array[]; json: Uint8Array[] }> {
  const proto: Uint8Array[] = [];
  const json: Uint8Array[] = [];
  // Cumulative (stored) and delta (refused with reasons): both decoder paths.
  for (const temporality of [AggregationTemporality.CUMULATIVE, AggregationTemporality.DELTA]) {
    const reader = new ManualReader({ aggregationTemporalitySelector: () => temporality });
    const provider = new MeterProvider({
      resource: RESOURCE,
      readers: [reader],
      views: [{ instrumentName: 'payload.size', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
    });
    const meter = provider.getMeter('shop-meter', '3.0.0');
    meter.createCounter('http.server.requests', { unit: '{request}', description: 'Requests served.' }).add(3, { route: '/a', code: 200 });
    const depth = meter.createUpDownCounter('queue.depth', { unit: '{item}' });
    depth.add(5, { queue: 'q1' });
    depth.add(-2, { queue: 'q2' });
    meter.createGauge('cpu.temperature', { unit: 'Cel' }).record(42.5, { core: 0 });
    const duration = meter.createHistogram('http.server.duration', { unit: 's', description: 'Request time.', advice: { explicitBucketBoundaries: [0.1, 0.5, 1] } });
    for (const v of [0.05, 0.3, 0.3, 2]) duration.record(v, { route: '/a' });
    const size = meter.createHistogram('payload.size', { unit: 'By' });
    for (const v of [3, 5, 5, 100, 1000, 0.3]) size.record(v);
    meter.createObservableGauge('process.memory', { unit: 'By' }).addCallback((r) => r.observe(123456789, { kind: 'rss' }));
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length > 0) throw new Error(`parser fuzz seeds: metric collection failed: ${String(errors[0])}`);
    proto.push(bytesOf(ProtobufMetricsSerializer.serializeRequest(resourceMetrics), 'metrics protobuf'));
    json.push(bytesOf(JsonMetricsSerializer.serializeRequest(resourceMetrics), 'metrics JSON'));
    // One metric alone: a small seed.
    const one = { ...resourceMetrics, scopeMetrics: resourceMetrics.scopeMetrics.map((s) => ({ ...s, metrics: s.metrics.slice(0, 1) })) };
    proto.push(bytesOf(ProtobufMetricsSerializer.serializeRequest(one), 'metrics protobuf'));
    json.push(bytesOf(JsonMetricsSerializer.serializeRequest(one), 'metrics JSON'));
    await provider.shutdown();
  }
  return { proto, json };
}

function remoteWriteSeeds(): Uint8Array[] {
  const samples = (n: number, v: (i: number) => number) => Array.from({ length: n }, (_, i) => ({ tsMs: T0_MS + i * 15_000, value: v(i) }));
  const series: Array<{ labels: Record<string, string>; samples: Array<{ tsMs: number; value: number }> }> = [
    { labels: { __name__: 'http_requests_total', job: 'api', instance: 'web-1:9090', code: '200' }, samples: samples(3, (i) => 100 + i) },
    { labels: { __name__: 'process_cpu_seconds_total', job: 'api' }, samples: samples(1, () => 12.5) },
    { labels: { __name__: 'odd_values', le: '+Inf', quantile: '0.99' }, samples: [{ tsMs: T0_MS, value: NaN }, { tsMs: T0_MS + 1, value: Infinity }, { tsMs: T0_MS + 2, value: -Infinity }, { tsMs: T0_MS + 3, value: -0 }] },
    { labels: { __name__: 'unicode_labels', path: '/über/😀', empty: '' }, samples: samples(2, (i) => i * 1e300) },
    { labels: { job: 'no_name' }, samples: samples(1, () => 1) },
  ];
  const meta = encodeMetadata([
    { family: 'http_requests_total', type: 'counter', help: 'Requests.', unit: '' },
    { family: 'process_cpu_seconds_total', type: 'counter', help: 'CPU time.', unit: 'seconds' },
  ]);
  const cat = (a: Uint8Array, b: Uint8Array) => {
    const out = new Uint8Array(a.length + b.length);
    out.set(a, 0);
    out.set(b, a.length);
    return out;
  };
  return [encodeWriteRequest(series.slice(0, 1)), encodeWriteRequest(series.slice(1, 3)), encodeWriteRequest(series), cat(encodeWriteRequest(series.slice(0, 2)), meta), meta];
}

const PROM_TEXT = [
  `# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000
`,
  `# Escaping in label values:
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9
metric_without_timestamp_and_labels 12.47
something_weird{problem="division by zero"} +Inf -3982045
`,
  `# HELP http_request_duration_seconds A histogram of the request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="0.1"} 33444
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds{quantile="0.99"} 76656
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
`,
  `# TYPE go_goroutines gauge
go_goroutines 42
nan_value NaN
neg_inf -Inf
`,
];

const OPEN_METRICS = [
  `# TYPE acme_http_router_request_seconds summary
# UNIT acme_http_router_request_seconds seconds
# HELP acme_http_router_request_seconds Latency though all of ACME's HTTP request router.
acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32
acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0
acme_http_router_request_seconds_created{path="/api/v1",method="GET"} 1605281325.0
# EOF
`,
  `# TYPE foo histogram
foo_bucket{le="0.01"} 0
foo_bucket{le="0.1"} 8 # {} 0.054
foo_bucket{le="1"} 11 # {trace_id="KOO5S4vxi0o"} 0.67
foo_bucket{le="+Inf"} 17 # {trace_id="oHg5SJYRHA0"} 9.8 1520879607.789
foo_count 17
foo_sum 324789.3
# EOF
`,
  `# TYPE state stateset
state{state="a"} 1 1700000000.5
state{state="b"} 0 1700000000.5
# TYPE info_metric info
build_info{version="1.2.3"} 1
# EOF`,
];

function vmImportSeeds(): Uint8Array[] {
  const ts = [T0_MS, T0_MS + 10_000, T0_MS + 20_000];
  const lines = [
    serializeVmLine('http_requests_total', { job: 'api', instance: 'web-1' }, ts, [1, 2, 3]),
    serializeVmLine('temperature', { room: 'ü 😀' }, ts.slice(0, 1), [21.5]),
    serializeVmLine('special_values', {}, ts, [NaN, Infinity, -Infinity]),
    '{"metric":{"__name__":"vm_strings","env":"prod"},"values":[null,"NaN","-Inf",1e300],"timestamps":[1700000000000,1700000001000,1700000002000,1700000003000]}',
  ];
  return [lines[0], lines.slice(0, 2).join('\n'), lines.join('\n') + '\n', lines[3]].map((s) => enc.encode(s));
}

const JSONLINES = [
  '{"_msg":"cannot open file","_time":"2023-06-21T04:24:24Z","host.name":"host123","level":"error"}',
  '{"log":{"level":"info","message":"hello world"},"date":"0","stream":"stderr","service":"api","host":"h1"}',
  '{"level":30,"time":1700000000123,"pid":4242,"hostname":"web-1","msg":"request completed","req":{"id":"r-1","method":"GET"},"responseTime":12.5}',
  '{"_msg":"\\u001b[31mred\\u001b[0m text","_time":1700000000123456789,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","severity":"WARN","tags":["a","b"],"n":null,"empty":""}',
  '{"message":"no _msg here","ts":"1700000000.5","attrs":{"deep":{"er":{"still":1}}}}',
];

const PROMQL = [
  'up',
  'http_requests_total{job="api", code=~"5..", method!="GET", path!~"/health.*"}',
  'rate(http_requests_total[5m])',
  'sum by (job) (rate(http_requests_total{job="api"}[5m] offset 1h))',
  'histogram_quantile(0.99, sum without (instance) (rate(http_request_duration_seconds_bucket[10m])))',
  'topk(3, count_values("value", build_info))',
  'avg_over_time(cpu_usage[1h] @ 1700000000)',
  'a / on (job) group_left (version) b',
  'a > bool 10 or b unless c and d',
  '-(1 + 2 * 3 ^ 2 ^ 0.5) % 7',
  'label_replace(up, "host", "$1", "instance", "(.*):.*")',
  'absent(nonexistent{job="x"})',
  'vector(time()) - timestamp(up)',
  'sum(rate({__name__=~"http_.*", job="api"}[1m])) / ignoring(code) group_right sum(rate(x[1m]))',
  'quantile_over_time(0.5, latency[30m] offset -5m)',
  '1e3 + 0x1F + Inf - NaN',
  'max_over_time(x{a="b"}[10m]) * on(a) sum_over_time(y[5m] @ end())',
  '{__name__="weird:metric:name", le="+Inf"}',
  'clamp(x, -1, 1) != on() group_left() y',
];

export async function buildParserCorpora(): Promise<Record<ParserTargetName, Uint8Array[]>> {
  const [spans, logs, metrics] = [await spanSeeds(), await logSeeds(), await metricSeeds()];
  const rw = remoteWriteSeeds();
  const corpora: Record<ParserTargetName, Uint8Array[]> = {
    otlpTracesProto: spans.proto,
    otlpTracesJson: spans.json,
    otlpLogsProto: logs.proto,
    otlpLogsJson: logs.json,
    otlpMetricsProto: metrics.proto,
    otlpMetricsJson: metrics.json,
    remoteWrite: rw.map((b) => snappyCompress(b)),
    remoteWriteProto: rw,
    promText: PROM_TEXT.map((s) => enc.encode(s)),
    openMetrics: OPEN_METRICS.map((s) => enc.encode(s)),
    vmImport: vmImportSeeds(),
    jsonline: [...JSONLINES.map((s) => enc.encode(s)), enc.encode(JSONLINES.join('\n') + '\n'), enc.encode(JSONLINES.slice(1, 4).join('\r\n'))],
    promql: PROMQL.map((s) => enc.encode(s)),
  };
  // Plain Uint8Array copies: a Buffer's slice() is a view, so a mutation would write into the seed.
  for (const k of Object.keys(corpora) as ParserTargetName[]) corpora[k] = corpora[k].map((b) => Uint8Array.from(b));
  return corpora;
}
