// Traces retention: by age (blocks whose newest span start is past maxAgeSec go; a segment file goes
// once it holds no live block) and by size (whole files, oldest first, until spans/ fits maxBytes).
// The answers afterwards hold exactly the spans that were kept, and a reopen that replays WAL files
// still holding the deleted spans (a crash between a seal's commit and its WAL drop leaves such
// files) never brings them back.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Timeless } from '../src/index.js';
import { createPool, type Pool } from '../src/pool/pool.js';
import type { Span, TraceQuery } from '../src/traces/types.js';
import { listFiles, tempDir } from './metrics-helpers.js';
import { inQueryOrder, makeSpans, T0_MS, traceIds, traceOf } from './traces-helpers.js';

const DAY_MS = 86_400_000;

let pool: Pool;
beforeAll(() => {
  pool = createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

/** Every page of a query, following cursors. */
async function allPages(tl: Timeless, q: TraceQuery = {}): Promise<Span[]> {
  const out: Span[] = [];
  let cursor: string | undefined;
  do {
    const page = await tl.traces.query({ limit: 1_000, ...q, cursor });
    expect(page.skipped).toEqual([]);
    out.push(...page.spans);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

/**
 * Keeps a copy of every WAL file as it is now (a later copy of a file replaces an earlier one): the
 * sealer drops WAL files soon after their spans are committed, and a crash can keep them instead.
 */
function saveWal(walDir: string, saved: Map<string, Buffer>): void {
  for (const f of listFiles(walDir)) saved.set(f, fs.readFileSync(path.join(walDir, f)));
}

/** Puts back the saved WAL files the engine dropped since (as if it had crashed before dropping them). */
function restoreWal(walDir: string, saved: Map<string, Buffer>): number {
  let bytes = 0;
  for (const [f, data] of saved) {
    if (fs.existsSync(path.join(walDir, f))) continue;
    fs.writeFileSync(path.join(walDir, f), data);
    bytes += data.length;
  }
  return bytes;
}

describe('traces retention', () => {
  it('drops blocks by age, then the files left empty; the WAL never brings them back', async () => {
    const t = tempDir('traces-ret-age');
    const walDir = path.join(t.dir, 'spans', 'wal');
    const savedWal = new Map<string, Buffer>();
    const open = () =>
      Timeless.open({
        dataDir: t.dir,
        pool,
        traces: { sealIntervalMs: 0, compaction: false },
        retention: { intervalSec: 0, traces: { maxAgeSec: 86_400 } },
      });
    try {
      let tl = await open();
      // One RAW block per day, each day's traces within its first minutes.
      const days = [0, 1, 2].map((d) => makeSpans(620 + d, 300, T0_MS + d * DAY_MS));
      for (const spans of days) {
        tl.traces.write(spans);
        await tl.traces.flush();
        saveWal(walDir, savedWal);
        await tl.traces.sealNow();
      }
      expect((await tl.traces.stats()).spans).toBe(days[0].length + days[1].length + days[2].length);

      // Day 0's newest span starts long before T0 + 12 h.
      const r1 = await tl.retention.runNow(T0_MS + DAY_MS + 12 * 3_600_000);
      expect(r1.traces).toMatchObject({ blocksDeleted: 1, spansDeleted: days[0].length, filesDeleted: 0 });
      expect(r1.metrics).toBeDefined();
      expect(r1.logs).toBeDefined();
      expect(await allPages(tl)).toEqual(inQueryOrder([...days[1], ...days[2]]));
      expect((await tl.traces.trace(traceIds(days[0])[0])).spans).toEqual([]);
      const day1Trace = traceIds(days[1])[3];
      expect((await tl.traces.trace(day1Trace)).spans).toEqual(traceOf(days[1], day1Trace));

      const r2 = await tl.retention.runNow(T0_MS + 2 * DAY_MS + 12 * 3_600_000);
      expect(r2.traces).toMatchObject({ blocksDeleted: 1, spansDeleted: days[1].length, filesDeleted: 0 });
      expect(await allPages(tl)).toEqual(inQueryOrder(days[2]));
      expect((await tl.traces.trace(day1Trace)).spans).toEqual([]);
      expect((await tl.traces.stats()).spans).toBe(days[2].length);

      // Nothing left that is young enough: the last block goes, and the segment file with it.
      const r3 = await tl.retention.runNow(T0_MS + 30 * DAY_MS);
      expect(r3.traces).toMatchObject({ blocksDeleted: 1, spansDeleted: days[2].length });
      expect(r3.traces.filesDeleted).toBeGreaterThanOrEqual(1);
      expect(r3.traces.bytesFreed).toBeGreaterThan(0);
      expect(listFiles(path.join(t.dir, 'spans', 'segments'))).toEqual([]);
      expect((await tl.traces.stats()).spans).toBe(0);
      await tl.close();

      expect(restoreWal(walDir, savedWal)).toBeGreaterThan(0);
      tl = await open();
      try {
        expect(await allPages(tl)).toEqual([]);
        expect((await tl.traces.stats()).spans).toBe(0);
        expect((await tl.traces.trace(traceIds(days[2])[0])).spans).toEqual([]);
      } finally {
        await tl.close();
      }
    } finally {
      t.remove();
    }
  });

  it('drops the oldest segment files until spans/ fits maxBytes; the WAL never brings them back', async () => {
    const t = tempDir('traces-ret-size');
    const spansDir = path.join(t.dir, 'spans');
    const walDir = path.join(spansDir, 'wal');
    const savedWal = new Map<string, Buffer>();
    // spans/ without SQLite's transient -wal/-shm (what size retention measures).
    const stored = () =>
      listFiles(spansDir)
        .filter((f) => !f.endsWith('-wal') && !f.endsWith('-shm'))
        .reduce((sum, f) => sum + fs.statSync(path.join(spansDir, f)).size, 0);
    const segmentSizes = () => listFiles(path.join(spansDir, 'segments')).map((f) => fs.statSync(path.join(spansDir, 'segments', f)).size);
    const open = (maxBytes: number) =>
      Timeless.open({
        dataDir: t.dir,
        pool,
        traces: { sealIntervalMs: 0, compaction: false, maxSegmentBytes: 64 * 1024 },
        retention: { intervalSec: 0, traces: { maxBytes, maxAgeSec: 1e9 } },
      });
    // In start order, so each batch (one RAW block) starts after the one before: the oldest files
    // hold the oldest spans and what is left is a suffix.
    const spans = inQueryOrder(makeSpans(630, 4_000)).reverse();
    const BATCH = 100;
    try {
      let tl = await open(1e12);
      for (let i = 0; i < spans.length; i += BATCH) {
        tl.traces.write(spans.slice(i, i + BATCH));
        await tl.traces.flush();
        saveWal(walDir, savedWal);
        await tl.traces.sealNow();
      }
      await tl.close();
      const sizes = segmentSizes();
      expect(sizes.length).toBeGreaterThanOrEqual(4);
      // A budget one and a half files below what is stored: the two oldest files have to go.
      const fileBytes = Math.max(...sizes);
      const maxBytes = stored() - Math.round(1.5 * fileBytes);
      tl = await open(maxBytes);
      let left: Span[];
      try {
        const r = await tl.retention.runNow(T0_MS + 30 * DAY_MS);
        expect(r.traces.filesDeleted).toBe(2);
        expect(r.traces.bytesFreed).toBe(sizes[0] + sizes[1]);
        expect(r.traces.spansDeleted).toBe(r.traces.blocksDeleted * BATCH);
        expect(stored()).toBeLessThanOrEqual(maxBytes);
        // What is left is the newest spans, each once.
        left = spans.slice(r.traces.spansDeleted);
        expect(left.length).toBeGreaterThan(spans.length / 2);
        expect(await allPages(tl)).toEqual(inQueryOrder(left));
        expect((await tl.traces.stats()).spans).toBe(left.length);
        const lastTrace = spans[spans.length - 1].traceId;
        expect((await tl.traces.trace(lastTrace)).spans).toEqual(traceOf(spans, lastTrace));
        // Under budget now: another run drops nothing.
        expect((await tl.retention.runNow(T0_MS + 30 * DAY_MS)).traces.blocksDeleted).toBe(0);
      } finally {
        await tl.close();
      }

      expect(restoreWal(walDir, savedWal)).toBeGreaterThan(0);
      tl = await open(maxBytes);
      try {
        expect(await allPages(tl)).toEqual(inQueryOrder(left));
        expect((await tl.traces.stats()).spans).toBe(left.length);
      } finally {
        await tl.close();
      }
    } finally {
      t.remove();
    }
  });
});
