// The worker side of a query over sealed blocks: read (coalesced), check the TBLK frame + crc,
// filter with the compiled query, and return the best `limit` matches after the cursor as entry
// records (one transferable buffer), or, for counts, only the tallies. Decoding is as lazy as each
// block's codec allows: a RAW block (schema.ts CODEC_LOG_RAW_V1) is filtered on its records' fixed
// headers and only candidates are decoded (best first, no more than the page needs); a columnar
// block searched for text is decoded messages-only first and whole only when some message matches.
// A block that cannot be read or decoded is reported in `skipped` and the rest still answer: this
// never throws for a bad block.
import { decodeLogBlock } from '../codec/block.js';
import { EntryRecordWriter } from '../codec/entry-record.js';
import { parseBlock } from '../../storage/block.js';
import { SegmentReader } from '../../storage/segments.js';
import { CODEC_LOG_RAW_V1 } from '../schema.js';
import type { LogEntry } from '../types.js';
import type { CompiledLogQuery } from './compile.js';
import { compareKeys, isAfterCursor } from './cursor.js';
import { BlockFetcher } from './fetch.js';
import { makeMatcher, type LogMatcher } from './matcher.js';
import { indexRawRecords, rawEntries, rawEntry, rawMessage, type RawRecordIndex } from './raw-records.js';
import { hasToken } from './tokens.js';

export interface LogBlockRef {
  /** blocks.id in index.db (echoed in skipped). */
  id: number;
  /** Absolute segment path. */
  file: string;
  offset: number;
  length: number;
  /** blocks.codec (schema.ts); absent = columnar (CODEC_LOG_BLOCK_V1). */
  codec?: number;
}

export interface ReadLogBlocksInput {
  blocks: LogBlockRef[];
  query: CompiledLogQuery;
  /** Most matches returned (usually query.limit). Ignored when countOnly. */
  limit: number;
  /** Count matches (total + per level) and return no records. */
  countOnly?: boolean;
}

export interface SkippedLogBlock {
  id: number;
  file: string;
  offset: number;
  /** StorageError / CodecError code (CORRUPT_BLOCK, IO, TRUNCATED, CORRUPT...). */
  code: string;
  message: string;
}

export interface ReadLogBlocksOutput {
  /** Entry records (codec/entry-record.ts) of the kept matches, in the query order. Empty when countOnly. */
  records: Uint8Array;
  /**
   * countOnly: every match after the cursor in the readable blocks. Otherwise the number of records
   * returned (matches that cannot make the page are not even tested).
   */
  count: number;
  /** countOnly: those matches per level, indexed as LOG_LEVELS. Otherwise all zero. */
  byLevel: number[];
  skipped: SkippedLogBlock[];
  /** Blocks read and checked successfully (a columnar block ruled out by its messages counts too). */
  blocksScanned: number;
  /**
   * More matches may follow the returned records in these blocks (some were cut at `limit`, or not
   * tested because they could not make the page): pass it on as LogPage.truncated.
   */
  truncated: boolean;
}

interface Match {
  entry: LogEntry;
  seq: number;
}

/** What one read task shares across its blocks. */
interface Scan {
  q: CompiledLogQuery;
  countOnly: boolean;
  limit: number;
  matches: LogMatcher;
  /** The query without its attribute/resource tests: what a messages-only entry can answer. */
  matchesLite: LogMatcher;
  /** Attribute/resource tests exist (a messages-only entry cannot decide). */
  needsFull: boolean;
  needsText: boolean;
  /** Only severity, time and cursor filter (the fixed record fields decide). */
  headerOnly: boolean;
  kept: TopMatches;
  byLevel: number[];
  count: number;
}

