// OTLP ExportTraceServiceRequest (opentelemetry/proto/collector/trace/v1) -> SpanInput[], from
// protobuf or JSON. Every field of the OTLP span is carried over (ids as lowercase hex, times as ns,
// kind/status by name, flags as sent: an absent flags field is 0, not the store's default 1).
//
// The decoders only translate; the traces engine validates (id lengths, all-zero ids, times,
// end >= start) and the ingest helper rejects just the spans it refuses, so one bad span costs only
// itself. A malformed body (broken protobuf framing, wrong JSON types) throws: HTTP 400.
//
// Speed: the protobuf path is the ingest hot path (bench target 100 k spans/s over loopback on the
// main thread). Spans are built straight from the wire into one object literal shape, nested
// messages are walked on the same reader (otlp-common.ts), and every span of a ResourceSpans /
// ScopeSpans shares one resource / scope object, which the engine caches by identity.
import { SPAN_KINDS, STATUS_CODES, type SpanEventInput, type SpanInput, type SpanKind, type SpanLinkInput, type StatusCode } from '../../traces/types.js';
import type { ProtoReader } from './protobuf.js';
import { freezeAttributes,
  checkEnd, emptyScope, jsonArray, jsonAttributes, jsonEnum, jsonId, jsonNanos, jsonObject, jsonResource, jsonRoot, jsonScope,
  jsonString, jsonUint32, protoHex, protoKeyValue, protoReader, protoString, protoResource, protoScope, subEnd,
  type Attributes, type OtlpResource, type OtlpScope,
} from './otlp-common.js';

export interface DecodedSpans {
  spans: SpanInput[];
  /** Spans the decoder refused itself (none today: the engine checks every field), for partialSuccess. */
  rejected: number;
  reasons: string[];
}

/** The resource every span of one ResourceSpans shares (schemaUrl set after its spans when sent after them). */
interface SharedResource extends OtlpResource {
  schemaUrl?: string;
}

interface SharedScope extends OtlpScope {
  schemaUrl?: string;
}

const NO_EVENTS: readonly SpanEventInput[] = Object.freeze([]);
const NO_LINKS: readonly SpanLinkInput[] = Object.freeze([]);

/** OTLP SpanKind numbers (UNSPECIFIED=0 ... CONSUMER=5) index SPAN_KINDS; unknown ones are 'unspecified'. */
function kindOf(n: number): SpanKind {
  return n >= 0 && n < SPAN_KINDS.length ? SPAN_KINDS[n] : 'unspecified';
}

/** OTLP Status.StatusCode (UNSET=0, OK=1, ERROR=2); unknown ones are 'unset'. */
function statusCodeOf(n: number): StatusCode {
  return n >= 0 && n < STATUS_CODES.length ? STATUS_CODES[n] : 'unset';
}

// ------------------------------------------------------------------ protobuf

// Tags: field number << 3 | wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32).
const F1_LEN = (1 << 3) | 2;
const F2_LEN = (2 << 3) | 2;
const F3_LEN = (3 << 3) | 2;
const F4_LEN = (4 << 3) | 2;
const F5_LEN = (5 << 3) | 2;
const F6_VARINT = (6 << 3) | 0;
const F7_FIXED64 = (7 << 3) | 1;
const F8_FIXED64 = (8 << 3) | 1;
const F9_LEN = (9 << 3) | 2;
const F10_VARINT = (10 << 3) | 0;
const F11_LEN = (11 << 3) | 2;
const F12_VARINT = (12 << 3) | 0;
const F13_LEN = (13 << 3) | 2;
const F14_VARINT = (14 << 3) | 0;
const F15_LEN = (15 << 3) | 2;
const F16_FIXED32 = (16 << 3) | 5;
const F1_FIXED64 = (1 << 3) | 1;
const F3_VARINT = (3 << 3) | 0;
const F4_VARINT = (4 << 3) | 0;
const F5_VARINT = (5 << 3) | 0;
const F6_FIXED32 = (6 << 3) | 5;

/** ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1 }. */
export function decodeTracesProto(body: Uint8Array): DecodedSpans {
  const r = protoReader(body);
  const spans: SpanInput[] = [];
  while (r.pos < r.end) {
    const t = r.tag();
    if (t === F1_LEN) protoResourceSpans(r, spans);
    else r.skip(t & 7);
  }
  return { spans, rejected: 0, reasons: [] };
}

/** ResourceSpans { resource = 1; repeated ScopeSpans scope_spans = 2; schema_url = 3 }. */
function protoResourceSpans(r: ProtoReader, out: SpanInput[]): void {
  const end = subEnd(r);
  const resource: SharedResource = { attributes: {}, droppedAttributesCount: 0 };
  while (r.pos < end) {
    const t = r.tag();
    if (t === F2_LEN) protoScopeSpans(r, resource, out);
    else if (t === F1_LEN) {
      const res = protoResource(r);
      resource.attributes = res.attributes;
      resource.droppedAttributesCount = res.droppedAttributesCount;
    } else if (t === F3_LEN) {
      const url = protoString(r);
      if (url !== '') resource.schemaUrl = url;
    } else r.skip(t & 7);
  }
  checkEnd(r, end, 'a ResourceSpans');
  // Shared by every span of the batch and never changed again: frozen, the engine caches it by
  // identity without re-checking its contents per span.
  freezeAttributes(resource.attributes);
}

/** ScopeSpans { scope = 1; repeated Span spans = 2; schema_url = 3 }. */
function protoScopeSpans(r: ProtoReader, resource: SharedResource, out: SpanInput[]): void {
  const end = subEnd(r);
  const scope: SharedScope = emptyScope();
  while (r.pos < end) {
    const t = r.tag();
    if (t === F2_LEN) out.push(protoSpan(r, resource, scope));
    else if (t === F1_LEN) Object.assign(scope, protoScope(r));
    else if (t === F3_LEN) {
      const url = protoString(r);
      if (url !== '') scope.schemaUrl = url;
    } else r.skip(t & 7);
  }
  checkEnd(r, end, 'a ScopeSpans');
  freezeAttributes(scope.attributes);
}

function protoSpan(r: ProtoReader, resource: SharedResource, scope: SharedScope): SpanInput {
  const end = subEnd(r);
  let traceId = '';
  let spanId = '';
  let traceState = '';
  let parentSpanId = '';
  let name = '';
  let kind = 0;
  let startNs = 0n;
  let endNs = 0n;
  const attributes: Attributes = {};
  let droppedAttributesCount = 0;
  let events: SpanEventInput[] | undefined;
  let droppedEventsCount = 0;
  let links: SpanLinkInput[] | undefined;
  let droppedLinksCount = 0;
  let statusCode = 0;
  let statusMessage = '';
  let flags = 0;
  while (r.pos < end) {
    const t = r.tag();
    switch (t) {
      case F1_LEN: traceId = protoHex(r); break;
      case F2_LEN: spanId = protoHex(r); break;
      case F3_LEN: traceState = protoString(r); break;
      case F4_LEN: parentSpanId = protoHex(r); break;
      case F5_LEN: name = protoString(r); break;
      case F6_VARINT: kind = r.varint32(); break;
      case F7_FIXED64: startNs = r.fixed64Big(); break;
      case F8_FIXED64: endNs = r.fixed64Big(); break;
      case F9_LEN: protoKeyValue(r, attributes); break;
      case F10_VARINT: droppedAttributesCount = r.varint32() >>> 0; break;
      case F11_LEN: (events ??= []).push(protoEvent(r)); break;
      case F12_VARINT: droppedEventsCount = r.varint32() >>> 0; break;
      case F13_LEN: (links ??= []).push(protoLink(r)); break;
      case F14_VARINT: droppedLinksCount = r.varint32() >>> 0; break;
      case F15_LEN: {
        // Status { message = 2; code = 3 }
        const send = subEnd(r);
        while (r.pos < send) {
          const st = r.tag();
          if (st === F2_LEN) statusMessage = protoString(r);
          else if (st === F3_VARINT) statusCode = r.varint32();
          else r.skip(st & 7);
        }
        checkEnd(r, send, 'a Status');
        break;
      }
      case F16_FIXED32: flags = r.fixed32(); break;
      default: r.skip(t & 7);
    }
  }
  checkEnd(r, end, 'a Span');
  return {
    traceId,
    spanId,
    parentSpanId,
    name,
    kind: kindOf(kind),
    startNs,
    endNs,
    status: statusMessage === '' ? { code: statusCodeOf(statusCode) } : { code: statusCodeOf(statusCode), message: statusMessage },
    attributes,
    events: events ?? (NO_EVENTS as SpanEventInput[]),
    links: links ?? (NO_LINKS as SpanLinkInput[]),
    resource,
    scope,
    traceState,
    flags,
    droppedAttributesCount,
    droppedEventsCount,
    droppedLinksCount,
  };
}

