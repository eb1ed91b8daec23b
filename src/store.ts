// Timeless.open(): the data-directory lock, the worker pool, the engines and the retention
// scheduler. Several stores (different data dirs) live side by side in one process: nothing here is
// module-global.
import fs from 'node:fs';
import path from 'node:path';
import { createPool, type Pool, type PoolOptions } from './pool/pool.js';
import { acquireDirLock, type DirLock } from './storage/lock.js';
import { checkMemoryLimitBytes, checkMemorySpikeBytes, MemoryGuard, type AdmissionCheck, type MemoryStats } from './storage/memory-guard.js';
import { MetricsEngine } from './metrics/engine.js';
import { MetricsError } from './metrics/errors.js';
import { DEFAULT_RETENTION } from './metrics/retention.js';
import type {
  Labels, LatestPoint, Matchers, MetricMeta, MetricsOptions, MetricsStats, QueryOptions, QueryResult,
  RetentionOptions, RetentionReport, WritePoint, BackupReport,
} from './metrics/types.js';
import { LogsEngine, type LogsEngineOptions } from './logs/engine.js';
import { DEFAULT_LOGS_RETENTION, type ResolvedLogsRetention } from './logs/retention.js';
import type { LogCompactionReport } from './logs/compaction.js';
import type {
  LogCountResult, LogEntry, LogFilter, LogInput, LogQuery, LogQueryResult, LogsRetentionOptions, LogsRetentionReport, LogsStats, Resource,
} from './logs/types.js';
import { TracesEngine, type TracesEngineOptions } from './traces/engine.js';
import { TimelessSpanExporter } from './traces/exporter.js';
import type { SpanCompactionReport } from './traces/compaction.js';
import type { SpanFilter } from './traces/tail.js';
import type { OperationRow } from './traces/operations.js';
import type { Attributes, Span, SpanInput, TraceQuery, TraceQueryResult, TraceResult, TracesRetentionOptions, TracesRetentionReport, TracesStats } from './traces/types.js';
import { createApp, type TimelessApp } from './server/app.js';
import type { ServerOptions } from './server/context.js';
import { nodeListener, type NodeRequestListener } from './server/node-listener.js';
import { startLogChannel, type LogChannelHandle } from './integrations/log-channel.js';
import { RuntimeCollector, resolveRuntimeInterval, type RuntimeMetricsOptions } from './integrations/runtime.js';
import { fillIdentity, resolveIdentity, type Identity } from './integrations/identity.js';
import { TimelessLogRecordExporter, type LogExporterOptions } from './integrations/otel-logs-exporter.js';
import { TimelessMetricExporter, type MetricExporterOptions } from './integrations/otel-metrics-exporter.js';

/** Default retention of the spans store (issue #5): 7 days, 512 MiB. */
export const DEFAULT_TRACES_RETENTION = { maxAgeSec: 7 * 86_400, maxBytes: 512 * 1024 * 1024 } as const;

/** Retention of every signal: the metrics tiers at the top level, logs under `logs`. */
export interface StoreRetentionOptions extends RetentionOptions {
  logs?: LogsRetentionOptions;
  traces?: TracesRetentionOptions;
}

export interface TimelessOptions {
  dataDir: string;
  metrics?: MetricsOptions;
  logs?: LogsEngineOptions;
  traces?: TracesEngineOptions;
  retention?: StoreRetentionOptions;
  /** Pool options (the store creates and owns the pool) or a pool to share (the caller closes it). */
  pool?: PoolOptions | Pool;
  /** Runtime metrics of this process (event loop, memory, GC, CPU, handles) written into the store; default on, every 10 s. */
  runtimeMetrics?: RuntimeMetricsOptions;
  /**
   * Process memory limit (bytes, ≥ 32 MiB; default none), the hard limit. RSS is sampled every
   * 100 ms; while it is above the soft limit (this minus memorySpikeBytes), every write to an engine
   * that holds unsealed data throws BACKPRESSURE (HTTP 429 + Retry-After) and that engine seals what
   * it holds; above this, the main thread also runs a full GC (at most once a second). RSS is the
   * whole process: this bounds what the store accepts, not what the host app uses. See
   * docs/production.md "Memory limit".
   */
  memoryLimitBytes?: number;
  /**
   * How far below memoryLimitBytes refusals start (bytes; default 20 % of memoryLimitBytes, as the
   * OpenTelemetry Collector's spike_limit_mib): room for what RSS gains between two samples and for
   * memory refusing cannot give back at once. Only with memoryLimitBytes.
   */
  memorySpikeBytes?: number;
  /** @internal Tests only: where the memory limit reads RSS (default process.memoryUsage.rss). */
  memoryRssBytes?: () => number;
}

