// The lifecycle every event engine (logs, spans) shares, as a base class: the write sequence, WAL
// hand-off and group-committed syncs, chunk cuts into the seal pipeline, backpressure, durable
// flush, compaction scheduling (after RAW commits and on a timer), corrupt-block and background
// error reporting, and the close sequence. What a record, a chunk's meta, a seal and a compaction
// are is the engine's (subclass fields `hot` and `sealer`, methods `runCompaction`, `eventError`).
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { Pool } from '../pool/pool.js';
import { migrate } from '../sqlite/migrate.js';
import { openDatabase } from '../sqlite/open.js';
import { EventBlockIndex } from './event-index.js';
import { EventWalKeeper } from './event-wal.js';
import type { HotChunkBase, HotChunkList, HotRecordWriter } from './hot-chunks.js';
import { FilePins, Mutex } from './mutex.js';
import { ReadGate } from './read-gate.js';
import type { SegmentGcDeps } from './segment-gc.js';
import { SegmentSet, trimSegmentSet } from './segment-set.js';
import { Wal } from './wal.js';
import { WriteErrorLog } from './write-errors.js';
import type { AdmissionCheck } from './memory-guard.js';

/** index.db-wal is cut back to this after a complete checkpoint. */
const INDEX_WAL_LIMIT_BYTES = 1024 * 1024;

/** What an event engine opens under its directory before it is constructed. */
export interface EventStorage {
  db: Database.Database;
  index: EventBlockIndex;
  segments: SegmentSet;
  wal: Wal;
  /** The WAL's records, for replay. */
  payloads: Uint8Array[];
}

/**
 * Opens (creating when new) an event store's index.db (migrated), segment files (trimmed back to
 * what the index refers to) and WAL (torn tail truncated), then hands them to `make` (the engine's
 * constructor + replay + timers). On any failure everything opened is closed again.
 */
export async function openEventStorage<T>(
  o: { root: string; pageSizeBytes: number; migrations: string[]; tiers: readonly string[]; maxSegmentBytes: number; log: (message: string) => void; signal: string },
  make: (s: EventStorage) => T,
): Promise<T> {
  const db = openDatabase(path.join(o.root, 'index.db'), { pageSizeBytes: o.pageSizeBytes, autoVacuum: true });
  let wal: Wal | undefined;
  try {
    migrate(db, o.migrations);
    // Checkpoints run in the pool (PASSIVE), never inside a main-thread commit. Once one has
    // copied everything back, the next commit restarts SQLite's -wal and cuts it to this size.
    db.pragma('wal_autocheckpoint = 0');
    db.pragma(`journal_size_limit = ${INDEX_WAL_LIMIT_BYTES}`);
    const index = new EventBlockIndex(db);
    const segments = await SegmentSet.open(o.root, o.maxSegmentBytes, o.tiers);
    await trimSegmentSet(segments, index.segmentEnds());
    const opened = await Wal.open({ dir: path.join(o.root, 'wal') });
    wal = opened.wal;
    for (const c of opened.corrupt) o.log(`timeless ${o.signal}: ${c.error.message}`);
    return make({ db, index, segments, wal, payloads: opened.records.map((r) => r.payload) });
  } catch (err) {
    await wal?.close().catch(() => undefined);
    db.close();
    throw err;
  }
}

/** Records are handed to the WAL buffer in slices of at least this size (or at sync/cut). */
const WAL_HANDOFF_BYTES = 256 * 1024;
/** Unsynced WAL bytes past which a background sync starts. */
const BACKGROUND_SYNC_BYTES = 8 * 1024 * 1024;
/** Delay from a RAW commit to the background compaction it asks for (a second of seals per run). */
const COMPACT_AFTER_SEAL_MS = 1000;

