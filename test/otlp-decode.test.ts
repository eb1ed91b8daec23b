// OTLP decoders and the Prometheus translation, unit level: hand-built protobuf vectors (written by
// test/otlp-helpers.ts, independent of the decoder) and their OTLP/JSON twins must decode to the
// same exact values; names follow Prometheus' OTLP translation; malformed, truncated and mutated
// input (seeded fuzz) only ever throws the decoders' typed errors, which the routes answer with 400.
import { describe, expect, it } from 'vitest';
import { ProtoReader, ProtobufError } from '../src/server/protocols/protobuf.js';
import { jsonAnyValue, OtlpFormatError, protoAnyValue, protoReader } from '../src/server/protocols/otlp-common.js';
import { decodeTracesJson, decodeTracesProto } from '../src/server/protocols/otlp-traces.js';
import { decodeLogsJson, decodeLogsProto } from '../src/server/protocols/otlp-logs.js';
import { decodeMetricsJson, decodeMetricsProto, type DecodedMetrics } from '../src/server/protocols/otlp-metrics.js';
import { formatFloat, promLabelName, promMetricName, promUnit } from '../src/server/protocols/otlp-metric-names.js';
import { encodeResponseJson, encodeResponseProto } from '../src/server/protocols/otlp-response.js';
import type { SpanInput } from '../src/traces/types.js';
import {
  anyValue, fBytes, fDouble, fFixed32, fFixed64, fMsg, fSint, fString, fVarint, hexBytes, keyValue, prng, strAttrs, u8,
  type Any, type Bytes,
} from './otlp-helpers.js';

/** The OTLP/JSON form of an AnyValue of the helper's vocabulary. */
function anyJson(v: Any): unknown {
  if (v === null) return {};
  if ('s' in v) return { stringValue: v.s };
  if ('b' in v) return { boolValue: v.b };
  if ('i' in v) return { intValue: String(v.i) };
  if ('d' in v) return { doubleValue: Number.isFinite(v.d) ? v.d : String(v.d) };
  if ('arr' in v) return { arrayValue: { values: v.arr.map(anyJson) } };
  if ('kv' in v) return { kvlistValue: { values: v.kv.map(([key, x]) => ({ key, value: anyJson(x) })) } };
  return { bytesValue: Buffer.from(v.bytes).toString('base64') };
}

function attrsJson(attrs: Record<string, Any>): unknown[] {
  return Object.entries(attrs).map(([key, v]) => ({ key, value: anyJson(v) }));
}

function attrsProto(field: number, attrs: Record<string, Any>): Bytes {
  return Object.entries(attrs).flatMap(([k, v]) => keyValue(field, k, v));
}

/** protoAnyValue over an AnyValue message. */
function decodeAny(v: Any): unknown {
  const r = protoReader(u8(fBytes(1, anyValue(v))));
  r.tag();
  const out = protoAnyValue(r);
  expect(r.done).toBe(true);
  return out;
}

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

// ------------------------------------------------------------------ AnyValue

describe('AnyValue', () => {
  const table: Array<[string, Any, unknown]> = [
    ['string', { s: 'héllo ✓' }, 'héllo ✓'],
    ['empty string', { s: '' }, ''],
    ['bool', { b: true }, true],
    ['int', { i: -42 }, -42],
    ['int 2^53 - 1', { i: 2 ** 53 - 1 }, 2 ** 53 - 1],
    ['int beyond 2^53 (exact text)', { i: 9_007_199_254_740_993n }, '9007199254740993'],
    ['int64 min', { i: -(2n ** 63n) }, '-9223372036854775808'],
    ['double', { d: 0.1 }, 0.1],
    ['NaN', { d: NaN }, 'NaN'],
    ['Infinity', { d: Infinity }, 'Infinity'],
    ['-Infinity', { d: -Infinity }, '-Infinity'],
    ['bytes', { bytes: [0, 1, 254, 255] }, 'AAH+/w=='],
    ['array', { arr: [{ s: 'a' }, { i: 1 }, null, { arr: [] }] }, ['a', 1, null, []]],
    ['kvlist', { kv: [['a', { b: false }], ['nested', { kv: [['x', { d: 1.5 }]] }]] }, { a: false, nested: { x: 1.5 } }],
    ['empty', null, null],
  ];
  for (const [name, v, want] of table) {
    it(`${name}: protobuf and JSON decode to ${JSON.stringify(want)}`, () => {
      expect(decodeAny(v)).toEqual(want);
      expect(jsonAnyValue(anyJson(v), 'v')).toEqual(want);
    });
  }

  it('keeps "__proto__" as an own key, and a later duplicate key wins', () => {
    const v: Any = { kv: [['__proto__', { s: 'p' }], ['k', { i: 1 }], ['k', { i: 2 }]] };
    for (const out of [decodeAny(v), jsonAnyValue(anyJson(v), 'v')] as Array<Record<string, unknown>>) {
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
      expect(Object.keys(out)).toEqual(['__proto__', 'k']);
      expect(out.k).toBe(2);
      expect(JSON.stringify(out)).toBe('{"__proto__":"p","k":2}');
    }
  });

  it('skips unknown fields, and a JSON intValue may be a number', () => {
    const r = protoReader(u8(fBytes(1, [...fVarint(15, 7), ...fString(1, 'x'), ...fFixed32(20, 1)])));
    r.tag();
    expect(protoAnyValue(r)).toBe('x');
    expect(jsonAnyValue({ intValue: 12 }, 'v')).toBe(12);
    expect(jsonAnyValue({ doubleValue: '1.5' }, 'v')).toBe(1.5);
  });

  it('interned short strings never come back as another string (slot collisions are checked byte by byte)', () => {
    const words = Array.from({ length: 20_000 }, (_, i) => `k${i.toString(36)}.${(i * 7919).toString(16)}`);
    const body = u8(fBytes(1, fMsg(6, ...words.map((w, i) => keyValue(1, w, { s: words[(i + 1) % words.length] })))));
    for (let round = 0; round < 2; round++) {
      const r = protoReader(body);
      r.tag();
      const out = protoAnyValue(r) as Record<string, string>;
      expect(Object.keys(out)).toEqual(words);
      expect(Object.values(out)).toEqual(words.map((_, i) => words[(i + 1) % words.length]));
    }
  });

  it('refuses values nested deeper than 64 levels with a typed error (no stack overflow)', () => {
    let v: Any = { s: 'leaf' };
    for (let i = 0; i < 200; i++) v = { arr: [v] };
    expect(errorOf(() => decodeAny(v))).toBeInstanceOf(OtlpFormatError);
    expect(errorOf(() => jsonAnyValue(anyJson(v), 'v'))).toBeInstanceOf(OtlpFormatError);
    let ok: Any = { s: 'leaf' };
    for (let i = 0; i < 60; i++) ok = { kv: [['k', ok]] };
    expect(errorOf(() => decodeAny(ok))).toBeUndefined();
  });

  it('refuses a field that runs past the end of its message', () => {
    // AnyValue of 3 bytes whose string field claims 5.
    const r = protoReader(u8([0x0a, 0x03, 0x0a, 0x05, 0x61, 0x62, 0x63, 0x64]));
    r.tag();
    expect(errorOf(() => protoAnyValue(r))).toBeInstanceOf(ProtobufError);
  });

  it('refuses JSON of the wrong types with the path of the value', () => {
    const err = errorOf(() => jsonAnyValue({ kvlistValue: { values: [{ key: 'a', value: { boolValue: 'yes' } }] } }, 'attributes[0].value'));
    expect(err).toBeInstanceOf(OtlpFormatError);
    expect((err as Error).message).toBe('attributes[0].value.kvlistValue.values[0].value.boolValue must be true or false, got "yes"');
  });
});

