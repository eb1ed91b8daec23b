import { describe, expect, it } from 'vitest';
import { seededEntries } from '../../../test/logs-query-fixtures.js';
import type { LogEntry, LogQuery } from '../types.js';
import { compileLogQuery } from './compile.js';
import { compareKeys, decodeCursor } from './cursor.js';
import { makeMatcher } from './matcher.js';
import { mergePages, selectPage, type LogPage } from './merge.js';

/** Every match of `q` in key order: what paging must return, once each. */
function oracle(entries: LogEntry[], seqs: number[], q: LogQuery): number[] {
  const c = compileLogQuery({ ...q, limit: undefined, cursor: undefined });
  const matches = makeMatcher(c);
  const idx = entries.map((_, i) => i).filter((i) => matches(entries[i]));
  const sign = c.order === 'desc' ? -1 : 1;
  idx.sort((a, b) => sign * compareKeys(entries[a].tsNs, seqs[a], entries[b].tsNs, seqs[b]));
  return idx.map((i) => seqs[i]);
}

/** Pages through `sources` (each an unsorted slice) as the engine does: select per source, merge, repeat. */
function pageThrough(sources: Array<{ entries: LogEntry[]; seqs: number[]; ordered?: boolean }>, q: LogQuery): { seqs: number[]; pages: number } {
  const out: number[] = [];
  let cursor: string | undefined;
  let pages = 0;
  for (;;) {
    const c = compileLogQuery({ ...q, cursor });
    const matches = makeMatcher(c);
    const parts: LogPage[] = sources.map((s) => selectPage(s.entries, s.seqs, c, matches, c.limit, { ordered: s.ordered }));
    const page = mergePages(parts, c.order, c.limit);
    pages++;
    expect(page.entries.length).toBeLessThanOrEqual(c.limit);
    out.push(...page.seqs);
    if (!page.cursor) break;
    expect(page.entries.length).toBe(c.limit);
    cursor = page.cursor;
    if (pages > 10_000) throw new Error('paging does not terminate');
  }
  return { seqs: out, pages };
}

describe('paging through a seeded dataset', () => {
  const { entries, seqs } = seededEntries(7, 3000);
  // Three sources (like the hot tail and two worker batches), the first also repeating a few
  // entries of the second (an entry read from both the hot tail and its freshly sealed block).
  const sources = [
    { entries: [...entries.slice(0, 1000), ...entries.slice(1000, 1050)], seqs: [...seqs.slice(0, 1000), ...seqs.slice(1000, 1050)] },
    { entries: entries.slice(1000, 2000), seqs: seqs.slice(1000, 2000) },
    { entries: entries.slice(2000), seqs: seqs.slice(2000) },
  ];
  const queries: LogQuery[] = [
    { limit: 100 },
    { limit: 7, minLevel: 'warn' },
    { limit: 1, search: 'user', minLevel: 'error' },
    { limit: 33, tokens: ['users'], attributes: { status: 500 } },
    { limit: 64, service: 'api', fromNs: 1_700_000_000_000_100_000n, toNs: 1_700_000_000_000_500_000n },
    { limit: 10_000 },
  ];

  for (const order of ['desc', 'asc'] as const) {
    for (const base of queries) {
      it(`returns every match exactly once, in order (${order}, ${JSON.stringify(base, (_, v) => (typeof v === 'bigint' ? String(v) : v))})`, () => {
        const q = { ...base, order };
        const want = oracle(entries, seqs, q);
        expect(want.length).toBeGreaterThan(0);
        const got = pageThrough(sources, q);
        expect(got.seqs).toEqual(want);
        expect(got.pages).toBe(Math.max(1, Math.ceil(want.length / (q.limit ?? 100))));
        // The same sources in key order, walked from the query's end (the hot tail's fast path).
        const sorted = sources.map((src) => {
          const idx = src.entries.map((_, i) => i).sort((a, b) => compareKeys(src.entries[a].tsNs, src.seqs[a], src.entries[b].tsNs, src.seqs[b]));
          return { entries: idx.map((i) => src.entries[i]), seqs: idx.map((i) => src.seqs[i]), ordered: true };
        });
        expect(pageThrough(sorted, q).seqs).toEqual(want);
      });
    }
  }
});

describe('mergePages', () => {
  const e = (ts: bigint): LogEntry => ({ tsNs: ts, level: 'info', severityNumber: 9, message: '', attributes: {}, resource: {} });

  it('merges on (tsNs, seq), dedupes repeats, cuts at limit with a cursor at the last entry kept', () => {
    const a: LogPage = { entries: [e(9n), e(5n), e(5n)], seqs: [1, 8, 3] };
    const b: LogPage = { entries: [e(7n), e(5n), e(1n)], seqs: [2, 8, 4] };
    const page = mergePages([a, b], 'desc', 3);
    expect(page.seqs).toEqual([1, 2, 8]);
    expect(decodeCursor(page.cursor)).toEqual({ tsNs: 5n, seq: 8, order: 'desc' });
    const all = mergePages([a, b], 'desc', 10);
    expect(all.seqs).toEqual([1, 2, 8, 3, 4]);
    expect(all.cursor).toBeUndefined();
  });

  it('sets the cursor when a source page was truncated, even if nothing was cut here', () => {
    // Both sources hold the same entry (hot tail + its freshly sealed block); one had more after it.
    const a: LogPage = { entries: [e(5n)], seqs: [1], truncated: true };
    const b: LogPage = { entries: [e(5n)], seqs: [1] };
    expect(mergePages([a, b], 'desc', 1).cursor).toBeDefined();
    expect(mergePages([{ ...a, truncated: false }, b], 'desc', 1).cursor).toBeUndefined();
  });

  it('sets the cursor when more sources remain, never on an empty page', () => {
    const a: LogPage = { entries: [e(1n), e(2n)], seqs: [1, 2] };
    expect(mergePages([a], 'asc', 5, true).cursor).toBeDefined();
    expect(mergePages([a], 'asc', 2).cursor).toBeUndefined();
    expect(mergePages([], 'asc', 5, true)).toEqual({ entries: [], seqs: [], cursor: undefined });
  });
});
