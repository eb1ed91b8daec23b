// The Jaeger query protocol (what the Jaeger UI and Grafana's Jaeger data source read): our spans as
// Jaeger's UI JSON model, and the formats of its query parameters (trace ids, Go durations, tags).
// The span mapping follows the OpenTelemetry Collector's OTLP -> Jaeger translator, which is what a
// Jaeger backend shows for OTLP data:
// - tags: otel.scope.name / otel.scope.version, the span attributes in stored order, then span.kind
//   (absent for 'unspecified'), otel.status_code OK|ERROR (absent for 'unset'), error=true (ERROR
//   only), otel.status_description (non-empty message), w3c.tracestate (non-empty);
// - references: the parent first as CHILD_OF, then each link as FOLLOWS_FROM (CHILD_OF when the link
//   carries opentracing.ref_type=child_of; a link to the parent only changes the parent's type);
// - logs: one per event, fields `event` = its name (unless an attribute is already called `event`)
//   then its attributes;
// - processes: resource service.name becomes serviceName, every other resource attribute a tag;
//   identical processes share one id (p1, p2, ... in span order);
// - times: epoch microseconds, durations microseconds, both truncated (Jaeger's model precision);
// - ids: a trace id whose upper 64 bits are zero is printed with 16 hex digits, as Jaeger prints it.
// What the translator drops (scope attributes, link attributes and trace state, dropped counts) is
// not invented here; dropped counts become span warnings so the UI shows that data is missing.
import type { AttrValue, Span, SpanKind } from '../../traces/types.js';

export type JaegerTagType = 'string' | 'bool' | 'int64' | 'float64' | 'binary';

export interface JaegerKeyValue {
  key: string;
  type: JaegerTagType;
  value: string | number | boolean;
}

export interface JaegerReference {
  refType: 'CHILD_OF' | 'FOLLOWS_FROM';
  traceID: string;
  spanID: string;
}

export interface JaegerLog {
  /** Epoch microseconds. */
  timestamp: number;
  fields: JaegerKeyValue[];
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  /** W3C trace flags (sampled bit); omitted when zero, as Jaeger's JSON omits it. */
  flags?: number;
  operationName: string;
  references: JaegerReference[];
  /** Epoch microseconds. */
  startTime: number;
  /** Microseconds. */
  duration: number;
  tags: JaegerKeyValue[];
  logs: JaegerLog[];
  processID: string;
  warnings: string[] | null;
}

export interface JaegerProcess {
  serviceName: string;
  tags: JaegerKeyValue[];
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, JaegerProcess>;
  warnings: string[] | null;
}

/** What the collector names a process whose resource has no service.name. */
export const NO_SERVICE_NAME = 'OTLPResourceNoServiceName';

const NS_PER_US = 1000n;
const HEX_1_32 = /^[0-9a-fA-F]{1,32}$/;

// ------------------------------------------------------------------ ids

/** Our 32-hex trace id as Jaeger prints it: 16 digits when the high 64 bits are zero. */
export function jaegerTraceId(traceId: string): string {
  return traceId.startsWith('0000000000000000') ? traceId.slice(16) : traceId;
}

/**
 * A trace id as Jaeger accepts it (1..32 hex digits, left-padded with zeros: the UI links to the
 * 16-digit form of 64-bit ids) -> our 32-hex lowercase form; undefined when it is not hex.
 */
export function parseJaegerTraceId(text: string): string | undefined {
  if (!HEX_1_32.test(text)) return undefined;
  return text.toLowerCase().padStart(32, '0');
}

// ------------------------------------------------------------------ tags

/** One attribute as a Jaeger tag: integers int64, other numbers float64, lists and maps as JSON text. */
export function jaegerTag(key: string, v: AttrValue): JaegerKeyValue {
  switch (typeof v) {
    case 'string':
      return { key, type: 'string', value: v };
    case 'boolean':
      return { key, type: 'bool', value: v };
    case 'number':
      // The store keeps numbers as doubles: an integral double is shown as int64 (OTel int and
      // double attributes with the same integral value are indistinguishable once stored).
      return Number.isSafeInteger(v) ? { key, type: 'int64', value: v } : { key, type: 'float64', value: v };
  }
  // null is OTel's empty value (its string form is ''); arrays and maps are JSON, as AsString() gives.
  return { key, type: 'string', value: v === null ? '' : JSON.stringify(v) };
}

function tagsOf(attrs: Record<string, AttrValue>, skip?: string): JaegerKeyValue[] {
  const out: JaegerKeyValue[] = [];
  for (const k of Object.keys(attrs)) if (k !== skip) out.push(jaegerTag(k, attrs[k]));
  return out;
}

const str = (key: string, value: string): JaegerKeyValue => ({ key, type: 'string', value });