// ------------------------------------------------------------------ traces

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const T0 = 1_700_000_000_123_456_789n;

interface SpanSpec {
  spanId: string;
  parent?: string;
  kind: number;
  statusCode: number;
  statusMessage?: string;
  flags?: number;
}

const RESOURCE_ATTRS: Record<string, Any> = { 'service.name': { s: 'api' }, 'host.cpus': { i: 8 }, labels: { arr: [{ s: 'x' }] } };
const SCOPE_ATTRS: Record<string, Any> = { 'scope.k': { s: 'v' } };
const SPAN_ATTRS: Record<string, Any> = { 'http.route': { s: '/x' }, 'n': { i: 3 }, 'big': { i: 2n ** 60n }, 'ratio': { d: 0.5 }, 'nan': { d: NaN }, 'ok': { b: true } };

function spanProto(s: SpanSpec): Bytes {
  return fMsg(2,
    fBytes(1, hexBytes(TRACE)),
    fBytes(2, hexBytes(s.spanId)),
    fString(3, 'congo=t61rcWkgMzE'),
    ...(s.parent ? [fBytes(4, hexBytes(s.parent))] : []),
    fString(5, `op-${s.spanId}`),
    fVarint(6, s.kind),
    fFixed64(7, T0),
    fFixed64(8, T0 + 1000n),
    attrsProto(9, SPAN_ATTRS),
    fVarint(10, 2),
    fMsg(11, fFixed64(1, T0 + 10n), fString(2, 'evt'), attrsProto(3, { a: { s: 'b' } }), fVarint(4, 1)),
    fVarint(12, 3),
    fMsg(13, fBytes(1, hexBytes('ab'.repeat(16))), fBytes(2, hexBytes('cd'.repeat(8))), fString(3, 'k=v'), attrsProto(4, { l: { i: 1 } }), fVarint(5, 4), fFixed32(6, 0x301)),
    fVarint(14, 5),
    fMsg(15, ...(s.statusMessage ? [fString(2, s.statusMessage)] : []), fVarint(3, s.statusCode)),
    ...(s.flags === undefined ? [] : [fFixed32(16, s.flags)]),
  );
}

function spanJson(s: SpanSpec): unknown {
  return {
    traceId: TRACE.toUpperCase(),
    spanId: s.spanId,
    traceState: 'congo=t61rcWkgMzE',
    ...(s.parent ? { parentSpanId: s.parent } : {}),
    name: `op-${s.spanId}`,
    kind: s.kind,
    startTimeUnixNano: String(T0),
    endTimeUnixNano: String(T0 + 1000n),
    attributes: attrsJson(SPAN_ATTRS),
    droppedAttributesCount: 2,
    events: [{ timeUnixNano: String(T0 + 10n), name: 'evt', attributes: attrsJson({ a: { s: 'b' } }), droppedAttributesCount: 1 }],
    droppedEventsCount: '3',
    links: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceState: 'k=v', attributes: attrsJson({ l: { i: 1 } }), droppedAttributesCount: 4, flags: 0x301 }],
    droppedLinksCount: 5,
    status: { ...(s.statusMessage ? { message: s.statusMessage } : {}), code: s.statusCode },
    ...(s.flags === undefined ? {} : { flags: s.flags }),
  };
}

const SPECS: SpanSpec[] = [
  { spanId: '00f067aa0ba902b7', kind: 2, statusCode: 1, flags: 0x301 },
  { spanId: '00f067aa0ba902b8', parent: '00f067aa0ba902b7', kind: 3, statusCode: 2, statusMessage: 'boom' },
  { spanId: '00f067aa0ba902b9', parent: '00f067aa0ba902b7', kind: 9, statusCode: 7 },
];

