import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../../bench/gen/prng.js';
import { generateTraces } from '../../../bench/gen/traces.js';
import { firstSpanMismatch, randomSpan } from '../../../test/traces-random-spans.js';
import { ByteReader } from '../../codec/columns/bytes.js';
import { CodecError } from '../../codec/errors.js';
import { compress, decompress } from '../../codec/lz.js';
import { writeBlock } from './block-layout.js';
import { SpanMetaCollector } from '../span-meta.js';
import { kindBit, statusBit } from '../schema.js';
import type { Span } from '../types.js';
import {
  decodeSpanBlock, decodeTraceFromBlock, DEFAULT_INDEXED_KEYS, encodeSpanBlock, readSpanBlockHeader, readSpanBlockMeta,
  spanBlockHasTrace, SpanBlockReader, SPAN_BLOCK_FORMAT,
} from './block.js';

/** Block order: (traceId, startNs, spanId), stable for full ties (as the encoder sorts). */
function blockOrder(spans: readonly Span[]): Span[] {
  return spans
    .map((s, i) => ({ s, i }))
    .sort((a, b) => {
      const x = a.s;
      const y = b.s;
      if (x.traceId !== y.traceId) return x.traceId < y.traceId ? -1 : 1;
      if (x.startNs !== y.startNs) return x.startNs < y.startNs ? -1 : 1;
      if (x.spanId !== y.spanId) return x.spanId < y.spanId ? -1 : 1;
      return a.i - b.i;
    })
    .map((e) => e.s);
}

function generated(spans: number, seed: number): Span[] {
  const out: Span[] = [];
  for (const b of generateTraces({ spans, seed, fromMs: Date.UTC(2024, 2, 4) })) out.push(...b);
  return out.slice(0, spans);
}

