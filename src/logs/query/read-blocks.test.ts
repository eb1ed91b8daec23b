import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageInTwoBatches, seededEntries } from '../../../test/logs-query-fixtures.js';
import { Prng } from '../../../bench/gen/prng.js';
import { encodeLogBlock } from '../codec/block.js';
import { decodeEntryRecords } from '../codec/entry-record.js';
import { frameBlock } from '../../storage/block.js';
import { KIND_LOG_BLOCK } from '../schema.js';
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
let stored: Stored[];

/** Seeded entries as real framed blocks, back to back in two segment files. */
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logs-read-blocks-'));
  const { entries, seqs } = seededEntries(11, 1500);
  const rng = new Prng(5);
  stored = [];
  const files = [path.join(dir, 'a.seg'), path.join(dir, 'b.seg')];
  const parts: Uint8Array[][] = [[], []];
  const sizes = [0, 0];
  let id = 1;
  for (let i = 0; i < entries.length; ) {
    const n = rng.int(1, 200);
    const e = entries.slice(i, i + n);
    const s = seqs.slice(i, i + n);
    const { payload, meta } = encodeLogBlock(e, Float64Array.from(s), 'fast');
    const framed = frameBlock({ kind: KIND_LOG_BLOCK, ownerId: 0, count: meta.count, tMinMs: floorMs(meta.tMinNs), tMaxMs: ceilMs(meta.tMaxNs) }, payload);
    const f = id % 3 === 0 ? 1 : 0;
    stored.push({ ref: { id, file: files[f], offset: sizes[f], length: framed.length }, entries: e, seqs: s });
    parts[f].push(framed);
    sizes[f] += framed.length;
    // A gap now and then: some neighbours are read together, others not.
    if (rng.int(0, 3) === 0) {
      const gap = new Uint8Array(rng.int(1, 20_000));
      parts[f].push(gap);
      sizes[f] += gap.length;
    }
    id++;
    i += n;
  }
  files.forEach((f, k) => fs.writeFileSync(f, Buffer.concat(parts[k])));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Brute force over the in-memory entries: the matches after the cursor, in order. */
function oracle(blocks: Stored[], query: LogQuery): Array<{ tsNs: bigint; seq: number; entry: LogEntry }> {
  const q = compileLogQuery(query);
  const matches = makeMatcher(q);
  const out = blocks.flatMap((b) => b.entries.map((entry, i) => ({ tsNs: entry.tsNs, seq: b.seqs[i], entry })));
  const sign = q.order === 'desc' ? -1 : 1;
  return out
    .filter((m) => (!q.after || isAfterCursor(q.after, m.tsNs, m.seq)) && matches(m.entry))
    .sort((a, b) => sign * compareKeys(a.tsNs, a.seq, b.tsNs, b.seq));
}

function run(blocks: Stored[], query: LogQuery, limit?: number) {
  const q = compileLogQuery(query);
  const out = readLogBlocks({ blocks: blocks.map((b) => b.ref), query: q, limit: limit ?? q.limit });
  const decoded = decodeEntryRecords(out.records);
  return { out, entries: decoded.entries, seqs: [...decoded.seqs] };
}

