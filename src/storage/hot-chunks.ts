// The signal-agnostic half of an event engine's hot tail (logs, spans): events written but not yet in
// committed blocks. An event is kept ONCE, as its record in the active chunk's record writer (a
// SharedArrayBuffer): those bytes are what the WAL gets (in slices: `takeUnlogged`) and what the
// sealer hands a worker (the buffer itself, shared: no copy, no transfer). Event objects are not
// kept: with every hot event alive until its seal commits, they all survived the young generation
// and made each scavenge copy them (measured on logs: 10-50 ms event-loop stalls at 100k+
// entries/s). A cut chunk stays, queryable, until the transaction indexing its block commits
// (`release`). What a record is and what index meta a chunk collects is the engine's subclass.
import type { Buffer } from 'node:buffer';

/** What the hot tail needs of a signal's record writer (logs EntryRecordWriter, spans SpanRecordWriter). */
export interface HotRecordWriter {
  /** The writer's buffer (reused by a later chunk once this one is released). */
  readonly buf: Buffer;
  readonly byteLength: number;
  /** The records written so far (a view). */
  bytes(): Uint8Array;
  /** The next record starts a new resource chain (a WAL record decodes on its own). */
  breakChain(): void;
  sharedRecords(): { buffer: SharedArrayBuffer; length: number };
}

/**
 * Memory estimate of one hot event beyond its record bytes (its seq slot, and the decoded object a
 * query may add): used for the backpressure bound, so it errs high.
 */
const EVENT_OVERHEAD_BYTES = 64;

/** Smallest record buffer of a chunk; later chunks start at their predecessor's size (no regrowth copies). */
export const MIN_CHUNK_CAPACITY = 64 * 1024;
const MAX_CHUNK_CAPACITY = 32 * 1024 * 1024;

export abstract class HotChunkBase<W extends HotRecordWriter> {
  /**
   * Seqs: a chunk's writes get consecutive seqs, so it keeps the first and the count; a list only
   * when they are not consecutive (WAL replay skipping sealed ones). A growing 32k-number array per
   * chunk lived until the chunk's commit and was promoted, feeding full GCs on the host.
   */
  private first = 0;
  private n = 0;
  private seqList: number[] | undefined;
  private seqCache: number[] = [];
  /** Byte length of the records already given to the WAL. */
  logged = 0;
  recordBytes = 0;
  tMinNs: bigint | undefined;
  tMaxNs: bigint | undefined;
  /** Every event's time >= the previous one's (seqs always grow), so the chunk is in (time, seq) order. */
  ordered = true;
  /** A query snapshot saw this chunk: it may read the records later, so its buffer is never reused. */
  snapshotted = false;

  /** Records of the events (a shared buffer; never appended to once the chunk is cut). */
  constructor(readonly writer: W) {}

  get count(): number {
    return this.n;
  }

  get firstSeq(): number {
    return this.seqList !== undefined ? this.seqList[0] : this.first;
  }

  get lastSeq(): number {
    return this.seqList !== undefined ? this.seqList[this.n - 1] : this.first + this.n - 1;
  }

  /** Seq of event i, for i < count: a prefix-stable array (queries; built on first use). */
  get seqs(): readonly number[] {
    if (this.seqList !== undefined) return this.seqList;
    const c = this.seqCache;
    for (let i = c.length; i < this.n; i++) c.push(this.first + i);
    return c;
  }

  /** Bookkeeping of one appended record: its seq, size and time. */
  track(seq: number, recordBytes: number, tNs: bigint): void {
    this.recordBytes += recordBytes;
    if (this.n === 0) this.first = seq;
    else if (this.seqList === undefined && seq !== this.first + this.n) this.seqList = [...this.seqs];
    if (this.seqList !== undefined) this.seqList.push(seq);
    this.n++;
    if (this.tMaxNs !== undefined && tNs < this.tMaxNs) this.ordered = false;
    if (this.tMinNs === undefined || tNs < this.tMinNs) this.tMinNs = tNs;
    if (this.tMaxNs === undefined || tNs > this.tMaxNs) this.tMaxNs = tNs;
  }

  /** The records, in buffer[0, length) (shared with the sealing worker). */
  records(): { buffer: SharedArrayBuffer; length: number } {
    return this.writer.sharedRecords();
  }

