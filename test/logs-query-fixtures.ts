// Seeded log entries for the query layer's tests (src/logs/query/*.test.ts): crowded timestamps
// (many entries share one ns, so paging must order by seq), every level, mixed-case and unicode
// messages, attributes that shadow resource keys, nested values, trace/span ids on some entries.
import { Prng } from '../bench/gen/prng.js';
import { decodeEntryRecords } from '../src/logs/codec/entry-record.js';
import { compileLogQuery } from '../src/logs/query/compile.js';
import { mergePages } from '../src/logs/query/merge.js';
import { readLogBlocks, type LogBlockRef } from '../src/logs/query/read-blocks.js';
import { LOG_LEVELS, type Attributes, type LogEntry, type LogQuery, type Resource } from '../src/logs/types.js';

export const SERVICES = ['api', 'worker', 'Billing'];
export const HOSTS = ['h1', 'h2'];
export const WORDS = ['GET', 'post', 'user', 'Users', 'timeout', 'ÉCHEC', 'straße', 'İstanbul', 'cache-miss', 'db_error', 'ok', '42', 'x'];
export const TRACE_IDS = ['0af7651916cd43dd8448eb211c80319c', '4bf92f3577b34da6a3ce929d0e0e4736', 'ffffffffffffffffffffffffffffffff'];
export const SPAN_IDS = ['00f067aa0ba902b7', 'b7ad6b7169203331'];

export interface SeededEntries {
  entries: LogEntry[];
  /** Unique write sequence, parallel to entries (write order = array order). */
  seqs: number[];
}

/** `n` entries over a narrow ns range (lots of equal timestamps), written out of time order. */
export function seededEntries(seed: number, n: number, baseNs = 1_700_000_000_000_000_000n): SeededEntries {
  const rng = new Prng(seed);
  const entries: LogEntry[] = [];
  const seqs: number[] = [];
  const resources: Resource[] = SERVICES.flatMap((s) => HOSTS.map((h) => ({ 'service.name': s, 'host.name': h, region: rng.pick(['eu', 'us']) })));
  for (let i = 0; i < n; i++) {
    const severityNumber = rng.int(1, 24);
    const words: string[] = [];
    const wc = rng.int(1, 5);
    for (let w = 0; w < wc; w++) words.push(rng.pick(WORDS));
    const attributes: Attributes = {};
    if (rng.int(0, 1)) attributes.status = rng.pick([200, 404, 500, '200']);
    if (rng.int(0, 3) === 0) attributes.region = rng.pick(['eu', 'ap', { nested: 'eu' }, null]);
    if (rng.int(0, 4) === 0) attributes.ok = rng.pick([true, false]);
    if (rng.int(0, 5) === 0) attributes.list = ['eu'];
    const entry: LogEntry = {
      tsNs: baseNs + BigInt(rng.int(0, Math.max(1, n >> 2))) * 1000n + BigInt(rng.int(0, 1) * 999_999),
      level: LOG_LEVELS[(severityNumber - 1) >> 2],
      severityNumber,
      message: words.join(rng.pick([' ', ', ', ': ', '/'])),
      attributes,
      resource: rng.pick(resources),
    };
    if (rng.int(0, 2) === 0) entry.traceId = rng.pick(TRACE_IDS);
    if (rng.int(0, 3) === 0) entry.spanId = rng.pick(SPAN_IDS);
    entries.push(entry);
    seqs.push(i + 1);
  }
  return { entries, seqs };
}

/**
 * Every match of `query` over the blocks, page by page with cursors, each page read as the engine
 * reads one: two worker batches (the blocks split in halves) merged. Returns the seqs in page order.
 */
export function pageInTwoBatches(refs: readonly LogBlockRef[], query: LogQuery): number[] {
  const got: number[] = [];
  let cursor: string | undefined;
  for (let pages = 0; ; pages++) {
    if (pages >= 1000) throw new Error('paging did not end within 1000 pages');
    const q = compileLogQuery({ ...query, cursor });
    const half = refs.length >> 1;
    const batches = [refs.slice(0, half), refs.slice(half)].map((bs) => {
      const out = readLogBlocks({ blocks: [...bs], query: q, limit: q.limit });
      const d = decodeEntryRecords(out.records);
      return { entries: d.entries, seqs: d.seqs, truncated: out.truncated };
    });
    const page = mergePages(batches, q.order, q.limit);
    got.push(...page.seqs);
    if (!page.cursor) return got;
    cursor = page.cursor;
  }
}
