// Page assembly on the main thread: the hot tail's matches and each worker batch's matches arrive as
// pages already sorted in the query order; they are merged on the total order (tsNs, seq), cut at
// `limit`, and the cursor is the key of the last entry kept.
import type { LogEntry } from '../types.js';
import type { CompiledLogQuery } from './compile.js';
import { compareKeys, encodeCursor, isAfterCursor, type LogOrder } from './cursor.js';
import type { LogMatcher } from './matcher.js';

/** Entries with their seqs (parallel), sorted in the query order. */
export interface LogPage {
  entries: LogEntry[];
  seqs: ArrayLike<number>;
  /** The source had (or may have had) more matches after these: it was cut at a limit. */
  truncated?: boolean;
}

export interface MergedPage {
  entries: LogEntry[];
  seqs: number[];
  /** Present when more entries may follow (see mergePages). */
  cursor?: string;
}

/**
 * Merges sorted pages into one page of at most `limit`. The cursor is set (on a non-empty page) when
 * entries were cut here, when a page was itself truncated (its further matches were never seen), or
 * when `more` says unread sources remain (the caller's blocks not yet read). An entry seen twice
 * (same tsNs and seq: e.g. in the hot tail and in the block that sealed it, read across the seal) is
 * kept once — which is why a truncated page matters even when nothing was cut here.
 */
export function mergePages(pages: readonly LogPage[], order: LogOrder, limit: number, more = false): MergedPage {
  const sign = order === 'desc' ? -1 : 1;
  const pos = new Array<number>(pages.length).fill(0);
  const entries: LogEntry[] = [];
  const seqs: number[] = [];
  let cut = false;
  for (;;) {
    let best = -1;
    for (let p = 0; p < pages.length; p++) {
      if (pos[p] >= pages[p].entries.length) continue;
      if (best < 0 || sign * keyCompare(pages[p], pos[p], pages[best], pos[best]) < 0) best = p;
    }
    if (best < 0) break;
    const page = pages[best];
    const i = pos[best]++;
    const last = entries.length - 1;
    if (last >= 0 && entries[last].tsNs === page.entries[i].tsNs && seqs[last] === page.seqs[i]) continue;
    if (entries.length === limit) {
      cut = true;
      break;
    }
    entries.push(page.entries[i]);
    seqs.push(page.seqs[i]);
  }
  const n = entries.length;
  const truncated = pages.some((p) => p.truncated === true);
  const cursor = n > 0 && (cut || more || truncated) ? encodeCursor({ tsNs: entries[n - 1].tsNs, seq: seqs[n - 1], order }) : undefined;
  return { entries, seqs, cursor };
}

/**
 * The matches of a set of entries (the hot tail, a chunk being sealed) after the query's cursor,
 * sorted in its order, at most `limit` of them: a page for mergePages. Only the first `count`
 * entries are looked at (the caller need not copy a growing chunk). When `ordered` says the entries
 * are in (tsNs, seq) order already (the usual case: a clock writing in order), the walk starts from
 * the query's end and stops at `limit` matches, so a newest-page query does not touch the whole tail.
 */
export function selectPage(
  entries: readonly LogEntry[],
  seqs: ArrayLike<number>,
  q: CompiledLogQuery,
  matches: LogMatcher,
  limit = q.limit,
  opts: { count?: number; ordered?: boolean } = {},
): LogPage {
  const n = Math.min(opts.count ?? entries.length, entries.length);
  const picked: number[] = [];
  const take = (i: number) => (!q.after || isAfterCursor(q.after, entries[i].tsNs, seqs[i])) && matches(entries[i]);
  if (opts.ordered) {
    let truncated = false;
    const desc = q.order === 'desc';
    for (let k = 0; k < n; k++) {
      const i = desc ? n - 1 - k : k;
      if (!take(i)) continue;
      if (picked.length === limit) {
        truncated = true;
        break;
      }
      picked.push(i);
    }
    return { entries: picked.map((i) => entries[i]), seqs: picked.map((i) => seqs[i]), truncated };
  }
  for (let i = 0; i < n; i++) if (take(i)) picked.push(i);
  const sign = q.order === 'desc' ? -1 : 1;
  picked.sort((a, b) => sign * compareKeys(entries[a].tsNs, seqs[a], entries[b].tsNs, seqs[b]));
  const truncated = picked.length > limit;
  if (truncated) picked.length = limit;
  return { entries: picked.map((i) => entries[i]), seqs: picked.map((i) => seqs[i]), truncated };
}

function keyCompare(a: LogPage, i: number, b: LogPage, j: number): number {
  return compareKeys(a.entries[i].tsNs, a.seqs[i], b.entries[j].tsNs, b.seqs[j]);
}
