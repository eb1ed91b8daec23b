// SQL over the `blocks`, `segments` and `series.sealed_seq` columns: everything the engine asks the
// index about sealed data. Statements are prepared once; callers own transactions.
import type Database from 'better-sqlite3';
import { SegmentRows } from '../storage/segment-rows.js';
import type { BlockRef } from './block-tasks.js';

export interface NewBlockRow {
  seriesId: number;
  tier: number;
  file: string;
  offset: number;
  length: number;
  tMin: number;
  tMax: number;
  count: number;
  codec: number;
  maxSeq: number;
  /** The column of a histogram group block this row reads (group-block.ts); absent = -1, an ordinary block. */
  col?: number;
}

export interface BlockRow extends BlockRef {
  seriesId: number;
  tier: number;
  tMin: number;
  tMax: number;
  count: number;
  maxSeq: number;
}

export interface TierTotals {
  tier: number;
  blocks: number;
  points: number;
  bytes: number;
  tMin: number | null;
  tMax: number | null;
}

type RawBlock = [number, number, number, number, number, number, number, number, number, number, number];
const BLOCK_COLS = 'b.id, b.series_id, b.tier, s.path, b.offset, b.length, b.t_min, b.t_max, b.count, b.max_seq, b.col';

function toRow(r: RawBlock): BlockRow {
  return {
    id: r[0],
    seriesId: r[1],
    tier: r[2],
    file: r[3] as unknown as string,
    offset: r[4],
    length: r[5],
    tMin: r[6],
    tMax: r[7],
    count: r[8],
    maxSeq: r[9],
    col: r[10],
  };
}

export class BlockIndex {
  private readonly segments: SegmentRows;
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    this.segments = new SegmentRows(db);
    this.stmts = {
      insert: db.prepare(
        'INSERT INTO blocks (series_id, tier, segment_id, offset, length, t_min, t_max, count, codec, max_seq, col) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      delete: db.prepare('DELETE FROM blocks WHERE id = ?'),
      sealedSeq: db.prepare('UPDATE series SET sealed_seq = max(sealed_seq, ?) WHERE id = ?'),
      range: db
        .prepare(
          `SELECT ${BLOCK_COLS} FROM blocks b JOIN segments s ON s.id = b.segment_id
           WHERE b.series_id = ? AND b.tier = ? AND b.t_min <= ? AND b.t_max >= ? ORDER BY b.max_seq, b.id`,
        )
        .raw(),
      lastRaw: db
        .prepare(
          `SELECT ${BLOCK_COLS} FROM blocks b JOIN segments s ON s.id = b.segment_id
           WHERE b.series_id = ? AND b.tier = 0 ORDER BY b.t_max DESC LIMIT 4`,
        )
        .raw(),
    };
  }

  /** Inserts rows and raises the series' sealed sequence from its raw rows (inside a transaction). Returns ids. */
  insert(rows: NewBlockRow[], raiseSealedSeq: boolean): number[] {
    const ids: number[] = [];
    for (const r of rows) {
      const info = this.stmts.insert.run(r.seriesId, r.tier, this.segments.idOf(r.file), r.offset, r.length, r.tMin, r.tMax, r.count, r.codec, r.maxSeq, r.col ?? -1);
      ids.push(Number(info.lastInsertRowid));
      if (raiseSealedSeq && r.tier === 0) this.stmts.sealedSeq.run(r.maxSeq, r.seriesId);
    }
    return ids;
  }

  delete(ids: Iterable<number>): void {
    for (const id of ids) this.stmts.delete.run(id);
  }

  /** Blocks of one series and tier overlapping [fromMs, toMs], in write order. */
  range(seriesId: number, tier: number, fromMs: number, toMs: number): BlockRow[] {
    return (this.stmts.range.all(seriesId, tier, toMs, fromMs) as RawBlock[]).map(toRow);
  }

  /** The raw blocks ending last (newest data) of a series. */
  lastRaw(seriesId: number): BlockRow[] {
    return (this.stmts.lastRaw.all(seriesId) as RawBlock[]).map(toRow);
  }

  sealedSeqs(): Map<number, number> {
    const out = new Map<number, number>();
    for (const [id, seq] of this.db.prepare('SELECT id, sealed_seq FROM series WHERE sealed_seq > 0').raw().all() as Array<[number, number]>) {
      out.set(id, seq);
    }
    return out;
  }

