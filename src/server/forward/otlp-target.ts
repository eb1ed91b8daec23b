// Logs and spans for an OTLP/HTTP collector, as OTLP/JSON (opentelemetry-proto's JSON mapping:
// lowerCamelCase fields, trace and span ids as hex, 64-bit integers and nanosecond times as decimal
// strings, enums as numbers). Items are normalized with the engines' own code (src/logs/normalize.ts,
// src/traces/normalize.ts) so the collector gets what the store keeps: the same times, severity,
// merged resource, defaults. Each queue frame is already a complete Export*ServiceRequest body;
// a batch of frames is sent as one request whose resource list is the frames' lists joined.
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { AttrValue, Attributes, LogInput } from '../../logs/types.js';
import { normalizeLogInput, type ResourceCache } from '../../logs/normalize.js';
import type { Span, SpanInput } from '../../traces/types.js';
import { SPAN_KINDS, STATUS_CODES } from '../../traces/types.js';
import { normalizeSpanInput, type SpanDefaults } from '../../traces/normalize.js';
import type { SendRequest } from './sender.js';

const gzipAsync = promisify(gzip);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type OtlpSignal = 'logs' | 'traces';
const LIST_KEY = { logs: 'resourceLogs', traces: 'resourceSpans' } as const;

type Json = Record<string, unknown>;

/** Queue payloads (ExportLogsServiceRequest JSON) for accepted entries, `perFrame` each at most. */
export function encodeLogsFrames(entries: readonly LogInput[], resources: ResourceCache, nowNs: () => bigint, perFrame: number): Array<{ payload: Uint8Array; records: number }> {
  const frames: Array<{ payload: Uint8Array; records: number }> = [];
  for (let start = 0; start < entries.length; start += perFrame) {
    // Normalized resources are shared objects per distinct value: group by identity.
    const byResource = new Map<object, Json[]>();
    const end = Math.min(entries.length, start + perFrame);
    for (let i = start; i < end; i++) {
      const e = normalizeLogInput(entries[i], resources, nowNs, { copyAttributes: false });
      const rec: Json = {
        timeUnixNano: String(e.tsNs),
        severityNumber: e.severityNumber,
        severityText: e.level.toUpperCase(),
        body: { stringValue: e.message },
        attributes: keyValues(e.attributes),
      };
      if (e.traceId !== undefined) rec.traceId = e.traceId;
      if (e.spanId !== undefined) rec.spanId = e.spanId;
      let list = byResource.get(e.resource);
      if (list === undefined) byResource.set(e.resource, (list = []));
      list.push(rec);
    }
    const resourceLogs = [...byResource].map(([resource, logRecords]) => ({
      resource: { attributes: keyValues(resource as Attributes) },
      scopeLogs: [{ scope: {}, logRecords }],
    }));
    frames.push({ payload: encoder.encode(JSON.stringify({ resourceLogs })), records: end - start });
  }
  return frames;
}

/** Queue payloads (ExportTraceServiceRequest JSON) for accepted spans, `perFrame` each at most. */
export function encodeSpansFrames(spans: readonly SpanInput[], defaults: SpanDefaults, perFrame: number): Array<{ payload: Uint8Array; records: number }> {
  const frames: Array<{ payload: Uint8Array; records: number }> = [];
  for (let start = 0; start < spans.length; start += perFrame) {
    // Resource and scope objects are shared per distinct value (SpanDefaults caches): group by identity.
    const byResource = new Map<Span['resource'], Map<Span['scope'], Json[]>>();
    const end = Math.min(spans.length, start + perFrame);
    for (let i = start; i < end; i++) {
      const s = normalizeSpanInput(spans[i], defaults);
      let byScope = byResource.get(s.resource);
      if (byScope === undefined) byResource.set(s.resource, (byScope = new Map()));
      let list = byScope.get(s.scope);
      if (list === undefined) byScope.set(s.scope, (list = []));
      list.push(otlpSpan(s));
    }
    const resourceSpans = [...byResource].map(([resource, byScope]) => ({
      resource: { attributes: keyValues(resource.attributes), droppedAttributesCount: resource.droppedAttributesCount },
      ...(resource.schemaUrl !== undefined ? { schemaUrl: resource.schemaUrl } : {}),
      scopeSpans: [...byScope].map(([scope, list]) => ({
        scope: {
          name: scope.name,
          ...(scope.version !== undefined ? { version: scope.version } : {}),
          attributes: keyValues(scope.attributes),
          droppedAttributesCount: scope.droppedAttributesCount,
        },
        ...(scope.schemaUrl !== undefined ? { schemaUrl: scope.schemaUrl } : {}),
        spans: list,
      })),
    }));
    frames.push({ payload: encoder.encode(JSON.stringify({ resourceSpans })), records: end - start });
  }
  return frames;
}

/** One OTLP/HTTP JSON request (gzip) of a batch of queue payloads of one signal. */
export async function otlpRequest(url: string, headers: Record<string, string>, signal: OtlpSignal, payloads: readonly Uint8Array[]): Promise<SendRequest> {
  const key = LIST_KEY[signal];
  const joined: unknown[] = [];
  for (const p of payloads) for (const item of (JSON.parse(decoder.decode(p)) as Record<string, unknown[]>)[key]) joined.push(item);
  const body = await gzipAsync(encoder.encode(JSON.stringify({ [key]: joined })));
  return { url, body, headers: { ...headers, 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' } };
}

function otlpSpan(s: Span): Json {
  const out: Json = { traceId: s.traceId, spanId: s.spanId };
  if (s.traceState !== undefined) out.traceState = s.traceState;
  if (s.parentSpanId !== undefined) out.parentSpanId = s.parentSpanId;
  out.flags = s.flags;
  out.name = s.name;
  // The store's kind and status names are listed in OTLP's enum order (traces/types.ts).
  out.kind = SPAN_KINDS.indexOf(s.kind);
  out.startTimeUnixNano = String(s.startNs);
  out.endTimeUnixNano = String(s.endNs);
  out.attributes = keyValues(s.attributes);
  out.droppedAttributesCount = s.droppedAttributesCount;
  out.events = s.events.map((e) => ({ timeUnixNano: String(e.timeNs), name: e.name, attributes: keyValues(e.attributes), droppedAttributesCount: e.droppedAttributesCount }));
  out.droppedEventsCount = s.droppedEventsCount;
  out.links = s.links.map((l) => ({
    traceId: l.traceId,
    spanId: l.spanId,
    ...(l.traceState !== undefined ? { traceState: l.traceState } : {}),
    attributes: keyValues(l.attributes),
    droppedAttributesCount: l.droppedAttributesCount,
    flags: l.flags,
  }));
  out.droppedLinksCount = s.droppedLinksCount;
  out.status = s.status.message !== undefined ? { message: s.status.message, code: STATUS_CODES.indexOf(s.status.code) } : { code: STATUS_CODES.indexOf(s.status.code) };
  return out;
}

function keyValues(attrs: Attributes): Json[] {
  const out: Json[] = [];
  for (const key of Object.keys(attrs)) {
    const v = attrs[key];
    if (v !== undefined) out.push({ key, value: anyValue(v) });
  }
  return out;
}

/**
 * A stored attribute value as an OTLP AnyValue. Safe integers go as intValue (decimal string, the
 * JSON mapping of int64), other numbers as doubleValue; null is the empty AnyValue.
 */
function anyValue(v: AttrValue): Json {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isSafeInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (v === null) return {};
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValue) } };
  return { kvlistValue: { values: keyValues(v) } };
}
