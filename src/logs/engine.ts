// The logs engine: write path (normalize -> seq -> live tail -> hot tail + WAL staging), durability
// (group-committed WAL), sealing through the pool (sealer.ts), WAL file drops once sealed_seq covers
// them, and the wiring of queries (reader.ts), compaction, retention, backup and stats (each in its
// own module). One engine per <dataDir>/logs; the caller holds the data directory lock.
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { LzLevel } from '../codec/lz.js';
import type { Pool } from '../pool/pool.js';
import { openDatabase } from '../sqlite/open.js';
import { migrate } from '../sqlite/migrate.js';
import { EventBlockIndex } from '../storage/event-index.js';
import { FilePins, Mutex } from '../storage/mutex.js';
import { ReadGate } from '../storage/read-gate.js';
import type { SegmentGcDeps } from '../storage/segment-gc.js';
import { SegmentSet, trimSegmentSet } from '../storage/segment-set.js';
import { EventWalKeeper } from '../storage/event-wal.js';
import { Wal } from '../storage/wal.js';
import { CodecError } from '../codec/errors.js';
import { decodeEntryRecords, EntryRecordWriter } from './codec/entry-record.js';
import { LogsError } from './errors.js';
import { HotTail } from './hot.js';
import { checkResource, detachedEntry, normalizeLogInput, ResourceCache, type NormalizeOptions } from './normalize.js';
import { fieldValues, listFields, runCount, runQuery, streamQuery, type ReaderHost } from './reader.js';
import { LOG_SEGMENT_TIERS, runLogCompaction, type LogCompactionReport } from './compaction.js';
import { runLogRetention, type ResolvedLogsRetention } from './retention.js';
import { runLogBackup, type LogsBackupReport } from './backup.js';
import { computeLogStats } from './stats.js';
import { LOGS_INDEX_PAGE_BYTES, LOGS_MIGRATIONS } from './schema.js';
import { LogSealer, type LogSealFormat } from './sealer.js';
import { LiveTail } from './tail.js';
import type {
  LogCountResult, LogEntry, LogFilter, LogInput, LogQuery, LogQueryResult, LogsOptions, LogsRetentionReport, LogsStats, Resource, SkippedBlock,
} from './types.js';

/** Engine options beyond the public LogsOptions (tests and tuning). */
export interface LogsEngineOptions extends LogsOptions {
  /** Background compaction period (default 60 s; 0 = only compactNow()). */
  compactIntervalMs?: number;
  /** Segment file size cap (default: 64 MiB, or less so size retention can drop files finely). */
  maxSegmentBytes?: number;
  /** LZ level of sealed blocks (compaction always uses 'max'). Default 'default' (measured: as fast as 'fast' on log blocks, a little smaller). */
  sealLevel?: LzLevel;
  /**
   * What sealing writes: 'raw' (default) = the chunk's entry records framed as they are, a crc and a
   * write (compaction encodes them into columnar blocks in the background); 'columnar' = encoded at
   * seal time in the pool (sealLevel applies).
   */
  sealFormat?: LogSealFormat;
  /** Where background problems are reported (default console.warn). */
  log?: (message: string) => void;
}

interface ResolvedOptions {
  resource: Resource;
  indexedAttributes: string[];
  sealEntries: number;
  sealIntervalMs: number;
  maxPendingBytes: number;
  compaction: boolean;
  compactIntervalMs: number;
  maxSegmentBytes: number;
  sealLevel: LzLevel;
  sealFormat: LogSealFormat;
  log: (message: string) => void;
}

/**
 * write() encodes each entry into its record at once, so normalization neither copies nor checks
 * the caller's attributes and ids: the record writer applies the same rules while it writes them
 * (one walk), and its CodecError INVALID_INPUT becomes LogsError INVALID_ENTRY here.
 */
const RECORD_CHECKS: NormalizeOptions = { recordChecks: true };
/** Delay from a RAW commit to the background compaction it asks for (a second of seals per run). */
const COMPACT_AFTER_SEAL_MS = 1000;
/** Seal format unless LogsEngineOptions.sealFormat says otherwise. */
const DEFAULT_SEAL_FORMAT: LogSealFormat = 'raw';
/** A chunk is cut at this many record bytes even before sealEntries (bounds one block). */
const CHUNK_MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** writeBatch's scratch buffer is dropped after a batch bigger than this (it only grows). */
const BATCH_SCRATCH_KEEP_BYTES = 4 * 1024 * 1024;
/** Records are handed to the WAL buffer in slices of at least this size (or at sync/cut). */
const WAL_HANDOFF_BYTES = 256 * 1024;
/** Unsynced WAL bytes past which a background sync starts. */
const BACKGROUND_SYNC_BYTES = 8 * 1024 * 1024;
/** index.db-wal is cut back to this after a complete checkpoint. */
const INDEX_WAL_LIMIT_BYTES = 1024 * 1024;