export interface TimelessMetrics {
  write(name: string, labels: Labels, value: number, tsMs?: number): void;
  writeBatch(points: WritePoint[]): void;
  defineMetric(name: string, meta: MetricMeta): void;
  metricMeta(name: string): MetricMeta | undefined;
  flush(): Promise<void>;
  query(q: QueryOptions): Promise<QueryResult>;
  latest(name: string | undefined, matchers?: Matchers): Promise<LatestPoint[]>;
  listMetrics(): string[];
  labelNames(name?: string): string[];
  labelValues(name: string | undefined, label: string): string[];
  series(name?: string, matchers?: Matchers): Array<{ name: string; labels: Labels }>;
  stats(): Promise<MetricsStats>;
  compactNow(): Promise<{ groups: number; blocksIn: number; blocksOut: number; filesDeleted: number }>;
  checkpoint(): Promise<void>;
  /** An OpenTelemetry JS PushMetricExporter writing into this store as the OTLP route would (durable before it reports success). */
  exporter(opts?: MetricExporterOptions): TimelessMetricExporter;
}

export interface TimelessLogs {
  /** Stores one entry: synchronous, typed LogsError on bad input (nothing stored then); durable after flush(). */
  write(entry: LogInput): void;
  /** All or nothing: a bad entry rejects the whole batch. */
  writeBatch(entries: LogInput[]): void;
  /** Resolves after the WAL is fdatasynced (every entry written before is durable). */
  flush(): Promise<void>;
  query(q?: LogQuery): Promise<LogQueryResult>;
  count(q?: LogQuery | LogFilter): Promise<LogCountResult>;
  /** Every page of the query, following cursors. */
  stream(q?: LogQuery): AsyncGenerator<LogQueryResult>;
  /** Attribute and resource keys seen. */
  fields(): string[];
  fieldValues(key: string, opts?: { limit?: number }): Promise<string[]>;
  /** Live tail; returns the unsubscribe function. */
  subscribe(filter: LogFilter, onEntry: (entry: LogEntry) => void): () => void;
  stats(): Promise<LogsStats>;
  compactNow(): Promise<LogCompactionReport>;
  /** Seals the hot tail into blocks now (normally every sealIntervalMs). */
  sealNow(): Promise<void>;
  /** An OpenTelemetry JS LogRecordExporter writing into this store as the OTLP route would (durable before it reports success). */
  exporter(opts?: LogExporterOptions): TimelessLogRecordExporter;
}

export interface TimelessTraces {
  /** Stores one span or an array of them: synchronous, typed TracesError on bad input (nothing stored then); durable after flush(). */
  write(spans: SpanInput | SpanInput[]): void;
  /** Resolves after the WAL is fdatasynced (every span written before is durable). */
  flush(): Promise<void>;
  /** An OpenTelemetry JS SpanExporter writing into this store (durable before it reports success). */
  exporter(opts?: { durable?: boolean }): TimelessSpanExporter;
  /** Spans matching the query, newest start first, with a cursor when more may follow. */
  query(q?: TraceQuery): Promise<TraceQueryResult>;
  /** Every stored span of a trace in start order, and the span tree. */
  trace(traceId: string): Promise<TraceResult>;
  /** Service names seen (resource service.name), sorted. */
  services(): string[];
  /** (service, span name, kind) seen, sorted; one service's when given. */
  operations(service?: string): OperationRow[];
  /** Live tail; returns the unsubscribe function. */
  subscribe(filter: SpanFilter, onSpan: (span: Span) => void): () => void;
  stats(): Promise<TracesStats>;
  compactNow(): Promise<SpanCompactionReport>;
  /** Seals the hot tail into blocks now (normally every sealIntervalMs). */
  sealNow(): Promise<void>;
}

/** The retention every engine applies, defaults filled in (what the dashboard's Storage page shows). */
export interface RetentionSettings {
  metrics: { rawMaxAgeSec: number; hourlyMaxAgeSec: number; dailyMaxAgeSec: number };
  logs: { maxAgeSec: number; maxBytes: number };
  traces: { maxAgeSec: number; maxBytes: number };
  /** Seconds between scheduled runs; 0: retention runs only when asked (runNow). */
  intervalSec: number;
}

