// Where an SQLite file's bytes are: page size, pages, free pages, and bytes per table/index (SQLite's
// `dbstat` virtual table, which better-sqlite3's build includes). Read through a read-only
// connection, for the benches' stored-bytes breakdowns: a small store's index is mostly one or two
// pages per b-tree, a big one mostly block rows and their filters.
import { openDatabase } from '../../src/sqlite/open.js';

export interface SqlitePageUsage {
  pageSizeBytes: number;
  pages: number;
  freePages: number;
  /** Bytes (whole pages, overflow included) per table or index, biggest first, then `(pointer map)`; empty when dbstat is missing. */
  bytesByTable: Record<string, number>;
}

/**
 * Pointer-map pages of an auto_vacuum database (dbstat does not list them): page 2, then one every
 * usable/5 + 1 pages (each maps the next usable/5 pages).
 */
export function pointerMapPages(pages: number, pageSizeBytes: number, reservedBytes = 0): number {
  const perMap = Math.floor((pageSizeBytes - reservedBytes) / 5);
  return pages < 2 ? 0 : Math.floor((pages - 2) / (perMap + 1)) + 1;
}

export function sqlitePageUsage(file: string): SqlitePageUsage {
  const db = openDatabase(file, { readonly: true });
  try {
    const out: SqlitePageUsage = {
      pageSizeBytes: db.pragma('page_size', { simple: true }) as number,
      pages: db.pragma('page_count', { simple: true }) as number,
      freePages: db.pragma('freelist_count', { simple: true }) as number,
      bytesByTable: {},
    };
    let rows: Array<{ name: string; bytes: number }> = [];
    try {
      rows = db.prepare('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC, name').all() as typeof rows;
    } catch {
      // An SQLite built without SQLITE_ENABLE_DBSTAT_VTAB: the page totals above still hold.
    }
    for (const r of rows) out.bytesByTable[r.name] = r.bytes;
    if (rows.length > 0 && db.pragma('auto_vacuum', { simple: true }) !== 0) {
      out.bytesByTable['(pointer map)'] = pointerMapPages(out.pages, out.pageSizeBytes) * out.pageSizeBytes;
    }
    return out;
  } finally {
    db.close();
  }
}
