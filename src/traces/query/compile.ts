// TraceQuery -> a plain-data compiled query (structured-clone safe: it goes to pool workers), with
// every field checked (typed TracesError INVALID_QUERY / INVALID_CURSOR), plus the span predicate
// both the main thread (hot tail) and the workers (blocks) apply, and the result order.
//
// Order: newest start first; ties by trace id, then span id (a total order over stored spans, so a
// cursor - the last span's key - never repeats nor drops a span).
import { Buffer } from 'node:buffer';
import { TracesError } from '../errors.js';
import { ALL_SPAN_MASK, kindBit, statusBit } from '../schema.js';
import { attrTerm, nameTerm, termValue } from '../terms.js';
import { SPAN_KINDS, STATUS_CODES, type Span, type SpanKind, type StatusCode, type TraceQuery } from '../types.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 10_000;
const NS_PER_MS = 1_000_000n;
const I64_MAX = 2n ** 63n - 1n;

/** The key of a span in result order. */
export interface SpanKey {
  startNs: bigint;
  traceId: string;
  spanId: string;
}

export interface CompiledTraceQuery {
  service?: string;
  name?: string;
  kind?: SpanKind;
  status?: StatusCode;
  minDurationNs?: bigint;
  maxDurationNs?: bigint;
  /** [key, value as string]: span attributes first, then resource attributes. */
  attributes: Array<[string, string]>;
  traceId?: string;
  /** Start-time range: inclusive from, exclusive to. */
  fromNs?: bigint;
  toNs?: bigint;
  limit: number;
  /** Continue strictly after this key. */
  after?: SpanKey;
  /** blocks.mask bits a block must share (kinds x status). */
  mask: number;
  /** Index terms every candidate block must have. */
  terms: string[];
}

function invalid(message: string): TracesError {
  return new TracesError('INVALID_QUERY', message);
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (v === null) return 'null';
  return Array.isArray(v) ? 'an array' : `${typeof v} ${String(v)}`;
}

const QUERY_KEYS = new Set([
  'service', 'name', 'kind', 'status', 'minDurationMs', 'maxDurationMs', 'attributes', 'traceId', 'fromMs', 'toMs', 'fromNs', 'toNs', 'limit', 'cursor',
]);

export function compileTraceQuery(q: TraceQuery, indexed: readonly string[]): CompiledTraceQuery {
  if (q === null || typeof q !== 'object' || Array.isArray(q)) throw invalid(`a trace query must be an object, got ${describe(q)}`);
  for (const k of Object.keys(q)) if (!QUERY_KEYS.has(k)) throw invalid(`unknown query field ${JSON.stringify(k)} (known: ${[...QUERY_KEYS].join(', ')})`);
  const out: CompiledTraceQuery = { attributes: [], limit: DEFAULT_LIMIT, mask: ALL_SPAN_MASK, terms: [] };
  const str = (v: unknown, field: string): string | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') throw invalid(`${field} must be a non-empty string, got ${describe(v)}`);
    return v;
  };
  out.service = str(q.service, 'service');
  out.name = str(q.name, 'name');
  if (q.kind !== undefined) {
    if (!SPAN_KINDS.includes(q.kind)) throw invalid(`kind must be one of ${SPAN_KINDS.join(', ')}, got ${describe(q.kind)}`);
    out.kind = q.kind;
  }
  if (q.status !== undefined) {
    if (!STATUS_CODES.includes(q.status)) throw invalid(`status must be one of ${STATUS_CODES.join(', ')}, got ${describe(q.status)}`);
    out.status = q.status;
  }
  out.minDurationNs = durationNs(q.minDurationMs, 'minDurationMs');
  out.maxDurationNs = durationNs(q.maxDurationMs, 'maxDurationMs');
  if (out.minDurationNs !== undefined && out.maxDurationNs !== undefined && out.minDurationNs > out.maxDurationNs) {
    throw invalid(`minDurationMs ${q.minDurationMs} is above maxDurationMs ${q.maxDurationMs}`);
  }
  if (q.attributes !== undefined) {
    if (q.attributes === null || typeof q.attributes !== 'object' || Array.isArray(q.attributes)) throw invalid(`attributes must be an object of key -> value, got ${describe(q.attributes)}`);
    for (const [k, v] of Object.entries(q.attributes)) {
      if (typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v))) {
        throw invalid(`attributes.${k} must be a string, a finite number or a boolean, got ${describe(v)}`);
      }
      out.attributes.push([k, String(v)]);
    }
  }
  if (q.traceId !== undefined) {
    if (typeof q.traceId !== 'string' || !/^[0-9a-fA-F]{32}$/.test(q.traceId)) throw invalid(`traceId must be 32 hex chars, got ${describe(q.traceId)}`);
    out.traceId = q.traceId.toLowerCase();
  }
  out.fromNs = timeNs(q.fromNs, q.fromMs, 'from');
  out.toNs = timeNs(q.toNs, q.toMs, 'to');
  if (q.limit !== undefined) {
    if (typeof q.limit !== 'number' || !Number.isInteger(q.limit) || q.limit < 1 || q.limit > MAX_LIMIT) {
      throw invalid(`limit must be an integer in 1..${MAX_LIMIT}, got ${describe(q.limit)}; page with the cursor for more`);
    }
    out.limit = q.limit;
  }
  if (q.cursor !== undefined) out.after = decodeSpanCursor(q.cursor);
  if (out.kind !== undefined || out.status !== undefined) {
    const kinds = out.kind !== undefined ? kindBit(out.kind) : 0x3f;
    const statuses = out.status !== undefined ? statusBit(out.status) : 0x1c0;
    // A block qualifies if it has the kind AND the status (each checked on its bit group).
    out.mask = kinds | statuses;
  }
  if (out.service !== undefined) out.terms.push(`service=${out.service}`);
  if (out.name !== undefined) {
    const t = nameTerm(out.name);
    if (t !== undefined) out.terms.push(t);
  }
  for (const [k, v] of out.attributes) {
    if (!indexed.includes(k)) continue;
    const t = attrTerm(k, v);
    if (t !== undefined && termValue(v) !== undefined) out.terms.push(t);
  }
  return out;
}