export interface EventEngineSettings {
  /** 'logs', 'traces': the store's name in messages. */
  signal: string;
  /** 'entries', 'spans': what it stores, in messages. */
  events: string;
  /** The option prefix users set (logs., traces.). */
  optionPrefix: string;
  sealIntervalMs: number;
  maxPendingBytes: number;
  /** Background compaction period (0 = none on a timer). */
  compactIntervalMs: number;
  /** Compaction runs at all (on the timer, after RAW commits, compactNow). */
  compaction: boolean;
  /** RAW commits ask for a compaction run COMPACT_AFTER_SEAL_MS later. */
  compactAfterSeal: boolean;
  log: (message: string) => void;
  /** Asked in the back-pressure check before a write is appended (the store's memory limit). */
  admission?: AdmissionCheck;
}

/** The seal pipeline as the base uses it (logs LogSealer, spans SpanSealer). */
export interface EventSealer<C> {
  push(chunk: C): void;
  drain(): Promise<void>;
  idle(): Promise<void>;
}

/** Codes of the typed errors the base throws (each engine maps them onto its own error class). */
export type EventEngineErrorCode = 'CLOSED' | 'BACKPRESSURE';

/** A block found unreadable by a read (the reader reports it). */
export interface CorruptBlockReport {
  blockId: number;
  file: string;
  offset: number;
  code: string;
  message: string;
}

export abstract class EventEngineBase<C extends HotChunkBase<HotRecordWriter>> {
  readonly pins = new FilePins();
  readonly maintenance = new Mutex();
  readonly gate = new ReadGate();
  protected readonly walKeeper: EventWalKeeper;
  protected nextSeq: number;
  protected sealedSeq: number;
  protected closed = false;
  protected closing: Promise<void> | null = null;
  private readonly corruptSeen = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private backgroundError: unknown;
  /** Background failures (sealing, compaction ...) for stats(); the WAL keeps its own. */
  readonly writeErrors = new WriteErrorLog();
  private compactTimer: NodeJS.Timeout | undefined;
  private compacting = false;
  private compactAgain = false;
  /** A write was refused for memory: the next flush() seals the hot tail (what the refusal promised). */
  private memoryRefused = false;

  abstract readonly hot: HotChunkList<C>;
  abstract readonly sealer: EventSealer<C>;
  /** One compaction run (the caller holds the maintenance mutex). */
  protected abstract runCompaction(): Promise<unknown>;
  /** The engine's typed error for a base failure (LogsError, TracesError). */
  protected abstract eventError(code: EventEngineErrorCode, message: string): Error;
  /** Called first thing in close() (live-tail subscribers dropped, ...). */
  protected abstract beforeClose(): void;

  protected constructor(
    readonly root: string,
    readonly dbFile: string,
    readonly pool: Pool,
    readonly db: Database.Database,
    readonly index: EventBlockIndex,
    readonly segments: SegmentSet,
    readonly wal: Wal,
    protected readonly settings: EventEngineSettings,
  ) {
    this.sealedSeq = index.sealedSeq();
    this.nextSeq = this.sealedSeq + 1;
    this.walKeeper = new EventWalKeeper({
      wal,
      pool,
      dbFile,
      maintenance: this.maintenance,
      isClosed: () => this.closed,
      sealedSeq: () => this.sealedSeq,
      nextSeq: () => this.nextSeq,
      hotEmpty: () => this.hot.events === 0,
      handoff: () => this.handoff(),
      reportBackground: (what, err) => this.reportBackground(what, err),
    });
  }

  // ------------------------------------------------------------------ write path

  /**
   * WAL replay into the hot tail: each payload's records decoded (`decode`), events with seq <=
   * sealed_seq skipped (they are in blocks already), the others appended (`append`) and sealed in
   * chunks (`chunkFull`). A payload that does not decode is reported and skipped: its frame's crc
   * held, so it is a bug or a foreign file, and the rest still replays.
   */
  protected replayWal<E>(
    payloads: readonly Uint8Array[],
    decode: (payload: Uint8Array) => { events: readonly E[]; seqs: ArrayLike<number> },
    append: (event: E, seq: number) => void,
    chunkFull: () => boolean,
  ): void {
    const { signal, log } = this.settings;
    let maxSeq = this.sealedSeq;
    let skippedRecords = 0;
    for (const payload of payloads) {
      let decoded;
      try {
        decoded = decode(payload);
      } catch (err) {
        skippedRecords++;
        log(`timeless ${signal}: WAL record skipped on replay (${(err as Error).message})`);
        continue;
      }
      const { events, seqs } = decoded;
      for (let i = 0; i < events.length; i++) {
        const seq = seqs[i];
        if (seq <= this.sealedSeq) continue;
        append(events[i], seq);
        if (seq > maxSeq) maxSeq = seq;
        if (chunkFull()) this.cutReplayed();
      }
    }
    this.cutReplayed();
    this.nextSeq = maxSeq + 1;
    this.walKeeper.replayed(maxSeq);
    if (skippedRecords > 0) log(`timeless ${signal}: ${skippedRecords} WAL records could not be decoded`);
  }

