// A signal-agnostic index of event blocks (logs today, spans next): one row per sealed block with its
// place in a segment file, its time range (ms for coarse SQL filters, exact ns for ordering), a bit
// mask the engine gives meaning to (logs: levels present), sequence range, an opaque probe filter,
// plus `terms` (exact-match postings: 'service=api', ...) and `keys` (field names seen).
// `meta` holds the sealed-sequence watermark; `corrupt` remembers blocks found unreadable (never
// rewritten, skipped by compaction, counted in stats across restarts).
//
// EVENT_INDEX_SCHEMA_V1 is a shipped migration step of every engine that embeds it: never edit it,
// append a new step instead. Statements are prepared once; callers own transactions.
import type Database from 'better-sqlite3';
import { SegmentRows } from './segment-rows.js';

export const EVENT_INDEX_SCHEMA_V1 = `
  CREATE TABLE segments (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE
  );
  CREATE TABLE blocks (
    id INTEGER PRIMARY KEY,
    segment_id INTEGER NOT NULL REFERENCES segments(id),
    offset INTEGER NOT NULL,
    length INTEGER NOT NULL,
    t_min_ms INTEGER NOT NULL,
    t_max_ms INTEGER NOT NULL,
    t_min_ns INTEGER NOT NULL,
    t_max_ns INTEGER NOT NULL,
    count INTEGER NOT NULL,
    mask INTEGER NOT NULL,
    raw_bytes INTEGER NOT NULL,
    min_seq INTEGER NOT NULL,
    max_seq INTEGER NOT NULL,
    codec INTEGER NOT NULL,
    day TEXT NOT NULL,
    filter BLOB
  );
  CREATE INDEX blocks_by_tmax ON blocks(t_max_ns, id);
  CREATE INDEX blocks_by_tmin ON blocks(t_min_ns, id);
  CREATE INDEX blocks_by_segment ON blocks(segment_id);
  CREATE INDEX blocks_by_size ON blocks(count, day, min_seq);
  CREATE TABLE terms (
    term TEXT NOT NULL,
    block_id INTEGER NOT NULL,
    PRIMARY KEY (term, block_id)
  ) WITHOUT ROWID;
  CREATE INDEX terms_by_block ON terms(block_id);
  CREATE TABLE keys (
    key TEXT PRIMARY KEY
  ) WITHOUT ROWID;
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value
  ) WITHOUT ROWID;
  CREATE TABLE corrupt (
    block_id INTEGER PRIMARY KEY,
    file TEXT NOT NULL,
    offset INTEGER NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    found_ms INTEGER NOT NULL
  );
`;

/** What a new block and an indexed row both say about a block. */
interface EventBlockFields {
  /** Segment path relative to the engine root. */
  file: string;
  offset: number;
  length: number;
  tMinNs: bigint;
  tMaxNs: bigint;
  count: number;
  mask: number;
  rawBytes: number;
  minSeq: number;
  maxSeq: number;
  /** blocks.codec: which decoder reads the payload (the engine gives the ids meaning). */
  codec: number;
  /** Day key of the segment directory (compaction merges within one day). */
  day: string;
}

export interface NewEventBlock extends EventBlockFields {
  /** Probe filter; null = none (stored NULL: the block may hold anything, no text pruning). */
  filter: Uint8Array | null;
  terms: readonly string[];
  keys: readonly string[];
}

export interface EventBlockRow extends EventBlockFields {
  id: number;
  /** Empty when the row has none (NULL = the block may hold anything: no text pruning). */
  filter: Uint8Array;
}

export interface CandidateQuery {
  /** Inclusive. */
  fromNs: bigint;
  /** Exclusive. */
  toNs: bigint;
  /** Rows whose mask shares no bit with this are skipped. */
  mask: number;
  /** Every term must be posted for the block. */
  terms: readonly string[];
  order: 'desc' | 'asc';
  /** Rows per page (keyset paging: the engine stops asking once its page is full). */
  limit: number;
  /** Only rows with max_seq <= this (a snapshot: blocks committed later are left out). */
  maxSeq?: number;
  /** Continue after this row (desc: t_max_ns then id descending; asc: t_min_ns then id ascending). */
  after?: { ns: bigint; id: number };
}

