import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../../bench/gen/prng.js';
import { generateTraces } from '../../../bench/gen/traces.js';
import { firstSpanMismatch, randomSpan } from '../../../test/traces-random-spans.js';
import { ByteReader } from '../../codec/columns/bytes.js';
import { CodecError } from '../../codec/errors.js';
import { compress, decompress } from '../../codec/lz.js';
import { frameBlock } from '../../storage/block.js';
import { readSpanBlocks, type SpanBlockRef } from '../block-tasks.js';
import { compareSpanKeys, spanMatches, type CompiledTraceQuery } from '../query/compile.js';
import { ALL_SPAN_MASK, CODEC_SPAN_BLOCK_V1, CODEC_SPAN_RAW_V1, KIND_SPAN_BLOCK } from '../schema.js';
import { SPAN_KINDS, STATUS_CODES, type Span } from '../types.js';
import { decodeSpanRecords, SpanRecordWriter } from './span-record.js';
import { writeBlock } from './block-layout.js';
import { decodeSpanBlock, decodeSpanBlockWhere, encodeSpanBlock, readSpanBlockHeader, SpanBlockReader } from './block.js';

function generated(spans: number, seed: number, fromMs = Date.UTC(2024, 2, 4)): Span[] {
  const out: Span[] = [];
  for (const b of generateTraces({ spans, seed, fromMs })) out.push(...b);
  return out.slice(0, spans);
}

/** Where randomSpan's ordinary starts are (it adds up to 1e15 ns). */
const NARROW_FROM_NS = 1_700_000_000_000_000_000n;

/**
 * Random spans (every field) grouped into traces with parents inside them, as block.test.ts does.
 * randomSpan starts a few spans at extreme times (0, 2^62...): a block then spans 2^53 ns or more,
 * where the filter leaves times to the exact predicate; most blocks here keep every start within
 * ~17 minutes instead.
 */
function randomBlockSpans(rng: Prng, n: number): Span[] {
  const spans: Span[] = [];
  const narrow = rng.float() < 0.6;
  for (let i = 0; i < n; i++) {
    const s = randomSpan(rng) as Span & Record<string, unknown>;
    if (narrow && (s.startNs < NARROW_FROM_NS || s.startNs > NARROW_FROM_NS + 10n ** 15n)) {
      s.startNs = NARROW_FROM_NS + BigInt(rng.int(0, 1e9)) * 1000n;
      s.endNs = s.startNs + BigInt(rng.int(0, 5e9));
    }
    const prev = spans[spans.length - 1];
    if (prev !== undefined && rng.float() < 0.7) {
      s.traceId = prev.traceId;
      if (rng.float() < 0.3) s.startNs = prev.startNs; // ties on start: trace id and span id decide
      if (s.endNs < s.startNs) s.endNs = s.startNs;
      if (rng.float() < 0.8) {
        const p = rng.pick(spans.filter((x) => x.traceId === s.traceId));
        const { traceId, spanId, parentSpanId: _, ...rest } = s;
        void _;
        spans.push({ traceId, spanId, parentSpanId: p.spanId, ...rest } as unknown as Span);
        continue;
      }
    }
    if (rng.float() < 0.02 && prev !== undefined) {
      spans.push({ ...prev }); // a duplicate row
      continue;
    }
    spans.push(s);
  }
  return spans;
}

