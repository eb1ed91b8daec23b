// The seal pipeline of cut hot chunks: (pool) entry records -> columnar block -> TBLK frame;
// (main) a segment offset in today's file; (pool) positional write + fdatasync; (main) ONE
// transaction per ready run of chunks: block rows + terms + keys + the sealed_seq watermark.
// Several chunks encode at once, but they commit strictly in seq order, so sealed_seq only ever
// covers entries that are in committed blocks (WAL replay skips seq <= sealed_seq). A chunk stays in
// the hot tail (queryable) until its transaction commits; a failed chunk is retried with backoff,
// and chunks behind it wait (their writes are kept).
import type Database from 'better-sqlite3';
import type { LzLevel } from '../codec/lz.js';
import type { Pool } from '../pool/pool.js';
import type { EventBlockIndex, NewEventBlock } from '../storage/event-index.js';
import type { FilePins } from '../storage/mutex.js';
import type { SegmentSet } from '../storage/segment-set.js';
import { dayKeyOf } from '../storage/segments.js';
import { EntryRecordWriter } from './codec/entry-record.js';
import type { HotChunk, HotTail } from './hot.js';
import { CODEC_LOG_BLOCK_V1 } from './schema.js';

export interface LogSealerDeps {
  pool: Pool;
  db: Database.Database;
  index: EventBlockIndex;
  segments: SegmentSet;
  hot: HotTail;
  pins: FilePins;
  root: string;
  level: LzLevel;
  indexedAttributes: string[];
  /** After each commit (the engine drops covered WAL files, checkpoints the index). */
  onCommit: () => void;
  onError: (err: unknown) => void;
  /** Wall clock (ms) for the day directory of new blocks. */
  nowMs?: () => number;
}

interface Prepared {
  row: NewEventBlock;
  file: string;
}

interface Job {
  chunk: HotChunk;
  /** Entry records of the chunk; undefined once transferred (rebuilt from the chunk on a retry). */
  records: Uint8Array | undefined;
  work: Promise<Prepared> | undefined;
  prepared: Prepared | undefined;
  ord: number;
}

const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 30_000;

export class LogSealer {
  private readonly queue: Job[] = [];
  private nextOrd = 0;
  /** Every job with ord < committedOrd is committed. */
  private committedOrd = 0;
  private looping = false;
  private loop: Promise<void> = Promise.resolve();
  private stopped = false;
  private failures = 0;
  private lastError: unknown;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private waiters: Array<() => void> = [];
  blocksSealed = 0;

  constructor(private readonly d: LogSealerDeps) {}

  push(chunk: HotChunk, records: Uint8Array): void {
    this.queue.push({ chunk, records, work: undefined, prepared: undefined, ord: this.nextOrd++ });
    this.pump();
  }

  get queued(): number {
    return this.queue.length;
  }

