// The write/seal path of the logs engine: RAW seal blocks (schema.ts CODEC_LOG_RAW_V1) hold the
// chunk's entry records as they are, and their index rows carry the meta the hot chunk collected on
// the main thread — the same count, time range, level mask, terms and keys the columnar encoder
// computes for the same entries, and no filter (NULL). compactNow() leaves the store at rest: no WAL
// bytes, index.db-wal truncated.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Timeless } from '../src/index.js';
import { encodeLogBlock } from '../src/logs/codec/block.js';
import { decodeEntryRecords } from '../src/logs/codec/entry-record.js';
import type { LogsEngineOptions } from '../src/logs/engine.js';
import { checkResource, normalizeLogInput } from '../src/logs/normalize.js';
import { CODEC_LOG_RAW_V1 } from '../src/logs/schema.js';
import type { LogInput } from '../src/logs/types.js';
import { createPool, type Pool } from '../src/pool/pool.js';
import { parseBlock } from '../src/storage/block.js';
import { tempDir } from './metrics-helpers.js';
import { makeInputs, plainEntries, T0_MS } from './logs-helpers.js';

const RESOURCE = { 'service.name': 'svc', 'host.name': 'h1' };
const INDEXED = ['http.route', 'service.name', 'nested'];

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
    logs: { resource: RESOURCE, sealIntervalMs: 0, compaction: false, indexedAttributes: INDEXED, ...logs },
    retention: { intervalSec: 0 },
  });
}

interface Row {
  id: number;
  file: string;
  offset: number;
  length: number;
  count: number;
  codec: number;
  mask: number;
  t_min_ns: bigint;
  t_max_ns: bigint;
  raw_bytes: number;
  min_seq: number;
  max_seq: number;
  filter: Uint8Array | null;
}

function readRows(dir: string): { rows: Row[]; terms: Map<number, string[]>; keys: string[] } {
  const db = new Database(path.join(dir, 'logs', 'index.db'), { readonly: true });
  try {
    db.defaultSafeIntegers(false);
    const rows = db
      .prepare(
        `SELECT b.id, s.path AS file, b.offset, b.length, b.count, b.codec, b.mask, b.t_min_ns, b.t_max_ns, b.raw_bytes,
                b.min_seq, b.max_seq, b.filter FROM blocks b JOIN segments s ON s.id = b.segment_id ORDER BY b.id`,
      )
      .safeIntegers(true)
      .all() as Row[];
    const terms = new Map<number, string[]>();
    for (const t of db.prepare('SELECT term, block_id FROM terms ORDER BY term').all() as Array<{ term: string; block_id: number }>) {
      const list = terms.get(t.block_id) ?? [];
      list.push(t.term);
      terms.set(t.block_id, list);
    }
    const keys = (db.prepare('SELECT key FROM keys ORDER BY key').all() as Array<{ key: string }>).map((k) => k.key);
    return { rows: rows.map((r) => ({ ...r, id: Number(r.id), offset: Number(r.offset), length: Number(r.length), count: Number(r.count), codec: Number(r.codec), mask: Number(r.mask), raw_bytes: Number(r.raw_bytes), min_seq: Number(r.min_seq), max_seq: Number(r.max_seq) })), terms, keys };
  } finally {
    db.close();
  }
}

/** Inputs with several resource objects (shared, as apps pass them) and attributes shadowing the resource. */
function inputsWithResources(seed: number, n: number, startMs: number): LogInput[] {
  const resA = { 'service.name': 'api', 'host.name': 'h2', 'service.version': '1.2' };
  const resB = { 'service.name': 'worker' };
  return makeInputs(seed, n, { startMs, tag: `s${seed}` }).map((input, i) => {
    const out: LogInput = { ...input, resource: i % 3 === 0 ? resA : i % 3 === 1 ? resB : undefined };
    if (i % 7 === 0) out.attributes = { ...input.attributes, 'service.name': i % 14 === 0 ? 'from-attr' : null, [`k${i % 4}`]: 'x'.repeat(i % 2 ? 3 : 250) };
    return out;
  });
}