export interface EventTotals {
  blocks: number;
  count: number;
  bytes: number;
  rawBytes: number;
  tMinNs: bigint | undefined;
  tMaxNs: bigint | undefined;
}

export interface SegmentUsage {
  file: string;
  /** End of its last indexed block. */
  end: number;
  blocks: number;
  count: number;
  /** Newest event in the file (retention by size drops the files with the oldest newest event first). */
  tMaxNs: bigint;
}

const ROW_COLS =
  'b.id, s.path, b.offset, b.length, b.t_min_ns, b.t_max_ns, b.count, b.mask, b.raw_bytes, b.min_seq, b.max_seq, b.day, b.filter, b.codec';
type RawRow = [bigint, string, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, string, Uint8Array | null, bigint];

function toRow(r: RawRow): EventBlockRow {
  return {
    id: Number(r[0]),
    file: r[1],
    offset: Number(r[2]),
    length: Number(r[3]),
    tMinNs: r[4],
    tMaxNs: r[5],
    count: Number(r[6]),
    mask: Number(r[7]),
    rawBytes: Number(r[8]),
    minSeq: Number(r[9]),
    maxSeq: Number(r[10]),
    codec: Number(r[13]),
    day: r[11],
    filter: r[12] ?? new Uint8Array(0),
  };
}

const NS_PER_MS = 1_000_000n;
/** Rows newestEventsBoundaryNs looks at, at most (its events are in far fewer blocks normally). */
const ROWS_PER_BOUNDARY_WALK = 4096;
/** Free pages below which releaseFreePages() leaves them for reuse. */
const FREE_PAGES_MIN = 64;
const floorMs = (ns: bigint) => Number(ns >= 0n ? ns / NS_PER_MS : -((-ns + NS_PER_MS - 1n) / NS_PER_MS));
const ceilMs = (ns: bigint) => -floorMs(-ns);

/** Block filters kept in memory for probeFilters at most (beyond, each probe reads them from SQLite). */
const FILTER_CACHE_BYTES = 16 * 1024 * 1024;

