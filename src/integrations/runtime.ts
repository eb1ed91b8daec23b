// Runtime metrics of the host process (issue #8): event-loop delay and utilization, memory, GC,
// CPU and active handles, written every interval into a metrics sink. The sink is the narrow
// `{ writeBatch, defineMetric }` pair (Timeless.metrics fits), so this file never sees the engine.
// Names follow prom-client's defaults so Grafana's Node dashboards work unchanged.
import {
  monitorEventLoopDelay, performance, PerformanceObserver, type EventLoopUtilization, type IntervalHistogram, type PerformanceEntry,
} from 'node:perf_hooks';
import type { Labels, MetricMeta, WritePoint } from '../metrics/types.js';

export interface RuntimeSink {
  writeBatch(points: WritePoint[]): void;
  defineMetric(name: string, meta: MetricMeta): void;
}

/** `Timeless.open({ runtimeMetrics })`: on by default every 10 s; false turns it off. */
export type RuntimeMetricsOptions = boolean | { intervalMs?: number };

export const DEFAULT_RUNTIME_INTERVAL_MS = 10_000;
/** Below this the collection itself would become a visible share of the main thread. */
export const MIN_RUNTIME_INTERVAL_MS = 10;
/** setInterval silently turns longer delays into 1 ms. */
const MAX_RUNTIME_INTERVAL_MS = 2 ** 31 - 1;

/**
 * Sampling period of the event-loop delay histogram. Every sample is a timer wake-up of the host's
 * event loop, and on this project's VM each costs ~40 µs of main-thread CPU (an idle store measured
 * 11, 9, 7 and 4 ms of main-thread CPU per second at 5, 10, 20 and 50 ms; 1 ms without runtime
 * metrics). 20 ms keeps that under 1 % of a core and still gives ~500 samples behind each 10 s p99.
 */
export const EVENT_LOOP_RESOLUTION_MS = 20;

export const GC_KINDS = ['minor', 'major', 'incremental', 'weakcb'] as const;
export type GcKind = (typeof GC_KINDS)[number];

/** The contract's names (see the overview page), with the metadata defined once per start(). */
export const RUNTIME_METRICS: Readonly<Record<string, MetricMeta>> = Object.freeze({
  process_cpu_user_seconds_total: { type: 'counter', unit: 'seconds', help: 'User CPU time spent by the process.' },
  process_cpu_system_seconds_total: { type: 'counter', unit: 'seconds', help: 'System CPU time spent by the process.' },
  process_resident_memory_bytes: { type: 'gauge', unit: 'bytes', help: 'Resident set size of the process.' },
  nodejs_heap_size_used_bytes: { type: 'gauge', unit: 'bytes', help: 'V8 heap in use.' },
  nodejs_heap_size_total_bytes: { type: 'gauge', unit: 'bytes', help: 'V8 heap allocated.' },
  nodejs_external_memory_bytes: { type: 'gauge', unit: 'bytes', help: 'Memory of C++ objects bound to JavaScript objects.' },
  nodejs_array_buffers_bytes: { type: 'gauge', unit: 'bytes', help: 'Memory of ArrayBuffers and SharedArrayBuffers (part of external).' },
  nodejs_eventloop_lag_p50_seconds: { type: 'gauge', unit: 'seconds', help: 'Median event-loop delay over the last interval.' },
  nodejs_eventloop_lag_p99_seconds: { type: 'gauge', unit: 'seconds', help: '99th percentile event-loop delay over the last interval.' },
  nodejs_eventloop_lag_max_seconds: { type: 'gauge', unit: 'seconds', help: 'Largest event-loop delay over the last interval.' },
  nodejs_eventloop_lag_mean_seconds: { type: 'gauge', unit: 'seconds', help: 'Mean event-loop delay over the last interval.' },
  nodejs_eventloop_utilization_ratio: { type: 'gauge', unit: 'ratio', help: 'Share of the last interval the event loop was busy.' },
  nodejs_gc_runs_total: { type: 'counter', help: 'Garbage collections since the collector started, by kind.' },
  nodejs_gc_duration_seconds_total: { type: 'counter', unit: 'seconds', help: 'Time spent in garbage collection since the collector started, by kind.' },
  nodejs_active_handles: { type: 'gauge', help: 'Active resources keeping the event loop alive (process.getActiveResourcesInfo).' },
});

/**
 * The interval (ms) of a `runtimeMetrics` option, 0 when off. Throws TypeError/RangeError like the
 * other Timeless.open options.
 */
export function resolveRuntimeInterval(option: RuntimeMetricsOptions | undefined): number {
  if (option === undefined || option === true) return DEFAULT_RUNTIME_INTERVAL_MS;
  if (option === false) return 0;
  if (option === null || typeof option !== 'object') {
    throw new TypeError(`timeless: runtimeMetrics must be a boolean or { intervalMs?: number }, got ${String(option)}`);
  }
  const ms = option.intervalMs;
  if (ms === undefined) return DEFAULT_RUNTIME_INTERVAL_MS;
  if (typeof ms !== 'number') throw new TypeError(`timeless: runtimeMetrics.intervalMs must be a number, got ${typeof ms}`);
  if (!Number.isFinite(ms) || ms < MIN_RUNTIME_INTERVAL_MS || ms > MAX_RUNTIME_INTERVAL_MS) {
    throw new RangeError(`timeless: runtimeMetrics.intervalMs must be between ${MIN_RUNTIME_INTERVAL_MS} and ${MAX_RUNTIME_INTERVAL_MS} ms, got ${ms}`);
  }
  return ms;
}