/** The schema urls come after the spans on the wire, as the OTel JS serializer writes them. */
function tracesProto(): Uint8Array {
  return u8(fMsg(1,
    fMsg(1, attrsProto(1, RESOURCE_ATTRS), fVarint(2, 1)),
    fMsg(2, fMsg(1, fString(1, 'lib'), fString(2, '1.0'), attrsProto(3, SCOPE_ATTRS), fVarint(4, 6)), ...SPECS.map(spanProto), fString(3, 'https://scope/schema')),
    fString(3, 'https://resource/schema'),
  ));
}

function tracesJson(): unknown {
  return {
    resourceSpans: [{
      resource: { attributes: attrsJson(RESOURCE_ATTRS), droppedAttributesCount: 1 },
      scopeSpans: [{ scope: { name: 'lib', version: '1.0', attributes: attrsJson(SCOPE_ATTRS), droppedAttributesCount: 6 }, spans: SPECS.map(spanJson), schemaUrl: 'https://scope/schema' }],
      schemaUrl: 'https://resource/schema',
    }],
  };
}

describe('traces', () => {
  const wantSpan = (s: SpanSpec, idCase: (id: string) => string, ns: (v: bigint) => bigint | string): SpanInput => ({
    traceId: idCase(TRACE),
    spanId: s.spanId,
    parentSpanId: s.parent ?? '',
    name: `op-${s.spanId}`,
    kind: (['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const)[s.kind] ?? 'unspecified',
    startNs: ns(T0),
    endNs: ns(T0 + 1000n),
    status: s.statusMessage ? { code: 'error', message: s.statusMessage } : { code: (['unset', 'ok', 'error'] as const)[s.statusCode] ?? 'unset' },
    attributes: { 'http.route': '/x', n: 3, big: '1152921504606846976', ratio: 0.5, nan: 'NaN', ok: true },
    events: [{ name: 'evt', timeNs: ns(T0 + 10n), attributes: { a: 'b' }, droppedAttributesCount: 1 }],
    links: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceState: 'k=v', flags: 0x301, attributes: { l: 1 }, droppedAttributesCount: 4 }],
    resource: { attributes: { 'service.name': 'api', 'host.cpus': 8, labels: ['x'] }, droppedAttributesCount: 1, schemaUrl: 'https://resource/schema' },
    scope: { name: 'lib', version: '1.0', attributes: { 'scope.k': 'v' }, droppedAttributesCount: 6, schemaUrl: 'https://scope/schema' },
    traceState: 'congo=t61rcWkgMzE',
    flags: s.flags ?? 0, // absent on the wire = 0, not the store's default of 1
    droppedAttributesCount: 2,
    droppedEventsCount: 3,
    droppedLinksCount: 5,
  });

  it('decodes every span field from protobuf', () => {
    const d = decodeTracesProto(tracesProto());
    expect(d.rejected).toBe(0);
    expect(d.spans).toEqual(SPECS.map((s) => wantSpan(s, (x) => x, (v) => v)));
    // One resource and one scope object per ResourceSpans / ScopeSpans: the engine caches by identity.
    expect(d.spans[1].resource).toBe(d.spans[0].resource);
    expect(d.spans[2].scope).toBe(d.spans[0].scope);
  });

  it('decodes the same spans from OTLP/JSON (ns as decimal strings, ids as sent)', () => {
    const d = decodeTracesJson(tracesJson());
    expect(d.spans).toEqual(SPECS.map((s) => wantSpan(s, (x) => x.toUpperCase(), (v) => String(v))));
    expect(d.spans[1].resource).toBe(d.spans[0].resource);
  });

  it('takes enum names and int64 numbers in JSON, and skips unknown keys', () => {
    const d = decodeTracesJson({
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE, spanId: 'a'.repeat(16), kind: 'SPAN_KIND_PRODUCER', status: { code: 'STATUS_CODE_ERROR' }, startTimeUnixNano: 5, endTimeUnixNano: 6, snake_case_name: 'ignored' }] }], extra: 1 }],
    });
    expect(d.spans[0]).toMatchObject({ kind: 'producer', status: { code: 'error' }, startNs: '5', endNs: '6', flags: 0, events: [], links: [] });
  });

  it('refuses malformed JSON structure with the path of the offending value', () => {
    const cases: Array<[unknown, string]> = [
      [[], 'the body must be a JSON object'],
      [{ resourceSpans: {} }, 'resourceSpans must be an array'],
      [{ resourceSpans: [{ scopeSpans: [{ spans: [{ startTimeUnixNano: '-5' }] }] }] }, 'resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano must be epoch nanoseconds'],
      [{ resourceSpans: [{ scopeSpans: [{ spans: [{ kind: 'SERVER' }] }] }] }, 'spans[0].kind must be an enum number or one of'],
      [{ resourceSpans: [{ resource: { attributes: [{ key: 1 }] } }] }, 'resourceSpans[0].resource.attributes[0].key must be a string'],
      [{ resourceSpans: [{ scopeSpans: [{ spans: [{ flags: 2 ** 32 }] }] }] }, 'flags must be an integer in [0, 2^32)'],
    ];
    for (const [body, msg] of cases) {
      const err = errorOf(() => decodeTracesJson(body));
      expect(err, msg).toBeInstanceOf(OtlpFormatError);
      expect((err as Error).message).toContain(msg);
    }
  });
});

// ------------------------------------------------------------------ logs

interface RecordSpec {
  time?: bigint;
  observed?: bigint;
  severity?: number;
  text?: string;
  body?: Any;
  attrs?: Record<string, Any>;
  traceId?: string;
  spanId?: string;
  eventName?: string;
}

