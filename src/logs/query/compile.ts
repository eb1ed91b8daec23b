// LogQuery / LogFilter -> CompiledLogQuery: every field checked (typed LogsError with a message that
// names the field and says what to pass instead) and normalized once, so the matcher, the block
// pruning and the worker read see one canonical form. The result is plain data (bigints, strings,
// arrays): it is structured-cloned into pool workers, which build their own matcher from it
// (functions do not cross threads).
import { LogsError } from '../errors.js';
import { parseLevel } from '../levels.js';
import type { LogFilter, LogQuery } from '../types.js';
import { decodeCursor, type LogCursor, type LogOrder } from './cursor.js';
import { queryTokens } from './tokens.js';
import { msToNs, parseNs } from './time.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 10_000;

export interface CompiledLogQuery {
  /** Lowest severity number kept (1 = every entry). */
  minSeverity: number;
  /** Inclusive lower bound (ns), when the query has one. */
  fromNs?: bigint;
  /** Exclusive upper bound (ns), when the query has one. */
  toNs?: bigint;
  /** Lowercased substring the lowercased message must contain. */
  needle?: string;
  /** Lowercased whole tokens that must all appear among the message's tokens (deduplicated, sorted). */
  tokens: string[];
  /** Attribute equality pairs, values as strings, sorted by key (attributes first, then resource). */
  attributes: Array<[string, string]>;
  /** resource['service.name'] equality. */
  service?: string;
  /** resource['host.name'] equality. */
  host?: string;
  /** 32 lowercase hex chars. */
  traceId?: string;
  /** 16 lowercase hex chars. */
  spanId?: string;
  /** Page size, 1..MAX_LIMIT. */
  limit: number;
  order: LogOrder;
  /** Continue strictly after this key (in `order`). */
  after?: LogCursor;
}

const FILTER_KEYS = ['minLevel', 'fromMs', 'toMs', 'fromNs', 'toNs', 'search', 'tokens', 'attributes', 'service', 'host', 'traceId', 'spanId'] as const;
const PAGE_KEYS = ['limit', 'cursor', 'order'] as const;
const KNOWN_KEYS = new Set<string>([...FILTER_KEYS, ...PAGE_KEYS]);
/** Common misspellings, answered with the field meant. */
const HINTS: Record<string, string> = { level: 'minLevel', from: 'fromMs', to: 'toMs', q: 'search', query: 'search', trace_id: 'traceId', span_id: 'spanId' };

/** Validates and normalizes a query (or a live-tail filter: no paging fields). */
export function compileLogQuery(q: LogQuery | LogFilter): CompiledLogQuery {
  if (q === null || typeof q !== 'object' || Array.isArray(q)) {
    throw invalid(`a log query must be an object, got ${q === null ? 'null' : Array.isArray(q) ? 'an array' : typeof q}`);
  }
  const src = q as Record<string, unknown>;
  for (const key of Object.keys(src)) {
    if (src[key] !== undefined && !KNOWN_KEYS.has(key)) {
      const hint = HINTS[key] ? `; did you mean ${HINTS[key]}?` : `; known fields: ${[...KNOWN_KEYS].join(', ')}`;
      throw invalid(`unknown query field ${JSON.stringify(key)}${hint}`);
    }
  }
  const { fromNs, toNs } = timeRange(src);
  const order = orderOf(src.order);
  const after = src.cursor === undefined || src.cursor === '' ? undefined : decodeCursor(src.cursor);
  if (after && src.order !== undefined && after.order !== order) {
    throw new LogsError('INVALID_CURSOR', `the cursor continues an order=${after.order} query, but this query asks for order=${order}`);
  }
  return {
    minSeverity: minSeverityOf(src.minLevel),
    fromNs,
    toNs,
    needle: optionalString(src.search, 'search')?.toLowerCase(),
    tokens: tokensOf(src.tokens),
    attributes: attributesOf(src.attributes),
    service: optionalString(src.service, 'service'),
    host: optionalString(src.host, 'host'),
    traceId: hexId(src.traceId, 'traceId', 32),
    spanId: hexId(src.spanId, 'spanId', 16),
    limit: limitOf(src.limit),
    // A cursor alone continues in its own order (the caller need not repeat it).
    order: after && src.order === undefined ? after.order : order,
    after,
  };
}

