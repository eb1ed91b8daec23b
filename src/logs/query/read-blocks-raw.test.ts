// RAW blocks (schema.ts CODEC_LOG_RAW_V1) through readLogBlocks: the same entries framed RAW and
// columnar must answer the same pages, cursors and counts; a damaged RAW block is skipped.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageInTwoBatches, seededEntries } from '../../../test/logs-query-fixtures.js';
import { Prng } from '../../../bench/gen/prng.js';
import { encodeLogBlock } from '../codec/block.js';
import { decodeEntryRecords, EntryRecordWriter } from '../codec/entry-record.js';
import { frameBlock } from '../../storage/block.js';
import { CODEC_LOG_RAW_V1, KIND_LOG_BLOCK } from '../schema.js';
import type { LogEntry, LogQuery } from '../types.js';
import { compileLogQuery } from './compile.js';
import { compareKeys, isAfterCursor } from './cursor.js';
import { makeMatcher } from './matcher.js';
import { readLogBlocks, type LogBlockRef } from './read-blocks.js';
import { ceilMs, floorMs } from './time.js';

interface Stored {
  ref: LogBlockRef;
  entries: LogEntry[];
  seqs: number[];
}

let dir: string;
let columnar: Stored[];
let raw: Stored[];
/** Odd blocks RAW, even ones columnar (a store whose compaction is half done). */
let mixed: Stored[];

function frame(count: number, entries: LogEntry[], payload: Uint8Array): Uint8Array {
  let tMin = entries[0].tsNs;
  let tMax = tMin;
  for (const e of entries) {
    if (e.tsNs < tMin) tMin = e.tsNs;
    if (e.tsNs > tMax) tMax = e.tsNs;
  }
  return frameBlock({ kind: KIND_LOG_BLOCK, ownerId: 0, count, tMinMs: floorMs(tMin), tMaxMs: ceilMs(tMax) }, payload);
}

