// Seeded spans for the traces codec's and normalize's property tests: every OTel field, populated in
// random combinations: nasty names (logs-random-entries.ts), unicode, empty strings, extreme and
// zero-length times, events before the start, many events/links, nested attribute values, awkward
// keys, lone surrogates in attribute values (record-attrs.ts keeps them), shared and fresh
// resources/scopes (so writers chain and caches hit). randomSpan() returns the STORED form (what
// decode and normalize produce); spanAsInput() spells one as a write() input in random ways.
import { inspect, isDeepStrictEqual } from 'node:util';
import type { Prng } from '../bench/gen/prng.js';
import { SPAN_KINDS, STATUS_CODES } from '../src/traces/types.js';
import type {
  AttrValue, Attributes, InstrumentationScope, Span, SpanEvent, SpanEventInput, SpanInput, SpanLink, SpanLinkInput, SpanResource,
} from '../src/traces/types.js';
import { nastyMessage } from './logs-random-entries.js';

const MAX_NS = 2n ** 63n - 1n;
const NS_PER_MS = 1_000_000n;

const NAMES = ['GET /api/items/:id', 'POST /checkout', 'SELECT shop.orders', 'pg.query:SELECT', 'redis-GET', 'orders send',
  'middleware - query', 'HTTP GET', '', 'é', '日本語 span', '😀👍🏽', 'a\u0301', ' ', '\u0000', 'x'.repeat(200)];
const KEYS = ['http.request.method', 'http.route', 'http.response.status_code', 'url.full', 'server.address', 'db.system',
  'db.statement', 'messaging.system', 'error', 'retry', 'tags', 'nested', '', '0', '1', '10', '__proto__', 'constructor',
  'é', 'a.b.c', 'x y', '😀'];
/** Lone surrogates: UTF-8 has no form for them, record-attrs.ts stores them as JSON text. */
const LONE = ['\ud800', 'a\udfffb', '\udc00\ud800'];
const TRACE_STATES = ['rojo=00f067aa0ba902b7,congo=t61rcWkgMzE', 'vendor=x', 'a=1,b=2,c=3'];

/** A hex id that is not all zero (normalize refuses those for trace and span ids). */
export function nonZeroHex(rng: Prng, chars: number): string {
  const s = rng.hex(chars);
  return /^0+$/.test(s) ? `${s.slice(0, -1)}1` : s;
}

function nonEmpty(s: string): string {
  return s === '' ? 'x' : s;
}

function randomName(rng: Prng): string {
  return rng.float() < 0.5 ? rng.pick(NAMES) : nastyMessage(rng);
}

function randomValue(rng: Prng, depth: number): AttrValue {
  switch (rng.u32() % (depth > 2 ? 8 : 10)) {
    case 0: return nastyMessage(rng);
    case 1: return rng.pick(['GET', 'POST', '/api/items/:id', '200', '', 'true', '007', 'postgresql']);
    case 2: return rng.int(-1000, 100000);
    case 3: return rng.pick([0, -1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 53, -(2 ** 53), 2 ** 60, 1e21, 1.5, 0.1, -2.5e-8, Number.MAX_VALUE, Number.MIN_VALUE]);
    case 4: return rng.normal() * 1000;
    case 5: return rng.float() < 0.5;
    case 6: return null;
    case 7: return rng.float() < 0.1 ? rng.pick(LONE) : String(rng.int(0, 1e9));
    case 8: {
      const a: AttrValue[] = [];
      for (let i = rng.int(0, 4); i > 0; i--) a.push(randomValue(rng, depth + 1));
      return a;
    }
    default: return randomAttributes(rng, 4, depth + 1);
  }
}

/** Up to maxKeys members (repeated keys keep their first position, as assignment does). */
export function randomAttributes(rng: Prng, maxKeys: number, depth = 0): Attributes {
  const o: Attributes = {};
  for (let i = rng.int(0, maxKeys); i > 0; i--) {
    const key = rng.float() < 0.01 ? rng.pick(LONE) : rng.pick(KEYS);
    // defineProperty: a '__proto__' key must become an own property, as JSON.parse makes it.
    Object.defineProperty(o, key, { value: randomValue(rng, depth), enumerable: true, writable: true, configurable: true });
  }
  return o;
}

function randomStart(rng: Prng): bigint {
  if (rng.float() < 0.05) return rng.pick([0n, 1n, MAX_NS, MAX_NS - 1n, 2n ** 53n, 999_999n, 2n ** 62n]);
  return 1_700_000_000_000_000_000n + BigInt(rng.int(0, 1e12)) * 1000n + BigInt(rng.pick([0, 0, rng.int(0, 999)]));
}