function minSeverityOf(v: unknown): number {
  if (v === undefined) return 1;
  if (typeof v !== 'string' && typeof v !== 'number') {
    throw new LogsError('INVALID_LEVEL', `minLevel must be a level name or a severity number 1..24, got ${describe(v)}`);
  }
  try {
    return parseLevel(v).severityNumber;
  } catch (err) {
    const detail = err instanceof LogsError ? err.message.replace(/^INVALID_LEVEL: /, '') : String(err);
    throw new LogsError('INVALID_LEVEL', `minLevel: ${detail}`);
  }
}

function timeRange(src: Record<string, unknown>): { fromNs?: bigint; toNs?: bigint } {
  const fromNs = src.fromNs !== undefined ? parseNs(src.fromNs, 'fromNs') : src.fromMs !== undefined ? msToNs(src.fromMs, 'fromMs') : undefined;
  const toNs = src.toNs !== undefined ? parseNs(src.toNs, 'toNs') : src.toMs !== undefined ? msToNs(src.toMs, 'toMs') : undefined;
  if (fromNs !== undefined && toNs !== undefined && fromNs > toNs) {
    throw invalid(`the time range starts after it ends (from ${fromNs} ns > to ${toNs} ns); swap from and to`);
  }
  return { fromNs, toNs };
}

function optionalString(v: unknown, field: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalid(`${field} must be a string, got ${describe(v)}`);
  // An empty value (e.g. "?service=" from a form) means "no filter", not "equal to ''".
  return v === '' ? undefined : v;
}

function tokensOf(v: unknown): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalid(`tokens must be an array of strings, got ${describe(v)}`);
  const out = new Set<string>();
  v.forEach((t, i) => {
    if (typeof t !== 'string') throw invalid(`tokens[${i}] must be a string, got ${describe(t)}`);
    const parts = queryTokens(t);
    if (parts.length === 0) throw invalid(`tokens[${i}] (${JSON.stringify(t)}) holds no word characters, so it can never match a token`);
    for (const p of parts) out.add(p);
  });
  return [...out].sort();
}

function attributesOf(v: unknown): Array<[string, string]> {
  if (v === undefined) return [];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(`attributes must be an object of key -> scalar value, got ${describe(v)}`);
  const out: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
    if (key === '') throw invalid('attributes has an empty key');
    if (value === undefined) continue;
    if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
      out.push([key, String(value)]);
      continue;
    }
    throw invalid(`attributes.${key} must be a string, a finite number or a boolean (values compare as strings), got ${describe(value)}`);
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function hexId(v: unknown, field: string, chars: number): string | undefined {
  const s = optionalString(v, field);
  if (s === undefined) return undefined;
  if (s.length !== chars || !/^[0-9a-fA-F]+$/.test(s)) throw invalid(`${field} must be ${chars} hex characters, got ${JSON.stringify(s)}`);
  return s.toLowerCase();
}

function limitOf(v: unknown): number {
  if (v === undefined) return DEFAULT_LIMIT;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_LIMIT) {
    throw invalid(`limit must be an integer in 1..${MAX_LIMIT}, got ${describe(v)}; page with the cursor for more`);
  }
  return v;
}

function orderOf(v: unknown): LogOrder {
  if (v === undefined) return 'desc';
  if (v === 'desc' || v === 'asc') return v;
  throw invalid(`order must be 'desc' (newest first) or 'asc', got ${describe(v)}`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${String(v)}`;
  return typeof v;
}

function invalid(message: string): LogsError {
  return new LogsError('INVALID_QUERY', message);
}
