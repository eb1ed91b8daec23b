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
import type { AdmissionCheck } from '../storage/memory-guard.js';
import type { Pool } from '../pool/pool.js';
import { runEventBackup, type EventBackupReport } from '../storage/event-backup.js';
import type { EventBlockIndex } from '../storage/event-index.js';
import { runEventRetention, type ResolvedEventRetention } from '../storage/event-retention.js';
import { EventEngineBase, openEventStorage, type EventEngineErrorCode } from '../storage/event-engine.js';
import type { SegmentSet } from '../storage/segment-set.js';
import type { Wal } from '../storage/wal.js';
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
import type { Attributes, Span, SpanInput, TraceQuery, TraceQueryResult, TraceResult, TracesOptions, TracesRetentionReport, TracesStats } from './types.js';

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

/** A chunk is cut at this many record bytes even before sealSpans (bounds one block). */
const CHUNK_MAX_RECORD_BYTES = 16 * 1024 * 1024;
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
  /** Asked in the back-pressure check before a write is appended (the store's memory limit). */
  admission?: AdmissionCheck;
}

export class TracesEngine extends EventEngineBase<SpanHotChunk> implements TraceReaderHost {
  readonly opts: ResolvedOptions;
  readonly hot: SpanHotTail;
  readonly sealer: SpanSealer;
  readonly tail: SpanTail;
  readonly operationsTable: OperationsTable;
  private readonly defaults: SpanDefaults;

  private constructor(root: string, opts: ResolvedOptions, pool: Pool, db: Database.Database, index: EventBlockIndex, segments: SegmentSet, wal: Wal, admission: AdmissionCheck | undefined) {
    super(root, path.join(root, 'index.db'), pool, db, index, segments, wal, {
      signal: 'traces',
      events: 'spans',
      optionPrefix: 'traces.',
      sealIntervalMs: opts.sealIntervalMs,
      maxPendingBytes: opts.maxPendingBytes,
      compactIntervalMs: opts.compactIntervalMs,
      compaction: opts.compaction,
      compactAfterSeal: true,
      log: opts.log,
      admission,
    });
    this.opts = opts;
    this.tail = new SpanTail(opts.log);
    this.hot = new SpanHotTail(opts.indexedAttributes);
    this.defaults = new SpanDefaults(opts.resource);
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
  }

  static async open(o: TracesEngineOpenOptions): Promise<TracesEngine> {
    const opts = resolveOptions(o.options, o.retentionMaxBytes ?? 512 * 1024 * 1024);
    const root = path.resolve(o.root);
    const storage = { root, pageSizeBytes: SPANS_INDEX_PAGE_BYTES, migrations: TRACES_MIGRATIONS, tiers: [''], maxSegmentBytes: opts.maxSegmentBytes, log: opts.log, signal: 'traces' };
    return openEventStorage(storage, (s) => {
      const engine = new TracesEngine(root, opts, o.pool, s.db, s.index, s.segments, s.wal, o.admission);
      engine.replay(s.payloads);
      engine.startTimers();
      return engine;
    });
  }


  protected runCompaction(): Promise<SpanCompactionReport> {
    return runSpanCompaction(this);
  }

  protected eventError(code: EventEngineErrorCode, message: string): Error {
    return new TracesError(code, message);
  }

  protected beforeClose(): void {
    this.tail.clear();
  }

  /** WAL replay into the hot tail (storage/event-engine.ts replayWal). */
  private replay(payloads: Uint8Array[]): void {
    this.replayWal(
      payloads,
      (p) => {
        const d = decodeSpanRecords(p);
        return { events: d.spans, seqs: d.seqs };
      },
      (span, seq) => this.hot.append(span, seq),
      () => this.chunkFull(),
    );
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
    this.nextSeq = seq + 1;
    // The span holds the caller's attribute objects (serialized above): subscribers get their own copy.
    if (this.tail.size > 0) this.tail.deliver(detachedSpan(span));
    this.afterAppend(this.chunkFull());
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
      if (this.tail.size > 0) this.tail.deliver(detachedSpan(spans[k]));
    }
    this.afterAppend(this.chunkFull());
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

  /** Seals the hot tail, compacts (RAW blocks become columnar), then leaves the store at rest. */
  compactNow(): Promise<SpanCompactionReport> {
    return this.compactNowThen(() => runSpanCompaction(this));
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
}