function resolveOptions(o: LogsEngineOptions = {}, retentionMaxBytes: number): ResolvedOptions {
  if (o === null || typeof o !== 'object') throw new TypeError('timeless: logs options must be an object');
  const num = (v: number | undefined, def: number, name: string, min: number): number => {
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new RangeError(`timeless: logs.${name} must be a number ≥ ${min}, got ${String(v)}`);
    return v;
  };
  const indexed = o.indexedAttributes ?? [];
  if (!Array.isArray(indexed) || indexed.some((k) => typeof k !== 'string' || k === '')) {
    throw new TypeError('timeless: logs.indexedAttributes must be an array of non-empty attribute keys');
  }
  const level = o.sealLevel ?? 'default';
  if (!['fast', 'default', 'max'].includes(level)) throw new RangeError(`timeless: logs.sealLevel must be 'fast', 'default' or 'max', got ${String(level)}`);
  const sealFormat = o.sealFormat ?? DEFAULT_SEAL_FORMAT;
  if (sealFormat !== 'raw' && sealFormat !== 'columnar') throw new RangeError(`timeless: logs.sealFormat must be 'raw' or 'columnar', got ${String(sealFormat)}`);
  const resource: Resource = { 'service.name': 'unknown_service:node', 'host.name': os.hostname(), ...checkResource(o.resource ?? {}, 'logs.resource') };
  // Size retention drops whole files: keep each file a small fraction of the budget.
  const autoSegment = Math.max(256 * 1024, Math.min(64 * 1024 * 1024, Math.floor(retentionMaxBytes / 16)));
  return {
    resource: Object.freeze(resource) as Resource,
    indexedAttributes: [...new Set(indexed)],
    sealEntries: Math.floor(num(o.sealEntries, 32_768, 'sealEntries', 1)),
    sealIntervalMs: num(o.sealIntervalMs, 1000, 'sealIntervalMs', 0),
    maxPendingBytes: num(o.maxPendingBytes, 256 * 1024 * 1024, 'maxPendingBytes', 64 * 1024),
    compaction: o.compaction ?? true,
    compactIntervalMs: num(o.compactIntervalMs, 60_000, 'compactIntervalMs', 0),
    maxSegmentBytes: num(o.maxSegmentBytes, autoSegment, 'maxSegmentBytes', 4096),
    sealLevel: level,
    sealFormat,
    log: o.log ?? ((m: string) => console.warn(m)),
  };
}

export interface LogsEngineOpenOptions {
  /** <dataDir>/logs */
  root: string;
  pool: Pool;
  options?: LogsEngineOptions;
  /** Used to size segment files (retention by size drops whole files). */
  retentionMaxBytes?: number;
}

export class LogsEngine implements ReaderHost {
  readonly root: string;
  readonly dbFile: string;
  readonly opts: ResolvedOptions;
  readonly pool: Pool;
  readonly db: Database.Database;
  readonly index: EventBlockIndex;
  readonly segments: SegmentSet;
  readonly wal: Wal;
  readonly hot: HotTail;
  readonly sealer: LogSealer;
  readonly pins = new FilePins();
  readonly maintenance = new Mutex();
  readonly gate = new ReadGate();
  readonly tail: LiveTail;
  private readonly resources: ResourceCache;
  /** writeBatch encodes (and so checks) a whole batch here before any of it is kept. */
  private batchScratch = new EntryRecordWriter();
  private nextSeq: number;
  private sealedSeq: number;
  private readonly walKeeper: EventWalKeeper;
  private readonly corruptSeen = new Set<string>();
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private backgroundError: unknown;
  private compactTimer: NodeJS.Timeout | undefined;
  private compacting = false;
  private compactAgain = false;

