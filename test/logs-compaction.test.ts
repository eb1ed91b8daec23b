// Compaction of RAW blocks (schema.ts CODEC_LOG_RAW_V1) into columnar blocks split by severity class,
// on stores left behind by an engine that stopped without compacting (a crash): the RAW blocks are
// framed here as the seal path frames them and indexed with the meta the write path computes, so
// these tests hold whatever seal format the engine defaults to.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededEntries } from './logs-query-fixtures.js';
import { tempDir } from './metrics-helpers.js';
import { createPool, type Pool } from '../src/pool/pool.js';
import { openDatabase } from '../src/sqlite/open.js';
import { migrate } from '../src/sqlite/migrate.js';
import { frameBlock } from '../src/storage/block.js';
import { EventBlockIndex } from '../src/storage/event-index.js';
import { SegmentSet } from '../src/storage/segment-set.js';
import { writeAt } from '../src/storage/segments.js';
import { EntryRecordWriter } from '../src/logs/codec/entry-record.js';
import { classOfMask } from '../src/logs/compact-tasks.js';
import { CLASS_BLOCK_ENTRIES, RECENT_BLOCK_ENTRIES, RECENT_BLOCK_MAX_ENTRIES, RECENT_BLOCK_RAW_BYTES, RECENT_EVENTS, recentBlockEntries } from '../src/logs/compaction.js';
import { LogsEngine } from '../src/logs/engine.js';
import { compileLogQuery } from '../src/logs/query/compile.js';
import { compareKeys, isAfterCursor } from '../src/logs/query/cursor.js';
import { makeMatcher } from '../src/logs/query/matcher.js';
import { ceilMs, floorMs } from '../src/logs/query/time.js';
import { CODEC_LOG_RAW_V1, KIND_LOG_BLOCK, LOGS_MIGRATIONS } from '../src/logs/schema.js';
import type { LogEntry, LogInput, LogQuery } from '../src/logs/types.js';

