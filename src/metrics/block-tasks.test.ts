// readSeries (the query read path) against a naive oracle: every readable block decoded with copies,
// merged point by point in write order (later writes win, then the head), clipped, then aggregated.
// Covers the streaming path (disjoint blocks, in any write order, plus a head), the merge path
// (overlapping rewrites, a head inside a block's span, a header that lies about its span), and
// corrupt blocks in both.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Prng } from '../../bench/gen/prng.js';
import { decodeSeries, encodeSeries } from '../codec/series.js';
import { frameBlock, BLOCK_HEADER_BYTES } from '../storage/block.js';
import { KIND_RAW, readSeries, type BlockRef, type ReadInput, type ReadSeriesSpec } from './block-tasks.js';
import { aggregateSteps } from './query/steps.js';
import { STEP_AGGS, type StepAgg } from './query/types.js';
import { TIER_RAW } from './schema.js';

const FILE = 'segments/2026-01-01/2026-01-01-000001.seg';
const T0 = Date.UTC(2026, 0, 1);
let root: string;
let fileBytes: number;
let nextId: number;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-read-'));
  fs.mkdirSync(path.join(root, 'segments/2026-01-01'), { recursive: true });
  fs.writeFileSync(path.join(root, FILE), new Uint8Array(0));
  fileBytes = 0;
  nextId = 1;
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

interface Written {
  ref: BlockRef;
  tsMs: number[];
  values: number[];
}

/** Appends one raw block; `span` overrides the header's time range (a lying header). */
function writeBlock(seriesId: number, tsMs: number[], values: number[], span?: [number, number]): Written {
  const framed = frameBlock(
    { kind: KIND_RAW, flags: TIER_RAW, ownerId: seriesId, count: tsMs.length, tMinMs: span?.[0] ?? tsMs[0], tMaxMs: span?.[1] ?? tsMs[tsMs.length - 1] },
    encodeSeries(tsMs, values),
  );
  fs.appendFileSync(path.join(root, FILE), framed);
  const ref = { id: nextId++, file: FILE, offset: fileBytes, length: framed.length };
  fileBytes += framed.length;
  return { ref, tsMs, values };
}

function corrupt(w: Written): void {
  const fd = fs.openSync(path.join(root, FILE), 'r+');
  const at = w.ref.offset + BLOCK_HEADER_BYTES + 3;
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, at);
  b[0] ^= 0x5a;
  fs.writeSync(fd, b, 0, 1, at);
  fs.closeSync(fd);
}

/** `n` points every 10 s from `fromMs`, gauge or counter values (some NaN). */
function points(rng: Prng, fromMs: number, n: number, counter: boolean): { tsMs: number[]; values: number[] } {
  const tsMs: number[] = [];
  const values: number[] = [];
  let c = rng.int(0, 100);
  for (let i = 0; i < n; i++) {
    tsMs.push(fromMs + i * 10_000);
    if (counter) c = rng.float() < 0.02 ? rng.int(0, 5) : c + rng.int(0, 20);
    values.push(rng.float() < 0.02 ? NaN : counter ? c : Math.round(rng.normal() * 1000) / 10);
  }
  return { tsMs, values };
}

interface Case {
  spec: ReadSeriesSpec;
  blocks: Written[];
  /** Blocks the reader must report as skipped. */
  bad: Set<number>;
}

function oracle(c: Case, input: ReadInput): { tsMs: number[]; values: number[] } {
  const byTs = new Map<number, number>();
  for (const b of c.blocks) {
    if (c.bad.has(b.ref.id)) continue;
    const d = decodeSeries(encodeSeries(b.tsMs, b.values)); // as stored (NaN payloads and all)
    d.tsMs.forEach((t, i) => byTs.set(t, d.values[i]));
  }
  c.spec.headTsMs?.forEach((t, i) => byTs.set(t, c.spec.headValues![i]));
  const ts = [...byTs.keys()].filter((t) => t >= input.clipFromMs && t <= input.toMs).sort((a, b) => a - b);
  const vs = ts.map((t) => byTs.get(t)!);
  if (!input.step) return { tsMs: ts, values: vs };
  const s = aggregateSteps(ts, vs, input.step);
  return { tsMs: Array.from(s.tsMs), values: Array.from(s.values) };
}

/** Bits, so NaN compares equal to NaN and 0 to 0 only. */
const bits = (v: ArrayLike<number>) => Array.from(new BigUint64Array(Float64Array.from(v).buffer), (b) => b.toString(16));

/** Every agg and the raw answer over `windows`, all cases in one readSeries call each. */
function checkAll(cases: Case[], windows: Array<[number, number]>, rng: Prng): void {
  for (const [fromMs, toMs] of windows) {
    const steps: Array<StepAgg | undefined> = [undefined, ...STEP_AGGS];
    for (const agg of steps) {
      const stepMs = rng.pick([10_000, 60_000, 288_000, 3_600_000, rng.int(1_000, 900_000)]);
      const counter = agg === 'rate' || agg === 'increase';
      const input: ReadInput = {
        root,
        tier: TIER_RAW,
        series: cases.map((c) => c.spec),
        clipFromMs: counter ? fromMs - stepMs : fromMs,
        toMs,
        step: agg ? { fromMs, toMs, stepMs, agg } : undefined,
      };
      const out = readSeries(input);
      expect(out.series.map((s) => s.seriesId)).toEqual(cases.map((c) => c.spec.seriesId));
      const wantSkipped = cases.flatMap((c) => c.spec.blocks.filter((r) => c.bad.has(r.id)).map((r) => r.id));
      expect(out.skipped.map((s) => s.blockId).sort()).toEqual(wantSkipped.sort());
      cases.forEach((c, i) => {
        const want = oracle(c, input);
        const got = out.series[i];
        const what = `series ${c.spec.seriesId} ${agg ?? 'raw'} [${fromMs - T0}, ${toMs - T0}] step ${stepMs}`;
        expect(Array.from(got.tsMs), what).toEqual(want.tsMs);
        expect(bits(got.values), what).toEqual(bits(want.values));
      });
    }
  }
}

