// The metrics engine: write path (catalog → head + WAL staging), durability (group-committed WAL),
// sealing (through the pool), checkpoints, and the wiring of queries, compaction, retention, backup
// and stats (each in its own module). One engine per <dataDir>/metrics; the caller holds the lock.
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { Pool } from '../pool/pool.js';
import { openDatabase } from '../sqlite/open.js';
import { migrate } from '../sqlite/migrate.js';
import { FilePins, Mutex } from '../storage/mutex.js';
import { SegmentSet, trimSegmentSet } from '../storage/segment-set.js';
import { syncSqliteWal } from '../storage/sqlite-durability.js';
import { Wal } from '../storage/wal.js';
import { BlockIndex } from './block-index.js';
import { Catalog } from './catalog.js';
import { MetricsError } from './errors.js';
import { StorageError } from '../storage/errors.js';
import { Head, HeadSlabs } from './heads.js';
import { checkTime, checkValue } from './labels.js';
import { METRICS_MIGRATIONS, TIER_SEGMENT_DIRS } from './schema.js';
import { Sealer } from './sealer.js';
import { decodeRecords, encodeDefine, PointStaging } from './wal-records.js';
import type {
  LatestPoint, Labels, Matchers, MetricMeta, MetricsOptions, MetricsStats, QueryOptions, QueryResult, WritePoint,
  SkippedBlock, BackupReport, RetentionOptions, RetentionReport,
} from './types.js';
import { runQuery, runLatest, selectSeries } from './reader.js';
import { runCompaction } from './compaction.js';
import { runRetention } from './retention.js';
import { runBackup } from './backup.js';
import { computeStats } from './stats.js';
import { WriteErrorLog } from '../storage/write-errors.js';
import type { AdmissionCheck } from '../storage/memory-guard.js';

const STAGING_POINTS = 16_384;
const BACKGROUND_SYNC_BYTES = 8 * 1024 * 1024;
/** Heads cut per event-loop turn by a checkpoint (100 k series must not cut in one task). */
const CHECKPOINT_CUTS_PER_TURN = 2048;

export interface ResolvedMetricsOptions {
  blockPoints: number;
  blockSpanMs: number;
  walMaxBytes: number;
  maxPendingBytes: number;
  autoFlushMs: number;
  compactIntervalMs: number;
  maxSegmentBytes: number;
  poolDecodeBytes: number;
  log: (message: string) => void;
}

function resolveOptions(o: MetricsOptions = {}): ResolvedMetricsOptions {
  const num = (v: number | undefined, def: number, name: string, min: number): number => {
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
      throw new RangeError(`timeless: metrics.${name} must be a number ≥ ${min}, got ${String(v)}`);
    }
    return v;
  };
  return {
    blockPoints: Math.floor(num(o.blockPoints, 8192, 'blockPoints', 2)),
    blockSpanMs: num(o.blockSpanMs, 2 * 3_600_000, 'blockSpanMs', 1),
    walMaxBytes: num(o.walMaxBytes, 128 * 1024 * 1024, 'walMaxBytes', 1024),
    maxPendingBytes: num(o.maxPendingBytes, 256 * 1024 * 1024, 'maxPendingBytes', 64 * 1024),
    autoFlushMs: num(o.autoFlushMs, 1000, 'autoFlushMs', 0),
    compactIntervalMs: num(o.compactIntervalMs, 60_000, 'compactIntervalMs', 0),
    maxSegmentBytes: num(o.maxSegmentBytes, 64 * 1024 * 1024, 'maxSegmentBytes', 4096),
    poolDecodeBytes: num(o.poolDecodeBytes, 64 * 1024, 'poolDecodeBytes', 0),
    log: o.log ?? ((m: string) => console.warn(m)),
  };
}

export interface MetricsEngineOpenOptions {
  /** <dataDir>/metrics */
  root: string;
  pool: Pool;
  options?: MetricsOptions;
  /** Asked in the back-pressure check before a write is appended (the store's memory limit). */
  admission?: AdmissionCheck;
}

