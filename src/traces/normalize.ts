// SpanInput -> Span on the write path: every field checked (typed TracesError naming the field and
// what to pass instead) and put in its one stored form, so the span the hot tail and live tail hand
// out equals the span a sealed block decodes to later (codec/span-record.ts `makeSpan` builds both):
// - ids: hex, lowercased; traceId/spanId all zero (OTel's "invalid") refused; parentSpanId all zero
//   or '' = no parent; link ids may be all zero (OTel records links to invalid contexts that carry
//   attributes or a trace state);
// - times: startNs/endNs (bigint or decimal string) win over startMs/endMs (fractional ms kept to the
//   ns); both required, in [0, 2^63), end >= start; event times likewise (either may precede start);
// - optional strings (status message, traceState, scope version/schemaUrl, resource schemaUrl) kept
//   only when non-empty; strings with a lone surrogate get U+FFFD there (UTF-8 cannot carry it);
// - attributes: deep-copied as JSON keeps them (undefined dropped, -0 stored as 0; NaN/Infinity,
//   bigint, functions, class instances, cycles refused: record-attrs.ts's shared rules);
// - resource: merged over the engine's default resource; scope defaults to { name: '' }. Apps pass
//   the same few resource and scope objects with every span, so both are cached per caller object
//   (SpanDefaults) and the normalized spans share one frozen object per distinct value.
import { isHex } from '../codec/columns/hex.js';
import { checkAttributeValue, type FailFn } from '../codec/columns/record-attrs.js';
import { makeSpan } from './codec/span-record.js';
import { TracesError } from './errors.js';
import { SPAN_KINDS, STATUS_CODES } from './types.js';
import type {
  AttrValue, Attributes, InstrumentationScope, Span, SpanEvent, SpanKind, SpanLink, SpanResource, SpanStatus, StatusCode,
} from './types.js';

const NS_PER_MS = 1_000_000n;
/** Times must lie in [0, 2^63) ns (year 2262): the record's i64. */
const MAX_NS = 2n ** 63n - 1n;
const MAX_MS = 9_223_372_036_854; // floor(MAX_NS / 1e6)
const U32_MAX = 0xffffffff;
const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';
const DECIMAL_NS = /^\d{1,19}$/;
const hasOwn = Object.prototype.hasOwnProperty;

type Obj = Record<string, unknown>;

export interface NormalizeSpanOptions {
  /**
   * true: the caller encodes the span into its record at once (SpanRecordWriter), and the writer
   * applies the attribute rules (same messages) and the id hex check while it writes them: they are
   * skipped here, so write() walks each attributes object once, not twice. The span then holds the
   * caller's attribute objects and ids in the caller's case: encode it before control returns to
   * the caller, and map the writer's CodecError INVALID_INPUT with errors.ts `spanInputError`.
   * Resource and scope are still checked and copied here (once per distinct object: cached).
   */
  recordChecks?: boolean;
}

/**
 * The engine's defaults (resource attributes, empty scope) plus the caches of merged resources and
 * checked scopes by the caller's object. A hit is verified against a snapshot of that object (a
 * handful of values, nested ones compared with the copy), so a caller that mutates its object after
 * writing still gets the new values.
 */
export class SpanDefaults {
  /** The default resource (frozen): spans without a resource of their own share it. */
  readonly resource: SpanResource;
  /** { name: '', attributes: {}, droppedAttributesCount: 0 } (frozen). */
  readonly scope: InstrumentationScope;
  private readonly resources = new WeakMap<object, CachedResource>();
  private readonly scopes = new WeakMap<object, CachedScope>();

  /** `resourceAttributes`: the engine's (service.name, host.name, ...); a bad value is a TypeError. */
  constructor(resourceAttributes: Attributes = {}) {
    const fail: FailFn = (m) => new TypeError(`timeless: traces.${m}`);
    this.resource = deepFreeze({ attributes: copyPlainObject(resourceAttributes, 'resource', fail), droppedAttributesCount: 0 });
    this.scope = deepFreeze({ name: '', attributes: {}, droppedAttributesCount: 0 });
  }