  private constructor(root: string, opts: ResolvedOptions, pool: Pool, db: Database.Database, index: EventBlockIndex, segments: SegmentSet, wal: Wal) {
    this.root = root;
    this.dbFile = path.join(root, 'index.db');
    this.opts = opts;
    this.pool = pool;
    this.db = db;
    this.index = index;
    this.segments = segments;
    this.wal = wal;
    this.tail = new LiveTail(opts.log);
    this.hot = new HotTail(opts.indexedAttributes);
    this.resources = new ResourceCache(opts.resource);
    this.sealedSeq = index.sealedSeq();
    this.nextSeq = this.sealedSeq + 1;
    this.sealer = new LogSealer({
      pool,
      db,
      index,
      segments,
      hot: this.hot,
      pins: this.pins,
      root,
      level: opts.sealLevel,
      indexedAttributes: opts.indexedAttributes,
      format: opts.sealFormat,
      onCommit: () => this.afterCommit(),
      onError: (err) => this.reportBackground('sealing', err),
    });
    this.walKeeper = new EventWalKeeper({
      wal,
      pool,
      dbFile: this.dbFile,
      maintenance: this.maintenance,
      isClosed: () => this.closed,
      sealedSeq: () => this.sealedSeq,
      nextSeq: () => this.nextSeq,
      hotEmpty: () => this.hot.entries === 0,
      handoff: () => this.handoff(),
      reportBackground: (what, err) => this.reportBackground(what, err),
    });
  }

  static async open(o: LogsEngineOpenOptions): Promise<LogsEngine> {
    const opts = resolveOptions(o.options, o.retentionMaxBytes ?? 512 * 1024 * 1024);
    const root = path.resolve(o.root);
    const db = openDatabase(path.join(root, 'index.db'), { pageSizeBytes: LOGS_INDEX_PAGE_BYTES, autoVacuum: true });
    let wal: Wal | undefined;
    try {
      migrate(db, LOGS_MIGRATIONS);
      // Checkpoints run in the pool (PASSIVE), never inside a main-thread commit. Once one has
      // copied everything back, the next commit restarts SQLite's -wal and cuts it to this size.
      db.pragma('wal_autocheckpoint = 0');
      db.pragma(`journal_size_limit = ${INDEX_WAL_LIMIT_BYTES}`);
      const index = new EventBlockIndex(db);
      const segments = await SegmentSet.open(root, opts.maxSegmentBytes, LOG_SEGMENT_TIERS);
      await trimSegmentSet(segments, index.segmentEnds());
      const opened = await Wal.open({ dir: path.join(root, 'wal') });
      wal = opened.wal;
      for (const c of opened.corrupt) opts.log(`timeless logs: ${c.error.message}`);
      const engine = new LogsEngine(root, opts, o.pool, db, index, segments, wal);
      engine.replay(opened.records.map((r) => r.payload));
      engine.startTimers();
      return engine;
    } catch (err) {
      await wal?.close().catch(() => undefined);
      db.close();
      throw err;
    }
  }

  /** WAL replay into the hot tail: entries with seq <= sealed_seq are in blocks already. */
  private replay(payloads: Uint8Array[]): void {
    let maxSeq = this.sealedSeq;
    let skippedRecords = 0;
    for (const payload of payloads) {
      let decoded;
      try {
        decoded = decodeEntryRecords(payload);
      } catch (err) {
        // The frame's crc held, so this is a bug or a foreign file: keep going with the rest.
        skippedRecords++;
        this.opts.log(`timeless logs: WAL record skipped on replay (${(err as Error).message})`);
        continue;
      }
      const { entries, seqs } = decoded;
      for (let i = 0; i < entries.length; i++) {
        const seq = seqs[i];
        if (seq <= this.sealedSeq) continue;
        this.hot.append(entries[i], seq);
        if (seq > maxSeq) maxSeq = seq;
        if (this.hot.active.count >= this.opts.sealEntries || this.hot.active.recordBytes >= CHUNK_MAX_RECORD_BYTES) this.cutReplayed();
      }
    }
    this.cutReplayed();
    this.nextSeq = maxSeq + 1;
    this.walKeeper.replayed(maxSeq);
    if (skippedRecords > 0) this.opts.log(`timeless logs: ${skippedRecords} WAL records could not be decoded`);
  }

  /** Replayed entries are in the WAL already: mark them logged, then seal them. */
  private cutReplayed(): void {
    const a = this.hot.active;
    a.logged = a.writer.byteLength;
    a.writer.breakChain(); // like a WAL hand-off: a record after this point never chains to one before
    const cut = this.hot.cut();
    if (cut) this.sealer.push(cut);
  }

