// The spans engine: write path (normalize -> seq -> live tail -> hot tail + WAL staging), durability
// (group-committed WAL), sealing through the pool (sealer.ts: RAW blocks with a trace-id filter),
// WAL file drops once sealed_seq covers them (storage/event-wal.ts), and the wiring of queries
// (reader.ts), compaction, retention, backup and stats. The storage machinery is shared with the
// logs engine (src/storage: WAL, segments, event index, hot chunks, seal pipeline, retention,
// backup); what is here is what spans need of it. One engine per <dataDir>/spans; the caller holds
// the data directory lock.
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { Pool } from '../pool/pool.js';
import { openDatabase } from '../sqlite/open.js';
import { migrate } from '../sqlite/migrate.js';
import { runEventBackup, type EventBackupReport } from '../storage/event-backup.js';
import { EventBlockIndex } from '../storage/event-index.js';
import { runEventRetention, type ResolvedEventRetention } from '../storage/event-retention.js';
import { EventWalKeeper } from '../storage/event-wal.js';
import { FilePins, Mutex } from '../storage/mutex.js';
import { ReadGate } from '../storage/read-gate.js';
import type { SegmentGcDeps } from '../storage/segment-gc.js';
import { SegmentSet, trimSegmentSet } from '../storage/segment-set.js';
import { Wal } from '../storage/wal.js';
import { decodeSpanRecords } from './codec/span-record.js';
import { TracesError, spanInputError } from './errors.js';
import { SpanHotTail, type SpanHotChunk } from './hot.js';
import { detachedSpan, normalizeSpanInput, SpanDefaults } from './normalize.js';
import { runSpanCompaction, type SpanCompactionReport } from './compaction.js';
import { mergeOperations, OperationsTable, type OperationRow } from './operations.js';
import { runTraceLookup, runTraceQuery, type TraceReaderHost } from './reader.js';
import { SPANS_INDEX_PAGE_BYTES, TRACES_MIGRATIONS } from './schema.js';
import { SpanSealer } from './sealer.js';
import { computeTraceStats } from './stats.js';
import { SpanTail, type SpanFilter } from './tail.js';
import { DEFAULT_INDEXED_SPAN_ATTRIBUTES } from './terms.js';
import type { Attributes, SkippedBlock, Span, SpanInput, TraceQuery, TraceQueryResult, TraceResult, TracesOptions, TracesRetentionReport, TracesStats } from './types.js';

/** Engine options beyond the public TracesOptions (tests and tuning). */
export interface TracesEngineOptions extends TracesOptions {
  /** Background compaction period (default 60 s; 0 = only compactNow() and after-seal runs). */
  compactIntervalMs?: number;
  /** Segment file size cap (default: 64 MiB, or less so size retention can drop files finely). */
  maxSegmentBytes?: number;
  /** Where background problems are reported (default console.warn). */
  log?: (message: string) => void;
}

interface ResolvedOptions {
  resource: Attributes;
  indexedAttributes: string[];
  sealSpans: number;
  sealIntervalMs: number;
  maxPendingBytes: number;
  compaction: boolean;
  compactIntervalMs: number;
  maxSegmentBytes: number;
  log: (message: string) => void;
}

/** Delay from a RAW commit to the background compaction it asks for (a second of seals per run). */
const COMPACT_AFTER_SEAL_MS = 1000;
/** A chunk is cut at this many record bytes even before sealSpans (bounds one block). */
const CHUNK_MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** Records are handed to the WAL buffer in slices of at least this size (or at sync/cut). */
const WAL_HANDOFF_BYTES = 256 * 1024;
/** Unsynced WAL bytes past which a background sync starts. */
const BACKGROUND_SYNC_BYTES = 8 * 1024 * 1024;
/** index.db-wal is cut back to this after a complete checkpoint. */
const INDEX_WAL_LIMIT_BYTES = 1024 * 1024;
/** write() checks each span into its record at once: normalize skips what the writer checks. */
const RECORD_CHECKS = { recordChecks: true } as const;

