import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../bench/gen/prng.js';
import { firstSpanMismatch, randomSpan, randomSpanInput, spanAsInput, spanJson } from '../../test/traces-random-spans.js';
import { decodeSpanRecords, encodeSpanRecord, SpanRecordWriter } from './codec/span-record.js';
import { spanInputError, TracesError } from './errors.js';
import { detachedSpan, normalizeSpanInput, SpanDefaults } from './normalize.js';
import type { Span, SpanInput } from './types.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const T0 = 1_700_000_000_123_000_000n;
const MAX_NS = 2n ** 63n - 1n;
const DEFAULTS = new SpanDefaults({ 'service.name': 'api', 'host.name': 'h1' });
const MIN: SpanInput = { traceId: TRACE, spanId: SPAN, name: 'op', startNs: T0, endNs: T0 + 5n };

const norm = (input: unknown, defaults = DEFAULTS) => normalizeSpanInput(input, defaults);
const withMin = (patch: Record<string, unknown>) => norm({ ...MIN, ...patch });

/** The TracesError thrown (code + message), or undefined. */
function errorOf(fn: () => unknown): TracesError | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TracesError);
    return err as TracesError;
  }
  return undefined;
}

/** Normalized with recordChecks, then encoded (the write path): the error a caller sees. */
function writePathError(input: unknown): TracesError | undefined {
  return errorOf(() => {
    const span = normalizeSpanInput(input, DEFAULTS, { recordChecks: true });
    try {
      encodeSpanRecord(span, 1);
    } catch (err) {
      throw spanInputError(err);
    }
  });
}

