// The hot tail: entries written but not yet in committed blocks, queryable at once. An entry is kept
// ONCE, as its entry record in the active chunk's EntryRecordWriter (a SharedArrayBuffer): those
// bytes are what the WAL gets (in slices: `takeUnlogged`) and what the sealer hands a worker (the
// buffer itself, shared: no copy, no transfer). Entry objects are not kept: with every hot entry
// alive until its seal commits, they all survived the young generation and made each scavenge
// copy them (measured: 10-50 ms event-loop stalls at 100k+ entries/s). Queries decode a chunk's
// records lazily (`entries`), once per record, and keep the decoded objects with the chunk.
// A cut chunk stays here, queryable, until the transaction indexing its block commits (`release`).
// The chunk also collects its block's index meta as entries arrive (time range, levels, terms, keys:
// hot-meta.ts), so sealing it as a RAW block needs no decode anywhere.
import { decodeEntryRecords, EntryRecordWriter } from './codec/entry-record.js';
import type { Buffer } from 'node:buffer';
import { HotMeta } from './hot-meta.js';
import type { LogEntry, Resource } from './types.js';

/**
 * Memory estimate of one hot entry beyond its record bytes (its seq slot, and the decoded object a
 * query may add): used for the backpressure bound, so it errs high.
 */
const ENTRY_OVERHEAD_BYTES = 64;

/** Smallest record buffer of a chunk; later chunks start at their predecessor's size (no regrowth copies). */
const MIN_CHUNK_CAPACITY = 64 * 1024;
const MAX_CHUNK_CAPACITY = 32 * 1024 * 1024;

export class HotChunk {
  /**
   * Seqs: a chunk's writes get consecutive seqs, so it keeps the first and the count; a list only
   * when they are not consecutive (WAL replay skipping sealed ones). A growing 32k-number array per
   * chunk lived until the chunk's commit and was promoted, feeding full GCs on the host.
   */
  private first = 0;
  private n = 0;
  private seqList: number[] | undefined;
  private seqCache: number[] = [];
  /** Records of the entries (a shared buffer; never appended to once the chunk is cut). */
  readonly writer: EntryRecordWriter;
  /** Byte length of the records already given to the WAL. */
  logged = 0;
  recordBytes = 0;
  tMinNs: bigint | undefined;
  tMaxNs: bigint | undefined;
  /** Bit i = some entry has level LOG_LEVELS[i]. */
  levelMask = 0;
  /** Every entry's tsNs ≥ the previous one's (seqs always grow), so the chunk is in (tsNs, seq) order. */
  ordered = true;
  /** Index terms and keys of the entries so far. */
  readonly meta: HotMeta;
  private readonly decoded: LogEntry[] = [];
  private decodedBytes = 0;
  /** Resource of the last decoded record (the next one may chain to it). */
  private lastResource: Resource | undefined;

  /** A query snapshot saw this chunk: it may read the records later, so its buffer is never reused. */
  snapshotted = false;

  constructor(capacity = MIN_CHUNK_CAPACITY, indexedAttributes: readonly string[] = [], reuse?: Buffer) {
    // Chained resources: a chunk's records repeat one resource object; each WAL slice restarts the
    // chain (takeUnlogged), so a WAL record decodes on its own, and a chunk from its start.
    this.writer = new EntryRecordWriter(capacity, true, true, reuse);
    this.meta = new HotMeta(indexedAttributes);
  }

  get count(): number {
    return this.n;
  }

  get firstSeq(): number {
    return this.seqList !== undefined ? this.seqList[0] : this.first;
  }

  get lastSeq(): number {
    return this.seqList !== undefined ? this.seqList[this.n - 1] : this.first + this.n - 1;
  }

  /** Seq of entry i, for i < count: a prefix-stable array (queries; built on first use). */
  get seqs(): readonly number[] {
    if (this.seqList !== undefined) return this.seqList;
    const c = this.seqCache;
    for (let i = c.length; i < this.n; i++) c.push(this.first + i);
    return c;
  }

  pushSeq(seq: number): void {
    if (this.n === 0) this.first = seq;
    else if (this.seqList === undefined && seq !== this.first + this.n) this.seqList = [...this.seqs];
    if (this.seqList !== undefined) this.seqList.push(seq);
    this.n++;
  }

  /**
   * The entries, decoded from the records on first use (only the ones appended since the last call):
   * a stable prefix, index i = seqs[i]. Each entry object is the caller's to read, not to mutate.
   */
  get entries(): LogEntry[] {
    const end = this.writer.byteLength;
    if (this.decodedBytes < end) {
      const { entries, lastResource } = decodeEntryRecords(this.writer.bytes().subarray(this.decodedBytes, end), this.lastResource);
      for (let i = 0; i < entries.length; i++) this.decoded.push(entries[i]);
      this.decodedBytes = end;
      this.lastResource = lastResource;
    }
    return this.decoded;
  }

  /** The records, in buffer[0, length) (shared with the sealing worker). */
  records(): { buffer: SharedArrayBuffer; length: number } {
    return this.writer.sharedRecords();
  }

  /** Memory held, estimated (for backpressure). */
  get memoryBytes(): number {
    return this.recordBytes + this.n * ENTRY_OVERHEAD_BYTES;
  }
}

/** Chunk capacities above MIN_CHUNK_CAPACITY are multiples of this. */
const CAPACITY_STEP_BYTES = 4 * 1024 * 1024;