  /** The stored resource of a SpanInput.resource (merged over the default). */
  resourceOf(input: unknown): SpanResource {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw invalid(`resource must be an object { attributes?, droppedAttributesCount?, schemaUrl? }, got ${describe(input)}`);
    }
    const r = input as Obj;
    const attrs = r.attributes;
    // Keyed by the attributes object when there is one: an adapter may wrap one SDK resource's
    // attributes in a fresh object per span.
    const key = attrs !== null && typeof attrs === 'object' ? attrs : r;
    const hit = this.resources.get(key);
    if (hit !== undefined && hit.attrs === attrs && hit.dropped === r.droppedAttributesCount && hit.schemaUrl === r.schemaUrl && (hit.snap === undefined || hit.snap.matches(attrs as Obj))) {
      return hit.value;
    }
    const own = attrs === undefined ? undefined : copyPlainObject(attrs, 'resource.attributes', invalid);
    const dropped = countOf(r.droppedAttributesCount, 'resource.droppedAttributesCount');
    const schemaUrl = optionalString(r.schemaUrl, 'resource.schemaUrl');
    let value: SpanResource;
    if ((own === undefined || isEmpty(own)) && dropped === 0 && schemaUrl === undefined) value = this.resource;
    else {
      const attributes = own === undefined ? { ...this.resource.attributes } : { ...this.resource.attributes, ...own };
      value = deepFreeze(schemaUrl === undefined ? { attributes, droppedAttributesCount: dropped } : { attributes, droppedAttributesCount: dropped, schemaUrl });
    }
    // A deep-frozen attributes object cannot change, so its hits need no snapshot check (the OTLP
    // receiver freezes the resource it shares between a batch's spans: 512 checks per request saved).
    const snap = own === undefined || isDeepFrozen(attrs) ? undefined : snapshotOf(attrs as Obj, own);
    this.resources.set(key, { attrs, snap, dropped: r.droppedAttributesCount, schemaUrl: r.schemaUrl, value });
    return value;
  }

  /** The stored scope of a SpanInput.scope. */
  scopeOf(input: unknown): InstrumentationScope {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw invalid(`scope must be an object { name?, version?, schemaUrl?, attributes?, droppedAttributesCount? }, got ${describe(input)}`);
    }
    const s = input as Obj;
    const hit = this.scopes.get(s);
    if (
      hit !== undefined && hit.name === s.name && hit.version === s.version && hit.schemaUrl === s.schemaUrl && hit.dropped === s.droppedAttributesCount &&
      hit.attrs === s.attributes && (hit.snap === undefined || hit.snap.matches(s.attributes as Obj))
    ) {
      return hit.value;
    }
    if (s.name !== undefined && typeof s.name !== 'string') throw invalid(`scope.name must be a string (the instrumentation library), got ${describe(s.name)}`);
    const name = s.name === undefined ? '' : wellFormed(s.name);
    const version = optionalString(s.version, 'scope.version');
    const schemaUrl = optionalString(s.schemaUrl, 'scope.schemaUrl');
    const attributes = s.attributes === undefined ? {} : copyPlainObject(s.attributes, 'scope.attributes', invalid);
    const dropped = countOf(s.droppedAttributesCount, 'scope.droppedAttributesCount');
    let value: InstrumentationScope;
    if (name === '' && version === undefined && schemaUrl === undefined && isEmpty(attributes) && dropped === 0) value = this.scope;
    else {
      value = version !== undefined
        ? schemaUrl !== undefined ? { name, version, schemaUrl, attributes, droppedAttributesCount: dropped } : { name, version, attributes, droppedAttributesCount: dropped }
        : schemaUrl !== undefined ? { name, schemaUrl, attributes, droppedAttributesCount: dropped } : { name, attributes, droppedAttributesCount: dropped };
      deepFreeze(value);
    }
    this.scopes.set(s, {
      name: s.name, version: s.version, schemaUrl: s.schemaUrl, dropped: s.droppedAttributesCount, attrs: s.attributes,
      snap: s.attributes === undefined || isDeepFrozen(s.attributes) ? undefined : snapshotOf(s.attributes as Obj, attributes), value,
    });
    return value;
  }
}