function recordProto(r: RecordSpec): Bytes {
  return fMsg(2,
    ...(r.time !== undefined ? [fFixed64(1, r.time)] : []),
    ...(r.severity !== undefined ? [fVarint(2, r.severity)] : []),
    ...(r.text !== undefined ? [fString(3, r.text)] : []),
    ...(r.body !== undefined ? [fMsg(5, anyValue(r.body))] : []),
    attrsProto(6, r.attrs ?? {}),
    fVarint(7, 3),
    fFixed32(8, 1),
    ...(r.traceId ? [fBytes(9, hexBytes(r.traceId))] : []),
    ...(r.spanId ? [fBytes(10, hexBytes(r.spanId))] : []),
    ...(r.observed !== undefined ? [fFixed64(11, r.observed)] : []),
    ...(r.eventName !== undefined ? [fString(12, r.eventName)] : []),
  );
}

function recordJson(r: RecordSpec): unknown {
  return {
    ...(r.time !== undefined ? { timeUnixNano: String(r.time) } : {}),
    ...(r.observed !== undefined ? { observedTimeUnixNano: String(r.observed) } : {}),
    ...(r.severity !== undefined ? { severityNumber: r.severity } : {}),
    ...(r.text !== undefined ? { severityText: r.text } : {}),
    ...(r.body !== undefined ? { body: anyJson(r.body) } : {}),
    attributes: attrsJson(r.attrs ?? {}),
    ...(r.traceId ? { traceId: r.traceId } : {}),
    ...(r.spanId ? { spanId: r.spanId } : {}),
    ...(r.eventName !== undefined ? { eventName: r.eventName } : {}),
  };
}

const RECORDS: Array<[RecordSpec, Record<string, unknown>]> = [
  [{ time: T0, severity: 13, text: 'WARN', body: { s: 'disk full' }, attrs: { path: { s: '/var' } }, traceId: TRACE, spanId: '00f067aa0ba902b7' },
    { tsNs: T0, level: 13, message: 'disk full', attributes: { path: '/var', 'otel.scope.name': 'app' }, traceId: TRACE, spanId: '00f067aa0ba902b7' }],
  [{ time: 0n, observed: T0 + 1n, severity: 10, text: 'INFO2', body: { kv: [['order', { i: 42 }], ['items', { arr: [{ s: 'a' }] }]] } },
    { tsNs: T0 + 1n, level: 10, message: '{"order":42,"items":["a"]}', attributes: { severity_text: 'INFO2', 'otel.scope.name': 'app' } }],
  [{ text: 'WARNING', body: { i: 12 }, eventName: 'boot' },
    { tsNs: undefined, level: 'warn', message: '12', attributes: { severity_text: 'WARNING', 'event.name': 'boot', 'otel.scope.name': 'app' } }],
  [{ severity: 0, text: 'error', body: { bytes: [1, 2, 3] } }, { level: 'error', message: 'AQID', attributes: { 'otel.scope.name': 'app' } }],
  [{ text: 'chatty' }, { level: 'info', message: '', attributes: { severity_text: 'chatty', 'otel.scope.name': 'app' } }],
  [{ severity: 30, attrs: { 'otel.scope.name': { s: 'own' }, severity_text: { s: 'own' } }, text: 'x' }, { level: 30, attributes: { 'otel.scope.name': 'own', severity_text: 'own' } }],
  [{ body: { d: 2.5 } }, { level: 'info', message: '2.5', traceId: '', spanId: '' }],
];

describe('logs', () => {
  const resource: Record<string, Any> = { 'service.name': { s: 'billing' }, 'nested': { kv: [['a', { i: 1 }]] }, 'empty': null, 'n': { d: 1.5 } };
  const proto = u8(fMsg(1, fMsg(2, ...RECORDS.map(([r]) => recordProto(r)), fMsg(1, fString(1, 'app'))), fMsg(1, attrsProto(1, resource))));
  const json = { resourceLogs: [{ resource: { attributes: attrsJson(resource) }, scopeLogs: [{ scope: { name: 'app' }, logRecords: RECORDS.map(([r]) => recordJson(r)) }] }] };

  it('maps severity, time, body, attributes and resource the same from protobuf and JSON', () => {
    const p = decodeLogsProto(proto);
    const j = decodeLogsJson(json);
    for (const d of [p, j]) {
      expect(d.entries).toHaveLength(RECORDS.length);
      RECORDS.forEach(([, want], i) => {
        const got = { ...d.entries[i], tsNs: d.entries[i].tsNs === undefined ? undefined : BigInt(d.entries[i].tsNs!) };
        expect(got, `record ${i}`).toMatchObject(want);
        if (!('attributes' in want)) return;
        expect(d.entries[i].attributes, `record ${i}`).toEqual(want.attributes);
      });
      // Flat resource: nested values as JSON text, empty values dropped; one object for the resource's records.
      expect(d.entries[0].resource).toEqual({ 'service.name': 'billing', nested: '{"a":1}', n: 1.5 });
      expect(d.entries[3].resource).toBe(d.entries[0].resource);
    }
  });
});

// ------------------------------------------------------------------ metric names