function durationNs(ms: unknown, field: string): bigint | undefined {
  if (ms === undefined) return undefined;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw invalid(`${field} must be a number of ms >= 0, got ${describe(ms)}`);
  return BigInt(Math.round(ms * 1e6));
}

function timeNs(ns: unknown, ms: unknown, side: string): bigint | undefined {
  if (ns !== undefined) {
    if (typeof ns !== 'bigint') throw invalid(`${side}Ns must be a bigint of epoch ns, got ${describe(ns)}`);
    return clampNs(ns);
  }
  if (ms === undefined) return undefined;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) throw invalid(`${side}Ms must be a finite number of epoch ms, got ${describe(ms)}`);
  const whole = Math.floor(ms);
  return clampNs(BigInt(whole) * NS_PER_MS + BigInt(Math.round((ms - whole) * 1e6)));
}

const MAX_NS = (1n << 63n) - 1n;

/**
 * Stored times are in [0, 2^63) ns, so a bound outside that range selects the same spans as the
 * range's edge; clamping keeps it within SQLite's int64 (it threw a RangeError past it).
 */
function clampNs(ns: bigint): bigint {
  return ns < 0n ? 0n : ns > MAX_NS ? MAX_NS : ns;
}

/** A block's kinds and statuses can hold a match: it has one of the wanted kinds AND one of the wanted statuses. */
export function maskMayMatch(blockMask: number, q: CompiledTraceQuery): boolean {
  return (blockMask & q.mask & 0x3f) !== 0 && (blockMask & q.mask & 0x1c0) !== 0;
}

/** Ascending comparison in result order: newest start first, then trace id, then span id. */
export function compareSpanKeys(a: SpanKey, b: SpanKey): number {
  if (a.startNs !== b.startNs) return a.startNs > b.startNs ? -1 : 1;
  if (a.traceId !== b.traceId) return a.traceId < b.traceId ? -1 : 1;
  return a.spanId === b.spanId ? 0 : a.spanId < b.spanId ? -1 : 1;
}

function attrString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

const has = Object.prototype.hasOwnProperty;

/** The span predicate of the compiled query (time range and cursor included). */
export function spanMatches(q: CompiledTraceQuery, s: Span): boolean {
  if (q.fromNs !== undefined && s.startNs < q.fromNs) return false;
  if (q.toNs !== undefined && s.startNs >= q.toNs) return false;
  if (q.after !== undefined && compareSpanKeys(s, q.after) <= 0) return false;
  if (q.traceId !== undefined && s.traceId !== q.traceId) return false;
  if (q.name !== undefined && s.name !== q.name) return false;
  if (q.kind !== undefined && s.kind !== q.kind) return false;
  if (q.status !== undefined && s.status.code !== q.status) return false;
  if (q.service !== undefined && s.resource.attributes['service.name'] !== q.service) return false;
  if (q.minDurationNs !== undefined || q.maxDurationNs !== undefined) {
    const d = s.endNs - s.startNs;
    if (q.minDurationNs !== undefined && d < q.minDurationNs) return false;
    if (q.maxDurationNs !== undefined && d > q.maxDurationNs) return false;
  }
  for (const [k, want] of q.attributes) {
    const v = has.call(s.attributes, k) ? s.attributes[k] : s.resource.attributes[k];
    if (attrString(v) !== want) return false;
  }
  return true;
}

// ------------------------------------------------------------------ cursor

// Bytes: [u8 version=1][i64 LE startNs][16 trace id bytes][8 span id bytes] = 33, base64url.
const CURSOR_VERSION = 1;
const CURSOR_BYTES = 33;
const CURSOR_CHARS = 44;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export function encodeSpanCursor(k: SpanKey): string {
  const b = Buffer.alloc(CURSOR_BYTES);
  b[0] = CURSOR_VERSION;
  b.writeBigInt64LE(k.startNs, 1);
  b.write(k.traceId, 9, 16, 'hex');
  b.write(k.spanId, 25, 8, 'hex');
  return b.toString('base64url');
}

/** Throws TracesError INVALID_CURSOR for anything encodeSpanCursor did not produce. */
export function decodeSpanCursor(text: unknown): SpanKey {
  const bad = (m: string) => new TracesError('INVALID_CURSOR', m);
  if (typeof text !== 'string') throw bad(`cursor must be a string, got ${typeof text}`);
  if (text.length !== CURSOR_CHARS || !BASE64URL.test(text)) throw bad('cursor is not one this engine produced (pass back the cursor of the previous answer unchanged)');
  const b = Buffer.from(text, 'base64url');
  if (b.length !== CURSOR_BYTES) throw bad('cursor has the wrong length');
  if (b[0] !== CURSOR_VERSION) throw bad(`cursor version ${b[0]} is unknown to this build`);
  const startNs = b.readBigInt64LE(1);
  if (startNs < 0n || startNs > I64_MAX) throw bad('cursor time is out of range');
  return { startNs, traceId: b.toString('hex', 9, 25), spanId: b.toString('hex', 25, 33) };
}