/** The translator's span.kind values (OpenTracing names); 'unspecified' has none. */
export function jaegerSpanKind(kind: SpanKind): string {
  return kind === 'unspecified' ? '' : kind;
}

function spanTags(s: Span): JaegerKeyValue[] {
  const tags: JaegerKeyValue[] = [];
  if (s.scope.name !== '') tags.push(str('otel.scope.name', s.scope.name));
  if (s.scope.version !== undefined && s.scope.version !== '') tags.push(str('otel.scope.version', s.scope.version));
  for (const t of tagsOf(s.attributes)) tags.push(t);
  if (s.kind !== 'unspecified') tags.push(str('span.kind', s.kind));
  if (s.status.code === 'ok') tags.push(str('otel.status_code', 'OK'));
  if (s.status.code === 'error') {
    tags.push(str('otel.status_code', 'ERROR'));
    tags.push({ key: 'error', type: 'bool', value: true });
  }
  if (s.status.message !== undefined && s.status.message !== '') tags.push(str('otel.status_description', s.status.message));
  if (s.traceState !== undefined && s.traceState !== '') tags.push(str('w3c.tracestate', s.traceState));
  return tags;
}

// ------------------------------------------------------------------ spans and traces

function references(s: Span): JaegerReference[] {
  const refs: JaegerReference[] = [];
  const traceID = jaegerTraceId(s.traceId);
  if (s.parentSpanId !== undefined) refs.push({ refType: 'CHILD_OF', traceID, spanID: s.parentSpanId });
  for (const l of s.links) {
    const refType = l.attributes['opentracing.ref_type'] === 'child_of' ? 'CHILD_OF' : 'FOLLOWS_FROM';
    if (s.parentSpanId !== undefined && l.traceId === s.traceId && l.spanId === s.parentSpanId) {
      refs[0].refType = refType;
      continue;
    }
    refs.push({ refType, traceID: jaegerTraceId(l.traceId), spanID: l.spanId });
  }
  return refs;
}

function logs(s: Span): JaegerLog[] {
  return s.events.map((e) => {
    const fields: JaegerKeyValue[] = [];
    if (e.name !== '' && !Object.prototype.hasOwnProperty.call(e.attributes, 'event')) fields.push(str('event', e.name));
    for (const f of tagsOf(e.attributes)) fields.push(f);
    return { timestamp: Number(e.timeNs / NS_PER_US), fields };
  });
}

function spanWarnings(s: Span): string[] | null {
  const w: string[] = [];
  if (s.droppedAttributesCount > 0) w.push(`the SDK dropped ${s.droppedAttributesCount} attribute(s) of this span (attribute limit)`);
  if (s.droppedEventsCount > 0) w.push(`the SDK dropped ${s.droppedEventsCount} event(s) (logs) of this span (event limit)`);
  if (s.droppedLinksCount > 0) w.push(`the SDK dropped ${s.droppedLinksCount} link(s) (references) of this span (link limit)`);
  return w.length > 0 ? w : null;
}

/** The process's service name: resource service.name as text, or the collector's placeholder. */
export function jaegerServiceName(s: Span): string {
  const name = s.resource.attributes['service.name'];
  if (name === undefined || name === null || name === '') return NO_SERVICE_NAME;
  return typeof name === 'string' ? name : String(jaegerTag('', name).value);
}

export function jaegerProcess(s: Span): JaegerProcess {
  return { serviceName: jaegerServiceName(s), tags: tagsOf(s.resource.attributes, 'service.name') };
}

/** One span in Jaeger's model, with the process id its resource was given. */
export function toJaegerSpan(s: Span, processID: string): JaegerSpan {
  const flags = s.flags & 0xff;
  return {
    traceID: jaegerTraceId(s.traceId),
    spanID: s.spanId,
    // Jaeger's JSON omits zero flags (omitempty).
    ...(flags !== 0 ? { flags } : {}),
    operationName: s.name,
    references: references(s),
    startTime: Number(s.startNs / NS_PER_US),
    duration: Number((s.endNs - s.startNs) / NS_PER_US),
    tags: spanTags(s),
    logs: logs(s),
    processID,
    warnings: spanWarnings(s),
  };
}

/**
 * The spans of one trace (any order; kept) as a Jaeger trace. `warnings` are trace-level notes
 * (e.g. unreadable blocks the lookup skipped), null when there are none, as Jaeger writes it.
 */
export function toJaegerTrace(traceId: string, spans: readonly Span[], warnings: readonly string[] = []): JaegerTrace {
  const processes: Record<string, JaegerProcess> = {};
  const idByKey = new Map<string, string>();
  const out: JaegerSpan[] = [];
  for (const s of spans) {
    const p = jaegerProcess(s);
    const key = JSON.stringify(p);
    let id = idByKey.get(key);
    if (id === undefined) {
      id = `p${idByKey.size + 1}`;
      idByKey.set(key, id);
      processes[id] = p;
    }
    out.push(toJaegerSpan(s, id));
  }
  return { traceID: jaegerTraceId(traceId), spans: out, processes, warnings: warnings.length > 0 ? [...warnings] : null };
}

