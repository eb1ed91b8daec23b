// What the Hono and node:http middlewares share (issue #8): options, the path filter, and the end of
// a request (one histogram update, one span write). Kept out of the per-framework files so both
// record exactly the same series and spans.
import type { SpanInput } from '../traces/types.js';
import { HttpMetrics, type HttpMetricsSink } from './http-metrics.js';
import { buildServerSpan, type HttpRequestInfo, type ServerSpanEnd, type ServerSpanStart } from './http-span.js';
import { SpanSampler, type SpanSamplingOptions } from './span-sampler.js';

export interface HttpInstrumentationOptions {
  /** Flush period of the request histogram; default 10 s. */
  metricsIntervalMs?: number;
  /**
   * Server spans: true (default: every request up to 100 per second, and beyond that every 5xx,
   * aborted, slow (≥ 1 s) or parent-sampled one; see span-sampler.ts), false (none), or the
   * sampling options ({ maxPerSecond: Infinity } stores every request's span).
   */
  spans?: boolean | SpanSamplingOptions;
  /**
   * Requests to leave unrecorded: exact paths or regexes over the path (no query string).
   * Default ['/health', '/metrics']. The dashboard's own API calls (tl.routes() mounted in the
   * same app) are NOT ignored automatically: add their prefix, e.g. /^\/obs\//.
   */
  ignorePaths?: (string | RegExp)[];
}

/** The slice of Timeless a middleware needs (Timeless fits). */
export interface HttpTarget {
  readonly metrics: HttpMetricsSink;
  readonly traces: { write(spans: SpanInput): void };
  readonly isClosed: boolean;
}

export const DEFAULT_IGNORE_PATHS: readonly string[] = Object.freeze(['/health', '/metrics']);

export class HttpRecorder {
  readonly metrics: HttpMetrics;
  readonly spans: boolean;
  private readonly sampler: SpanSampler;
  private readonly target: HttpTarget;
  private readonly ignoreExact: Set<string>;
  private readonly ignoreRegex: RegExp[];
  private warned = false;

  constructor(target: HttpTarget, opts: HttpInstrumentationOptions = {}) {
    const spans = opts.spans ?? true;
    if (typeof spans !== 'boolean' && (spans === null || typeof spans !== 'object' || Array.isArray(spans))) {
      throw new TypeError(`timeless: spans must be a boolean or { maxPerSecond?, slowMs? }, got ${spans === null ? 'null' : typeof spans}`);
    }
    const ignore = opts.ignorePaths ?? DEFAULT_IGNORE_PATHS;
    if (!Array.isArray(ignore)) throw new TypeError('timeless: ignorePaths must be an array of strings and RegExps');
    this.ignoreExact = new Set();
    this.ignoreRegex = [];
    for (const p of ignore) {
      if (typeof p === 'string') this.ignoreExact.add(p);
      else if (p instanceof RegExp) this.ignoreRegex.push(p);
      else throw new TypeError(`timeless: ignorePaths entries must be strings or RegExps, got ${typeof p}`);
    }
    this.target = target;
    this.spans = spans !== false;
    this.sampler = new SpanSampler(typeof spans === 'object' ? spans : {});
    this.metrics = new HttpMetrics(target.metrics, { intervalMs: opts.metricsIntervalMs, isClosed: () => target.isClosed });
  }

  ignores(path: string): boolean {
    if (this.ignoreExact.has(path)) return true;
    for (const r of this.ignoreRegex) {
      r.lastIndex = 0;
      if (r.test(path)) return true;
    }
    return false;
  }

  /**
   * Records a finished request. `info` is called only when its span is stored: reading headers and
   * building the request's description is skipped for the requests sampling leaves out.
   * Never throws: telemetry must not break the app's response.
   */
  finish(method: string, info: () => HttpRequestInfo, start: ServerSpanStart, end: ServerSpanEnd): void {
    try {
      const durationMs = end.endMs - start.startMs;
      this.metrics.record(method, end.route, end.status, durationMs / 1000);
      if (!this.spans || this.target.isClosed) return;
      const parentSampled = start.parentSpanId !== undefined && (start.flags & 1) === 1;
      if (this.sampler.keep(end.status, end.abortedMessage !== undefined, durationMs, parentSampled, end.endMs)) {
        this.target.traces.write(buildServerSpan(info(), start, end));
      }
    } catch (err) {
      // A full store (BACKPRESSURE) would repeat per request: say it once.
      if (!this.warned) {
        this.warned = true;
        console.warn(`timeless: HTTP instrumentation could not record a request: ${(err as Error)?.message ?? String(err)}`);
      }
    }
  }
}