interface CachedResource {
  attrs: unknown;
  snap: AttrSnapshot | undefined;
  dropped: unknown;
  schemaUrl: unknown;
  value: SpanResource;
}

interface CachedScope {
  name: unknown;
  version: unknown;
  schemaUrl: unknown;
  dropped: unknown;
  attrs: unknown;
  snap: AttrSnapshot | undefined;
  value: InstrumentationScope;
}

/**
 * The caller's attributes object as it was when cached: its own keys in order, scalar values as
 * given, nested values as their JSON copy (compared structurally: a pushed array element shows).
 */
class AttrSnapshot {
  constructor(
    private readonly keys: string[],
    private readonly values: unknown[],
  ) {}

  matches(o: Obj): boolean {
    const keys = this.keys;
    const values = this.values;
    let n = 0;
    for (const k in o) {
      if (!hasOwn.call(o, k)) continue;
      if (n >= keys.length || k !== keys[n]) return false;
      const v = o[k];
      const s = values[n];
      if (v !== s && (typeof v !== 'object' || v === null || !sameAsCopy(v, s))) return false;
      n++;
    }
    return n === keys.length;
  }
}

function snapshotOf(o: Obj, copy: Attributes): AttrSnapshot {
  const keys: string[] = [];
  const values: unknown[] = [];
  for (const k in o) {
    if (!hasOwn.call(o, k)) continue;
    const v = o[k];
    keys.push(k);
    values.push(v !== null && typeof v === 'object' ? copy[k] : v);
  }
  return new AttrSnapshot(keys, values);
}

/** v (the caller's value now) is what `c` (its JSON copy) was copied from, as JSON sees it. */
function sameAsCopy(v: unknown, c: unknown): boolean {
  if (v === c) return true; // scalars (-0 === 0: both stored as 0)
  if (typeof v !== 'object' || v === null || typeof c !== 'object' || c === null) return false;
  if (Array.isArray(v)) {
    if (!Array.isArray(c) || v.length !== c.length || hasOwn.call(v, 'toJSON')) return false;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x === undefined ? c[i] !== null : !sameAsCopy(x, c[i])) return false;
    }
    return true;
  }
  const proto = Object.getPrototypeOf(v);
  if (Array.isArray(c) || (proto !== Object.prototype && proto !== null)) return false;
  const ck = Object.keys(c);
  let n = 0;
  for (const k in v) {
    if (!hasOwn.call(v, k)) continue;
    const x = (v as Obj)[k];
    if (x === undefined) continue;
    if (ck[n] !== k || !sameAsCopy(x, (c as Obj)[k])) return false;
    n++;
  }
  return n === ck.length;
}

/**
 * Validates and normalizes one write() input. Throws TracesError INVALID_SPAN (INVALID_TIME for
 * times) naming the field; nothing of the input is kept by reference except, with recordChecks,
 * the attribute objects of the span, its events and links.
 */
