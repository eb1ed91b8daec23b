// The logs engine: write path (normalize -> seq -> live tail -> hot tail + WAL staging), durability
// (group-committed WAL), sealing through the pool (sealer.ts), WAL file drops once sealed_seq covers
// them, and the wiring of queries (reader.ts), compaction, retention, backup and stats (each in its
// own module). One engine per <dataDir>/logs; the caller holds the data directory lock.
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { LzLevel } from '../codec/lz.js';
import type { AdmissionCheck } from '../storage/memory-guard.js';
import type { Pool } from '../pool/pool.js';
import type { EventBlockIndex } from '../storage/event-index.js';
import { EventEngineBase, openEventStorage, type EventEngineErrorCode } from '../storage/event-engine.js';
import type { SegmentSet } from '../storage/segment-set.js';
import type { Wal } from '../storage/wal.js';
import { CodecError } from '../codec/errors.js';
import { decodeEntryRecords, EntryRecordWriter } from './codec/entry-record.js';
import { LogsError } from './errors.js';
import { HotTail, type HotChunk } from './hot.js';
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
  LogCountResult, LogEntry, LogFilter, LogInput, LogQuery, LogQueryResult, LogsOptions, LogsRetentionReport, LogsStats, Resource,
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
/** Seal format unless LogsEngineOptions.sealFormat says otherwise. */
const DEFAULT_SEAL_FORMAT: LogSealFormat = 'raw';
/** A chunk is cut at this many record bytes even before sealEntries (bounds one block). */
const CHUNK_MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** writeBatch's scratch buffer is dropped after a batch bigger than this (it only grows). */
const BATCH_SCRATCH_KEEP_BYTES = 4 * 1024 * 1024;

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
  /** Asked in the back-pressure check before a write is appended (the store's memory limit). */
  admission?: AdmissionCheck;
}

export class LogsEngine extends EventEngineBase<HotChunk> implements ReaderHost {
  readonly opts: ResolvedOptions;
  readonly hot: HotTail;
  readonly sealer: LogSealer;
  readonly tail: LiveTail;
  private readonly resources: ResourceCache;
  /** writeBatch encodes (and so checks) a whole batch here before any of it is kept. */
  private batchScratch = new EntryRecordWriter();

  private constructor(root: string, opts: ResolvedOptions, pool: Pool, db: Database.Database, index: EventBlockIndex, segments: SegmentSet, wal: Wal, admission: AdmissionCheck | undefined) {
    super(root, path.join(root, 'index.db'), pool, db, index, segments, wal, {
      signal: 'logs',
      events: 'log entries',
      optionPrefix: 'logs.',
      sealIntervalMs: opts.sealIntervalMs,
      maxPendingBytes: opts.maxPendingBytes,
      compactIntervalMs: opts.compactIntervalMs,
      compaction: opts.compaction,
      // RAW blocks are what compaction converts; with compactIntervalMs 0 only compactNow() compacts.
      compactAfterSeal: opts.sealFormat === 'raw' && opts.compactIntervalMs !== 0,
      log: opts.log,
      admission,
    });
    this.opts = opts;
    this.tail = new LiveTail(opts.log);
    this.hot = new HotTail(opts.indexedAttributes);
    this.resources = new ResourceCache(opts.resource);
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
  }

  protected runCompaction(): Promise<LogCompactionReport> {
    return runLogCompaction(this);
  }

  protected eventError(code: EventEngineErrorCode, message: string): Error {
    return new LogsError(code, message);
  }

  protected beforeClose(): void {
    this.tail.clear();
  }

  static async open(o: LogsEngineOpenOptions): Promise<LogsEngine> {
    const opts = resolveOptions(o.options, o.retentionMaxBytes ?? 512 * 1024 * 1024);
    const root = path.resolve(o.root);
    const storage = { root, pageSizeBytes: LOGS_INDEX_PAGE_BYTES, migrations: LOGS_MIGRATIONS, tiers: LOG_SEGMENT_TIERS, maxSegmentBytes: opts.maxSegmentBytes, log: opts.log, signal: 'logs' };
    return openEventStorage(storage, (s) => {
      const engine = new LogsEngine(root, opts, o.pool, s.db, s.index, s.segments, s.wal, o.admission);
      engine.replay(s.payloads);
      engine.startTimers();
      return engine;
    });
  }


  /** WAL replay into the hot tail (storage/event-engine.ts replayWal). */
  private replay(payloads: Uint8Array[]): void {
    this.replayWal(
      payloads,
      (p) => {
        const d = decodeEntryRecords(p);
        return { events: d.entries, seqs: d.seqs };
      },
      (entry, seq) => this.hot.append(entry, seq),
      () => this.hot.active.count >= this.opts.sealEntries || this.hot.active.recordBytes >= CHUNK_MAX_RECORD_BYTES,
    );
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
    this.afterAppend(a.count >= this.opts.sealEntries || a.recordBytes >= CHUNK_MAX_RECORD_BYTES);
  }

  // ------------------------------------------------------------------ reads

  snapshot(): { chunks: Array<{ chunk: HotChunk; n: number; ordered: boolean }>; sealedSeq: number } {
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
   * store at rest for measurement (sealed WAL dropped, index.db-wal truncated).
   */
  compactNow(): Promise<LogCompactionReport> {
    return this.compactNowThen(() => runLogCompaction(this));
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
