// The logs engine end to end through Timeless.open: entries written are answered the same from the
// hot tail, from sealed blocks and after a reopen, for every filter (against a brute-force oracle
// over what was written), in both orders and across pages; the live tail, backpressure, typed input
// errors, WAL replay, compaction, field listing and side-by-side stores.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Timeless, LogsError } from '../src/index.js';
import { LogsEngine, type LogsEngineOptions } from '../src/logs/engine.js';
import { RECENT_BLOCK_ENTRIES } from '../src/logs/compaction.js';
import { LOGS_INDEX_PAGE_BYTES } from '../src/logs/schema.js';
import { openDatabase } from '../src/sqlite/open.js';
import { checkResource, normalizeLogInput } from '../src/logs/normalize.js';
import { compileLogQuery } from '../src/logs/query/compile.js';
import { makeMatcher } from '../src/logs/query/matcher.js';
import type { LogEntry, LogInput, LogQuery } from '../src/logs/types.js';
import { createPool, type Pool } from '../src/pool/pool.js';
import { listFiles, tempDir } from './metrics-helpers.js';
import { makeInputs, plainEntries, T0_MS } from './logs-helpers.js';

const RESOURCE = { 'service.name': 'svc', 'host.name': 'h1' };
const RES = checkResource(RESOURCE, 'resource');

