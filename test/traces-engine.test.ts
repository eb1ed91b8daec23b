// The traces engine end to end (through Timeless.open): what write() accepts comes back exactly
// from trace() and query() while hot, once sealed (RAW blocks), once compacted (columnar blocks) and
// after a reopen; search filters, paging and pruning agree with a brute-force oracle; bad input is
// refused whole with typed errors; the live tail sees spans before they are flushed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Timeless, TracesError } from '../src/index.js';
import { createPool, type Pool } from '../src/pool/pool.js';
import type { Span, TraceQuery } from '../src/traces/types.js';
import { tempDir } from './metrics-helpers.js';
import { inQueryOrder, makeSpans, serviceOf, T0_MS, traceIds, traceOf } from './traces-helpers.js';

let pool: Pool;
beforeAll(() => {
  pool = createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

const QUIET = { compaction: false, sealIntervalMs: 0, compactIntervalMs: 0 };

async function open(dir: string, traces: Record<string, unknown> = QUIET) {
  return Timeless.open({ dataDir: dir, pool, traces, retention: { intervalSec: 0 } });
}

/** Every page of a query, following cursors. */
async function allPages(tl: Timeless, q: TraceQuery): Promise<Span[]> {
  const out: Span[] = [];
  let cursor: string | undefined;
  do {
    const page = await tl.traces.query({ ...q, cursor });
    expect(page.skipped).toEqual([]);
    expect(page.spans.length).toBeLessThanOrEqual(q.limit ?? 100);
    out.push(...page.spans);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

const QUERIES: Array<{ q: TraceQuery; keep: (s: Span) => boolean }> = [
  { q: { service: 'checkout', status: 'error' }, keep: (s) => serviceOf(s) === 'checkout' && s.status.code === 'error' },
  { q: { kind: 'client', minDurationMs: 20 }, keep: (s) => s.kind === 'client' && s.endNs - s.startNs >= 20_000_000n },
  { q: { attributes: { 'http.request.method': 'POST' } }, keep: (s) => s.attributes['http.request.method'] === 'POST' },
  { q: { name: 'SELECT products', maxDurationMs: 5 }, keep: (s) => s.name === 'SELECT products' && s.endNs - s.startNs <= 5_000_000n },
  { q: { status: 'error', fromMs: T0_MS + 2_000, toMs: T0_MS + 9_000 }, keep: (s) => s.status.code === 'error' && s.startNs >= BigInt(T0_MS + 2_000) * 1_000_000n && s.startNs < BigInt(T0_MS + 9_000) * 1_000_000n },
];

describe('traces engine', () => {
  it('returns every span exactly as written: hot, sealed, compacted and after a reopen', async () => {
    const t = tempDir('traces-engine');
    const spans = makeSpans(501, 6_000);
    const ids = traceIds(spans);
    const sample = [ids[0], ids[7], ids[Math.floor(ids.length / 2)], ids[ids.length - 1]];
    try {
      let tl = await open(t.dir, { ...QUIET, sealSpans: 1_000 });
      try {
        tl.traces.write(spans.slice(0, 2_500));
        for (const s of spans.slice(2_500)) tl.traces.write(s);
        const check = async (state: string) => {
          for (const id of sample) {
            const r = await tl.traces.trace(id);
            expect(r.skipped, state).toEqual([]);
            expect(r.spans, `${state}: trace ${id}`).toEqual(traceOf(spans, id));
            // One root (the frontend's server span, or the worker's consumer span), every other span below it.
            expect(r.roots.length, state).toBe(1);
            const seen: Span[] = [];
            const walk = (n: (typeof r.roots)[number]) => {
              seen.push(n.span);
              for (const c of n.children) {
                expect(c.span.parentSpanId).toBe(n.span.spanId);
                walk(c);
              }
            };
            r.roots.forEach(walk);
            expect(seen.length).toBe(r.spans.length);
          }
          expect((await tl.traces.trace('0123456789abcdef0123456789abcdef')).spans).toEqual([]);
          for (const { q, keep } of QUERIES) {
            const want = inQueryOrder(spans.filter(keep));
            expect(want.length, `${JSON.stringify(q)} matches something`).toBeGreaterThan(0);
            expect(await allPages(tl, { ...q, limit: 37 }), `${state}: ${JSON.stringify(q)}`).toEqual(want);
          }
          const stats = await tl.traces.stats();
          expect(stats.spans, state).toBe(spans.length);
        };
        await check('hot');
        await tl.traces.sealNow();
        expect((await tl.traces.stats()).hotSpans).toBe(0);
        await check('sealed (RAW blocks)');
        const report = await tl.traces.compactNow();
        expect(report.blocksIn).toBeGreaterThan(0);
        await check('compacted');
      } finally {
        await tl.close();
      }
      tl = await open(t.dir);
      try {
        for (const id of sample) expect((await tl.traces.trace(id)).spans).toEqual(traceOf(spans, id));
        expect((await tl.traces.stats()).spans).toBe(spans.length);
        const page = await tl.traces.query({ limit: 5 });
        expect(page.spans).toEqual(inQueryOrder(spans).slice(0, 5));
      } finally {
        await tl.close();
      }
    } finally {
      t.remove();
    }
  });

  it('lists services and each service\'s operations, hot and committed, across a reopen', async () => {
    const t = tempDir('traces-ops');
    const spans = makeSpans(505, 3_000);
    const services = [...new Set(spans.map((s) => String(serviceOf(s))))].sort();
    const opsOf = (svc: string) =>
      [...new Map(spans.filter((s) => serviceOf(s) === svc).map((s) => [`${s.name}|${s.kind}`, { service: svc, name: s.name, kind: s.kind }])).values()].sort((a, b) =>
        a.name !== b.name ? (a.name < b.name ? -1 : 1) : ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'].indexOf(a.kind) - ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'].indexOf(b.kind),
      );
    try {
      let tl = await open(t.dir, { ...QUIET, sealSpans: 700 });
      try {
        tl.traces.write(spans.slice(0, 1_500));
        await tl.traces.sealNow();
        tl.traces.write(spans.slice(1_500));
        expect(tl.traces.services()).toEqual(services);
        for (const svc of services) expect(tl.traces.operations(svc), svc).toEqual(opsOf(svc));
        expect(tl.traces.operations().length).toBe(services.reduce((n, svc) => n + opsOf(svc).length, 0));
        expect(tl.traces.operations('no-such-service')).toEqual([]);
      } finally {
        await tl.close();
      }
      tl = await open(t.dir);
      try {
        expect(tl.traces.services()).toEqual(services);
        for (const svc of services) expect(tl.traces.operations(svc), svc).toEqual(opsOf(svc));
      } finally {
        await tl.close();
      }
    } finally {
      t.remove();
    }
  });

  it('refuses a bad span with a typed error and stores nothing of its batch', async () => {
    const t = tempDir('traces-bad');
    const spans = makeSpans(502, 50);
    try {
      const tl = await open(t.dir);
      try {
        const bad = [...spans.slice(0, 10), { ...spans[10], traceId: 'xyz' }, ...spans.slice(11)];
        expect(() => tl.traces.write(bad)).toThrow(TracesError);
        try {
          tl.traces.write(bad);
        } catch (err) {
          expect((err as TracesError).code).toBe('INVALID_SPAN');
          expect((err as Error).message).toMatch(/traceId/);
          expect((err as Error).message).toMatch(/span 10/);
        }
        expect(() => tl.traces.write({ ...spans[0], endNs: spans[0].startNs - 1n })).toThrow(expect.objectContaining({ code: 'INVALID_TIME' }));
        expect(() => tl.traces.write({ ...spans[0], attributes: { x: Number.NaN } })).toThrow(expect.objectContaining({ code: 'INVALID_SPAN' }));
        expect((await tl.traces.stats()).spans).toBe(0);
        // Refused by the record writer halfway through a batch (the first 20 were encoded into the
        // chunk, chaining resources): the chunk is taken back whole, and what follows reads back exact.
        tl.traces.write(spans.slice(0, 5));
        expect(() => tl.traces.write([...spans.slice(5, 25), { ...spans[25], attributes: { bad: Number.POSITIVE_INFINITY } }])).toThrow(/span 20; nothing/);
        tl.traces.write(spans.slice(5));
        expect((await tl.traces.stats()).spans).toBe(spans.length);
        expect(await allPages(tl, { limit: 13 })).toEqual(inQueryOrder(spans));
        await tl.traces.sealNow();
        expect(await allPages(tl, { limit: 13 })).toEqual(inQueryOrder(spans));
        await expect(tl.traces.query({ limit: 0 })).rejects.toMatchObject({ code: 'INVALID_QUERY' });
        await expect(tl.traces.query({ kind: 'sideways' as never })).rejects.toMatchObject({ code: 'INVALID_QUERY' });
        await expect(tl.traces.query({ cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
        await expect(tl.traces.trace('abc')).rejects.toMatchObject({ code: 'INVALID_QUERY' });
      } finally {
        await tl.close();
      }
    } finally {
      t.remove();
    }
  });

  it('delivers spans to the live tail before they are flushed, filtered', async () => {
    const t = tempDir('traces-tail');
    const spans = makeSpans(503, 400);
    try {
      const tl = await open(t.dir);
      try {
        const errors: Span[] = [];
        const all: Span[] = [];
        const off = tl.traces.subscribe({ status: 'error' }, (s) => errors.push(s));
        tl.traces.subscribe({}, (s) => all.push(s));
        tl.traces.write(spans);
        expect(all).toEqual(spans);
        expect(errors).toEqual(spans.filter((s) => s.status.code === 'error'));
        off();
        tl.traces.write(makeSpans(504, 100));
        expect(errors.length).toBe(spans.filter((s) => s.status.code === 'error').length);
        expect(() => tl.traces.subscribe({ kind: 'nope' as never }, () => undefined)).toThrow(expect.objectContaining({ code: 'INVALID_QUERY' }));
      } finally {
        await tl.close();
      }
    } finally {
      t.remove();
    }
  });
});