function resolveOptions(o: TracesEngineOptions = {}, retentionMaxBytes: number): ResolvedOptions {
  if (o === null || typeof o !== 'object') throw new TypeError('timeless: traces options must be an object');
  const num = (v: number | undefined, def: number, name: string, min: number): number => {
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new RangeError(`timeless: traces.${name} must be a number ≥ ${min}, got ${String(v)}`);
    return v;
  };
  const indexed = o.indexedAttributes ?? [];
  if (!Array.isArray(indexed) || indexed.some((k) => typeof k !== 'string' || k === '')) {
    throw new TypeError('timeless: traces.indexedAttributes must be an array of non-empty attribute keys');
  }
  if (o.resource !== undefined && (o.resource === null || typeof o.resource !== 'object' || Array.isArray(o.resource))) {
    throw new TypeError('timeless: traces.resource must be an object of resource attributes');
  }
  // Size retention drops whole files: keep each file a small fraction of the budget.
  const autoSegment = Math.max(256 * 1024, Math.min(64 * 1024 * 1024, Math.floor(retentionMaxBytes / 16)));
  return {
    resource: { 'service.name': 'unknown_service:node', 'host.name': os.hostname(), ...(o.resource ?? {}) },
    indexedAttributes: [...new Set([...DEFAULT_INDEXED_SPAN_ATTRIBUTES, ...indexed])],
    sealSpans: Math.floor(num(o.sealSpans, 32_768, 'sealSpans', 1)),
    sealIntervalMs: num(o.sealIntervalMs, 1000, 'sealIntervalMs', 0),
    maxPendingBytes: num(o.maxPendingBytes, 256 * 1024 * 1024, 'maxPendingBytes', 64 * 1024),
    compaction: o.compaction ?? true,
    compactIntervalMs: num(o.compactIntervalMs, 60_000, 'compactIntervalMs', 0),
    maxSegmentBytes: num(o.maxSegmentBytes, autoSegment, 'maxSegmentBytes', 4096),
    log: o.log ?? ((m: string) => console.warn(m)),
  };
}

export interface TracesEngineOpenOptions {
  /** <dataDir>/spans */
  root: string;
  pool: Pool;
  options?: TracesEngineOptions;
  /** Used to size segment files (retention by size drops whole files). */
  retentionMaxBytes?: number;
}

