// The seal pipeline: cut heads → (pool) sort, encode, frame raw + rollup blocks → (main) segment
// offsets → (pool) positional writes + fdatasync → (main) one SQLite transaction of block rows and
// sealed sequences. Rounds run one at a time, so a series' blocks commit in cut order and
// series.sealed_seq only ever covers points that are in committed blocks.
// Cut heads stay readable (`pendingFor`) until the transaction that indexes them commits.
import type Database from 'better-sqlite3';
import type { Pool } from '../pool/pool.js';
import type { FilePins } from '../storage/mutex.js';
import type { SegmentSet } from '../storage/segment-set.js';
import { dayKeyOf } from '../storage/segments.js';
import { BLOCK_DESC_F64, type BlocksOutput } from './block-tasks.js';
import type { BlockIndex, NewBlockRow } from './block-index.js';
import type { Catalog } from './catalog.js';
import { CODEC_ROLLUP_V1, CODEC_SERIES_V1, TIER_RAW } from './schema.js';

export interface Cut {
  seriesId: number;
  /** Interleaved (tsMs, value); only the first 2n slots are points. */
  pairs: Float64Array;
  n: number;
  maxSeq: number;
  /** Push order, set by Sealer.push (drain() waits for the cuts pushed before it). */
  ord?: number;
}

export interface SealerDeps {
  pool: Pool;
  allocator: SegmentSet;
  db: Database.Database;
  index: BlockIndex;
  catalog: Catalog;
  root: string;
  pins: FilePins;
  onError: (err: unknown) => void;
  /** After each committed round (the engine checkpoints the SQLite index off the main thread). */
  onRound?: () => void;
}

/**
 * Block-row transactions run on the main thread, so each is sized to take about this long; the
 * series count per transaction adapts to the measured cost (index pages, auto-checkpoints, load).
 */
const COMMIT_BUDGET_MS = 3;
const COMMIT_SERIES_MIN = 4;
const COMMIT_SERIES_MAX = 512;
/** Points per seal task: bounds the main thread's copy into one task buffer (~2 MB). */
const CHUNK_MAX_POINTS = 1 << 17;
/** Blocks given segment offsets per event-loop turn. */
const ALLOCATE_BLOCKS_PER_TURN = 2048;

const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Points per round: bounds one round's memory and latency. */
const ROUND_MAX_POINTS = 1 << 21;

export class Sealer {
  private queue: Cut[] = [];
  private readonly pending = new Map<number, Cut[]>();
  private chain: Promise<void> = Promise.resolve();
  private scheduled = false;
  queuedPoints = 0;
  rounds = 0;
  private failures = 0;
  private stopped = false;
  private lastError: unknown;
  private nextOrd = 0;
  /** Push order of the running round's oldest cut (undefined between rounds). */
  private roundOldest: number | undefined;
  /** Series per block-row transaction, adapted to COMMIT_BUDGET_MS. */
  private commitSeries = 64;

  constructor(private readonly deps: SealerDeps) {}

  push(cut: Cut): void {
    cut.ord = this.nextOrd++;
    this.queue.push(cut);
    let list = this.pending.get(cut.seriesId);
    if (!list) this.pending.set(cut.seriesId, (list = []));
    list.push(cut);
    this.queuedPoints += cut.n;
    this.schedule();
  }

  /** Cut-but-uncommitted points of a series, oldest cut first. */
  pendingFor(seriesId: number): readonly Cut[] | undefined {
    return this.pending.get(seriesId);
  }

  /** Every cut not yet committed. */
  pendingCuts(): IterableIterator<Cut[]> {
    return this.pending.values();
  }

  get hasWork(): boolean {
    return this.queue.length > 0 || this.pending.size > 0;
  }