describe('normalizeSpanInput', () => {
  it('fills every default: kind internal, status unset, empty parts, flags 1, the shared default resource and scope', () => {
    const s = norm(MIN);
    expect(s).toEqual({
      traceId: TRACE, spanId: SPAN, name: 'op', kind: 'internal', startNs: T0, endNs: T0 + 5n, status: { code: 'unset' },
      attributes: {}, events: [], links: [], resource: { attributes: { 'service.name': 'api', 'host.name': 'h1' }, droppedAttributesCount: 0 },
      scope: { name: '', attributes: {}, droppedAttributesCount: 0 }, flags: 1, droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 0,
    });
    expect(s.resource).toBe(DEFAULTS.resource);
    expect(s.scope).toBe(DEFAULTS.scope);
    expect(Object.isFrozen(s.resource.attributes)).toBe(true);
    for (const k of ['parentSpanId', 'traceState']) expect(k in s).toBe(false);
    expect('message' in s.status).toBe(false);
    // Explicit defaults and empty strings give the same span.
    const explicit = withMin({ kind: 'internal', status: { code: 'unset', message: '' }, attributes: {}, events: [], links: [], parentSpanId: '', traceState: '', flags: 1 });
    expect(spanJson(explicit)).toBe(spanJson(s));
  });

  it('takes times as ns (bigint or decimal string) or ms (fractions kept to the ns); ns wins', () => {
    expect(withMin({ startNs: undefined, startMs: 1000.5, endNs: undefined, endMs: 1001 })).toMatchObject({ startNs: 1_000_500_000n, endNs: 1_001_000_000n });
    expect(withMin({ startNs: undefined, startMs: 1_700_000_000_123.25, endNs: T0 + 250_000n }).startNs).toBe(1_700_000_000_123_250_000n);
    expect(withMin({ startNs: '1700000000123000001', startMs: 5 }).startNs).toBe(1_700_000_000_123_000_001n);
    expect(withMin({ startNs: 0n, endNs: MAX_NS })).toMatchObject({ startNs: 0n, endNs: MAX_NS });
    // A zero-length span is fine; events may precede the start (clock skew).
    expect(withMin({ endNs: T0, events: [{ name: 'e', timeMs: 1 }] }).events[0].timeNs).toBe(1_000_000n);
    expect(withMin({ events: [{ name: 'e', timeNs: '7', timeMs: 1 }] }).events[0].timeNs).toBe(7n);
  });

  it('rejects bad, missing and out-of-order times with INVALID_TIME naming the field', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ startNs: undefined }, 'startNs (or startMs) is required'],
      [{ endNs: undefined }, 'endNs (or endMs) is required'],
      [{ startNs: -1n }, 'startNs'], [{ startNs: 2n ** 63n }, 'startNs'], [{ startNs: '1e9' }, 'startNs'], [{ startNs: 5 }, 'startNs'],
      [{ startNs: '' }, 'startNs'], [{ startNs: '-5' }, 'startNs'], [{ startNs: '12345678901234567890' }, 'startNs'],
      [{ startNs: undefined, startMs: NaN }, 'startMs'], [{ startNs: undefined, startMs: -1 }, 'startMs'],
      [{ startNs: undefined, startMs: Infinity }, 'startMs'], [{ startNs: undefined, startMs: '5' }, 'startMs'],
      [{ startNs: undefined, startMs: 9_223_372_036_855 }, 'startMs'], [{ endNs: undefined, endMs: 5n }, 'endMs'],
      [{ endNs: T0 - 1n }, 'before startNs'],
      [{ events: [{ name: 'e' }] }, 'events[0].timeNs (or events[0].timeMs) is required'],
      [{ events: [{ name: 'e', timeNs: 1n }, { name: 'f', timeMs: -3 }] }, 'events[1].timeMs'],
    ];
    for (const [patch, field] of cases) {
      const err = errorOf(() => withMin(patch));
      expect(err?.code, field).toBe('INVALID_TIME');
      expect(err?.message).toContain(field);
    }
  });

  it('rejects every malformed field with INVALID_SPAN naming it', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cases: Array<[unknown, string]> = [
      [null, 'a span must be an object'], ['span', 'a span must be an object'], [[MIN], 'a span must be an object'],
      [{ ...MIN, traceId: undefined }, 'traceId'], [{ ...MIN, traceId: 'xyz' }, 'traceId'], [{ ...MIN, traceId: 'g'.repeat(32) }, 'traceId'],
      [{ ...MIN, traceId: '0'.repeat(32) }, 'traceId is all zero'], [{ ...MIN, spanId: '0'.repeat(16) }, 'spanId is all zero'],
      [{ ...MIN, spanId: 5 }, 'spanId'], [{ ...MIN, parentSpanId: 'abc' }, 'parentSpanId'], [{ ...MIN, parentSpanId: null }, 'parentSpanId'],
      [{ ...MIN, name: undefined }, 'name must be a string'], [{ ...MIN, name: 5 }, 'name'],
      [{ ...MIN, kind: 'SERVER' }, 'kind must be one of'], [{ ...MIN, kind: 2 }, 'kind'],
      [{ ...MIN, status: 'error' }, 'status must be an object'], [{ ...MIN, status: { code: 'ERROR' } }, 'status.code'],
      [{ ...MIN, status: { code: 2 } }, 'status.code'], [{ ...MIN, status: { message: 5 } }, 'status.message'],
      [{ ...MIN, attributes: [] }, 'attributes must be a plain object'], [{ ...MIN, attributes: new Map() }, 'attributes must be a plain object'],
      [{ ...MIN, attributes: { x: NaN } }, 'attributes.x'], [{ ...MIN, attributes: { x: 1n } }, 'attributes.x'],
      [{ ...MIN, attributes: { x: () => 1 } }, 'attributes.x'], [{ ...MIN, attributes: { x: new Date(0) } }, 'attributes.x'],
      [{ ...MIN, attributes: { x: [1, Infinity] } }, 'attributes.x.1'], [{ ...MIN, attributes: cyclic }, 'nested more than'],
      [{ ...MIN, events: {} }, 'events must be an array'], [{ ...MIN, events: [5] }, 'events[0] must be an object'],
      [{ ...MIN, events: [{ timeNs: 1n }] }, 'events[0].name'], [{ ...MIN, events: [{ name: 'e', timeNs: 1n, attributes: { y: NaN } }] }, 'events[0].attributes.y'],
      [{ ...MIN, events: [{ name: 'e', timeNs: 1n, droppedAttributesCount: -1 }] }, 'events[0].droppedAttributesCount'],
      [{ ...MIN, links: 'x' }, 'links must be an array'], [{ ...MIN, links: [null] }, 'links[0] must be an object'],
      [{ ...MIN, links: [{ traceId: TRACE, spanId: 'zz' }] }, 'links[0].spanId'], [{ ...MIN, links: [{ spanId: SPAN }] }, 'links[0].traceId'],
      [{ ...MIN, links: [{ traceId: TRACE, spanId: SPAN, flags: -1 }] }, 'links[0].flags'],
      [{ ...MIN, links: [{ traceId: TRACE, spanId: SPAN, traceState: 1 }] }, 'links[0].traceState'],
      [{ ...MIN, links: [{ traceId: TRACE, spanId: SPAN, attributes: { z: Symbol('s') } }] }, 'links[0].attributes.z'],
      [{ ...MIN, resource: 'svc' }, 'resource must be an object'], [{ ...MIN, resource: { attributes: [] } }, 'resource.attributes'],
      [{ ...MIN, resource: { attributes: { r: NaN } } }, 'resource.attributes.r'], [{ ...MIN, resource: { schemaUrl: 1 } }, 'resource.schemaUrl'],
      [{ ...MIN, resource: { droppedAttributesCount: 1.5 } }, 'resource.droppedAttributesCount'],
      [{ ...MIN, scope: 'lib' }, 'scope must be an object'], [{ ...MIN, scope: { name: 1 } }, 'scope.name'], [{ ...MIN, scope: { version: 2 } }, 'scope.version'],
      [{ ...MIN, scope: { attributes: { s: 1n } } }, 'scope.attributes.s'], [{ ...MIN, scope: { droppedAttributesCount: -1 } }, 'scope.droppedAttributesCount'],
      [{ ...MIN, traceState: 5 }, 'traceState'], [{ ...MIN, flags: 2 ** 32 }, 'flags'], [{ ...MIN, flags: 1.5 }, 'flags'], [{ ...MIN, flags: '1' }, 'flags'],
      [{ ...MIN, droppedAttributesCount: -1 }, 'droppedAttributesCount'], [{ ...MIN, droppedEventsCount: 2 ** 32 }, 'droppedEventsCount'],
      [{ ...MIN, droppedLinksCount: NaN }, 'droppedLinksCount'],
    ];
    for (const [input, field] of cases) {
      const err = errorOf(() => norm(input));
      expect(err?.code, field).toBe('INVALID_SPAN');
      expect(err?.message, field).toContain(field);
    }
  });

  it('applies the same rules on the write path (recordChecks + record writer), naming the field', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ traceId: 'g'.repeat(32) }, 'traceId'], [{ spanId: 'zz'.repeat(8) }, 'spanId'], [{ parentSpanId: 'x'.repeat(16) }, 'parentSpanId'],
      [{ attributes: { x: NaN } }, 'attributes.x'], [{ attributes: { x: [1n] } }, 'attributes.x'], [{ attributes: new Map() }, 'attributes'],
      [{ events: [{ name: 'e', timeNs: 1n }, { name: 'f', timeNs: 2n, attributes: { y: Infinity } }] }, 'events[1].attributes.y'],
      [{ links: [{ traceId: 'q'.repeat(32), spanId: SPAN }] }, 'links[0].traceId'],
      [{ links: [{ traceId: TRACE, spanId: SPAN, attributes: { z: () => 1 } }] }, 'links[0].attributes.z'],
      [{ traceId: '0'.repeat(32) }, 'traceId is all zero'], [{ flags: -1 }, 'flags'], [{ resource: { attributes: { r: NaN } } }, 'resource.attributes.r'],
    ];
    for (const [patch, field] of cases) {
      const err = writePathError({ ...MIN, ...patch });
      expect(err?.code, field).toBe('INVALID_SPAN');
      expect(err?.message, field).toContain(field);
    }
    // Times stay normalize's own checks.
    expect(writePathError({ ...MIN, endNs: 1n })?.code).toBe('INVALID_TIME');
    expect(spanInputError(new Error('x'))).toBeInstanceOf(Error);
  });

  it('lowercases ids, keeps all-zero link ids, and treats an all-zero or empty parent as none', () => {
    const s = withMin({
      traceId: TRACE.toUpperCase(), spanId: SPAN.toUpperCase(), parentSpanId: 'ABCDEF0123456789',
      links: [{ traceId: '0'.repeat(32), spanId: '0'.repeat(16), attributes: { why: 'invalid context with attributes' } }],
    });
    expect([s.traceId, s.spanId, s.parentSpanId]).toEqual([TRACE, SPAN, 'abcdef0123456789']);
    expect(s.links[0]).toEqual({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), flags: 0, attributes: { why: 'invalid context with attributes' }, droppedAttributesCount: 0 });
    for (const parentSpanId of ['', '0000000000000000', undefined]) expect('parentSpanId' in withMin({ parentSpanId })).toBe(false);
  });

  it('keeps optional strings only when non-empty, and gives lone surrogates U+FFFD as UTF-8 storage does', () => {
    const s = withMin({ name: 'a\ud800b', status: { code: 'error', message: 'boom' }, traceState: 'k=v', events: [{ name: '\udfff', timeNs: 1n }] });
    expect(s.name).toBe('a\ufffdb');
    expect(s.events[0].name).toBe('\ufffd');
    expect(s.status).toEqual({ code: 'error', message: 'boom' });
    expect(s.traceState).toBe('k=v');
    const back = decodeSpanRecords(encodeSpanRecord(s, 1)).spans[0];
    expect(firstSpanMismatch([back], [s])).toBeUndefined();
    // Attribute values keep them (record-attrs.ts stores such strings as JSON text).
    expect(withMin({ attributes: { v: 'x\ud800' } }).attributes.v).toBe('x\ud800');
  });

  it('copies attributes as JSON keeps them, so later caller mutations do not reach the store', () => {
    const nested = { a: [1, { b: 'c' }, undefined], d: null, u: undefined };
    const attrs = { n: nested, u: undefined, z: -0, i: 3 };
    const s = withMin({ attributes: attrs, events: [{ name: 'e', timeNs: 1n, attributes: attrs }] });
    nested.a.push(2);
    (nested as Record<string, unknown>).d = 'changed';
    const want = { n: { a: [1, { b: 'c' }, null], d: null }, z: 0, i: 3 };
    expect(isDeepStrictEqual(s.attributes, want)).toBe(true);
    expect(isDeepStrictEqual(s.events[0].attributes, want)).toBe(true);
    expect(Object.is(s.attributes.z, 0)).toBe(true);
    const proto = norm({ ...MIN, attributes: JSON.parse('{"__proto__": {"polluted": 1}, "k": 2}') });
    expect(Object.keys(proto.attributes)).toEqual(['__proto__', 'k']);
    expect(Object.getPrototypeOf(proto.attributes)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('merges the resource over the default (caller keys win, default order first) and keeps scope fields', () => {
    const s = withMin({ resource: { attributes: { zone: 'b', 'service.name': 'worker' }, droppedAttributesCount: 2, schemaUrl: 'https://s/1' } });
    expect(s.resource).toEqual({ attributes: { 'service.name': 'worker', 'host.name': 'h1', zone: 'b' }, droppedAttributesCount: 2, schemaUrl: 'https://s/1' });
    expect(Object.keys(s.resource.attributes)).toEqual(['service.name', 'host.name', 'zone']);
    expect(withMin({ resource: {} }).resource).toBe(DEFAULTS.resource);
    expect(withMin({ resource: { attributes: {}, schemaUrl: '' } }).resource).toBe(DEFAULTS.resource);
    const sc = withMin({ scope: { name: 'pg', version: '1.0', schemaUrl: '', attributes: { a: 1 }, droppedAttributesCount: 1 } }).scope;
    expect(sc).toEqual({ name: 'pg', version: '1.0', attributes: { a: 1 }, droppedAttributesCount: 1 });
    expect(withMin({ scope: { name: '' } }).scope).toBe(DEFAULTS.scope);
    expect(() => new SpanDefaults({ bad: NaN })).toThrow(TypeError);
    expect(() => new SpanDefaults([] as unknown as Record<string, never>)).toThrow(TypeError);
  });

  it('caches merged resources per caller object and notices every mutation of it', () => {
    const d = new SpanDefaults({ 'service.name': 'dflt' });
    const attrs: Record<string, unknown> = { 'service.name': 'api', args: ['node', 'x.js'], obj: { k: [1] } };
    const res: Record<string, unknown> = { attributes: attrs, schemaUrl: 'u1' };
    const r1 = norm({ ...MIN, resource: res }, d).resource;
    expect(norm({ ...MIN, resource: res }, d).resource).toBe(r1);
    // A fresh wrapper around the same attributes object still hits (an adapter may wrap per span).
    expect(norm({ ...MIN, resource: { attributes: attrs, schemaUrl: 'u1' } }, d).resource).toBe(r1);
    expect(Object.isFrozen(r1) && Object.isFrozen(r1.attributes) && Object.isFrozen(r1.attributes.args)).toBe(true);
    const mutations: Array<[() => void, (r: Span['resource']) => boolean]> = [
      [() => { attrs['service.name'] = 'api2'; }, (r) => r.attributes['service.name'] === 'api2'],
      [() => { attrs.extra = 1; }, (r) => r.attributes.extra === 1],
      [() => { delete attrs.extra; }, (r) => !('extra' in r.attributes)],
      [() => { (attrs.args as string[]).push('--flag'); }, (r) => (r.attributes.args as string[]).length === 3],
      [() => { ((attrs.obj as { k: number[] }).k)[0] = 2; }, (r) => isDeepStrictEqual(r.attributes.obj, { k: [2] })],
      [() => { res.schemaUrl = 'u2'; }, (r) => r.schemaUrl === 'u2'],
      [() => { res.droppedAttributesCount = 4; }, (r) => r.droppedAttributesCount === 4],
      [() => { res.attributes = { 'service.name': 'new' }; }, (r) => r.attributes['service.name'] === 'new' && !('args' in r.attributes)],
    ];
    let prev = r1;
    for (const [mutate, check] of mutations) {
      mutate();
      const r = norm({ ...MIN, resource: res }, d).resource;
      expect(r).not.toBe(prev);
      expect(check(r)).toBe(true);
      expect(norm({ ...MIN, resource: res }, d).resource).toBe(r); // cached again
      prev = r;
    }
    // The caller's object turning invalid is noticed too.
    (res.attributes as Record<string, unknown>).bad = NaN;
    expect(errorOf(() => norm({ ...MIN, resource: res }, d))?.code).toBe('INVALID_SPAN');
  });

  it('skips the content check only for deep-frozen attributes: a frozen outer object with a mutable value inside is still checked', () => {
    const d = new SpanDefaults();
    const frozen = Object.freeze({ 'service.name': 'api', args: Object.freeze(['node']) });
    const r1 = norm({ ...MIN, resource: { attributes: frozen } }, d).resource;
    expect(norm({ ...MIN, resource: { attributes: frozen } }, d).resource).toBe(r1);
    const inner = ['node'];
    const shallow = Object.freeze({ 'service.name': 'api', args: inner });
    const r2 = norm({ ...MIN, resource: { attributes: shallow } }, d).resource;
    inner.push('--flag');
    const r3 = norm({ ...MIN, resource: { attributes: shallow } }, d).resource;
    expect(r3).not.toBe(r2);
    expect(r3.attributes.args).toEqual(['node', '--flag']);
  });

  it('caches scopes per caller object and notices mutations', () => {
    const d = new SpanDefaults();
    const scope: Record<string, unknown> = { name: 'http', version: '1' };
    const s1 = norm({ ...MIN, scope }, d).scope;
    expect(norm({ ...MIN, scope }, d).scope).toBe(s1);
    scope.version = '2';
    const s2 = norm({ ...MIN, scope }, d).scope;
    expect(s2).toEqual({ name: 'http', version: '2', attributes: {}, droppedAttributesCount: 0 });
    scope.attributes = { tags: ['a'] };
    const s3 = norm({ ...MIN, scope }, d).scope;
    expect(s3.attributes).toEqual({ tags: ['a'] });
    (scope.attributes as { tags: string[] }).tags.push('b');
    expect(norm({ ...MIN, scope }, d).scope.attributes).toEqual({ tags: ['a', 'b'] });
  });

  it('hands out detached copies of write-path spans (attributes copied, ids lowercase)', () => {
    const attrs = { a: [1], u: undefined };
    const s = normalizeSpanInput({ ...MIN, traceId: TRACE.toUpperCase(), attributes: attrs, links: [{ traceId: TRACE.toUpperCase(), spanId: SPAN, attributes: attrs }] }, DEFAULTS, { recordChecks: true });
    expect(s.attributes).toBe(attrs); // not copied: the writer encodes it before write() returns
    const d = detachedSpan(s);
    attrs.a.push(2);
    expect(d.traceId).toBe(TRACE);
    expect(d.links[0].traceId).toBe(TRACE);
    expect(isDeepStrictEqual(d.attributes, { a: [1] })).toBe(true);
    expect(isDeepStrictEqual(d.links[0].attributes, { a: [1] })).toBe(true);
    expect(spanJson(d)).toBe(spanJson(decodeSpanRecords(encodeSpanRecord(normalizeSpanInput({ ...MIN, attributes: { a: [1] }, links: [{ traceId: TRACE, spanId: SPAN, attributes: { a: [1] } }] }, DEFAULTS), 1)).spans[0]));
  });

  it('normalizes 2,000 random inputs to the stored form: equal to the span they spell and to its record round trip', () => {
    const rng = new Prng(555);
    const empty = new SpanDefaults();
    const w = new SpanRecordWriter(1024, false, true);
    const want: Span[] = [];
    for (let i = 0; i < 2000; i++) {
      const span = randomSpan(rng);
      const input = spanAsInput(span, rng);
      const s = normalizeSpanInput(input, empty);
      const mismatch = firstSpanMismatch([s], [span]);
      if (mismatch !== undefined) throw new Error(`input ${i}: ${mismatch}`);
      // The write path: no copies, checks left to the writer; what it stores is the same span.
      w.append(normalizeSpanInput(input, empty, { recordChecks: true }), i);
      want.push(span);
    }
    expect(firstSpanMismatch(decodeSpanRecords(w.bytes()).spans, want)).toBeUndefined();
    // randomSpanInput spells a random span too.
    expect(() => normalizeSpanInput(randomSpanInput(rng), empty)).not.toThrow();
  });
});