function randomDuration(rng: Prng, startNs: bigint): bigint {
  const room = MAX_NS - startNs;
  const r = rng.float();
  const d =
    r < 0.1 ? 0n
    : r < 0.13 ? room
    : r < 0.16 ? BigInt(rng.int(0, 2 ** 53)) * BigInt(rng.int(1, 1000))
    : r < 0.4 ? BigInt(rng.int(1, 999)) * NS_PER_MS
    : BigInt(rng.int(1, 5e9));
  return d < room ? d : room;
}

function clampNs(v: bigint): bigint {
  return v < 0n ? 0n : v > MAX_NS ? MAX_NS : v;
}

function randomEvent(rng: Prng, startNs: bigint, endNs: bigint): SpanEvent {
  const r = rng.float();
  // Mostly inside the span; some before its start or after its end (clock skew), some extreme.
  const timeNs =
    r < 0.05 ? rng.pick([0n, MAX_NS])
    : r < 0.15 ? clampNs(startNs - BigInt(rng.int(1, 1e9)))
    : clampNs(startNs + ((endNs - startNs) * BigInt(rng.int(0, 1000))) / 1000n + BigInt(rng.int(0, 5)));
  return { name: randomName(rng), timeNs, attributes: randomAttributes(rng, rng.float() < 0.5 ? 0 : 5), droppedAttributesCount: randomCount(rng) };
}

function randomLink(rng: Prng): SpanLink {
  const zero = rng.float() < 0.1; // OTel records links to invalid contexts that carry attributes
  const traceId = zero ? '0'.repeat(32) : rng.hex(32);
  const spanId = zero ? '0'.repeat(16) : rng.hex(16);
  const flags = rng.pick([0, 0, 1, 0x101, 0x301, 0xffffffff, rng.u32()]);
  const attributes = randomAttributes(rng, rng.float() < 0.5 ? 0 : 4);
  const droppedAttributesCount = randomCount(rng);
  return rng.float() < 0.3
    ? { traceId, spanId, traceState: rng.float() < 0.5 ? rng.pick(TRACE_STATES) : nonEmpty(nastyMessage(rng)), flags, attributes, droppedAttributesCount }
    : { traceId, spanId, flags, attributes, droppedAttributesCount };
}

function randomCount(rng: Prng): number {
  return rng.float() < 0.85 ? 0 : rng.pick([1, 7, 128, 0xffffffff, rng.u32()]);
}

function manyOf<T>(rng: Prng, pNone: number, make: () => T): T[] {
  const r = rng.float();
  const n = r < pNone ? 0 : r < pNone + (1 - pNone) * 0.7 ? rng.int(1, 3) : r < 0.98 ? rng.int(4, 20) : rng.int(50, 200);
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(make());
  return out;
}

/** Shared resources (spans of one app share a few: writers chain them, caches hit). */
const RESOURCES: SpanResource[] = [
  { attributes: { 'service.name': 'api', 'host.name': 'api-1' }, droppedAttributesCount: 0 },
  { attributes: { 'service.name': 'api', 'host.name': 'api-2', 'service.version': '1.2.3', 'process.command_args': ['node', '--x', 'é'] }, droppedAttributesCount: 0 },
  { attributes: { 'service.name': 'worker', 'host.name': 'w-1', 'process.pid': 4242, 'k8s.ready': true }, droppedAttributesCount: 3, schemaUrl: 'https://opentelemetry.io/schemas/1.24.0' },
  { attributes: {}, droppedAttributesCount: 0 },
];
const SCOPES: InstrumentationScope[] = [
  { name: '', attributes: {}, droppedAttributesCount: 0 },
  { name: '@opentelemetry/instrumentation-http', version: '0.52.1', attributes: {}, droppedAttributesCount: 0 },
  { name: 'pg', schemaUrl: 'https://opentelemetry.io/schemas/1.24.0', attributes: { 'lib.flag': true }, droppedAttributesCount: 1 },
];

function randomResource(rng: Prng): SpanResource {
  if (rng.float() < 0.75) return rng.pick(RESOURCES);
  const attributes = randomAttributes(rng, 6);
  const droppedAttributesCount = randomCount(rng);
  return rng.float() < 0.3 ? { attributes, droppedAttributesCount, schemaUrl: nonEmpty(nastyMessage(rng)) } : { attributes, droppedAttributesCount };
}

