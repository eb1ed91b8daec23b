// Engine-side query wiring: the hot tail (filtered on the main thread), candidate blocks from the
// index (time range, level mask, terms, then the per-block filter), block reads in the pool in
// growing batches, and the page merge. A query holds the read gate from its snapshot to its last
// read, so compaction/retention never swap rows under its index paging. Its snapshot is "committed
// up to sealed_seq S + the hot chunks": blocks committed later (max_seq > S) are left out, as their
// entries are in the snapshot's chunks, so nothing is seen twice.
import path from 'node:path';
import type { EventBlockRow } from '../storage/event-index.js';
import { decodeEntryRecords } from './codec/entry-record.js';
import { compileLogQuery, MAX_LIMIT, type CompiledLogQuery } from './query/compile.js';
import { isAfterCursor } from './query/cursor.js';
import { makeMatcher, lookupAttribute } from './query/matcher.js';
import { mergePages, selectPage, type LogPage } from './query/merge.js';
import { blockMayImprove, blockMayMatch, indexTerms, levelMaskAtOrAbove, type LogBlockRow } from './query/prune.js';
import type { ReadLogBlocksOutput } from './query/read-blocks.js';
import type { HotChunk } from './hot.js';
import { LOG_LEVELS } from './types.js';
import type { LogCountResult, LogEntry, LogFilter, LogLevel, LogQuery, LogQueryResult, SkippedBlock } from './types.js';

/** What the reader needs of the engine (engine.ts implements it). */
export interface ReaderHost {
  readonly root: string;
  readonly indexedAttributes: readonly string[];
  readonly index: import('../storage/event-index.js').EventBlockIndex;
  readonly pool: import('../pool/pool.js').Pool;
  readonly gate: import('../storage/read-gate.js').ReadGate;
  /** Synchronous snapshot: the hot chunks (with their current lengths) and the sealed watermark. */
  snapshot(): { chunks: Array<{ chunk: HotChunk; n: number; ordered: boolean }>; sealedSeq: number };
  reportCorrupt(s: SkippedBlock & { blockId: number }): void;
}

const ROWS_PER_PAGE = 256;
/**
 * Entries the first batch of blocks holds, as a multiple of the page: the newest blocks are small
 * (compaction.ts keeps the newest events in ~256-entry blocks), so a newest-first page, or one whose
 * filter keeps a fair share of entries, is usually answered by this first batch.
 */
const FIRST_BATCH_PAGES = 4;
/** Later batches: sized from the match rate seen so far, times this margin. */
const BATCH_MARGIN = 1.5;
/** Blocks per pool task at most (bounds one task's memory and latency), and per count task. */
const MAX_BATCH_BLOCKS = 32;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

function pruneRow(r: EventBlockRow): LogBlockRow {
  return { tMinMs: msFloor(r.tMinNs), tMaxMs: msCeil(r.tMaxNs), levelMask: r.mask, filter: r.filter };
}
const msFloor = (ns: bigint) => Number(ns / 1_000_000n) - (ns % 1_000_000n < 0n ? 1 : 0);
const msCeil = (ns: bigint) => Number(ns / 1_000_000n) + (ns % 1_000_000n > 0n ? 1 : 0);

/** Iterates the candidate blocks of a query in its read order, in index pages, pruned. */
class Candidates {
  private after: { ns: bigint; id: number } | undefined;
  private exhausted = false;
  private readonly buf: EventBlockRow[] = [];
  private readonly fromNs: bigint;
  private readonly toNs: bigint;
  private readonly terms: string[];
  private readonly mask: number;

  constructor(private readonly host: ReaderHost, private readonly q: CompiledLogQuery, private readonly maxSeq: number) {
    let fromNs = q.fromNs ?? I64_MIN;
    let toNs = q.toNs ?? I64_MAX;
    // The cursor bounds the range too: desc continues at tsNs <= cursor, asc at tsNs >= cursor.
    if (q.after?.order === 'desc' && q.after.tsNs + 1n < toNs) toNs = q.after.tsNs + 1n;
    if (q.after?.order === 'asc' && q.after.tsNs > fromNs) fromNs = q.after.tsNs;
    this.fromNs = fromNs;
    this.toNs = toNs;
    this.terms = indexTerms(q, host.indexedAttributes);
    this.mask = levelMaskAtOrAbove(q.minSeverity);
  }

  /** The next candidate without taking it (undefined when none is left). */
  peek(): EventBlockRow | undefined {
    this.fill(1);
    return this.buf[0];
  }

  take(n: number): EventBlockRow[] {
    this.fill(n);
    return this.buf.splice(0, n);
  }

  /** Blocks in read order while `keep` holds for the next one (at most `maxBlocks`). */
  takeWhile(keep: (r: EventBlockRow) => boolean, maxBlocks: number): EventBlockRow[] {
    const out: EventBlockRow[] = [];
    for (let r = this.peek(); r !== undefined && out.length < maxBlocks && keep(r); r = this.peek()) out.push(this.buf.shift()!);
    return out;
  }