export class MetricsEngine {
  readonly root: string;
  readonly opts: ResolvedMetricsOptions;
  readonly pool: Pool;
  readonly db: Database.Database;
  readonly catalog: Catalog;
  readonly index: BlockIndex;
  readonly allocator: SegmentSet;
  readonly wal: Wal;
  readonly sealer: Sealer;
  readonly pins = new FilePins();
  readonly maintenance = new Mutex();
  /** Blocks found corrupt (id → what was reported; kept in index.db's corrupt table); never rewritten, compaction skips their series. */
  readonly corrupt = new Map<number, SkippedBlock>();
  readonly heads: Array<Head | undefined> = [];
  /** Storage of every head (shared slabs, see heads.ts). */
  readonly slabs = new HeadSlabs();
  headPoints = 0;
  /** Reads running in the pool: file deletions wait for them. */
  readsInFlight = 0;

  private ids = new Int32Array(0);
  private tss = new Float64Array(0);
  /** Size of each series' last cut: a new head starts at that capacity (no regrowth churn). */
  private cutHint = new Uint16Array(1024);
  private readonly staging = new PointStaging(STAGING_POINTS);
  /** Write sequence of the points being staged now (the next points record). */
  private seq: number;
  private walBytesSinceCheckpoint = 0;
  private checkpointRunning: Promise<void> | null = null;
  /** The pool's PASSIVE checkpoint of index.db in flight (at most one). */
  private indexCheckpointRunning: Promise<void> | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private backgroundError: unknown;
  /** Background failures (sealing, checkpoint, compaction ...) for stats(); the WAL keeps its own. */
  readonly writeErrors = new WriteErrorLog();
  private admission: AdmissionCheck | undefined;
  /** A write was refused for memory: the next flush() waits for the checkpoint that drains the heads. */
  private memoryRefused = false;

  private constructor(
    root: string,
    opts: ResolvedMetricsOptions,
    pool: Pool,
    db: Database.Database,
    catalog: Catalog,
    index: BlockIndex,
    allocator: SegmentSet,
    wal: Wal,
    seq: number,
  ) {
    this.root = root;
    this.opts = opts;
    this.pool = pool;
    this.db = db;
    this.catalog = catalog;
    this.index = index;
    this.allocator = allocator;
    this.wal = wal;
    this.seq = seq;
    this.sealer = new Sealer({
      pool,
      allocator,
      db,
      index,
      catalog,
      root,
      pins: this.pins,
      onError: (err) => this.reportBackground('sealing', err),
      onRound: () => this.requestIndexCheckpoint(),
    });
    catalog.onDefine = (id, name, labels) => {
      const rec = encodeDefine(id, name, labels);
      this.wal.append(rec);
      this.walBytesSinceCheckpoint += rec.length;
    };
  }