export interface TimelessRetention {
  /** Runs retention now (nowMs for tests: ages are measured from it). */
  runNow(nowMs?: number): Promise<{ metrics: RetentionReport; logs: LogsRetentionReport; traces: TracesRetentionReport }>;
  /** The resolved settings (copies: changing them changes nothing). */
  settings(): RetentionSettings;
}

export interface TimelessStats {
  metrics: MetricsStats;
  logs: LogsStats;
  traces: TracesStats;
  /** The memory limit's state; only when memoryLimitBytes is set. */
  memory?: MemoryStats;
}

/** The resource attributes each OTel exporter fills into the SDK's resources. */
interface StoreIdentity {
  metrics: Identity;
  logs: Readonly<Resource>;
  traces: Readonly<Attributes>;
}

function isPool(p: unknown): p is Pool {
  return typeof p === 'object' && p !== null && typeof (p as Pool).sealBlocks === 'function' && typeof (p as Pool).close === 'function';
}

function backupName(d = new Date()): string {
  return d.toISOString().replace(/[:.]/g, '-');
}

export class Timeless {
  readonly dataDir: string;
  readonly metrics: TimelessMetrics;
  readonly logs: TimelessLogs;
  readonly traces: TimelessTraces;
  readonly retention: TimelessRetention;
  private readonly engine: MetricsEngine;
  private readonly logsEngine: LogsEngine;
  private readonly tracesEngine: TracesEngine;
  private readonly logsRetention: ResolvedLogsRetention;
  private readonly tracesRetention: ResolvedLogsRetention;
  private readonly pool: Pool;
  private readonly ownsPool: boolean;
  private readonly lock: DirLock;
  private readonly retentionOpts: Required<Omit<RetentionOptions, 'intervalSec'>>;
  private retentionTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | null = null;
  private readonly appClosers: Array<() => Promise<void>> = [];
  private runtime: RuntimeCollector | undefined;
  /** Receives the lines of pino transports (`timeless-node/pino`) pointed at this data directory. */
  private logChannel: LogChannelHandle | undefined;
  /** The memory limit (memoryLimitBytes), when set. */
  private memoryGuard: MemoryGuard | undefined;