export function readLogBlocks(input: ReadLogBlocksInput): ReadLogBlocksOutput {
  const { query, countOnly = false } = input;
  const limit = Math.max(0, Math.floor(input.limit));
  const needsFull = query.attributes.length > 0 || query.service !== undefined || query.host !== undefined;
  const needsText = query.needle !== undefined || query.tokens.length > 0;
  const scan: Scan = {
    q: query,
    countOnly,
    limit,
    matches: makeMatcher(query),
    matchesLite: needsFull ? makeMatcher({ ...query, attributes: [], service: undefined, host: undefined }) : makeMatcher(query),
    needsFull,
    needsText,
    headerOnly: !needsFull && !needsText && query.traceId === undefined && query.spanId === undefined,
    kept: new TopMatches(limit, query.order === 'desc' ? -1 : 1),
    byLevel: [0, 0, 0, 0, 0, 0],
    count: 0,
  };
  const skipped: SkippedLogBlock[] = [];
  let blocksScanned = 0;
  const reader = new SegmentReader();
  try {
    const fetcher = new BlockFetcher(reader, input.blocks);
    for (const ref of input.blocks) {
      try {
        const { header, payload } = parseBlock(fetcher.get(ref));
        if (ref.codec === CODEC_LOG_RAW_V1) scanRaw(scan, indexRawRecords(payload, header.count));
        else scanColumnar(scan, payload, header.count);
      } catch (err) {
        skipped.push(skipOf(ref, err));
        continue;
      }
      blocksScanned++;
    }
  } finally {
    reader.close();
  }
  const { byLevel } = scan;
  if (countOnly) return { records: new Uint8Array(0), count: scan.count, byLevel, skipped, blocksScanned, truncated: false };
  const { records, n } = scan.kept.records();
  return { records, count: n, byLevel, skipped, blocksScanned, truncated: scan.kept.truncated };
}

function checkCount(decoded: number, header: number): void {
  if (decoded !== header) throw new CorruptBlock(`block decodes to ${decoded} entries but its header says ${header}`);
}

/**
 * A columnar block. Its matches are collected first and handed to `kept` only once the whole block
 * decoded, so a block that fails half-way adds nothing (it is reported as skipped).
 */
function scanColumnar(s: Scan, payload: Uint8Array, headerCount: number): void {
  const { q, kept, countOnly } = s;
  const after = q.after;
  let entries: LogEntry[];
  let seqs: Float64Array;
  let rows: number[] | undefined;
  if (s.needsText) {
    // Messages first (about 3x cheaper): most blocks of a text search hold no match.
    const lite = decodeLogBlock(payload, { messagesOnly: true });
    checkCount(lite.entries.length, headerCount);
    rows = [];
    let dropped = false;
    for (let i = 0; i < lite.entries.length; i++) {
      const e = lite.entries[i];
      const seq = lite.seqs[i];
      if (after && !isAfterCursor(after, e.tsNs, seq)) continue;
      if (!countOnly && !kept.wouldKeep(e.tsNs, seq)) {
        dropped = true;
        continue;
      }
      if (s.matchesLite(e)) rows.push(i);
    }
    if (dropped) kept.truncated = true;
    if (rows.length === 0) return;
    if (countOnly && !s.needsFull) {
      for (const i of rows) tally(s, lite.entries[i]);
      return;
    }
    ({ entries, seqs } = decodeLogBlock(payload));
    checkCount(entries.length, headerCount);
  } else {
    ({ entries, seqs } = decodeLogBlock(payload));
    checkCount(entries.length, headerCount);
  }
  const found: Match[] = [];
  const test = (i: number) => {
    const e = entries[i];
    const seq = seqs[i];
    if (!rows && after && !isAfterCursor(after, e.tsNs, seq)) return;
    if (countOnly) {
      if (s.matches(e)) tally(s, e);
    } else if (!kept.wouldKeep(e.tsNs, seq)) {
      // Cannot make the page: skip it before the matcher (which may lowercase the message).
      kept.truncated = true;
    } else if (s.matches(e)) {
      found.push({ entry: e, seq });
    }
  };
  if (rows) for (const i of rows) test(i);
  else for (let i = 0; i < entries.length; i++) test(i);
  for (const m of found) kept.add(m.entry, m.seq);
}

