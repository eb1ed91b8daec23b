// Index terms of spans (event-index `terms`), computed the same way for a hot chunk (hot.ts, on the
// main thread while spans arrive) and for a columnar block (codec/block.ts, in the pool), so a query
// finds a span whether it sits in a RAW or a compacted block:
//   'service=<resource service.name>'  'name=<span name>'  'attr:<key>=<value>' for indexed keys
// (span attributes first, then resource attributes, as the query matcher looks them up; scalar
// values only, at most TERM_VALUE_MAX_CHARS). Kinds and status codes are blocks.mask bits (schema.ts),
// not terms.
import type { AttrValue, Attributes } from './types.js';

/** Terms are skipped for values longer than this (they would bloat the index, and nobody types them). */
export const TERM_VALUE_MAX_CHARS = 200;

/**
 * Attribute keys indexed by default: what trace searches filter on (the HTTP method, route and
 * status of current and pre-1.21 semantic conventions, and the RPC/messaging/DB targets).
 */
export const DEFAULT_INDEXED_SPAN_ATTRIBUTES: readonly string[] = [
  'http.request.method',
  'http.response.status_code',
  'http.route',
  'http.method',
  'http.status_code',
  'rpc.method',
  'messaging.destination.name',
  'db.system',
];

/** The term text of a scalar value, or undefined for values that give no term. */
export function termValue(v: AttrValue | undefined): string | undefined {
  const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
  return s !== undefined && s.length <= TERM_VALUE_MAX_CHARS ? s : undefined;
}

export function serviceTerm(resource: Attributes): string | undefined {
  const v = termValue(resource['service.name']);
  return v === undefined ? undefined : `service=${v}`;
}

export function nameTerm(name: string): string | undefined {
  return name.length <= TERM_VALUE_MAX_CHARS ? `name=${name}` : undefined;
}

export function attrTerm(key: string, v: AttrValue | undefined): string | undefined {
  const s = termValue(v);
  return s === undefined ? undefined : `attr:${key}=${s}`;
}