/** Span.Event { time_unix_nano = 1 (fixed64); name = 2; attributes = 3; dropped_attributes_count = 4 }. */
function protoEvent(r: ProtoReader): SpanEventInput {
  const end = subEnd(r);
  let timeNs = 0n;
  let name = '';
  const attributes: Attributes = {};
  let dropped = 0;
  while (r.pos < end) {
    const t = r.tag();
    if (t === F1_FIXED64) timeNs = r.fixed64Big();
    else if (t === F2_LEN) name = protoString(r);
    else if (t === F3_LEN) protoKeyValue(r, attributes);
    else if (t === F4_VARINT) dropped = r.varint32() >>> 0;
    else r.skip(t & 7);
  }
  checkEnd(r, end, 'a Span.Event');
  return { name, timeNs, attributes, droppedAttributesCount: dropped };
}

/** Span.Link { trace_id = 1; span_id = 2; trace_state = 3; attributes = 4; dropped_attributes_count = 5; flags = 6 (fixed32) }. */
function protoLink(r: ProtoReader): SpanLinkInput {
  const end = subEnd(r);
  let traceId = '';
  let spanId = '';
  let traceState = '';
  const attributes: Attributes = {};
  let dropped = 0;
  let flags = 0;
  while (r.pos < end) {
    const t = r.tag();
    if (t === F1_LEN) traceId = protoHex(r);
    else if (t === F2_LEN) spanId = protoHex(r);
    else if (t === F3_LEN) traceState = protoString(r);
    else if (t === F4_LEN) protoKeyValue(r, attributes);
    else if (t === F5_VARINT) dropped = r.varint32() >>> 0;
    else if (t === F6_FIXED32) flags = r.fixed32();
    else r.skip(t & 7);
  }
  checkEnd(r, end, 'a Span.Link');
  return { traceId, spanId, traceState, flags, attributes, droppedAttributesCount: dropped };
}

// ------------------------------------------------------------------ JSON

const KIND_NAMES = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'] as const;
const STATUS_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'] as const;

/** The OTLP/JSON request (already parsed): { resourceSpans: [...] }. */
export function decodeTracesJson(body: unknown): DecodedSpans {
  const root = jsonRoot(body, 'ExportTraceServiceRequest');
  const spans: SpanInput[] = [];
  const rss = jsonArray(root.resourceSpans, 'resourceSpans');
  for (let i = 0; i < rss.length; i++) {
    const path = `resourceSpans[${i}]`;
    const rs = jsonObject(rss[i], path);
    if (rs === undefined) continue;
    const resource: SharedResource = jsonResource(rs.resource, `${path}.resource`);
    const resourceUrl = jsonString(rs.schemaUrl, `${path}.schemaUrl`);
    if (resourceUrl !== '') resource.schemaUrl = resourceUrl;
    const sss = jsonArray(rs.scopeSpans, `${path}.scopeSpans`);
    for (let j = 0; j < sss.length; j++) {
      const spath = `${path}.scopeSpans[${j}]`;
      const ss = jsonObject(sss[j], spath);
      if (ss === undefined) continue;
      const scope: SharedScope = jsonScope(ss.scope, `${spath}.scope`);
      const scopeUrl = jsonString(ss.schemaUrl, `${spath}.schemaUrl`);
      if (scopeUrl !== '') scope.schemaUrl = scopeUrl;
      const list = jsonArray(ss.spans, `${spath}.spans`);
      for (let k = 0; k < list.length; k++) {
        const s = jsonObject(list[k], `${spath}.spans[${k}]`);
        if (s !== undefined) spans.push(jsonSpan(s, `${spath}.spans[${k}]`, resource, scope));
      }
    }
  }
  return { spans, rejected: 0, reasons: [] };
}

