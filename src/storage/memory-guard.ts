// The store's process memory limit (issue #9), modelled on the OpenTelemetry Collector's
// memory_limiter: RSS is sampled on a timer against a hard limit (memoryLimitBytes) and a soft limit
// below it (the hard limit minus memorySpikeBytes, by default 20 % of the limit). Above the soft
// limit the engines refuse writes with their BACKPRESSURE error (HTTP 429 + Retry-After), so clients
// back off while sealing drains what is pending; the spike room is for what grows between two
// samples and for memory refusing cannot give back at once (request bodies being parsed, garbage V8
// has not collected yet, a compaction's working set). Above the hard limit the guard also runs a
// full GC on the main thread (at most once a second), as the Collector does: V8 otherwise lets its
// heap grow with the allocation rate and collects when its own heuristics say so. The hot path
// reads one boolean: no syscall per write.
//
// It bounds what the store accepts, not the process: RSS is the whole process (the host app, V8,
// the pool workers), and draining the store frees only the store's share of it.
import { collectGarbage } from '../pool/gc.js';

/**
 * An engine asks this before it appends a write: a reason string refuses it (the engine throws its
 * BACKPRESSURE error with it), undefined admits it. `pendingBytes` is what that engine holds that
 * draining would free (hot data + unsynced WAL).
 */
export type AdmissionCheck = (pendingBytes: number) => string | undefined;

/** Smallest accepted limit: a Node process with SQLite and a worker pool is rarely below this. */
export const MIN_MEMORY_LIMIT_BYTES = 32 * 1024 * 1024;

export interface MemoryGuardOptions {
  /** The hard limit (memoryLimitBytes). */
  limitBytes: number;
  /** The room below the hard limit where refusals start (memorySpikeBytes; default 20 % of limitBytes). */
  spikeBytes?: number;
  /** How often RSS is sampled (default 100 ms). */
  checkIntervalMs?: number;
  /** Where RSS is read (default process.memoryUsage.rss; injectable for tests). */
  rssBytes?: () => number;
  /** Where the one-time "limit below the working set" warning goes (default console.warn). */
  warn?: (message: string) => void;
  /** Runs a full GC of this thread, false when it cannot (default: V8's, pool/gc.ts; injectable for tests). */
  collect?: () => boolean;
}

export interface MemoryStats {
  /** The configured hard limit (memoryLimitBytes). */
  limitBytes: number;
  /** Where refusals start: limitBytes - memorySpikeBytes. */
  softLimitBytes: number;
  /** Resident set size of the whole process at the last sample. */
  rssBytes: number;
  /** RSS was above the soft limit at the last sample: writes with something pending are refused. */
  over: boolean;
  /** Full GCs the guard ran because RSS was above the hard limit. */
  forcedGcs: number;
  /** Writes refused for memory since the store opened. */
  refusedWrites: number;
  /** Writes admitted while over the soft limit because their engine had nothing pending (one batch at a time). */
  admittedOverLimit: number;
  /** Since when (epoch ms) RSS has been above the soft limit, while it is. */
  overSinceMs?: number;
}

/** Throws the RangeError for a memoryLimitBytes that is not an integer ≥ MIN_MEMORY_LIMIT_BYTES. */
export function checkMemoryLimitBytes(limitBytes: unknown): asserts limitBytes is number {
  if (typeof limitBytes !== 'number' || !Number.isSafeInteger(limitBytes) || limitBytes < MIN_MEMORY_LIMIT_BYTES) {
    throw new RangeError(`timeless: memoryLimitBytes must be an integer number of bytes ≥ ${MIN_MEMORY_LIMIT_BYTES} (32 MiB), got ${String(limitBytes)}`);
  }
}

/** memorySpikeBytes when not given: the Collector's default share of the limit. */
export const DEFAULT_SPIKE_SHARE = 0.2;

/** Forced GCs above the hard limit are at least this far apart (a full GC pauses the main thread). */
export const FORCED_GC_MIN_INTERVAL_MS = 1000;