function attrText(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

/** A bigint near `v`: itself or one ns off (the edges of inclusive and exclusive bounds). */
function near(rng: Prng, v: bigint): bigint {
  const d = rng.pick([-1n, 0n, 0n, 1n]);
  return v + d < 0n ? 0n : v + d;
}

/** A query (its compiled form, as workers get it) built from values the spans have, some that no span has. */
function randomQuery(rng: Prng, spans: Span[]): CompiledTraceQuery {
  const q: CompiledTraceQuery = { attributes: [], limit: 100, mask: ALL_SPAN_MASK, terms: [] };
  const any = (): Span => rng.pick(spans);
  if (rng.float() < 0.35) q.service = rng.float() < 0.9 ? String(any().resource.attributes['service.name']) : 'no such service';
  if (rng.float() < 0.25) q.name = rng.float() < 0.9 ? any().name : 'no such name';
  if (rng.float() < 0.3) q.kind = rng.pick(SPAN_KINDS);
  if (rng.float() < 0.35) q.status = rng.pick(STATUS_CODES);
  if (rng.float() < 0.2) {
    const s = any();
    q.minDurationNs = near(rng, s.endNs - s.startNs);
  }
  if (rng.float() < 0.15) {
    const s = any();
    q.maxDurationNs = near(rng, s.endNs - s.startNs);
  }
  for (let k = rng.float() < 0.35 ? rng.int(1, 2) : 0; k > 0; k--) {
    const s = any();
    const r = rng.float();
    const from = r < 0.6 ? s.attributes : r < 0.85 ? s.resource.attributes : {};
    const keys = Object.keys(from);
    const key = keys.length > 0 ? rng.pick(keys) : rng.pick(['http.route', 'service.name', 'nope', '__proto__', 'constructor']);
    const v = attrText((from as Record<string, unknown>)[key]);
    q.attributes.push([key, v !== undefined && rng.float() < 0.85 ? v : rng.pick(['GET', '200', '1.5', 'true', 'null', 'x', '007'])]);
  }
  if (rng.float() < 0.08) q.traceId = rng.float() < 0.8 ? any().traceId : rng.pick(['0123456789abcdef0123456789abcdef', any().traceId.toUpperCase()]);
  if (rng.float() < 0.35) q.fromNs = near(rng, any().startNs);
  if (rng.float() < 0.35) q.toNs = near(rng, any().startNs);
  if (rng.float() < 0.3) {
    const s = any();
    q.after = { startNs: near(rng, s.startNs), traceId: rng.float() < 0.8 ? s.traceId : any().traceId, spanId: s.spanId };
  }
  q.limit = rng.pick([1, 2, 5, 17, 100, 10_000]);
  return q;
}

/** What filtering a full decode gives: block order, or the best `limit` in result order. */
function expected(all: Span[], q: CompiledTraceQuery, limit: number | undefined): Span[] {
  const hits = all.filter((s) => spanMatches(q, s));
  if (limit === undefined) return hits;
  return hits.sort(compareSpanKeys).slice(0, limit);
}

function checkQueries(bytes: Uint8Array, spans: Span[], rng: Prng, queries: number, label: string): number {
  const all = decodeSpanBlock(bytes);
  const reader = new SpanBlockReader(bytes); // one reader for every query: its caches must not leak between them
  let hits = 0;
  for (let i = 0; i < queries; i++) {
    const q = randomQuery(rng, spans);
    const limit = rng.float() < 0.3 ? undefined : q.limit;
    const want = expected(all, q, limit);
    hits += want.length;
    const opts = { accept: (s: Span) => spanMatches(q, s), limit };
    // A fresh reader now and then (the kept one has parsed what earlier queries needed).
    for (const got of i % 4 === 0 ? [reader.select(q, opts), decodeSpanBlockWhere(bytes, q, opts)] : [reader.select(q, opts)]) {
      const bad = firstSpanMismatch(got, want);
      if (bad !== undefined) {
        const show = JSON.stringify(q, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
        throw new Error(`${label}, query ${i} ${show} (limit ${limit}): ${bad.slice(0, 3000)}`);
      }
    }
  }
  return hits;
}

/**
 * The block with its dictionaries' or one page's body replaced (re-compressed into a valid LZ
 * frame), so mutations reach the column decoders instead of stopping in the LZ decoder.
 */
function rebuilder(bytes: Uint8Array): { dict: Uint8Array; bodies: Uint8Array[]; rebuild: (dict: Uint8Array | undefined, k: number, body: Uint8Array | undefined) => Uint8Array } {
  const h = readSpanBlockHeader(bytes);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const pages = Array.from({ length: h.pages }, (_, k) => {
    const r = new ByteReader(buf, h.pageAt[k], h.pageAt[k + 1]);
    const storedLen = r.varint('stored length');
    const frame = bytes.subarray(r.pos + storedLen, h.pageAt[k + 1]);
    return { stored: bytes.subarray(r.pos, r.pos + storedLen), frame, body: decompress(frame) };
  });
  const dictFrame = bytes.subarray(h.dictAt, h.dictEnd);
  const rebuild = (dict: Uint8Array | undefined, k: number, body: Uint8Array | undefined): Uint8Array => writeBlock({
    count: h.count, traces: h.traces, tMinNs: h.tMinNs, tMaxNs: h.tMaxNs, minDurationNs: h.minDurationNs, maxDurationNs: h.maxDurationNs,
    traceIds: bytes.subarray(h.idsAt, h.idsAt + h.traces * 16), dict: dict === undefined ? dictFrame : compress(dict, 'fast'),
    pages: pages.map((p, i) => {
      const frame = i === k && body !== undefined ? compress(body, 'fast') : p.frame;
      const len: number[] = [];
      for (let v = p.stored.length; ; v >>>= 7) {
        if (v < 0x80) {
          len.push(v);
          break;
        }
        len.push((v & 0x7f) | 0x80);
      }
      return Buffer.concat([Uint8Array.from(len), p.stored, frame]);
    }),
  });
  return { dict: decompress(dictFrame), bodies: pages.map((p) => p.body), rebuild };
}

function expectCodecError(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    if (!(err instanceof CodecError)) throw err;
  }
}

describe('span block predicate pushdown (SpanBlockReader.select)', () => {
  it('answers exactly as filtering the full decode: generated spans, random queries (seeded property)', () => {
    const rng = new Prng(101);
    let hits = 0;
    for (const [n, seed, pageRows] of [[6000, 1, undefined], [3000, 2, 100], [800, 3, 7], [2500, 4, 1024]] as const) {
      const spans = generated(n, seed);
      const { bytes } = encodeSpanBlock(spans, 'fast', { pageRows });
      hits += checkQueries(bytes, spans, rng, 150, `generated ${n} spans, pageRows ${pageRows}`);
    }
    expect(hits).toBeGreaterThan(10_000);
  });

  it('answers exactly as filtering the full decode: random spans of every shape (seeded property)', () => {
    const rng = new Prng(102);
    let hits = 0;
    for (let round = 0; round < 40; round++) {
      const n = round < 3 ? [1, 2, 1000][round] : rng.int(1, 300);
      const spans = randomBlockSpans(rng, n);
      // Pages of one row and of a few (every row a page's first, traces cut across pages), and larger ones.
      const pageRows = n > 300 ? 128 : rng.pick([undefined, 1, 3, 16, 64]);
      const { bytes } = encodeSpanBlock(spans, 'fast', { pageRows });
      hits += checkQueries(bytes, spans, rng, 30, `round ${round} (${n} random spans, pageRows ${pageRows})`);
    }
    expect(hits).toBeGreaterThan(2_000);
  });

  it('builds only what may match: the errors of one service, the newest rows of a limit', () => {
    const spans = generated(6000, 7);
    const { bytes } = encodeSpanBlock(spans, 'fast');
    const all = decodeSpanBlock(bytes);
    const service = 'frontend';
    const q: CompiledTraceQuery = { service, status: 'error', attributes: [], limit: 100, mask: ALL_SPAN_MASK, terms: [] };
    let built = 0;
    const got = new SpanBlockReader(bytes).select(q, { accept: (s) => (built++, spanMatches(q, s)) });
    expect(firstSpanMismatch(got, expected(all, q, undefined))).toBeUndefined();
    expect(got.length).toBeGreaterThan(0);
    // The tuples decide service and status exactly: nothing else is built.
    expect(built).toBe(got.length);
    // Newest 10: about 10 rows built, not 6000.
    const newest: CompiledTraceQuery = { attributes: [], limit: 10, mask: ALL_SPAN_MASK, terms: [] };
    built = 0;
    const top = new SpanBlockReader(bytes).select(newest, { accept: (s) => (built++, spanMatches(newest, s)), limit: 10 });
    expect(firstSpanMismatch(top, expected(all, newest, 10))).toBeUndefined();
    expect(built).toBeLessThan(20);
    // A service no tuple has: nothing is built (and no page needs reading).
    const none: CompiledTraceQuery = { service: 'no such service', attributes: [], limit: 100, mask: ALL_SPAN_MASK, terms: [] };
    expect(new SpanBlockReader(bytes).select(none, { accept: () => true })).toEqual([]);
  });

  it('readSpanBlocks answers a page of several blocks (columnar and RAW, any order) as filtering every span', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'span-where-'));
    try {
      const rng = new Prng(103);
      const file = path.join(dir, 'blocks.seg');
      const parts: Uint8Array[] = [];
      const refs: SpanBlockRef[] = [];
      const everything: Span[] = [];
      let offset = 0;
      const add = (payload: Uint8Array, count: number, codec: number): void => {
        const framed = frameBlock({ kind: KIND_SPAN_BLOCK, ownerId: 0, count, tMinMs: 0, tMaxMs: 1 }, payload);
        refs.push({ id: refs.length + 1, file, offset, length: framed.length, codec });
        parts.push(framed);
        offset += framed.length;
      };
      // Overlapping time ranges, as compaction's trace-ordered cuts of one group make them.
      const spans = generated(9000, 11);
      for (let from = 0; from < spans.length; from += 2000) {
        const slice = spans.slice(from, from + 2000);
        // The spans as stored (their decoded form: key order included).
        if (from === 4000) {
          const w = new SpanRecordWriter(64 * 1024);
          for (const s of slice) w.append(s, 0);
          const records = w.bytes().slice();
          everything.push(...decodeSpanRecords(records).spans);
          add(records, slice.length, CODEC_SPAN_RAW_V1);
        } else {
          const { bytes } = encodeSpanBlock(slice, 'fast', { pageRows: 256 });
          everything.push(...decodeSpanBlock(bytes));
          add(bytes, slice.length, CODEC_SPAN_BLOCK_V1);
        }
      }
      fs.writeFileSync(file, Buffer.concat(parts));
      for (let i = 0; i < 120; i++) {
        const q = randomQuery(rng, everything);
        const limit = q.limit + 1;
        const blocks = rng.float() < 0.5 ? refs : [...refs].sort(() => rng.float() - 0.5);
        const out = readSpanBlocks({ blocks, query: q, limit });
        expect(out.skipped).toEqual([]);
        const got = out.count > 0 ? decodeSpanRecords(out.records).spans : [];
        const want = expected(everything, q, limit);
        const bad = firstSpanMismatch(got, want);
        if (bad !== undefined) throw new Error(`query ${i}: ${bad.slice(0, 2000)}`);
      }

    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('readSpanBlocks bounds later blocks by the worst of the best kept, not by the last span read', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'span-where-'));
    try {
      const file = path.join(dir, 'blocks.seg');
      const spans = decodeSpanBlock(encodeSpanBlock(generated(8000, 12), 'fast').bytes);
      // A RAW block read first that fills the page exactly, its records oldest first (so its last
      // is its newest), then columnar blocks over the same hours.
      const rawSpans = spans.filter((_, i) => i % 4 === 0).sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
      const rest = spans.filter((_, i) => i % 4 !== 0);
      const w = new SpanRecordWriter(64 * 1024);
      for (const s of rawSpans) w.append(s, 0);
      const payloads: Array<[Uint8Array, number, number]> = [[w.bytes().slice(), rawSpans.length, CODEC_SPAN_RAW_V1]];
      for (let from = 0; from < rest.length; from += 3000) {
        const slice = rest.slice(from, from + 3000);
        payloads.push([encodeSpanBlock(slice, 'fast').bytes, slice.length, CODEC_SPAN_BLOCK_V1]);
      }
      const refs: SpanBlockRef[] = [];
      const parts: Uint8Array[] = [];
      let offset = 0;
      for (const [payload, count, codec] of payloads) {
        const framed = frameBlock({ kind: KIND_SPAN_BLOCK, ownerId: 0, count, tMinMs: 0, tMaxMs: 1 }, payload);
        refs.push({ id: refs.length + 1, file, offset, length: framed.length, codec });
        parts.push(framed);
        offset += framed.length;
      }
      fs.writeFileSync(file, Buffer.concat(parts));
      const everything = [...decodeSpanRecords(payloads[0][0]).spans, ...rest];
      const all: CompiledTraceQuery = { attributes: [], limit: rawSpans.length, mask: ALL_SPAN_MASK, terms: [] };
      const out = readSpanBlocks({ blocks: refs, query: all, limit: rawSpans.length });
      expect(firstSpanMismatch(decodeSpanRecords(out.records).spans, expected(everything, all, rawSpans.length))).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fuzz: mutated blocks answer or throw CodecError, never anything else', () => {
    const rng = new Prng(104);
    const sources = [
      { spans: generated(300, 41), pageRows: 64 },
      { spans: randomBlockSpans(rng, 60), pageRows: 16 },
    ];
    let runs = 0;
    for (const { spans, pageRows } of sources) {
      const bytes = encodeSpanBlock(spans, 'fast', { pageRows }).bytes;
      for (let i = 0; i < 1500; i++) {
        const m = Uint8Array.from(bytes);
        for (let k = rng.int(1, 4); k > 0; k--) {
          const at = rng.int(0, m.length - 1);
          m[at] = rng.float() < 0.5 ? rng.int(0, 255) : m[at] ^ (1 << rng.int(0, 7));
        }
        const q = randomQuery(rng, spans);
        runs++;
        expectCodecError(() => decodeSpanBlockWhere(m, q, { accept: (s) => spanMatches(q, s), limit: rng.float() < 0.5 ? q.limit : undefined }));
      }
      for (let cut = 0; cut < bytes.length; cut += Math.max(1, Math.floor(bytes.length / 200))) {
        const q = randomQuery(rng, spans);
        expectCodecError(() => decodeSpanBlockWhere(bytes.subarray(0, cut), q, { accept: () => true }));
      }
    }
    expect(runs).toBe(3000);
  });

  it('fuzz: corrupted dictionaries and page bodies behind valid LZ frames throw CodecError only', () => {
    const rng = new Prng(105);
    const sources = [
      { spans: generated(400, 43), pageRows: 100 },
      { spans: randomBlockSpans(rng, 80), pageRows: 16 },
    ];
    let runs = 0;
    for (const { spans, pageRows } of sources) {
      const bytes = encodeSpanBlock(spans, 'fast', { pageRows }).bytes;
      const { dict, bodies, rebuild } = rebuilder(bytes);
      expect(firstSpanMismatch(decodeSpanBlock(rebuild(undefined, -1, undefined)), decodeSpanBlock(bytes))).toBeUndefined();
      for (let i = 0; i < 500; i++) {
        const inDict = rng.float() < 0.3;
        const k = rng.int(0, bodies.length - 1);
        const target = Uint8Array.from(inDict ? dict : bodies[k]);
        let mutated: Uint8Array = target;
        if (rng.float() < 0.15) mutated = target.subarray(0, rng.int(0, target.length - 1));
        else {
          for (let m = rng.int(1, 3); m > 0; m--) {
            const at = rng.int(0, target.length - 1);
            target[at] = rng.float() < 0.5 ? rng.int(0, 255) : target[at] ^ (1 << rng.int(0, 7));
          }
        }
        const block = inDict ? rebuild(mutated, -1, undefined) : rebuild(undefined, k, mutated);
        // A few queries on one reader (what one query parsed, the next one reuses).
        const reader = (() => {
          try {
            return new SpanBlockReader(block);
          } catch (err) {
            if (!(err instanceof CodecError)) throw err;
            return undefined;
          }
        })();
        for (let j = 0; j < 3 && reader !== undefined; j++) {
          const q = randomQuery(rng, spans);
          runs++;
          expectCodecError(() => reader.select(q, { accept: (s) => spanMatches(q, s), limit: rng.float() < 0.5 ? q.limit : undefined }));
        }
      }
    }
    expect(runs).toBeGreaterThan(2500);
  });
});