describe('Prometheus names', () => {
  it('builds metric family names as the OTLP translation does', () => {
    const cases: Array<[string, string, 'counter' | 'gauge' | 'other', string]> = [
      ['http.server.duration', 's', 'other', 'http_server_duration_seconds'],
      ['http.server.requests', '{request}', 'counter', 'http_server_requests_total'],
      ['requests.count', '1', 'counter', 'requests_count_total'],
      ['memory.usage', 'By', 'gauge', 'memory_usage_bytes'],
      ['cpu.utilization', '1', 'gauge', 'cpu_utilization_ratio'],
      ['cache.hit_ratio', '1', 'gauge', 'cache_hit_ratio'],
      ['throughput', 'By/s', 'gauge', 'throughput_bytes_per_second'],
      ['requests_total', '', 'counter', 'requests_total'],
      ['total.requests', '', 'counter', 'requests_total'],
      ['disk.io', 'By', 'counter', 'disk_io_bytes_total'],
      ['latency_seconds', 's', 'other', 'latency_seconds'],
      ['2xx.responses', '', 'gauge', '_2xx_responses'],
      ['a..b__c-d', 'ms', 'gauge', 'a_b_c_d_milliseconds'],
      ['ns:metric', 'foo/bar', 'gauge', 'ns:metric_foo_per_bar'],
      ['temp', 'Cel', 'gauge', 'temp_celsius'],
      ['events', '{event}/s', 'counter', 'events_per_second_total'],
      ['...', '', 'gauge', ''],
    ];
    for (const [name, unit, type, want] of cases) expect(promMetricName(name, unit, type), `${name} [${unit}] ${type}`).toBe(want);
  });

  it('records units as the metadata spells them', () => {
    expect(promUnit('s')).toBe('seconds');
    expect(promUnit('By/s')).toBe('bytes_per_second');
    expect(promUnit('1')).toBe('');
    expect(promUnit('{request}')).toBe('');
    expect(promUnit('%')).toBe('percent');
  });

  it('sanitizes label names', () => {
    expect(promLabelName('http.request.method')).toBe('http_request_method');
    expect(promLabelName('0day')).toBe('key_0day');
    expect(promLabelName('_private')).toBe('key_private');
    expect(promLabelName('__reserved__')).toBe('__reserved__');
    expect(promLabelName('ünïcode')).toBe('key_n_code');
    expect(promLabelName('a-b')).toBe('a_b');
    expect(promLabelName('...')).toBe('');
    expect(promLabelName('')).toBe('');
  });

  it('formats floats as Go strconv FormatFloat(v, f, -1)', () => {
    expect([0.1, 5, 1e21, 1.5e-7, -2.5e22, 1e-7, 0, Infinity, -Infinity, NaN].map(formatFloat))
      .toEqual(['0.1', '5', '1000000000000000000000', '0.00000015', '-25000000000000000000000', '0.0000001', '0', '+Inf', '-Inf', 'NaN']);
  });
});

// ------------------------------------------------------------------ metrics

const NOW_MS = 1_800_000_000_000;
const TS = 1_700_000_000_123_456_789n;
const TS_MS = 1_700_000_000_123;

type DP = Bytes;
const numberPoint = (attrs: Record<string, string | number | boolean>, value: { int?: number; double?: number }, time = TS, flags = 0): DP =>
  fMsg(1, strAttrs(7, attrs), fFixed64(2, time - 1_000_000_000n), fFixed64(3, time), ...(value.int !== undefined ? [fFixed64(6, BigInt.asUintN(64, BigInt(value.int)))] : []), ...(value.double !== undefined ? [fDouble(4, value.double)] : []), ...(flags ? [fVarint(8, flags)] : []));

function metric(name: string, unit: string, description: string, data: Bytes): Bytes {
  return fMsg(2, fString(1, name), ...(description ? [fString(2, description)] : []), ...(unit ? [fString(3, unit)] : []), data);
}

function metricsRequest(resource: Record<string, string | number | boolean>, ...metrics: Bytes[]): Uint8Array {
  return u8(fMsg(1, fMsg(1, strAttrs(1, resource)), fMsg(2, fMsg(1, fString(1, 'scope')), ...metrics)));
}

function series(d: DecodedMetrics, name: string): Array<[Record<string, string>, number]> {
  return d.points.filter((p) => p.name === name).map((p) => [p.labels, p.value]);
}