  /**
   * Resolves once every chunk pushed before the call is committed; rejects if sealing fails while
   * waiting (the chunks stay queued and are retried).
   */
  async drain(): Promise<void> {
    const target = this.nextOrd;
    const failuresBefore = this.failures;
    while (this.committedOrd < target) {
      if (this.failures > failuresBefore) throw this.lastError;
      if (this.stopped) return;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Stops starting work and waits for the running commit loop (close()). */
  async idle(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.wake();
    await this.loop;
    // Writes started but not committed: let them settle so no file is written after close.
    await Promise.all(this.queue.map((j) => j.work?.catch(() => undefined)));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private pump(): void {
    if (this.stopped || this.retryTimer) return;
    const maxInFlight = Math.max(2, this.d.pool.threads);
    let inFlight = 0;
    for (const job of this.queue) {
      if (job.prepared) continue;
      if (!job.work) {
        if (inFlight >= maxInFlight) break;
        job.work = this.prepare(job);
        // Errors are handled by the commit loop, in order; this only marks them handled.
        job.work.catch(() => undefined);
      }
      inFlight++;
    }
    if (!this.looping && this.queue.length > 0) {
      this.looping = true;
      this.loop = this.commitLoop().finally(() => {
        this.looping = false;
      });
    }
  }

  private async prepare(job: Job): Promise<Prepared> {
    const { pool, segments, pins, root, level, indexedAttributes } = this.d;
    const records = job.records ?? recordsOf(job.chunk);
    job.records = undefined; // transferred (detached) by the call
    const sealed = await pool.sealLogBlock({ records, level, indexedAttributes });
    const length = sealed.framed.length;
    const day = dayKeyOf((this.d.nowMs ?? Date.now)());
    const { file, offset } = segments.allocate(day, length);
    // Pinned until committed: a file with no committed block yet must not look dead to segment GC.
    pins.pin(file);
    try {
      await pool.writeBlocks({ root, bytes: sealed.framed, writes: [{ file, offset, start: 0, length }] });
    } catch (err) {
      pins.unpin(file);
      throw err;
    }
    const m = sealed.meta;
    const row: NewEventBlock = {
      file,
      offset,
      length,
      tMinNs: m.tMinNs,
      tMaxNs: m.tMaxNs,
      count: m.count,
      mask: m.levelMask,
      rawBytes: m.rawBytes,
      minSeq: sealed.minSeq,
      maxSeq: sealed.maxSeq,
      codec: CODEC_LOG_BLOCK_V1,
      day,
      filter: m.filter,
      terms: m.terms,
      keys: m.keys,
    };
    if (m.count !== job.chunk.count) throw new Error(`sealed block holds ${m.count} entries, its chunk ${job.chunk.count}`);
    return { row, file };
  }

  private async commitLoop(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      const head = this.queue[0];
      if (!head.work) {
        this.pump();
        if (!head.work) return;
      }
      try {
        head.prepared = await head.work;
      } catch (err) {
        head.work = undefined;
        this.fail(err);
        return;
      }
      if (this.stopped) return;
      // Commit the head and every job behind it that is ready too, in one transaction.
      const ready: Job[] = [head];
      for (let i = 1; i < this.queue.length && this.queue[i].work; i++) {
        const j = this.queue[i];
        if (!j.prepared) {
          const settled = await settledNow(j.work!);
          if (!settled.ok) break;
          j.prepared = settled.value;
        }
        ready.push(j);
      }
      if (!this.commit(ready)) return;
    }
  }

  /** False when the transaction failed (retried later). */
  private commit(jobs: Job[]): boolean {
    const { db, index, hot, pins } = this.d;
    try {
      db.transaction(() => {
        index.insert(jobs.map((j) => j.prepared!.row));
        index.setSealedSeq(jobs[jobs.length - 1].chunk.lastSeq);
      })();
    } catch (err) {
      // Rows not committed: the writes stay valid; retry the commit later.
      this.fail(err);
      return false;
    }
    this.queue.splice(0, jobs.length);
    for (const j of jobs) {
      pins.unpin(j.prepared!.file);
      hot.release(j.chunk);
      this.committedOrd = j.ord + 1;
    }
    this.blocksSealed += jobs.length;
    this.retryMs = RETRY_MIN_MS;
    this.wake();
    this.d.onCommit();
    this.pump();
    return true;
  }

  private fail(err: unknown): void {
    this.failures++;
    this.lastError = err;
    this.d.onError(err);
    this.wake();
    if (this.stopped) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, delay);
    this.retryTimer.unref();
  }
}

/** A chunk's records rebuilt from its entries (retry path: the first copy was transferred). */
function recordsOf(chunk: HotChunk): Uint8Array {
  const w = new EntryRecordWriter(chunk.recordBytes + 64);
  for (let i = 0; i < chunk.entries.length; i++) w.append(chunk.entries[i], chunk.seqs[i]);
  return new Uint8Array(w.bytes());
}

/** The promise's outcome if it has already settled (one microtask turn), else { ok: false }. */
async function settledNow<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
  const pending = Symbol('pending');
  try {
    const v = await Promise.race([p, Promise.resolve(pending)]);
    return v === pending ? { ok: false } : { ok: true, value: v as T };
  } catch {
    return { ok: false };
  }
}
