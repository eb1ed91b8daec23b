// LogInput -> LogEntry on the write path: every field checked (typed LogsError naming the field and
// what to pass instead) and put in its one stored form, so that the entry the hot tail and live
// tail hand out is exactly the entry a sealed block decodes to later:
// - time: tsNs (bigint or decimal string) wins over tsMs (fractional ms kept to the ns), default now;
// - level: name or severity number (levels.ts), default info;
// - attributes: deep-copied (the caller may reuse its object) as JSON round-trips them: undefined
//   members dropped, -0 stored as 0; NaN/Infinity, bigint, functions, cycles rejected;
// - traceId/spanId: hex, lowercased; an all-zero id (OTel's "invalid") is no id;
// - resource: merged over the engine's default; entries without their own share the default object.
import { isHex } from '../codec/columns/hex.js';
import { checkAttributeObject, checkAttributeValue, MAX_ATTR_DEPTH } from '../codec/columns/record-attrs.js';
import { LogsError } from './errors.js';
import { parseLevel } from './levels.js';
import type { AttrValue, Attributes, LogEntry, LogInput, LogLevel, Resource } from './types.js';

const NS_PER_MS = 1_000_000n;
/** Timestamps must lie in [0, 2^63) ns (year 2262): the i64 of the entry record and cursor. */
const MAX_NS = 2n ** 63n - 1n;
const MAX_MS = 9_223_372_036_854; // floor(MAX_NS / 1e6)
/** Nesting depth bound: protects the copy (and JSON) from cycles and pathological inputs. */
const MAX_DEPTH = MAX_ATTR_DEPTH;
const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';

/** The engine default resource's shape check (Timeless.open options). */
export function checkResource(r: unknown, field: string): Resource {
  if (r === null || typeof r !== 'object' || Array.isArray(r)) throw invalid(`${field} must be an object of string/number/boolean values, got ${describe(r)}`);
  const out: Resource = {};
  for (const [k, v] of Object.entries(r as Record<string, unknown>)) {
    if (v === undefined) continue;
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) setOwn(out, k, Object.is(v, -0) ? 0 : v);
    else throw invalid(`${field}.${k} must be a string, a finite number or a boolean, got ${describe(v)}`);
  }
  return out;
}

/** Cached level parses: write() sees the same few level values over and over. */
const LEVELS = new Map<string | number, { level: LogLevel; severityNumber: number }>();

function levelOf(v: unknown): { level: LogLevel; severityNumber: number } {
  if (v === undefined) return INFO;
  if (typeof v !== 'string' && typeof v !== 'number') {
    throw new LogsError('INVALID_LEVEL', `level must be a level name (trace, debug, info, warn, error, fatal) or a severity number 1..24, got ${describe(v)}`);
  }
  let l = LEVELS.get(v);
  if (l === undefined) {
    l = parseLevel(v);
    if (LEVELS.size < 256) LEVELS.set(v, l);
  }
  return l;
}
const INFO = parseLevel('info');

/**
 * Merged resources by the caller's resource object: apps pass the same few objects (one per
 * service/host) with every entry, and merging + validating one costs more than the rest of the
 * entry. A hit is verified shallowly against a snapshot of the object (a resource is a handful of
 * scalars), so a caller mutating its object after writing still gets the new values.
 */
export class ResourceCache {
  private readonly cache = new WeakMap<object, { keys: string[]; values: unknown[]; merged: Resource }>();

  constructor(readonly defaultResource: Resource) {}

  merge(r: unknown): Resource {
    if (r === null || typeof r !== 'object') return mergeResource(this.defaultResource, r);
    const hit = this.cache.get(r);
    if (hit !== undefined && sameShallow(r as Record<string, unknown>, hit.keys, hit.values)) return hit.merged;
    const merged = mergeResource(this.defaultResource, r);
    const keys = Object.keys(r);
    this.cache.set(r, { keys, values: keys.map((k) => (r as Record<string, unknown>)[k]), merged });
    return merged;
  }
}

function sameShallow(o: Record<string, unknown>, keys: string[], values: unknown[]): boolean {
  let n = 0;
  for (const k in o) {
    if (k !== keys[n] || o[k] !== values[n]) return false;
    n++;
  }
  return n === keys.length;
}