export function normalizeSpanInput(input: unknown, defaults: SpanDefaults, opts?: NormalizeSpanOptions): Span {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalid(`a span must be an object { traceId, spanId, name, startNs | startMs, endNs | endMs, parentSpanId?, kind?, status?, attributes?, events?, links?, resource?, scope?, ... }, got ${describe(input)}`);
  }
  const s = input as Obj;
  const rc = opts?.recordChecks === true;
  const traceId = idOf(s.traceId, 'traceId', 32, rc);
  if (traceId === ZERO_TRACE) throw invalid('traceId is all zero (an invalid trace id in OTel): pass the 32 hex chars of a real trace id');
  const spanId = idOf(s.spanId, 'spanId', 16, rc);
  if (spanId === ZERO_SPAN) throw invalid('spanId is all zero (an invalid span id in OTel): pass the 16 hex chars of a real span id');
  let parentSpanId: string | undefined;
  if (s.parentSpanId !== undefined && s.parentSpanId !== '') {
    parentSpanId = idOf(s.parentSpanId, 'parentSpanId', 16, rc, " (or '' / leave it out for a root span)");
    if (parentSpanId === ZERO_SPAN) parentSpanId = undefined;
  }
  if (typeof s.name !== 'string') throw invalid(`name must be a string (the operation name), got ${describe(s.name)}`);
  const name = wellFormed(s.name);
  const kind = kindOf(s.kind);
  const startNs = timeOf(s.startNs, s.startMs, 'startNs', 'startMs', "the span's start");
  const endNs = timeOf(s.endNs, s.endMs, 'endNs', 'endMs', "the span's end (only ended spans are stored)");
  if (endNs < startNs) throw new TracesError('INVALID_TIME', `endNs ${endNs} is before startNs ${startNs}: a span ends at or after its start`);
  const status = statusOf(s.status);
  const attributes = attributesOf(s.attributes, 'attributes', rc);
  const events = eventsOf(s.events, rc);
  const links = linksOf(s.links, rc);
  const resource = s.resource === undefined ? defaults.resource : defaults.resourceOf(s.resource);
  const scope = s.scope === undefined ? defaults.scope : defaults.scopeOf(s.scope);
  const traceState = optionalString(s.traceState, 'traceState');
  const flags = u32Of(s.flags, 'flags', 1, ' (W3C trace flags + OTLP span flags; default 1 = sampled)');
  const dA = countOf(s.droppedAttributesCount, 'droppedAttributesCount');
  const dE = countOf(s.droppedEventsCount, 'droppedEventsCount');
  const dL = countOf(s.droppedLinksCount, 'droppedLinksCount');
  return makeSpan(traceId, spanId, parentSpanId, name, kind, startNs, endNs, status, attributes, events, links, resource, scope, traceState, flags, dA, dE, dL);
}

function idOf(v: unknown, field: string, chars: number, recordChecks: boolean, hint = ''): string {
  if (typeof v === 'string') {
    if (recordChecks) {
      if (v.length === chars) return v; // hex checked by the record writer
    } else {
      // Lowercase is the common case (OTel SDKs emit it): checked without allocating a copy.
      if (isHex(v, chars)) return v;
      const lower = v.toLowerCase();
      if (isHex(lower, chars)) return lower;
    }
  }
  throw invalid(`${field} must be ${chars} hex characters${hint}, got ${describe(v)}`);
}

function kindOf(v: unknown): SpanKind {
  if (v === undefined) return 'internal';
  if ((SPAN_KINDS as readonly unknown[]).includes(v)) return v as SpanKind;
  throw invalid(`kind must be one of ${SPAN_KINDS.join(', ')} (default internal), got ${describe(v)}`);
}

function statusOf(v: unknown): SpanStatus {
  if (v === undefined) return { code: 'unset' };
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(`status must be an object { code?: ${STATUS_CODES.join(' | ')}, message?: string }, got ${describe(v)}`);
  const st = v as Obj;
  let code: StatusCode = 'unset';
  if (st.code !== undefined) {
    if (!(STATUS_CODES as readonly unknown[]).includes(st.code)) throw invalid(`status.code must be one of ${STATUS_CODES.join(', ')} (default unset), got ${describe(st.code)}`);
    code = st.code as StatusCode;
  }
  const message = optionalString(st.message, 'status.message');
  return message === undefined ? { code } : { code, message };
}

function nsOf(v: unknown, field: string): bigint {
  let ns: bigint;
  if (typeof v === 'bigint') ns = v;
  else if (typeof v === 'string' && DECIMAL_NS.test(v)) ns = BigInt(v);
  else throw new TracesError('INVALID_TIME', `${field} must be epoch nanoseconds as a bigint or a decimal integer string, got ${describe(v)}`);
  if (ns < 0n || ns > MAX_NS) throw new TracesError('INVALID_TIME', `${field} ${ns} is outside [0, 2^63) epoch nanoseconds`);
  return ns;
}

function msOf(v: unknown, field: string): bigint {
  if (typeof v !== 'number' || !(v >= 0 && v <= MAX_MS)) {
    throw new TracesError('INVALID_TIME', `${field} must be a finite, non-negative number of epoch milliseconds, got ${describe(v)}`);
  }
  // Whole ms exact as a bigint; the fraction rounded to the ns.
  const whole = Math.floor(v);
  const frac = v - whole;
  // (v <= MAX_MS keeps the result below 2^63.)
  return frac === 0 ? BigInt(whole) * NS_PER_MS : BigInt(whole) * NS_PER_MS + BigInt(Math.round(frac * 1e6));
}