  static async open(o: MetricsEngineOpenOptions): Promise<MetricsEngine> {
    const opts = resolveOptions(o.options);
    const root = path.resolve(o.root);
    const db = openDatabase(path.join(root, 'index.db'));
    try {
      // Before the first table exists: lets compaction/retention give freed pages back to the disk.
      // (The WAL journal mode already wrote the header, so a VACUUM applies it; the file is empty.)
      if (db.pragma('user_version', { simple: true }) === 0 && db.pragma('auto_vacuum', { simple: true }) === 0) {
        db.pragma('auto_vacuum = INCREMENTAL');
        db.exec('VACUUM');
      }
      migrate(db, METRICS_MIGRATIONS);
      // SQLite checkpoints run in the pool (requestIndexCheckpoint), never inside a main-thread commit.
      db.pragma('wal_autocheckpoint = 0');
      const catalog = new Catalog();
      catalog.load(db);
      const index = new BlockIndex(db);
      const allocator = await SegmentSet.open(root, opts.maxSegmentBytes, TIER_SEGMENT_DIRS);
      await trimSegmentSet(allocator, index.segmentEnds());
      const { wal, records, corrupt } = await Wal.open({ dir: path.join(root, 'wal') });
      for (const c of corrupt) opts.log(`timeless metrics: ${c.error.message}`);
      const sealed = index.sealedSeqs();
      let maxSeq = index.maxSealedSeq();
      const engine = new MetricsEngine(root, opts, o.pool, db, catalog, index, allocator, wal, 0);
      engine.admission = o.admission;
      engine.loadCorrupt();
      let skippedUnknown = 0;
      for (const r of records) {
        for (const rec of decodeRecords(r.payload)) {
          if (rec.type === 'define') {
            catalog.define(rec.id, rec.name, rec.labels);
            continue;
          }
          if (rec.seq > maxSeq) maxSeq = rec.seq;
          const t = rec.triples;
          const touched: number[] = [];
          for (let i = 0; i < t.length; i += 3) {
            const id = t[i];
            if ((sealed.get(id) ?? 0) >= rec.seq) continue;
            if (catalog.nameOf(id) === '') {
              skippedUnknown++;
              continue;
            }
            if (engine.appendToHead(id, t[i + 1], t[i + 2], rec.seq)) touched.push(id);
          }
          // Cuts only between records: a cut's maxSeq must cover all of that series' points of
          // its sequence, or a later replay would skip the ones left in the new head.
          for (const id of touched) {
            const h = engine.heads[id];
            if (h !== undefined && h.n > 0 && (h.n >= opts.blockPoints || h.maxTsMs - h.minTsMs >= opts.blockSpanMs)) engine.cut(id, h);
          }
        }
      }
      if (skippedUnknown > 0) opts.log(`timeless metrics: WAL replay skipped ${skippedUnknown} points of undefined series`);
      engine.seq = maxSeq + 1;
      engine.startTimers();
      return engine;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  // ------------------------------------------------------------------ write path

  /**
   * Appends one point. Synchronous and cheap: resolves the series (a WeakMap hit when `labels` is
   * an object already written with — do not mutate a labels object after writing with it), appends
   * to the head and stages three doubles for the WAL. Durable after the next flush().
   */
  write(name: string, labels: Labels, value: number, tsMs?: number): void {
    this.assertOpen();
    if (typeof value !== 'number') checkValue(value);
    const ts = tsMs === undefined ? Date.now() : Number.isSafeInteger(tsMs) && tsMs >= 0 ? tsMs : checkTime(tsMs);
    this.checkPressure();
    const id = this.catalog.resolve(name, labels);
    this.stageAndAppend(id, ts, value);
  }

  /** Validates every point first: a bad point rejects the whole batch and writes none of it. */
  writeBatch(points: WritePoint[]): void {
    this.assertOpen();
    if (!Array.isArray(points)) throw new MetricsError('INVALID_VALUE', 'writeBatch expects an array of { name, labels, value, tsMs? }');
    const n = points.length;
    if (this.ids.length < n) {
      this.ids = new Int32Array(n);
      this.tss = new Float64Array(n);
    }
    const ids = this.ids;
    const tss = this.tss;
    let missing = false;
    for (let i = 0; i < n; i++) {
      const p = points[i];
      try {
        if (p === null || typeof p !== 'object') throw new MetricsError('INVALID_VALUE', 'a point must be an object { name, labels, value, tsMs? }');
        if (typeof p.value !== 'number') checkValue(p.value);
        const t = p.tsMs;
        tss[i] = typeof t === 'number' && Number.isSafeInteger(t) && t >= 0 ? t : checkTime(t);
        // Cached series (the labels object was written with before) need no validation.
        const id = this.catalog.cached(p.name, p.labels);
        if (id < 0) {
          this.catalog.check(p.name, p.labels);
          missing = true;
        }
        ids[i] = id;
      } catch (err) {
        if (err instanceof MetricsError) err.message += ` (point ${i}; nothing of this batch was written)`;
        throw err;
      }
    }
    this.checkPressure();
    if (missing) for (let i = 0; i < n; i++) if (ids[i] < 0) ids[i] = this.catalog.resolve(points[i].name, points[i].labels);
    for (let i = 0; i < n; i++) this.stageAndAppend(ids[i], tss[i], points[i].value);
  }

  defineMetric(name: string, meta: MetricMeta): void {
    this.assertOpen();
    try {
      this.catalog.defineMetric(this.db, name, meta);
    } catch (err) {
      // SQLite's own errors (a full disk: SQLITE_FULL) reach callers as the typed IO error the WAL
      // and segment writes give, and count in stats().writeErrors like them.
      const sqlite = (err as { code?: unknown } | null)?.code;
      if (typeof sqlite !== 'string' || !sqlite.startsWith('SQLITE_')) throw err;
      const file = path.join(this.root, 'index.db');
      const full = sqlite === 'SQLITE_FULL';
      const e = new StorageError(
        'IO',
        `defining metric ${name} in ${file} failed: ${(err as Error).message}` + (full ? ' (disk full: free space, then retry)' : ''),
        { file, sqliteCode: sqlite, ...(full ? { errno: 'ENOSPC' } : {}) },
        err,
      );
      this.writeErrors.record('metric metadata', e);
      throw e;
    }
  }

  private stageAndAppend(id: number, tsMs: number, value: number): void {
    let h = this.heads[id];
    if (h !== undefined && h.n > 0 && this.mustCut(h, tsMs)) {
      this.cut(id, h);
      h = undefined;
    }
    if (!this.staging.push(id, tsMs, value)) {
      this.closeBatch();
      this.staging.push(id, tsMs, value);
    }
    if (h === undefined) this.heads[id] = h = this.newHead(id);
    h.append(tsMs, value, this.seq, this.opts.blockPoints);
    this.headPoints++;
  }

  /** Replay path: the point is already in the WAL; no cut here (see open()). True for a new head. */
  private appendToHead(id: number, tsMs: number, value: number, seq: number): boolean {
    let h = this.heads[id];
    const first = h === undefined || h.lastSeq !== seq;
    if (h === undefined) this.heads[id] = h = this.newHead(id);
    h.append(tsMs, value, seq, Number.MAX_SAFE_INTEGER);
    this.headPoints++;
    return first;
  }

  private newHead(id: number): Head {
    const hint = id < this.cutHint.length ? this.cutHint[id] : 0;
    return new Head(hint > 0 ? hint : undefined, this.slabs);
  }

  private mustCut(h: Head, tsMs: number): boolean {
    const span = this.opts.blockSpanMs;
    return h.n >= this.opts.blockPoints || tsMs - h.minTsMs >= span || h.maxTsMs - tsMs >= span;
  }

  /** Hands a head to the sealer. Closes the staging batch first, so later points get a higher seq. */
  private cut(id: number, h: Head): void {
    this.closeBatch();
    const n = h.n;
    this.sealer.push({ seriesId: id, n, maxSeq: h.lastSeq, pairs: h.take() });
    // Only series that filled a sizable head get a capacity hint: idle series stay tiny.
    if (n >= 64) {
      if (id >= this.cutHint.length) {
        const grown = new Uint16Array(Math.max(id + 1, this.cutHint.length * 2));
        grown.set(this.cutHint);
        this.cutHint = grown;
      }
      this.cutHint[id] = Math.min(n, 65_535);
    }
    this.headPoints -= n;
    this.heads[id] = undefined;
  }

  private closeBatch(): void {
    if (this.staging.count === 0) return;
    const rec = this.staging.seal(this.seq);
    this.wal.append(rec);
    this.walBytesSinceCheckpoint += rec.length;
    this.seq++;
    if (this.walBytesSinceCheckpoint > this.opts.walMaxBytes) this.requestCheckpoint();
    if (this.wal.pendingBytes > BACKGROUND_SYNC_BYTES) {
      this.wal.sync().catch((err) => this.reportBackground('WAL sync', err));
    }
  }

  /** Head + cut-but-unsealed + staged + unsynced WAL bytes. */
  get pendingBytes(): number {
    return (this.headPoints + this.sealer.queuedPoints) * 16 + this.staging.count * 16 + this.wal.pendingBytes;
  }

  private checkPressure(): void {
    const pending = this.pendingBytes;
    if (pending > this.opts.maxPendingBytes / 2) {
      this.requestCheckpoint();
      if (pending > this.opts.maxPendingBytes) {
        throw new MetricsError(
          'BACKPRESSURE',
          `${pending} bytes are waiting to be sealed or synced (maxPendingBytes ${this.opts.maxPendingBytes}); ` +
            'await metrics.flush() (it waits until sealing catches up) and retry, or raise metrics.maxPendingBytes',
        );
      }
    }
    const refused = this.admission?.(pending);
    if (refused === undefined) return;
    // Draining the heads is the memory this engine can give back: a checkpoint cuts and seals them.
    this.requestCheckpoint();
    this.memoryRefused = true;
    throw new MetricsError(
      'BACKPRESSURE',
      `${refused}; ${pending} bytes of points are waiting to be sealed or synced. ` +
        'await metrics.flush() (it waits until they are sealed) and retry, or raise memoryLimitBytes',
    );
  }

  // ------------------------------------------------------------------ durability

  /** Resolves once every point written before the call is on disk (WAL fdatasync). */
  async flush(): Promise<void> {
    this.assertOpen();
    this.closeBatch();
    await this.wal.sync();
    for (let rounds = 0; this.pendingBytes > this.opts.maxPendingBytes && rounds < 100; rounds++) {
      await this.requestCheckpoint();
    }
    // After a memory refusal: what the BACKPRESSURE message promises (the retry finds the heads
    // sealed). A refusal during this wait sets the flag again for the next flush().
    if (this.memoryRefused) {
      this.memoryRefused = false;
      await this.requestCheckpoint();
    }
  }

  /** Seals every head, commits, and drops the WAL files that only held sealed points. */
  async checkpoint(): Promise<void> {
    this.assertOpen();
    return this.maintenance.run(() => this.checkpointLocked());
  }

  private requestCheckpoint(): Promise<void> {
    if (!this.checkpointRunning && !this.closed) {
      this.checkpointRunning = this.maintenance
        .run(() => this.checkpointLocked())
        .catch((err) => this.reportBackground('checkpoint', err))
        .finally(() => {
          this.checkpointRunning = null;
        });
    }
    return this.checkpointRunning ?? Promise.resolve();
  }

  private async checkpointLocked(): Promise<void> {
    if (this.closed) return;
    this.closeBatch();
    const walSeq = await this.wal.rotate();
    // Every point in files < walSeq is in a head or a cut now; cutting all heads covers them.
    this.closeBatch();
    this.walBytesSinceCheckpoint = 0;
    // In slices: points written meanwhile land in heads not cut yet (harmless: a cut covers all of
    // a series' points up to its sequence, and replay skips what sealed_seq covers).
    for (let id = 0; id < this.heads.length; id++) {
      if (id > 0 && id % CHECKPOINT_CUTS_PER_TURN === 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.closed) return;
      }
      const h = this.heads[id];
      if (h !== undefined && h.n > 0) this.cut(id, h);
    }
    await this.sealer.drain();
    // Block rows must be durable before the WAL that covers them goes (synchronous=NORMAL defers):
    // fdatasync SQLite's WAL from libuv's threads instead of a checkpoint on the main thread.
    await syncSqliteWal(path.join(this.root, 'index.db'));
    await this.wal.dropBefore(walSeq);
    this.requestIndexCheckpoint();
  }

  /** Keeps index.db's WAL short: a PASSIVE checkpoint in the pool, one at a time. */
  private requestIndexCheckpoint(): void {
    if (this.indexCheckpointRunning || this.closed) return;
    this.indexCheckpointRunning = this.pool
      .checkpointIndex(path.join(this.root, 'index.db'))
      .then(
        () => undefined,
        (err) => this.reportBackground('index checkpoint', err),
      )
      .finally(() => {
        this.indexCheckpointRunning = null;
      });
  }

  // ------------------------------------------------------------------ reads

  async query(q: QueryOptions): Promise<QueryResult> {
    this.assertOpen();
    return runQuery(this, q);
  }

  /** Newest point per selected series; `name` may be undefined when `__name__` matchers pick metrics. */
  async latest(name: string | undefined, matchers?: Matchers): Promise<LatestPoint[]> {
    this.assertOpen();
    return runLatest(this, name, matchers);
  }

  listMetrics(): string[] {
    this.assertOpen();
    return this.catalog.metricNames();
  }

  labelNames(name?: string): string[] {
    this.assertOpen();
    return this.catalog.index.labelNames(name);
  }

  labelValues(name: string | undefined, label: string): string[] {
    this.assertOpen();
    return this.catalog.index.labelValues(name, label);
  }

  series(name: string | undefined, matchers?: Matchers): Array<{ name: string; labels: Labels }> {
    this.assertOpen();
    return selectSeries(this, name, matchers).map((id) => ({ name: this.catalog.nameOf(id), labels: this.catalog.labelsOf(id) }));
  }

  metricMeta(name: string): MetricMeta | undefined {
    return this.catalog.metaOf(name);
  }

  // ------------------------------------------------------------------ maintenance

  async compactNow(): Promise<{ groups: number; blocksIn: number; blocksOut: number; filesDeleted: number }> {
    this.assertOpen();
    return this.maintenance.run(() => runCompaction(this));
  }

  async runRetention(retention: Required<Omit<RetentionOptions, 'intervalSec'>>, nowMs = Date.now()): Promise<RetentionReport> {
    this.assertOpen();
    return this.maintenance.run(() => runRetention(this, retention, nowMs));
  }

  /** Copies a consistent, openable image of the metrics data into `<targetDir>/metrics`. */
  async backup(targetDir: string): Promise<BackupReport> {
    this.assertOpen();
    this.closeBatch();
    return this.maintenance.run(() => runBackup(this, targetDir));
  }

  /** Makes staged points durable (used by backup before it snapshots). */
  async syncStaged(): Promise<void> {
    this.closeBatch();
    await this.wal.sync();
  }

  async stats(): Promise<MetricsStats> {
    this.assertOpen();
    return computeStats(this);
  }

  /** (Re)loads the blocks known corrupt from the index (at open, and after retention deleted rows). */
  loadCorrupt(): void {
    this.corrupt.clear();
    const rows = this.db.prepare('SELECT block_id AS blockId, series_id AS seriesId, file, offset, reason FROM corrupt').all() as Array<SkippedBlock & { blockId: number }>;
    for (const r of rows) this.corrupt.set(r.blockId, { seriesId: r.seriesId, file: r.file, offset: r.offset, reason: r.reason });
  }

  /** Waits until no pool read is in flight (before deleting segment files). */
  async readsIdle(): Promise<void> {
    while (this.readsInFlight > 0) await new Promise((r) => setTimeout(r, 2));
  }

  reportCorrupt(s: SkippedBlock & { blockId: number }): void {
    if (this.corrupt.has(s.blockId)) return;
    this.corrupt.set(s.blockId, { seriesId: s.seriesId, file: s.file, offset: s.offset, reason: s.reason });
    try {
      this.db
        .prepare('INSERT OR IGNORE INTO corrupt (block_id, series_id, file, offset, reason, found_ms) VALUES (?, ?, ?, ?, ?, ?)')
        .run(s.blockId, s.seriesId, s.file, s.offset, s.reason, Date.now());
    } catch (err) {
      this.reportBackground('recording a corrupt block', err);
    }
    this.opts.log(
      `timeless metrics: corrupt block ${s.blockId} of series ${s.seriesId} at ${s.file}:${s.offset} skipped (${s.reason}); ` +
        'it is left in place; queries return the rest of the data',
    );
  }

  private reportBackground(what: string, err: unknown): void {
    if (this.closed && err instanceof Error && /closed/i.test(err.message)) return;
    this.backgroundError = err;
    // A failed WAL frame is already in the WAL's own log (stats merge both).
    if (!what.startsWith('WAL sync')) this.writeErrors.record(what, err);
    this.opts.log(`timeless metrics: background ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
  }

  get lastBackgroundError(): unknown {
    return this.backgroundError;
  }

  private startTimers(): void {
    if (this.opts.autoFlushMs > 0) {
      this.timers.push(
        setInterval(() => {
          if (this.closed || (this.staging.count === 0 && this.wal.pendingBytes === 0)) return;
          this.closeBatch();
          this.wal.sync().catch((err) => this.reportBackground('WAL sync', err));
        }, this.opts.autoFlushMs),
      );
    }
    if (this.opts.compactIntervalMs > 0) {
      this.timers.push(
        setInterval(() => {
          if (this.closed) return;
          this.maintenance.run(() => runCompaction(this, Date.now())).catch((err) => this.reportBackground('compaction', err));
        }, this.opts.compactIntervalMs),
      );
    }
    for (const t of this.timers) t.unref();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private assertOpen(): void {
    if (this.closed) throw new MetricsError('CLOSED', 'the metrics store is closed; open it again with Timeless.open()');
  }

  /**
   * Flushes the WAL and releases everything. Heads are not sealed: the WAL covers them and is
   * replayed on the next open. A seal round already running is awaited (it writes files).
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      for (const t of this.timers) clearInterval(t);
      this.closeBatch();
      let err: unknown;
      try {
        await this.wal.sync();
      } catch (e) {
        err = e;
      }
      this.closed = true;
      // Let running maintenance and the running seal round finish (they hold files and rows).
      await this.maintenance.run(async () => undefined);
      await this.sealer.idle();
      await this.readsIdle();
      await this.indexCheckpointRunning;
      await this.wal.close().catch(() => undefined);
      this.db.close();
      if (err) throw err;
    })();
    return this.closing;
  }
}
