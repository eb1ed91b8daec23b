// The Jaeger UI model and query-parameter formats (src/server/protocols/jaeger.ts), against answers
// written out by hand from the OTel Collector's OTLP -> Jaeger translation rules.
import { describe, expect, it } from 'vitest';
import {
  JaegerParamError, jaegerTag, jaegerTraceId, parseGoDurationNs, parseJaegerTags, parseJaegerTraceId, toJaegerTrace, NO_SERVICE_NAME,
} from '../src/server/protocols/jaeger.js';
import { compileTagFilters } from '../src/server/routes/jaeger.js';
import type { Span } from '../src/traces/types.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SHORT_TRACE = '00000000000000000123456789abcdef';

function span(over: Partial<Span>): Span {
  return {
    traceId: TRACE,
    spanId: '00f067aa0ba902b7',
    name: 'op',
    kind: 'internal',
    startNs: 1_700_000_000_123_456_789n,
    endNs: 1_700_000_000_125_000_999n,
    status: { code: 'unset' },
    attributes: {},
    events: [],
    links: [],
    resource: { attributes: { 'service.name': 'svc' }, droppedAttributesCount: 0 },
    scope: { name: '', attributes: {}, droppedAttributesCount: 0 },
    flags: 0,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
    ...over,
  };
}