  // ------------------------------------------------------------------ write path

  /**
   * Stores one entry. Synchronous and cheap: validates (typed LogsError; nothing is stored then),
   * assigns the write sequence, delivers it to live-tail subscribers, and appends it to the hot tail
   * (queryable at once) and the WAL buffer. Durable after the next flush().
   */
  write(input: LogInput): void {
    this.assertWritable();
    const entry = normalizeLogInput(input, this.resources, nowNs, RECORD_CHECKS);
    this.checkPressure();
    const seq = this.nextSeq;
    try {
      this.hot.append(entry, seq);
    } catch (err) {
      throw entryError(err);
    }
    this.appended(entry, seq);
  }

  /**
   * Checks every input first (normalized and encoded into a scratch buffer): a bad one rejects the
   * whole batch and stores none of it. Then the encoded records are appended as they are.
   */
  writeBatch(inputs: LogInput[]): void {
    this.assertWritable();
    if (!Array.isArray(inputs)) throw new LogsError('INVALID_ENTRY', 'writeBatch expects an array of log entries');
    const entries: LogEntry[] = new Array(inputs.length);
    const ends = new Uint32Array(inputs.length);
    const scratch = this.batchScratch;
    scratch.reset();
    for (let i = 0; i < inputs.length; i++) {
      try {
        entries[i] = normalizeLogInput(inputs[i], this.resources, nowNs, RECORD_CHECKS);
        scratch.append(entries[i], this.nextSeq + i);
      } catch (err) {
        const e = entryError(err);
        if (e instanceof LogsError) e.message += ` (entry ${i}; nothing of this batch was written)`;
        throw e;
      }
      ends[i] = scratch.byteLength;
    }
    this.checkPressure();
    const records = scratch.bytes();
    for (let i = 0; i < entries.length; i++) {
      const seq = this.nextSeq;
      this.hot.appendEncoded(entries[i], seq, records.subarray(i === 0 ? 0 : ends[i - 1], ends[i]));
      this.appended(entries[i], seq);
    }
    // A big batch must not pin a big scratch buffer.
    if (records.byteLength > BATCH_SCRATCH_KEEP_BYTES) this.batchScratch = new EntryRecordWriter();
  }

  /** Bookkeeping after hot.append: seq, live tail, chunk cut or WAL handoff. */
  private appended(entry: LogEntry, seq: number): void {
    this.nextSeq = seq + 1;
    // The entry holds the caller's attributes (serialized above): subscribers get their own copy.
    if (this.tail.size > 0) this.tail.deliver(detachedEntry(entry));
    const a = this.hot.active;
    if (a.count >= this.opts.sealEntries || a.recordBytes >= CHUNK_MAX_RECORD_BYTES) this.cutActive();
    else if (a.recordBytes - a.logged >= WAL_HANDOFF_BYTES) this.handoff();
  }

  /** Gives the active chunk's unlogged records to the WAL buffer (one WAL record for many entries). */
  private handoff(): void {
    const bytes = this.hot.takeUnlogged();
    if (bytes === undefined) return;
    this.wal.append(bytes);
    this.walKeeper.appended(bytes.length);
    if (this.wal.pendingBytes > BACKGROUND_SYNC_BYTES) this.wal.sync().catch((err) => this.reportBackground('WAL sync', err));
  }

  /** Ends the active chunk and hands it to the sealer (its records go to the WAL first: seq order). */
  private cutActive(): void {
    if (this.hot.active.count === 0) return;
    this.handoff();
    const cut = this.hot.cut();
    if (cut) this.sealer.push(cut);
  }

  /** Hot tail + chunks being sealed + unsynced WAL bytes. */
  get pendingBytes(): number {
    return this.hot.memoryBytes + this.wal.pendingBytes;
  }

  private checkPressure(): void {
    const pending = this.pendingBytes;
    if (pending <= this.opts.maxPendingBytes) return;
    // Let sealing catch up with what is there (flush() waits for it).
    this.cutActive();
    throw new LogsError(
      'BACKPRESSURE',
      `${pending} bytes of log entries are waiting to be sealed or synced (maxPendingBytes ${this.opts.maxPendingBytes}); ` +
        'await logs.flush() (it waits until sealing catches up) and retry, or raise logs.maxPendingBytes',
    );
  }

  // ------------------------------------------------------------------ durability