function windowsOver(rng: Prng, spanMs: number, count: number): Array<[number, number]> {
  const out: Array<[number, number]> = [[T0 - 3_600_000, T0 + spanMs + 3_600_000]];
  for (let i = 0; i < count; i++) {
    const from = T0 + rng.int(-600_000, spanMs);
    out.push([from, from + rng.int(0, spanMs)]);
  }
  return out;
}

describe('readSeries (raw tier)', () => {
  it('disjoint blocks in any write order, plus a head: the streamed answer equals the merge', () => {
    const rng = new Prng(11);
    const cases: Case[] = [];
    for (let s = 1; s <= 4; s++) {
      const counter = s % 2 === 0;
      const blocks: Written[] = [];
      for (let b = 0; b < 5; b++) {
        const p = points(rng, T0 + b * 3_000_000, 300, counter); // 300 points = 2,990 s: gaps between blocks
        blocks.push(writeBlock(s, p.tsMs, p.values));
      }
      // Write order differs from time order (e.g. a compaction rewrote older cells later).
      const order = s === 3 ? [blocks[2], blocks[0], blocks[4], blocks[1], blocks[3]] : blocks;
      const head = points(rng, T0 + 15_000_000, 50, counter);
      const spec: ReadSeriesSpec = { seriesId: s, blocks: order.map((b) => b.ref) };
      if (s !== 4) {
        spec.headTsMs = Float64Array.from(head.tsMs);
        spec.headValues = Float64Array.from(head.values);
      }
      cases.push({ spec, blocks: order, bad: new Set() });
    }
    checkAll(cases, windowsOver(rng, 16_000_000, 6), rng);
  });

  it('overlapping rewrites and a head inside a block: later writes win', () => {
    const rng = new Prng(12);
    const a = points(rng, T0, 400, false);
    const b = points(rng, T0 + 2_000_000, 400, false); // overlaps the end of a
    const rewrite = points(rng, T0 + 1_000_000, 10, false); // rewrites 10 points of a, written last
    const blocks = [writeBlock(7, a.tsMs, a.values), writeBlock(7, b.tsMs, b.values), writeBlock(7, rewrite.tsMs, rewrite.values)];
    const head = points(rng, T0 + 3_000_000, 20, false); // inside b's span
    const spec: ReadSeriesSpec = {
      seriesId: 7,
      blocks: blocks.map((w) => w.ref),
      headTsMs: Float64Array.from(head.tsMs),
      headValues: Float64Array.from(head.values),
    };
    checkAll([{ spec, blocks, bad: new Set() }], windowsOver(rng, 6_000_000, 5), rng);
  });

  it('a header span that does not hold the decoded points sends the series to the merge path', () => {
    const rng = new Prng(13);
    const a = points(rng, T0, 200, false);
    const b = points(rng, T0 + 1_000_000, 200, false); // overlaps a, but its header claims a later span
    const blocks = [writeBlock(8, a.tsMs, a.values), writeBlock(8, b.tsMs, b.values, [T0 + 5_000_000, T0 + 6_000_000])];
    checkAll([{ spec: { seriesId: 8, blocks: blocks.map((w) => w.ref) }, blocks, bad: new Set() }], windowsOver(rng, 3_000_000, 4), rng);
  });

  it('a corrupt block is skipped and reported once, streamed or merged, the rest answered', () => {
    const rng = new Prng(14);
    const cases: Case[] = [];
    for (const overlap of [false, true]) {
      const s = overlap ? 10 : 9;
      const blocks: Written[] = [];
      for (let b = 0; b < 4; b++) {
        const p = points(rng, T0 + b * (overlap ? 2_000_000 : 3_000_000), 250, true);
        blocks.push(writeBlock(s, p.tsMs, p.values));
      }
      corrupt(blocks[1]);
      cases.push({ spec: { seriesId: s, blocks: blocks.map((w) => w.ref) }, blocks, bad: new Set([blocks[1].ref.id]) });
    }
    checkAll(cases, windowsOver(rng, 12_000_000, 4), rng);
  });

  it('a raw answer owns exact-length columns when most of the decoded points are clipped away', () => {
    const rng = new Prng(15);
    const p = points(rng, T0, 1000, false);
    const w = writeBlock(11, p.tsMs, p.values);
    const out = readSeries({ root, tier: TIER_RAW, series: [{ seriesId: 11, blocks: [w.ref] }], clipFromMs: T0, toMs: T0 + 99_999 });
    expect(out.series[0].tsMs.length).toBe(10);
    expect(out.series[0].tsMs.buffer.byteLength).toBe(80);
    expect(out.series[0].values.buffer.byteLength).toBe(80);
  });
});
