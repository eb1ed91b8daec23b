// The worker side of a query over sealed blocks: read (coalesced), check the TBLK frame + crc,
// decode, filter with the compiled query, and return the best `limit` matches after the cursor as
// entry records (one transferable buffer), or, for counts, only the tallies. A block that cannot be
// read or decoded is reported in `skipped` and the rest still answer: this never throws for a bad
// block.
import { decodeLogBlock } from '../codec/block.js';
import { EntryRecordWriter } from '../codec/entry-record.js';
import { parseBlock } from '../../storage/block.js';
import { SegmentReader } from '../../storage/segments.js';
import type { LogEntry } from '../types.js';
import type { CompiledLogQuery } from './compile.js';
import { compareKeys, isAfterCursor } from './cursor.js';
import { BlockFetcher } from './fetch.js';
import { makeMatcher } from './matcher.js';

export interface LogBlockRef {
  /** blocks.id in index.db (echoed in skipped). */
  id: number;
  /** Absolute segment path. */
  file: string;
  offset: number;
  length: number;
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
  /** Blocks decoded (read and checked successfully). */
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

export function readLogBlocks(input: ReadLogBlocksInput): ReadLogBlocksOutput {
  const { query, countOnly = false } = input;
  const limit = Math.max(0, Math.floor(input.limit));
  const matches = makeMatcher(query);
  const after = query.after;
  const sign = query.order === 'desc' ? -1 : 1;
  const byLevel = [0, 0, 0, 0, 0, 0];
  const skipped: SkippedLogBlock[] = [];
  const kept = new TopMatches(limit, sign);
  let count = 0; // countOnly
  let blocksScanned = 0;
  const reader = new SegmentReader();
  try {
    const fetcher = new BlockFetcher(reader, input.blocks);
    for (const ref of input.blocks) {
      let entries: LogEntry[];
      let seqs: Float64Array;
      try {
        const { header, payload } = parseBlock(fetcher.get(ref));
        ({ entries, seqs } = decodeLogBlock(payload));
        if (entries.length !== header.count) {
          throw new CorruptBlock(`block decodes to ${entries.length} entries but its header says ${header.count}`);
        }
      } catch (err) {
        skipped.push(skipOf(ref, err));
        continue;
      }
      blocksScanned++;
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i];
        const seq = seqs[i];
        if (after && !isAfterCursor(after, e.tsNs, seq)) continue;
        if (countOnly) {
          if (!matches(e)) continue;
          count++;
          byLevel[(e.severityNumber - 1) >> 2]++;
        } else if (!kept.wouldKeep(e.tsNs, seq)) {
          // Cannot make the page: skip it before the matcher (which may lowercase the message).
          kept.truncated = true;
        } else if (matches(e)) {
          kept.add(e, seq);
        }
      }
    }
  } finally {
    reader.close();
  }
  if (countOnly) return { records: new Uint8Array(0), count, byLevel, skipped, blocksScanned, truncated: false };
  const { records, n } = kept.records();
  return { records, count: n, byLevel, skipped, blocksScanned, truncated: kept.truncated };
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