  /** Resolves once every entry written before the call is on disk (WAL fdatasync); under backpressure, also once sealing caught up. */
  async flush(): Promise<void> {
    this.assertOpen();
    await this.syncWal();
    for (let rounds = 0; this.pendingBytes > this.opts.maxPendingBytes / 2 && rounds < 100 && !this.closed; rounds++) {
      this.cutActive();
      await this.sealer.drain();
    }
  }

  /** Hands staged records to the WAL and fdatasyncs it. */
  async syncWal(): Promise<void> {
    this.handoff();
    await this.wal.sync();
  }

  /** Seals the whole hot tail now and waits until its blocks are committed. */
  async sealNow(): Promise<void> {
    this.assertOpen();
    this.cutActive();
    await this.sealer.drain();
  }

  private afterCommit(): void {
    this.sealedSeq = this.index.sealedSeq();
    this.walKeeper.committed();
    this.requestCompaction();
  }

  /**
   * RAW blocks were committed: compaction (RAW -> columnar) runs in the background soon after, one
   * run at a time; commits meanwhile ask for the next run. Off with compaction: false or
   * compactIntervalMs: 0 (then only compactNow() compacts).
   */
  private requestCompaction(): void {
    if (!this.opts.compaction || this.opts.compactIntervalMs === 0 || this.opts.sealFormat !== 'raw' || this.closed) return;
    if (this.compacting) {
      this.compactAgain = true;
      return;
    }
    if (this.compactTimer) return;
    this.compactTimer = setTimeout(() => {
      this.compactTimer = undefined;
      if (this.closed) return;
      this.compacting = true;
      this.compactAgain = false;
      this.maintenance
        .run(() => runLogCompaction(this))
        .catch((err) => this.reportBackground('compaction', err))
        .finally(() => {
          this.compacting = false;
          if (this.compactAgain) this.requestCompaction();
        });
    }, COMPACT_AFTER_SEAL_MS);
    this.compactTimer.unref();
  }

  // ------------------------------------------------------------------ reads

  snapshot(): { chunks: Array<{ chunk: import('./hot.js').HotChunk; n: number; ordered: boolean }>; sealedSeq: number } {
    // `ordered` is taken now: it describes the first n entries, which later appends do not change.
    return {
      chunks: this.hot.chunks().map((chunk) => {
        chunk.snapshotted = true; // hot.ts: its buffer is never reused, the query may read it later
        return { chunk, n: chunk.count, ordered: chunk.ordered };
      }),
      sealedSeq: this.sealedSeq,
    };
  }

  get indexedAttributes(): readonly string[] {
    return this.opts.indexedAttributes;
  }

  async query(q: LogQuery = {}): Promise<LogQueryResult> {
    this.assertOpen();
    return runQuery(this, q);
  }

  async count(q: LogQuery | LogFilter = {}): Promise<LogCountResult> {
    this.assertOpen();
    return runCount(this, q);
  }

  /** Every page of a query (following cursors) as an async iterator. */
  stream(q: LogQuery = {}): AsyncGenerator<LogQueryResult> {
    this.assertOpen();
    return streamQuery(this, q);
  }

  fields(): string[] {
    this.assertOpen();
    return listFields(this);
  }

  async fieldValues(key: string, opts: { limit?: number } = {}): Promise<string[]> {
    this.assertOpen();
    const limit = opts.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new LogsError('INVALID_QUERY', `fieldValues limit must be an integer in 1..10000, got ${String(limit)}`);
    return fieldValues(this, key, limit);
  }

  /** Live tail: onEntry gets each matching entry as it is written. Returns the unsubscribe function. */
  subscribe(filter: LogFilter, onEntry: (entry: LogEntry) => void): () => void {
    this.assertOpen();
    return this.tail.subscribe(filter, onEntry);
  }

  // ------------------------------------------------------------------ maintenance

  /**
   * Seals the hot tail, compacts (RAW blocks become columnar, small blocks merge), then leaves the
   * store at rest for measurement: the WAL files every entry of which is in committed blocks are
   * dropped (rotate + drop, awaited) and index.db's -wal is checkpointed back (TRUNCATE, in the pool).
   */
  async compactNow(): Promise<LogCompactionReport> {
    this.assertOpen();
    await this.sealNow();
    return this.maintenance.run(async () => {
      const report = await runLogCompaction(this);
      if (!this.closed) await this.walKeeper.settleAtRest();
      return report;
    });
  }