/** Capacity of the chunk after one that held `usedBytes`: a little more (no regrowth copy), in steps. */
function chunkCapacity(usedBytes: number): number {
  const want = Math.ceil(usedBytes * 1.25);
  if (want <= MIN_CHUNK_CAPACITY) return MIN_CHUNK_CAPACITY;
  return Math.min(MAX_CHUNK_CAPACITY, Math.ceil(want / CAPACITY_STEP_BYTES) * CAPACITY_STEP_BYTES);
}

/**
 * Released chunk buffers kept for reuse (each up to MAX_CHUNK_CAPACITY): as many as chunks were
 * recently waiting for their seal (a decaying maximum; sealing lags behind compaction in the one
 * pool thread, and each chunk cut meanwhile needs a buffer), between MIN and MAX. Once every cut
 * chunk is committed, only MIN stay: an idle store does not hold a burst's buffers.
 */
const MIN_SPARE_BUFFERS = 2;
const MAX_SPARE_BUFFERS = 8;

export class HotTail {
  active: HotChunk;
  private readonly spare: Buffer[] = [];
  /** Record bytes of recent chunks (decaying maximum). */
  private typicalBytes = 0;
  /** Chunks recently waiting for their seal (decaying maximum). */
  private sealingPeak = 0;
  /** Cut chunks not yet committed, oldest first (seq order). */
  readonly sealing: HotChunk[] = [];
  private sealingMemory = 0;
  private sealingEntries = 0;

  constructor(private readonly indexedAttributes: readonly string[] = []) {
    this.active = new HotChunk(MIN_CHUNK_CAPACITY, indexedAttributes);
  }

  /** Appends one entry (its record is encoded here; throws the codec's error and keeps nothing on bad input). */
  append(entry: LogEntry, seq: number): void {
    const c = this.active;
    const w = c.writer;
    const before = w.byteLength;
    w.append(entry, seq);
    this.track(c, entry, seq, w.byteLength - before);
  }

  /** Appends an entry whose record was encoded already (`record` = exactly its bytes, seq included). */
  appendEncoded(entry: LogEntry, seq: number, record: Uint8Array): void {
    const c = this.active;
    c.writer.appendEncoded(record, 1);
    this.track(c, entry, seq, record.length);
  }

  private track(c: HotChunk, entry: LogEntry, seq: number, recordBytes: number): void {
    c.recordBytes += recordBytes;
    c.pushSeq(seq);
    const ts = entry.tsNs;
    if (c.tMaxNs !== undefined && ts < c.tMaxNs) c.ordered = false;
    if (c.tMinNs === undefined || ts < c.tMinNs) c.tMinNs = ts;
    if (c.tMaxNs === undefined || ts > c.tMaxNs) c.tMaxNs = ts;
    c.levelMask |= 1 << ((entry.severityNumber - 1) >> 2);
    c.meta.add(entry.attributes, entry.resource);
  }

  /** Records of the active chunk not yet given to the WAL (a view; copy before the next append). */
  takeUnlogged(): Uint8Array | undefined {
    const c = this.active;
    const w = c.writer;
    if (w.byteLength === c.logged) return undefined;
    const bytes = w.bytes().subarray(c.logged);
    c.logged = w.byteLength;
    w.breakChain(); // the next WAL record starts with a whole resource
    return bytes;
  }

  get unloggedBytes(): number {
    return this.active.writer.byteLength - this.active.logged;
  }

  /**
   * Ends the active chunk (the caller has given its records to the WAL) and returns it, or
   * undefined when it is empty. Its records stay with it (chunk.records()) until it is released.
   */
  cut(): HotChunk | undefined {
    const c = this.active;
    if (c.count === 0) return undefined;
    // Sized like this one (plus slack): a steady stream cuts equal chunks, so no buffer regrowth.
    // Sized for the chunks of late, not just this one: a chunk cut early (a seal tick, a flush under
    // backpressure) must not make the next one regrow its buffer by doubling.
    this.typicalBytes = Math.max(c.writer.byteLength, Math.floor(this.typicalBytes * 0.9));
    const capacity = chunkCapacity(this.typicalBytes);
    // Capacities come in CAPACITY_STEP_BYTES steps, so a steady stream's chunks fit each other's buffers.
    const spare = this.spare.length > 0 && this.spare[this.spare.length - 1].length >= capacity ? this.spare.pop() : undefined;
    this.active = new HotChunk(capacity, this.indexedAttributes, spare);
    this.sealing.push(c);
    this.sealingPeak = Math.max(this.sealing.length, this.sealingPeak * 0.95);
    this.sealingMemory += c.memoryBytes;
    this.sealingEntries += c.count;
    return c;
  }

  /** The chunk's block is committed: stop serving it from memory. Chunks commit oldest first. */
  release(c: HotChunk): void {
    const i = this.sealing.indexOf(c);
    if (i < 0) return;
    this.sealing.splice(i, 1);
    this.sealingMemory -= c.memoryBytes;
    this.sealingEntries -= c.count;
    // Its block is committed and its seal task done: nothing reads the buffer now, unless a query
    // snapshot holds the chunk. Reused by a later chunk: a fresh multi-MB SharedArrayBuffer per
    // chunk made V8 run full collections for the external memory alone.
    const keep = this.sealing.length === 0 ? MIN_SPARE_BUFFERS : Math.min(MAX_SPARE_BUFFERS, Math.max(MIN_SPARE_BUFFERS, Math.ceil(this.sealingPeak)));
    if (this.spare.length > keep) this.spare.length = keep;
    if (!c.snapshotted && this.spare.length < keep) this.spare.push(c.writer.buf);
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