describe('toJaegerTrace', () => {
  it('maps every span field the way the OTLP translator does', () => {
    const root = span({
      spanId: '1111111111111111',
      name: 'GET /orders/:id',
      kind: 'server',
      status: { code: 'error', message: 'upstream timed out' },
      traceState: 'vendor=abc',
      flags: 0x301, // sampled + OTLP has-is-remote/is-remote bits: Jaeger shows the W3C byte
      attributes: { 'http.request.method': 'GET', 'http.response.status_code': 504, ratio: 0.25, cached: false, tags: ['a', 'b'], extra: { k: 1 }, nothing: null },
      events: [
        { name: 'exception', timeNs: 1_700_000_000_124_000_500n, attributes: { 'exception.type': 'TimeoutError' }, droppedAttributesCount: 0 },
        { name: 'custom', timeNs: 1_700_000_000_124_999_999n, attributes: { event: 'already named' }, droppedAttributesCount: 0 },
      ],
      links: [{ traceId: SHORT_TRACE, spanId: '2222222222222222', flags: 1, attributes: {}, droppedAttributesCount: 0 }],
      resource: { attributes: { 'host.name': 'pod-1', 'service.name': 'frontend', 'process.pid': 7 }, droppedAttributesCount: 0 },
      scope: { name: '@opentelemetry/instrumentation-http', version: '0.208.0', attributes: { ignored: true }, droppedAttributesCount: 0 },
      droppedAttributesCount: 2,
      droppedEventsCount: 1,
    });
    const child = span({
      spanId: '3333333333333333',
      parentSpanId: '1111111111111111',
      name: 'SELECT',
      kind: 'client',
      status: { code: 'ok' },
      startNs: 1_700_000_000_123_999_999n,
      endNs: 1_700_000_000_123_999_999n,
      links: [
        // A link to the parent with opentracing.ref_type only changes the parent reference's type...
        { traceId: TRACE, spanId: '1111111111111111', flags: 0, attributes: { 'opentracing.ref_type': 'follows_from' }, droppedAttributesCount: 0 },
        // ...and another one marked child_of stays CHILD_OF.
        { traceId: TRACE, spanId: '4444444444444444', flags: 0, attributes: { 'opentracing.ref_type': 'child_of' }, droppedAttributesCount: 0 },
      ],
      resource: { attributes: { 'host.name': 'pod-1', 'service.name': 'frontend', 'process.pid': 7 }, droppedAttributesCount: 0 },
    });
    const other = span({
      spanId: '5555555555555555',
      parentSpanId: '3333333333333333',
      kind: 'unspecified',
      resource: { attributes: { 'host.name': 'db-0' }, droppedAttributesCount: 0 },
    });
    const t = toJaegerTrace(TRACE, [root, child, other], ['a block was skipped']);
    expect(t).toEqual({
      traceID: TRACE,
      warnings: ['a block was skipped'],
      processes: {
        p1: {
          serviceName: 'frontend',
          tags: [
            { key: 'host.name', type: 'string', value: 'pod-1' },
            { key: 'process.pid', type: 'int64', value: 7 },
          ],
        },
        p2: { serviceName: NO_SERVICE_NAME, tags: [{ key: 'host.name', type: 'string', value: 'db-0' }] },
      },
      spans: [
        {
          traceID: TRACE,
          spanID: '1111111111111111',
          flags: 1,
          operationName: 'GET /orders/:id',
          references: [{ refType: 'FOLLOWS_FROM', traceID: '0123456789abcdef', spanID: '2222222222222222' }],
          startTime: 1_700_000_000_123_456,
          duration: 1544, // (125_000_999 - 123_456_789) ns = 1544.21 µs, truncated
          tags: [
            { key: 'otel.scope.name', type: 'string', value: '@opentelemetry/instrumentation-http' },
            { key: 'otel.scope.version', type: 'string', value: '0.208.0' },
            { key: 'http.request.method', type: 'string', value: 'GET' },
            { key: 'http.response.status_code', type: 'int64', value: 504 },
            { key: 'ratio', type: 'float64', value: 0.25 },
            { key: 'cached', type: 'bool', value: false },
            { key: 'tags', type: 'string', value: '["a","b"]' },
            { key: 'extra', type: 'string', value: '{"k":1}' },
            { key: 'nothing', type: 'string', value: '' },
            { key: 'span.kind', type: 'string', value: 'server' },
            { key: 'otel.status_code', type: 'string', value: 'ERROR' },
            { key: 'error', type: 'bool', value: true },
            { key: 'otel.status_description', type: 'string', value: 'upstream timed out' },
            { key: 'w3c.tracestate', type: 'string', value: 'vendor=abc' },
          ],
          logs: [
            {
              timestamp: 1_700_000_000_124_000,
              fields: [
                { key: 'event', type: 'string', value: 'exception' },
                { key: 'exception.type', type: 'string', value: 'TimeoutError' },
              ],
            },
            { timestamp: 1_700_000_000_124_999, fields: [{ key: 'event', type: 'string', value: 'already named' }] },
          ],
          processID: 'p1',
          warnings: [
            'the SDK dropped 2 attribute(s) of this span (attribute limit)',
            'the SDK dropped 1 event(s) (logs) of this span (event limit)',
          ],
        },
        {
          traceID: TRACE,
          spanID: '3333333333333333',
          operationName: 'SELECT',
          references: [
            { refType: 'FOLLOWS_FROM', traceID: TRACE, spanID: '1111111111111111' },
            { refType: 'CHILD_OF', traceID: TRACE, spanID: '4444444444444444' },
          ],
          startTime: 1_700_000_000_123_999,
          duration: 0,
          tags: [
            { key: 'span.kind', type: 'string', value: 'client' },
            { key: 'otel.status_code', type: 'string', value: 'OK' },
          ],
          logs: [],
          processID: 'p1',
          warnings: null,
        },
        {
          traceID: TRACE,
          spanID: '5555555555555555',
          operationName: 'op',
          references: [{ refType: 'CHILD_OF', traceID: TRACE, spanID: '3333333333333333' }],
          startTime: 1_700_000_000_123_456,
          duration: 1544,
          tags: [],
          logs: [],
          processID: 'p2',
          warnings: null,
        },
      ],
    });
    // Key order of a span as Jaeger's JSON writes it (flags right after the ids, omitted when 0).
    expect(Object.keys(t.spans[0])).toEqual(['traceID', 'spanID', 'flags', 'operationName', 'references', 'startTime', 'duration', 'tags', 'logs', 'processID', 'warnings']);
    expect(toJaegerTrace(TRACE, []).warnings).toBeNull();
  });

  it('prints 64-bit trace ids with 16 digits and reads both forms back', () => {
    expect(jaegerTraceId(SHORT_TRACE)).toBe('0123456789abcdef');
    expect(jaegerTraceId(TRACE)).toBe(TRACE);
    expect(toJaegerTrace(SHORT_TRACE, [span({ traceId: SHORT_TRACE })]).spans[0].traceID).toBe('0123456789abcdef');
    expect(parseJaegerTraceId('0123456789ABCDEF')).toBe(SHORT_TRACE);
    expect(parseJaegerTraceId(TRACE.toUpperCase())).toBe(TRACE);
    expect(parseJaegerTraceId('1')).toBe('0'.repeat(31) + '1');
    for (const bad of ['', 'xyz', `${TRACE}0`, '12 34']) expect(parseJaegerTraceId(bad)).toBeUndefined();
  });

  it('types tags as Jaeger does', () => {
    expect(jaegerTag('k', 3)).toEqual({ key: 'k', type: 'int64', value: 3 });
    expect(jaegerTag('k', -2.5)).toEqual({ key: 'k', type: 'float64', value: -2.5 });
    expect(jaegerTag('k', 2 ** 60)).toEqual({ key: 'k', type: 'float64', value: 2 ** 60 }); // not a safe integer
    expect(jaegerTag('k', true)).toEqual({ key: 'k', type: 'bool', value: true });
    expect(jaegerTag('k', [1, { a: 'b' }])).toEqual({ key: 'k', type: 'string', value: '[1,{"a":"b"}]' });
  });
});