export class TracesEngine implements TraceReaderHost {
  readonly root: string;
  readonly dbFile: string;
  readonly opts: ResolvedOptions;
  readonly pool: Pool;
  readonly db: Database.Database;
  readonly index: EventBlockIndex;
  readonly segments: SegmentSet;
  readonly wal: Wal;
  readonly hot: SpanHotTail;
  readonly sealer: SpanSealer;
  readonly pins = new FilePins();
  readonly maintenance = new Mutex();
  readonly gate = new ReadGate();
  readonly tail: SpanTail;
  readonly operationsTable: OperationsTable;
  private readonly defaults: SpanDefaults;
  private readonly walKeeper: EventWalKeeper;
  private nextSeq: number;
  private sealedSeq: number;
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
    this.tail = new SpanTail(opts.log);
    this.hot = new SpanHotTail(opts.indexedAttributes);
    this.defaults = new SpanDefaults(opts.resource);
    this.sealedSeq = index.sealedSeq();
    this.nextSeq = this.sealedSeq + 1;
    this.operationsTable = new OperationsTable(db);
    this.sealer = new SpanSealer({
      operations: this.operationsTable,
      pool,
      db,
      index,
      segments,
      hot: this.hot,
      pins: this.pins,
      root,
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
      hotEmpty: () => this.hot.events === 0,
      handoff: () => this.handoff(),
      reportBackground: (what, err) => this.reportBackground(what, err),
    });
  }

  static async open(o: TracesEngineOpenOptions): Promise<TracesEngine> {
    const opts = resolveOptions(o.options, o.retentionMaxBytes ?? 512 * 1024 * 1024);
    const root = path.resolve(o.root);
    const db = openDatabase(path.join(root, 'index.db'), { pageSizeBytes: SPANS_INDEX_PAGE_BYTES, autoVacuum: true });
    let wal: Wal | undefined;
    try {
      migrate(db, TRACES_MIGRATIONS);
      // Checkpoints run in the pool (PASSIVE), never inside a main-thread commit.
      db.pragma('wal_autocheckpoint = 0');
      db.pragma(`journal_size_limit = ${INDEX_WAL_LIMIT_BYTES}`);
      const index = new EventBlockIndex(db);
      const segments = await SegmentSet.open(root, opts.maxSegmentBytes, ['']);
      await trimSegmentSet(segments, index.segmentEnds());
      const opened = await Wal.open({ dir: path.join(root, 'wal') });
      wal = opened.wal;
      for (const c of opened.corrupt) opts.log(`timeless traces: ${c.error.message}`);
      const engine = new TracesEngine(root, opts, o.pool, db, index, segments, wal);
      engine.replay(opened.records.map((r) => r.payload));
      engine.startTimers();
      return engine;
    } catch (err) {
      await wal?.close().catch(() => undefined);
      db.close();
      throw err;
    }
  }

  /** WAL replay into the hot tail: spans with seq <= sealed_seq are in blocks already. */
  private replay(payloads: Uint8Array[]): void {
    let maxSeq = this.sealedSeq;
    let skippedRecords = 0;
    for (const payload of payloads) {
      let decoded;
      try {
        decoded = decodeSpanRecords(payload);
      } catch (err) {
        // The frame's crc held, so this is a bug or a foreign file: keep going with the rest.
        skippedRecords++;
        this.opts.log(`timeless traces: WAL record skipped on replay (${(err as Error).message})`);
        continue;
      }
      const { spans, seqs } = decoded;
      for (let i = 0; i < spans.length; i++) {
        const seq = seqs[i];
        if (seq <= this.sealedSeq) continue;
        this.hot.append(spans[i], seq);
        if (seq > maxSeq) maxSeq = seq;
        if (this.chunkFull()) this.cutReplayed();
      }
    }
    this.cutReplayed();
    this.nextSeq = maxSeq + 1;
    this.walKeeper.replayed(maxSeq);
    if (skippedRecords > 0) this.opts.log(`timeless traces: ${skippedRecords} WAL records could not be decoded`);
  }

  /** Replayed spans are in the WAL already: mark them logged, then seal them. */
  private cutReplayed(): void {
    const a = this.hot.active;
    a.logged = a.writer.byteLength;
    a.writer.breakChain(); // like a WAL hand-off: a record after this point never chains to one before
    const cut = this.hot.cut();
    if (cut) this.sealer.push(cut);
  }

  private chunkFull(): boolean {
    const a = this.hot.active;
    return a.count >= this.opts.sealSpans || a.recordBytes >= CHUNK_MAX_RECORD_BYTES;
  }

  // ------------------------------------------------------------------ write path

  /**
   * Stores spans. Synchronous and cheap: validates every span first (typed TracesError; a bad one
   * rejects the whole call and nothing of it is stored), assigns write sequences, delivers them to
   * live-tail subscribers, and appends them to the hot tail (queryable at once) and the WAL buffer.
   * Durable after the next flush().
   */
  write(input: SpanInput | SpanInput[]): void {
    if (Array.isArray(input)) {
      this.writeBatch(input);
      return;
    }
    this.assertWritable();
    const span = normalizeSpanInput(input, this.defaults, RECORD_CHECKS);
    this.checkPressure();
    const seq = this.nextSeq;
    try {
      this.hot.append(span, seq);
    } catch (err) {
      throw spanInputError(err);
    }
    this.appended(span, seq);
  }

  /** All or nothing: a bad span rejects the whole batch (nothing of it is kept). */
  writeBatch(inputs: SpanInput[]): void {
    this.assertWritable();
    if (!Array.isArray(inputs)) throw new TracesError('INVALID_SPAN', 'writeBatch expects an array of spans');
    const n = inputs.length;
    if (n === 0) return;
    const spans: Span[] = new Array(n);
    let i = 0;
    try {
      for (; i < n; i++) spans[i] = normalizeSpanInput(inputs[i], this.defaults, RECORD_CHECKS);
      this.checkPressure();
      this.hot.appendBatch(spans, this.nextSeq);
    } catch (err) {
      const at = typeof (err as { index?: unknown }).index === 'number' ? (err as { index: number }).index : i;
      const e = spanInputError(err);
      if (e instanceof TracesError && e.code !== 'BACKPRESSURE') e.message += ` (span ${at}; nothing of this batch was written)`;
      throw e;
    }
    for (let k = 0; k < n; k++) {
      this.nextSeq++;
      // The span holds the caller's attribute objects (serialized above): subscribers get their own copy.
      if (this.tail.size > 0) this.tail.deliver(detachedSpan(spans[k]));
    }
    this.afterAppend();
  }

  /** Bookkeeping after hot.append: seq, live tail, chunk cut or WAL handoff. */
  private appended(span: Span, seq: number): void {
    this.nextSeq = seq + 1;
    // The span holds the caller's attribute objects (serialized above): subscribers get their own copy.
    if (this.tail.size > 0) this.tail.deliver(detachedSpan(span));
    this.afterAppend();
  }

  /** Cuts the active chunk when full, else hands a big enough slice of it to the WAL. */
  private afterAppend(): void {
    const a = this.hot.active;
    if (this.chunkFull()) this.cutActive();
    else if (a.recordBytes - a.logged >= WAL_HANDOFF_BYTES) this.handoff();
  }

  /** Gives the active chunk's unlogged records to the WAL buffer (one WAL record for many spans). */
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
    throw new TracesError(
      'BACKPRESSURE',
      `${pending} bytes of spans are waiting to be sealed or synced (maxPendingBytes ${this.opts.maxPendingBytes}); ` +
        'await traces.flush() (it waits until sealing catches up) and retry, or raise traces.maxPendingBytes',
    );
  }

  // ------------------------------------------------------------------ durability

  /** Resolves once every span written before the call is on disk (WAL fdatasync); under backpressure, also once sealing caught up. */
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

  /** RAW blocks were committed: compaction runs in the background soon after, one run at a time. */
  private requestCompaction(): void {
    if (!this.opts.compaction || this.closed) return;
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
        .run(() => runSpanCompaction(this))
        .catch((err) => this.reportBackground('compaction', err))
        .finally(() => {
          this.compacting = false;
          if (this.compactAgain) this.requestCompaction();
        });
    }, COMPACT_AFTER_SEAL_MS);
    this.compactTimer.unref();
  }

  // ------------------------------------------------------------------ reads

  snapshot(): { chunks: Array<{ chunk: SpanHotChunk; n: number }>; sealedSeq: number } {
    return {
      chunks: this.hot.chunks().map((chunk) => {
        chunk.snapshotted = true; // hot-chunks.ts: its buffer is never reused, the query may read it later
        return { chunk, n: chunk.count };
      }),
      sealedSeq: this.sealedSeq,
    };
  }

  get indexedAttributes(): readonly string[] {
    return this.opts.indexedAttributes;
  }

  /** Spans matching the query, newest start first, with a cursor when more may follow. */
  async query(q: TraceQuery = {}): Promise<TraceQueryResult> {
    this.assertOpen();
    return runTraceQuery(this, q);
  }

  /** Every stored span of a trace, in start order, and the span tree. */
  async trace(traceId: string): Promise<TraceResult> {
    this.assertOpen();
    return runTraceLookup(this, traceId);
  }

  /** Service names seen (resource service.name), sorted. */
  services(): string[] {
    this.assertOpen();
    return [...new Set(this.operations().map((o) => o.service))];
  }

  /** (service, span name, kind) seen, sorted; one service's when given. */
  operations(service?: string): OperationRow[] {
    this.assertOpen();
    if (service !== undefined && typeof service !== 'string') throw new TracesError('INVALID_QUERY', `service must be a string, got ${typeof service}`);
    const hot = this.hot.chunks().flatMap((c) => c.meta.operations()).filter((o) => service === undefined || o.service === service);
    return mergeOperations(this.operationsTable.list(service), hot);
  }

  /** Live tail: onSpan gets each matching span as it is written. Returns the unsubscribe function. */
  subscribe(filter: SpanFilter, onSpan: (span: Span) => void): () => void {
    this.assertOpen();
    return this.tail.subscribe(filter, onSpan);
  }

  // ------------------------------------------------------------------ maintenance

  /**
   * Seals the hot tail, compacts (RAW blocks become columnar), then leaves the store at rest for
   * measurement: sealed WAL files dropped and index.db's -wal checkpointed back (TRUNCATE, in the pool).
   */
  async compactNow(): Promise<SpanCompactionReport> {
    this.assertOpen();
    await this.sealNow();
    return this.maintenance.run(async () => {
      const report = await runSpanCompaction(this);
      if (!this.closed) await this.walKeeper.settleAtRest();
      return report;
    });
  }

  async runRetention(r: ResolvedEventRetention, nowMs = Date.now()): Promise<TracesRetentionReport> {
    this.assertOpen();
    const { eventsDeleted, ...rest } = await this.maintenance.run(async () => {
      const report = await runEventRetention(this, r, nowMs);
      this.operationsTable.dropOlderThan(nowMs - r.maxAgeSec * 1000);
      return report;
    });
    return { ...rest, spansDeleted: eventsDeleted };
  }

  /** Copies a consistent, openable image of spans/ into `<targetDir>/spans`. */
  async backup(targetDir: string): Promise<EventBackupReport> {
    this.assertOpen();
    return this.maintenance.run(() => runEventBackup(this, targetDir, 'spans'));
  }

  async stats(): Promise<TracesStats> {
    this.assertOpen();
    return computeTraceStats(this);
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
        `timeless traces: corrupt block ${s.blockId} at ${s.file}:${s.offset} skipped (${s.code}: ${s.message}); ` +
          'it is left in place; queries return the rest of the data',
      );
    }
  }

  private reportBackground(what: string, err: unknown): void {
    if (this.closed && err instanceof Error && /closed/i.test(err.message)) return;
    this.backgroundError = err;
    this.opts.log(`timeless traces: background ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
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
          this.maintenance.run(() => runSpanCompaction(this)).catch((err) => this.reportBackground('compaction', err));
        }, this.opts.compactIntervalMs),
      );
    }
    for (const t of this.timers) t.unref();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private assertOpen(): void {
    if (this.closed) throw new TracesError('CLOSED', 'the traces store is closed; open it again with Timeless.open()');
  }

  /** Writes stop as soon as close() starts: close seals what was written before, nothing after. */
  private assertWritable(): void {
    if (this.closing || this.closed) throw new TracesError('CLOSED', 'the traces store is closing; open it again with Timeless.open()');
  }

  /**
   * Flushes the WAL, seals the hot tail, drops the WAL files that are all sealed, and releases
   * everything. If sealing fails, the WAL keeps the spans and the next open replays them.
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
        this.reportBackground('sealing at close (the WAL keeps the spans)', e);
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
