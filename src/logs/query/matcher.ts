// The compiled query as a predicate over LogEntry: built where it runs (main thread for the hot tail
// and live tail, each pool worker for sealed blocks), since functions do not cross threads. Cheap
// checks go first; the message is lowercased (and tokenized) only for entries that passed them.
// Paging (the cursor) is not part of it: that needs the entry's seq (see cursor.ts isAfterCursor).
import type { AttrValue, LogEntry } from '../types.js';
import type { CompiledLogQuery } from './compile.js';
import { hasToken } from './tokens.js';

export type LogMatcher = (entry: LogEntry) => boolean;

export function makeMatcher(q: CompiledLogQuery): LogMatcher {
  const { minSeverity, fromNs, toNs, needle, tokens, attributes, service, host, traceId, spanId } = q;
  const needsText = needle !== undefined || tokens.length > 0;
  return (e) => {
    if (e.severityNumber < minSeverity) return false;
    if (fromNs !== undefined && e.tsNs < fromNs) return false;
    if (toNs !== undefined && e.tsNs >= toNs) return false;
    if (traceId !== undefined && e.traceId !== traceId) return false;
    if (spanId !== undefined && e.spanId !== spanId) return false;
    if (service !== undefined && scalarString(e.resource['service.name']) !== service) return false;
    if (host !== undefined && scalarString(e.resource['host.name']) !== host) return false;
    for (let i = 0; i < attributes.length; i++) {
      if (lookupAttribute(e, attributes[i][0]) !== attributes[i][1]) return false;
    }
    if (!needsText) return true;
    const lower = e.message.toLowerCase();
    if (needle !== undefined && !lower.includes(needle)) return false;
    for (let i = 0; i < tokens.length; i++) if (!hasToken(lower, tokens[i])) return false;
    return true;
  };
}

/**
 * An attribute-equality key's value as a string: the entry's attributes first, then its resource.
 * A key present in attributes shadows the resource even when its value is nested or null (which
 * equals no scalar). Undefined when absent or not a scalar.
 */
export function lookupAttribute(e: LogEntry, key: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(e.attributes, key)) return scalarString(e.attributes[key]);
  if (Object.prototype.hasOwnProperty.call(e.resource, key)) return scalarString(e.resource[key]);
  return undefined;
}

function scalarString(v: AttrValue | undefined): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}