describe('metrics translation', () => {
  const RES = { 'service.name': 'api', 'service.namespace': 'shop', 'service.instance.id': 'pod-1', 'k8s.pod.name': 'pod-1', 'host.cpus': 4 };
  const ID = { job: 'shop/api', instance: 'pod-1' };

  it('gauges, sums and their metadata', () => {
    const d = decodeMetricsProto(metricsRequest(RES,
      metric('temp', 'Cel', 'Temperature.', fMsg(5, numberPoint({ room: 'a' }, { double: 21.5 }), numberPoint({ room: 'b' }, { int: -3 }))),
      metric('http.requests', '{request}', '', fMsg(7, numberPoint({ 'http.route': '/x' }, { int: 10 }), fVarint(2, 2), fVarint(3, true))),
      metric('queue.size', '1', '', fMsg(7, numberPoint({}, { int: 4 }), fVarint(2, 2))),
      metric('missing', '', '', fMsg(5, numberPoint({}, { double: NaN }), numberPoint({ skip: 'me' }, { double: 1 }, TS, 1), numberPoint({ t: 'none' }, { double: 2 }, 0n))),
    ), NOW_MS);
    expect(d.rejected).toBe(0);
    expect(series(d, 'temp_celsius')).toEqual([[{ room: 'a', ...ID }, 21.5], [{ room: 'b', ...ID }, -3]]);
    expect(series(d, 'http_requests_total')).toEqual([[{ http_route: '/x', ...ID }, 10]]);
    expect(series(d, 'queue_size')).toEqual([[ID, 4]]); // a non-monotonic sum is a gauge, no _ratio
    // NaN recorded is stored; a NO_RECORDED_VALUE point is skipped; no time -> now.
    const missing = d.points.filter((p) => p.name === 'missing');
    expect(missing.map((p) => [p.labels, p.value, p.tsMs])).toEqual([[ID, NaN, TS_MS], [{ t: 'none', ...ID }, 2, NOW_MS]]);
    expect(d.points.find((p) => p.name === 'temp_celsius')!.tsMs).toBe(TS_MS);
    expect(Object.fromEntries(d.meta)).toEqual({
      temp_celsius: { type: 'gauge', unit: 'celsius', help: 'Temperature.' },
      http_requests_total: { type: 'counter' },
      queue_size: { type: 'gauge' },
      missing: { type: 'gauge' },
      target_info: { type: 'gauge', help: 'Target metadata' },
    });
    // The rest of the resource: one target_info series, a sample at each time of the resource's points.
    const info = { k8s_pod_name: 'pod-1', host_cpus: '4', ...ID };
    expect(d.points.filter((p) => p.name === 'target_info').map((p) => [p.labels, p.value, p.tsMs])).toEqual([[info, 1, TS_MS], [info, 1, NOW_MS]]);
  });

  it('histograms as cumulative le buckets with _sum and _count', () => {
    const hp = fMsg(1, strAttrs(9, { route: '/a' }), fFixed64(3, TS), fFixed64(4, 10), fDouble(5, 12.5),
      fBytes(6, [1, 4, 0, 5].flatMap((c) => [...Buffer.from(new BigUint64Array([BigInt(c)]).buffer)])),
      fBytes(7, [0.1, 1, 10].flatMap((b) => [...Buffer.from(new Float64Array([b]).buffer)])));
    const noSum = fMsg(1, fFixed64(3, TS), fFixed64(4, 1), fFixed64(6, 1), fDouble(7, 5)); // unpacked repeated fields, no sum
    const d = decodeMetricsProto(metricsRequest({ 'service.name': 'api' }, metric('rpc.duration', 'ms', 'Latency.', fMsg(9, hp, noSum, fVarint(2, 2)))), NOW_MS);
    const route = { route: '/a', job: 'api' };
    expect(series(d, 'rpc_duration_milliseconds_bucket')).toEqual([
      [{ ...route, le: '0.1' }, 1], [{ ...route, le: '1' }, 5], [{ ...route, le: '10' }, 5], [{ ...route, le: '+Inf' }, 10],
      [{ job: 'api', le: '5' }, 1], [{ job: 'api', le: '+Inf' }, 1],
    ]);
    expect(series(d, 'rpc_duration_milliseconds_sum')).toEqual([[route, 12.5]]);
    expect(series(d, 'rpc_duration_milliseconds_count')).toEqual([[route, 10], [{ job: 'api' }, 1]]);
    expect(d.meta.get('rpc_duration_milliseconds')).toEqual({ type: 'histogram', unit: 'milliseconds', help: 'Latency.' });
    expect(d.points.some((p) => p.name === 'target_info')).toBe(false); // nothing but job to say
  });

  it('exponential histograms as classic buckets at the bucket boundaries', () => {
    // scale 1: base = sqrt(2). negative buckets -1..0, zero bucket (threshold 0.5), positive buckets 2..4.
    const ep = fMsg(1, fFixed64(3, TS), fFixed64(4, 12), fDouble(5, 20), fSint(6, 1), fFixed64(7, 2),
      fMsg(8, fSint(1, 2), fBytes(2, [3, 0, 4])),
      fMsg(9, fSint(1, -1), fBytes(2, [1, 2])),
      fDouble(14, 0.5));
    const d = decodeMetricsProto(metricsRequest({}, metric('size', 'By', '', fMsg(10, ep, fVarint(2, 2)))), NOW_MS);
    // Boundaries 2^(index/2), written out (the oracle does not share the code's arithmetic); Math.pow
    // may be 1 ulp off the correctly rounded value, so the le values are compared as numbers.
    const want: Array<[number, number]> = [
      [-1, 2], // negative bucket 0: [-sqrt2, -1)
      [-0.7071067811865476, 3], // negative bucket -1: [-1, -1/sqrt2)
      [0.5, 5], // zero bucket, threshold 0.5
      [2.8284271247461903, 8], // positive bucket 2: (2, 2 sqrt2]
      [4, 8], // positive bucket 3: (2 sqrt2, 4], empty
      [5.656854249492381, 12], // positive bucket 4: (4, 4 sqrt2]
      [Infinity, 12],
    ];
    const got = series(d, 'size_bytes_bucket');
    expect(got).toHaveLength(want.length);
    got.forEach(([labels, value], i) => {
      expect(value, labels.le).toBe(want[i][1]);
      if (labels.le === '+Inf') expect(want[i][0]).toBe(Infinity);
      else expect(Math.abs(Number(labels.le) - want[i][0]), labels.le).toBeLessThanOrEqual(Math.abs(want[i][0]) * 4e-16);
    });
    expect(series(d, 'size_bytes_count')).toEqual([[{}, 12]]);
    expect(series(d, 'size_bytes_sum')).toEqual([[{}, 20]]);
  });

  it('summaries as quantile series with _sum and _count', () => {
    const q = (quantile: number, value: number) => fMsg(6, fDouble(1, quantile), fDouble(2, value));
    const sp = fMsg(1, strAttrs(7, { op: 'read' }), fFixed64(3, TS), fFixed64(4, 100), fDouble(5, 250), q(0.5, 2), q(0.99, 9.5));
    const d = decodeMetricsProto(metricsRequest({}, metric('op.time', 's', '', fMsg(11, sp))), NOW_MS);
    expect(series(d, 'op_time_seconds')).toEqual([[{ op: 'read', quantile: '0.5' }, 2], [{ op: 'read', quantile: '0.99' }, 9.5]]);
    expect(series(d, 'op_time_seconds_sum')).toEqual([[{ op: 'read' }, 250]]);
    expect(series(d, 'op_time_seconds_count')).toEqual([[{ op: 'read' }, 100]]);
    expect(d.meta.get('op_time_seconds')?.type).toBe('summary');
  });

  it('rejects delta and unspecified temporality, bad names and label overflows, counting OTLP points', () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 64; i++) many[`a${i}`] = 'v';
    const d = decodeMetricsProto(metricsRequest({ 'service.name': 'api' },
      metric('delta.sum', '', '', fMsg(7, numberPoint({}, { int: 1 }), numberPoint({ x: '1' }, { int: 2 }), fVarint(2, 1), fVarint(3, true))),
      metric('unspec.hist', '', '', fMsg(9, fMsg(1, fFixed64(3, TS), fFixed64(4, 1)))),
      metric('...', '', '', fMsg(5, numberPoint({}, { int: 1 }))),
      metric('labels', '', '', fMsg(5, numberPoint(many, { int: 1 }), numberPoint({ '...': 'x' }, { int: 1 }), numberPoint({ ok: 'y' }, { int: 7 }))),
      metric('delta.gauge', '', '', fMsg(5, numberPoint({}, { int: 3 }), fVarint(2, 1))), // gauges ignore temporality
    ), NOW_MS);
    expect(d.rejected).toBe(2 + 1 + 1 + 2);
    expect(d.reasons[0]).toContain('invalid temporality and type combination for metric "delta.sum"');
    expect(d.reasons[1]).toContain('"unspec.hist": unspecified histogram');
    expect(d.reasons[2]).toContain('leaves no valid Prometheus name');
    expect(d.reasons[3]).toContain('labels: more than');
    expect(d.reasons[4]).toContain('leaves no valid label name');
    expect(series(d, 'labels')).toEqual([[{ ok: 'y', job: 'api' }, 7]]);
    expect(series(d, 'delta_gauge')).toEqual([[{ job: 'api' }, 3]]);
  });

  it('merges colliding label names with ";" in key order; job/instance win over attributes', () => {
    const d = decodeMetricsProto(metricsRequest({ 'service.name': 'svc', 'service.instance.id': 'i' },
      metric('g', '', '', fMsg(5, numberPoint({ 'a.b': '2', 'a-b': '1', a_b: '3', job: 'mine' }, { int: 1 })))), NOW_MS);
    expect(series(d, 'g')).toEqual([[{ a_b: '1;2;3', job: 'svc', instance: 'i' }, 1]]);
  });

  it('decodes the OTLP/JSON twin of a request to the same points', () => {
    const json = {
      resourceMetrics: [{
        resource: { attributes: attrsJson({ 'service.name': { s: 'api' } }) },
        scopeMetrics: [{ metrics: [
          { name: 'temp', unit: 'Cel', gauge: { dataPoints: [{ attributes: attrsJson({ room: { s: 'a' } }), timeUnixNano: String(TS), asDouble: 21.5 }, { timeUnixNano: String(TS), asInt: '-3' }] } },
          { name: 'rpc.duration', unit: 'ms', histogram: { aggregationTemporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE', dataPoints: [{ timeUnixNano: String(TS), count: '10', sum: 12.5, bucketCounts: ['1', 4, '0', 5], explicitBounds: [0.1, 1, 10] }] } },
          { name: 'size', unit: 'By', exponentialHistogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: String(TS), count: 12, sum: 20, scale: 1, zeroCount: 2, zeroThreshold: 0.5, positive: { offset: 2, bucketCounts: [3, 0, 4] }, negative: { offset: -1, bucketCounts: [1, 2] } }] } },
          { name: 'op.time', unit: 's', summary: { dataPoints: [{ timeUnixNano: String(TS), count: 100, sum: 250, quantileValues: [{ quantile: 0.5, value: 2 }, { quantile: 0.99, value: 9.5 }] }] } },
          { name: 'jobs', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ asInt: 1 }] } },
        ] }],
      }],
    };
    const proto = metricsRequest({ 'service.name': 'api' },
      metric('temp', 'Cel', '', fMsg(5, numberPoint({ room: 'a' }, { double: 21.5 }), numberPoint({}, { int: -3 }))),
      metric('rpc.duration', 'ms', '', fMsg(9, fMsg(1, fFixed64(3, TS), fFixed64(4, 10), fDouble(5, 12.5), ...[1, 4, 0, 5].map((c) => fFixed64(6, c)), ...[0.1, 1, 10].map((x) => fDouble(7, x))), fVarint(2, 2))),
      metric('size', 'By', '', fMsg(10, fMsg(1, fFixed64(3, TS), fFixed64(4, 12), fDouble(5, 20), fSint(6, 1), fFixed64(7, 2), fMsg(8, fSint(1, 2), fBytes(2, [3, 0, 4])), fMsg(9, fSint(1, -1), fBytes(2, [1, 2])), fDouble(14, 0.5)), fVarint(2, 2))),
      metric('op.time', 's', '', fMsg(11, fMsg(1, fFixed64(3, TS), fFixed64(4, 100), fDouble(5, 250), fMsg(6, fDouble(1, 0.5), fDouble(2, 2)), fMsg(6, fDouble(1, 0.99), fDouble(2, 9.5))))),
      metric('jobs', '', '', fMsg(7, numberPoint({}, { int: 1 }), fVarint(2, 1), fVarint(3, true))),
    );
    const j = decodeMetricsJson(json, NOW_MS);
    const p = decodeMetricsProto(proto, NOW_MS);
    expect(j.points).toEqual(p.points);
    expect(j.rejected).toBe(1);
    expect(p.rejected).toBe(1);
    expect(j.points.length).toBeGreaterThan(15);
  });
});

