// The seal pipeline of cut hot chunks. RAW (the default): (main) a segment offset in today's file
// (the frame's length is known: header + records) and the row meta the chunk collected while entries
// arrived; (pool) ONE task frames the records as they are (crc) + positional write + fdatasync.
// Columnar (sealFormat 'columnar'): (pool) entry records -> columnar block -> TBLK frame; (main) an
// offset; (pool) write + fdatasync. Then (main) ONE transaction per ready run of chunks: block rows +
// terms + keys + the sealed_seq watermark. Compaction later turns RAW blocks into columnar ones.
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
import { rawLogBlockLength } from './block-tasks.js';
import type { HotChunk, HotTail } from './hot.js';
import { ceilMs, floorMs } from './query/time.js';
import { CODEC_LOG_BLOCK_V1, CODEC_LOG_RAW_V1 } from './schema.js';

/** 'raw': records framed as they are (compaction encodes them later); 'columnar': encoded at seal. */
export type LogSealFormat = 'raw' | 'columnar';

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
  format: LogSealFormat;
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
  work: Promise<Prepared> | undefined;
  prepared: Prepared | undefined;
  ord: number;
}

const RETRY_MIN_MS = 200;
/** RAW seals queued in the pool at once (bounds the work a stalled disk piles up). */
const RAW_MAX_IN_FLIGHT = 16;
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

  push(chunk: HotChunk): void {
    this.queue.push({ chunk, work: undefined, prepared: undefined, ord: this.nextOrd++ });
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
    // RAW seals hold no memory beyond their chunk's records (already there) and are cheap: let every
    // cut chunk queue in the pool, where compaction never holds them up (it runs on the pool's
    // background thread, or behind them in task-queue.ts lanes). With 2 in flight, seals alternated
    // with ~1 s compaction tasks on one thread, sealing fell behind ingest and flush() waited
    // seconds for it.
    const maxInFlight = this.d.format === 'raw' ? RAW_MAX_IN_FLIGHT : Math.max(2, this.d.pool.threads);
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

  private prepare(job: Job): Promise<Prepared> {
    return this.d.format === 'raw' ? this.prepareRaw(job) : this.prepareColumnar(job);
  }

  private async prepareRaw(job: Job): Promise<Prepared> {
    const { pool, segments, pins, root } = this.d;
    const c = job.chunk;
    // Shared with the worker: the chunk keeps its records (queries, a retry) until it is released.
    const records = c.records();
    const length = rawLogBlockLength(records.length);
    const day = dayKeyOf((this.d.nowMs ?? Date.now)());
    const { file, offset } = segments.allocate(day, length);
    pins.pin(file);
    let sealed;
    try {
      sealed = await pool.sealRawLogBlock({
        root,
        file,
        offset,
        buffer: records.buffer,
        length: records.length,
        count: c.count,
        tMinMs: floorMs(c.tMinNs!),
        tMaxMs: ceilMs(c.tMaxNs!),
      });
    } catch (err) {
      pins.unpin(file);
      throw err;
    }
    const row: NewEventBlock = {
      file,
      offset,
      length,
      tMinNs: c.tMinNs!,
      tMaxNs: c.tMaxNs!,
      count: c.count,
      mask: c.levelMask,
      rawBytes: records.length,
      minSeq: c.firstSeq,
      maxSeq: c.lastSeq,
      codec: CODEC_LOG_RAW_V1,
      day,
      // No filter: a RAW block may match any text query (compaction gives it one).
      filter: null,
      terms: c.meta.terms(),
      keys: c.meta.keys(sealed.attributeKeys),
    };
    return { row, file };
  }

  private async prepareColumnar(job: Job): Promise<Prepared> {
    const { pool, segments, pins, root, level, indexedAttributes } = this.d;
    const r = job.chunk.records();
    // A view of a shared buffer: the pool sends a private copy.
    const records = new Uint8Array(r.buffer, 0, r.length);
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