/** perf_hooks GC kinds (V8 GCType flags); kind 2 is V8's minor mark-sweep, a minor GC as well. */
function gcKindIndex(kind: number | undefined): number {
  switch (kind) {
    case 1: case 2: return 0;
    case 4: return 1;
    case 8: return 2;
    case 16: return 3;
    default: return -1;
  }
}

export interface RuntimeCollectorOptions {
  /** A failed timed collection (a full or closed sink) lands here; default console.warn. */
  onError?: (err: unknown) => void;
}

// One frozen labels object per series: the engine resolves a known labels object without
// re-validating it, which keeps a collection to a few dozen map lookups.
const NO_LABELS: Labels = Object.freeze({});
const GC_LABELS: readonly Labels[] = GC_KINDS.map((kind) => Object.freeze({ kind }));

export class RuntimeCollector {
  private readonly sink: RuntimeSink;
  private readonly onError: (err: unknown) => void;
  private timer: NodeJS.Timeout | undefined;
  private histogram: IntervalHistogram | undefined;
  private observer: PerformanceObserver | undefined;
  private lastElu: EventLoopUtilization | undefined;
  private lastTsMs = 0;
  // Cumulative over the collector's life (not reset by stop/start), so the counters never go down.
  private readonly gcRuns = new Float64Array(GC_KINDS.length);
  private readonly gcSeconds = new Float64Array(GC_KINDS.length);

  constructor(sink: RuntimeSink, opts: RuntimeCollectorOptions = {}) {
    this.sink = sink;
    this.onError = opts.onError ?? ((err) => console.warn(`timeless: runtime metrics collection failed: ${(err as Error)?.message ?? String(err)}`));
  }

  get isRunning(): boolean {
    return this.histogram !== undefined;
  }

  /** Defines the metrics, starts the probes and collects every intervalMs (an unref'd timer). */
  start(intervalMs: number = DEFAULT_RUNTIME_INTERVAL_MS): void {
    if (this.isRunning) throw new Error('timeless: the runtime collector is already running');
    const ms = resolveRuntimeInterval({ intervalMs });
    for (const [name, meta] of Object.entries(RUNTIME_METRICS)) this.sink.defineMetric(name, meta);
    const histogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
    histogram.enable();
    const observer = new PerformanceObserver((list) => this.countGc(list.getEntries()));
    observer.observe({ entryTypes: ['gc'] });
    this.histogram = histogram;
    this.observer = observer;
    this.lastElu = performance.eventLoopUtilization();
    this.timer = setInterval(() => {
      try {
        this.collectNow();
      } catch (err) {
        this.onError(err);
      }
    }, ms);
    // Collecting metrics must never keep the application alive.
    this.timer.unref();
  }

  /** Writes one sample of every runtime series now; returns the number of points written. */
  collectNow(): number {
    const histogram = this.histogram;
    if (histogram === undefined) throw new Error('timeless: the runtime collector is not running; call start() first');
    // GC entries reach the observer asynchronously; take whatever is queued but not yet delivered.
    this.countGc(this.observer?.takeRecords() ?? []);
    // Strictly increasing timestamps, even for a manual collection in the same millisecond as a timed one.
    const tsMs = Math.max(Date.now(), this.lastTsMs + 1);
    const points: WritePoint[] = [];
    const add = (name: string, value: number, labels: Labels = NO_LABELS) => points.push({ name, labels, value, tsMs });

    const cpu = process.cpuUsage();
    add('process_cpu_user_seconds_total', cpu.user / 1e6);
    add('process_cpu_system_seconds_total', cpu.system / 1e6);
    const mem = process.memoryUsage();
    add('process_resident_memory_bytes', mem.rss);
    add('nodejs_heap_size_used_bytes', mem.heapUsed);
    add('nodejs_heap_size_total_bytes', mem.heapTotal);
    add('nodejs_external_memory_bytes', mem.external);
    add('nodejs_array_buffers_bytes', mem.arrayBuffers);

    // No samples (an interval shorter than the resolution): no lag point rather than a made-up 0.
    if (histogram.count > 0) {
      // Node records the whole time between two samples, resolution included (an idle loop reads
      // ~5 ms); the delay is what exceeds the resolution.
      const lag = (ns: number) => Math.max(0, ns / 1e6 - EVENT_LOOP_RESOLUTION_MS) / 1000;
      add('nodejs_eventloop_lag_p50_seconds', lag(histogram.percentile(50)));
      add('nodejs_eventloop_lag_p99_seconds', lag(histogram.percentile(99)));
      add('nodejs_eventloop_lag_max_seconds', lag(histogram.max));
      add('nodejs_eventloop_lag_mean_seconds', lag(histogram.mean));
    }
    histogram.reset();

    const elu = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(elu, this.lastElu);
    this.lastElu = elu;
    if (Number.isFinite(delta.utilization)) add('nodejs_eventloop_utilization_ratio', Math.min(1, Math.max(0, delta.utilization)));

    for (let k = 0; k < GC_KINDS.length; k++) {
      add('nodejs_gc_runs_total', this.gcRuns[k], GC_LABELS[k]);
      add('nodejs_gc_duration_seconds_total', this.gcSeconds[k], GC_LABELS[k]);
    }
    add('nodejs_active_handles', process.getActiveResourcesInfo().length);

    this.sink.writeBatch(points);
    this.lastTsMs = tsMs;
    return points.length;
  }

  /** Stops the timer, disconnects the GC observer and disables the histogram. Idempotent. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.observer?.disconnect();
    this.observer = undefined;
    this.histogram?.disable();
    this.histogram = undefined;
  }

  private countGc(entries: readonly PerformanceEntry[]): void {
    for (const e of entries) {
      const k = gcKindIndex((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind);
      if (k < 0) continue;
      this.gcRuns[k]++;
      this.gcSeconds[k] += e.duration / 1000;
    }
  }
}