  /** Memory held, estimated (for backpressure). */
  get memoryBytes(): number {
    return this.recordBytes + this.n * EVENT_OVERHEAD_BYTES;
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
 * pool thread, and each chunk cut meanwhile needs a buffer), between MIN and MAX. Once a seal tick
 * has passed with no cut and nothing sealing (`idleTick`), only MIN stay: an idle store does not
 * hold a burst's buffers. Not sooner: under steady load every chunk is committed for a moment
 * between cuts, and trimming then dropped a buffer per cycle and allocated a new one for the next
 * cut (measured: a logs server at capacity allocated 7 chunk buffers of 8 MiB a second, each one
 * freed only when both this thread's and the sealing worker's GCs got to it).
 */
const MIN_SPARE_BUFFERS = 2;
const MAX_SPARE_BUFFERS = 8;

export class HotChunkList<C extends HotChunkBase<HotRecordWriter>> {
  active: C;
  private readonly spare: Buffer[] = [];
  /** Record bytes of recent chunks (decaying maximum). */
  private typicalBytes = 0;
  /** Chunks recently waiting for their seal (decaying maximum). */
  private sealingPeak = 0;
  /** Cut chunks not yet committed, oldest first (seq order). */
  readonly sealing: C[] = [];
  private sealingMemory = 0;
  private sealingEvents = 0;
  /** Chunks cut since the last idleTick(). */
  private cutsSinceTick = 0;

  /** `makeChunk(capacity, reuse?)`: a new chunk whose writer has that capacity (in `reuse` when given). */
  constructor(private readonly makeChunk: (capacity: number, reuse?: Buffer) => C) {
    this.active = makeChunk(MIN_CHUNK_CAPACITY);
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
  cut(): C | undefined {
    const c = this.active;
    if (c.count === 0) return undefined;
    // Sized for the chunks of late, not just this one: a chunk cut early (a seal tick, a flush under
    // backpressure) must not make the next one regrow its buffer by doubling.
    this.typicalBytes = Math.max(c.writer.byteLength, Math.floor(this.typicalBytes * 0.9));
    const capacity = chunkCapacity(this.typicalBytes);
    // Capacities come in CAPACITY_STEP_BYTES steps, so a steady stream's chunks fit each other's buffers.
    const spare = this.spare.length > 0 && this.spare[this.spare.length - 1].length >= capacity ? this.spare.pop() : undefined;
    this.active = this.makeChunk(capacity, spare);
    this.sealing.push(c);
    this.cutsSinceTick++;
    this.sealingPeak = Math.max(this.sealing.length, this.sealingPeak * 0.95);
    this.sealingMemory += c.memoryBytes;
    this.sealingEvents += c.count;
    return c;
  }

  /** The chunk's block is committed: stop serving it from memory. Chunks commit oldest first. */
  release(c: C): void {
    const i = this.sealing.indexOf(c);
    if (i < 0) return;
    this.sealing.splice(i, 1);
    this.sealingMemory -= c.memoryBytes;
    this.sealingEvents -= c.count;
    // Its block is committed and its seal task done: nothing reads the buffer now, unless a query
    // snapshot holds the chunk. Reused by a later chunk: a fresh multi-MB SharedArrayBuffer per
    // chunk made V8 run full collections for the external memory alone.
    const keep = Math.min(MAX_SPARE_BUFFERS, Math.max(MIN_SPARE_BUFFERS, Math.ceil(this.sealingPeak)));
    if (this.spare.length > keep) this.spare.length = keep;
    if (!c.snapshotted && this.spare.length < keep) this.spare.push(c.writer.buf);
  }

  /**
   * The engine's seal tick, before it cuts: when no chunk was cut since the previous tick and none
   * is waiting for its seal, the store is idle and only MIN_SPARE_BUFFERS spare buffers stay.
   */
  idleTick(): void {
    if (this.cutsSinceTick === 0 && this.sealing.length === 0) {
      if (this.spare.length > MIN_SPARE_BUFFERS) this.spare.length = MIN_SPARE_BUFFERS;
      this.sealingPeak = 0;
    }
    this.cutsSinceTick = 0;
  }

  /** Released buffers kept for the next chunks (tests). */
  get spareBuffers(): number {
    return this.spare.length;
  }

  /** Every chunk still in memory, oldest first. */
  chunks(): C[] {
    return this.active.count > 0 ? [...this.sealing, this.active] : [...this.sealing];
  }

  /** Events in memory (active + sealing chunks). */
  get events(): number {
    return this.sealingEvents + this.active.count;
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