  async runRetention(r: ResolvedLogsRetention, nowMs = Date.now()): Promise<LogsRetentionReport> {
    this.assertOpen();
    return this.maintenance.run(() => runLogRetention(this, r, nowMs));
  }

  /** Copies a consistent, openable image of logs/ into `<targetDir>/logs`. */
  async backup(targetDir: string): Promise<LogsBackupReport> {
    this.assertOpen();
    return this.maintenance.run(() => runLogBackup(this, targetDir));
  }

  async stats(): Promise<LogsStats> {
    this.assertOpen();
    return computeLogStats(this);
  }

  gcDeps(): SegmentGcDeps {
    return { index: this.index, segments: this.segments, pins: this.pins, dbFile: this.dbFile, readsIdle: () => this.gate.idle() };
  }

  /** A block found unreadable: recorded once (index.db `corrupt`, counted in stats), logged, never rewritten. */
  reportCorrupt(s: SkippedBlock & { blockId: number }): void {
    // Keyed by place too: a deleted block's id can be reused by a new block.
    const key = `${s.blockId}@${s.file}:${s.offset}`;
    if (this.corruptSeen.has(key)) return;
    this.corruptSeen.add(key);
    let fresh = true;
    try {
      fresh = this.index.markCorrupt(s.blockId, s.file, s.offset, s.code, s.message);
    } catch (err) {
      this.reportBackground('recording a corrupt block', err);
    }
    if (fresh) {
      this.opts.log(
        `timeless logs: corrupt block ${s.blockId} at ${s.file}:${s.offset} skipped (${s.code}: ${s.message}); ` +
          'it is left in place; queries return the rest of the data',
      );
    }
  }

  private reportBackground(what: string, err: unknown): void {
    if (this.closed && err instanceof Error && /closed/i.test(err.message)) return;
    this.backgroundError = err;
    this.opts.log(`timeless logs: background ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
  }

  get lastBackgroundError(): unknown {
    return this.backgroundError;
  }

  private startTimers(): void {
    if (this.opts.sealIntervalMs > 0) {
      this.timers.push(
        setInterval(() => {
          if (this.closed) return;
          this.cutActive();
          if (this.wal.pendingBytes > 0) this.wal.sync().catch((err) => this.reportBackground('WAL sync', err));
        }, this.opts.sealIntervalMs),
      );
    }
    if (this.opts.compaction && this.opts.compactIntervalMs > 0) {
      this.timers.push(
        setInterval(() => {
          if (this.closed) return;
          this.maintenance.run(() => runLogCompaction(this)).catch((err) => this.reportBackground('compaction', err));
        }, this.opts.compactIntervalMs),
      );
    }
    for (const t of this.timers) t.unref();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private assertOpen(): void {
    if (this.closed) throw new LogsError('CLOSED', 'the logs store is closed; open it again with Timeless.open()');
  }

  /** Writes stop as soon as close() starts: close seals what was written before, nothing after. */
  private assertWritable(): void {
    if (this.closing || this.closed) throw new LogsError('CLOSED', 'the logs store is closing; open it again with Timeless.open()');
  }

  /**
   * Flushes the WAL, seals the hot tail, drops the WAL files that are all sealed, and releases
   * everything. If sealing fails, the WAL keeps the entries and the next open replays them.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      for (const t of this.timers) clearInterval(t);
      if (this.compactTimer) clearTimeout(this.compactTimer);
      this.tail.clear();
      let err: unknown;
      try {
        this.cutActive();
        await this.wal.sync();
      } catch (e) {
        err = e;
      }
      try {
        await this.sealer.drain();
        await this.maintenance.run(() => this.walKeeper.dropAllSealed());
      } catch (e) {
        this.reportBackground('sealing at close (the WAL keeps the entries)', e);
      }
      this.closed = true;
      await this.maintenance.run(async () => undefined);
      await this.sealer.idle();
      await this.gate.idle();
      await this.walKeeper.idle();
      await this.wal.close().catch(() => undefined);
      this.db.close();
      if (err) throw err;
    })();
    return this.closing;
  }
}

/** Wall clock now, in ns (ms precision: entries in one ms keep their write order by seq). */
function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/** The record writer's refusal of an entry (attributes or ids JSON cannot keep) as the caller's typed error. */
function entryError(err: unknown): unknown {
  if (!(err instanceof CodecError) || err.code !== 'INVALID_INPUT') return err;
  const prefix = 'INVALID_INPUT: ';
  return new LogsError('INVALID_ENTRY', err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message, err);
}
