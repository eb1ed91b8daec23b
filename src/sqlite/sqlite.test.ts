import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteError } from './errors.js';
import { migrate } from './migrate.js';
import { backupTo, openDatabase, type Db } from './open.js';

let dir: string;
const open: Db[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-sqlite-'));
});
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
const track = (db: Db) => (open.push(db), db);

const STEPS = [
  'CREATE TABLE series (id INTEGER PRIMARY KEY, name TEXT NOT NULL)',
  `CREATE TABLE blocks (id INTEGER PRIMARY KEY, series_id INTEGER NOT NULL REFERENCES series(id));
   CREATE INDEX blocks_series ON blocks(series_id)`,
];

function sqliteCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof SqliteError ? err.code : `not a SqliteError: ${String(err)}`;
  }
  return 'no error';
}

describe('openDatabase', () => {
  it('creates parent directories and sets WAL, synchronous=NORMAL, foreign_keys, busy_timeout', () => {
    const db = track(openDatabase(path.join(dir, 'x', 'y', 'index.db'), { busyTimeoutMs: 1234 }));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
  });

  it('readonly: the file must exist, and writes are refused', () => {
    const file = path.join(dir, 'ro.db');
    expect(sqliteCode(() => openDatabase(file, { readonly: true }))).toBe('OPEN_FAILED');
    migrate(track(openDatabase(file)), STEPS);
    const ro = track(openDatabase(file, { readonly: true }));
    expect(ro.prepare('SELECT count(*) AS n FROM series').get()).toEqual({ n: 0 });
    expect(() => ro.prepare("INSERT INTO series (name) VALUES ('a')").run()).toThrow(/readonly/i);
  });

  it('refuses a file that is not a database with OPEN_FAILED', () => {
    const file = path.join(dir, 'junk.db');
    fs.writeFileSync(file, 'this is not sqlite, '.repeat(100));
    expect(sqliteCode(() => openDatabase(file))).toBe('OPEN_FAILED');
  });
});

describe('migrate', () => {
  it('applies the steps past user_version, one at a time, and is a no-op when current', () => {
    const file = path.join(dir, 'm.db');
    const db = track(openDatabase(file));
    expect(migrate(db, STEPS.slice(0, 1))).toEqual({ from: 0, to: 1 });
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(migrate(db, STEPS)).toEqual({ from: 1, to: 2 });
    expect(migrate(db, STEPS)).toEqual({ from: 2, to: 2 });
    // foreign_keys is on: a block must point at a series.
    expect(() => db.prepare('INSERT INTO blocks (series_id) VALUES (99)').run()).toThrow(/FOREIGN KEY/);
  });

  it('a failing step rolls back entirely and leaves user_version at the last good step', () => {
    const db = track(openDatabase(path.join(dir, 'f.db')));
    const bad = [...STEPS, 'CREATE TABLE t (a INTEGER); CREATE TABLE oops (;'];
    expect(sqliteCode(() => migrate(db, bad))).toBe('MIGRATION_FAILED');
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 't'").get()).toEqual({ n: 0 });
  });

  it('refuses a database newer than the steps it knows with SCHEMA_TOO_NEW', () => {
    const db = track(openDatabase(path.join(dir, 'n.db')));
    migrate(db, STEPS);
    expect(sqliteCode(() => migrate(db, STEPS.slice(0, 1)))).toBe('SCHEMA_TOO_NEW');
  });
});

describe('backupTo', () => {
  it('VACUUM INTO a new file that opens, passes integrity_check and holds the same rows', () => {
    const db = track(openDatabase(path.join(dir, 'src.db')));
    migrate(db, STEPS);
    const ins = db.prepare('INSERT INTO series (name) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 1000; i++) ins.run(`m${i}`);
    })();
    const target = path.join(dir, 'backups', 'b1', 'index.db');
    backupTo(db, target);
    const copy = track(openDatabase(target));
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(copy.pragma('user_version', { simple: true })).toBe(2);
    expect(copy.prepare('SELECT name FROM series ORDER BY id').all()).toEqual(
      db.prepare('SELECT name FROM series ORDER BY id').all(),
    );
    expect(sqliteCode(() => backupTo(db, target))).toBe('TARGET_EXISTS');
  });
});
