// The store's process memory limit (issue #9), in the spirit of the OpenTelemetry Collector's
// memory_limiter: RSS is sampled on a timer, and while it is above the limit the engines refuse
// writes with their BACKPRESSURE error (HTTP 429 + Retry-After) so clients back off while sealing
// drains what is pending. The hot path reads one boolean: no syscall per write.
//
// It bounds what the store accepts, not the process: RSS is the whole process (the host app, V8,
// the pool workers), and draining the store frees only the store's share of it.

/**
 * An engine asks this before it appends a write: a reason string refuses it (the engine throws its
 * BACKPRESSURE error with it), undefined admits it. `pendingBytes` is what that engine holds that
 * draining would free (hot data + unsynced WAL).
 */
export type AdmissionCheck = (pendingBytes: number) => string | undefined;

/** Smallest accepted limit: a Node process with SQLite and a worker pool is rarely below this. */
export const MIN_MEMORY_LIMIT_BYTES = 32 * 1024 * 1024;

export interface MemoryGuardOptions {
  limitBytes: number;
  /** How often RSS is sampled (default 100 ms). */
  checkIntervalMs?: number;
  /** Where RSS is read (default process.memoryUsage.rss; injectable for tests). */
  rssBytes?: () => number;
  /** Where the one-time "limit below the working set" warning goes (default console.warn). */
  warn?: (message: string) => void;
}

export interface MemoryStats {
  /** The configured limit (memoryLimitBytes). */
  limitBytes: number;
  /** Resident set size of the whole process at the last sample. */
  rssBytes: number;
  /** RSS was above the limit at the last sample: writes with something pending are refused. */
  over: boolean;
  /** Writes refused for memory since the store opened. */
  refusedWrites: number;
  /** Writes admitted while over the limit because their engine had nothing pending (one batch at a time). */
  admittedOverLimit: number;
  /** Since when (epoch ms) RSS has been above the limit, while it is. */
  overSinceMs?: number;
}

/** Throws the RangeError for a memoryLimitBytes that is not an integer ≥ MIN_MEMORY_LIMIT_BYTES. */
export function checkMemoryLimitBytes(limitBytes: unknown): asserts limitBytes is number {
  if (typeof limitBytes !== 'number' || !Number.isSafeInteger(limitBytes) || limitBytes < MIN_MEMORY_LIMIT_BYTES) {
    throw new RangeError(`timeless: memoryLimitBytes must be an integer number of bytes ≥ ${MIN_MEMORY_LIMIT_BYTES} (32 MiB), got ${String(limitBytes)}`);
  }
}

const MIB = 1024 * 1024;
const mib = (bytes: number): string => `${(bytes / MIB).toFixed(0)} MiB`;

export class MemoryGuard {
  readonly limitBytes: number;
  private readonly readRss: () => number;
  private readonly warn: (message: string) => void;
  private readonly timer: NodeJS.Timeout;
  private rss = 0;
  private isOver = false;
  private overSince: number | undefined;
  private refused = 0;
  private admittedOver = 0;
  private warned = false;

  constructor(o: MemoryGuardOptions) {
    const { limitBytes } = o;
    checkMemoryLimitBytes(limitBytes);
    const intervalMs = o.checkIntervalMs ?? 100;
    if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < 1) {
      throw new RangeError(`timeless: the memory check interval must be ≥ 1 ms, got ${String(intervalMs)}`);
    }
    this.limitBytes = limitBytes;
    this.readRss = o.rssBytes ?? (() => process.memoryUsage.rss());
    this.warn = o.warn ?? ((m) => console.warn(m));
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    // The guard never keeps the process alive on its own.
    this.timer.unref();
  }

  /** RSS was above the limit at the last sample. */
  get over(): boolean {
    return this.isOver;
  }

  /** Reads RSS now (the timer does this every checkIntervalMs; stats() too, so they are current). */
  sample(): void {
    this.rss = this.readRss();
    const over = this.rss > this.limitBytes;
    if (over && !this.isOver) this.overSince = Date.now();
    if (!over) this.overSince = undefined;
    this.isOver = over;
  }

  /**
   * The AdmissionCheck the engines get. Refuses only while over the limit AND the asking engine
   * holds something draining would free: refusing with nothing of ours pending frees nothing, and
   * would wedge ingest for good when the host app or V8 simply keeps the memory. Then one batch is
   * admitted at a time (the next write sees it pending and is refused until it is sealed).
   */
  refusal(pendingBytes: number): string | undefined {
    if (!this.isOver) return undefined;
    if (pendingBytes > 0) {
      this.refused++;
      return `process RSS ${mib(this.rss)} is above memoryLimitBytes ${mib(this.limitBytes)}`;
    }
    this.admittedOver++;
    if (!this.warned) {
      this.warned = true;
      this.warn(
        `timeless: process RSS ${mib(this.rss)} is above memoryLimitBytes ${mib(this.limitBytes)} while the store holds nothing unsealed: ` +
          'the limit is below the process\'s working set (the app, V8\'s heap, memory the allocator keeps); writes are admitted one batch ' +
          'at a time until RSS falls. Raise memoryLimitBytes (--memory-limit-mb).',
      );
    }
    return undefined;
  }

  stats(): MemoryStats {
    const s: MemoryStats = { limitBytes: this.limitBytes, rssBytes: this.rss, over: this.isOver, refusedWrites: this.refused, admittedOverLimit: this.admittedOver };
    if (this.overSince !== undefined) s.overSinceMs = this.overSince;
    return s;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