  /** Blocks in read order until they hold `entries` entries (at least one, at most `maxBlocks`). */
  takeEntries(entries: number, maxBlocks: number): EventBlockRow[] {
    const out: EventBlockRow[] = [];
    let n = 0;
    while (out.length < maxBlocks && (out.length === 0 || n < entries)) {
      const r = this.peek();
      if (r === undefined) break;
      out.push(this.buf.shift()!);
      n += r.count;
    }
    return out;
  }

  get more(): boolean {
    return this.buf.length > 0 || !this.exhausted;
  }

  private fill(n: number): void {
    while (this.buf.length < n && !this.exhausted) {
      if (this.fromNs >= this.toNs) {
        this.exhausted = true;
        break;
      }
      const rows = this.host.index.candidates({
        fromNs: this.fromNs,
        toNs: this.toNs,
        mask: this.mask,
        terms: this.terms,
        order: this.q.order,
        limit: ROWS_PER_PAGE,
        after: this.after,
        maxSeq: this.maxSeq,
      });
      if (rows.length < ROWS_PER_PAGE) this.exhausted = true;
      const last = rows[rows.length - 1];
      if (last) this.after = { ns: this.q.order === 'desc' ? last.tMaxNs : last.tMinNs, id: last.id };
      for (const r of rows) if (blockMayMatch(pruneRow(r), this.q)) this.buf.push(r);
    }
  }
}

function refsOf(host: ReaderHost, rows: EventBlockRow[]) {
  return rows.map((r) => ({ id: r.id, file: path.join(host.root, r.file), offset: r.offset, length: r.length, codec: r.codec }));
}

function recordSkipped(host: ReaderHost, out: ReadLogBlocksOutput, rows: EventBlockRow[], skipped: SkippedBlock[]): void {
  for (const s of out.skipped) {
    const row = rows.find((r) => r.id === s.id);
    const file = row ? row.file : path.relative(host.root, s.file).split(path.sep).join('/');
    const sb: SkippedBlock = { file, offset: s.offset, code: s.code, message: s.message };
    skipped.push(sb);
    host.reportCorrupt({ ...sb, blockId: s.id });
  }
}

/** Splits rows into up to `tasks` contiguous slices. */
function slices<T>(rows: T[], tasks: number): T[][] {
  const n = Math.max(1, Math.min(tasks, rows.length));
  const per = Math.ceil(rows.length / n);
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += per) out.push(rows.slice(i, i + per));
  return out;
}

export async function runQuery(host: ReaderHost, input: LogQuery): Promise<LogQueryResult> {
  const q = compileLogQuery(input ?? {});
  await host.gate.enter();
  try {
    const { chunks, sealedSeq } = host.snapshot();
    const matches = makeMatcher(q);
    // One more than the page: if it fills, entries were cut and the answer gets a cursor.
    const cap = q.limit + 1;
    const pages: LogPage[] = chunks.map(({ chunk, n, ordered }) => selectPage(chunk.entries, chunk.seqs, q, matches, cap, { count: n, ordered }));
    let page: LogPage = mergePages(pages, q.order, cap);
    const cands = new Candidates(host, q, sealedSeq);
    const skipped: SkippedBlock[] = [];
    let blocksScanned = 0;
    let batchEntries = FIRST_BATCH_PAGES * cap;
    let entriesRead = 0;
    let matchesRead = 0;
    for (;;) {
      const next = cands.peek();
      if (next === undefined) break;
      if (page.entries.length >= cap && !blockMayImprove(pruneRow(next), q.order, page.entries[cap - 1].tsNs)) break;
      const full = page.entries.length >= cap;
      // A full page reads exactly the blocks that may still improve it (all of them must be read).
      const rows = full
        ? cands.takeWhile((r) => blockMayImprove(pruneRow(r), q.order, page.entries[cap - 1].tsNs), MAX_BATCH_BLOCKS * host.pool.threads)
        : cands.takeEntries(batchEntries, MAX_BATCH_BLOCKS * host.pool.threads);
      const parts = slices(rows, host.pool.threads);
      const outs = await Promise.all(parts.map((p) => host.pool.readLogBlocks({ blocks: refsOf(host, p), query: q, limit: cap })));
      const got: LogPage[] = [page];
      for (const r of rows) entriesRead += r.count;
      outs.forEach((out, i) => {
        matchesRead += out.count;
        blocksScanned += out.blocksScanned;
        recordSkipped(host, out, parts[i], skipped);
        if (out.records.length > 0) {
          const d = decodeEntryRecords(out.records);
          got.push({ entries: d.entries, seqs: d.seqs });
        }
      });
      page = mergePages(got, q.order, cap);
      // Next batch: enough entries for the missing matches at the rate seen so far (doubling while
      // nothing matched). A rough guide: pruning skips blocks, and the page's order matters too.
      const missing = Math.max(1, cap - page.entries.length);
      batchEntries = matchesRead > 0 ? Math.ceil(((missing * entriesRead) / matchesRead) * BATCH_MARGIN) : batchEntries * 2;
    }
    const final = mergePages([page], q.order, q.limit, cands.more);
    const result: LogQueryResult = { entries: final.entries, skipped, blocksScanned };
    if (final.cursor !== undefined) result.cursor = final.cursor;
    return result;
  } finally {
    host.gate.exit();
  }
}

