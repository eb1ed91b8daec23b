// A flipped byte inside a sealed spans block, RAW (seal format) or columnar (compacted): queries
// return everything else and name the bad block in `skipped`; trace() of a trace with spans in it
// names it too and returns the spans of the intact blocks; stats count it (persisted across reopen);
// the block's bytes are never rewritten, not by reads, not by compaction (which leaves a known-corrupt
// block out, and leaves a group alone when it finds one), not on reopen.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Timeless } from '../src/index.js';
import { createPool, type Pool } from '../src/pool/pool.js';
import type { Span } from '../src/traces/types.js';
import { tempDir } from './metrics-helpers.js';
import { inQueryOrder, makeSpans, traceOf } from './traces-helpers.js';

let pool: Pool;
beforeAll(() => {
  pool = createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

interface BlockRow {
  id: number;
  file: string;
  offset: number;
  length: number;
  count: number;
  codec: number;
}

/** CODEC_SPAN_BLOCK_V1 / CODEC_SPAN_RAW_V1 (src/traces/schema.ts): spelled out so a renumbering shows. */
const COLUMNAR = 1;
const RAW = 2;

/** The spans index's block rows in write order. */
function blockRows(dir: string): BlockRow[] {
  const db = new Database(path.join(dir, 'spans', 'index.db'), { readonly: true });
  try {
    return db
      .prepare('SELECT b.id, s.path AS file, b.offset, b.length, b.count, b.codec FROM blocks b JOIN segments s ON s.id = b.segment_id ORDER BY b.min_seq, b.id')
      .all() as BlockRow[];
  } finally {
    db.close();
  }
}

/** Flips one bit of the block's payload (past its 40-byte header) and returns a reader of its bytes. */
function corrupt(dir: string, row: BlockRow): () => Buffer {
  const abs = path.join(dir, 'spans', row.file);
  const fd = fs.openSync(abs, 'r+');
  const byte = Buffer.alloc(1);
  fs.readSync(fd, byte, 0, 1, row.offset + 60);
  byte[0] ^= 0x10;
  fs.writeSync(fd, byte, 0, 1, row.offset + 60);
  fs.closeSync(fd);
  return () => Buffer.from(fs.readFileSync(abs).subarray(row.offset, row.offset + row.length));
}

/** A trace with spans on both sides: in `a` and in `b`. */
function straddling(a: readonly Span[], b: readonly Span[]): string {
  const inB = new Set(b.map((s) => s.traceId));
  const id = a.find((s) => inB.has(s.traceId))?.traceId;
  if (id === undefined) throw new Error('no trace straddles the two parts');
  return id;
}

/**
 * What a store with `bad` (the spans of the damaged block) cut out of `all` must answer, whatever
 * state its intact blocks are in (RAW, compacted, after a reopen).
 */
async function expectAnswersWithout(tl: Timeless, all: readonly Span[], bad: readonly Span[], row: BlockRow, tracesAcross: string[], state: string) {
  const badIds = new Set(bad.map((s) => s.spanId));
  const intact = all.filter((s) => !badIds.has(s.spanId));
  const where = { file: row.file, offset: row.offset, code: 'CORRUPT_BLOCK' };

  const r = await tl.traces.query({ limit: 10_000 });
  expect(r.cursor, state).toBeUndefined();
  expect(r.spans, state).toEqual(inQueryOrder(intact));
  expect(r.skipped, state).toHaveLength(1);
  expect(r.skipped[0], state).toMatchObject(where);
  expect(r.skipped[0].message, state).toMatch(/crc/);

  // A start-time range past the bad block's newest span does not touch it.
  let badMaxNs = bad[0].startNs;
  for (const s of bad) if (s.startNs > badMaxNs) badMaxNs = s.startNs;
  const later = await tl.traces.query({ fromNs: badMaxNs + 1n, limit: 10_000 });
  expect(later.skipped, state).toEqual([]);
  const want = inQueryOrder(intact.filter((s) => s.startNs > badMaxNs));
  expect(want.length, state).toBeGreaterThan(0);
  expect(later.spans, state).toEqual(want);

  // Traces with spans in the bad block and in intact ones: the intact spans, and the bad block named.
  for (const id of tracesAcross) {
    const tr = await tl.traces.trace(id);
    const label = `${state}: trace ${id}`;
    expect(tr.spans, label).toEqual(traceOf(intact, id));
    expect(tr.spans.length, label).toBeGreaterThan(0);
    expect(tr.skipped, label).toHaveLength(1);
    expect(tr.skipped[0], label).toMatchObject(where);
  }
  // A trace wholly outside the bad block answers in full.
  const clean = intact.find((s) => !bad.some((b) => b.traceId === s.traceId))!.traceId;
  const ok = await tl.traces.trace(clean);
  expect(ok.skipped, state).toEqual([]);
  expect(ok.spans, state).toEqual(traceOf(all, clean));

  expect((await tl.traces.stats()).corruptBlocks, state).toBe(1);
}

describe('traces corrupt block', () => {
  it('a RAW block: skipped and reported, the rest answers, compaction leaves it alone', async () => {
    const t = tempDir('traces-corrupt-raw');
    const warnings: string[] = [];
    const open = () =>
      Timeless.open({
        dataDir: t.dir,
        pool,
        traces: { sealIntervalMs: 0, compaction: false, log: (m: string) => warnings.push(m) },
        retention: { intervalSec: 0 },
      });
    const all = makeSpans(611, 5_000);
    // Five RAW blocks of consecutive writes (the last takes the generator's few extra spans).
    const parts = [0, 1, 2, 3, 4].map((p) => all.slice(p * 1_000, p === 4 ? all.length : (p + 1) * 1_000));
    try {
      let tl = await open();
      for (const p of parts) {
        tl.traces.write(p);
        await tl.traces.sealNow();
      }
      const rows = blockRows(t.dir);
      expect(rows.map((r) => [r.codec, r.count])).toEqual(parts.map((p) => [RAW, p.length]));
      const row = rows[2];
      const blockBytes = corrupt(t.dir, row);
      const corrupted = blockBytes();
      const across = [straddling(parts[1], parts[2]), straddling(parts[3], parts[2])];

      await expectAnswersWithout(tl, all, parts[2], row, across, 'RAW');
      expect(warnings.filter((m) => m.includes('corrupt block'))).toHaveLength(1);
      expect(blockBytes().equals(corrupted)).toBe(true);

      const report = await tl.traces.compactNow();
      expect(report.blocksIn).toBe(4); // every block but the bad one
      const after = blockRows(t.dir);
      expect(after.filter((r) => r.codec === RAW)).toEqual([row]);
      await expectAnswersWithout(tl, all, parts[2], row, across, 'compacted around it');
      expect(blockBytes().equals(corrupted)).toBe(true);
      await tl.close();

      tl = await open();
      await expectAnswersWithout(tl, all, parts[2], row, across, 'reopened');
      await tl.close();
      expect(blockBytes().equals(corrupted)).toBe(true);
      expect(warnings.filter((m) => m.includes('corrupt block'))).toHaveLength(1); // known from index.db after the reopen: not news
    } finally {
      t.remove();
    }
  });

  it('a columnar block: compaction finds it and leaves it, reads skip it, the rest answers', async () => {
    const t = tempDir('traces-corrupt-col');
    const warnings: string[] = [];
    const open = () =>
      Timeless.open({
        dataDir: t.dir,
        pool,
        traces: { sealIntervalMs: 0, compaction: false, log: (m: string) => warnings.push(m) },
        retention: { intervalSec: 0 },
      });
    const all = makeSpans(612, 12_000);
    // p0: one columnar block big enough that compaction leaves it be; p1: one small columnar block
    // (a compaction candidate itself); p2: four RAW blocks, compacted only after the damage.
    const p0 = all.slice(0, 5_000);
    const p1 = all.slice(5_000, 8_000);
    const p2 = all.slice(8_000);
    try {
      let tl = await open();
      tl.traces.write(p0);
      await tl.traces.compactNow();
      tl.traces.write(p1);
      await tl.traces.compactNow();
      for (let i = 0; i < 4; i++) {
        tl.traces.write(p2.slice(i * 1_000, i === 3 ? p2.length : (i + 1) * 1_000));
        await tl.traces.sealNow();
      }
      const rows = blockRows(t.dir);
      expect(rows.map((r) => [r.codec, r.count])).toEqual([
        [COLUMNAR, p0.length],
        [COLUMNAR, p1.length],
        [RAW, 1_000],
        [RAW, 1_000],
        [RAW, 1_000],
        [RAW, p2.length - 3_000],
      ]);
      const row = rows[1];
      const blockBytes = corrupt(t.dir, row);
      const corrupted = blockBytes();
      const across = [straddling(p0, p1), straddling(p2, p1)];

      // Compaction meets the damage first: its group [bad, RAW x4] fails and is left as it was; the
      // next pass leaves the (now known) bad block out and compacts the RAW blocks.
      const report = await tl.traces.compactNow();
      expect(report.blocksIn).toBe(4);
      expect(warnings.filter((m) => m.includes('corrupt block'))).toHaveLength(1);
      expect((await tl.traces.stats()).corruptBlocks).toBe(1);
      expect(blockRows(t.dir).find((r) => r.id === row.id)).toEqual(row);
      expect(blockBytes().equals(corrupted)).toBe(true);

      await expectAnswersWithout(tl, all, p1, row, across, 'columnar');
      expect((await tl.traces.compactNow()).blocksIn).toBe(0);
      await tl.close();

      tl = await open();
      await expectAnswersWithout(tl, all, p1, row, across, 'reopened');
      await tl.close();
      expect(blockBytes().equals(corrupted)).toBe(true);
      expect(warnings.filter((m) => m.includes('corrupt block'))).toHaveLength(1);
    } finally {
      t.remove();
    }
  });
});
