// The ordered seal pipeline of an event engine (logs, spans): cut hot chunks are PREPARED
// concurrently (the engine's pool tasks: encode or frame, write, fdatasync), then COMMITTED strictly
// in push order, every ready run of them in one call (the engine's SQLite transaction: block rows +
// the sealed-sequence watermark). So the watermark only ever covers events in committed blocks (WAL
// replay skips seq <= it). A chunk stays with the engine (queryable) until its commit; a failed
// prepare or commit is retried with backoff, and chunks behind it wait (their writes are kept).
// Signal-agnostic: what a chunk is, how it is prepared and what a commit writes are the engine's.

export interface SealPipelineDeps<C, P> {
  /** Pool work of one chunk; the result is committed later, in order. */
  prepare(chunk: C): Promise<P>;
  /** Commits a run of prepared chunks (oldest first) at once; throws to have it retried. */
  commit(run: Array<{ chunk: C; prepared: P }>): void;
  /** After a successful commit, per chunk, oldest first (unpin files, release the hot chunk). */
  committed(chunk: C, prepared: P): void;
  /** Prepares in flight at once (bounds the work a stalled disk piles up). */
  maxInFlight: number;
  /** After each successful commit (the engine drops covered WAL files, checkpoints the index). */
  onCommit: () => void;
  onError: (err: unknown) => void;
}

interface Job<C, P> {
  chunk: C;
  work: Promise<P> | undefined;
  prepared: P | undefined;
  ord: number;
}

const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 30_000;

export class SealPipeline<C, P> {
  private readonly queue: Array<Job<C, P>> = [];
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

  constructor(private readonly d: SealPipelineDeps<C, P>) {}

  push(chunk: C): void {
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
    let inFlight = 0;
    for (const job of this.queue) {
      if (job.prepared) continue;
      if (!job.work) {
        if (inFlight >= this.d.maxInFlight) break;
        job.work = this.d.prepare(job.chunk);
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
      // Commit the head and every job behind it that is ready too, in one call.
      const ready: Array<Job<C, P>> = [head];
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

  /** False when the commit failed (retried later). */
  private commit(jobs: Array<Job<C, P>>): boolean {
    try {
      this.d.commit(jobs.map((j) => ({ chunk: j.chunk, prepared: j.prepared! })));
    } catch (err) {
      // Rows not committed: the writes stay valid; retry the commit later.
      this.fail(err);
      return false;
    }
    this.queue.splice(0, jobs.length);
    for (const j of jobs) {
      this.d.committed(j.chunk, j.prepared!);
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
