// The text half of block pruning: the block's bloom filter (codec/filters.ts) asked about every
// text condition of the query. Each probe has no false negatives, so "false" proves no match.
import { filterMayContainSubstring, filterMayContainToken, filterMayContainTraceId } from '../codec/filters.js';
import type { CompiledLogQuery } from './compile.js';

/** False only when the filter proves no entry of the block can match the query's text conditions. */
export function filterMayMatch(filter: Uint8Array, q: CompiledLogQuery): boolean {
  if (q.traceId !== undefined && !filterMayContainTraceId(filter, q.traceId)) return false;
  if (q.needle !== undefined && !filterMayContainSubstring(filter, q.needle)) return false;
  for (const t of q.tokens) if (!filterMayContainToken(filter, t)) return false;
  return true;
}
