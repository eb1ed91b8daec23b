// The hot tail: entries written but not yet in committed blocks, queryable at once. Entries go into
// the active chunk: as objects (for queries and fields) and, once, as entry records in the chunk's
// EntryRecordWriter. Those same record bytes are what the WAL gets (in slices: `takeUnlogged`) and
// what the sealer ships to a worker (one buffer per chunk), so each entry is encoded once.
// A cut chunk stays here, queryable, until the transaction indexing its block commits (`release`).
import { EntryRecordWriter } from './codec/entry-record.js';
import type { LogEntry } from './types.js';

/**
 * Memory estimate of one hot entry beyond its record bytes (object headers, the attribute objects,
 * the bigint, array slots): used for the backpressure bound, so it errs high.
 */
const ENTRY_OVERHEAD_BYTES = 160;

/** Smallest record buffer of a chunk; later chunks start at their predecessor's size (no regrowth copies). */
const MIN_CHUNK_CAPACITY = 64 * 1024;
const MAX_CHUNK_CAPACITY = 32 * 1024 * 1024;

export class HotChunk {
  readonly entries: LogEntry[] = [];
  readonly seqs: number[] = [];
  /** Records of the entries (undefined once cut and handed to the sealer). */
  writer: EntryRecordWriter | undefined;
  /** Byte length of the records already given to the WAL. */
  logged = 0;
  recordBytes = 0;
  tMinNs: bigint | undefined;
  tMaxNs: bigint | undefined;
  /** Bit i = some entry has level LOG_LEVELS[i]. */
  levelMask = 0;
  /** Every entry's tsNs ≥ the previous one's (seqs always grow), so the chunk is in (tsNs, seq) order. */
  ordered = true;

  constructor(capacity = MIN_CHUNK_CAPACITY) {
    this.writer = new EntryRecordWriter(capacity);
  }

  get count(): number {
    return this.entries.length;
  }

  get firstSeq(): number {
    return this.seqs[0];
  }

  get lastSeq(): number {
    return this.seqs[this.seqs.length - 1];
  }

  /** Memory held, estimated (for backpressure). */
  get memoryBytes(): number {
    return 2 * this.recordBytes + this.entries.length * ENTRY_OVERHEAD_BYTES;
  }
}

export class HotTail {
  active = new HotChunk();
  /** Cut chunks not yet committed, oldest first (seq order). */
  readonly sealing: HotChunk[] = [];
  private sealingMemory = 0;
  private sealingEntries = 0;

  /** Appends one entry (its record is encoded here; throws the codec's error and keeps nothing on bad input). */
  append(entry: LogEntry, seq: number): void {
    const c = this.active;
    const w = c.writer!;
    const before = w.byteLength;
    w.append(entry, seq);
    c.recordBytes += w.byteLength - before;
    c.entries.push(entry);
    c.seqs.push(seq);
    const ts = entry.tsNs;
    if (c.tMaxNs !== undefined && ts < c.tMaxNs) c.ordered = false;
    if (c.tMinNs === undefined || ts < c.tMinNs) c.tMinNs = ts;
    if (c.tMaxNs === undefined || ts > c.tMaxNs) c.tMaxNs = ts;
    c.levelMask |= 1 << ((entry.severityNumber - 1) >> 2);
  }

  /** Records of the active chunk not yet given to the WAL (a view; copy before the next append). */
  takeUnlogged(): Uint8Array | undefined {
    const c = this.active;
    const w = c.writer!;
    if (w.byteLength === c.logged) return undefined;
    const bytes = w.bytes().subarray(c.logged);
    c.logged = w.byteLength;
    return bytes;
  }

  get unloggedBytes(): number {
    return this.active.writer!.byteLength - this.active.logged;
  }

  /**
   * Ends the active chunk (the caller has given its records to the WAL) and returns it with its
   * records as one owned buffer (transferable), or undefined when it is empty.
   */
  cut(): { chunk: HotChunk; records: Uint8Array } | undefined {
    const c = this.active;
    if (c.count === 0) return undefined;
    const records = new Uint8Array(c.writer!.bytes()); // an owned copy: transferred to a worker
    c.writer = undefined;
    // Sized like this one (plus slack): a steady stream cuts equal chunks, so no buffer regrowth.
    this.active = new HotChunk(Math.min(MAX_CHUNK_CAPACITY, Math.max(MIN_CHUNK_CAPACITY, Math.ceil(records.length * 1.25))));
    this.sealing.push(c);
    this.sealingMemory += c.memoryBytes;
    this.sealingEntries += c.count;
    return { chunk: c, records };
  }

  /** The chunk's block is committed: stop serving it from memory. Chunks commit oldest first. */
  release(c: HotChunk): void {
    const i = this.sealing.indexOf(c);
    if (i < 0) return;
    this.sealing.splice(i, 1);
    this.sealingMemory -= c.memoryBytes;
    this.sealingEntries -= c.count;
  }

  /** Every chunk still in memory, oldest first. */
  chunks(): HotChunk[] {
    return this.active.count > 0 ? [...this.sealing, this.active] : [...this.sealing];
  }

  get entries(): number {
    return this.sealingEntries + this.active.count;
  }

  get memoryBytes(): number {
    return this.sealingMemory + this.active.memoryBytes;
  }

  get recordBytes(): number {
    let n = this.active.recordBytes;
    for (const c of this.sealing) n += c.recordBytes;
    return n;
  }
}
