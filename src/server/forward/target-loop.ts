// One forward target's background loop: take the oldest queued frames, build the request, send it,
// commit on success, retry with backoff on a transient failure, drop (and count) on a permanent
// one. One request is in flight per target at a time, so data leaves in the order it arrived and a
// slow target never holds up another (each has its own queue).
import type { DiskQueue, QueueBatch } from './queue.js';
import { Backoff, sendOnce, type SendRequest } from './sender.js';

export interface TargetLoopOptions {
  /** Shown in stats and logs: the endpoint URL without credentials. */
  label: string;
  queue: DiskQueue;
  /** Builds the request of a batch; throwing drops the batch (it can never be sent). */
  build: (payloads: Uint8Array[]) => SendRequest | Promise<SendRequest>;
  batchRecords: number;
  batchBytes: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  timeoutMs: number;
  log: (message: string) => void;
  nowMs?: () => number;
}

export class TargetLoop {
  private sentRecords = 0;
  private sentRequests = 0;
  private rejectedRecords = 0;
  private appendDroppedRecords = 0;
  private retries = 0;
  private lastErrorMs = 0;
  private lastSuccessMs = 0;
  /** Set while a failure streak lasts: its first error is logged, the rest only counted. */
  private failing = false;
  private closed = false;
  /** Resolves the idle wait (queue empty); appends and close call it. */
  private wakeUp: (() => void) | undefined;
  /** Ends a backoff sleep; only close calls it (new data must not cut a backoff short). */
  private endSleep: (() => void) | undefined;
  private readonly abort = new AbortController();
  private readonly backoff: Backoff;
  private readonly nowMs: () => number;
  private running: Promise<void> | undefined;

  constructor(private readonly o: TargetLoopOptions) {
    this.backoff = new Backoff(o.minBackoffMs, o.maxBackoffMs);
    this.nowMs = o.nowMs ?? Date.now;
  }

  get label(): string {
    return this.o.label;
  }

  start(): void {
    this.running ??= this.run().catch((err: unknown) => {
      // A disk error reading the queue: stop this target, keep the data, say so.
      this.lastErrorMs = this.nowMs();
      this.o.log(`timeless: forwarding to ${this.o.label} stopped: ${(err as Error).message}`);
    });
  }

  /** Queues frames; never throws (a disk error drops them, counted and logged). */
  append(frames: ReadonlyArray<{ payload: Uint8Array; records: number }>): void {
    for (const f of frames) {
      if (this.closed) {
        this.appendDroppedRecords += f.records;
        continue;
      }
      try {
        this.o.queue.append(f.payload, f.records);
      } catch (err) {
        this.appendDroppedRecords += f.records;
        this.noteError(`cannot queue ${f.records} records: ${(err as Error).message}`);
      }
    }
    this.wake();
  }

  /** Counts items that never reached the queue (they could not be encoded). */
  discard(records: number, message: string): void {
    this.appendDroppedRecords += records;
    this.noteError(message);
  }

  /** Makes the appends so far survive a power loss (off the event loop). */
  sync(): Promise<void> {
    return this.o.queue.sync();
  }

  /** Flat numbers for /metrics (timeless_forward_<key>{target=...}); `_total` keys are counters. */
  stats(): Record<string, number> {
    const q = this.o.queue.stats();
    return {
      queued_records: q.queuedRecords,
      queued_bytes: q.queuedBytes,
      disk_bytes: q.diskBytes,
      max_bytes: q.maxBytes,
      oldest_age_seconds: q.oldestAppendMs === undefined ? 0 : Math.max(0, (this.nowMs() - q.oldestAppendMs) / 1000),
      sent_records_total: this.sentRecords,
      sent_requests_total: this.sentRequests,
      dropped_records_total: q.droppedRecords + q.corruptRecords + this.rejectedRecords + this.appendDroppedRecords,
      dropped_overflow_records_total: q.droppedRecords,
      rejected_records_total: this.rejectedRecords,
      corrupt_bytes_total: q.corruptBytes,
      retries_total: this.retries,
      last_error_timestamp_seconds: this.lastErrorMs / 1000,
      last_success_timestamp_seconds: this.lastSuccessMs / 1000,
    };
  }

  /**
   * Stops the loop: a request in flight gets `graceMs` to finish (so its batch is committed rather
   * than sent again after a restart), then it is aborted; its batch stays queued. The queue's
   * files are synced and closed.
   */
  async close(graceMs: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake();
    this.endSleep?.();
    const timer = setTimeout(() => this.abort.abort(), graceMs);
    try {
      await this.running;
    } finally {
      clearTimeout(timer);
      await this.o.queue.close();
    }
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      const batch = this.o.queue.peek(this.o.batchRecords, this.o.batchBytes);
      if (batch === undefined) {
        await new Promise<void>((resolve) => (this.wakeUp = resolve));
        this.wakeUp = undefined;
        continue;
      }
      await this.deliver(batch);
    }
  }

  private async deliver(batch: QueueBatch): Promise<void> {
    let req: SendRequest;
    try {
      req = await this.o.build(batch.payloads);
    } catch (err) {
      this.rejectedRecords += batch.records;
      this.noteError(`dropping ${batch.records} records that cannot be encoded: ${(err as Error).message}`);
      this.o.queue.commit(batch);
      return;
    }
    for (;;) {
      const r = await sendOnce(req, this.o.timeoutMs, this.abort.signal, this.nowMs);
      if (r.kind === 'ok') {
        this.o.queue.commit(batch);
        this.sentRecords += batch.records;
        this.sentRequests++;
        this.lastSuccessMs = this.nowMs();
        this.backoff.reset();
        if (this.failing) this.o.log(`timeless: forwarding to ${this.o.label} recovered`);
        this.failing = false;
        return;
      }
      if (r.kind === 'permanent') {
        this.o.queue.commit(batch);
        this.rejectedRecords += batch.records;
        this.noteError(`dropping ${batch.records} records the receiver refused: ${r.error}`);
        return;
      }
      if (this.closed) return; // the batch stays queued for the next start
      this.retries++;
      this.noteError(r.error);
      await this.sleep(this.backoff.next(r.retryAfterMs));
      if (this.closed) return;
    }
  }

  private noteError(message: string): void {
    this.lastErrorMs = this.nowMs();
    if (!this.failing) this.o.log(`timeless: forwarding to ${this.o.label}: ${message}`);
    this.failing = true;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      // Unref'd: a process that forgot close() can still exit during an outage.
      const timer = setTimeout(done, ms).unref();
      this.endSleep = done;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    }).finally(() => (this.endSleep = undefined));
  }

  private wake(): void {
    this.wakeUp?.();
  }
}