function randomScope(rng: Prng): InstrumentationScope {
  if (rng.float() < 0.75) return rng.pick(SCOPES);
  const name = randomName(rng);
  const version = rng.float() < 0.5 ? nonEmpty(nastyMessage(rng)) : undefined;
  const schemaUrl = rng.float() < 0.3 ? 'https://opentelemetry.io/schemas/1.21.0' : undefined;
  const attributes = randomAttributes(rng, rng.float() < 0.7 ? 0 : 3);
  const droppedAttributesCount = randomCount(rng);
  // Key order as the decoder builds it: name, version?, schemaUrl?, attributes, droppedAttributesCount.
  const s: Record<string, unknown> = { name };
  if (version !== undefined) s.version = version;
  if (schemaUrl !== undefined) s.schemaUrl = schemaUrl;
  s.attributes = attributes;
  s.droppedAttributesCount = droppedAttributesCount;
  return s as unknown as InstrumentationScope;
}

/** A random span in its stored form (fields in the order codec/span-record.ts `makeSpan` uses). */
export function randomSpan(rng: Prng): Span {
  const startNs = randomStart(rng);
  const endNs = startNs + randomDuration(rng, startNs);
  const code = rng.pick(STATUS_CODES);
  const span: Record<string, unknown> = { traceId: nonZeroHex(rng, 32), spanId: nonZeroHex(rng, 16) };
  if (rng.float() < 0.7) span.parentSpanId = nonZeroHex(rng, 16);
  span.name = randomName(rng);
  span.kind = rng.pick(SPAN_KINDS);
  span.startNs = startNs;
  span.endNs = endNs;
  span.status = rng.float() < (code === 'error' ? 0.6 : 0.1) ? { code, message: nonEmpty(nastyMessage(rng)) } : { code };
  span.attributes = randomAttributes(rng, rng.float() < 0.1 ? 30 : 10);
  span.events = manyOf(rng, 0.6, () => randomEvent(rng, startNs, endNs));
  span.links = manyOf(rng, 0.75, () => randomLink(rng));
  span.resource = randomResource(rng);
  span.scope = randomScope(rng);
  if (rng.float() < 0.25) span.traceState = rng.float() < 0.5 ? rng.pick(TRACE_STATES) : nonEmpty(nastyMessage(rng));
  span.flags = rng.pick([1, 1, 1, 0, 0x101, 0x301, 0xffffffff, rng.u32()]);
  span.droppedAttributesCount = randomCount(rng);
  span.droppedEventsCount = randomCount(rng);
  span.droppedLinksCount = randomCount(rng);
  return span as unknown as Span;
}

// ------------------------------------------------------------------ inputs

function timeInput(rng: Prng, ns: bigint, nsKey: string, msKey: string, out: Record<string, unknown>): void {
  const r = rng.float();
  const rem = ns % NS_PER_MS;
  // ms only where it is exact: whole ms, or a quarter ms (a double holds 9.2e12 + .25 exactly).
  const msExact = rem % 250_000n === 0n;
  if (r < 0.35 || (r >= 0.65 && !msExact)) out[nsKey] = ns;
  else if (r < 0.55) out[nsKey] = String(ns);
  else if (r < 0.65) {
    out[nsKey] = ns;
    out[msKey] = 5; // ns wins over ms
  } else out[msKey] = Number(ns / NS_PER_MS) + Number(rem) / 1e6;
}

/** 0 is sometimes given as -0 (stored as 0). */
function zeroInput(rng: Prng, v: number): number {
  return v === 0 && rng.float() < 0.3 ? -0 : v;
}

function idInput(rng: Prng, id: string): string {
  return rng.float() < 0.2 ? id.toUpperCase() : id;
}

/** Attributes spelled differently but stored the same: undefined members, -0 for top-level zeros. */
function attributesInput(rng: Prng, a: Attributes): Attributes | undefined {
  if (Object.keys(a).length === 0 && rng.float() < 0.5) return undefined;
  if (rng.float() < 0.7) return a;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(a)) {
    const v = a[k];
    Object.defineProperty(out, k, { value: v === 0 ? -0 : v, enumerable: true, writable: true, configurable: true });
  }
  if (!('zz.undefined' in out)) out['zz.undefined'] = undefined;
  return out as Attributes;
}

/** Input objects per shared resource: the same caller object each time, as apps pass them. */
const RESOURCE_INPUTS = new WeakMap<SpanResource, NonNullable<SpanInput['resource']>>();

/**
 * `span` spelled as a write() input, in random equivalent ways (ms or string times, upper-case
 * ids, defaults left out or given explicitly, '' for absent strings, undefined attribute members):
 * normalizeSpanInput(spanAsInput(span), new SpanDefaults()) equals `span` (an empty default
 * resource, so the span's resource is exactly its own).
 */