export class EventBlockIndex {
  private readonly segments: SegmentRows;
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    this.segments = new SegmentRows(db);
    const rows = (sql: string) => db.prepare(sql).raw().safeIntegers(true);
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO blocks (segment_id, offset, length, t_min_ms, t_max_ms, t_min_ns, t_max_ns, count, mask, raw_bytes,
         min_seq, max_seq, codec, day, filter) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertTerm: db.prepare('INSERT OR IGNORE INTO terms (term, block_id) VALUES (?, ?)'),
      insertKey: db.prepare('INSERT OR IGNORE INTO keys (key) VALUES (?)'),
      deleteBlock: db.prepare('DELETE FROM blocks WHERE id = ?'),
      deleteTerms: db.prepare('DELETE FROM terms WHERE block_id = ?'),
      // Block ids can be reused once deleted: a corrupt record must not outlive its block.
      deleteCorrupt: db.prepare('DELETE FROM corrupt WHERE block_id = ?'),
      getMeta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      byId: rows(`SELECT ${ROW_COLS} FROM blocks b JOIN segments s ON s.id = b.segment_id WHERE b.id = ?`),
      newest: rows(`SELECT ${ROW_COLS} FROM blocks b JOIN segments s ON s.id = b.segment_id ORDER BY b.t_max_ns DESC, b.id DESC LIMIT ?`),
      markCorrupt: db.prepare('INSERT OR IGNORE INTO corrupt (block_id, file, offset, code, message, found_ms) VALUES (?, ?, ?, ?, ?, ?)'),
      liveInFile: db.prepare('SELECT 1 FROM blocks b JOIN segments s ON s.id = b.segment_id WHERE s.path = ? LIMIT 1').pluck(),
    };
  }

  /** Inserts block rows with their terms and keys (inside the caller's transaction). Returns ids. */
  insert(blocks: readonly NewEventBlock[]): number[] {
    const ids: number[] = [];
    this.filterCache = undefined;
    for (const b of blocks) {
      const info = this.stmts.insert.run(
        this.segments.idOf(b.file),
        b.offset,
        b.length,
        floorMs(b.tMinNs),
        ceilMs(b.tMaxNs),
        b.tMinNs,
        b.tMaxNs,
        b.count,
        b.mask,
        b.rawBytes,
        b.minSeq,
        b.maxSeq,
        b.codec,
        b.day,
        b.filter,
      );
      const id = Number(info.lastInsertRowid);
      ids.push(id);
      for (const t of b.terms) this.stmts.insertTerm.run(t, id);
      for (const k of b.keys) this.stmts.insertKey.run(k);
    }
    return ids;
  }

  /** Deletes rows and their postings (inside the caller's transaction). */
  delete(ids: Iterable<number>): void {
    this.filterCache = undefined;
    for (const id of ids) {
      this.stmts.deleteTerms.run(id);
      this.stmts.deleteCorrupt.run(id);
      this.stmts.deleteBlock.run(id);
    }
  }

  getMeta(key: string): unknown {
    return this.stmts.getMeta.get(key);
  }

  setMeta(key: string, value: string | number | bigint | null): void {
    this.stmts.setMeta.run(key, value);
  }

  /** The highest write sequence whose events are all in committed blocks (0 = none). */
  sealedSeq(): number {
    const v = this.getMeta('sealed_seq');
    return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 0;
  }

  setSealedSeq(seq: number): void {
    this.setMeta('sealed_seq', seq);
  }

  byId(id: number): EventBlockRow | undefined {
    const r = this.stmts.byId.get(id) as RawRow | undefined;
    return r ? toRow(r) : undefined;
  }

  /** One page of candidate blocks for a query, in the query's order (see CandidateQuery). */
  candidates(q: CandidateQuery): EventBlockRow[] {
    const where: string[] = ['b.t_max_ms >= ?', 'b.t_min_ms < ?', 'b.t_max_ns >= ?', 'b.t_min_ns < ?', '(b.mask & ?) != 0'];
    const params: unknown[] = [floorMs(q.fromNs), ceilMs(q.toNs), q.fromNs, q.toNs, q.mask];
    if (q.maxSeq !== undefined) {
      where.push('b.max_seq <= ?');
      params.push(q.maxSeq);
    }
    for (const t of q.terms) {
      where.push('b.id IN (SELECT block_id FROM terms WHERE term = ?)');
      params.push(t);
    }
    const desc = q.order === 'desc';
    const col = desc ? 'b.t_max_ns' : 'b.t_min_ns';
    if (q.after) {
      where.push(desc ? `(${col} < ? OR (${col} = ? AND b.id < ?))` : `(${col} > ? OR (${col} = ? AND b.id > ?))`);
      params.push(q.after.ns, q.after.ns, q.after.id);
    }
    const dir = desc ? 'DESC' : 'ASC';
    const sql = `SELECT ${ROW_COLS} FROM blocks b JOIN segments s ON s.id = b.segment_id WHERE ${where.join(' AND ')}
                 ORDER BY ${col} ${dir}, b.id ${dir} LIMIT ?`;
    params.push(q.limit);
    return (this.cached(sql).all(...params) as RawRow[]).map(toRow);
  }

  /**
   * The rows (with max_seq <= maxSeq) whose filter `probe` accepts (a row without a filter may hold
   * anything: always kept). Reads only ids and filters, then the few accepted rows: a trace look-up
   * probes every block's trace-id filter, and building full rows for all of them cost more than
   * the probes.
   */
  probeFilters(maxSeq: number, probe: (filter: Uint8Array) => boolean): EventBlockRow[] {
    const ids: number[] = [];
    for (const f of this.filters()) {
      if (f.maxSeq <= maxSeq && (f.filter === null || f.filter.length === 0 || probe(f.filter))) ids.push(f.id);
    }
    const rows: EventBlockRow[] = [];
    for (const id of ids) {
      const r = this.byId(id);
      if (r !== undefined) rows.push(r);
    }
    return rows;
  }

  /**
   * Every row's id, max_seq and filter: kept in memory between changes when they fit
   * FILTER_CACHE_BYTES (reading them through SQLite's overflow pages was most of a trace look-up's
   * main-thread time: ~0.5 ms for 138 blocks), read afresh otherwise. insert() and delete() drop the
   * copy (a transaction that rolls back then only costs a re-read).
   */
  private filters(): Iterable<{ id: number; maxSeq: number; filter: Uint8Array | null }> {
    if (this.filterCache !== undefined) return this.filterCache;
    const stmt = (this.filterScan ??= this.db.prepare('SELECT id, max_seq, filter FROM blocks').raw(true));
    const rows: Array<{ id: number; maxSeq: number; filter: Uint8Array | null }> = [];
    let bytes = 0;
    for (const [id, maxSeq, filter] of stmt.iterate() as IterableIterator<[number, number, Uint8Array | null]>) {
      rows.push({ id, maxSeq, filter });
      bytes += 32 + (filter?.length ?? 0);
    }
    if (bytes <= FILTER_CACHE_BYTES) this.filterCache = rows;
    return rows;
  }
  private filterScan: Database.Statement | undefined;
  private filterCache: Array<{ id: number; maxSeq: number; filter: Uint8Array | null }> | undefined;

  private readonly stmtCache = new Map<string, Database.Statement>();
  private cached(sql: string): Database.Statement {
    let s = this.stmtCache.get(sql);
    if (!s) {
      if (this.stmtCache.size > 64) this.stmtCache.clear();
      s = this.db.prepare(sql).raw().safeIntegers(true);
      this.stmtCache.set(sql, s);
    }
    return s;
  }

  /** The blocks with the newest events (field value sampling). */
  newest(limit: number): EventBlockRow[] {
    return (this.stmts.newest.all(limit) as RawRow[]).map(toRow);
  }

  /** The distinct masks of all blocks (few: one per combination of levels present). */
  distinctMasks(): number[] {
    return this.db.prepare('SELECT DISTINCT mask FROM blocks').pluck().all() as number[];
  }

  /** Every field name seen in sealed blocks. */
  keys(): string[] {
    return this.db.prepare('SELECT key FROM keys ORDER BY key').pluck().all() as string[];
  }

  /** Distinct values of terms '<prefix><value>' (e.g. prefix 'service='), sorted, at most `limit`. */
  termValues(prefix: string, limit: number): string[] {
    // Range scan over the primary key: prefix <= term < prefix with its last char bumped.
    const hi = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
    const terms = this.db
      .prepare('SELECT DISTINCT term FROM terms WHERE term >= ? AND term < ? ORDER BY term LIMIT ?')
      .pluck()
      .all(prefix, hi, limit) as string[];
    return terms.map((t) => t.slice(prefix.length));
  }

  /**
   * Records a block as unreadable (one transaction); true when it was not known before. Each new one
   * also raises meta 'corrupt_found', the persisted count of corrupt blocks ever found.
   */
  markCorrupt(blockId: number, file: string, offset: number, code: string, message: string, nowMs = Date.now()): boolean {
    return this.db.transaction(() => {
      if (this.stmts.markCorrupt.run(blockId, file, offset, code, message, nowMs).changes === 0) return false;
      this.setMeta('corrupt_found', this.corruptFound() + 1);
      return true;
    })();
  }

  /** Ids of the blocks currently known corrupt. */
  corruptIds(): Set<number> {
    return new Set((this.db.prepare('SELECT block_id FROM corrupt').pluck().all() as number[]).map(Number));
  }

  /** Corrupt blocks found since the index was created (blocks deleted since included). */
  corruptFound(): number {
    const v = this.getMeta('corrupt_found');
    return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 0;
  }

  totals(): EventTotals {
    const r = this.db
      .prepare('SELECT COUNT(*), COALESCE(SUM(count), 0), COALESCE(SUM(length), 0), COALESCE(SUM(raw_bytes), 0), MIN(t_min_ns), MAX(t_max_ns) FROM blocks')
      .raw()
      .safeIntegers(true)
      .get() as [bigint, bigint, bigint, bigint, bigint | null, bigint | null];
    return {
      blocks: Number(r[0]),
      count: Number(r[1]),
      bytes: Number(r[2]),
      rawBytes: Number(r[3]),
      tMinNs: r[4] ?? undefined,
      tMaxNs: r[5] ?? undefined,
    };
  }

  /** Per segment file: end of its last indexed block. */
  segmentEnds(): Map<string, number> {
    return this.segments.ends();
  }

  /** Per segment file with live blocks: its extent and newest event, oldest newest-event first. */
  segmentUsage(): SegmentUsage[] {
    const rows = this.db
      .prepare(
        `SELECT s.path, MAX(b.offset + b.length), COUNT(*), SUM(b.count), MAX(b.t_max_ns) FROM blocks b
         JOIN segments s ON s.id = b.segment_id GROUP BY b.segment_id ORDER BY MAX(b.t_max_ns), s.path`,
      )
      .raw()
      .safeIntegers(true)
      .all() as Array<[string, bigint, bigint, bigint, bigint]>;
    return rows.map(([file, end, blocks, count, tMaxNs]) => ({ file, end: Number(end), blocks: Number(blocks), count: Number(count), tMaxNs }));
  }

  /** Ids and counts of the blocks of one segment file. */
  blocksInFile(file: string): Array<{ id: number; count: number }> {
    return (
      this.db.prepare('SELECT b.id, b.count FROM blocks b JOIN segments s ON s.id = b.segment_id WHERE s.path = ?').raw().all(file) as Array<
        [number, number]
      >
    ).map(([id, count]) => ({ id, count }));
  }

  /** Bytes of live blocks per segment file (files with none are absent). */
  liveBytesByFile(): Map<string, number> {
    const rows = this.db
      .prepare('SELECT s.path, SUM(b.length) FROM blocks b JOIN segments s ON s.id = b.segment_id GROUP BY b.segment_id')
      .raw()
      .all() as Array<[string, number]>;
    return new Map(rows);
  }

  /** The rows of one segment file's blocks (not known corrupt), in write order. */
  rowsInFile(file: string): EventBlockRow[] {
    return (
      this.cached(
        `SELECT ${ROW_COLS} FROM blocks b JOIN segments s ON s.id = b.segment_id
         WHERE s.path = ? AND b.id NOT IN (SELECT block_id FROM corrupt) ORDER BY b.min_seq, b.id`,
      ).all(file) as RawRow[]
    ).map(toRow);
  }

  /** Ids and counts of blocks whose newest event is before horizonNs. */
  olderThan(horizonNs: bigint): Array<{ id: number; count: number }> {
    return (
      this.db.prepare('SELECT id, count FROM blocks WHERE t_max_ms <= ? AND t_max_ns < ?').raw().all(ceilMs(horizonNs), horizonNs) as Array<
        [number, number]
      >
    ).map(([id, count]) => ({ id, count }));
  }

  /**
   * Compaction candidates: blocks holding fewer than `maxCount` events (not known corrupt), by day
   * then write order, at most `limit` rows.
   */
  smallBlocks(maxCount: number, limit: number): EventBlockRow[] {
    return (
      this.cached(
        `SELECT ${ROW_COLS} FROM blocks b JOIN segments s ON s.id = b.segment_id
         WHERE b.count < ? AND b.id NOT IN (SELECT block_id FROM corrupt) ORDER BY b.day, b.min_seq, b.id LIMIT ?`,
      ).all(maxCount, limit) as RawRow[]
    ).map(toRow);
  }

  /**
   * Blocks a compaction pass should rewrite (not known corrupt), by day then write order, at most
   * `limit` rows: those with one of `codecs` (e.g. a cheap seal format), those holding fewer than
   * `maxCount` events, and those whose mask is within none of `maskGroups` (events of several
   * partitions that belong in separate blocks). The engine refines the selection (per-partition sizes).
   */
  compactionCandidates(opts: { codecs: readonly number[]; maxCount: number; maskGroups: readonly number[] }, limit: number): EventBlockRow[] {
    const or: string[] = ['b.count < ?'];
    const params: unknown[] = [opts.maxCount];
    if (opts.codecs.length > 0) {
      or.push(`b.codec IN (${opts.codecs.map(() => '?').join(', ')})`);
      params.push(...opts.codecs);
    }
    if (opts.maskGroups.length > 0) {
      or.push(`NOT (${opts.maskGroups.map(() => '(b.mask & ~?) = 0').join(' OR ')})`);
      params.push(...opts.maskGroups);
    }
    const sql = `SELECT ${ROW_COLS} FROM blocks b JOIN segments s ON s.id = b.segment_id
                 WHERE (${or.join(' OR ')}) AND b.id NOT IN (SELECT block_id FROM corrupt)
                 ORDER BY b.day, b.min_seq, b.id LIMIT ?`;
    return (this.cached(sql).all(...params, limit) as RawRow[]).map(toRow);
  }

  /**
   * About where the newest `events` events begin: walking blocks newest first (by t_max_ns), the time
   * at which their counts add up to `events`, interpolated inside the block that crosses it (as if
   * its events were spread evenly). Undefined when all blocks together hold fewer. An estimate for
   * layout decisions (compaction keeps the newest events in small blocks), never for answers.
   */
  newestEventsBoundaryNs(events: number): bigint | undefined {
    const rows = this.cached('SELECT t_min_ns, t_max_ns, count FROM blocks ORDER BY t_max_ns DESC, id DESC LIMIT ?').iterate(
      ROWS_PER_BOUNDARY_WALK,
    ) as IterableIterator<[bigint, bigint, bigint]>;
    let seen = 0;
    for (const [tMin, tMax, countBig] of rows) {
      const count = Number(countBig);
      if (seen + count >= events) {
        const need = events - seen;
        // Leaving the loop early resets the statement (for-of calls the iterator's return()).
        return tMax - ((tMax - tMin) * BigInt(need)) / BigInt(Math.max(1, count));
      }
      seen += count;
    }
    return undefined;
  }

  hasLiveBlock(file: string): boolean {
    return this.stmts.liveInFile.get(file) !== undefined;
  }

  /** Forgets segments rows with no block (after their files are deleted). */
  pruneSegments(files: readonly string[]): void {
    this.segments.prune(files);
  }

  /**
   * Gives free pages back to the file system (`auto_vacuum = INCREMENTAL` databases; a no-op
   * otherwise) once they are more than an eighth of the file and FREE_PAGES_MIN: retention and
   * compaction delete rows (filters are the bulk), and without this the file never shrinks, so
   * size retention would keep counting dead pages. Below the threshold they are left for the next
   * inserts. At most `maxPages` per call (pages move, on this thread); the file shrinks at the next
   * checkpoint. Returns the pages released.
   */
  releaseFreePages(maxPages = 4096): number {
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    const total = this.db.pragma('page_count', { simple: true }) as number;
    if (free < FREE_PAGES_MIN || free * 8 < total || this.db.pragma('auto_vacuum', { simple: true }) !== 2) return 0;
    const n = Math.min(free, maxPages);
    this.db.pragma(`incremental_vacuum(${n})`);
    return n;
  }
}