  private constructor(
    identity: StoreIdentity,
    dataDir: string,
    engine: MetricsEngine,
    logsEngine: LogsEngine,
    tracesEngine: TracesEngine,
    pool: Pool,
    ownsPool: boolean,
    lock: DirLock,
    retention: StoreRetentionOptions,
  ) {
    this.dataDir = dataDir;
    this.engine = engine;
    this.logsEngine = logsEngine;
    this.tracesEngine = tracesEngine;
    this.logsRetention = resolveLogsRetention(retention);
    this.tracesRetention = resolveTracesRetention(retention);
    this.pool = pool;
    this.ownsPool = ownsPool;
    this.lock = lock;
    this.retentionOpts = {
      rawMaxAgeSec: retention.rawMaxAgeSec ?? DEFAULT_RETENTION.rawMaxAgeSec,
      hourlyMaxAgeSec: retention.hourlyMaxAgeSec ?? DEFAULT_RETENTION.hourlyMaxAgeSec,
      dailyMaxAgeSec: retention.dailyMaxAgeSec ?? DEFAULT_RETENTION.dailyMaxAgeSec,
    };
    const e = engine;
    this.metrics = {
      write: (name, labels, value, tsMs) => e.write(name, labels, value, tsMs),
      writeBatch: (points) => e.writeBatch(points),
      defineMetric: (name, meta) => e.defineMetric(name, meta),
      metricMeta: (name) => e.metricMeta(name),
      flush: () => e.flush(),
      query: (q) => e.query(q),
      latest: (name, matchers) => e.latest(name, matchers),
      listMetrics: () => e.listMetrics(),
      labelNames: (name) => e.labelNames(name),
      labelValues: (name, label) => e.labelValues(name, label),
      series: (name, matchers) => e.series(name, matchers),
      stats: () => e.stats(),
      compactNow: () => e.compactNow(),
      checkpoint: () => e.checkpoint(),
      exporter: (opts) => new TimelessMetricExporter(this.metrics, identity.metrics, opts),
    };
    const l = logsEngine;
    this.logs = {
      write: (entry) => l.write(entry),
      writeBatch: (entries) => l.writeBatch(entries),
      flush: () => l.flush(),
      query: (q) => l.query(q),
      count: (q) => l.count(q),
      stream: (q) => l.stream(q),
      fields: () => l.fields(),
      fieldValues: (key, opts) => l.fieldValues(key, opts),
      subscribe: (filter, onEntry) => l.subscribe(filter, onEntry),
      stats: () => l.stats(),
      compactNow: () => l.compactNow(),
      sealNow: () => l.sealNow(),
      exporter: (opts) => new TimelessLogRecordExporter(this.logs, identity.logs, opts),
    };
    const t = tracesEngine;
    this.traces = {
      write: (spans) => t.write(spans),
      flush: () => t.flush(),
      // SDK resources name the service "unknown_service:<process>" when the app named none: the
      // identity replaces that (the engine's defaults only fill keys a span's resource lacks).
      exporter: (opts) => new TimelessSpanExporter({
        writeBatch: (spans) => t.write(spans.map((s) => (s.resource?.attributes ? { ...s, resource: { ...s.resource, attributes: fillIdentity(s.resource.attributes, identity.traces) } } : s))),
        flush: () => t.flush(),
      }, opts),
      query: (q) => t.query(q),
      trace: (traceId) => t.trace(traceId),
      services: () => t.services(),
      operations: (service) => t.operations(service),
      subscribe: (filter, onSpan) => t.subscribe(filter, onSpan),
      stats: () => t.stats(),
      compactNow: () => t.compactNow(),
      sealNow: () => t.sealNow(),
    };
    const intervalSec = retention.intervalSec ?? 3600;
    this.retention = {
      settings: () => ({
        metrics: { rawMaxAgeSec: this.retentionOpts.rawMaxAgeSec, hourlyMaxAgeSec: this.retentionOpts.hourlyMaxAgeSec, dailyMaxAgeSec: this.retentionOpts.dailyMaxAgeSec },
        logs: { maxAgeSec: this.logsRetention.maxAgeSec, maxBytes: this.logsRetention.maxBytes },
        traces: { maxAgeSec: this.tracesRetention.maxAgeSec, maxBytes: this.tracesRetention.maxBytes },
        intervalSec,
      }),
      runNow: async (nowMs?: number) => {
        const now = nowMs ?? Date.now();
        const [metrics, logs, traces] = await Promise.all([
          e.runRetention(this.retentionOpts, now),
          l.runRetention(this.logsRetention, now),
          t.runRetention(this.tracesRetention, now),
        ]);
        return { metrics, logs, traces };
      },
    };
    if (intervalSec > 0) {
      this.retentionTimer = setInterval(() => {
        const warn = (err: unknown) => console.warn(`timeless: retention failed: ${(err as Error).message}`);
        if (!e.isClosed) e.runRetention(this.retentionOpts).catch(warn);
        if (!l.isClosed) l.runRetention(this.logsRetention).catch(warn);
        if (!t.isClosed) t.runRetention(this.tracesRetention).catch(warn);
      }, intervalSec * 1000);
      this.retentionTimer.unref();
    }
  }