  maxSealedSeq(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(sealed_seq), 0) FROM series').pluck().get() as number) ?? 0;
  }

  /** Per segment file: end of its last indexed block. */
  segmentEnds(): Map<string, number> {
    return this.segments.ends();
  }

  /** Forgets segments rows with no block (after their files are deleted). */
  pruneSegments(files: readonly string[]): void {
    this.segments.prune(files);
  }

  /**
   * Raw blocks (t_min in [fromMs, beforeMs)) of the series that have at least one raw block there
   * not written by compaction (a "fresh" block: its segment is not under compacted/), ordered by
   * series then time. Series whose blocks are all compaction output are settled and not returned,
   * so a background run reads only the rows of series that got new blocks.
   */
  rawCompactionCandidates(fromMs: number, beforeMs: number, seriesLimit: number): BlockRow[] {
    const rows = this.db
      .prepare(
        `SELECT ${BLOCK_COLS} FROM blocks b JOIN segments s ON s.id = b.segment_id
         WHERE b.tier = 0 AND b.t_min >= ? AND b.t_min < ? AND b.series_id IN (
           SELECT b2.series_id FROM blocks b2 JOIN segments s2 ON s2.id = b2.segment_id
           WHERE b2.tier = 0 AND b2.t_min >= ? AND b2.t_min < ? AND s2.path NOT LIKE 'compacted/%'
           GROUP BY b2.series_id LIMIT ?)
         ORDER BY b.series_id, b.t_min, b.max_seq, b.id`,
      )
      .raw()
      .all(fromMs, beforeMs, fromMs, beforeMs, seriesLimit) as RawBlock[];
    return rows.map(toRow);
  }

  /** Groups of ≥ 2 rollup blocks of one series, tier and period (compaction candidates; raw: see above). */
  compactionGroups(periodMsByTier: readonly number[], limit: number): Array<{ seriesId: number; tier: number; blocks: BlockRow[] }> {
    const out: Array<{ seriesId: number; tier: number; blocks: BlockRow[] }> = [];
    const rows = this.db
      .prepare(
        `SELECT ${BLOCK_COLS} FROM blocks b JOIN segments s ON s.id = b.segment_id
         WHERE (b.series_id, b.tier, b.t_min / (CASE b.tier WHEN 0 THEN CAST(? AS INTEGER) WHEN 1 THEN CAST(? AS INTEGER) ELSE CAST(? AS INTEGER) END)) IN (
           SELECT series_id, tier, t_min / (CASE tier WHEN 0 THEN CAST(? AS INTEGER) WHEN 1 THEN CAST(? AS INTEGER) ELSE CAST(? AS INTEGER) END) AS p
           FROM blocks WHERE tier > 0 GROUP BY series_id, tier, p HAVING COUNT(*) > 1 LIMIT ?)
         ORDER BY b.series_id, b.tier, b.max_seq, b.id`,
      )
      .raw()
      .all(...periodMsByTier, ...periodMsByTier, limit) as RawBlock[];
    const key = (r: BlockRow, period: number) => `${r.seriesId}/${r.tier}/${Math.floor(r.tMin / period)}`;
    const groups = new Map<string, { seriesId: number; tier: number; blocks: BlockRow[] }>();
    for (const raw of rows) {
      const r = toRow(raw);
      const k = key(r, periodMsByTier[r.tier]);
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { seriesId: r.seriesId, tier: r.tier, blocks: [] }));
      g.blocks.push(r);
    }
    for (const g of groups.values()) if (g.blocks.length > 1) out.push(g);
    return out;
  }

  /** Deletes a tier's blocks ending before horizonMs; returns how many. */
  deleteOlderThan(tier: number, horizonMs: number): number {
    return this.db.prepare('DELETE FROM blocks WHERE tier = ? AND t_max < ?').run(tier, horizonMs).changes;
  }

  liveSegments(): Set<string> {
    return new Set(
      this.db.prepare('SELECT DISTINCT s.path FROM blocks b JOIN segments s ON s.id = b.segment_id').pluck().all() as string[],
    );
  }

  /**
   * Per tier: rows, points, block bytes, time span. The members of a histogram group block share
   * its bytes: they are counted once (distinct file + offset), never per row.
   */
  totals(): TierTotals[] {
    const totals = (
      this.db
        .prepare(
          'SELECT tier, COUNT(*), COALESCE(SUM(count), 0), COALESCE(SUM(CASE WHEN col < 0 THEN length ELSE 0 END), 0), MIN(t_min), MAX(t_max) FROM blocks GROUP BY tier',
        )
        .raw()
        .all() as Array<[number, number, number, number, number | null, number | null]>
    ).map(([tier, blocks, points, bytes, tMin, tMax]) => ({ tier, blocks, points, bytes, tMin, tMax }));
    const shared = this.db
      .prepare('SELECT tier, COALESCE(SUM(length), 0) FROM (SELECT DISTINCT tier, segment_id, offset, length FROM blocks WHERE col >= 0) GROUP BY tier')
      .raw()
      .all() as Array<[number, number]>;
    for (const [tier, bytes] of shared) {
      const t = totals.find((x) => x.tier === tier);
      if (t) t.bytes += bytes;
    }
    return totals;
  }
}
