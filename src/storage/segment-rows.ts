// The `segments (id, path)` table of an engine's SQLite index (metrics and event indexes alike): one
// row per segment file, referenced by blocks.segment_id so a block row stores an integer instead of
// a path. Needs `blocks (segment_id, offset, length)` beside it. Statements are prepared once and the
// path → id map is loaded once; callers own transactions.
import type Database from 'better-sqlite3';

export class SegmentRows {
  private readonly ids = new Map<string, number>();
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    for (const r of db.prepare('SELECT id, path FROM segments').all() as Array<{ id: number; path: string }>) {
      this.ids.set(r.path, r.id);
    }
    this.stmts = {
      insert: db.prepare('INSERT INTO segments (path) VALUES (?)'),
      prune: db.prepare('DELETE FROM segments WHERE path = ? AND NOT EXISTS (SELECT 1 FROM blocks WHERE segment_id = segments.id)'),
      ends: db.prepare('SELECT s.path, MAX(b.offset + b.length) FROM blocks b JOIN segments s ON s.id = b.segment_id GROUP BY b.segment_id').raw(),
    };
  }

  /** The row id of `file`, inserting the row on first use (inside the caller's transaction). */
  idOf(file: string): number {
    let id = this.ids.get(file);
    if (id === undefined) {
      id = Number(this.stmts.insert.run(file).lastInsertRowid);
      this.ids.set(file, id);
    }
    return id;
  }

  /** Forgets segments rows with no block (after their files are deleted). */
  prune(files: readonly string[]): void {
    for (const f of files) {
      if (this.stmts.prune.run(f).changes > 0) this.ids.delete(f);
    }
  }

  /** Per segment file: end of its last indexed block (on open, tails past it are cut). */
  ends(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [p, end] of this.stmts.ends.all() as Array<[string, number]>) out.set(p, end);
    return out;
  }
}