// ------------------------------------------------------------------ query parameters

export class JaegerParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JaegerParamError';
  }
}

const GO_UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  'µs': 1000n, // U+00B5 micro sign
  'μs': 1000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const DAY_NS = 86_400_000_000_000n;
const GO_PART = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h|d)/;

/**
 * A Go duration ("1.5ms", "10s", "1h30m", "0") as nanoseconds, as time.ParseDuration reads it,
 * non-negative only (a negative bound means nothing to a span search). `days` also accepts the
 * `d` unit, which the Jaeger UI's lookback values use ("2d", "7d") but Go does not.
 */
export function parseGoDurationNs(text: string, opts: { days?: boolean } = {}): bigint {
  let s = text.trim();
  if (s.startsWith('+')) s = s.slice(1);
  if (s.startsWith('-')) throw new JaegerParamError(`'${text}': a duration here must not be negative`);
  if (s === '0') return 0n;
  if (s === '') throw new JaegerParamError(`'${text}' is not a duration; write e.g. 1.2ms, 500us, 10s, 1h30m`);
  let total = 0n;
  while (s.length > 0) {
    const m = GO_PART.exec(s);
    if (m === null || (m[1] === '' && (m[2] === undefined || m[2] === ''))) {
      throw new JaegerParamError(`'${text}' is not a duration; write e.g. 1.2ms, 500us, 10s, 1h30m (units ns, us, ms, s, m, h${opts.days ? ', d' : ''})`);
    }
    const unit = m[3] === 'd' ? (opts.days ? DAY_NS : undefined) : GO_UNITS[m[3]];
    if (unit === undefined) throw new JaegerParamError(`'${text}': unit 'd' is not a Go duration unit; use h (e.g. 48h)`);
    const whole = m[1] === '' ? 0n : BigInt(m[1]);
    let part = whole * unit;
    const frac = m[2] ?? '';
    if (frac !== '') part += (BigInt(frac) * unit) / 10n ** BigInt(frac.length); // truncated to the ns, as Go does
    total += part;
    s = s.slice(m[0].length);
  }
  return total;
}

/**
 * Tag filters: Jaeger's `tags` parameter (a JSON object of strings, as the UI sends it, or the
 * logfmt text a user types: `error=true http.status_code=500 name="a b"`) and the older repeated
 * `tag=key:value`. Later keys win, as in Jaeger.
 */
export function parseJaegerTags(tagsParams: readonly string[], tagParams: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of tagParams) {
    const i = t.indexOf(':');
    if (i <= 0) throw new JaegerParamError(`malformed 'tag' parameter, expecting key:value, received: ${t}`);
    out.set(t.slice(0, i), t.slice(i + 1));
  }
  for (const raw of tagsParams) {
    const text = raw.trim();
    if (text === '') continue;
    if (text.startsWith('{')) {
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch (err) {
        throw new JaegerParamError(`malformed 'tags' parameter, cannot parse JSON: ${(err as Error).message}`);
      }
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new JaegerParamError(`malformed 'tags' parameter: expected a JSON object of key -> value`);
      for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
          throw new JaegerParamError(`malformed 'tags' parameter: the value of ${JSON.stringify(k)} must be a string`);
        }
        out.set(k, String(v));
      }
    } else {
      for (const [k, v] of parseLogfmt(text)) out.set(k, v);
    }
  }
  return out;
}

/** logfmt pairs: key=value or key="quoted \"value\"", separated by blanks. */
function parseLogfmt(text: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  let i = 0;
  const n = text.length;
  const blank = (ch: string) => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';
  while (i < n) {
    while (i < n && blank(text[i])) i++;
    if (i >= n) break;
    const keyStart = i;
    while (i < n && text[i] !== '=' && !blank(text[i])) i++;
    const key = text.slice(keyStart, i);
    if (i >= n || text[i] !== '=' || key === '') throw new JaegerParamError(`malformed 'tags' parameter: expected key=value pairs (logfmt) or a JSON object, got '${text}'`);
    i++; // '='
    let value = '';
    if (text[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const ch = text[i];
        if (ch === '\\' && i + 1 < n) {
          const next = text[i + 1];
          value += next === 'n' ? '\n' : next === 't' ? '\t' : next;
          i += 2;
        } else if (ch === '"') {
          closed = true;
          i++;
          break;
        } else {
          value += ch;
          i++;
        }
      }
      if (!closed) throw new JaegerParamError(`malformed 'tags' parameter: unterminated quote in '${text}'`);
    } else {
      const start = i;
      while (i < n && !blank(text[i])) i++;
      value = text.slice(start, i);
    }
    pairs.push([key, value]);
  }
  return pairs;
}