/** The ns form of a time given as ns (wins) or ms; `what` says what the missing time is. */
function timeOf(ns: unknown, ms: unknown, nsField: string, msField: string, what: string): bigint {
  if (ns !== undefined) return nsOf(ns, nsField);
  if (ms !== undefined) return msOf(ms, msField);
  throw new TracesError('INVALID_TIME', `${nsField} (or ${msField}) is required: ${what} in epoch ns (bigint or decimal string) or ms`);
}

function countOf(v: unknown, field: string): number {
  return u32Of(v, field, 0, '');
}

function u32Of(v: unknown, field: string, dflt: number, hint: string): number {
  if (v === undefined) return dflt;
  if (typeof v === 'number' && v >= 0 && v <= U32_MAX && Math.floor(v) === v) return v === 0 ? 0 : v; // -0 -> 0
  throw invalid(`${field} must be an integer in [0, 2^32)${hint}, got ${describe(v)}`);
}

/** A string kept only when non-empty. */
function optionalString(v: unknown, field: string): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw invalid(`${field} must be a string (or absent), got ${describe(v)}`);
  return wellFormed(v);
}

/** UTF-8 has no form for a lone surrogate: the record stores U+FFFD, so the span holds it too. */
function wellFormed(s: string): string {
  const w = s as unknown as { isWellFormed(): boolean; toWellFormed(): string };
  return w.isWellFormed() ? s : w.toWellFormed();
}

function attributesOf(v: unknown, path: string, recordChecks: boolean): Attributes {
  if (v === undefined) return {};
  if (recordChecks) {
    checkPlainObject(v, path, invalid);
    return v as Attributes;
  }
  return copyPlainObject(v, path, invalid);
}

function eventsOf(v: unknown, recordChecks: boolean): SpanEvent[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalid(`events must be an array of { name, timeNs | timeMs, attributes?, droppedAttributesCount? }, got ${describe(v)}`);
  const out: SpanEvent[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const e = v[i] as unknown;
    const at = `events[${i}]`;
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw invalid(`${at} must be an object { name, timeNs | timeMs, attributes?, droppedAttributesCount? }, got ${describe(e)}`);
    const ev = e as Obj;
    if (typeof ev.name !== 'string') throw invalid(`${at}.name must be a string, got ${describe(ev.name)}`);
    out[i] = {
      name: wellFormed(ev.name),
      timeNs: timeOf(ev.timeNs, ev.timeMs, `${at}.timeNs`, `${at}.timeMs`, "the event's time"),
      attributes: attributesOf(ev.attributes, `${at}.attributes`, recordChecks),
      droppedAttributesCount: countOf(ev.droppedAttributesCount, `${at}.droppedAttributesCount`),
    };
  }
  return out;
}

function linksOf(v: unknown, recordChecks: boolean): SpanLink[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalid(`links must be an array of { traceId, spanId, traceState?, flags?, attributes?, droppedAttributesCount? }, got ${describe(v)}`);
  const out: SpanLink[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const e = v[i] as unknown;
    const at = `links[${i}]`;
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw invalid(`${at} must be an object { traceId, spanId, traceState?, flags?, attributes?, droppedAttributesCount? }, got ${describe(e)}`);
    const l = e as Obj;
    const traceId = idOf(l.traceId, `${at}.traceId`, 32, recordChecks);
    const spanId = idOf(l.spanId, `${at}.spanId`, 16, recordChecks);
    const traceState = optionalString(l.traceState, `${at}.traceState`);
    const flags = u32Of(l.flags, `${at}.flags`, 0, ' (W3C trace flags of the linked context; default 0)');
    const attributes = attributesOf(l.attributes, `${at}.attributes`, recordChecks);
    const droppedAttributesCount = countOf(l.droppedAttributesCount, `${at}.droppedAttributesCount`);
    out[i] = traceState === undefined
      ? { traceId, spanId, flags, attributes, droppedAttributesCount }
      : { traceId, spanId, traceState, flags, attributes, droppedAttributesCount };
  }
  return out;
}