/** A RAW block: fixed-header filters on arrays, then decode only what can matter. */
function scanRaw(s: Scan, ix: RawRecordIndex): void {
  const { q, kept, countOnly } = s;
  const { tsNs, seqs, severity } = ix;
  const after = q.after;
  const cands: number[] = [];
  let ordered = true;
  let dropped = false;
  for (let i = 0; i < ix.n; i++) {
    const ts = tsNs[i];
    if (severity[i] < q.minSeverity) continue;
    if (q.fromNs !== undefined && ts < q.fromNs) continue;
    if (q.toNs !== undefined && ts >= q.toNs) continue;
    if (after && !isAfterCursor(after, ts, seqs[i])) continue;
    if (!countOnly && !kept.wouldKeep(ts, seqs[i])) {
      dropped = true;
      continue;
    }
    // Records are in seq order; when their times never go back, seq order is (tsNs, seq) order.
    if (ordered && cands.length > 0 && ts < tsNs[cands[cands.length - 1]]) ordered = false;
    cands.push(i);
  }
  if (dropped) kept.truncated = true;
  if (cands.length === 0) return;
  if (countOnly) {
    if (s.headerOnly) {
      for (const i of cands) s.byLevel[(severity[i] - 1) >> 2]++;
      s.count += cands.length;
      return;
    }
    // Most records will be decoded anyway: one pass shares the parsed resources.
    const all = cands.length * 4 > ix.n ? rawEntries(ix) : undefined;
    for (const i of cands) {
      if (!textMayMatch(s, ix, i)) continue;
      const e = all ? all[i] : rawEntry(ix, i);
      if (s.matches(e)) tally(s, e);
    }
    return;
  }
  // Best first, so decoding stops once `limit` matches are found: a later candidate sorts after them.
  const sign = q.order === 'desc' ? -1 : 1;
  if (!ordered) cands.sort((a, b) => sign * compareKeys(tsNs[a], seqs[a], tsNs[b], seqs[b]));
  else if (sign < 0) cands.reverse();
  const found: Match[] = [];
  for (let k = 0; k < cands.length; k++) {
    if (found.length === s.limit) {
      kept.truncated = true;
      break;
    }
    const i = cands[k];
    if (!textMayMatch(s, ix, i)) continue;
    const e = rawEntry(ix, i);
    if (s.matches(e)) found.push({ entry: e, seq: seqs[i] });
  }
  for (const m of found) kept.add(m.entry, m.seq);
}

/** The record's message alone against the text filters (false = cannot match). */
function textMayMatch(s: Scan, ix: RawRecordIndex, i: number): boolean {
  if (!s.needsText) return true;
  const lower = rawMessage(ix, i).toLowerCase();
  const { needle, tokens } = s.q;
  if (needle !== undefined && !lower.includes(needle)) return false;
  for (let t = 0; t < tokens.length; t++) if (!hasToken(lower, tokens[t])) return false;
  return true;
}

function tally(s: Scan, e: LogEntry): void {
  s.count++;
  s.byLevel[(e.severityNumber - 1) >> 2]++;
}

/**
 * The best `limit` matches in the query order, without sorting all of them: candidates collect up to
 * 2 * limit, then are sorted and cut, which also tightens the bound `wouldKeep` tests against. Does
 * not rely on blocks being internally sorted.
 */
class TopMatches {
  private items: Match[] = [];
  /** Some candidate after the cursor was dropped or never tested because the page was full. */
  truncated = false;
  /** The worst kept match once `limit` are known, else undefined. */
  private bound: Match | undefined;

  constructor(private readonly limit: number, private readonly sign: number) {}

  wouldKeep(tsNs: bigint, seq: number): boolean {
    if (this.limit === 0) return false;
    const b = this.bound;
    return b === undefined || this.sign * compareKeys(tsNs, seq, b.entry.tsNs, b.seq) < 0;
  }

  /** A match that passed wouldKeep. */
  add(entry: LogEntry, seq: number): void {
    this.items.push({ entry, seq });
    if (this.items.length >= 2 * this.limit) this.cut();
  }

  records(): { records: Uint8Array; n: number } {
    this.cut();
    const w = new EntryRecordWriter();
    for (const m of this.items) w.append(m.entry, m.seq);
    // A copy that owns its buffer: the writer's view is into a larger reusable buffer.
    return { records: new Uint8Array(w.bytes()), n: this.items.length };
  }

  private cut(): void {
    const { sign } = this;
    this.items.sort((a, b) => sign * compareKeys(a.entry.tsNs, a.seq, b.entry.tsNs, b.seq));
    if (this.items.length > this.limit) {
      this.items.length = this.limit;
      this.truncated = true;
    }
    if (this.items.length === this.limit && this.limit > 0) this.bound = this.items[this.limit - 1];
  }
}

class CorruptBlock extends Error {
  readonly code = 'CORRUPT_BLOCK';
}

function skipOf(ref: LogBlockRef, err: unknown): SkippedLogBlock {
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'READ_FAILED';
  const message = err instanceof Error ? err.message : String(err);
  return { id: ref.id, file: ref.file, offset: ref.offset, code, message };
}
