// Request metrics of the HTTP middlewares (issue #8): one in-memory histogram per (method, route,
// status), flushed every interval as cumulative Prometheus series `_bucket{le}`, `_sum`, `_count`.
// A request costs one map lookup and a few additions; the store sees one batch per interval, never
// a write per request (the ≤ 10 % overhead target). Names: /tmp contract shared with the overview.
import type { Labels, MetricMeta, WritePoint } from '../metrics/types.js';

export interface HttpMetricsSink {
  writeBatch(points: WritePoint[]): void;
  defineMetric(name: string, meta: MetricMeta): void;
}

export const HTTP_DURATION_METRIC = 'http_server_request_duration_seconds';
export const HTTP_DURATION_META: MetricMeta = Object.freeze({
  type: 'histogram', unit: 'seconds', help: 'Duration of HTTP server requests, by method, route and status.',
});
/** OTel's default explicit buckets for http.server.request.duration (seconds). */
export const HTTP_DURATION_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
export const DEFAULT_HTTP_METRICS_INTERVAL_MS = 10_000;
const MIN_INTERVAL_MS = 10;
const MAX_INTERVAL_MS = 2 ** 31 - 1;

// Prometheus spells `le` with the shortest float form; +Inf closes every histogram.
const LE_VALUES: readonly string[] = [...HTTP_DURATION_BUCKETS.map((b) => String(b)), '+Inf'];

/** OTel semconv: a method outside this set is recorded as `_OTHER` (bounds the label's cardinality). */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);
export function normalizeMethod(method: string | undefined): string {
  if (method === undefined) return '_OTHER';
  return KNOWN_METHODS.has(method) ? method : '_OTHER';
}

interface Series {
  /** Per-bucket (non-cumulative) counts; the last slot is the +Inf overflow. */
  counts: Float64Array;
  sum: number;
  count: number;
  /** Frozen label objects (one per le, plus the base) built once: flushes allocate no labels. */
  bucketLabels: Labels[];
  labels: Labels;
}

export interface HttpMetricsOptions {
  intervalMs?: number;
  /** Stops flushing silently once true (the store closed under a still-running app). */
  isClosed?: () => boolean;
  /** A failed timed flush lands here; default console.warn. */
  onError?: (err: unknown) => void;
}

export function resolveHttpMetricsInterval(ms: number | undefined): number {
  if (ms === undefined) return DEFAULT_HTTP_METRICS_INTERVAL_MS;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) {
    throw new RangeError(`timeless: metricsIntervalMs must be a number between ${MIN_INTERVAL_MS} and ${MAX_INTERVAL_MS} ms, got ${String(ms)}`);
  }
  return ms;
}

export class HttpMetrics {
  private readonly sink: HttpMetricsSink;
  /** Every series in creation order (the flush order). */
  private readonly series: Series[] = [];
  /** route → method → status → series. */
  private readonly index = new Map<string, Map<string, Map<number, Series>>>();
  private readonly isClosed: () => boolean;
  private readonly onError: (err: unknown) => void;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private defined = false;
  private lastTsMs = 0;

  constructor(sink: HttpMetricsSink, opts: HttpMetricsOptions = {}) {
    this.sink = sink;
    this.intervalMs = resolveHttpMetricsInterval(opts.intervalMs);
    this.isClosed = opts.isClosed ?? (() => false);
    this.onError = opts.onError ?? ((err) => console.warn(`timeless: HTTP metrics flush failed: ${(err as Error)?.message ?? String(err)}`));
  }

  /** Records one request; `route` is the matched pattern ('' when none matched). */
  record(method: string, route: string, status: number, seconds: number): void {
    // Nested lookups on the strings as given (their hashes are cached) instead of a key string built
    // per request, which V8 must flatten and hash every time.
    let byMethod = this.index.get(route);
    if (byMethod === undefined) this.index.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map()));
    let s = byStatus.get(status);
    if (s === undefined) {
      s = this.newSeries(method, route, status);
      byStatus.set(status, s);
      this.series.push(s);
      // First request: the timer starts lazily so an app that never serves one costs nothing.
      if (this.timer === undefined) this.start();
    }
    const buckets = HTTP_DURATION_BUCKETS;
    let i = 0;
    while (i < buckets.length && seconds > buckets[i]) i++;
    s.counts[i]++;
    s.sum += seconds;
    s.count++;
  }

  /** Writes every series' cumulative state now; returns the number of points written. */
  flush(): number {
    if (this.series.length === 0 || this.isClosed()) return 0;
    if (!this.defined) {
      this.sink.defineMetric(HTTP_DURATION_METRIC, HTTP_DURATION_META);
      this.defined = true;
    }
    // Strictly increasing timestamps, even for an on-demand flush in the same ms as a timed one.
    const tsMs = Math.max(Date.now(), this.lastTsMs + 1);
    const points: WritePoint[] = [];
    for (const s of this.series) {
      let cumulative = 0;
      for (let b = 0; b < s.counts.length; b++) {
        cumulative += s.counts[b];
        points.push({ name: `${HTTP_DURATION_METRIC}_bucket`, labels: s.bucketLabels[b], value: cumulative, tsMs });
      }
      points.push({ name: `${HTTP_DURATION_METRIC}_sum`, labels: s.labels, value: s.sum, tsMs });
      points.push({ name: `${HTTP_DURATION_METRIC}_count`, labels: s.labels, value: s.count, tsMs });
    }
    this.sink.writeBatch(points);
    this.lastTsMs = tsMs;
    return points.length;
  }

  /** Stops the timer. Idempotent; a later request starts it again. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private start(): void {
    this.timer = setInterval(() => {
      if (this.isClosed()) {
        this.stop();
        return;
      }
      try {
        this.flush();
      } catch (err) {
        this.onError(err);
      }
    }, this.intervalMs);
    // Metrics must never keep the application alive.
    this.timer.unref();
  }

  private newSeries(method: string, route: string, status: number): Series {
    const base = { http_request_method: method, http_route: route, http_response_status_code: String(status) };
    return {
      counts: new Float64Array(HTTP_DURATION_BUCKETS.length + 1),
      sum: 0,
      count: 0,
      labels: Object.freeze({ ...base }),
      bucketLabels: LE_VALUES.map((le) => Object.freeze({ ...base, le })),
    };
  }
}
