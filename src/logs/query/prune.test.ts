import { describe, expect, it } from 'vitest';
import { Prng } from '../../../bench/gen/prng.js';
import { HOSTS, SERVICES, SPAN_IDS, TRACE_IDS, WORDS, seededEntries } from '../../../test/logs-query-fixtures.js';
import { encodeLogBlock, TERM_VALUE_MAX_CHARS, type LogBlockMeta } from '../codec/block.js';
import type { LogEntry, LogQuery } from '../types.js';
import { compileLogQuery, type CompiledLogQuery } from './compile.js';
import { isAfterCursor, encodeCursor } from './cursor.js';
import { makeMatcher } from './matcher.js';
import { blockMayImprove, blockMayMatch, blockTimeBoundsMs, indexTerms, levelMaskAtOrAbove, type LogBlockRow } from './prune.js';
import { ceilMs, floorMs } from './time.js';

const INDEXED = ['status', 'region'];

interface Block {
  entries: LogEntry[];
  seqs: number[];
  meta: LogBlockMeta;
}

/** Seeded entries cut into blocks of varied size, each encoded for real (meta: mask, terms, filter). */
function seededBlocks(seed: number): Block[] {
  const { entries, seqs } = seededEntries(seed, 2400);
  const rng = new Prng(seed ^ 0x9e37);
  const blocks: Block[] = [];
  for (let i = 0; i < entries.length; ) {
    const n = rng.int(1, 120);
    const e = entries.slice(i, i + n);
    const s = seqs.slice(i, i + n);
    const { meta } = encodeLogBlock(e, Float64Array.from(s), 'fast', { indexedAttributes: INDEXED });
    blocks.push({ entries: e, seqs: s, meta });
    i += n;
  }
  return blocks;
}

function randomCase(rng: Prng, s: string): string {
  return [...s].map((c) => (rng.int(0, 1) ? c.toUpperCase() : c)).join('');
}

/** A query with a seeded mix of every filter the pruning looks at (and some it does not). */
function randomQuery(rng: Prng, all: LogEntry[], allSeqs: number[], edges: bigint[]): LogQuery {
  const q: LogQuery = {};
  if (rng.int(0, 2) === 0) q.minLevel = rng.int(1, 24);
  const pivot = all[rng.int(0, all.length - 1)];
  if (rng.int(0, 2) === 0) {
    // Often exactly on block edges (or one ns off), where off-by-one bounds would show.
    const edge = () => rng.pick(edges) + BigInt(rng.int(-1, 1));
    const a = rng.int(0, 1) ? edge() : pivot.tsNs - BigInt(rng.int(0, 200_000));
    const b = rng.int(0, 1) ? edge() : a + BigInt(rng.int(0, 400_000));
    if (b < a) return q;
    if (rng.int(0, 1)) {
      q.fromNs = a;
      q.toNs = b;
    } else {
      // ms bounds (fractional) exercise the ms -> ns conversion against the ms span of the rows.
      q.fromMs = Number(a / 1000n) / 1000;
      q.toMs = Number(b / 1000n) / 1000 + 0.5;
    }
  }
  const text = rng.int(0, 5);
  if (text === 0) {
    const m = all[rng.int(0, all.length - 1)].message;
    const at = rng.int(0, m.length - 1);
    q.search = randomCase(rng, m.slice(at, at + rng.int(1, 12)));
  } else if (text === 1) {
    q.search = rng.pick(WORDS) + rng.pick(['', 's', ' ok']);
  } else if (text === 2) {
    q.tokens = [randomCase(rng, rng.pick(WORDS)), ...(rng.int(0, 1) ? [rng.pick(WORDS)] : [])];
  }
  if (rng.int(0, 3) === 0) q.attributes = rng.pick<Record<string, string | number | boolean>>([{ status: 500 }, { status: '200' }, { region: 'eu' }, { region: 'ap', status: 404 }, { 'service.name': 'api' }, { ok: true }]);
  if (rng.int(0, 4) === 0) q.service = rng.pick([...SERVICES, 'nope']);
  if (rng.int(0, 4) === 0) q.host = rng.pick(HOSTS);
  if (rng.int(0, 5) === 0) q.traceId = rng.pick(TRACE_IDS).toUpperCase();
  if (rng.int(0, 6) === 0) q.spanId = rng.pick(SPAN_IDS);
  if (rng.int(0, 2) === 0) {
    const i = rng.int(0, all.length - 1);
    q.cursor = encodeCursor({ tsNs: all[i].tsNs, seq: allSeqs[i], order: rng.pick(['desc', 'asc'] as const) });
  }
  return q;
}

function hasMatch(b: Block, q: CompiledLogQuery): boolean {
  const matches = makeMatcher(q);
  return b.entries.some((e, i) => (!q.after || isAfterCursor(q.after, e.tsNs, b.seqs[i])) && matches(e));
}

function msRow(b: Block, withFilter = true): LogBlockRow {
  return { tMinMs: floorMs(b.meta.tMinNs), tMaxMs: ceilMs(b.meta.tMaxNs), levelMask: b.meta.levelMask, filter: withFilter ? b.meta.filter : null };
}

function nsRow(b: Block): LogBlockRow {
  return { ...msRow(b), tMinNs: b.meta.tMinNs, tMaxNs: b.meta.tMaxNs };
}