describe('query parameters', () => {
  it('reads Go durations exactly', () => {
    const cases: Array<[string, bigint]> = [
      ['0', 0n],
      ['1ns', 1n],
      ['1.2ms', 1_200_000n],
      ['500us', 500_000n],
      ['500µs', 500_000n],
      ['500μs', 500_000n],
      ['10s', 10_000_000_000n],
      ['1h30m', 5_400_000_000_000n],
      ['1.5h', 5_400_000_000_000n],
      ['.5s', 500_000_000n],
      ['1.0000000009s', 1_000_000_000n], // below the ns: truncated
      ['+2m', 120_000_000_000n],
    ];
    for (const [text, ns] of cases) expect(parseGoDurationNs(text), text).toBe(ns);
    for (const bad of ['', '5', 'ms', '1d', '1 s', '-1s', '1.2.3s', 's1']) expect(() => parseGoDurationNs(bad), bad).toThrow(JaegerParamError);
    expect(parseGoDurationNs('2d', { days: true })).toBe(172_800_000_000_000n);
  });

  it('reads tags as JSON, logfmt and tag=key:value', () => {
    const m = parseJaegerTags(['{"error":"true","http.status_code":500}'], ['a:b:c']);
    expect([...m]).toEqual([['a', 'b:c'], ['error', 'true'], ['http.status_code', '500']]);
    expect([...parseJaegerTags(['error=true  name="a \\"b\\" c" x=1'], [])]).toEqual([['error', 'true'], ['name', 'a "b" c'], ['x', '1']]);
    expect([...parseJaegerTags(['  '], [])]).toEqual([]);
    for (const bad of ['{bad', '[1]', '{"a":{"b":1}}', 'novalue', 'k="open', '=v']) expect(() => parseJaegerTags([bad], []), bad).toThrow(JaegerParamError);
    expect(() => parseJaegerTags([], ['nocolon'])).toThrow(JaegerParamError);
  });

  it('compiles synthesized tags to span fields and the rest to attribute filters', () => {
    const c = compileTagFilters(new Map([['error', 'true'], ['span.kind', 'client'], ['http.route', '/x'], ['otel.scope.name', 's']]), { service: 'a' });
    expect(c.query).toEqual({ service: 'a', status: 'error', kind: 'client', attributes: { 'http.route': '/x' } });
    expect(c.post).toHaveLength(1);
    expect(c.post[0](span({ scope: { name: 's', attributes: {}, droppedAttributesCount: 0 } }))).toBe(true);
    expect(c.post[0](span({}))).toBe(false);
    expect(c.impossible).toBe(false);
    for (const tags of [
      [['error', 'true'], ['otel.status_code', 'OK']],
      [['span.kind', 'bogus']],
      [['error', 'maybe']],
      [['error', 'false'], ['otel.status_code', 'ERROR']],
    ] as Array<Array<[string, string]>>) {
      expect(compileTagFilters(new Map(tags), {}).impossible, JSON.stringify(tags)).toBe(true);
    }
    const notError = compileTagFilters(new Map([['error', 'false']]), {});
    expect(notError.post[0](span({ status: { code: 'error' } }))).toBe(false);
    expect(notError.post[0](span({ status: { code: 'ok' } }))).toBe(true);
  });
});