function rawPayload(entries: LogEntry[], seqs: number[]): Uint8Array {
  // Chained resources, as hot chunks write them (consecutive entries sharing a resource object).
  const w = new EntryRecordWriter(1 << 16, false, true);
  entries.forEach((e, i) => w.append(e, seqs[i]));
  return new Uint8Array(w.bytes());
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logs-read-raw-'));
  // Seeded entries come in seq order with times that jump back and forth (RAW records are not
  // time-sorted); the second half is re-timed in order (the common case: a clock writing in order).
  const { entries, seqs } = seededEntries(23, 2000);
  for (let i = 1000; i < 2000; i++) entries[i] = { ...entries[i], tsNs: 1_700_000_001_000_000_000n + BigInt(i) * 1_000_000n + BigInt(i % 3) };
  const rng = new Prng(9);
  columnar = [];
  raw = [];
  const colFile = path.join(dir, 'col.seg');
  const rawFile = path.join(dir, 'raw.seg');
  const colParts: Uint8Array[] = [];
  const rawParts: Uint8Array[] = [];
  let colAt = 0;
  let rawAt = 0;
  let id = 1;
  for (let i = 0; i < entries.length; id++) {
    const n = rng.int(1, 300);
    const e = entries.slice(i, i + n);
    const s = seqs.slice(i, i + n);
    i += n;
    const c = frame(e.length, e, encodeLogBlock(e, Float64Array.from(s), 'fast').payload);
    columnar.push({ ref: { id, file: colFile, offset: colAt, length: c.length }, entries: e, seqs: s });
    colParts.push(c);
    colAt += c.length;
    const r = frame(e.length, e, rawPayload(e, s));
    raw.push({ ref: { id, file: rawFile, offset: rawAt, length: r.length, codec: CODEC_LOG_RAW_V1 }, entries: e, seqs: s });
    rawParts.push(r);
    rawAt += r.length;
  }
  fs.writeFileSync(colFile, Buffer.concat(colParts));
  fs.writeFileSync(rawFile, Buffer.concat(rawParts));
  mixed = columnar.map((c, k) => (k % 2 === 1 ? raw[k] : c));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function oracle(blocks: Stored[], query: LogQuery): number[] {
  const q = compileLogQuery(query);
  const matches = makeMatcher(q);
  const all = blocks.flatMap((b) => b.entries.map((entry, i) => ({ entry, seq: b.seqs[i] })));
  const sign = q.order === 'desc' ? -1 : 1;
  return all
    .filter((m) => (!q.after || isAfterCursor(q.after, m.entry.tsNs, m.seq)) && matches(m.entry))
    .sort((a, b) => sign * compareKeys(a.entry.tsNs, a.seq, b.entry.tsNs, b.seq))
    .map((m) => m.seq);
}

function run(blocks: Stored[], query: LogQuery) {
  const q = compileLogQuery(query);
  const out = readLogBlocks({ blocks: blocks.map((b) => b.ref), query: q, limit: q.limit });
  return { out, ...decodeEntryRecords(out.records) };
}

const QUERIES: LogQuery[] = [
  {},
  { limit: 3 },
  { minLevel: 'error', limit: 40 },
  { search: 'USER', limit: 20 },
  { tokens: ['ok'], attributes: { status: 200 }, limit: 10 },
  { attributes: { region: 'eu' }, limit: 500 },
  { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', service: 'api', limit: 7 },
  { fromNs: 1_700_000_000_000_050_000n, toNs: 1_700_000_002_500_000_000n, minLevel: 'warn', limit: 1000 },
  { fromNs: 1_700_000_002_900_000_000n, limit: 5 },
];

describe('readLogBlocks on RAW blocks', () => {
  it('answers every query exactly as the columnar blocks do (and as brute force)', () => {
    for (const order of ['desc', 'asc'] as const) {
      for (const base of QUERIES) {
        const query = { ...base, order };
        const want = oracle(columnar, query);
        expect(want.length).toBeGreaterThan(0);
        const limit = compileLogQuery(query).limit;
        const col = run(columnar, query);
        for (const blocks of [raw, mixed]) {
          const got = run(blocks, query);
          expect(got.out.skipped).toEqual([]);
          expect(got.out.blocksScanned).toBe(blocks.length);
          expect([...got.seqs]).toEqual(want.slice(0, limit));
          expect(got.entries).toEqual(col.entries);
          expect(got.out.truncated).toBe(want.length > limit);
        }
      }
    }
  });

  it('pages through every match once with cursors, split over two batches', () => {
    for (const order of ['desc', 'asc'] as const) {
      for (const blocks of [raw, mixed]) {
        const query: LogQuery = { minLevel: 'debug', order, limit: 61 };
        expect(pageInTwoBatches(blocks.map((b) => b.ref), query)).toEqual(oracle(columnar, query));
      }
    }
  });

  it('counts like the columnar blocks, per level, with and without decoding records', () => {
    for (const query of [{}, { minLevel: 'warn' }, { search: 'e' }, { attributes: { status: 404 } }, { fromNs: 1_700_000_002_700_000_000n }] as LogQuery[]) {
      const q = compileLogQuery(query);
      const col = readLogBlocks({ blocks: columnar.map((b) => b.ref), query: q, limit: 0, countOnly: true });
      expect(col.count).toBe(oracle(columnar, query).length);
      for (const blocks of [raw, mixed]) {
        const out = readLogBlocks({ blocks: blocks.map((b) => b.ref), query: q, limit: 0, countOnly: true });
        expect(out.count).toBe(col.count);
        expect(out.byLevel).toEqual(col.byLevel);
      }
    }
  });

  it('skips a RAW block with a flipped byte, or whose header count lies, and answers from the rest', () => {
    const victim = raw[3];
    const copy = path.join(dir, 'raw-flipped.seg');
    const bytes = fs.readFileSync(victim.ref.file);
    bytes[victim.ref.offset + victim.ref.length - 2] ^= 0x08;
    fs.writeFileSync(copy, bytes);
    const relocated = raw.map((b) => (b === victim ? { ...b, ref: { ...b.ref, file: copy } } : b));
    const query: LogQuery = { limit: 10_000, order: 'asc' };
    const { out, seqs } = run(relocated, query);
    expect(out.skipped.map((s) => [s.id, s.code])).toEqual([[victim.ref.id, 'CORRUPT_BLOCK']]);
    expect(out.skipped[0].message).toMatch(/crc/);
    expect([...seqs]).toEqual(oracle(raw.filter((b) => b !== victim), query));

    const b = raw[1];
    const payload = fs.readFileSync(b.ref.file).subarray(b.ref.offset + 40, b.ref.offset + b.ref.length);
    for (const count of [b.entries.length + 1, b.entries.length - 1]) {
      const lying = frameBlock({ kind: KIND_LOG_BLOCK, ownerId: 0, count, tMinMs: 0, tMaxMs: 0 }, payload);
      const file = path.join(dir, `lying-${count}.seg`);
      fs.writeFileSync(file, lying);
      const res = readLogBlocks({ blocks: [{ id: 7, file, offset: 0, length: lying.length, codec: CODEC_LOG_RAW_V1 }], query: compileLogQuery({}), limit: 10 });
      expect(res.skipped.map((s) => s.code)).toEqual(['CORRUPT']);
      expect(res.records.length).toBe(0);
    }
    // Records cut inside (a frame with a valid crc over a truncated payload).
    const cut = frameBlock({ kind: KIND_LOG_BLOCK, ownerId: 0, count: b.entries.length, tMinMs: 0, tMaxMs: 0 }, payload.subarray(0, payload.length - 5));
    const cutFile = path.join(dir, 'cut.seg');
    fs.writeFileSync(cutFile, cut);
    const res = readLogBlocks({ blocks: [{ id: 8, file: cutFile, offset: 0, length: cut.length, codec: CODEC_LOG_RAW_V1 }], query: compileLogQuery({}), limit: 10 });
    expect(res.skipped.map((s) => s.code)).toEqual(['TRUNCATED']);
  });
});