let pool: Pool;
beforeAll(() => {
  pool = createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

function open(dir: string, logs: LogsEngineOptions = {}) {
  return Timeless.open({
    dataDir: dir,
    pool,
    logs: { resource: RESOURCE, sealIntervalMs: 0, compaction: false, indexedAttributes: ['http.route'], ...logs },
    retention: { intervalSec: 0 },
  });
}

/** What the store must answer: the written entries (with seq = write order) through a filter, in order. */
function oracle(written: Array<{ entry: LogEntry; seq: number }>, q: LogQuery): LogEntry[] {
  const c = compileLogQuery({ ...q, limit: undefined, cursor: undefined });
  const m = makeMatcher(c);
  const sign = (q.order ?? 'desc') === 'desc' ? -1 : 1;
  return written
    .filter((w) => m(w.entry))
    .sort((a, b) => sign * (a.entry.tsNs < b.entry.tsNs ? -1 : a.entry.tsNs > b.entry.tsNs ? 1 : a.seq - b.seq))
    .map((w) => w.entry);
}

async function all(tl: Timeless, q: LogQuery): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  let cursor: string | undefined;
  for (let pages = 0; ; pages++) {
    if (pages > 10_000) throw new Error('paging does not end');
    const r = await tl.logs.query({ ...q, cursor });
    expect(r.skipped).toEqual([]);
    out.push(...r.entries);
    if (r.cursor === undefined) return out;
    expect(r.entries.length).toBe(q.limit ?? 100);
    cursor = r.cursor;
  }
}

class Written {
  readonly list: Array<{ entry: LogEntry; seq: number }> = [];
  add(inputs: LogInput[]): void {
    for (const input of inputs) this.list.push({ entry: normalizeLogInput(input, RES, () => 0n), seq: this.list.length });
  }
}

const QUERIES: LogQuery[] = [
  {},
  { order: 'asc', limit: 37 },
  { minLevel: 'warn', limit: 50 },
  { search: 'econnrefused' },
  { search: 'GET /api/items/1', order: 'asc' },
  { tokens: ['timeout'] },
  { attributes: { 'http.route': '/health' } },
  { attributes: { 'http.status_code': 500 }, minLevel: 'error' },
  { service: 'worker', limit: 1000 },
  { host: 'h1', limit: 10_000 },
  { fromMs: T0_MS + 1000, toMs: T0_MS + 2500, order: 'asc' },
  { fromMs: T0_MS + 1001.5, toMs: T0_MS + 1800 },
];

async function checkAnswers(tl: Timeless, w: Written, label: string): Promise<void> {
  const traceIds = w.list.map((x) => x.entry.traceId).filter((t): t is string => t !== undefined);
  for (const q of [...QUERIES, { traceId: traceIds[3] }, { traceId: traceIds[traceIds.length - 1], order: 'asc' as const }]) {
    const got = await all(tl, q);
    const want = oracle(w.list, q);
    expect(plainEntries(got), `${label}: ${JSON.stringify(q)}`).toEqual(plainEntries(want));
    const c = await tl.logs.count({ ...q, limit: undefined, order: undefined });
    expect(c.total, `${label}: count ${JSON.stringify(q)}`).toBe(want.length);
    expect(c.skipped).toEqual([]);
    for (const [level, n] of Object.entries(c.byLevel)) expect(n).toBe(want.filter((e) => e.level === level).length);
  }
}

describe('logs engine', () => {
  it('answers the same from the hot tail, from sealed blocks and after a reopen', async () => {
    const t = tempDir('logs-rt');
    const w = new Written();
    try {
      let tl = await open(t.dir, { sealEntries: 400 });
      const first = makeInputs(1, 1500);
      for (const x of first) tl.logs.write(x);
      w.add(first);
      await checkAnswers(tl, w, 'hot + sealing');
      await tl.logs.sealNow();
      const s1 = await tl.logs.stats();
      expect(s1.hotEntries).toBe(0);
      expect(s1.entries).toBe(1500);
      expect(s1.blocks).toBeGreaterThanOrEqual(4);
      await checkAnswers(tl, w, 'sealed');
      const more = makeInputs(2, 300, { startMs: T0_MS + 500, tag: 'late' });
      tl.logs.writeBatch(more);
      w.add(more);
      await checkAnswers(tl, w, 'sealed + hot');
      await tl.close();

      tl = await open(t.dir, { sealEntries: 400 });
      await checkAnswers(tl, w, 'reopened');
      // The write sequence continues: an entry at an existing timestamp sorts after the older ones.
      const again: LogInput = { tsMs: T0_MS, message: 'req 99999 after reopen', level: 'info' };
      tl.logs.write(again);
      w.add([again]);
      const asc = await tl.logs.query({ order: 'asc', limit: 3 });
      expect(asc.entries.map((e) => e.message)[1]).toBe('req 99999 after reopen');
      await checkAnswers(tl, w, 'reopened + hot');
      const s2 = await tl.logs.stats();
      expect(s2.entries).toBe(1801);
      expect(s2.corruptBlocks).toBe(0);
      expect(s2.oldestNs).toBe(BigInt(T0_MS) * 1_000_000n);
      expect(s2.rawBytes).toBeGreaterThan(0);
      expect(s2.compressionRatio).toBeGreaterThan(0);
      await tl.close();
    } finally {
      t.remove();
    }
  });

  it('streams every page of a query', async () => {
    const t = tempDir('logs-stream');
    try {
      const tl = await open(t.dir, { sealEntries: 128 });
      const inputs = makeInputs(3, 700);
      for (const x of inputs) tl.logs.write(x);
      const seen: number[] = [];
      let pages = 0;
      for await (const page of tl.logs.stream({ limit: 64, order: 'asc' })) {
        pages++;
        seen.push(...page.entries.map((e) => Number(e.message.split(' ')[1])));
      }
      expect(pages).toBe(11);
      expect(seen.length).toBe(700);
      expect(new Set(seen).size).toBe(700);
      await tl.close();
    } finally {
      t.remove();
    }
  });

  it('delivers entries to live-tail subscribers before they are flushed; a throwing subscriber breaks nothing', async () => {
    const t = tempDir('logs-tail');
    const warnings: string[] = [];
    try {
      const tl = await open(t.dir, { log: (m: string) => warnings.push(m) });
      const errors: LogEntry[] = [];
      const everything: LogEntry[] = [];
      const unsubscribe = tl.logs.subscribe({ minLevel: 'error', search: 'boom' }, (e) => errors.push(e));
      tl.logs.subscribe({}, (e) => everything.push(e));
      tl.logs.subscribe({}, () => {
        throw new Error('subscriber bug');
      });
      expect(() => tl.logs.subscribe({ minLevel: 'loud' as never }, () => undefined)).toThrow(LogsError);
      tl.logs.write({ message: 'a boom happened', level: 'error', tsMs: T0_MS });
      // Synchronous: seen before any flush.
      expect(errors.map((e) => e.message)).toEqual(['a boom happened']);
      tl.logs.write({ message: 'quiet boom', level: 'info', tsMs: T0_MS + 1 });
      tl.logs.write({ message: 'other', level: 'fatal', tsMs: T0_MS + 2 });
      expect(errors).toHaveLength(1);
      expect(everything).toHaveLength(3);
      expect(everything[0]).toMatchObject({ message: 'a boom happened', level: 'error', resource: RESOURCE });
      unsubscribe();
      tl.logs.write({ message: 'boom again', level: 'error', tsMs: T0_MS + 3 });
      expect(errors).toHaveLength(1);
      expect(everything).toHaveLength(4);
      expect(warnings.some((m) => m.includes('subscriber bug'))).toBe(true);
      expect((await tl.logs.count({})).total).toBe(4);
      // Ids in upper case are stored as their bytes: the tail, the hot tail and blocks all say lower case.
      const traceId = 'ABCDEF0123456789ABCDEF0123456789';
      tl.logs.write({ message: 'upper ids', tsMs: T0_MS + 4, traceId, spanId: 'ABCDEF0123456789' });
      expect(everything[4]).toMatchObject({ traceId: traceId.toLowerCase(), spanId: 'abcdef0123456789' });
      const hot = await tl.logs.query({ traceId: traceId.toLowerCase() });
      expect(hot.entries.map((e) => [e.traceId, e.spanId])).toEqual([[traceId.toLowerCase(), 'abcdef0123456789']]);
      await tl.logs.sealNow();
      expect((await tl.logs.query({ traceId })).entries.map((e) => e.message)).toEqual(['upper ids']);
      await tl.close();
    } finally {
      t.remove();
    }
  });

  it('creates its index with small pages, and keeps an older index at its own page size', async () => {
    const t = tempDir('logs-pages');
    try {
      const fresh = path.join(t.dir, 'fresh');
      let tl = await open(fresh);
      await tl.close();
      const pageSize = (file: string) => {
        const db = openDatabase(file, { readonly: true });
        try {
          return db.pragma('page_size', { simple: true });
        } finally {
          db.close();
        }
      };
      expect(pageSize(path.join(fresh, 'logs', 'index.db'))).toBe(LOGS_INDEX_PAGE_BYTES);
      // An index made with SQLite's default pages (an older store) opens as it is.
      const older = path.join(t.dir, 'older');
      const db = openDatabase(path.join(older, 'logs', 'index.db'));
      db.close();
      tl = await open(older);
      tl.logs.write({ message: 'still works', tsMs: T0_MS });
      await tl.logs.sealNow();
      expect((await tl.logs.query({})).entries.map((e) => e.message)).toEqual(['still works']);
      await tl.close();
      expect(pageSize(path.join(older, 'logs', 'index.db'))).toBe(4096);
    } finally {
      t.remove();
    }
  });

  it('rejects bad input with a typed error and keeps what was accepted before', async () => {
    const t = tempDir('logs-bad');
    try {
      let tl = await open(t.dir);
      for (let i = 0; i < 10; i++) tl.logs.write({ message: `ok ${i}`, tsMs: T0_MS + i });
      const bad: unknown[] = [
        { message: 42 },
        { message: 'x', level: 'loud' },
        { message: 'x', tsMs: -5 },
        { message: 'x', traceId: 'nothex' },
        { message: 'x', attributes: { n: NaN } },
        null,
        // Checked while the record is written (one walk): still typed, still nothing stored.
        { message: 'x', traceId: 'z'.repeat(32) },
        { message: 'x', spanId: 'ABCDEFGHIJKLMNOP' },
        { message: 'x', attributes: { ok: 1, deep: { when: new Date(0) } } },
      ];
      const codes = bad.map((b) => {
        try {
          tl.logs.write(b as LogInput);
          return 'accepted';
        } catch (err) {
          expect(err).toBeInstanceOf(LogsError);
          return (err as LogsError).code;
        }
      });
      expect(codes).toEqual(['INVALID_ENTRY', 'INVALID_LEVEL', 'INVALID_TIME', 'INVALID_ENTRY', 'INVALID_ENTRY', 'INVALID_ENTRY', 'INVALID_ENTRY', 'INVALID_ENTRY', 'INVALID_ENTRY']);
      // A batch is all or nothing, also when the bad entry is found while encoding it.
      expect(() => tl.logs.writeBatch([{ message: 'fine', tsMs: T0_MS }, { message: 7 } as unknown as LogInput])).toThrow(/entry 1; nothing of this batch/);
      expect(() => tl.logs.writeBatch([{ message: 'fine', tsMs: T0_MS }, { message: 'x', attributes: { f: () => 1 } as never }])).toThrow(
        /attributes\.f has a function value.*\(entry 1; nothing of this batch/,
      );
      await tl.logs.flush();
      await tl.close();
      tl = await open(t.dir);
      const r = await tl.logs.query({ order: 'asc' });
      expect(r.entries.map((e) => e.message)).toEqual(Array.from({ length: 10 }, (_, i) => `ok ${i}`));
      await tl.close();
      expect(() => tl.logs.write({ message: 'late' })).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    } finally {
      t.remove();
    }
  });

  it('refuses writes with BACKPRESSURE past maxPendingBytes; flush() lets sealing catch up', async () => {
    const t = tempDir('logs-bp');
    try {
      const tl = await open(t.dir, { maxPendingBytes: 64 * 1024, sealEntries: 1_000_000 });
      let accepted = 0;
      let refused: unknown;
      const big = 'x'.repeat(200);
      for (let i = 0; i < 100_000 && refused === undefined; i++) {
        try {
          tl.logs.write({ message: `${i} ${big}`, tsMs: T0_MS + i });
          accepted++;
        } catch (err) {
          refused = err;
        }
      }
      expect(refused).toBeInstanceOf(LogsError);
      expect((refused as LogsError).code).toBe('BACKPRESSURE');
      expect((refused as LogsError).message).toMatch(/maxPendingBytes/);
      expect(accepted).toBeGreaterThan(10);
      await tl.logs.flush();
      tl.logs.write({ message: `${accepted} after`, tsMs: T0_MS + accepted });
      await tl.logs.flush();
      expect((await tl.logs.count({})).total).toBe(accepted + 1);
      await tl.close();
    } finally {
      t.remove();
    }
  });

  it('replays the WAL of an engine that never sealed (as after a crash) and continues the sequence', async () => {
    const t = tempDir('logs-replay');
    const root = path.join(t.dir, 'logs');
    const opts = { resource: RESOURCE, sealIntervalMs: 0, compaction: false, sealEntries: 1_000_000 };
    try {
      const a = await LogsEngine.open({ root, pool, options: opts });
      const inputs = makeInputs(5, 900);
      a.writeBatch(inputs.slice(0, 400));
      await a.sealNow(); // 400 in a block, sealed_seq = 400
      a.writeBatch(inputs.slice(400));
      await a.flush();
      // Abandon `a` without closing (no seal, no WAL drop): a second engine opens the same files.
      a.db.close();
      await a.wal.close(); // nothing pending after flush(): closes the handle, writes nothing
      const b = await LogsEngine.open({ root, pool, options: opts });
      const r = await b.count({});
      expect(r.total).toBe(900);
      expect((await b.stats()).entries).toBe(900);
      const asc = await b.query({ order: 'asc', limit: 10_000 });
      expect(asc.entries.map((e) => e.message)).toEqual(
        oracle(
          inputs.map((x, seq) => ({ entry: normalizeLogInput(x, RES, () => 0n), seq })),
          { order: 'asc' },
        ).map((e) => e.message),
      );
      b.write({ message: 'after replay', tsMs: Number.MAX_SAFE_INTEGER / 1e6 });
      await b.close();
      const c = await LogsEngine.open({ root, pool, options: opts });
      expect((await c.count({})).total).toBe(901);
      expect((await c.stats()).hotEntries).toBe(0); // close() sealed everything
      expect(listFiles(path.join(root, 'wal')).length).toBeLessThanOrEqual(1);
      await c.close();
    } finally {
      t.remove();
    }
  });

  it('cuts a segment tail past the last indexed block on reopen (a write that never committed)', async () => {
    const t = tempDir('logs-trim');
    try {
      let tl = await open(t.dir);
      tl.logs.writeBatch(makeInputs(12, 100));
      await tl.logs.sealNow();
      await tl.close();
      const segDir = path.join(t.dir, 'logs', 'segments');
      const [file] = listFiles(segDir);
      const abs = path.join(segDir, file);
      const indexedEnd = fs.statSync(abs).size;
      fs.appendFileSync(abs, Buffer.alloc(777, 0xab)); // as a crash between write and commit leaves it
      tl = await open(t.dir);
      expect(fs.statSync(abs).size).toBe(indexedEnd);
      tl.logs.writeBatch(makeInputs(13, 50, { tag: 'more' }));
      await tl.logs.sealNow();
      const r = await tl.logs.query({ limit: 1000 });
      expect(r.skipped).toEqual([]);
      expect(r.entries).toHaveLength(150);
      await tl.close();
    } finally {
      t.remove();
    }
  });

  it('keeps a chunk whose seal failed queryable and retries it, without duplicates', async () => {
    const t = tempDir('logs-retry');
    const root = path.join(t.dir, 'logs');
    const warnings: string[] = [];
    let failWrites = 2;
    // The real pool, with its segment writes failing twice (e.g. a full disk): the RAW seal task
    // writes its block itself, the columnar path through writeBlocks.
    const flaky: Pool = Object.assign(Object.create(pool) as Pool, {
      writeBlocks: (input: Parameters<Pool['writeBlocks']>[0]) => {
        if (failWrites-- > 0) return Promise.reject(new Error('injected: no space left on device'));
        return pool.writeBlocks(input);
      },
      sealRawLogBlock: (input: Parameters<Pool['sealRawLogBlock']>[0]) => {
        if (failWrites-- > 0) return Promise.reject(new Error('injected: no space left on device'));
        return pool.sealRawLogBlock(input);
      },
    });
    const opts = { resource: RESOURCE, sealIntervalMs: 0, compaction: false, log: (m: string) => warnings.push(m) };
    try {
      const e = await LogsEngine.open({ root, pool: flaky, options: opts });
      const inputs = makeInputs(6, 300);
      e.writeBatch(inputs);
      await expect(e.sealNow()).rejects.toThrow(/injected/);
      expect((await e.count({})).total).toBe(300);
      expect((await e.stats()).hotEntries).toBe(300);
      // Retried with backoff until the writes work again.
      for (let i = 0; i < 200 && (await e.stats()).hotEntries > 0; i++) await new Promise((r) => setTimeout(r, 50));
      const s = await e.stats();
      expect(s).toMatchObject({ hotEntries: 0, blocks: 1, entries: 300 });
      expect((await e.count({})).total).toBe(300);
      expect(warnings.filter((m) => m.includes('injected')).length).toBeGreaterThanOrEqual(1);
      await e.close();
      const again = await LogsEngine.open({ root, pool, options: opts });
      const all = await again.query({ limit: 10_000, order: 'asc' });
      expect(all.entries.map((x) => x.message)).toEqual(
        oracle(inputs.map((x, seq) => ({ entry: normalizeLogInput(x, RES, () => 0n), seq })), { order: 'asc' }).map((x) => x.message),
      );
      await again.close();
    } finally {
      t.remove();
    }
  });

  it('counts each entry once when a seal commits while a query pages through the index', async () => {
    const t = tempDir('logs-snapshot');
    let hold: Promise<void> | undefined;
    let holding: () => void = () => undefined;
    const reads: Pool = Object.assign(Object.create(pool) as Pool, {
      readLogBlocks: async (input: Parameters<Pool['readLogBlocks']>[0]) => {
        const h = hold;
        hold = undefined;
        if (h) {
          holding();
          await h;
        }
        return pool.readLogBlocks(input);
      },
    });
    try {
      const e = await LogsEngine.open({ root: path.join(t.dir, 'logs'), pool: reads, options: { resource: RESOURCE, sealIntervalMs: 0, compaction: false } });
      // More blocks than one index page (256 rows), so the query fetches rows after the commit below.
      for (let i = 0; i < 300; i++) {
        e.write({ message: `b ${i}`, tsMs: T0_MS + i });
        await e.sealNow();
      }
      // Older than every block: their block sorts after the pages already fetched (desc keyset).
      for (let i = 300; i < 320; i++) e.write({ message: `h ${i}`, tsMs: T0_MS - 1000 + i });
      let release!: () => void;
      hold = new Promise<void>((r) => (release = r));
      const held = new Promise<void>((r) => (holding = r));
      const counting = e.count({});
      await held; // the count has its snapshot (20 hot entries, 300 blocks) and is reading
      await e.sealNow(); // the 20 hot entries now also sit in a committed block
      release();
      const c = await counting;
      expect(c.total).toBe(320);
      hold = new Promise<void>((r) => (release = r));
      const held2 = new Promise<void>((r) => (holding = r));
      for (let i = 320; i < 330; i++) e.write({ message: `h ${i}`, tsMs: T0_MS + 10_000 + i });
      const querying = e.query({ limit: 10_000, order: 'asc' });
      await held2;
      await e.sealNow();
      release();
      const q = await querying;
      const order = [...Array.from({ length: 20 }, (_, i) => 300 + i), ...Array.from({ length: 300 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => 320 + i)];
      expect(q.entries.map((x) => Number(x.message.split(' ')[1]))).toEqual(order);
      await e.close();
    } finally {
      t.remove();
    }
  });

  it('compacts small blocks into few, deletes their files, and answers the same', async () => {
    const t = tempDir('logs-compact');
    const w = new Written();
    try {
      const tl = await open(t.dir);
      for (let k = 0; k < 30; k++) {
        const inputs = makeInputs(100 + k, 50, { startMs: T0_MS + k * 400, tag: `c${k}` });
        tl.logs.writeBatch(inputs);
        w.add(inputs);
        await tl.logs.sealNow();
      }
      const before = await tl.logs.stats();
      expect(before.blocks).toBe(30);
      const filesBefore = listFiles(path.join(t.dir, 'logs', 'segments'));
      const report = await tl.logs.compactNow();
      // A few blocks per severity class (trace..info, warn, error/fatal; these newest events go to
      // small blocks: compaction.ts RECENT_BLOCK_ENTRIES).
      expect(report).toMatchObject({ groups: 1, blocksIn: 30 });
      expect(report.blocksOut).toBeGreaterThanOrEqual(3);
      expect(report.blocksOut).toBeLessThanOrEqual(3 + Math.ceil(1500 / RECENT_BLOCK_ENTRIES));
      expect(report.filesDeleted).toBe(filesBefore.length);
      const after = await tl.logs.stats();
      expect(after.blocks).toBe(report.blocksOut);
      expect(after.entries).toBe(1500);
      expect(listFiles(path.join(t.dir, 'logs', 'segments'))).toEqual([]);
      // Final blocks go to compacted/, blocks a later run rewrites (these recent ones) to staging/.
      expect([...listFiles(path.join(t.dir, 'logs', 'compacted')), ...listFiles(path.join(t.dir, 'logs', 'staging'))]).toHaveLength(1);
      await checkAnswers(tl, w, 'compacted');
      expect((await tl.logs.compactNow()).groups).toBe(0);
      await tl.close();
    } finally {
      t.remove();
    }
  });

  it('lists fields and field values from the index and the hot tail', async () => {
    const t = tempDir('logs-fields');
    try {
      const tl = await open(t.dir);
      tl.logs.writeBatch(makeInputs(7, 200));
      await tl.logs.sealNow();
      tl.logs.write({ message: 'hot one', level: 'fatal', attributes: { onlyHot: 'x', 'http.route': '/hot' }, resource: { 'service.name': 'late' }, tsMs: T0_MS });
      const fields = tl.logs.fields();
      for (const k of ['http.route', 'http.status_code', 'i', 'nested', 'onlyHot', 'service.name', 'host.name']) expect(fields).toContain(k);
      expect(await tl.logs.fieldValues('level')).toEqual(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
      expect(await tl.logs.fieldValues('service')).toEqual(['api', 'late', 'svc', 'worker']);
      expect(await tl.logs.fieldValues('http.route')).toEqual(['/api/items/:id', '/api/orders', '/api/users/:id/orders', '/health', '/hot']);
      expect(await tl.logs.fieldValues('http.status_code')).toEqual(['200', '404', '500']);
      expect(await tl.logs.fieldValues('onlyHot')).toEqual(['x']);
      expect(await tl.logs.fieldValues('service', { limit: 2 })).toEqual(['api', 'late']);
      await tl.close();
    } finally {
      t.remove();
    }
  });

  it('keeps several stores side by side apart', async () => {
    const a = tempDir('logs-side-a');
    const b = tempDir('logs-side-b');
    try {
      const ta = await open(a.dir);
      const tb = await open(b.dir);
      ta.logs.writeBatch(makeInputs(8, 120, { tag: 'a' }));
      tb.logs.writeBatch(makeInputs(9, 80, { tag: 'b' }));
      await Promise.all([ta.logs.sealNow(), tb.logs.sealNow()]);
      const [ra, rb] = await Promise.all([ta.logs.query({ limit: 1000 }), tb.logs.query({ limit: 1000 })]);
      expect(ra.entries.every((e) => e.message.startsWith('a '))).toBe(true);
      expect(rb.entries.every((e) => e.message.startsWith('b '))).toBe(true);
      expect([ra.entries.length, rb.entries.length]).toEqual([120, 80]);
      await Promise.all([ta.close(), tb.close()]);
    } finally {
      a.remove();
      b.remove();
    }
  });
});