export async function runCount(host: ReaderHost, input: LogQuery | LogFilter): Promise<LogCountResult> {
  const q = compileLogQuery(input ?? {});
  await host.gate.enter();
  try {
    const { chunks, sealedSeq } = host.snapshot();
    const matches = makeMatcher(q);
    const byLevel = Object.fromEntries(LOG_LEVELS.map((l) => [l, 0])) as Record<LogLevel, number>;
    let total = 0;
    for (const { chunk, n } of chunks) {
      for (let i = 0; i < n; i++) {
        const e = chunk.entries[i];
        if (q.after && !isAfterCursor(q.after, e.tsNs, chunk.seqs[i])) continue;
        if (!matches(e)) continue;
        total++;
        byLevel[e.level]++;
      }
    }
    const cands = new Candidates(host, q, sealedSeq);
    const skipped: SkippedBlock[] = [];
    for (;;) {
      const rows = cands.take(MAX_BATCH_BLOCKS * host.pool.threads);
      if (rows.length === 0) break;
      const parts = slices(rows, host.pool.threads);
      const outs = await Promise.all(parts.map((p) => host.pool.readLogBlocks({ blocks: refsOf(host, p), query: q, limit: 0, countOnly: true })));
      outs.forEach((out, i) => {
        recordSkipped(host, out, parts[i], skipped);
        total += out.count;
        out.byLevel.forEach((c, l) => (byLevel[LOG_LEVELS[l]] += c));
      });
    }
    return { total, byLevel, skipped };
  } finally {
    host.gate.exit();
  }
}

/** Every page of a query, in order, until the answer has no cursor. */
export async function* streamQuery(host: ReaderHost, input: LogQuery): AsyncGenerator<LogQueryResult> {
  let cursor = input?.cursor;
  for (;;) {
    const page = await runQuery(host, { ...input, cursor });
    yield page;
    if (page.cursor === undefined) return;
    cursor = page.cursor;
  }
}

/** Attribute and resource keys: the index's keys table plus the hot tail's. */
export function listFields(host: ReaderHost): string[] {
  const keys = new Set(host.index.keys());
  for (const { chunk, n } of host.snapshot().chunks) {
    for (let i = 0; i < n; i++) {
      const e = chunk.entries[i];
      for (const k in e.attributes) keys.add(k);
      for (const k in e.resource) keys.add(k);
    }
  }
  return [...keys].sort();
}

const NEWEST_BLOCKS_SAMPLED = 8;

/**
 * Distinct values of a field, sorted, at most `limit`: level from the block masks; service, host
 * and indexed attributes from the index terms; any other key from the hot tail and the newest
 * blocks (a sample: values only in older blocks are not listed).
 */
export async function fieldValues(host: ReaderHost, key: string, limit: number): Promise<string[]> {
  if (typeof key !== 'string' || key === '') throw new TypeError('timeless: logs.fieldValues(key) needs a non-empty key');
  const values = new Set<string>();
  const hotEntries = (): LogEntry[] => host.snapshot().chunks.flatMap(({ chunk, n }) => chunk.entries.slice(0, n));
  if (key === 'level') {
    let mask = 0;
    for (const m of host.index.distinctMasks()) mask |= m;
    for (const e of hotEntries()) values.add(e.level);
    LOG_LEVELS.forEach((l, i) => {
      if (mask & (1 << i)) values.add(l);
    });
    return LOG_LEVELS.filter((l) => values.has(l)).slice(0, limit);
  }
  const termPrefix =
    key === 'service' || key === 'service.name'
      ? 'service='
      : key === 'host' || key === 'host.name'
        ? 'host='
        : host.indexedAttributes.includes(key)
          ? `attr:${key}=`
          : undefined;
  const lookup = (e: LogEntry): string | undefined => {
    if (termPrefix === 'service=') return scalar(e.resource['service.name']);
    if (termPrefix === 'host=') return scalar(e.resource['host.name']);
    return lookupAttribute(e, key);
  };
  for (const e of hotEntries()) {
    const v = lookup(e);
    if (v !== undefined) values.add(v);
  }
  if (termPrefix !== undefined) {
    for (const v of host.index.termValues(termPrefix, limit)) values.add(v);
  } else {
    await host.gate.enter();
    try {
      const rows = host.index.newest(NEWEST_BLOCKS_SAMPLED);
      if (rows.length > 0) {
        const out = await host.pool.readLogBlocks({ blocks: refsOf(host, rows), query: compileLogQuery({ limit: MAX_LIMIT }), limit: MAX_LIMIT });
        recordSkipped(host, out, rows, []);
        for (const e of decodeEntryRecords(out.records).entries) {
          const v = lookupAttribute(e, key);
          if (v !== undefined) values.add(v);
        }
      }
    } finally {
      host.gate.exit();
    }
  }
  return [...values].sort().slice(0, limit);
}

function scalar(v: unknown): string | undefined {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}
