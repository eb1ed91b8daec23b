// openDatabase's pageSizeBytes: applied to a new file only (SQLite fixes the page size with the first
// page, and a WAL-mode database never changes it), kept on reopen whatever is asked then, and what it
// buys: an index with one page per empty b-tree is a fraction of the default's size.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOGS_INDEX_PAGE_BYTES, LOGS_MIGRATIONS } from '../src/logs/schema.js';
import { migrate } from '../src/sqlite/migrate.js';
import { openDatabase, type Db } from '../src/sqlite/open.js';

let dir: string;
const open: Db[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-pagesize-'));
});
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
const track = (db: Db) => (open.push(db), db);
const pageSize = (db: Db) => db.pragma('page_size', { simple: true }) as number;

describe('openDatabase pageSizeBytes', () => {
  it('sets the page size of a new file, in WAL mode, and keeps it on reopen', () => {
    const file = path.join(dir, 'index.db');
    const db = track(openDatabase(file, { pageSizeBytes: 512 }));
    expect(pageSize(db)).toBe(512);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    migrate(db, LOGS_MIGRATIONS);
    db.close();
    // Reopened with another size, or none: the file keeps its own.
    for (const opts of [{ pageSizeBytes: 4096 }, {}]) {
      const again = track(openDatabase(file, opts));
      expect(pageSize(again)).toBe(512);
      expect(again.pragma('integrity_check', { simple: true })).toBe('ok');
      again.close();
    }
    const ro = track(openDatabase(file, { readonly: true, pageSizeBytes: 1024 }));
    expect(pageSize(ro)).toBe(512);
  });

  it('leaves an existing file made without it at its size', () => {
    const file = path.join(dir, 'old.db');
    const db = track(openDatabase(file));
    db.exec('CREATE TABLE t (x)');
    db.close();
    const again = track(openDatabase(file, { pageSizeBytes: 1024 }));
    expect(pageSize(again)).toBe(4096);
    expect(again.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 0 });
  });

  it('refuses a size SQLite would silently ignore, before touching the file', () => {
    for (const bad of [0, 256, 1000, 3072, 131072, 1.5, Number.NaN]) {
      const file = path.join(dir, `bad-${String(bad)}.db`);
      expect(() => openDatabase(file, { pageSizeBytes: bad }), String(bad)).toThrow(RangeError);
      expect(fs.existsSync(file)).toBe(false);
    }
  });

  it("makes an empty logs index (13 b-trees, one page each) smaller than SQLite's default pages", () => {
    const sizeWith = (pageSizeBytes: number | undefined) => {
      const file = path.join(dir, `logs-${pageSizeBytes ?? 'default'}.db`);
      const db = openDatabase(file, pageSizeBytes === undefined ? {} : { pageSizeBytes });
      migrate(db, LOGS_MIGRATIONS);
      db.pragma('wal_checkpoint(TRUNCATE)');
      const pages = db.pragma('page_count', { simple: true }) as number;
      db.close();
      expect(fs.statSync(file).size).toBe(pages * (pageSizeBytes ?? 4096));
      return { pages, bytes: fs.statSync(file).size };
    };
    const def = sizeWith(undefined);
    const logs = sizeWith(LOGS_INDEX_PAGE_BYTES);
    expect(LOGS_INDEX_PAGE_BYTES).toBeLessThan(4096);
    // Same schema, at least as many pages (the schema text spans more small pages), far fewer bytes.
    expect(logs.pages).toBeGreaterThanOrEqual(def.pages);
    expect(logs.bytes).toBeLessThanOrEqual(def.bytes / 2);
  });
});

describe('openDatabase autoVacuum', () => {
  const mode = (db: Db) => db.pragma('auto_vacuum', { simple: true }) as number;

  it('makes a new file incremental (2) and leaves an existing one as it was made', () => {
    const file = path.join(dir, 'av.db');
    const db = track(openDatabase(file, { autoVacuum: true, pageSizeBytes: 1024 }));
    expect(mode(db)).toBe(2);
    expect(pageSize(db)).toBe(1024);
    db.exec('CREATE TABLE t (x BLOB)');
    const insert = db.prepare('INSERT INTO t (x) VALUES (?)');
    for (let i = 0; i < 200; i++) insert.run(Buffer.alloc(2000, i));
    db.exec('DELETE FROM t');
    const free = db.pragma('freelist_count', { simple: true }) as number;
    expect(free).toBeGreaterThan(100);
    db.pragma('incremental_vacuum');
    expect(db.pragma('freelist_count', { simple: true })).toBe(0);
    db.close();

    const plain = path.join(dir, 'plain.db');
    const p = track(openDatabase(plain));
    p.exec('CREATE TABLE t (x)');
    p.close();
    expect(mode(track(openDatabase(plain, { autoVacuum: true })))).toBe(0);
  });
});