  static async open(options: TimelessOptions): Promise<Timeless> {
    if (options === null || typeof options !== 'object' || typeof options.dataDir !== 'string' || options.dataDir === '') {
      throw new TypeError('timeless: Timeless.open needs { dataDir: string }');
    }
    const dataDir = path.resolve(options.dataDir);
    const retention = options.retention ?? {};
    for (const k of ['rawMaxAgeSec', 'hourlyMaxAgeSec', 'dailyMaxAgeSec', 'intervalSec'] as const) {
      const v = retention[k];
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
        throw new RangeError(`timeless: retention.${k} must be a non-negative number of seconds, got ${String(v)}`);
      }
    }
    const logsRetention = resolveLogsRetention(retention);
    const tracesRetention = resolveTracesRetention(retention);
    const runtimeIntervalMs = resolveRuntimeInterval(options.runtimeMetrics);
    const memoryLimitBytes = options.memoryLimitBytes;
    // Before the lock: a bad option must not leave the directory locked.
    if (memoryLimitBytes !== undefined) checkMemoryLimitBytes(memoryLimitBytes);
    const memorySpikeBytes = options.memorySpikeBytes;
    if (memorySpikeBytes !== undefined) {
      if (memoryLimitBytes === undefined) throw new RangeError('timeless: memorySpikeBytes needs memoryLimitBytes (it is the room below that limit)');
      checkMemorySpikeBytes(memorySpikeBytes, memoryLimitBytes);
    }
    if (options.memoryRssBytes !== undefined && typeof options.memoryRssBytes !== 'function') {
      throw new TypeError('timeless: memoryRssBytes must be a function returning bytes');
    }
    // The engines' default resource (issue #8): what the environment and the app's package.json say,
    // under the caller's logs.resource / traces.resource (which win key by key).
    const resolved = resolveIdentity();
    const logsOptions = withDefaultResource(options.logs, resolved);
    const tracesOptions = withDefaultResource(options.traces, resolved);
    // What each exporter fills into SDK resources: the engine's default resource, so logs.resource /
    // traces.resource win there too.
    const identity: StoreIdentity = { metrics: resolved, logs: logsOptions?.resource ?? resolved, traces: tracesOptions?.resource ?? resolved };
    const lock = acquireDirLock(dataDir);
    let pool: Pool | undefined;
    const ownsPool = !isPool(options.pool);
    let guard: MemoryGuard | undefined;
    let tl: Timeless;
    try {
      // Before the engines: their first write must find a sample of RSS.
      if (memoryLimitBytes !== undefined) guard = new MemoryGuard({ limitBytes: memoryLimitBytes, spikeBytes: memorySpikeBytes, rssBytes: options.memoryRssBytes });
      const g = guard;
      const admission: AdmissionCheck | undefined = g === undefined ? undefined : (pendingBytes) => g.refusal(pendingBytes);
      pool = isPool(options.pool) ? options.pool : createPool(options.pool ?? {});
      const engine = await MetricsEngine.open({ root: path.join(dataDir, 'metrics'), pool, options: options.metrics, admission });
      let logsEngine: LogsEngine;
      try {
        logsEngine = await LogsEngine.open({ root: path.join(dataDir, 'logs'), pool, options: logsOptions, retentionMaxBytes: logsRetention.maxBytes, admission });
      } catch (err) {
        await engine.close().catch(() => undefined);
        throw err;
      }
      let tracesEngine: TracesEngine;
      try {
        tracesEngine = await TracesEngine.open({ root: path.join(dataDir, 'spans'), pool, options: tracesOptions, retentionMaxBytes: tracesRetention.maxBytes, admission });
      } catch (err) {
        await Promise.allSettled([engine.close(), logsEngine.close()]);
        throw err;
      }
      tl = new Timeless(identity, dataDir, engine, logsEngine, tracesEngine, pool, ownsPool, lock, retention);
      tl.memoryGuard = guard;
    } catch (err) {
      guard?.stop();
      if (ownsPool) await pool?.close().catch(() => undefined);
      lock.release();
      throw err;
    }
    if (runtimeIntervalMs > 0) {
      let refusedBefore = false;
      const runtime = new RuntimeCollector(tl.metrics, {
        onError: (err) => {
          // A store refusing writes (pending bound or memory limit) refuses a sample every interval
          // for as long as it lasts: said once, not every 10 s; stats() counts the refusals.
          if ((err as { code?: unknown } | undefined)?.code === 'BACKPRESSURE') {
            if (refusedBefore) return;
            refusedBefore = true;
          }
          console.warn(`timeless: runtime metrics failed: ${(err as Error)?.message ?? String(err)}`);
        },
      });
      try {
        runtime.start(runtimeIntervalMs);
      } catch (err) {
        runtime.stop();
        await tl.close().catch(() => undefined);
        throw err;
      }
      tl.runtime = runtime;
    }
    // Last: a 'ready' announcement makes waiting transports re-send, which must find a whole store.
    tl.logChannel = startLogChannel(tl.logs, { dataDir });
    return tl;
  }

  /**
   * The Hono app with the REST API, the standard protocols and the dashboard; mount it under any
   * prefix (`host.route('/obs', tl.routes())`). Whatever it owns (a forwarder's queue) closes with
   * the store.
   */
  routes(options?: ServerOptions): TimelessApp {
    const app = createApp(this, options);
    this.appClosers.push(() => app.timeless.close());
    return app;
  }

  /**
   * routes() as a node:http request listener: `expressApp.use('/obs', tl.requestListener())`
   * (before any body parser: the routes read bodies themselves) or `http.createServer(tl.requestListener())`.
   */
  requestListener(options?: ServerOptions): NodeRequestListener {
    return nodeListener(this.routes(options).fetch);
  }

  /** True once close() was called. */
  get isClosed(): boolean {
    return this.closing !== null;
  }

  /** Durable: resolves after every engine's WAL is on disk. */
  async flush(): Promise<void> {
    await Promise.all([this.engine.flush(), this.logsEngine.flush(), this.tracesEngine.flush()]);
  }

  async stats(): Promise<TimelessStats> {
    const [metrics, logs, traces] = await Promise.all([this.engine.stats(), this.logsEngine.stats(), this.tracesEngine.stats()]);
    const guard = this.memoryGuard;
    if (guard === undefined) return { metrics, logs, traces };
    // A fresh sample: stats report the RSS of now, not of up to checkIntervalMs ago.
    guard.sample();
    return { metrics, logs, traces, memory: guard.stats() };
  }

  /**
   * A consistent copy of the store, taken while it keeps running, that opens as a data directory.
   * Default target: <dataDir>/backups/<timestamp>/.
   */
  async backup(targetDir?: string): Promise<BackupReport> {
    const target = path.resolve(targetDir ?? path.join(this.dataDir, 'backups', backupName()));
    if (target === this.dataDir) throw new MetricsError('INVALID_VALUE', 'backup target is the data directory itself; choose another directory');
    if (fs.existsSync(target)) throw new MetricsError('INVALID_VALUE', `backup target ${target} already exists; choose a new directory`);
    // Written under a hidden name and renamed when complete: a listing (GET /api/v1/backup) or a
    // crash never shows a half-written backup as a backup.
    const partial = path.join(path.dirname(target), `.partial-${path.basename(target)}`);
    fs.rmSync(partial, { recursive: true, force: true });
    try {
      const metrics = await this.engine.backup(partial);
      const logs = await this.logsEngine.backup(partial);
      const traces = await this.tracesEngine.backup(partial);
      await fs.promises.rename(partial, target);
      return { path: target, files: metrics.files + logs.files + traces.files, bytes: metrics.bytes + logs.bytes + traces.bytes };
    } catch (err) {
      await fs.promises.rm(partial, { recursive: true, force: true }).catch(() => undefined);
      throw err;
    }
  }

  /** Flushes, closes the engines, releases the lock, and closes the pool if the store created it. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      // First: no runtime sample or transport batch may reach an engine that is closing (a
      // transport keeps what was not acknowledged and re-sends it to the next store on this dir).
      this.logChannel?.close();
      this.runtime?.stop();
      this.memoryGuard?.stop();
      if (this.retentionTimer) clearInterval(this.retentionTimer);
      await Promise.allSettled(this.appClosers.map((close) => close()));
      try {
        const results = await Promise.allSettled([this.engine.close(), this.logsEngine.close(), this.tracesEngine.close()]);
        for (const r of results) if (r.status === 'rejected') throw r.reason;
      } finally {
        if (this.ownsPool) await this.pool.close().catch(() => undefined);
        this.lock.release();
      }
    })();
    return this.closing;
  }
}

/**
 * Engine options with the identity under their own resource. Options or a resource that are not
 * plain objects are passed on untouched, so the engine reports them as it always did.
 */
