// Timeless.open(): the data-directory lock, the worker pool, the engines and the retention
// scheduler. Several stores (different data dirs) live side by side in one process: nothing here is
// module-global.
import path from 'node:path';
import { createPool, type Pool } from './pool/pool.js';
import { acquireDirLock, type DirLock } from './storage/lock.js';
import { MetricsEngine } from './metrics/engine.js';
import { MetricsError } from './metrics/errors.js';
import { DEFAULT_RETENTION } from './metrics/retention.js';
import type {
  Labels, LatestPoint, Matchers, MetricMeta, MetricsOptions, MetricsStats, QueryOptions, QueryResult,
  RetentionOptions, RetentionReport, WritePoint, BackupReport,
} from './metrics/types.js';

export interface TimelessOptions {
  dataDir: string;
  metrics?: MetricsOptions;
  retention?: RetentionOptions;
  /** Pool options (the store creates and owns the pool) or a pool to share (the caller closes it). */
  pool?: { threads?: number } | Pool;
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
}

export interface TimelessRetention {
  /** Runs retention now (nowMs for tests: ages are measured from it). */
  runNow(nowMs?: number): Promise<{ metrics: RetentionReport }>;
}

export interface TimelessStats {
  metrics: MetricsStats;
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
  readonly retention: TimelessRetention;
  private readonly engine: MetricsEngine;
  private readonly pool: Pool;
  private readonly ownsPool: boolean;
  private readonly lock: DirLock;
  private readonly retentionOpts: Required<Omit<RetentionOptions, 'intervalSec'>>;
  private retentionTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | null = null;

  private constructor(dataDir: string, engine: MetricsEngine, pool: Pool, ownsPool: boolean, lock: DirLock, retention: RetentionOptions) {
    this.dataDir = dataDir;
    this.engine = engine;
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
    };
    this.retention = {
      runNow: async (nowMs?: number) => ({ metrics: await e.runRetention(this.retentionOpts, nowMs ?? Date.now()) }),
    };
    const intervalSec = retention.intervalSec ?? 3600;
    if (intervalSec > 0) {
      this.retentionTimer = setInterval(() => {
        if (e.isClosed) return;
        e.runRetention(this.retentionOpts).catch((err) => console.warn(`timeless: retention failed: ${(err as Error).message}`));
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
    const lock = acquireDirLock(dataDir);
    let pool: Pool | undefined;
    const ownsPool = !isPool(options.pool);
    try {
      pool = isPool(options.pool) ? options.pool : createPool(options.pool ?? {});
      const engine = await MetricsEngine.open({ root: path.join(dataDir, 'metrics'), pool, options: options.metrics });
      return new Timeless(dataDir, engine, pool, ownsPool, lock, retention);
    } catch (err) {
      if (ownsPool) await pool?.close().catch(() => undefined);
      lock.release();
      throw err;
    }
  }

  /** Durable: resolves after every engine's WAL is on disk. */
  async flush(): Promise<void> {
    await this.engine.flush();
  }

  async stats(): Promise<TimelessStats> {
    return { metrics: await this.engine.stats() };
  }

  /**
   * A consistent copy of the store, taken while it keeps running, that opens as a data directory.
   * Default target: <dataDir>/backups/<timestamp>/.
   */
  async backup(targetDir?: string): Promise<BackupReport> {
    const target = path.resolve(targetDir ?? path.join(this.dataDir, 'backups', backupName()));
    if (target === this.dataDir) throw new MetricsError('INVALID_VALUE', 'backup target is the data directory itself; choose another directory');
    return this.engine.backup(target);
  }

  /** Flushes, closes the engines, releases the lock, and closes the pool if the store created it. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      if (this.retentionTimer) clearInterval(this.retentionTimer);
      try {
        await this.engine.close();
      } finally {
        if (this.ownsPool) await this.pool.close().catch(() => undefined);
        this.lock.release();
      }
    })();
    return this.closing;
  }
}