function mergeResource(defaultResource: Resource, r: unknown): Resource {
  return Object.freeze({ ...defaultResource, ...checkResource(r, 'resource') });
}

export interface NormalizeOptions {
  /**
   * false: attributes are checked (same rules, same typed errors) but NOT copied: the entry holds
   * the caller's object, so it must be serialized before control returns to the caller (the
   * engine's write path: the entry record IS the stored form, as JSON keeps it). Default true.
   */
  copyAttributes?: boolean;
  /**
   * true: the caller encodes the entry into its record at once (EntryRecordWriter), and that applies
   * the attribute rules and the traceId/spanId hex check (CodecError INVALID_INPUT, same messages):
   * they are skipped here, so the write path walks the attributes once, not twice. Ids are then
   * only checked for type and length, and kept in the caller's case (the record stores bytes).
   * Implies copyAttributes: false.
   */
  recordChecks?: boolean;
}

/**
 * Validates and normalizes one input. `defaultResource` must be a checked, never-mutated object
 * (checkResource), or a ResourceCache over one; `nowNs` is used when the input has no time.
 */
export function normalizeLogInput(
  input: LogInput,
  defaultResource: Resource | ResourceCache,
  nowNs: () => bigint,
  opts?: NormalizeOptions,
): LogEntry {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalid(`a log entry must be an object { message, level?, tsMs?, tsNs?, attributes?, traceId?, spanId?, resource? }, got ${describe(input)}`);
  }
  const message = input.message;
  if (typeof message !== 'string') throw invalid(`message must be a string, got ${describe(message)}`);
  const tsNs = input.tsNs !== undefined ? nsOf(input.tsNs) : input.tsMs !== undefined ? msOf(input.tsMs) : nowNs();
  const { level, severityNumber } = levelOf(input.level);
  const recordChecks = opts?.recordChecks === true;
  const attributes =
    input.attributes === undefined
      ? {}
      : recordChecks
        ? (input.attributes as Attributes)
        : opts?.copyAttributes === false
          ? checkedAttributes(input.attributes)
          : attributesOf(input.attributes);
  const resource =
    defaultResource instanceof ResourceCache
      ? input.resource === undefined
        ? defaultResource.defaultResource
        : defaultResource.merge(input.resource)
      : input.resource === undefined
        ? defaultResource
        : mergeResource(defaultResource, input.resource);
  const traceId = idOf(input.traceId, 'traceId', 32, ZERO_TRACE, recordChecks);
  const spanId = idOf(input.spanId, 'spanId', 16, ZERO_SPAN, recordChecks);
  // One literal per id combination (absent ids stay absent): no property added after creation, so
  // the write path sees at most four object shapes.
  if (traceId !== undefined) {
    return spanId !== undefined
      ? { tsNs, level, severityNumber, message, attributes, resource, traceId, spanId }
      : { tsNs, level, severityNumber, message, attributes, resource, traceId };
  }
  return spanId !== undefined ? { tsNs, level, severityNumber, message, attributes, resource, spanId } : { tsNs, level, severityNumber, message, attributes, resource };
}

function nsOf(v: unknown): bigint {
  let ns: bigint;
  if (typeof v === 'bigint') ns = v;
  else if (typeof v === 'string' && /^\d{1,19}$/.test(v)) ns = BigInt(v);
  else throw new LogsError('INVALID_TIME', `tsNs must be epoch nanoseconds as a bigint or a decimal integer string, got ${describe(v)}`);
  if (ns < 0n || ns > MAX_NS) throw new LogsError('INVALID_TIME', `tsNs ${ns} is outside [0, 2^63) epoch nanoseconds`);
  return ns;
}

function msOf(v: unknown): bigint {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_MS) {
    throw new LogsError('INVALID_TIME', `tsMs must be a finite, non-negative number of epoch milliseconds, got ${describe(v)}`);
  }
  // Whole ms exact as a bigint; the fraction rounded to the ns (as query bounds are, query/time.ts).
  const whole = Math.floor(v);
  const frac = v - whole;
  return frac === 0 ? BigInt(whole) * NS_PER_MS : BigInt(whole) * NS_PER_MS + BigInt(Math.round(frac * 1e6));
}