let pool: Pool;
beforeAll(() => {
  pool = createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

const DAY = '2023-11-14';
const OPTS = { sealIntervalMs: 0, compaction: false };

interface Chunk {
  entries: LogEntry[];
  seqs: number[];
}

/** RAW blocks written and indexed into the (closed) store at `root`, as a sealing engine leaves them. */
async function injectRaw(root: string, chunks: Chunk[]): Promise<void> {
  fs.mkdirSync(root, { recursive: true });
  const db = openDatabase(path.join(root, 'index.db'));
  try {
    migrate(db, LOGS_MIGRATIONS);
    const index = new EventBlockIndex(db);
    const segments = await SegmentSet.open(root, 1 << 20);
    let sealed = index.sealedSeq();
    db.transaction(() => {
      for (const c of chunks) {
        const w = new EntryRecordWriter();
        c.entries.forEach((e, i) => w.append(e, c.seqs[i]));
        const records = new Uint8Array(w.bytes());
        let tMin = c.entries[0].tsNs;
        let tMax = tMin;
        let mask = 0;
        const terms = new Set<string>();
        const keys = new Set<string>();
        for (const e of c.entries) {
          if (e.tsNs < tMin) tMin = e.tsNs;
          if (e.tsNs > tMax) tMax = e.tsNs;
          mask |= 1 << ((e.severityNumber - 1) >> 2);
          if (typeof e.resource['service.name'] === 'string') terms.add(`service=${e.resource['service.name']}`);
          if (typeof e.resource['host.name'] === 'string') terms.add(`host=${e.resource['host.name']}`);
          for (const k of Object.keys(e.attributes)) keys.add(k);
          for (const k of Object.keys(e.resource)) keys.add(k);
        }
        const framed = frameBlock({ kind: KIND_LOG_BLOCK, ownerId: 0, count: c.entries.length, tMinMs: floorMs(tMin), tMaxMs: ceilMs(tMax) }, records);
        const { file, offset } = segments.allocate(DAY, framed.length);
        writeAt(path.join(root, file), offset, framed);
        index.insert([
          {
            file,
            offset,
            length: framed.length,
            tMinNs: tMin,
            tMaxNs: tMax,
            count: c.entries.length,
            mask,
            rawBytes: records.length,
            minSeq: c.seqs[0],
            maxSeq: c.seqs[c.seqs.length - 1],
            codec: CODEC_LOG_RAW_V1,
            day: DAY,
            filter: new Uint8Array(0),
            terms: [...terms],
            keys: [...keys],
          },
        ]);
        sealed = Math.max(sealed, c.seqs[c.seqs.length - 1]);
      }
      index.setSealedSeq(sealed);
    })();
  } finally {
    db.close();
  }
}

/** n seeded entries (seq order, times not sorted) cut into RAW chunks of 1..maxChunk. */
function chunksOf(seed: number, n: number, maxChunk: number): { chunks: Chunk[]; all: Chunk } {
  const all = seededEntries(seed, n);
  const chunks: Chunk[] = [];
  for (let i = 0, k = 0; i < n; k++) {
    const size = 1 + ((k * 7919 + seed) % maxChunk);
    chunks.push({ entries: all.entries.slice(i, i + size), seqs: all.seqs.slice(i, i + size) });
    i += size;
  }
  return { chunks, all };
}

function oracle(all: Chunk, query: LogQuery): number[] {
  const q = compileLogQuery(query);
  const matches = makeMatcher(q);
  const sign = q.order === 'desc' ? -1 : 1;
  return all.entries
    .map((entry, i) => ({ entry, seq: all.seqs[i] }))
    .filter((m) => (!q.after || isAfterCursor(q.after, m.entry.tsNs, m.seq)) && matches(m.entry))
    .sort((a, b) => sign * compareKeys(a.entry.tsNs, a.seq, b.entry.tsNs, b.seq))
    .map((m) => m.seq);
}

const QUERIES: LogQuery[] = [
  { limit: 10_000 },
  { limit: 25 },
  { minLevel: 'error', limit: 10_000 },
  { minLevel: 'warn', limit: 30, order: 'asc' },
  { search: 'user', limit: 50 },
  { attributes: { status: 404 }, limit: 10_000 },
  { service: 'api', minLevel: 'info', limit: 40 },
];

/** Every query's page (by seq) and count equal brute force over the written entries. */
async function expectAnswers(e: LogsEngine, all: Chunk): Promise<void> {
  for (const query of QUERIES) {
    const want = oracle(all, query);
    const got = await e.query(query);
    expect(got.skipped).toEqual([]);
    // Entries come back as copies: match them by their unique (tsNs, message, level) to the oracle.
    expect(got.entries.map((x) => x.message + '|' + x.tsNs)).toEqual(
      want.slice(0, compileLogQuery(query).limit).map((s) => {
        const x = all.entries[all.seqs.indexOf(s)];
        return x.message + '|' + x.tsNs;
      }),
    );
    const { limit: _l, order: _o, ...filter } = query;
    expect((await e.count(filter)).total).toBe(want.length);
  }
}

interface Row {
  id: number;
  count: number;
  mask: number;
  codec: number;
  t_min_ns: bigint;
}

function rows(e: LogsEngine): Row[] {
  return e.db.prepare('SELECT id, count, mask, codec, t_min_ns FROM blocks ORDER BY id').safeIntegers(false).all() as Row[];
}

/** Segment files hold (almost) only live blocks: short-lived compaction output does not leave holes. */
function expectLittleDeadSpace(e: LogsEngine, root: string): void {
  const live = e.index.liveBytesByFile();
  const files = (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.seg'));
  expect(files.length).toBeGreaterThan(0);
  for (const f of files) {
    const size = fs.statSync(path.join(root, f)).size;
    const used = live.get(f.split(path.sep).join('/')) ?? 0;
    expect(used).toBeGreaterThan(0);
    expect(size - used).toBeLessThanOrEqual(Math.max(64 * 1024, size / 4));
  }
}

describe('logs compaction of RAW blocks', () => {
  it('converts RAW blocks left by a stopped engine into single-class columnar blocks, answering the same', async () => {
    const t = tempDir('logs-compact-raw');
    const root = path.join(t.dir, 'logs');
    try {
      const { chunks, all } = chunksOf(3, 3000, 400);
      await injectRaw(root, chunks);
      const e = await LogsEngine.open({ root, pool, options: OPTS });
      expect(rows(e).every((r) => r.codec === CODEC_LOG_RAW_V1)).toBe(true);
      await expectAnswers(e, all); // the RAW read path, through the engine
      const rawBytes = e.index.totals().rawBytes;
      const report = await e.compactNow();
      // The entries' record bytes (the ratio's "raw" in stats) are the same in the new blocks.
      expect(e.index.totals().rawBytes).toBe(rawBytes);
      expect(report.blocksIn).toBe(chunks.length);
      const after = rows(e);
      expect(after.some((r) => r.codec === CODEC_LOG_RAW_V1)).toBe(false);
      // Each block holds one severity class, within its size target.
      for (const r of after) {
        const k = classOfMask(r.mask);
        expect(k).toBeGreaterThanOrEqual(0);
        expect(r.count).toBeLessThanOrEqual(Math.max(CLASS_BLOCK_ENTRIES[k], RECENT_BLOCK_ENTRIES));
      }
      expect(after.reduce((s, r) => s + r.count, 0)).toBe(3000);
      // The RAW blocks' files held nothing live any more: deleted whole.
      expect(fs.readdirSync(path.join(root, 'segments'), { recursive: true }).filter((f) => String(f).endsWith('.seg'))).toEqual([]);
      await expectAnswers(e, all);
      expectLittleDeadSpace(e, root);
      // Nothing left to do: a second run changes nothing.
      expect(await e.compactNow()).toMatchObject({ groups: 0, blocksIn: 0, blocksOut: 0 });
      expect(rows(e)).toEqual(after);

      // A minLevel=error query reads only error/fatal blocks.
      const errorBlocks = after.filter((r) => classOfMask(r.mask) === 2).length;
      expect(errorBlocks).toBeGreaterThan(0);
      expect(errorBlocks).toBeLessThan(after.length / 2);
      const errors = await e.query({ minLevel: 'error', limit: 10_000 });
      expect(errors.blocksScanned).toBe(errorBlocks);
      await e.close();

      const again = await LogsEngine.open({ root, pool, options: OPTS });
      await expectAnswers(again, all);
      await again.close();
    } finally {
      t.remove();
    }
  });

  it('compacts after a crash that left RAW blocks and an uncommitted compaction output', async () => {
    const t = tempDir('logs-compact-crash');
    const root = path.join(t.dir, 'logs');
    try {
      const { chunks, all } = chunksOf(8, 2000, 300);
      await injectRaw(root, chunks);
      // A compaction that wrote its output and died before its commit: bytes no row points at.
      const segments = await SegmentSet.open(root, 1 << 20);
      const orphan = segments.allocate(DAY, 4096, true);
      writeAt(path.join(root, orphan.file), orphan.offset, new Uint8Array(4096).fill(7));
      expect(fs.existsSync(path.join(root, orphan.file))).toBe(true);

      const e = await LogsEngine.open({ root, pool, options: OPTS });
      expect(fs.existsSync(path.join(root, orphan.file))).toBe(false);
      await expectAnswers(e, all);
      // Entries written after the reopen continue the sequence and compact with the rest.
      e.writeBatch([{ message: 'after the crash', level: 'fatal', tsNs: 1_700_000_000_900_000_000n }]);
      await e.sealNow();
      await e.compactNow();
      expect(rows(e).some((r) => r.codec === CODEC_LOG_RAW_V1 || classOfMask(r.mask) < 0)).toBe(false);
      const fatal = await e.query({ search: 'after the crash' });
      expect(fatal.entries.map((x) => x.message)).toEqual(['after the crash']);
      expect((await e.count({})).total).toBe(2001);
      await e.close();
    } finally {
      t.remove();
    }
  });

  it('skips a corrupt RAW block: reported, never rewritten, the rest converted', async () => {
    const t = tempDir('logs-compact-corrupt');
    const root = path.join(t.dir, 'logs');
    try {
      const { chunks, all } = chunksOf(12, 1500, 300);
      await injectRaw(root, chunks);
      const victim = chunks[2];
      const e0 = await LogsEngine.open({ root, pool, options: OPTS });
      const bad = e0.db
        .prepare('SELECT s.path AS file, b.offset, b.length FROM blocks b JOIN segments s ON s.id = b.segment_id WHERE b.min_seq = ?')
        .get(victim.seqs[0]) as { file: string; offset: number; length: number };
      await e0.close();
      const abs = path.join(root, bad.file);
      const bytes = fs.readFileSync(abs);
      bytes[bad.offset + bad.length - 4] ^= 0x20;
      fs.writeFileSync(abs, bytes);
      const before = Buffer.from(bytes.subarray(bad.offset, bad.offset + bad.length));

      const e = await LogsEngine.open({ root, pool, options: { ...OPTS, log: () => {} } });
      const report = await e.compactNow();
      expect(report.blocksIn).toBe(chunks.length - 1);
      const left = rows(e).filter((r) => r.codec === CODEC_LOG_RAW_V1);
      expect(left.map((r) => r.count)).toEqual([victim.entries.length]);
      expect(fs.readFileSync(abs).subarray(bad.offset, bad.offset + bad.length).equals(before)).toBe(true);
      const healthy: Chunk = { entries: all.entries.filter((x) => !victim.entries.includes(x)), seqs: all.seqs.filter((s) => !victim.seqs.includes(s)) };
      const got = await e.query({ limit: 10_000 });
      expect(got.skipped.map((s) => s.code)).toEqual(['CORRUPT_BLOCK']);
      expect(got.entries).toHaveLength(healthy.entries.length);
      expect((await e.stats()).corruptBlocks).toBe(1);
      await e.close();
    } finally {
      t.remove();
    }
  });
});

describe('recent-tier block size', () => {
  it('fills about RECENT_BLOCK_RAW_BYTES of records per block, between 256 and the cap', () => {
    const at = (bytesPerEntry: number) => recentBlockEntries([{ count: 1000, rawBytes: 1000 * bytesPerEntry }]);
    // The standard workload's entries (~465 record bytes) keep 256-entry blocks.
    expect(at(465)).toBe(RECENT_BLOCK_ENTRIES);
    expect(at(2_000)).toBe(RECENT_BLOCK_ENTRIES);
    // Short plain-text lines (dpkg.log: ~145 record bytes) get as many as fill the byte budget.
    expect(at(145)).toBe(Math.floor(RECENT_BLOCK_RAW_BYTES / 145));
    expect(at(145)).toBeGreaterThan(RECENT_BLOCK_ENTRIES);
    expect(at(10)).toBe(RECENT_BLOCK_MAX_ENTRIES);
    // The group's average, over its rows.
    expect(recentBlockEntries([{ count: 100, rawBytes: 100 * 100 }, { count: 300, rawBytes: 300 * 140 }])).toBe(Math.floor(RECENT_BLOCK_RAW_BYTES / 130));
    expect(recentBlockEntries([])).toBe(RECENT_BLOCK_ENTRIES);
  });

  /** `n` info lines of about `chars` characters each, 10 ms apart, through the engine's write path. */
  function lines(n: number, chars: number, seed: number): LogInput[] {
    const out: LogInput[] = [];
    for (let i = 0; i < n; i++) {
      const words = [`2023-11-14 10:${String(i % 60).padStart(2, '0')}:00`, i % 3 ? 'status' : 'configure', `pkg${(i * 7919 + seed) % 97}:amd64`, `${i}.${seed}`];
      let m = words.join(' ');
      while (m.length < chars) m += ` w${(m.length * 31 + i) % 1000}`;
      out.push({ message: m.slice(0, chars), level: 'info', tsNs: 1_700_000_000_000_000_000n + BigInt(i) * 10_000_000n });
    }
    return out;
  }

  async function compactedRows(n: number, chars: number): Promise<{ rows: Row[]; recentTarget: number; messages: string[] }> {
    const t = tempDir('logs-recent-size');
    const root = path.join(t.dir, 'logs');
    try {
      const e = await LogsEngine.open({ root, pool, options: OPTS });
      const inputs = lines(n, chars, n);
      e.writeBatch(inputs);
      await e.sealNow();
      const raw = e.index.totals();
      const recentTarget = recentBlockEntries([{ count: raw.count, rawBytes: raw.rawBytes }]);
      await e.compactNow();
      const rows_ = rows(e);
      const page = await e.query({ limit: 10_000, order: 'asc' });
      expect(page.skipped).toEqual([]);
      await e.close();
      return { rows: rows_, recentTarget, messages: page.entries.map((x) => x.message) };
    } finally {
      t.remove();
    }
  }

  it('stores short lines in fewer, bigger recent blocks, and reads them back the same', async () => {
    const n = 3_000; // < RECENT_EVENTS: every entry is recent
    expect(n).toBeLessThan(RECENT_EVENTS);
    const { rows: got, recentTarget, messages } = await compactedRows(n, 60);
    expect(recentTarget).toBeGreaterThan(2 * RECENT_BLOCK_ENTRIES);
    // Balanced blocks of at most the target: ceil(n / target) of them, not ceil(n / 256).
    expect(got).toHaveLength(Math.ceil(n / recentTarget));
    expect(got.length).toBeLessThan(Math.ceil(n / RECENT_BLOCK_ENTRIES));
    for (const r of got) expect(r.count).toBeLessThanOrEqual(recentTarget);
    expect(messages).toEqual(lines(n, 60, n).map((x) => x.message));
  });

  it('keeps 256-entry recent blocks for long entries', async () => {
    const n = 1_000;
    const { rows: got, recentTarget } = await compactedRows(n, 600);
    expect(recentTarget).toBe(RECENT_BLOCK_ENTRIES);
    expect(got).toHaveLength(Math.ceil(n / RECENT_BLOCK_ENTRIES));
  });
});