export function spanAsInput(span: Span, rng: Prng): SpanInput {
  const s: Record<string, unknown> = { traceId: idInput(rng, span.traceId), spanId: idInput(rng, span.spanId), name: span.name };
  if (span.parentSpanId !== undefined) s.parentSpanId = idInput(rng, span.parentSpanId);
  else if (rng.float() < 0.3) s.parentSpanId = rng.pick(['', '0000000000000000']);
  if (span.kind !== 'internal' || rng.float() < 0.5) s.kind = span.kind;
  timeInput(rng, span.startNs, 'startNs', 'startMs', s);
  timeInput(rng, span.endNs, 'endNs', 'endMs', s);
  if (span.status.code !== 'unset' || span.status.message !== undefined || rng.float() < 0.5) {
    s.status = span.status.message === undefined && rng.float() < 0.3 ? { code: span.status.code, message: '' } : { ...span.status };
  }
  const attributes = attributesInput(rng, span.attributes);
  if (attributes !== undefined) s.attributes = attributes;
  if (span.events.length > 0 || rng.float() < 0.5) s.events = span.events.map((e) => eventInput(rng, e));
  if (span.links.length > 0 || rng.float() < 0.5) s.links = span.links.map((l) => linkInput(rng, l));
  const r = span.resource;
  if (Object.keys(r.attributes).length > 0 || r.droppedAttributesCount !== 0 || r.schemaUrl !== undefined || rng.float() < 0.3) {
    let input = RESOURCE_INPUTS.get(r);
    if (input === undefined) {
      input = { attributes: r.attributes, droppedAttributesCount: r.droppedAttributesCount, schemaUrl: r.schemaUrl ?? '' };
      RESOURCE_INPUTS.set(r, input);
    }
    s.resource = input;
  }
  const sc = span.scope;
  if (sc.name !== '' || sc.version !== undefined || sc.schemaUrl !== undefined || Object.keys(sc.attributes).length > 0 || sc.droppedAttributesCount !== 0 || rng.float() < 0.3) {
    s.scope = sc;
  }
  if (span.traceState !== undefined) s.traceState = span.traceState;
  else if (rng.float() < 0.2) s.traceState = '';
  if (span.flags !== 1 || rng.float() < 0.5) s.flags = zeroInput(rng, span.flags);
  for (const k of ['droppedAttributesCount', 'droppedEventsCount', 'droppedLinksCount'] as const) {
    if (span[k] !== 0 || rng.float() < 0.3) s[k] = zeroInput(rng, span[k]);
  }
  return s as unknown as SpanInput;
}

function eventInput(rng: Prng, e: SpanEvent): SpanEventInput {
  const out: Record<string, unknown> = { name: e.name };
  timeInput(rng, e.timeNs, 'timeNs', 'timeMs', out);
  const attributes = attributesInput(rng, e.attributes);
  if (attributes !== undefined) out.attributes = attributes;
  if (e.droppedAttributesCount !== 0 || rng.float() < 0.3) out.droppedAttributesCount = zeroInput(rng, e.droppedAttributesCount);
  return out as unknown as SpanEventInput;
}

function linkInput(rng: Prng, l: SpanLink): SpanLinkInput {
  const out: Record<string, unknown> = { traceId: idInput(rng, l.traceId), spanId: idInput(rng, l.spanId) };
  if (l.traceState !== undefined) out.traceState = l.traceState;
  else if (rng.float() < 0.2) out.traceState = '';
  if (l.flags !== 0 || rng.float() < 0.5) out.flags = zeroInput(rng, l.flags);
  const attributes = attributesInput(rng, l.attributes);
  if (attributes !== undefined) out.attributes = attributes;
  if (l.droppedAttributesCount !== 0 || rng.float() < 0.3) out.droppedAttributesCount = l.droppedAttributesCount;
  return out as unknown as SpanLinkInput;
}

/** A random write() input (and, through spanAsInput, a known stored form). */
export function randomSpanInput(rng: Prng): SpanInput {
  return spanAsInput(randomSpan(rng), rng);
}

// ------------------------------------------------------------------ comparison

/** JSON text of a span with bigints as "123n": equal texts = equal values AND key order at every level. */
export function spanJson(span: Span): string {
  return JSON.stringify(span, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

/**
 * The first difference between span lists, or undefined: deep strict equality (node:util; vitest's
 * toStrictEqual compares `.constructor`, which breaks on a 'constructor' attribute key) plus key order.
 */
export function firstSpanMismatch(actual: Span[], expected: Span[]): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length} !== ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    if (!isDeepStrictEqual(actual[i], expected[i]) || spanJson(actual[i]) !== spanJson(expected[i])) {
      return `span ${i}: ${inspect(actual[i], { depth: 8 })} !== ${inspect(expected[i], { depth: 8 })}`;
    }
  }
  return undefined;
}