function withDefaultResource<O extends { resource?: object }>(o: O | undefined, identity: Identity): O | undefined {
  if (o !== undefined && (o === null || typeof o !== 'object')) return o;
  const own = o?.resource;
  if (own !== undefined && (own === null || typeof own !== 'object' || Array.isArray(own))) return o;
  return { ...o, resource: { ...identity, ...own } } as O;
}

function resolveLogsRetention(r: StoreRetentionOptions): ResolvedLogsRetention {
  const l = r.logs ?? {};
  if (l === null || typeof l !== 'object') throw new TypeError('timeless: retention.logs must be an object { maxAgeSec?, maxBytes? }');
  for (const k of ['maxAgeSec', 'maxBytes'] as const) {
    const v = l[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
      throw new RangeError(`timeless: retention.logs.${k} must be a non-negative number, got ${String(v)}`);
    }
  }
  return { maxAgeSec: l.maxAgeSec ?? DEFAULT_LOGS_RETENTION.maxAgeSec, maxBytes: l.maxBytes ?? DEFAULT_LOGS_RETENTION.maxBytes };
}

function resolveTracesRetention(r: StoreRetentionOptions): ResolvedLogsRetention {
  const t = r.traces ?? {};
  if (t === null || typeof t !== 'object') throw new TypeError('timeless: retention.traces must be an object { maxAgeSec?, maxBytes? }');
  for (const k of ['maxAgeSec', 'maxBytes'] as const) {
    const v = t[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
      throw new RangeError(`timeless: retention.traces.${k} must be a non-negative number, got ${String(v)}`);
    }
  }
  return { maxAgeSec: t.maxAgeSec ?? DEFAULT_TRACES_RETENTION.maxAgeSec, maxBytes: t.maxBytes ?? DEFAULT_TRACES_RETENTION.maxBytes };
}