describe('logs seal path', () => {
  it('seals RAW blocks whose rows carry the columnar encoder\'s meta and no filter, and whose payload is the records', async () => {
    const t = tempDir('logs-seal-raw');
    try {
      const tl = await open(t.dir, { sealFormat: 'raw' });
      const chunks: LogInput[][] = [inputsWithResources(1, 300, T0_MS), inputsWithResources(2, 5, T0_MS + 60_000)];
      for (const inputs of chunks) {
        tl.logs.writeBatch(inputs);
        await tl.logs.sealNow();
      }
      const { rows, terms, keys } = readRows(t.dir);
      expect(rows).toHaveLength(2);
      const res = checkResource(RESOURCE, 'resource');
      const allKeys = new Set<string>();
      let seq = 1;
      rows.forEach((row, k) => {
        const entries = chunks[k].map((input) => normalizeLogInput(input, res, () => 0n));
        const seqs = Float64Array.from(entries, () => seq++);
        const { meta } = encodeLogBlock(entries, seqs, 'fast', { indexedAttributes: INDEXED });
        expect(row.codec).toBe(CODEC_LOG_RAW_V1);
        expect(row.filter).toBeNull();
        expect(row.count).toBe(meta.count);
        expect(row.mask).toBe(meta.levelMask);
        expect(BigInt(row.t_min_ns)).toBe(meta.tMinNs);
        expect(BigInt(row.t_max_ns)).toBe(meta.tMaxNs);
        expect(row.min_seq).toBe(seqs[0]);
        expect(row.max_seq).toBe(seqs[seqs.length - 1]);
        expect(terms.get(row.id) ?? []).toEqual(meta.terms);
        for (const key of meta.keys) allKeys.add(key);
        // The payload is the chunk's entry records, in write order.
        const fileBytes = fs.readFileSync(path.join(t.dir, 'logs', row.file));
        const { header, payload } = parseBlock(fileBytes.subarray(row.offset, row.offset + row.length));
        expect(header.count).toBe(entries.length);
        expect(row.raw_bytes).toBe(payload.length);
        const decoded = decodeEntryRecords(payload);
        expect([...decoded.seqs]).toEqual([...seqs]);
        expect(plainEntries(decoded.entries)).toEqual(plainEntries(entries));
      });
      expect(keys).toEqual([...allKeys].sort());
      // Sanity of the fixture: shadowing, long values and several resources all occur.
      const all = [...terms.values()].flat();
      expect(all).toContain('attr:service.name=from-attr');
      expect(all).toContain('service=worker');
      expect(all).toContain('host=h2');
      expect(keys).toContain('service.version');
      expect(all.some((x) => x.startsWith('attr:k'))).toBe(false);
      await tl.close();
    } finally {
      t.remove();
    }
  });

  it('answers every query the same from RAW blocks, from columnar blocks and after RAW blocks are compacted', async () => {
    const tRaw = tempDir('logs-seal-same-raw');
    const tCol = tempDir('logs-seal-same-col');
    try {
      const raw = await open(tRaw.dir, { sealFormat: 'raw' });
      const col = await open(tCol.dir, { sealFormat: 'columnar' });
      for (let k = 0; k < 6; k++) {
        const inputs = inputsWithResources(40 + k, 400, T0_MS + k * 3000);
        for (const tl of [raw, col]) {
          tl.logs.writeBatch(inputs);
          await tl.logs.sealNow();
        }
      }
      // A hot tail on top, the same in both.
      const hot = inputsWithResources(60, 50, T0_MS + 30_000);
      raw.logs.writeBatch(hot);
      col.logs.writeBatch(hot);
      const traceId = hot.find((x) => x.traceId)!.traceId!.toLowerCase();
      const queries = [
        {},
        { order: 'asc' as const, limit: 333 },
        { minLevel: 'error' as const, limit: 1000 },
        { search: 'econnrefused', limit: 1000 },
        { tokens: ['timeout'], limit: 1000 },
        { attributes: { 'http.route': '/health' }, limit: 1000 },
        { attributes: { 'service.name': 'from-attr' }, limit: 1000 },
        { service: 'worker', host: 'h1', limit: 1000 },
        { service: 'api', limit: 1000 },
        { fromMs: T0_MS + 4000, toMs: T0_MS + 9000, order: 'asc' as const, limit: 10_000 },
        { traceId },
      ];
      const answers = async (tl: Timeless) => {
        const out: unknown[] = [];
        for (const q of queries) {
          const r = await tl.logs.query(q);
          expect(r.skipped).toEqual([]);
          const c = await tl.logs.count({ ...q, limit: undefined, order: undefined });
          out.push({ entries: plainEntries(r.entries), cursor: r.cursor, total: c.total, byLevel: c.byLevel });
        }
        out.push({ fields: [...tl.logs.fields()].sort() });
        return out;
      };
      const want = await answers(col);
      expect(readRows(tRaw.dir).rows.every((r) => r.codec === CODEC_LOG_RAW_V1)).toBe(true);
      expect(await answers(raw)).toEqual(want);
      await raw.logs.compactNow();
      expect(readRows(tRaw.dir).rows.some((r) => r.codec === CODEC_LOG_RAW_V1)).toBe(false);
      // compactNow() sealed the hot tail too: the answers stay the same.
      expect(await answers(raw)).toEqual(want);
      await raw.close();
      await col.close();
    } finally {
      tRaw.remove();
      tCol.remove();
    }
  });

  it('reports a RAW block with a flipped byte in `skipped` and answers the rest', async () => {
    const t = tempDir('logs-seal-corrupt-raw');
    const warnings: string[] = [];
    try {
      const tl = await open(t.dir, { sealFormat: 'raw', log: (m) => warnings.push(m) });
      for (let k = 0; k < 4; k++) {
        tl.logs.writeBatch(makeInputs(70 + k, 150, { startMs: T0_MS + k * 10_000, tag: `r${k}` }));
        await tl.logs.sealNow();
      }
      const { rows } = readRows(t.dir);
      expect(rows.map((r) => r.codec)).toEqual([CODEC_LOG_RAW_V1, CODEC_LOG_RAW_V1, CODEC_LOG_RAW_V1, CODEC_LOG_RAW_V1]);
      const bad = rows[1];
      const abs = path.join(t.dir, 'logs', bad.file);
      const fd = fs.openSync(abs, 'r+');
      const byte = Buffer.alloc(1);
      // Inside the payload (a message byte of some record), past the 40-byte frame header.
      const at = bad.offset + Math.floor(bad.length / 2);
      fs.readSync(fd, byte, 0, 1, at);
      byte[0] ^= 0x04;
      fs.writeSync(fd, byte, 0, 1, at);
      fs.closeSync(fd);
      const r = await tl.logs.query({ limit: 10_000 });
      expect(r.entries).toHaveLength(450);
      expect(r.entries.some((e) => e.message.startsWith('r1 '))).toBe(false);
      expect(r.skipped).toHaveLength(1);
      expect(r.skipped[0]).toMatchObject({ file: bad.file, offset: bad.offset, code: 'CORRUPT_BLOCK' });
      const c = await tl.logs.count({});
      expect(c.total).toBe(450);
      expect(c.skipped).toHaveLength(1);
      expect((await tl.logs.stats()).corruptBlocks).toBe(1);
      expect(warnings.filter((m) => m.includes('corrupt block'))).toHaveLength(1);
      await tl.close();
    } finally {
      t.remove();
    }
  });

  it('converts committed RAW blocks in the background when compaction is on', async () => {
    const t = tempDir('logs-seal-background');
    try {
      const tl = await open(t.dir, { sealFormat: 'raw', compaction: true, compactIntervalMs: 3_600_000 });
      for (let k = 0; k < 3; k++) {
        tl.logs.writeBatch(makeInputs(80 + k, 300, { startMs: T0_MS + k * 10_000, tag: `g${k}` }));
        await tl.logs.sealNow();
      }
      expect(readRows(t.dir).rows.length).toBeGreaterThan(0);
      // No compactNow(): the commits asked for a run (the hourly timer is far away).
      const rawLeft = () => readRows(t.dir).rows.filter((r) => r.codec === CODEC_LOG_RAW_V1).length;
      for (let i = 0; i < 300 && rawLeft() > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(rawLeft()).toBe(0);
      expect((await tl.logs.count({})).total).toBe(900);
      await tl.close();
    } finally {
      t.remove();
    }
  });

  it('leaves no WAL bytes and a truncated index.db-wal after compactNow()', async () => {
    for (const sealFormat of ['raw', 'columnar'] as const) {
      const t = tempDir(`logs-seal-rest-${sealFormat}`);
      try {
        const tl = await open(t.dir, { sealFormat });
        for (let k = 0; k < 4; k++) {
          tl.logs.writeBatch(makeInputs(20 + k, 2000, { startMs: T0_MS + k * 20_000, tag: `w${k}` }));
          await tl.logs.flush();
        }
        // Some sealed before, some still hot: compactNow seals them too.
        await tl.logs.sealNow();
        tl.logs.writeBatch(makeInputs(30, 500, { startMs: T0_MS + 100_000, tag: 'late' }));
        await tl.logs.flush();
        await tl.logs.compactNow();
        const stats = await tl.logs.stats();
        expect(stats.hotEntries).toBe(0);
        expect(stats.entries).toBe(8500);
        expect(stats.walBytes, sealFormat).toBe(0);
        const walDir = path.join(t.dir, 'logs', 'wal');
        const walFileBytes = fs.readdirSync(walDir).map((f) => fs.statSync(path.join(walDir, f)).size);
        expect(walFileBytes.reduce((a, b) => a + b, 0), sealFormat).toBe(0);
        const indexWal = path.join(t.dir, 'logs', 'index.db-wal');
        expect(fs.existsSync(indexWal) ? fs.statSync(indexWal).size : 0, sealFormat).toBe(0);
        // Still all there after a reopen (nothing needed from the dropped WAL).
        await tl.close();
        const again = await open(t.dir, { sealFormat });
        expect((await again.logs.stats()).entries).toBe(8500);
        expect((await again.logs.count({})).total).toBe(8500);
        await again.close();
      } finally {
        t.remove();
      }
    }
  });

  it('keeps the spare chunk buffers of a burst while it lasts, and two once a seal tick finds the store idle', async () => {
    const t = tempDir('logs-spare');
    const tl = await open(t.dir, { sealEntries: 200, sealIntervalMs: 20 });
    try {
      const hot = (tl as unknown as { logsEngine: { hot: { spareBuffers: number; sealing: unknown[] } } }).logsEngine.hot;
      // A burst: many chunks cut while earlier ones seal, each committed chunk's buffer kept.
      let maxSealing = 0;
      for (let k = 0; k < 12; k++) {
        tl.logs.writeBatch(makeInputs(60 + k, 1000, { startMs: T0_MS + k * 10_000 }));
        maxSealing = Math.max(maxSealing, hot.sealing.length);
      }
      await tl.logs.flush();
      await (tl as unknown as { logsEngine: { sealNow(): Promise<void> } }).logsEngine.sealNow();
      expect(maxSealing).toBeGreaterThan(2);
      expect(hot.spareBuffers).toBeGreaterThan(2);
      // No write for a few seal ticks: the next tick with no cut trims them to two.
      await new Promise((r) => setTimeout(r, 200));
      expect(hot.spareBuffers).toBe(2);
      expect((await tl.logs.query({ fromMs: T0_MS, toMs: T0_MS + 200_000, limit: 1 })).entries).toHaveLength(1);
    } finally {
      await tl.close();
      t.remove();
    }
  });
});
