// Which request spans are stored (issue #8). The histogram counts every request; spans are kept
// for every request up to `maxPerSecond`, and beyond that rate only those that matter when reading
// traces: failures (5xx, aborted), slow requests, and requests whose caller's trace is sampled (the
// W3C sampled flag: OTel's parent-based rule, so a sampled distributed trace is never cut in the
// middle). The decision is made when the request ends, so errors and slowness are known (tail
// sampling, free here because the span is built at the end anyway).
//
// Why a limit at all: a span costs ~25-40 µs of CPU across the store's threads and ~26 B of disk;
// at a hello-world's 20-50 k requests/s that is more than the request itself (bench `overhead`),
// and at 1 k req/s, 2 GB of spans a day. Apps below the rate keep every span.

export interface SpanSamplingOptions {
  /** Ordinary requests stored per second, at most (a token bucket with one second of burst). Default 100; Infinity keeps every span. */
  maxPerSecond?: number;
  /** Requests at least this slow are always stored. Default 1,000 ms. */
  slowMs?: number;
}

export const DEFAULT_SPANS_PER_SECOND = 100;
export const DEFAULT_SLOW_MS = 1_000;

export class SpanSampler {
  private readonly maxPerSecond: number;
  private readonly slowMs: number;
  private tokens: number;
  private lastMs = -Infinity;

  constructor(opts: SpanSamplingOptions = {}) {
    const max = opts.maxPerSecond ?? DEFAULT_SPANS_PER_SECOND;
    if (typeof max !== 'number' || Number.isNaN(max) || max < 0) throw new RangeError(`timeless: spans.maxPerSecond must be a number >= 0 (Infinity: every span), got ${String(max)}`);
    const slowMs = opts.slowMs ?? DEFAULT_SLOW_MS;
    if (typeof slowMs !== 'number' || !Number.isFinite(slowMs) || slowMs < 0) throw new RangeError(`timeless: spans.slowMs must be a finite number >= 0, got ${String(slowMs)}`);
    this.maxPerSecond = max;
    this.slowMs = slowMs;
    this.tokens = max;
  }

  /**
   * Whether to store the span of a request that ended at `endMs` (a monotonic clock, e.g.
   * performance.now()). `parentSampled`: the request continued a caller's trace with the sampled flag set.
   */
  keep(status: number, aborted: boolean, durationMs: number, parentSampled: boolean, endMs: number): boolean {
    if (this.maxPerSecond === Infinity) return true;
    if (status >= 500 || aborted || durationMs >= this.slowMs || parentSampled) return true;
    // Refill by the time since the last decision, capped at one second's worth.
    if (endMs > this.lastMs) {
      this.tokens = Math.min(this.maxPerSecond, this.tokens + ((endMs - this.lastMs) / 1000) * this.maxPerSecond);
      this.lastMs = endMs;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}
