// The WAL lifecycle of an event engine (logs, spans) beyond appends and syncs: which WAL files may
// go once the sealed-sequence watermark covers them, rotation to a new file so old ones can go, and
// leaving the store at rest (compactNow, close). Plus the index.db checkpoints those commits need.
// Signal-agnostic: the engine says what its sequences are, how to hand staged records to the WAL
// and whether its hot tail is empty.
import type { Pool } from '../pool/pool.js';
import type { Mutex } from './mutex.js';
import { syncSqliteWal } from './sqlite-durability.js';
import type { Wal } from './wal.js';

/** The WAL moves to a new file after this many bytes, so sealed files can be dropped. */
const WAL_ROTATE_BYTES = 16 * 1024 * 1024;
/** Minimum time between two PASSIVE checkpoints of index.db (each commit dirties ~10 pages). */
const INDEX_CHECKPOINT_MS = 250;

export interface EventWalDeps {
  wal: Wal;
  pool: Pool;
  dbFile: string;
  /** WAL drops take it: a backup copying WAL files never sees one vanish. */
  maintenance: Mutex;
  isClosed(): boolean;
  /** Highest seq whose event is in a committed block. */
  sealedSeq(): number;
  /** The seq the next write gets. */
  nextSeq(): number;
  /** No event waits in memory (all sealed and committed). */
  hotEmpty(): boolean;
  /** Hands the staged records to the WAL buffer (they must reach the file before a rotation). */
  handoff(): void;
  reportBackground(what: string, err: unknown): void;
}

export class EventWalKeeper {
  /** WAL files < walSeq hold only events with seq <= coverSeq: droppable once the watermark reaches it. */
  private marks: Array<{ walSeq: number; coverSeq: number }> = [];
  private bytesSinceRotate = 0;
  private rotating = false;
  private checkpoint: Promise<void> | null = null;
  private lastCheckpointMs = 0;

  constructor(private readonly d: EventWalDeps) {}

  /** After replay: every replayed record sits in a file before the one new appends go to. */
  replayed(maxSeq: number): void {
    const wal = this.d.wal;
    if (wal.files().some((f) => f.seq < wal.seq)) this.marks.push({ walSeq: wal.seq, coverSeq: maxSeq });
  }

  /** `bytes` more went to the WAL buffer. */
  appended(bytes: number): void {
    this.bytesSinceRotate += bytes;
  }

  /** After each seal commit: rotate if due, drop what the watermark covers, checkpoint the index. */
  committed(): void {
    this.maybeRotate();
    this.dropCovered();
    this.requestCheckpoint();
  }

  /** Starts a new WAL file once enough was written (or all is sealed), so the old ones can go. */
  private maybeRotate(): void {
    const d = this.d;
    if (this.rotating || d.isClosed()) return;
    const idle = d.hotEmpty() && this.bytesSinceRotate > 0;
    if (!idle && this.bytesSinceRotate < WAL_ROTATE_BYTES) return;
    this.rotating = true;
    this.bytesSinceRotate = 0;
    d.handoff();
    d.wal
      .rotate()
      .then((walSeq) => {
        // Every record in files < walSeq was handed off before now: its seq is < nextSeq.
        this.marks.push({ walSeq, coverSeq: d.nextSeq() - 1 });
        this.dropCovered();
      })
      .catch((err) => d.reportBackground('WAL rotation', err))
      .finally(() => {
        this.rotating = false;
      });
  }

  /** Drops the WAL files whose events are all in committed blocks (after those commits are durable). */
  private dropCovered(): void {
    const d = this.d;
    const sealed = d.sealedSeq();
    let upTo: number | undefined;
    while (this.marks.length > 0 && this.marks[0].coverSeq <= sealed) upTo = this.marks.shift()!.walSeq;
    if (upTo === undefined || d.isClosed()) return;
    const walSeq = upTo;
    d.maintenance
      .run(async () => {
        if (d.isClosed()) return;
        await syncSqliteWal(d.dbFile);
        await d.wal.dropBefore(walSeq);
      })
      .catch((err) => d.reportBackground('WAL drop', err));
  }

  /** Keeps index.db's WAL short: a PASSIVE checkpoint in the pool, one at a time, at most every INDEX_CHECKPOINT_MS. */
  private requestCheckpoint(): void {
    const now = Date.now();
    if (this.checkpoint || this.d.isClosed() || now - this.lastCheckpointMs < INDEX_CHECKPOINT_MS) return;
    this.lastCheckpointMs = now;
    this.checkpoint = this.d.pool
      .checkpointIndex(this.d.dbFile)
      .then(
        () => undefined,
        (err) => this.d.reportBackground('index checkpoint', err),
      )
      .finally(() => {
        this.checkpoint = null;
      });
  }

  /**
   * Caller holds the maintenance mutex. Drops the sealed WAL and truncates index.db-wal, so the
   * store is at rest for measurement (compactNow).
   */
  async settleAtRest(): Promise<void> {
    const d = this.d;
    d.handoff();
    const walSeq = await d.wal.rotate();
    this.bytesSinceRotate = 0;
    // Taken once rotated, as maybeRotate does: a write() + flush() while the rotation waited its
    // turn may have put records with seq < nextSeq into the old file.
    const coverSeq = d.nextSeq() - 1;
    if (d.sealedSeq() >= coverSeq) {
      await syncSqliteWal(d.dbFile);
      await d.wal.dropBefore(walSeq);
      while (this.marks.length > 0 && this.marks[0].walSeq <= walSeq) this.marks.shift();
    } else {
      this.marks.push({ walSeq, coverSeq });
    }
    // One checkpoint at a time (a PASSIVE one may be running from the last commit).
    await this.checkpoint;
    await d.pool.checkpointIndex(d.dbFile, 'TRUNCATE');
  }

  /** At close, in the maintenance mutex: with everything sealed, the WAL files can all go. */
  async dropAllSealed(): Promise<void> {
    if (!this.d.hotEmpty()) return;
    const walSeq = await this.d.wal.rotate();
    await syncSqliteWal(this.d.dbFile);
    await this.d.wal.dropBefore(walSeq);
  }

  /** The running index checkpoint, if any (close waits for it). */
  idle(): Promise<void> {
    return this.checkpoint ?? Promise.resolve();
  }
}