function jsonSpan(s: Record<string, unknown>, path: string, resource: SharedResource, scope: SharedScope): SpanInput {
  const status = jsonObject(s.status, `${path}.status`);
  const statusMessage = jsonString(status?.message, `${path}.status.message`);
  const code = statusCodeOf(jsonEnum(status?.code, `${path}.status.code`, STATUS_NAMES));
  const evs = jsonArray(s.events, `${path}.events`);
  const lks = jsonArray(s.links, `${path}.links`);
  return {
    traceId: jsonId(s.traceId, `${path}.traceId`),
    spanId: jsonId(s.spanId, `${path}.spanId`),
    parentSpanId: jsonId(s.parentSpanId, `${path}.parentSpanId`),
    name: jsonString(s.name, `${path}.name`),
    kind: kindOf(jsonEnum(s.kind, `${path}.kind`, KIND_NAMES)),
    startNs: jsonNanos(s.startTimeUnixNano, `${path}.startTimeUnixNano`),
    endNs: jsonNanos(s.endTimeUnixNano, `${path}.endTimeUnixNano`),
    status: statusMessage === '' ? { code } : { code, message: statusMessage },
    attributes: jsonAttributes(s.attributes, `${path}.attributes`),
    events: evs.length === 0 ? (NO_EVENTS as SpanEventInput[]) : evs.map((e, i) => jsonEvent(e, `${path}.events[${i}]`)),
    links: lks.length === 0 ? (NO_LINKS as SpanLinkInput[]) : lks.map((l, i) => jsonLink(l, `${path}.links[${i}]`)),
    resource,
    scope,
    traceState: jsonString(s.traceState, `${path}.traceState`),
    flags: jsonUint32(s.flags, `${path}.flags`),
    droppedAttributesCount: jsonUint32(s.droppedAttributesCount, `${path}.droppedAttributesCount`),
    droppedEventsCount: jsonUint32(s.droppedEventsCount, `${path}.droppedEventsCount`),
    droppedLinksCount: jsonUint32(s.droppedLinksCount, `${path}.droppedLinksCount`),
  };
}

function jsonEvent(v: unknown, path: string): SpanEventInput {
  const e = jsonObject(v, path) ?? {};
  return {
    name: jsonString(e.name, `${path}.name`),
    timeNs: jsonNanos(e.timeUnixNano, `${path}.timeUnixNano`),
    attributes: jsonAttributes(e.attributes, `${path}.attributes`),
    droppedAttributesCount: jsonUint32(e.droppedAttributesCount, `${path}.droppedAttributesCount`),
  };
}

function jsonLink(v: unknown, path: string): SpanLinkInput {
  const l = jsonObject(v, path) ?? {};
  return {
    traceId: jsonId(l.traceId, `${path}.traceId`),
    spanId: jsonId(l.spanId, `${path}.spanId`),
    traceState: jsonString(l.traceState, `${path}.traceState`),
    flags: jsonUint32(l.flags, `${path}.flags`),
    attributes: jsonAttributes(l.attributes, `${path}.attributes`),
    droppedAttributesCount: jsonUint32(l.droppedAttributesCount, `${path}.droppedAttributesCount`),
  };
}