/** Throws the RangeError for a memorySpikeBytes that is not an integer in [0, limitBytes - MIN_MEMORY_LIMIT_BYTES / 2]. */
export function checkMemorySpikeBytes(spikeBytes: unknown, limitBytes: number): asserts spikeBytes is number {
  const max = limitBytes - MIN_MEMORY_LIMIT_BYTES / 2;
  if (typeof spikeBytes !== 'number' || !Number.isSafeInteger(spikeBytes) || spikeBytes < 0 || spikeBytes > max) {
    throw new RangeError(`timeless: memorySpikeBytes must be an integer number of bytes from 0 to memoryLimitBytes - 16 MiB (${max}), got ${String(spikeBytes)}`);
  }
}

/** The default memorySpikeBytes for a limit: 20 % of it, in whole bytes. */
export function defaultSpikeBytes(limitBytes: number): number {
  return Math.floor(limitBytes * DEFAULT_SPIKE_SHARE);
}

const MIB = 1024 * 1024;
const mib = (bytes: number): string => `${(bytes / MIB).toFixed(0)} MiB`;

export class MemoryGuard {
  readonly limitBytes: number;
  readonly softLimitBytes: number;
  private readonly readRss: () => number;
  private readonly warn: (message: string) => void;
  private readonly collect: () => boolean;
  private readonly timer: NodeJS.Timeout;
  private lastForcedGcMs = -Infinity;
  private forcedGcs = 0;
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
    const spikeBytes = o.spikeBytes ?? defaultSpikeBytes(limitBytes);
    checkMemorySpikeBytes(spikeBytes, limitBytes);
    this.limitBytes = limitBytes;
    this.softLimitBytes = limitBytes - spikeBytes;
    this.collect = o.collect ?? (() => collectGarbage('major'));
    this.readRss = o.rssBytes ?? (() => process.memoryUsage.rss());
    this.warn = o.warn ?? ((m) => console.warn(m));
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    // The guard never keeps the process alive on its own.
    this.timer.unref();
  }

  /** RSS was above the soft limit at the last sample. */
  get over(): boolean {
    return this.isOver;
  }

  /**
   * Reads RSS now (the timer does this every checkIntervalMs; stats() too, so they are current).
   * Above the hard limit, a full GC first when the last one is FORCED_GC_MIN_INTERVAL_MS ago.
   */
  sample(): void {
    this.rss = this.readRss();
    if (this.rss > this.limitBytes) {
      const nowMs = performance.now();
      if (nowMs - this.lastForcedGcMs >= FORCED_GC_MIN_INTERVAL_MS) {
        this.lastForcedGcMs = nowMs;
        if (this.collect()) {
          this.forcedGcs++;
          this.rss = this.readRss();
        }
      }
    }
    const over = this.rss > this.softLimitBytes;
    if (over && !this.isOver) this.overSince = Date.now();
    if (!over) this.overSince = undefined;
    this.isOver = over;
  }

  /**
   * The AdmissionCheck the engines get. Refuses only while over the soft limit AND the asking engine
   * holds something draining would free: refusing with nothing of ours pending frees nothing, and
   * would wedge ingest for good when the host app or V8 simply keeps the memory. Then one batch is
   * admitted at a time (the next write sees it pending and is refused until it is sealed).
   */
  refusal(pendingBytes: number): string | undefined {
    if (!this.isOver) return undefined;
    if (pendingBytes > 0) {
      this.refused++;
      return `process RSS ${mib(this.rss)} is above the soft memory limit ${mib(this.softLimitBytes)} (memoryLimitBytes ${mib(this.limitBytes)} - memorySpikeBytes)`;
    }
    this.admittedOver++;
    if (!this.warned) {
      this.warned = true;
      this.warn(
        `timeless: process RSS ${mib(this.rss)} is above the soft memory limit ${mib(this.softLimitBytes)} (memoryLimitBytes ${mib(this.limitBytes)} - memorySpikeBytes) while the store holds nothing unsealed: ` +
          'the limit is below the process\'s working set (the app, V8\'s heap, memory the allocator keeps); writes are admitted one batch ' +
          'at a time until RSS falls. Raise memoryLimitBytes (--memory-limit-mb).',
      );
    }
    return undefined;
  }

  stats(): MemoryStats {
    const s: MemoryStats = {
      limitBytes: this.limitBytes,
      softLimitBytes: this.softLimitBytes,
      rssBytes: this.rss,
      over: this.isOver,
      refusedWrites: this.refused,
      admittedOverLimit: this.admittedOver,
      forcedGcs: this.forcedGcs,
    };
    if (this.overSince !== undefined) s.overSinceMs = this.overSince;
    return s;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