  /** Replayed events are in the WAL already: mark them logged, then seal them. */
  private cutReplayed(): void {
    const a = this.hot.active;
    a.logged = a.writer.byteLength;
    a.writer.breakChain(); // like a WAL hand-off: a record after this point never refers to one before
    const cut = this.hot.cut();
    if (cut) this.sealer.push(cut);
  }

  /** Cuts the active chunk when it is full, else hands a big enough slice of it to the WAL. */
  protected afterAppend(chunkFull: boolean): void {
    const a = this.hot.active;
    if (chunkFull) this.cutActive();
    else if (a.recordBytes - a.logged >= WAL_HANDOFF_BYTES) this.handoff();
  }

  /** Gives the active chunk's unlogged records to the WAL buffer (one WAL record for many events). */
  protected handoff(): void {
    const bytes = this.hot.takeUnlogged();
    if (bytes === undefined) return;
    this.wal.append(bytes);
    this.walKeeper.appended(bytes.length);
    if (this.wal.pendingBytes > BACKGROUND_SYNC_BYTES) this.wal.sync().catch((err) => this.reportBackground('WAL sync', err));
  }

  /** Ends the active chunk and hands it to the sealer (its records go to the WAL first: seq order). */
  protected cutActive(): void {
    if (this.hot.active.count === 0) return;
    this.handoff();
    const cut = this.hot.cut();
    if (cut) this.sealer.push(cut);
  }

  /** Hot tail + chunks being sealed + unsynced WAL bytes. */
  get pendingBytes(): number {
    return this.hot.memoryBytes + this.wal.pendingBytes;
  }

  protected checkPressure(): void {
    const pending = this.pendingBytes;
    const max = this.settings.maxPendingBytes;
    const { signal, events, optionPrefix, admission } = this.settings;
    if (pending > max) {
      // Let sealing catch up with what is there (flush() waits for it).
      this.cutActive();
      throw this.eventError(
        'BACKPRESSURE',
        `${pending} bytes of ${events} are waiting to be sealed or synced (maxPendingBytes ${max}); ` +
          `await ${signal}.flush() (it waits until sealing catches up) and retry, or raise ${optionPrefix}maxPendingBytes`,
      );
    }
    const refused = admission?.(pending);
    if (refused === undefined) return;
    // The hot tail is the memory this engine can give back: seal it now.
    this.cutActive();
    this.memoryRefused = true;
    throw this.eventError(
      'BACKPRESSURE',
      `${refused}; ${pending} bytes of ${events} are waiting to be sealed or synced. ` +
        `await ${signal}.flush() (it waits until they are sealed) and retry, or raise memoryLimitBytes`,
    );
  }

  // ------------------------------------------------------------------ durability