// ------------------------------------------------------------------ responses

describe('Export*ServiceResponse', () => {
  it('is empty when everything was accepted', () => {
    expect(encodeResponseJson('traces', { rejected: 0, errors: [] })).toBe('{}');
    expect(encodeResponseProto({ rejected: 0, errors: [] }).length).toBe(0);
  });

  it('carries partialSuccess in JSON and protobuf', () => {
    expect(JSON.parse(encodeResponseJson('logs', { rejected: 3, errors: ['entry 1: bad', 'entry 2: worse'] }))).toEqual({ partialSuccess: { rejectedLogRecords: '3', errorMessage: 'entry 1: bad; entry 2: worse' } });
    expect(JSON.parse(encodeResponseJson('metrics', { rejected: 1, errors: [] }))).toEqual({ partialSuccess: { rejectedDataPoints: '1', errorMessage: '' } });
    const big = 2 ** 40 + 5;
    const r = new ProtoReader(encodeResponseProto({ rejected: big, errors: ['é'.repeat(200)] }));
    expect(r.tag()).toBe(0x0a);
    const ps = r.message();
    expect(r.done).toBe(true);
    expect(ps.tag()).toBe(0x08);
    expect(ps.varint64()).toBe(big);
    expect(ps.tag()).toBe(0x12);
    expect(ps.string()).toBe('é'.repeat(200));
    expect(ps.done).toBe(true);
  });
});

