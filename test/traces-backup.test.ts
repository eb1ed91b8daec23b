// Backup taken while span writes keep coming (and the source seals and compacts every few ms): the
// backup directory opens as a data directory and holds everything flushed before the backup started,
// answering query() and trace() for it exactly as the source did at that moment, plus a prefix of
// what came during it (each span once); once taken it is independent of the source.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Timeless } from '../src/index.js';
import { createPool, type Pool } from '../src/pool/pool.js';
import type { Span, TraceQuery } from '../src/traces/types.js';
import { generateTraces } from '../bench/gen/traces.js';
import { tempDir } from './metrics-helpers.js';
import { inQueryOrder, makeSpans, serviceOf, T0_MS, traceIds, traceOf } from './traces-helpers.js';

let pool: Pool;
beforeAll(() => {
  // Compaction at nice 10 instead of SCHED_IDLE: the backup waits for a running compaction, and on
  // a CI machine running two test files at a time an idle-class thread can get no CPU for minutes
  // (a 120 s timeout seen once). What this file tests is the backup, not the scheduling class.
  pool = createPool({ threads: 2, backgroundIdle: false });
});
afterAll(async () => {
  await pool.close();
});

/** Every page of a query (small pages: cursors are part of what must agree), following cursors. */
async function allPages(tl: Timeless, q: TraceQuery): Promise<Span[]> {
  const out: Span[] = [];
  let cursor: string | undefined;
  do {
    const page = await tl.traces.query({ limit: 997, ...q, cursor });
    expect(page.skipped).toEqual([]);
    out.push(...page.spans);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

const QUERIES: Array<{ q: TraceQuery; keep: (s: Span) => boolean }> = [
  { q: {}, keep: () => true },
  { q: { service: 'checkout', limit: 37 }, keep: (s) => serviceOf(s) === 'checkout' },
  { q: { kind: 'client', minDurationMs: 20, limit: 37 }, keep: (s) => s.kind === 'client' && s.endNs - s.startNs >= 20_000_000n },
  { q: { attributes: { 'http.request.method': 'POST' }, limit: 37 }, keep: (s) => s.attributes['http.request.method'] === 'POST' },
  { q: { status: 'error' }, keep: (s) => s.status.code === 'error' },
];

describe('traces backup', () => {
  it('is consistent during concurrent writes, reopens with the same answers, and stands alone', async () => {
    const src = tempDir('traces-backup-src');
    const dst = tempDir('traces-backup-dst');
    // Generated as written (the writer runs until the backup is done, however long that takes).
    const gen = generateTraces({ spans: 10_000_000, seed: 641, fromMs: T0_MS, batch: 25 });
    const spans: Span[] = [];
    const indexOf = new Map<string, number>();
    const posOf = (s: Span) => indexOf.get(`${s.traceId}/${s.spanId}`)!;
    try {
      const tl = await Timeless.open({
        dataDir: src.dir,
        pool,
        traces: { sealSpans: 256, sealIntervalMs: 10, compactIntervalMs: 25 },
        retention: { intervalSec: 0 },
      });
      const writeBatch = () => {
        const batch = gen.next().value as Span[];
        for (const s of batch) {
          indexOf.set(`${s.traceId}/${s.spanId}`, spans.length);
          spans.push(s);
        }
        tl.traces.write(batch);
      };
      for (let b = 0; b < 120; b++) {
        writeBatch();
        if (b % 10 === 9) await tl.traces.flush();
      }
      const before = spans.length; // all flushed
      const flushed = spans.slice(0, before);

      // The source's answers at the backup moment (nothing is written between these and backup()).
      const srcAnswers: Span[][] = [];
      for (const { q, keep } of QUERIES) {
        const answer = await allPages(tl, q);
        expect(answer, JSON.stringify(q)).toEqual(inQueryOrder(flushed.filter(keep)));
        expect(answer.length, `${JSON.stringify(q)} matches something`).toBeGreaterThan(0);
        srcAnswers.push(answer);
      }
      const ids = traceIds(flushed);
      const sampleTraces = [ids[0], ids[1], ids[Math.floor(ids.length / 2)], ids[ids.length - 2], ids[ids.length - 1]];
      const srcTraces = new Map<string, Span[]>();
      for (const id of sampleTraces) srcTraces.set(id, (await tl.traces.trace(id)).spans);

      let stop = false;
      let duringBackup = 0;
      const writer = (async () => {
        while (!stop) {
          writeBatch();
          await tl.traces.flush();
          if (!stop) duringBackup++;
          // A steady trickle, not a flood: the backup waits for running compactions, which a flood makes long.
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      const report = await tl.backup(path.join(dst.dir, 'copy'));
      stop = true;
      await writer;
      const written = spans.length;
      expect(indexOf.size).toBe(written); // ids identify the written span
      expect(report.files).toBeGreaterThan(2);
      expect(report.bytes).toBeGreaterThan(0);
      expect(fs.existsSync(path.join(report.path, 'spans', 'index.db'))).toBe(true);
      expect(duringBackup).toBeGreaterThan(0);

      let b = await Timeless.open({ dataDir: report.path, pool, traces: { compaction: false }, retention: { intervalSec: 0 } });
      let n: number;
      try {
        // Everything flushed before the backup, plus a prefix of what came during it, each span once, as written.
        const all = await allPages(b, {});
        const positions = all.map((s) => posOf(s)).sort((x, y) => x - y);
        n = positions.length;
        expect(n).toBeGreaterThanOrEqual(before);
        positions.forEach((v, i) => {
          if (v !== i) throw new Error(`backup: position ${i} holds span ${v}`);
        });
        const kept = spans.slice(0, n);
        expect(all).toEqual(inQueryOrder(kept));
        expect((await b.traces.stats()).spans).toBe(n);

        for (const [i, { q, keep }] of QUERIES.entries()) {
          const answer = await allPages(b, q);
          expect(answer, JSON.stringify(q)).toEqual(inQueryOrder(kept.filter(keep)));
          // Restricted to what was flushed before the backup: the source's answer at that moment.
          expect(answer.filter((s) => posOf(s) < before), JSON.stringify(q)).toEqual(srcAnswers[i]);
        }
        for (const id of sampleTraces) {
          const got = (await b.traces.trace(id)).spans;
          expect(got, `trace ${id}`).toEqual(traceOf(kept, id));
          expect(got.filter((s) => posOf(s) < before), `trace ${id}`).toEqual(srcTraces.get(id));
        }
        // The source kept everything, what the backup holds and what came after.
        expect(await allPages(tl, {})).toEqual(inQueryOrder(spans.slice(0, written)));

        // Independent: a span written to the backup is not in the source.
        const extra = { ...spans[spans.length - 1], traceId: 'feedfacefeedfacefeedfacefeedface', spanId: 'feedfacefeedface' };
        delete (extra as { parentSpanId?: string }).parentSpanId;
        b.traces.write(extra);
        await b.traces.flush();
        expect((await b.traces.trace(extra.traceId)).spans).toEqual([extra]);
        expect((await tl.traces.trace(extra.traceId)).spans).toEqual([]);
      } finally {
        await b.close();
        await tl.close();
      }

      // ... and the backup needs nothing of the source directory.
      src.remove();
      b = await Timeless.open({ dataDir: report.path, pool, retention: { intervalSec: 0 } });
      try {
        const all = await allPages(b, {});
        expect(all.length).toBe(n + 1);
        expect(all.filter((s) => s.traceId !== 'feedfacefeedfacefeedfacefeedface')).toEqual(inQueryOrder(spans.slice(0, n)));
        for (const id of sampleTraces) expect((await b.traces.trace(id)).spans).toEqual(traceOf(spans.slice(0, n), id));
      } finally {
        await b.close();
      }
    } finally {
      src.remove();
      dst.remove();
    }
  });

  it('carries every state a span can be in: compacted, RAW, and flushed but only in the WAL', async () => {
    const src = tempDir('traces-backup-states-src');
    const dst = tempDir('traces-backup-states-dst');
    const spans = makeSpans(642, 3_700);
    const [compacted, raw, walOnly] = [spans.slice(0, 2_000), spans.slice(2_000, 3_000), spans.slice(3_000)];
    try {
      const tl = await Timeless.open({
        dataDir: src.dir,
        pool,
        // Nothing seals unless asked: what was written last stays in the hot tail and the WAL.
        traces: { sealSpans: 1_000_000, sealIntervalMs: 0, compaction: false },
        retention: { intervalSec: 0 },
      });
      let report;
      try {
        tl.traces.write(compacted);
        await tl.traces.compactNow();
        tl.traces.write(raw);
        await tl.traces.sealNow();
        tl.traces.write(walOnly);
        await tl.traces.flush();
        expect((await tl.traces.stats()).hotSpans).toBe(walOnly.length);
        report = await tl.backup(path.join(dst.dir, 'copy'));
      } finally {
        await tl.close();
      }
      src.remove();
      const b = await Timeless.open({ dataDir: report.path, pool, retention: { intervalSec: 0 } });
      try {
        expect(await allPages(b, {})).toEqual(inQueryOrder(spans));
        expect((await b.traces.stats()).spans).toBe(spans.length);
        // Traces with spans on both sides of each state boundary come back whole.
        const inWal = new Set(walOnly.map((s) => s.traceId));
        const inRaw = new Set(raw.map((s) => s.traceId));
        const across = [compacted.find((s) => inRaw.has(s.traceId))!.traceId, raw.find((s) => inWal.has(s.traceId))!.traceId];
        for (const id of across) expect((await b.traces.trace(id)).spans, `trace ${id}`).toEqual(traceOf(spans, id));
      } finally {
        await b.close();
      }
    } finally {
      src.remove();
      dst.remove();
    }
  });
});