  /** Resolves once every event written before the call is on disk (WAL fdatasync); under backpressure, also once sealing caught up. */
  async flush(): Promise<void> {
    this.assertOpen();
    await this.syncWal();
    for (let rounds = 0; this.pendingBytes > this.settings.maxPendingBytes / 2 && rounds < 100 && !this.closed; rounds++) {
      this.cutActive();
      await this.sealer.drain();
    }
    // After a memory refusal: what the BACKPRESSURE message promises (the retry finds the hot tail
    // sealed). A refusal during this wait sets the flag again for the next flush().
    if (this.memoryRefused && !this.closed) {
      this.memoryRefused = false;
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

  /** After each seal commit (the sealer's onCommit). */
  protected afterCommit(): void {
    this.sealedSeq = this.index.sealedSeq();
    this.walKeeper.committed();
    this.requestCompaction();
  }

  /**
   * RAW blocks were committed: compaction runs in the background soon after, one run at a time;
   * commits meanwhile ask for the next run.
   */
  private requestCompaction(): void {
    if (!this.settings.compaction || !this.settings.compactAfterSeal || this.closed) return;
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
        .run(() => this.runCompaction())
        .catch((err) => this.reportBackground('compaction', err))
        .finally(() => {
          this.compacting = false;
          if (this.compactAgain) this.requestCompaction();
        });
    }, COMPACT_AFTER_SEAL_MS);
    this.compactTimer.unref();
  }

  /**
   * Seals the hot tail, compacts, then leaves the store at rest for measurement: sealed WAL files
   * dropped and index.db's -wal checkpointed back (TRUNCATE, in the pool).
   */
  protected async compactNowThen<R>(run: () => Promise<R>): Promise<R> {
    this.assertOpen();
    await this.sealNow();
    return this.maintenance.run(async () => {
      const report = await run();
      if (!this.closed) await this.walKeeper.settleAtRest();
      return report;
    });
  }

  // ------------------------------------------------------------------ maintenance

  gcDeps(): SegmentGcDeps {
    return { index: this.index, segments: this.segments, pins: this.pins, dbFile: this.dbFile, readsIdle: () => this.gate.idle() };
  }

  /** A block found unreadable: recorded once (index.db `corrupt`, counted in stats), logged, never rewritten. */
  reportCorrupt(s: CorruptBlockReport): void {
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
      this.settings.log(
        `timeless ${this.settings.signal}: corrupt block ${s.blockId} at ${s.file}:${s.offset} skipped (${s.code}: ${s.message}); ` +
          'it is left in place; queries return the rest of the data',
      );
    }
  }

  protected reportBackground(what: string, err: unknown): void {
    if (this.closed && err instanceof Error && /closed/i.test(err.message)) return;
    this.backgroundError = err;
    // A failed WAL frame is already in the WAL's own log (stats merge both).
    if (!what.startsWith('WAL sync')) this.writeErrors.record(what, err);
    this.settings.log(`timeless ${this.settings.signal}: background ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
  }

  get lastBackgroundError(): unknown {
    return this.backgroundError;
  }

  /** The seal tick (cut + WAL sync) and the compaction timer. */
  protected startTimers(): void {
    const { sealIntervalMs, compaction, compactIntervalMs } = this.settings;
    if (sealIntervalMs > 0) {
      this.timers.push(
        setInterval(() => {
          if (this.closed) return;
          this.hot.idleTick();
          this.cutActive();
          if (this.wal.pendingBytes > 0) this.wal.sync().catch((err) => this.reportBackground('WAL sync', err));
        }, sealIntervalMs),
      );
    }
    if (compaction && compactIntervalMs > 0) {
      this.timers.push(
        setInterval(() => {
          if (this.closed) return;
          this.maintenance.run(() => this.runCompaction()).catch((err) => this.reportBackground('compaction', err));
        }, compactIntervalMs),
      );
    }
    for (const t of this.timers) t.unref();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  protected assertOpen(): void {
    if (this.closed) throw this.eventError('CLOSED', `the ${this.settings.signal} store is closed; open it again with Timeless.open()`);
  }

  /** Writes stop as soon as close() starts: close seals what was written before, nothing after. */
  protected assertWritable(): void {
    if (this.closing || this.closed) throw this.eventError('CLOSED', `the ${this.settings.signal} store is closing; open it again with Timeless.open()`);
  }

  /**
   * Flushes the WAL, seals the hot tail, drops the WAL files that are all sealed, and releases
   * everything. If sealing fails, the WAL keeps the events and the next open replays them.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      for (const t of this.timers) clearInterval(t);
      if (this.compactTimer) clearTimeout(this.compactTimer);
      this.beforeClose();
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
        this.reportBackground(`sealing at close (the WAL keeps the ${this.settings.events})`, e);
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