// ------------------------------------------------------------------ fuzz

function isTyped(err: unknown): boolean {
  return err instanceof ProtobufError || err instanceof OtlpFormatError;
}

describe('malformed input', () => {
  const logsBody = u8(fMsg(1, fMsg(2, ...RECORDS.map(([r]) => recordProto(r)), fMsg(1, fString(1, 'app'))), fMsg(1, strAttrs(1, { a: 'b' }))));
  const metricsBody = metricsRequest({ 'service.name': 'api', x: 1 },
    metric('t', 'Cel', 'd', fMsg(5, numberPoint({ room: 'a' }, { double: 21.5 }))),
    metric('h', 'ms', '', fMsg(9, fMsg(1, fFixed64(3, TS), fFixed64(4, 3), fDouble(5, 1), fFixed64(6, 1), fFixed64(6, 2), fDouble(7, 5)), fVarint(2, 2))),
    metric('e', 'By', '', fMsg(10, fMsg(1, fFixed64(3, TS), fFixed64(4, 4), fSint(6, 2), fMsg(8, fSint(1, -3), fBytes(2, [1, 3]))), fVarint(2, 2))),
    metric('s', 's', '', fMsg(11, fMsg(1, fFixed64(3, TS), fFixed64(4, 1), fMsg(6, fDouble(1, 0.5), fDouble(2, 2))))));
  const decoders: Array<[string, Uint8Array, (b: Uint8Array) => unknown]> = [
    ['traces', tracesProto(), decodeTracesProto],
    ['logs', logsBody, decodeLogsProto],
    ['metrics', metricsBody, (b) => decodeMetricsProto(b, NOW_MS)],
  ];

  for (const [name, body, decode] of decoders) {
    it(`${name}: every truncation and 3000 seeded mutations decode or throw a typed error`, () => {
      expect(errorOf(() => decode(body))).toBeUndefined();
      let typed = 0;
      for (let n = 0; n < body.length; n++) {
        const err = errorOf(() => decode(body.subarray(0, n)));
        if (err !== undefined && !isTyped(err)) throw err;
        if (err !== undefined) typed++;
      }
      expect(typed).toBeGreaterThan(0); // most prefixes cut a field short
      const rand = prng(0x07e1 + name.length);
      for (let i = 0; i < 3000; i++) {
        const m = Uint8Array.from(body);
        const edits = 1 + Math.floor(rand() * 4);
        for (let e = 0; e < edits; e++) m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
        const err = errorOf(() => decode(m));
        if (err !== undefined && !isTyped(err)) throw new Error(`mutation ${i}: ${String((err as Error).stack ?? err)}`);
      }
    });
  }

  it('a length claiming more than the body, and group wire types, are typed errors', () => {
    for (const decode of [decodeTracesProto, decodeLogsProto, (b: Uint8Array) => decodeMetricsProto(b)]) {
      expect(isTyped(errorOf(() => decode(u8([0x0a, 0xff, 0xff, 0xff, 0xff, 0x07]))))).toBe(true);
      expect(isTyped(errorOf(() => decode(u8([0x0b, 0x0c]))))).toBe(true);
      expect(isTyped(errorOf(() => decode(u8([0x00]))))).toBe(true); // field number 0
    }
  });

  it('JSON: 3000 seeded structural mutations decode or throw OtlpFormatError', () => {
    const bases: Array<[unknown, (v: unknown) => unknown]> = [
      [tracesJson(), decodeTracesJson],
      [{ resourceLogs: [{ resource: { attributes: attrsJson({ a: { s: 'b' } }) }, scopeLogs: [{ scope: { name: 'x' }, logRecords: RECORDS.map(([r]) => recordJson(r)) }] }] }, decodeLogsJson],
    ];
    const rand = prng(42);
    const junk = (): unknown => [null, 1.5, -1, 'x', '12', true, [], {}, [{}], { values: 3 }, 2 ** 64, 'NaN'][Math.floor(rand() * 12)];
    /** Replaces one random node of a deep copy with junk. */
    const mutate = (v: unknown): unknown => {
      const copy = JSON.parse(JSON.stringify(v)) as unknown;
      const nodes: Array<[Record<string, unknown> | unknown[], string | number]> = [];
      const walk = (x: unknown) => {
        if (Array.isArray(x)) x.forEach((c, i) => (nodes.push([x, i]), walk(c)));
        else if (x !== null && typeof x === 'object') for (const k of Object.keys(x)) (nodes.push([x as Record<string, unknown>, k]), walk((x as Record<string, unknown>)[k]));
      };
      walk(copy);
      const [parent, key] = nodes[Math.floor(rand() * nodes.length)];
      (parent as Record<string | number, unknown>)[key] = junk();
      return copy;
    };
    for (let i = 0; i < 3000; i++) {
      const [base, decode] = bases[i % bases.length];
      const err = errorOf(() => decode(mutate(base)));
      if (err !== undefined && !(err instanceof OtlpFormatError)) throw new Error(`mutation ${i}: ${String((err as Error).stack ?? err)}`);
    }
    expect(errorOf(() => decodeMetricsJson('x'))).toBeInstanceOf(OtlpFormatError);
  });
});
