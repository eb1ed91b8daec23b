// Block pruning from index rows (main thread, before any read): which sealed blocks may hold a
// match, from what index.db stores per block — the ms time span (t_min_ms = floor of the first ns,
// t_max_ms = ceil of the last), the level mask, the terms and the token/trigram filter. Every test
// here is a necessary condition for a match: pruning may keep a block without matches (a filter
// false positive), never drop one with a match.
import { TERM_VALUE_MAX_CHARS } from '../codec/block.js';
import { LOG_LEVELS } from '../types.js';
import type { CompiledLogQuery } from './compile.js';
import type { LogOrder } from './cursor.js';
import { filterMayMatch } from './probe.js';
import { ceilMs, floorMs } from './time.js';

/** The index row fields pruning looks at. */
export interface LogBlockRow {
  tMinMs: number;
  tMaxMs: number;
  /** Exact ns span (index t_min_ns / t_max_ns): when given, time tests use it instead of the ms span. */
  tMinNs?: bigint;
  tMaxNs?: bigint;
  levelMask: number;
  /** The block's token/trigram filter (codec/filters.ts); absent = cannot prune on text. */
  filter?: Uint8Array | null;
}

const ALL_LEVELS = (1 << LOG_LEVELS.length) - 1;

/** Level-mask bits of the levels whose range reaches minSeverity (a block needs one of them). */
export function levelMaskAtOrAbove(minSeverity: number): number {
  const first = Math.max(0, (minSeverity - 1) >> 2);
  return ALL_LEVELS & ~((1 << first) - 1);
}

/**
 * Bounds on the index's ms columns a candidate block must satisfy (`t_max_ms >= minTMaxMs AND
 * t_min_ms <= maxTMinMs`, each when defined): the query's time range and its cursor, for the SQL.
 */
export function blockTimeBoundsMs(q: CompiledLogQuery): { minTMaxMs?: number; maxTMinMs?: number } {
  let minTMaxMs: number | undefined;
  let maxTMinMs: number | undefined;
  // Some entry has fromNs <= tsNs <= tMaxNs <= t_max_ms * 1e6.
  if (q.fromNs !== undefined) minTMaxMs = ceilMs(q.fromNs);
  // Some entry has t_min_ms * 1e6 <= tMinNs <= tsNs < toNs, and t_min_ms is an integer.
  if (q.toNs !== undefined) maxTMinMs = ceilMs(q.toNs) - 1;
  if (q.after) {
    // desc continues at tsNs <= cursor; asc at tsNs >= cursor (equal ns: seq decides).
    if (q.after.order === 'desc') maxTMinMs = min(maxTMinMs, floorMs(q.after.tsNs));
    else minTMaxMs = max(minTMaxMs, ceilMs(q.after.tsNs));
  }
  return { minTMaxMs, maxTMinMs };
}

/** True unless the row proves the block holds no match of `q` (after its cursor). */
export function blockMayMatch(row: LogBlockRow, q: CompiledLogQuery): boolean {
  if ((row.levelMask & levelMaskAtOrAbove(q.minSeverity)) === 0) return false;
  if (row.tMinNs !== undefined && row.tMaxNs !== undefined) {
    if (!nsSpanMayMatch(row.tMinNs, row.tMaxNs, q)) return false;
  } else {
    const { minTMaxMs, maxTMinMs } = blockTimeBoundsMs(q);
    if (minTMaxMs !== undefined && row.tMaxMs < minTMaxMs) return false;
    if (maxTMinMs !== undefined && row.tMinMs > maxTMinMs) return false;
  }
  if (row.filter && row.filter.length > 0 && !filterMayMatch(row.filter, q)) return false;
  return true;
}

/**
 * When the page already holds `limit` entries and its last (worst) key has tsNs `lastTsNs`: may this
 * block still hold an entry that sorts before that key? If not, neither can any block after it in
 * read order (newest-first by t_max_ms for desc, oldest-first by t_min_ms for asc), and reading stops.
 */
export function blockMayImprove(row: LogBlockRow, order: LogOrder, lastTsNs: bigint): boolean {
  // desc: needs some tsNs >= lastTsNs (equal ns with a larger seq sorts first); asc mirrors.
  if (order === 'desc') return row.tMaxNs !== undefined ? row.tMaxNs >= lastTsNs : row.tMaxMs >= ceilMs(lastTsNs);
  return row.tMinNs !== undefined ? row.tMinNs <= lastTsNs : row.tMinMs <= floorMs(lastTsNs);
}

/** Whether entries in [tMinNs, tMaxNs] can fall in the query range and after its cursor. */
function nsSpanMayMatch(tMinNs: bigint, tMaxNs: bigint, q: CompiledLogQuery): boolean {
  if (q.fromNs !== undefined && tMaxNs < q.fromNs) return false;
  if (q.toNs !== undefined && tMinNs >= q.toNs) return false;
  if (q.after) {
    if (q.after.order === 'desc' ? tMinNs > q.after.tsNs : tMaxNs < q.after.tsNs) return false;
  }
  return true;
}

/**
 * Index terms every matching block must have (the engine can require them in SQL): 'service=..',
 * 'host=..', and 'attr:<k>=<v>' for attribute equalities on indexed keys. Levels go through the mask.
 * Values longer than TERM_VALUE_MAX_CHARS are never indexed (codec/block.ts), so they are not required.
 */
export function indexTerms(q: CompiledLogQuery, indexedAttributes: readonly string[]): string[] {
  const terms: string[] = [];
  const add = (prefix: string, value: string | undefined) => {
    if (value !== undefined && value.length <= TERM_VALUE_MAX_CHARS) terms.push(prefix + value);
  };
  add('service=', q.service);
  add('host=', q.host);
  const indexed = new Set(indexedAttributes);
  for (const [key, value] of q.attributes) if (indexed.has(key)) add(`attr:${key}=`, value);
  return terms;
}

function min(a: number | undefined, b: number): number {
  return a === undefined ? b : Math.min(a, b);
}

function max(a: number | undefined, b: number): number {
  return a === undefined ? b : Math.max(a, b);
}