/** Deep strict equality span by span (generated spans have their own key order, so no key-order check). */
function firstDeepMismatch(actual: Span[], expected: Span[]): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length} !== ${expected.length}`;
  for (let i = 0; i < actual.length; i++) if (!isDeepStrictEqual(actual[i], expected[i])) return `span ${i} (${expected[i].spanId}) differs`;
  return undefined;
}

/**
 * Random spans (every field, nasty values) grouped into traces the way real ones are: spans share
 * trace ids, parents point at spans of the same trace (sometimes at absent ones, sometimes at spans
 * that start later), links point at the span's own trace, another trace of the block, or elsewhere.
 */
function randomBlockSpans(rng: Prng, n: number): Span[] {
  const spans: Span[] = [];
  for (let i = 0; i < n; i++) {
    const s = randomSpan(rng) as Span & Record<string, unknown>;
    const prev = spans[spans.length - 1];
    if (prev !== undefined && rng.float() < 0.7) {
      s.traceId = prev.traceId;
      if (rng.float() < 0.3) s.startNs = prev.startNs; // ties on start: the span id decides
      if (s.endNs < s.startNs) s.endNs = s.startNs;
      const same = spans.filter((x) => x.traceId === s.traceId);
      if (rng.float() < 0.8) {
        const p = rng.pick(same);
        // Keep the key order of the stored form: parentSpanId right after spanId.
        const { traceId, spanId, parentSpanId: _, ...rest } = s;
        void _;
        const withParent = { traceId, spanId, parentSpanId: p.spanId, ...rest } as unknown as Span;
        spans.push(withParent);
        continue;
      }
    }
    for (const l of s.links) {
      const r = rng.float();
      if (r < 0.3) l.traceId = s.traceId;
      else if (r < 0.5 && spans.length > 0) l.traceId = rng.pick(spans).traceId;
    }
    if (rng.float() < 0.02 && prev !== undefined) {
      spans.push({ ...prev }); // a duplicate row: same ids, same start
      continue;
    }
    spans.push(s);
  }
  return spans;
}

function expectCodecError(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    if (!(err instanceof CodecError)) throw err;
  }
}

const SAMPLE_RESOURCE = { attributes: { 'service.name': 'api', 'host.name': 'h1' }, droppedAttributesCount: 0 };
const SAMPLE_SCOPE = { name: '@opentelemetry/instrumentation-http', version: '0.52.1', attributes: {}, droppedAttributesCount: 0 };

/** A small fixed block: two traces, a root, children, an error with an event, a link, trace state, dropped counts. */
function sampleSpans(): Span[] {
  const t1 = '0102030405060708090a0b0c0d0e0f10';
  const t2 = 'f0e0d0c0b0a090807060504030201000';
  const base = 1_700_000_000_000_000_000n;
  return [
    {
      traceId: t1, spanId: 'a1a2a3a4a5a6a7a8', name: 'GET /items/:id', kind: 'server', startNs: base, endNs: base + 5_250_000n,
      status: { code: 'unset' }, attributes: { 'http.request.method': 'GET', 'http.route': '/items/:id', 'url.path': '/items/42', 'http.response.status_code': 200 },
      events: [], links: [], resource: SAMPLE_RESOURCE, scope: SAMPLE_SCOPE, flags: 0x301, droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 0,
    },
    {
      traceId: t1, spanId: 'b1b2b3b4b5b6b7b8', parentSpanId: 'a1a2a3a4a5a6a7a8', name: 'SELECT items', kind: 'client', startNs: base + 1_000_000n, endNs: base + 4_000_000n,
      status: { code: 'error', message: 'timeout after 3ms' }, attributes: { 'db.system': 'postgresql', 'db.query.text': 'SELECT * FROM items WHERE id = $1', rows: -1, ratio: 0.25, tags: ['a', 1] },
      events: [{ name: 'exception', timeNs: base + 3_999_000n, attributes: { 'exception.type': 'Error', 'exception.message': 'timeout after 3ms' }, droppedAttributesCount: 0 }],
      links: [], resource: SAMPLE_RESOURCE, scope: SAMPLE_SCOPE, traceState: 'vendor=x', flags: 0x101, droppedAttributesCount: 2, droppedEventsCount: 0, droppedLinksCount: 0,
    },
    {
      traceId: t2, spanId: 'c1c2c3c4c5c6c7c8', parentSpanId: '9999999999999999', name: 'process orders', kind: 'consumer', startNs: base + 7_000_000n, endNs: base + 7_000_000n,
      status: { code: 'ok' }, attributes: {}, events: [],
      links: [{ traceId: t1, spanId: 'a1a2a3a4a5a6a7a8', traceState: 'k=v', flags: 1, attributes: { 'messaging.operation.type': 'process' }, droppedAttributesCount: 0 }],
      resource: { attributes: { 'service.name': 'worker' }, droppedAttributesCount: 1, schemaUrl: 'https://opentelemetry.io/schemas/1.24.0' },
      scope: { name: 'app', attributes: { x: true }, droppedAttributesCount: 0 }, flags: 1, droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 7,
    },
    // A third trace: a handler and ten cache calls whose peer address and port repeat (frequent
    // values: the tuples name them), whose keys carry the product id (a template variable).
    ...Array.from({ length: 11 }, (_, i): Span => ({
      traceId: '77777777777777777777777777777777', spanId: `d${i.toString(16)}d2d3d4d5d6d7d8`.slice(0, 16),
      ...(i === 0 ? {} : { parentSpanId: 'd0d2d3d4d5d6d7d8' }), // key order of the stored form
      name: i === 0 ? 'GET /products/:id' : 'get',
      kind: i === 0 ? 'server' : 'client', startNs: base + 9_000_000n + BigInt(i) * 1_234_567n, endNs: base + 9_000_000n + BigInt(i) * 1_234_567n + 654_321n + (i === 0 ? 20_000_000n : 0n),
      status: { code: 'unset' },
      attributes: i === 0 ? { 'http.route': '/products/:id', 'url.path': '/products/34763' } : { 'db.query.text': `get product:${34763 + i}`, 'network.peer.address': '10.42.1.31', 'server.port': 6379 },
      events: [], links: [], resource: SAMPLE_RESOURCE, scope: SAMPLE_SCOPE, flags: 0x101, droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 0,
    })),
  ];
}

describe('span block', () => {
  it('keeps its format (golden hash of a small fixed block) and round-trips it', () => {
    const spans = sampleSpans();
    const { bytes, meta } = encodeSpanBlock(spans, 'default');
    expect(bytes[0]).toBe(SPAN_BLOCK_FORMAT);
    expect(Array.from(bytes.subarray(1, 4))).toEqual([14, 3, 1]); // 14 spans, 3 traces, 1 page
    const h = readSpanBlockHeader(bytes);
    expect([h.tMinNs, h.tMaxNs, h.minDurationNs, h.maxDurationNs]).toEqual([spans[0].startNs, spans[13].startNs, 0n, 20_654_321n]);
    // The trace directory: the raw ids, ascending, right after the head.
    const ids = [spans[0].traceId, spans[3].traceId, spans[2].traceId];
    expect(Buffer.from(bytes.subarray(h.idsAt, h.idsAt + 48)).toString('hex')).toBe(ids.join(''));
    expect(createHash('sha256').update(bytes).digest('hex').slice(0, 16)).toBe('4013abc9a07f625f');
    expect(firstSpanMismatch(decodeSpanBlock(bytes), blockOrder(spans))).toBeUndefined();
    expect(meta.traceIds).toEqual(ids);
  });

  it('round-trips generated spans exactly (every field), in (traceId, startNs, spanId) order', () => {
    const spans = generated(6000, 11);
    for (const pageRows of [undefined, 100]) {
      const { bytes } = encodeSpanBlock(spans, 'fast', { pageRows });
      expect(firstDeepMismatch(decodeSpanBlock(bytes), blockOrder(spans))).toBeUndefined();
    }
  });

  it('round-trips random spans of every shape (seeded property: many blocks of 1..3000 spans)', () => {
    const rng = new Prng(5);
    let total = 0;
    for (let round = 0; total < 9_000; round++) {
      const n = round < 4 ? [1, 2, 3, 3000][round] : rng.int(1, 700);
      total += n;
      const spans = randomBlockSpans(rng, n);
      const pageRows = rng.pick([undefined, 1, 2, 7, 64]);
      const { bytes, meta } = encodeSpanBlock(spans, rng.pick(['fast', 'default'] as const), { pageRows });
      const want = blockOrder(spans);
      const got = decodeSpanBlock(bytes);
      const bad = firstSpanMismatch(got, want);
      if (bad !== undefined) throw new Error(`round ${round} (${n} spans, pageRows ${pageRows}): ${bad.slice(0, 4000)}`);
      expect(meta.count).toBe(n);
    }
  });

  it('decodeTraceFromBlock returns exactly the trace (every trace of a block; [] for an absent id)', () => {
    const rng = new Prng(9);
    const cases: { spans: Span[]; pageRows?: number }[] = [
      { spans: generated(4000, 3) },
      { spans: generated(3000, 4), pageRows: 64 },
      { spans: randomBlockSpans(rng, 400), pageRows: 3 },
    ];
    // One trace bigger than several pages.
    const big = generated(1500, 8).map((s) => ({ ...s, traceId: 'abcdefabcdefabcdefabcdefabcdef01' }));
    cases.push({ spans: [...big, ...generated(500, 9)], pageRows: 128 });
    for (const { spans, pageRows } of cases) {
      const { bytes, meta } = encodeSpanBlock(spans, 'fast', { pageRows });
      const all = decodeSpanBlock(bytes);
      // One reader for every look-up (its dictionaries, templates and tuples cached across pages),
      // in a scrambled order, and a fresh decode each time.
      const reader = new SpanBlockReader(bytes);
      const ids = [...meta.traceIds].sort((a, b) => (a.slice(7) < b.slice(7) ? -1 : 1));
      for (const id of ids) {
        const want = all.filter((s) => s.traceId === id);
        for (const got of [decodeTraceFromBlock(bytes, id), reader.trace(id)]) {
          if (firstSpanMismatch(got, want) !== undefined) throw new Error(`trace ${id}: ${firstSpanMismatch(got, want)!.slice(0, 2000)}`);
        }
        expect(spanBlockHasTrace(bytes, id)).toBe(true);
      }
      expect(firstSpanMismatch(reader.spans(), all)).toBeUndefined();
      expect(decodeTraceFromBlock(bytes, '00000000000000000000000000000001')).toEqual([]);
      expect(decodeTraceFromBlock(bytes, 'ffffffffffffffffffffffffffffffff')).toEqual([]);
      expect(spanBlockHasTrace(bytes, 'ffffffffffffffffffffffffffffffff')).toBe(false);
      expect(() => decodeTraceFromBlock(bytes, 'ABCDEFABCDEFABCDEFABCDEFABCDEF01')).toThrow(CodecError);
    }
  });

  it('reports the meta the index needs (ranges, trace ids, mask, terms, keys)', () => {
    const spans = [...generated(3000, 21), ...sampleSpans()];
    const indexedKeys = [...DEFAULT_INDEXED_KEYS, 'db.system', 'rows'];
    const { bytes, meta } = encodeSpanBlock(spans, 'fast', { indexedKeys });
    let tMin = spans[0].startNs;
    let tMax = tMin;
    let dMin = spans[0].endNs - spans[0].startNs;
    let dMax = dMin;
    let mask = 0;
    const keys = new Set<string>();
    const collector = new SpanMetaCollector(indexedKeys);
    for (const s of spans) {
      if (s.startNs < tMin) tMin = s.startNs;
      if (s.startNs > tMax) tMax = s.startNs;
      const d = s.endNs - s.startNs;
      if (d < dMin) dMin = d;
      if (d > dMax) dMax = d;
      mask |= kindBit(s.kind) | statusBit(s.status.code);
      for (const k of Object.keys(s.attributes)) keys.add(k);
      for (const k of Object.keys(s.resource.attributes)) keys.add(k);
      collector.add(s);
    }
    expect(meta.count).toBe(spans.length);
    expect([meta.tMinNs, meta.tMaxNs, meta.minDurationNs, meta.maxDurationNs]).toEqual([tMin, tMax, dMin, dMax]);
    expect(meta.traceIds).toEqual([...new Set(spans.map((s) => s.traceId))].sort());
    expect(meta.mask).toBe(mask);
    expect(meta.mask & statusBit('error')).not.toBe(0);
    expect(meta.terms).toEqual(collector.terms());
    expect(meta.terms).toContain('service=frontend');
    expect(meta.terms).toContain('name=SELECT items');
    expect(meta.terms).toContain('attr:http.request.method=GET');
    expect(meta.terms).toContain('attr:rows=-1');
    expect(meta.keys).toEqual([...keys].sort());
    expect(meta.keys).not.toContain('exception.type'); // event attribute keys are not span keys
    // The same meta from the stored block alone (index rebuilds).
    expect(readSpanBlockMeta(bytes, { indexedKeys })).toEqual(meta);
  });

  it('decodes what every compression level wrote', () => {
    const spans = generated(2000, 31);
    const want = blockOrder(spans);
    const sizes: number[] = [];
    for (const level of ['fast', 'default', 'max'] as const) {
      const { bytes } = encodeSpanBlock(spans, level);
      sizes.push(bytes.length);
      expect(firstDeepMismatch(decodeSpanBlock(bytes), want)).toBeUndefined();
    }
    expect(sizes[2]).toBeLessThanOrEqual(sizes[0]);
  });

  it('refuses what it cannot store exactly (CodecError INVALID_INPUT)', () => {
    const ok = sampleSpans()[0];
    const bad: unknown[] = [
      { ...ok, traceId: 'XYZ' }, { ...ok, spanId: '0102' }, { ...ok, traceId: ok.traceId.toUpperCase() }, { ...ok, parentSpanId: '' },
      { ...ok, endNs: ok.startNs - 1n }, { ...ok, startNs: -1n }, { ...ok, endNs: 1n << 64n }, { ...ok, kind: 'nope' },
      { ...ok, status: { code: 'bad' } }, { ...ok, flags: 2 ** 32 }, { ...ok, flags: 1.5 }, { ...ok, droppedLinksCount: -1 },
      { ...ok, events: [{ name: 'e', timeNs: 1, attributes: {}, droppedAttributesCount: 0 }] },
      { ...ok, links: [{ traceId: 'x', spanId: ok.spanId, flags: 0, attributes: {}, droppedAttributesCount: 0 }] },
      { ...ok, attributes: { n: 1n } }, { ...ok, resource: { attributes: {}, droppedAttributesCount: -1 } },
    ];
    for (const s of bad) {
      let err: unknown;
      try {
        encodeSpanBlock([ok, s as Span], 'fast');
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(s, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).toBeInstanceOf(CodecError);
      expect((err as CodecError).code).toBe('INVALID_INPUT');
    }
    expect(() => encodeSpanBlock([], 'fast')).toThrow(CodecError);
  });

  it('keeps times exactly at the edges (0, 2^63 - 1, zero durations, events before the start)', () => {
    const ok = sampleSpans()[1];
    const max = (1n << 63n) - 1n;
    const spans: Span[] = [
      { ...ok, spanId: '0000000000000001', startNs: 0n, endNs: 0n, events: [{ ...ok.events[0], timeNs: max }] },
      { ...ok, spanId: '0000000000000002', startNs: max, endNs: max },
      { ...ok, spanId: '0000000000000003', startNs: 5n, endNs: max, events: [{ ...ok.events[0], timeNs: 0n }] },
      { ...ok, spanId: '0000000000000004', startNs: 1_000n, endNs: 3_000n, events: [{ ...ok.events[0], timeNs: 999n }] },
    ];
    const { bytes } = encodeSpanBlock(spans, 'fast');
    expect(firstSpanMismatch(decodeSpanBlock(bytes), blockOrder(spans))).toBeUndefined();
  });

  it('fuzz: truncated and mutated blocks decode or throw CodecError, never anything else', () => {
    const rng = new Prng(77);
    const blocks = [
      encodeSpanBlock(generated(300, 41), 'fast', { pageRows: 64 }).bytes,
      encodeSpanBlock(randomBlockSpans(rng, 60), 'fast', { pageRows: 16 }).bytes,
      encodeSpanBlock(sampleSpans(), 'fast').bytes,
    ];
    let thrown = 0;
    let runs = 0;
    for (const bytes of blocks) {
      const ids = readSpanBlockMeta(bytes).traceIds;
      for (let cut = 0; cut < bytes.length; cut += Math.max(1, Math.floor(bytes.length / 400))) {
        expect(() => decodeSpanBlock(bytes.subarray(0, cut))).toThrow(CodecError);
        expectCodecError(() => decodeTraceFromBlock(bytes.subarray(0, cut), ids[0]));
      }
      for (let i = 0; i < 3334; i++) {
        const m = Uint8Array.from(bytes);
        for (let k = rng.int(1, 4); k > 0; k--) {
          const at = rng.int(0, m.length - 1);
          m[at] = rng.float() < 0.5 ? rng.int(0, 255) : m[at] ^ (1 << rng.int(0, 7));
        }
        runs++;
        try {
          decodeSpanBlock(m);
        } catch (err) {
          if (!(err instanceof CodecError)) throw new Error(`mutation ${i}: ${String((err as Error).stack)}`);
          thrown++;
        }
        expectCodecError(() => decodeTraceFromBlock(m, rng.pick(ids)));
      }
    }
    expect(runs).toBeGreaterThanOrEqual(10_000);
    expect(thrown).toBeGreaterThan(runs / 4);
  });

  it('fuzz: corrupted dictionaries and page bodies behind valid LZ frames throw CodecError only', () => {
    // Raw mutations mostly stop in the LZ decoder; these reach the column decoders.
    const rng = new Prng(78);
    const sources = [
      encodeSpanBlock(generated(400, 43), 'fast', { pageRows: 100 }).bytes,
      encodeSpanBlock(randomBlockSpans(rng, 80), 'fast', { pageRows: 16 }).bytes,
      encodeSpanBlock(sampleSpans(), 'fast').bytes,
    ];
    let thrown = 0;
    let runs = 0;
    for (const bytes of sources) {
      const h = readSpanBlockHeader(bytes);
      const ids = readSpanBlockMeta(bytes).traceIds;
      const dict = decompress(bytes.subarray(h.dictAt, h.dictEnd));
      const pages = Array.from({ length: h.pages }, (_, k) => {
        const r = new ByteReader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), h.pageAt[k], h.pageAt[k + 1]);
        const storedLen = r.varint('x');
        const stored = bytes.slice(r.pos, r.pos + storedLen);
        return { stored, body: decompress(bytes.subarray(r.pos + storedLen, h.pageAt[k + 1])), frame: bytes.subarray(r.pos + storedLen, h.pageAt[k + 1]) };
      });
      const dictFrame = bytes.subarray(h.dictAt, h.dictEnd);
      const rebuild = (d: Uint8Array, k: number, body: Uint8Array): Uint8Array => writeBlock({
        count: h.count, traces: h.traces, tMinNs: h.tMinNs, tMaxNs: h.tMaxNs, minDurationNs: h.minDurationNs, maxDurationNs: h.maxDurationNs,
        traceIds: bytes.subarray(h.idsAt, h.idsAt + h.traces * 16), dict: d === dict ? dictFrame : compress(d, 'fast'),
        pages: pages.map((p, i) => {
          const frame = i === k ? compress(body, 'fast') : p.frame;
          const out = new Uint8Array(5 + p.stored.length + frame.length);
          let at = 0;
          for (let v = p.stored.length; ; v >>>= 7) {
            if (v < 0x80) {
              out[at++] = v;
              break;
            }
            out[at++] = (v & 0x7f) | 0x80;
          }
          out.set(p.stored, at);
          out.set(frame, at + p.stored.length);
          return out.subarray(0, at + p.stored.length + frame.length);
        }),
      });
      // Unchanged, the rebuilt block decodes as the original.
      expect(firstSpanMismatch(decodeSpanBlock(rebuild(dict, -1, new Uint8Array(0))), decodeSpanBlock(bytes))).toBeUndefined();
      for (let i = 0; i < 700; i++) {
        const inDict = rng.float() < 0.3;
        const k = rng.int(0, h.pages - 1);
        const target = Uint8Array.from(inDict ? dict : pages[k].body);
        let mutated: Uint8Array = target;
        if (rng.float() < 0.15) mutated = target.subarray(0, rng.int(0, target.length - 1));
        else {
          for (let m = rng.int(1, 3); m > 0; m--) {
            const at = rng.int(0, target.length - 1);
            target[at] = rng.float() < 0.5 ? rng.int(0, 255) : target[at] ^ (1 << rng.int(0, 7));
          }
        }
        const block = inDict ? rebuild(mutated, -1, mutated) : rebuild(dict, k, mutated);
        runs++;
        try {
          decodeSpanBlock(block);
        } catch (err) {
          if (!(err instanceof CodecError)) throw new Error(`mutation ${i} (${inDict ? 'dict' : `page ${k}`}): ${String((err as Error).stack)}`);
          thrown++;
        }
        expectCodecError(() => decodeTraceFromBlock(block, rng.pick(ids)));
      }
    }
    expect(thrown).toBeGreaterThan(runs / 3);
  });
});