/** A top-level attributes object must be plain: a Map or class instance would store as something else. */
function checkPlainObject(v: unknown, path: string, fail: FailFn): void {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw fail(`${path} must be a plain object of attribute values, got ${describe(v)}`);
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) throw fail(`${path} must be a plain object of attribute values, got ${proto?.constructor?.name ?? 'an object'}`);
}

/** Checks (record-attrs.ts rules) and copies an attributes object as JSON keeps it. */
function copyPlainObject(v: unknown, path: string, fail: FailFn): Attributes {
  checkPlainObject(v, path, fail);
  const src = v as Obj;
  const out: Attributes = {};
  for (const k in src) {
    if (!hasOwn.call(src, k)) continue;
    const x = src[k];
    let c: AttrValue;
    // Scalars inline (the common case); the rest checked first, then copied.
    if (typeof x === 'string' || typeof x === 'boolean' || (typeof x === 'number' && x !== 0 && x - x === 0)) c = x;
    else if (x === undefined) continue;
    else {
      checkAttributeValue(x, path, k, 0, fail);
      c = copyChecked(x as AttrValue);
    }
    if (k === '__proto__') Object.defineProperty(out, k, { value: c, enumerable: true, writable: true, configurable: true });
    else out[k] = c;
  }
  return out;
}

/** JSON's view of a value checkAttributeValue accepted: -0 is 0, undefined in arrays is null, in objects absent. */
function copyChecked(v: AttrValue | undefined): AttrValue {
  if (v === undefined) return null;
  if (typeof v === 'number') return v === 0 ? 0 : v;
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(copyChecked);
  const out: Attributes = {};
  for (const k in v) {
    if (!hasOwn.call(v, k)) continue;
    const x = v[k];
    if (x === undefined) continue;
    const c = copyChecked(x);
    if (k === '__proto__') Object.defineProperty(out, k, { value: c, enumerable: true, writable: true, configurable: true });
    else out[k] = c;
  }
  return out;
}

/**
 * A span normalized with recordChecks, made safe to hand out (live tail): its own attribute copies
 * (later caller mutations do not reach subscribers), ids lowercase as stored.
 */
export function detachedSpan(span: Span): Span {
  const copy = (a: Attributes) => copyPlainObject(a, 'attributes', invalid);
  return makeSpan(
    span.traceId.toLowerCase(), span.spanId.toLowerCase(), span.parentSpanId?.toLowerCase(), span.name, span.kind, span.startNs, span.endNs,
    { ...span.status }, copy(span.attributes),
    span.events.map((e) => ({ name: e.name, timeNs: e.timeNs, attributes: copy(e.attributes), droppedAttributesCount: e.droppedAttributesCount })),
    span.links.map((l) => {
      const attributes = copy(l.attributes);
      const traceId = l.traceId.toLowerCase();
      const spanId = l.spanId.toLowerCase();
      return l.traceState === undefined
        ? { traceId, spanId, flags: l.flags, attributes, droppedAttributesCount: l.droppedAttributesCount }
        : { traceId, spanId, traceState: l.traceState, flags: l.flags, attributes, droppedAttributesCount: l.droppedAttributesCount };
    }),
    span.resource, span.scope, span.traceState, span.flags, span.droppedAttributesCount, span.droppedEventsCount, span.droppedLinksCount,
  );
}

function isEmpty(o: object): boolean {
  for (const k in o) if (hasOwn.call(o, k)) return false;
  return true;
}

/** Cached parts are shared by many spans: nobody may change them. */
/** v and every object inside it are frozen (so it can never differ from a snapshot taken of it). */
function isDeepFrozen(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return true;
  if (!Object.isFrozen(v)) return false;
  for (const k of Object.keys(v)) if (!isDeepFrozen((v as Obj)[k])) return false;
  return true;
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Obj)[k]);
  }
  return v;
}

function invalid(message: string): TracesError {
  return new TracesError('INVALID_SPAN', message);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return v.length > 80 ? `${JSON.stringify(v.slice(0, 80))}…` : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${String(v)}`;
  return typeof v;
}