  /**
   * Resolves once every cut pushed before the call is committed (or failed and re-queued). Cuts
   * pushed later do not hold it up, so a checkpoint finishes under sustained ingest.
   */
  async drain(): Promise<void> {
    const failuresBefore = this.failures;
    const before = this.nextOrd;
    for (;;) {
      if (this.failures > failuresBefore) throw this.lastError;
      // Rounds take cuts from the queue's front and put failed ones back there, so the oldest open
      // cut is the running round's first, else the queue's first.
      const oldest = this.roundOldest ?? this.queue[0]?.ord;
      if (this.stopped || oldest === undefined || oldest >= before) return;
      this.schedule();
      await this.chain;
    }
  }

  /** Stops scheduling new rounds and waits for the running one (close()). */
  async idle(): Promise<void> {
    this.stopped = true;
    await this.chain;
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    this.chain = this.chain.then(async () => {
      this.scheduled = false;
      if (this.queue.length === 0 || this.stopped) return;
      try {
        await this.round();
      } catch (err) {
        this.failures++;
        this.lastError = err;
        this.deps.onError(err);
        return;
      }
      this.deps.onRound?.();
      if (this.queue.length > 0) this.schedule();
    });
  }

  private async round(): Promise<void> {
    let points = 0;
    let take = 0;
    while (take < this.queue.length && (take === 0 || points + this.queue[take].n <= ROUND_MAX_POINTS)) points += this.queue[take++].n;
    const cuts = this.queue.splice(0, take);
    const committed = new Set<Cut>();
    this.roundOldest = cuts[0].ord;
    try {
      await this.sealCuts(cuts, points, committed);
    } catch (err) {
      // What was not indexed stays readable and in the WAL; retry it next round.
      this.queue.unshift(...cuts.filter((c) => !committed.has(c)));
      throw err;
    } finally {
      this.roundOldest = undefined;
    }
    this.rounds++;
  }

  /** Sizes the next transaction so it takes about COMMIT_BUDGET_MS (a smoothed, clamped estimate). */
  private adaptCommitSize(series: number, elapsedMs: number): void {
    if (series < this.commitSeries) return; // a short tail says little about the cost per series
    const fit = (series * COMMIT_BUDGET_MS) / Math.max(elapsedMs, 0.05);
    const next = Math.round((this.commitSeries + Math.min(fit, this.commitSeries * 2)) / 2);
    this.commitSeries = Math.max(COMMIT_SERIES_MIN, Math.min(COMMIT_SERIES_MAX, next));
  }

  /** The cut is in committed blocks now: stop serving it from memory. */
  private release(c: Cut): void {
    const list = this.pending.get(c.seriesId);
    if (list) {
      const i = list.indexOf(c);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.pending.delete(c.seriesId);
    }
    this.queuedPoints -= c.n;
  }