const QUERIES: LogQuery[] = [
  {},
  { minLevel: 'warn', limit: 50 },
  { search: 'USER', limit: 20 },
  { tokens: ['ok'], attributes: { status: 200 }, limit: 10 },
  { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', service: 'api', limit: 7 },
  { fromNs: 1_700_000_000_000_050_000n, toNs: 1_700_000_000_000_200_000n, limit: 1000 },
];

describe('readLogBlocks on real framed blocks', () => {
  it('returns the best `limit` matches after the cursor, in order, as entry records', () => {
    for (const order of ['desc', 'asc'] as const) {
      for (const base of QUERIES) {
        const query = { ...base, order };
        const want = oracle(stored, query);
        expect(want.length).toBeGreaterThan(0);
        const limit = compileLogQuery(query).limit;
        const { out, entries, seqs } = run(stored, query);
        expect(out.skipped).toEqual([]);
        expect(out.blocksScanned).toBe(stored.length);
        expect(seqs).toEqual(want.slice(0, limit).map((m) => m.seq));
        expect(entries).toEqual(want.slice(0, limit).map((m) => m.entry));
        expect(out.count).toBe(Math.min(limit, want.length));
        expect(out.truncated).toBe(want.length > limit);
      }
    }
  });

  it('pages through every match exactly once with cursors (both orders)', () => {
    for (const order of ['desc', 'asc'] as const) {
      const query: LogQuery = { minLevel: 'debug', order, limit: 37 };
      const want = oracle(stored, query).map((m) => m.seq);
      // Two worker batches (blocks split in halves), merged as the engine merges them.
      expect(pageInTwoBatches(stored.map((b) => b.ref), query)).toEqual(want);
    }
  });

  it('counts all matches per level when countOnly', () => {
    const query: LogQuery = { search: 'e', cursor: undefined };
    const want = oracle(stored, query);
    const out = readLogBlocks({ blocks: stored.map((b) => b.ref), query: compileLogQuery(query), limit: 0, countOnly: true });
    expect(out.records.length).toBe(0);
    expect(out.count).toBe(want.length);
    const byLevel = [0, 0, 0, 0, 0, 0];
    for (const m of want) byLevel[(m.entry.severityNumber - 1) >> 2]++;
    expect(out.byLevel).toEqual(byLevel);
  });

  it('skips a block with a flipped byte (or an unreadable span) and answers from the rest', () => {
    const victim = stored[4];
    const copy = path.join(dir, 'flipped.seg');
    fs.copyFileSync(victim.ref.file, copy);
    const bytes = fs.readFileSync(copy);
    bytes[victim.ref.offset + victim.ref.length - 3] ^= 0x40; // inside the payload
    fs.writeFileSync(copy, bytes);
    const relocated = stored.map((b) => (b.ref.file === victim.ref.file ? { ...b, ref: { ...b.ref, file: copy } } : b));
    const missing: Stored = { ref: { id: 999, file: path.join(dir, 'missing.seg'), offset: 0, length: 100 }, entries: [], seqs: [] };
    const beyond: Stored = { ref: { id: 998, file: copy, offset: bytes.length - 10, length: 100 }, entries: [], seqs: [] };
    const blocks = [...relocated, missing, beyond];
    const query: LogQuery = { limit: 10_000, order: 'asc' };
    const { out, seqs } = run(blocks, query);
    expect(out.skipped.map((s) => [s.id, s.code])).toEqual([
      [victim.ref.id, 'CORRUPT_BLOCK'],
      [999, 'IO'],
      [998, 'CORRUPT_BLOCK'],
    ]);
    expect(out.skipped[0]).toMatchObject({ file: copy, offset: victim.ref.offset });
    expect(out.skipped[0].message).toMatch(/crc/);
    expect(out.blocksScanned).toBe(stored.length - 1);
    const healthy = stored.filter((b) => b !== victim);
    expect(seqs).toEqual(oracle(healthy, query).map((m) => m.seq));
  });

  it('reports a block whose header count disagrees with its payload', () => {
    const b = stored[1];
    const framed = fs.readFileSync(b.ref.file).subarray(b.ref.offset, b.ref.offset + b.ref.length);
    const payload = framed.subarray(40);
    const lying = frameBlock({ kind: KIND_LOG_BLOCK, ownerId: 0, count: b.entries.length + 1, tMinMs: 0, tMaxMs: 0 }, payload);
    const file = path.join(dir, 'lying.seg');
    fs.writeFileSync(file, lying);
    const out = readLogBlocks({ blocks: [{ id: 7, file, offset: 0, length: lying.length }], query: compileLogQuery({}), limit: 10 });
    expect(out.skipped).toHaveLength(1);
    expect(out.skipped[0].code).toBe('CORRUPT_BLOCK');
    expect(out.records.length).toBe(0);
  });
});