describe('block pruning never drops a block with a match (seeded, against brute force)', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}`, () => {
      const blocks = seededBlocks(seed);
      const all = blocks.flatMap((b) => b.entries);
      const allSeqs = blocks.flatMap((b) => b.seqs);
      const edges = blocks.flatMap((b) => [b.meta.tMinNs, b.meta.tMaxNs]);
      const rng = new Prng(seed * 7919);
      let withMatch = 0;
      let pruned = 0;
      let prunedByText = 0;
      for (let k = 0; k < 300; k++) {
        const q = compileLogQuery(randomQuery(rng, all, allSeqs, edges));
        const terms = indexTerms(q, INDEXED);
        for (const b of blocks) {
          const keptNs = blockMayMatch(nsRow(b), q);
          const keptMs = blockMayMatch(msRow(b), q);
          const keptNoFilter = blockMayMatch(msRow(b, false), q);
          const termsOk = terms.every((t) => b.meta.terms.includes(t));
          if (hasMatch(b, q)) {
            withMatch++;
            expect(keptNs).toBe(true);
            expect(keptMs).toBe(true);
            expect(termsOk).toBe(true);
          } else {
            if (!keptNs || !termsOk) pruned++;
            if (keptNoFilter && !keptMs) prunedByText++;
          }
          // The exact ns span never keeps what the ms span drops.
          if (!keptMs) expect(keptNs).toBe(false);
        }
      }
      // The property is only meaningful if both sides occur: matches, and pruning that bites.
      expect(withMatch).toBeGreaterThan(500);
      expect(pruned).toBeGreaterThan(500);
      expect(prunedByText).toBeGreaterThan(50);
    });
  }
});

describe('prune pieces', () => {
  const q = (x: LogQuery) => compileLogQuery(x);

  it('level mask keeps the levels whose range reaches the minimum severity', () => {
    expect(levelMaskAtOrAbove(1)).toBe(0b111111);
    expect(levelMaskAtOrAbove(9)).toBe(0b111100);
    expect(levelMaskAtOrAbove(12)).toBe(0b111100);
    expect(levelMaskAtOrAbove(13)).toBe(0b111000);
    expect(levelMaskAtOrAbove(24)).toBe(0b100000);
    const row = { tMinMs: 0, tMaxMs: 10, levelMask: 0b000100 }; // info only
    expect(blockMayMatch(row, q({ minLevel: 'info' }))).toBe(true);
    expect(blockMayMatch(row, q({ minLevel: 12 }))).toBe(true);
    expect(blockMayMatch(row, q({ minLevel: 'warn' }))).toBe(false);
  });

  it('time bounds on the ms columns: from inclusive, to exclusive, cursor', () => {
    // A block with entries in [5.0000001 ms, 7.5 ms] is stored as t_min_ms 5, t_max_ms 8.
    const row = { tMinMs: 5, tMaxMs: 8, levelMask: 1 };
    expect(blockMayMatch(row, q({ fromMs: 8 }))).toBe(true);
    expect(blockMayMatch(row, q({ fromMs: 8.000001 }))).toBe(false);
    expect(blockMayMatch(row, q({ toMs: 5.000001 }))).toBe(true);
    expect(blockMayMatch(row, q({ toMs: 5 }))).toBe(false);
    expect(blockTimeBoundsMs(q({ fromNs: 7_000_001n, toNs: 9_000_000n }))).toEqual({ minTMaxMs: 8, maxTMinMs: 8 });
    const desc = encodeCursor({ tsNs: 4_999_999n, seq: 1, order: 'desc' });
    const asc = encodeCursor({ tsNs: 8_000_001n, seq: 1, order: 'asc' });
    expect(blockMayMatch(row, q({ cursor: desc }))).toBe(false);
    expect(blockMayMatch(row, q({ cursor: asc }))).toBe(false);
    expect(blockMayMatch(row, q({ cursor: encodeCursor({ tsNs: 5_000_000n, seq: 1, order: 'desc' }) }))).toBe(true);
  });

  it('exact ns spans prune tighter than the ms columns', () => {
    const row = { tMinMs: 5, tMaxMs: 8, tMinNs: 5_000_100n, tMaxNs: 7_500_000n, levelMask: 1 };
    expect(blockMayMatch(row, q({ fromNs: 7_500_000n }))).toBe(true);
    expect(blockMayMatch(row, q({ fromNs: 7_500_001n }))).toBe(false);
    expect(blockMayMatch(row, q({ toNs: 5_000_101n }))).toBe(true);
    expect(blockMayMatch(row, q({ toNs: 5_000_100n }))).toBe(false);
    expect(blockMayImprove(row, 'desc', 7_500_000n)).toBe(true);
    expect(blockMayImprove(row, 'desc', 7_500_001n)).toBe(false);
    expect(blockMayImprove(row, 'asc', 5_000_100n)).toBe(true);
    expect(blockMayImprove(row, 'asc', 5_000_099n)).toBe(false);
    const msOnly = { tMinMs: 5, tMaxMs: 8, levelMask: 1 };
    expect(blockMayImprove(msOnly, 'desc', 8_000_000n)).toBe(true);
    expect(blockMayImprove(msOnly, 'desc', 8_000_001n)).toBe(false);
    expect(blockMayImprove(msOnly, 'asc', 5_000_000n)).toBe(true);
    expect(blockMayImprove(msOnly, 'asc', 4_999_999n)).toBe(false);
  });

  it('index terms: service, host, indexed attribute keys only, long values never required', () => {
    const c = q({ service: 'api', host: 'h1', attributes: { status: 500, other: 'x', region: 'r'.repeat(TERM_VALUE_MAX_CHARS + 1) } });
    expect(indexTerms(c, ['status', 'region'])).toEqual(['service=api', 'host=h1', 'attr:status=500']);
    expect(indexTerms(c, [])).toEqual(['service=api', 'host=h1']);
    expect(indexTerms(q({ service: 's'.repeat(TERM_VALUE_MAX_CHARS + 1) }), [])).toEqual([]);
  });
});