  private async sealCuts(cuts: Cut[], points: number, committed: Set<Cut>): Promise<void> {
    const { pool, allocator, db, index, catalog, root, pins } = this.deps;
    // Chunks of roughly equal point counts, a couple per worker so threads stay busy, and none so big
    // that copying it into its task buffer is a long task on the main thread.
    const chunkCount = Math.max(
      1,
      Math.min(cuts.length, Math.max(pool.threads * 2, Math.ceil(points / CHUNK_MAX_POINTS)), Math.ceil(points / 4096)),
    );
    const target = Math.ceil(points / chunkCount);
    const chunks: Cut[][] = [];
    let cur: Cut[] = [];
    let curPoints = 0;
    for (const c of cuts) {
      cur.push(c);
      curPoints += c.n;
      if (curPoints >= target) {
        chunks.push(cur);
        cur = [];
        curPoints = 0;
      }
    }
    if (cur.length > 0) chunks.push(cur);
    const sealing: Promise<BlocksOutput>[] = [];
    for (const chunk of chunks) {
      // One chunk's copy per event-loop turn: a round can hold millions of points.
      if (sealing.length > 0) await yieldTurn();
      sealing.push(
        (() => {
        let total = 0;
        for (const c of chunk) total += c.n;
        const pts = new Float64Array(2 * total);
        const heads = new Float64Array(4 * chunk.length);
        let at = 0;
        chunk.forEach((c, k) => {
          pts.set(c.pairs.subarray(0, 2 * c.n), 2 * at);
          heads[4 * k] = c.seriesId;
          heads[4 * k + 1] = at;
          heads[4 * k + 2] = c.n;
          heads[4 * k + 3] = c.maxSeq;
          at += c.n;
        });
        return pool.sealBlocks({ points: pts, heads });
        })(),
      );
    }
    const outputs = await Promise.all(sealing);
    const rows: NewBlockRow[] = [];
    const files: string[] = [];
    const writes: ReturnType<typeof allocate>[] = [];
    let allocated = 0;
    for (const out of outputs) {
      // Offsets are handed out in order on the main thread; a big round spreads over a few turns.
      if (allocated >= ALLOCATE_BLOCKS_PER_TURN) {
        await yieldTurn();
        allocated = 0;
      }
      writes.push(allocate(out, (desc) => desc[0], rows, allocator, files));
      allocated += out.blocks.length / BLOCK_DESC_F64;
    }
    for (const f of files) pins.pin(f);
    try {
      await Promise.all(writes.map((w, i) => pool.writeBlocks({ root, bytes: outputs[i].bytes, writes: w })));
      // Rows commit in small transactions (the main thread stays responsive); a series' rows, its
      // sealed_seq and the release of its cut from memory always go together.
      const bySeries = new Map<number, NewBlockRow[]>();
      for (const r of rows) {
        let list = bySeries.get(r.seriesId);
        if (!list) bySeries.set(r.seriesId, (list = []));
        list.push(r);
      }
      const cutsBySeries = new Map<number, Cut[]>();
      for (const c of cuts) {
        let list = cutsBySeries.get(c.seriesId);
        if (!list) cutsBySeries.set(c.seriesId, (list = []));
        list.push(c);
      }
      const series = [...cutsBySeries.keys()];
      for (let i = 0; i < series.length; ) {
        if (i > 0) await yieldTurn();
        const part = series.slice(i, i + this.commitSeries);
        i += part.length;
        const started = performance.now();
        db.transaction(() => {
          catalog.insertPending(db);
          for (const id of part) index.insert(bySeries.get(id) ?? [], true);
        })();
        this.adaptCommitSize(part.length, performance.now() - started);
        for (const id of part) {
          for (const c of cutsBySeries.get(id)!) {
            this.release(c);
            committed.add(c);
          }
        }
      }
    } finally {
      for (const f of files) pins.unpin(f);
    }
  }
}

/** Segment offsets for every block of an output; fills `rows` (series from `owner(desc)`). */
export function allocate(
  out: BlocksOutput,
  seriesOf: (desc: Float64Array) => number,
  rows: NewBlockRow[],
  allocator: SegmentSet,
  files: string[],
  compacted = false,
): Array<{ file: string; offset: number; start: number; length: number }> {
  const writes: Array<{ file: string; offset: number; start: number; length: number }> = [];
  for (let b = 0; b < out.blocks.length; b += BLOCK_DESC_F64) {
    const desc = out.blocks.subarray(b, b + BLOCK_DESC_F64);
    const [, tier, start, length, tMin, tMax, count, maxSeq] = desc;
    const { file, offset } = allocator.allocate(dayKeyCached(tMin), length, compacted, tier);
    if (!files.includes(file)) files.push(file);
    writes.push({ file, offset, start, length });
    rows.push({
      seriesId: seriesOf(desc),
      tier,
      file,
      offset,
      length,
      tMin,
      tMax,
      count,
      codec: tier === TIER_RAW ? CODEC_SERIES_V1 : CODEC_ROLLUP_V1,
      maxSeq,
    });
  }
  return writes;
}

/** dayKeyOf formats a date; blocks of a round share a few days, so the last few are remembered. */
const dayKeys = new Map<number, string>();
function dayKeyCached(tMs: number): string {
  const day = Math.floor(tMs / 86_400_000);
  let key = dayKeys.get(day);
  if (key === undefined) {
    if (dayKeys.size >= 64) dayKeys.clear();
    key = dayKeyOf(tMs);
    dayKeys.set(day, key);
  }
  return key;
}
