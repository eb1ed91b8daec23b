// Pre-encoded OTLP/HTTP protobuf bodies for the `http` suite, made by the OpenTelemetry JS SDK's own
// serializers (@opentelemetry/otlp-transformer, what the OTLP proto exporters send), from the bench
// generators: "microservice shop" spans (bench/gen/traces.ts) and "Node web app" logs
// (bench/gen/nodelogs.ts). One request = one SDK export batch: 512 spans (BatchSpanProcessor's
// default maxExportBatchSize) or 512 log records (BatchLogRecordProcessor's).
// The serializers read the SDK's ReadableSpan / ReadableLogRecord fields only, so the generated
// records are adapted to those shapes here (resource and scope objects shared, as the SDK shares them).
import { ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { LogInput, LogLevel } from '../../src/logs/types.js';
import type { Attributes } from '../../src/codec/columns/attr-types.js';
import type { Span, SpanKind, StatusCode } from '../../src/traces/types.js';
import { generateNodeLogs } from '../gen/nodelogs.js';
import { generateTraces } from '../gen/traces.js';
import type { LoadRequest } from './http-bodies-metrics.js';

export const EXPORT_BATCH = 512;
const DAY_MS = 86_400_000;

type HrTime = [number, number];
type TraceRecords = Parameters<typeof ProtobufTraceSerializer.serializeRequest>[0];
type LogRecords = Parameters<typeof ProtobufLogsSerializer.serializeRequest>[0];

/** The SDK's SpanKind enum; the serializer writes `kind + 1`, and nothing (0) for no kind. */
const KIND: Record<SpanKind, number | undefined> = { unspecified: undefined, internal: 0, server: 1, client: 2, producer: 3, consumer: 4 };
const STATUS: Record<StatusCode, number> = { unset: 0, ok: 1, error: 2 };
const SEVERITY: Record<LogLevel, number> = { trace: 1, debug: 5, info: 9, warn: 13, error: 17, fatal: 21 };

function hrTime(ns: bigint): HrTime {
  return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
}

/** One adapter object per generator object (the SDK groups records by resource/scope identity). */
function memo<K extends object, V>(make: (k: K) => V): (k: K) => V {
  const cache = new WeakMap<K, V>();
  return (k) => {
    let v = cache.get(k);
    if (v === undefined) {
      v = make(k);
      cache.set(k, v);
    }
    return v;
  };
}

function spanContext(traceId: string, spanId: string, flags: number, traceState?: string) {
  return { traceId, spanId, traceFlags: flags & 0xff, isRemote: (flags & 0x200) !== 0, ...(traceState ? { traceState: { serialize: () => traceState } } : {}) };
}

/** The ReadableSpan fields the serializer reads. */
function readableSpans(spans: readonly Span[], resourceOf: (r: Span['resource']) => object, scopeOf: (s: Span['scope']) => object): TraceRecords {
  return spans.map((s) => ({
    name: s.name,
    kind: KIND[s.kind],
    spanContext: () => spanContext(s.traceId, s.spanId, s.flags, s.traceState),
    parentSpanContext: s.parentSpanId ? spanContext(s.traceId, s.parentSpanId, s.flags) : undefined,
    startTime: hrTime(s.startNs),
    endTime: hrTime(s.endNs),
    status: { code: STATUS[s.status.code], ...(s.status.message ? { message: s.status.message } : {}) },
    attributes: s.attributes,
    droppedAttributesCount: s.droppedAttributesCount,
    events: s.events.map((e) => ({ name: e.name, time: hrTime(e.timeNs), attributes: e.attributes, droppedAttributesCount: e.droppedAttributesCount })),
    droppedEventsCount: s.droppedEventsCount,
    links: s.links.map((l) => ({ context: spanContext(l.traceId, l.spanId, l.flags ?? 1, l.traceState), attributes: l.attributes, droppedAttributesCount: l.droppedAttributesCount })),
    droppedLinksCount: s.droppedLinksCount,
    resource: resourceOf(s.resource),
    instrumentationScope: scopeOf(s.scope),
  })) as unknown as TraceRecords;
}

/** OTLP protobuf bodies of `total` spans (at least), dealt round-robin to `lanes` senders. */
export function otlpTraceBodies(lanes: number, total: number, seed = 63): LoadRequest[][] {
  const out: LoadRequest[][] = Array.from({ length: lanes }, () => []);
  const resourceOf = memo((r: Span['resource']) => ({ attributes: r.attributes, schemaUrl: r.schemaUrl }));
  const scopeOf = memo((s: Span['scope']) => ({ name: s.name, version: s.version, schemaUrl: s.schemaUrl }));
  let i = 0;
  // Spans of the last day (the generator's default 50 traces/s covers ~2 h per million spans).
  for (const batch of generateTraces({ spans: total, seed, fromMs: Date.now() - DAY_MS, batch: EXPORT_BATCH })) {
    const body = ProtobufTraceSerializer.serializeRequest(readableSpans(batch, resourceOf, scopeOf));
    if (!body) throw new Error('ProtobufTraceSerializer returned nothing');
    out[i++ % lanes].push({ body, items: batch.length });
  }
  return out;
}

function logTime(e: LogInput): HrTime {
  if (e.tsNs !== undefined) return hrTime(BigInt(e.tsNs));
  const ms = e.tsMs ?? Date.now();
  return [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];
}

/** The ReadableLogRecord fields the serializer reads. */
function readableLogs(entries: readonly LogInput[], resourceOf: (r: object) => object, scope: object, defaultResource: object): LogRecords {
  return entries.map((e) => {
    const time = logTime(e);
    const level = typeof e.level === 'number' ? undefined : (e.level ?? 'info');
    return {
      hrTime: time,
      hrTimeObserved: time,
      severityNumber: typeof e.level === 'number' ? e.level : SEVERITY[level!],
      severityText: level?.toUpperCase(),
      body: e.message,
      attributes: (e.attributes ?? {}) as Attributes,
      droppedAttributesCount: 0,
      resource: e.resource ? resourceOf(e.resource) : defaultResource,
      instrumentationScope: scope,
      ...(e.traceId ? { spanContext: { traceId: e.traceId, spanId: e.spanId, traceFlags: 1 } } : {}),
    };
  }) as unknown as LogRecords;
}

/** OTLP protobuf bodies of `total` log records, dealt round-robin to `lanes` senders. */
export function otlpLogBodies(lanes: number, total: number, seed = 64): LoadRequest[][] {
  const out: LoadRequest[][] = Array.from({ length: lanes }, () => []);
  const resourceOf = memo((r: object) => ({ attributes: r }));
  const defaultResource = { attributes: { 'service.name': 'shop-api' } };
  const scope = { name: 'pino', version: '9.5.0' };
  let i = 0;
  // The last day at 500 entries/s: ~17 min per 500,000 entries.
  for (const batch of generateNodeLogs({ entries: total, seed, fromMs: Date.now() - DAY_MS, ratePerSec: 500, batch: EXPORT_BATCH })) {
    const body = ProtobufLogsSerializer.serializeRequest(readableLogs(batch, resourceOf, scope, defaultResource));
    if (!body) throw new Error('ProtobufLogsSerializer returned nothing');
    out[i++ % lanes].push({ body, items: batch.length });
  }
  return out;
}