function idOf(v: unknown, field: string, chars: number, zero: string, recordChecks: boolean): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (recordChecks) {
    if (typeof v !== 'string' || v.length !== chars) throw invalid(`${field} must be ${chars} hex characters, got ${describe(v)}`);
    return v === zero ? undefined : v;
  }
  // Lowercase is the common case (OTel SDKs emit it): checked without allocating a copy.
  const id = typeof v !== 'string' ? '' : isHex(v, chars) ? v : v.toLowerCase();
  if (!isHex(id, chars)) throw invalid(`${field} must be ${chars} hex characters, got ${describe(v)}`);
  return id === zero ? undefined : id;
}

function attributesOf(v: unknown): Attributes {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(`attributes must be a plain object, got ${describe(v)}`);
  return copyObject(v as Record<string, unknown>, 'attributes', 0);
}

/** The caller's attributes, checked as attributesOf copies them (same errors), not copied. */
function checkedAttributes(v: unknown): Attributes {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(`attributes must be a plain object, got ${describe(v)}`);
  const proto = Object.getPrototypeOf(v);
  // A class instance (a Map, a Date...) serializes differently from its own keys: copy those.
  if ((proto !== Object.prototype && proto !== null) || Object.prototype.hasOwnProperty.call(v, 'toJSON')) return attributesOf(v);
  checkObject(v as Record<string, unknown>, 'attributes', 0);
  return v as Attributes;
}

/**
 * An entry normalized with copyAttributes: false, made safe to hand out (live tail): its own copy
 * of the attributes, so later caller mutations do not reach subscribers.
 */
export function detachedEntry(entry: LogEntry): LogEntry {
  const out = { ...entry, attributes: copyObject(entry.attributes as Record<string, unknown>, 'attributes', 0) };
  // recordChecks keeps ids in the caller's case; stored (and read back) they are lowercase.
  if (out.traceId !== undefined) out.traceId = out.traceId.toLowerCase();
  if (out.spanId !== undefined) out.spanId = out.spanId.toLowerCase();
  return out;
}

function checkObject(src: Record<string, unknown>, path: string, depth: number): void {
  checkAttributeObject(src, path, depth, invalid);
}

function copyObject(src: Record<string, unknown>, path: string, depth: number): { [key: string]: AttrValue } {
  if (depth > MAX_DEPTH) throw invalid(`${path} is nested more than ${MAX_DEPTH} levels deep (a cycle?)`);
  const out: { [key: string]: AttrValue } = {};
  const keys = Object.keys(src);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const v = src[k];
    // Scalars inline (the common case); everything else through copyValue.
    const c = typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && v !== 0 && v - v === 0) ? v : copyValue(v, path, k, depth);
    if (c === undefined) continue;
    if (k === '__proto__') setOwn(out, k, c);
    else out[k] = c;
  }
  return out;
}

function copyValue(v: unknown, path: string, key: string | number, depth: number): AttrValue | undefined {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      if (!Number.isFinite(v)) throw invalid(`${path}.${key} is ${v}: attribute numbers must be finite (JSON has no ${v})`);
      return v === 0 ? 0 : v; // -0 is stored (and read back) as 0
    case 'undefined':
      return undefined;
    case 'object': {
      if (v === null) return null;
      const where = `${path}.${key}`;
      if (Array.isArray(v)) {
        if (depth + 1 > MAX_DEPTH) throw invalid(`${where} is nested more than ${MAX_DEPTH} levels deep (a cycle?)`);
        // JSON writes undefined array members as null.
        return v.map((x, i) => copyValue(x, where, i, depth + 1) ?? null);
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        throw invalid(`${where} must be a plain object, array or scalar, got ${proto?.constructor?.name ?? 'an object'} (convert it first, e.g. toISOString() for a Date)`);
      }
      return copyObject(v as Record<string, unknown>, where, depth + 1);
    }
    default:
      throw invalid(`${path}.${key} has a ${typeof v} value; attribute values are strings, finite numbers, booleans, null, arrays or plain objects`);
  }
}

/** Plain assignment would turn a '__proto__' key into a prototype change. */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

function invalid(message: string): LogsError {
  return new LogsError('INVALID_ENTRY', message);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return v.length > 80 ? `${JSON.stringify(v.slice(0, 80))}…` : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${String(v)}`;
  return typeof v;
}
