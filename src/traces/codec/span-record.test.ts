import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../../bench/gen/prng.js';
import { CodecError } from '../../codec/errors.js';
import { firstSpanMismatch, randomSpan } from '../../../test/traces-random-spans.js';
import type { InstrumentationScope, Span, SpanResource } from '../types.js';
import {
  decodeSpanRecords, encodeSpanRecord, forEachSpanRecord, FLAG_PARENT, FLAG_RESOURCE_REF, makeSpan, FLAG_SCOPE_REF, REC_BYTES, REC_FLAGS,
  REC_KIND_STATUS, REC_START_NS, SPAN_CHAIN_WINDOW, SPAN_RECORD_FIXED_BYTES, spanRecordLength, SpanRecordWriter, type SpanChainState,
} from './span-record.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const T0 = 1_700_000_000_000_000_000n;
const MAX_NS = 2n ** 63n - 1n;

const GOLDEN: Span = {
  traceId: '0102030405060708090a0b0c0d0e0f10', spanId: 'a1a2a3a4a5a6a7a8', parentSpanId: 'b1b2b3b4b5b6b7b8',
  name: 'GET', kind: 'server', startNs: T0, endNs: T0 + 1500n, status: { code: 'error', message: 'boom' },
  attributes: { a: 1 }, events: [{ name: 'e', timeNs: T0 + 10n, attributes: {}, droppedAttributesCount: 0 }], links: [],
  resource: { attributes: { s: 'x' }, droppedAttributesCount: 0 },
  scope: { name: 'l', version: '1', attributes: {}, droppedAttributesCount: 0 },
  flags: 1, droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 0,
};

/** The parts of GOLDEN's record after the fixed header, as README.md spells them. */
const GOLDEN_PARENT = 'b1b2b3b4b5b6b7b8';
// resource part: padded len 12 | attrs: padded len 8, form 0, padded count 1, "s", string "x" | dropped 0 | schemaUrl ''
const GOLDEN_RESOURCE = '8c00' + '8800' + '00' + '8100' + '0173' + '030178' + '00' + '00';
/** A second resource, {s: 'y'}: the same part with "y" (0x79). */
const RESOURCE_Y: SpanResource = { attributes: { s: 'y' }, droppedAttributesCount: 0 };
const RESOURCE_Y_PART = '8c00' + '8800' + '00' + '8100' + '0173' + '030179' + '00' + '00';
// scope part: padded len 7 | name "l" | version "1" | schemaUrl '' | attrs {} | dropped 0
const GOLDEN_SCOPE = '8700' + '016c' + '0131' + '00' + '00' + '00';
// duration 1500 | flags 1 | name "GET" | attrs {a: 1} | 1 event: zigzag(10), "e", {}, 0 | status message "boom"
const GOLDEN_BODY = 'dc0b' + '01' + '03474554' + '8700' + '00' + '8100' + '0161' + '0401' + '01' + '14' + '0165' + '00' + '00' + '04626f6f6d';

/** GOLDEN with some fields changed, keys in the stored order (makeSpan's). */
function spanWith(patch: Partial<Span>): Span {
  const s = { ...GOLDEN, ...patch };
  return makeSpan(s.traceId, s.spanId, s.parentSpanId, s.name, s.kind, s.startNs, s.endNs, s.status, s.attributes, s.events, s.links,
    s.resource, s.scope, s.traceState, s.flags, s.droppedAttributesCount, s.droppedEventsCount, s.droppedLinksCount);
}

function fixedHeader(seq: string, length: number, flags: number): string {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(length);
  return seq + len.toString('hex') + GOLDEN.traceId + GOLDEN.spanId + '00002a36fe9c9717' + flags.toString(16).padStart(2, '0') + '12';
}

function varint(v: number): number[] {
  const out: number[] = [];
  for (; v >= 0x80; v = Math.floor(v / 128)) out.push((v & 0x7f) | 0x80);
  out.push(v);
  return out;
}

/** A varint as README.md spells it: [value, offset after it]. */
function readVarint(b: Uint8Array, at: number): [number, number] {
  let v = 0;
  for (let mul = 1; ; mul *= 128) {
    const byte = b[at++];
    v += (byte & 0x7f) * mul;
    if (byte < 0x80) return [v, at];
  }
}

type PartHead = number | 'full';

/** Each record's resource and scope as laid out by the spec, read without the decoder: 'full' (a part), or the ref. */
function heads(bytes: Uint8Array): Array<{ resource: PartHead; scope: PartHead }> {
  const out: Array<{ resource: PartHead; scope: PartHead }> = [];
  for (let p = 0; p < bytes.length; p += Buffer.from(bytes.buffer, bytes.byteOffset + p + REC_BYTES, 4).readUInt32LE(0)) {
    const flags = bytes[p + REC_FLAGS];
    let at = p + SPAN_RECORD_FIXED_BYTES + (flags & FLAG_PARENT ? 8 : 0);
    const part = (refFlag: number): PartHead => {
      const [v, next] = readVarint(bytes, at);
      at = flags & refFlag ? next : next + v;
      return flags & refFlag ? v : 'full';
    };
    const resource = part(FLAG_RESOURCE_REF);
    out.push({ resource, scope: part(FLAG_SCOPE_REF) });
  }
  return out;
}

/**
 * What a chaining writer must write for these resources (or scopes), by the rule in README.md and
 * nothing shared with the writer: the full parts since the chain started; a value among the last
 * SPAN_CHAIN_WINDOW of them is a ref (how many back), else a full part. `null` = a chain restart.
 */
function expectedHeads<T>(values: Array<T | null>): PartHead[] {
  const out: PartHead[] = [];
  let fulls: T[] = [];
  for (const v of values) {
    if (v === null) {
      fulls = [];
      continue;
    }
    const window = fulls.slice(-SPAN_CHAIN_WINDOW);
    const k = window.lastIndexOf(v);
    if (k >= 0) out.push(window.length - 1 - k);
    else {
      out.push('full');
      fulls.push(v);
    }
  }
  return out;
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof CodecError)) throw err;
    return err.code;
  }
  return 'ok';
}

/** Records of random spans through one writer, with the byte offset where each ends. */
function randomRecords(seed: number, n: number, chain: boolean): { bytes: Uint8Array; spans: Span[]; ends: number[] } {
  const rng = new Prng(seed);
  const w = new SpanRecordWriter(256, false, chain);
  const spans: Span[] = [];
  const ends: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = randomSpan(rng);
    spans.push(s);
    w.append(s, i);
    ends.push(w.byteLength);
  }
  return { bytes: w.bytes().slice(), spans, ends };
}

describe('span record', () => {
  it('matches the golden bytes of the spec (whole, then refs to full parts before)', () => {
    // flags 0x25 = parent | status message | events; kind server (2) | status error (2) << 3 = 0x12
    expect(hex(encodeSpanRecord(GOLDEN, 5))).toBe(fixedHeader('0500000000000000', 104, 0x25) + GOLDEN_PARENT + GOLDEN_RESOURCE + GOLDEN_SCOPE + GOLDEN_BODY);
    const w = new SpanRecordWriter(64, false, true);
    const spans = [GOLDEN, { ...GOLDEN }, spanWith({ resource: RESOURCE_Y }), { ...GOLDEN }];
    spans.forEach((s, i) => w.append(s, 5 + i));
    expect(hex(w.bytes())).toBe(
      fixedHeader('0500000000000000', 104, 0x25) + GOLDEN_PARENT + GOLDEN_RESOURCE + GOLDEN_SCOPE + GOLDEN_BODY +
      // flags + resource ref (8) + scope ref (16): ref 0 (the newest full part) for both, 46 + 8 + 1 + 1 + 27 bytes.
      fixedHeader('0600000000000000', 83, 0x3d) + GOLDEN_PARENT + '00' + '00' + GOLDEN_BODY +
      // A new resource in full (resource fulls now: GOLDEN's, Y), the scope still ref 0: 46 + 8 + 14 + 1 + 27.
      fixedHeader('0700000000000000', 96, 0x35) + GOLDEN_PARENT + RESOURCE_Y_PART + '00' + GOLDEN_BODY +
      // GOLDEN's resource again: 1 full part back (Y is 0), not the previous record's.
      fixedHeader('0800000000000000', 83, 0x3d) + GOLDEN_PARENT + '01' + '00' + GOLDEN_BODY,
    );
    const out = decodeSpanRecords(w.bytes());
    expect(Array.from(out.seqs)).toEqual([5, 6, 7, 8]);
    expect(firstSpanMismatch(out.spans, spans)).toBeUndefined();
    expect(out.spans[3].resource).toBe(out.spans[0].resource);
    expect(out.chain.resources).toEqual([GOLDEN.resource, RESOURCE_Y]);
    expect(out.chain.scopes).toEqual([GOLDEN.scope]);
  });

  it('round-trips 2,000 random spans, chaining on and off', () => {
    for (const chain of [false, true]) {
      const { bytes, spans } = randomRecords(2024, 2000, chain);
      const out = decodeSpanRecords(bytes);
      expect(Array.from(out.seqs)).toEqual(spans.map((_, i) => i));
      expect(firstSpanMismatch(out.spans, spans)).toBeUndefined();
      // And each span alone.
      for (const s of spans.slice(0, 300)) expect(firstSpanMismatch(decodeSpanRecords(encodeSpanRecord(s, 1)).spans, [s])).toBeUndefined();
    }
    // Chaining is what makes a run of spans of one service cheap.
    expect(randomRecords(7, 500, true).bytes.length).toBeLessThan(randomRecords(7, 500, false).bytes.length);
  });

  it('keeps extreme times: 0, 2^63 - 1, maximal durations, events far before and after the start', () => {
    const base: Span = { ...GOLDEN, events: [], status: { code: 'unset' } };
    const spans: Span[] = [
      { ...base, startNs: 0n, endNs: MAX_NS, events: [{ name: '', timeNs: MAX_NS, attributes: {}, droppedAttributesCount: 0 }] },
      { ...base, startNs: MAX_NS, endNs: MAX_NS, events: [{ name: '', timeNs: 0n, attributes: {}, droppedAttributesCount: 0xffffffff }] },
      { ...base, startNs: 2n ** 53n, endNs: 2n ** 53n + 2n ** 53n + 1n },
      { ...base, startNs: 5n, endNs: 5n },
    ];
    const w = new SpanRecordWriter();
    spans.forEach((s, i) => w.append(s, i));
    expect(firstSpanMismatch(decodeSpanRecords(w.bytes()).spans, spans)).toBeUndefined();
  });

  it('writes long and non-ASCII strings and parts longer than 16 KiB', () => {
    const big: SpanResource = { attributes: { 'service.name': 'x'.repeat(20_000), e: 'é'.repeat(9000) }, droppedAttributesCount: 0 };
    const spans: Span[] = ['x'.repeat(127), 'x'.repeat(128), 'é'.repeat(100), '😀'.repeat(5000), 'a'.repeat(48), 'é'.repeat(49)].map((name) => spanWith({
      name, resource: big, scope: { name: 's'.repeat(17_000), attributes: {}, droppedAttributesCount: 0 },
      status: { code: 'error', message: name }, traceState: name,
    }));
    const w = new SpanRecordWriter(64, false, true);
    spans.forEach((s, i) => w.append(s, i));
    expect(firstSpanMismatch(decodeSpanRecords(w.bytes()).spans, spans)).toBeUndefined();
    // Each record carries the big parts once (the writer's cache), chained ones not at all.
    const plain = new SpanRecordWriter();
    spans.forEach((s, i) => plain.append(s, i));
    expect(firstSpanMismatch(decodeSpanRecords(plain.bytes()).spans, spans)).toBeUndefined();
    // resource ~38 KB + scope ~17 KB, carried by the first chained record only.
    expect(plain.byteLength - w.byteLength).toBeGreaterThan(5 * 55_000);
  });

  it('walks records without decoding them, in agreement with the decoder', () => {
    const { bytes, spans, ends } = randomRecords(99, 300, true);
    const seen: Array<{ seq: number; start: number; end: number; startNs: bigint; traceId: string; spanId: string; match: boolean }> = [];
    const n = forEachSpanRecord(bytes, (r) => {
      const id = Buffer.from(spans[seen.length].traceId, 'hex');
      seen.push({
        seq: r.seq, start: r.start, end: r.end, startNs: r.startNs(), traceId: r.traceId(),
        spanId: Buffer.from(r.buf.subarray(r.spanIdOffset, r.spanIdOffset + 8)).toString('hex'),
        match: r.hasTraceId(id) && Buffer.from(r.buf.subarray(r.traceIdOffset, r.traceIdOffset + 16)).equals(id),
      });
    });
    expect(n).toBe(300);
    const decoded = decodeSpanRecords(bytes);
    expect(seen.map((s) => s.seq)).toEqual(Array.from(decoded.seqs));
    expect(seen.map((s) => s.end)).toEqual(ends);
    expect(seen.map((s) => s.start)).toEqual([0, ...ends.slice(0, -1)]);
    expect(seen.map((s) => s.startNs)).toEqual(decoded.spans.map((s) => s.startNs));
    expect(seen.map((s) => s.traceId)).toEqual(decoded.spans.map((s) => s.traceId));
    expect(seen.map((s) => s.spanId)).toEqual(decoded.spans.map((s) => s.spanId));
    expect(seen.every((s) => s.match)).toBe(true);
    expect(seen.map((s) => spanRecordLength(bytes, s.start))).toEqual(seen.map((s) => s.end - s.start));
    // Returning false stops the walk.
    expect(forEachSpanRecord(bytes, (r) => r.seq < 9)).toBe(10);
    expect(forEachSpanRecord(new Uint8Array(0), () => undefined)).toBe(0);
  });

  it('restarts the chain where asked, and continues one given the chain state of the decode before', () => {
    const rng = new Prng(31);
    const w = new SpanRecordWriter(64, false, true);
    const spans: Span[] = [];
    const cuts = [0];
    for (let i = 0; i < 400; i++) {
      if (i % 57 === 30) {
        w.breakChain();
        cuts.push(w.byteLength);
      }
      const s = randomSpan(rng);
      spans.push(s);
      w.append(s, i);
    }
    const all = w.bytes();
    cuts.push(all.length);
    const pieces = cuts.slice(1).flatMap((end, k) => decodeSpanRecords(all.subarray(cuts[k], end)).spans);
    expect(firstSpanMismatch(pieces, spans)).toBeUndefined();
    // And as one buffer (a RAW block: a chunk with its WAL hand-off points), the decoder unaware of the restarts.
    expect(firstSpanMismatch(decodeSpanRecords(all).spans, spans)).toBeUndefined();
    // Cut inside a chain: CORRUPT alone, right with the previous decode's chain state.
    const one = new SpanRecordWriter(64, false, true);
    const starts: number[] = [];
    for (let i = 0; i < 5; i++) {
      starts.push(one.byteLength);
      one.append({ ...GOLDEN, name: `s${i}` }, i);
    }
    const head = one.bytes().subarray(0, starts[2]);
    const tail = one.bytes().subarray(starts[2]);
    expect(codeOf(() => decodeSpanRecords(tail))).toBe('CORRUPT');
    const first = decodeSpanRecords(head);
    const cont = decodeSpanRecords(tail, first.chain);
    expect(cont.spans.map((s) => s.name)).toEqual(['s2', 's3', 's4']);
    expect(cont.spans.every((s) => s.resource === first.spans[0].resource && s.scope === first.spans[0].scope)).toBe(true);
    expect(cont.chain).toEqual(first.chain);
    expect(cont.chain.resources).toEqual([GOLDEN.resource]);
  });

  it('refers to any of the last full parts: interleaved resources A, B, A, C, B', () => {
    const pod = (name: string): SpanResource => ({ attributes: { 'service.name': 'shop', 'k8s.pod.name': name }, droppedAttributesCount: 0 });
    const [A, B, C] = [pod('shop-a'), pod('shop-b'), pod('shop-c')];
    const http: InstrumentationScope = { name: 'http', attributes: {}, droppedAttributesCount: 0 };
    const pg: InstrumentationScope = { name: 'pg', version: '8', attributes: {}, droppedAttributesCount: 0 };
    const parts: Array<[SpanResource, InstrumentationScope]> = [[A, http], [B, pg], [A, pg], [C, http], [B, http]];
    const spans = parts.map(([resource, scope], i) => spanWith({ resource, scope, name: `s${i}` }));
    const w = new SpanRecordWriter(64, false, true);
    spans.forEach((s, i) => w.append(s, i));
    // Resource fulls: A, B | A is 1 back | C | B is 1 back (C is 0). Scope fulls: http, pg | pg 0 back | http 1 back | http 1 back.
    expect(heads(w.bytes())).toEqual([
      { resource: 'full', scope: 'full' }, { resource: 'full', scope: 'full' }, { resource: 1, scope: 0 },
      { resource: 'full', scope: 1 }, { resource: 1, scope: 1 },
    ]);
    const out = decodeSpanRecords(w.bytes());
    expect(firstSpanMismatch(out.spans, spans)).toBeUndefined();
    // One frozen object per resource (and scope), refs or not.
    const [a0, b1, a2, c3, b4] = out.spans;
    expect(a2.resource).toBe(a0.resource);
    expect(b4.resource).toBe(b1.resource);
    expect(c3.resource).not.toBe(a0.resource);
    expect(b4.scope).toBe(a0.scope);
    expect(a2.scope).toBe(b1.scope);
    expect(Object.isFrozen(a2.resource) && Object.isFrozen(a2.resource.attributes)).toBe(true);
    expect(out.chain.resources).toEqual([A, B, C]);
    expect(out.chain.scopes).toEqual([http, pg]);
  });

  it('keeps the last 64 full parts to refer to, writer and decoder alike (older ones are written again)', () => {
    const svc = (i: number): SpanResource => ({ attributes: { 'service.name': `svc-${i}` }, droppedAttributesCount: 0 });
    const many = Array.from({ length: 200 }, (_, i) => svc(i));
    // 70 in full, then: 6 is 63 back (the oldest kept); 5 is 64 back (gone: in full again, which pushes
    // 6 out); 6 in full again; 69 now 2 back (5 and 6 came after it).
    const order = [...many.slice(0, 70), many[6], many[5], many[6], many[69]];
    const w = new SpanRecordWriter(64, false, true);
    order.forEach((resource, i) => w.append(spanWith({ resource }), i));
    expect(heads(w.bytes()).slice(68).map((h) => h.resource)).toEqual(['full', 'full', 63, 'full', 'full', 2]);
    expect(heads(w.bytes()).slice(1).every((h) => h.scope === 0)).toBe(true);
    const out = decodeSpanRecords(w.bytes());
    expect(out.spans.map((s) => s.resource)).toEqual(order);
    expect(out.spans[72].resource).toBe(out.spans[6].resource); // one object per distinct bytes in a decode
    expect(out.chain.resources).toHaveLength(SPAN_CHAIN_WINDOW);
    expect(out.chain.resources.slice(-3)).toEqual([many[69], many[5], many[6]]);

    // Random: skewed picks from 200 resources and 100 scopes (the window wraps again and again),
    // chain restarts, checked against the rule's own model, decoded whole, from each restart alone,
    // and in random pieces that pass the chain state on (hot.ts's lazy decodes).
    const rng = new Prng(64);
    const scopes = Array.from({ length: 100 }, (_, i): InstrumentationScope => ({ name: `lib-${i}`, attributes: {}, droppedAttributesCount: 0 }));
    const skewed = <T>(xs: T[]): T => xs[Math.floor(xs.length * rng.float() ** 3)];
    const rw = new SpanRecordWriter(256, true, true);
    const spans: Span[] = [];
    const resSeq: Array<SpanResource | null> = [];
    const scopeSeq: Array<InstrumentationScope | null> = [];
    const restarts = [0];
    for (let i = 0; i < 3000; i++) {
      if (rng.float() < 0.003) {
        rw.breakChain();
        restarts.push(rw.byteLength);
        resSeq.push(null);
        scopeSeq.push(null);
      }
      const s = spanWith({ resource: skewed(many), scope: skewed(scopes), name: `s${i}` });
      spans.push(s);
      resSeq.push(s.resource);
      scopeSeq.push(s.scope);
      rw.append(s, i);
    }
    expect(restarts.length).toBeGreaterThan(3);
    const bytes = rw.bytes().slice();
    const got = heads(bytes);
    expect(got.map((h) => h.resource)).toEqual(expectedHeads(resSeq));
    expect(got.map((h) => h.scope)).toEqual(expectedHeads(scopeSeq));
    const refs = got.filter((h) => h.resource !== 'full');
    expect(refs.length).toBeGreaterThan(1000);
    expect(refs.some((h) => (h.resource as number) > 40)).toBe(true);
    expect(got.filter((h) => h.resource === 'full').length).toBeGreaterThan(200);

    const whole = decodeSpanRecords(bytes);
    expect(firstSpanMismatch(whole.spans, spans)).toBeUndefined();
    // Every span of one resource shares one decoded object.
    const decodedOf = new Map<SpanResource, SpanResource>();
    whole.spans.forEach((d, i) => {
      const seen = decodedOf.get(spans[i].resource);
      if (seen === undefined) decodedOf.set(spans[i].resource, d.resource);
      else expect(d.resource).toBe(seen);
    });
    restarts.push(bytes.length);
    const fromRestarts = restarts.slice(1).flatMap((end, k) => decodeSpanRecords(bytes.subarray(restarts[k], end)).spans);
    expect(firstSpanMismatch(fromRestarts, spans)).toBeUndefined();
    const ends: number[] = [];
    forEachSpanRecord(bytes, (r) => void ends.push(r.end));
    let chain: SpanChainState | undefined;
    let from = 0;
    const pieces: Span[] = [];
    while (from < bytes.length) {
      const to = rng.float() < 0.2 ? bytes.length : ends[Math.min(ends.length - 1, ends.findIndex((e) => e > from) + rng.int(0, 40))];
      const d = decodeSpanRecords(bytes.subarray(from, to), chain);
      for (const s of d.spans) pieces.push(s);
      chain = d.chain;
      from = to;
    }
    expect(firstSpanMismatch(pieces, spans)).toBeUndefined();
    expect(chain?.resources).toEqual(whole.chain.resources);
    expect(chain?.scopes).toEqual(whole.chain.scopes);
  });

  it('leaves the chain as it was on a failed append: the records after it encode as if it never came', () => {
    const rng = new Prng(808);
    const pool = Array.from({ length: 90 }, (_, i): SpanResource => ({ attributes: { 'service.name': `svc-${i}` }, droppedAttributesCount: 0 }));
    const scopes = Array.from({ length: 70 }, (_, i): InstrumentationScope => ({ name: `lib-${i}`, attributes: {}, droppedAttributesCount: 0 }));
    const withFailures = new SpanRecordWriter(64, false, true);
    const clean = new SpanRecordWriter(64, false, true);
    let failed = 0;
    for (let i = 0; i < 2000; i++) {
      let resource = rng.pick(pool);
      let scope = rng.pick(scopes);
      if (rng.float() < 0.3) {
        // Fails after its resource and scope were written (in full, or as refs): attributes, events,
        // traceState and links come after them; or before (seq). The next span often carries the
        // same resource and scope: a ref if the failed record had left them in the window.
        const failing = { resource: rng.pick(pool), scope: rng.pick(scopes) };
        const breakage = rng.pick<Record<string, unknown>>([{ attributes: { bad: NaN } }, { events: [null] }, { traceState: 7 }, { links: [{}] }]);
        const bad = { ...spanWith(failing), ...breakage } as unknown as Span;
        expect(codeOf(() => withFailures.append(bad, rng.float() < 0.1 ? -1 : i))).toBe('INVALID_INPUT');
        failed++;
        if (rng.float() < 0.7) ({ resource, scope } = failing);
      }
      const good = spanWith({ resource, scope, name: `s${i}` });
      withFailures.append(good, i);
      clean.append(good, i);
      if (rng.float() < 0.01) {
        withFailures.breakChain();
        clean.breakChain();
      }
    }
    expect(failed).toBeGreaterThan(500);
    expect(withFailures.count).toBe(2000);
    expect(Buffer.from(withFailures.bytes()).equals(Buffer.from(clean.bytes()))).toBe(true);
    expect(heads(clean.bytes()).some((h) => h.resource !== 'full')).toBe(true);
  });

  it('shares one frozen resource and scope per distinct value; attributes, events and links are each span\'s own', () => {
    const w = new SpanRecordWriter(64, false, true);
    const res: SpanResource = { attributes: { 'service.name': 'a', args: ['x', { y: 1 }] }, droppedAttributesCount: 0 };
    w.append({ ...GOLDEN, resource: res }, 1);
    w.append({ ...GOLDEN, resource: res }, 2);
    w.breakChain();
    w.append({ ...GOLDEN, resource: res }, 3); // the same bytes again: parsed once
    w.append(GOLDEN, 4);
    const out = decodeSpanRecords(w.bytes());
    const [a, b, c, d] = out.spans;
    expect(a.resource).toBe(b.resource);
    expect(a.resource).toBe(c.resource);
    expect(a.scope).toBe(d.scope);
    expect(a.resource).toEqual(res);
    expect(d.resource).toEqual(GOLDEN.resource);
    expect(Object.isFrozen(a.resource) && Object.isFrozen(a.resource.attributes) && Object.isFrozen((a.resource.attributes.args as object[])[1])).toBe(true);
    expect(Object.isFrozen(a.scope.attributes)).toBe(true);
    expect(() => { a.resource.attributes['service.name'] = 'changed'; }).toThrow(TypeError);
    expect(a.attributes).not.toBe(b.attributes);
    expect(a.events[0]).not.toBe(b.events[0]);
    a.attributes.a = 2;
    expect(b.attributes).toEqual({ a: 1 });
    // Full parts: res (first chain), res again and GOLDEN's (after the break; the same bytes, one object).
    expect(out.chain.resources).toEqual([a.resource, a.resource, d.resource]);
    expect(out.chain.resources[2]).toBe(d.resource);
    expect(out.chain.scopes).toEqual([a.scope, a.scope]);
  });

  it('refuses resource values nested deeper than the writer allows (CORRUPT, not a stack overflow)', () => {
    const rec = encodeSpanRecord(GOLDEN, 5);
    const at = SPAN_RECORD_FIXED_BYTES + 8; // the resource part: 2-byte length + 12 bytes
    for (const depth of [60, 1000, 100_000]) {
      const json = Buffer.from(`{"deep":${'['.repeat(depth)}${']'.repeat(depth)}}`);
      // attributes = varint len | form 1 (JSON) | text; then dropped 0, schemaUrl ''.
      const attrs = [...varint(json.length + 1), 1, ...json];
      const part = [...attrs, 0, 0];
      const b = new Uint8Array([...rec.subarray(0, at), ...varint(part.length), ...part, ...rec.subarray(at + 14)]);
      Buffer.from(b.buffer).writeUInt32LE(b.length, REC_BYTES);
      if (depth === 60) expect(decodeSpanRecords(b).spans[0].resource.attributes.deep).toBeInstanceOf(Array);
      else expect(codeOf(() => decodeSpanRecords(b))).toBe('CORRUPT');
    }
  });

  it('rejects malformed spans with INVALID_INPUT, leaving the buffer and the chain as they were', () => {
    const w = new SpanRecordWriter(64, false, true);
    w.append(GOLDEN, 1);
    const before = hex(w.bytes());
    const r2: SpanResource = { attributes: { 'service.name': 'other' }, droppedAttributesCount: 0 };
    const bad: Array<[Record<string, unknown>, number]> = [
      [{ traceId: 'xyz' }, 2], [{ spanId: 'g1a2a3a4a5a6a7a8' }, 2], [{ parentSpanId: 'a1' }, 2], [{ kind: 'SERVER' }, 2],
      [{ status: { code: 'bad' } }, 2], [{ status: null }, 2], [{ startNs: -1n }, 2], [{ startNs: 2n ** 63n, endNs: 2n ** 63n }, 2],
      [{ startNs: 5 }, 2], [{ endNs: T0 - 1n }, 2], [{ endNs: 2n ** 64n }, 2], [{ name: 5 }, 2], [{ flags: -1 }, 2], [{ flags: 2 ** 32 }, 2],
      [{ flags: 1.5 }, 2], [{ droppedLinksCount: NaN }, 2], [{ attributes: { x: NaN } }, 2], [{ attributes: { x: 1n } }, 2],
      [{ attributes: [] }, 2], [{ events: {} }, 2], [{ events: [null] }, 2], [{ events: [{ ...GOLDEN.events[0], timeNs: -1n }] }, 2],
      [{ events: [{ ...GOLDEN.events[0], attributes: { f: () => 1 } }] }, 2], [{ links: [{ traceId: 'x', spanId: '' }] }, 2],
      [{ links: [{ traceId: GOLDEN.traceId, spanId: GOLDEN.spanId, flags: 0, attributes: {}, droppedAttributesCount: -1 }] }, 2],
      // A resource that fails after its bytes were written: must not join the chain's full parts.
      [{ resource: r2, attributes: { bad: Infinity } }, 2], [{ resource: { attributes: { x: NaN }, droppedAttributesCount: 0 } }, 2],
      [{ scope: { name: 1, attributes: {}, droppedAttributesCount: 0 } }, 2], [{ resource: null }, 2], [{ traceState: 7 }, 2],
      [{}, -1], [{}, 2 ** 53], [{}, 1.5],
    ];
    for (const [patch, seq] of bad) {
      let err: unknown;
      try {
        w.append({ ...GOLDEN, ...patch } as unknown as Span, seq);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(Object.keys(patch))).toBeInstanceOf(CodecError);
      expect((err as CodecError).code).toBe('INVALID_INPUT');
    }
    expect(hex(w.bytes())).toBe(before);
    expect(w.count).toBe(1);
    // The failed record's resource was never referred to: the next span with it carries it in full.
    w.append({ ...GOLDEN, resource: r2 }, 3);
    w.append({ ...GOLDEN, resource: r2 }, 4);
    expect(decodeSpanRecords(w.bytes()).spans.map((s) => s.resource)).toEqual([GOLDEN.resource, r2, r2]);
  });

  it('names the failing part in attribute errors', () => {
    const w = new SpanRecordWriter();
    const msg = (patch: Record<string, unknown>) => {
      try {
        w.append({ ...GOLDEN, ...patch } as unknown as Span, 1);
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    };
    expect(msg({ attributes: { x: NaN } })).toContain('attributes.x');
    expect(msg({ events: [{ ...GOLDEN.events[0] }, { ...GOLDEN.events[0], attributes: { y: Infinity } }] })).toContain('events[1].attributes.y');
    expect(msg({ links: [{ traceId: GOLDEN.traceId, spanId: GOLDEN.spanId, flags: 0, attributes: { z: 2n }, droppedAttributesCount: 0 }] })).toContain('links[0].attributes.z');
    expect(msg({ resource: { attributes: { r: NaN }, droppedAttributesCount: 0 } })).toContain('resource.attributes.r');
    expect(msg({ links: [{ traceId: 'q', spanId: GOLDEN.spanId, flags: 0, attributes: {}, droppedAttributesCount: 0 }] })).toContain('links[0].traceId');
  });

  it('reuses its buffer across resets and grows a shared one as a SharedArrayBuffer', () => {
    const rng = new Prng(5);
    const w = new SpanRecordWriter(256, true, true);
    const first = w.sharedRecords().buffer;
    for (let round = 0; round < 3; round++) {
      w.reset();
      const spans: Span[] = [];
      for (let i = 0; i < 200; i++) {
        const s = randomSpan(rng);
        spans.push(s);
        w.append(s, round * 1000 + i);
      }
      expect(w.count).toBe(200);
      const shared = w.sharedRecords();
      expect(shared.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(shared.length).toBe(w.byteLength);
      const out = decodeSpanRecords(new Uint8Array(shared.buffer, 0, shared.length));
      expect(Array.from(out.seqs)).toEqual(spans.map((_, i) => round * 1000 + i));
      expect(firstSpanMismatch(out.spans, spans)).toBeUndefined();
    }
    expect(w.sharedRecords().buffer).not.toBe(first);
    expect(() => new SpanRecordWriter().sharedRecords()).toThrow(TypeError);
    // A released buffer is written into again; cached resource bytes stay valid after reset.
    const reuse = Buffer.from(new SharedArrayBuffer(4096));
    const r = new SpanRecordWriter(4096, true, true, reuse);
    expect(r.buf).toBe(reuse);
    r.append(GOLDEN, 1);
    r.reset();
    r.append({ ...GOLDEN, name: 'y'.repeat(300), resource: { attributes: { other: 'z'.repeat(40) }, droppedAttributesCount: 0 } }, 2);
    r.append(GOLDEN, 3);
    expect(decodeSpanRecords(r.bytes()).spans[1]).toEqual(GOLDEN);
  });

  it('truncates back to a record boundary; what follows never refers to dropped parts', () => {
    const rng = new Prng(77);
    const spans = Array.from({ length: 30 }, () => randomSpan(rng));
    const w = new SpanRecordWriter(64, false, true);
    spans.slice(0, 10).forEach((s, i) => w.append(s, i));
    const keepBytes = w.byteLength;
    // Dropped records bring new resources and scopes into the window...
    spans.slice(10, 20).forEach((s, i) => w.append(s, 10 + i));
    w.truncate(keepBytes, 10);
    expect(w.count).toBe(10);
    // ...and the records after the cut carry them again, or refer only to kept ones.
    spans.slice(10, 20).forEach((s, i) => w.append(s, 10 + i));
    spans.slice(20).forEach((s, i) => w.append(s, 20 + i));
    const out = decodeSpanRecords(w.bytes());
    expect(Array.from(out.seqs)).toEqual(spans.map((_, i) => i));
    expect(firstSpanMismatch(out.spans, spans)).toBeUndefined();
    expect(() => w.truncate(w.byteLength + 1, 1)).toThrow(RangeError);
    expect(() => w.truncate(0, w.count + 1)).toThrow(RangeError);
  });

  it('reports every truncation as TRUNCATED (decoder and walker)', () => {
    for (const chain of [false, true]) {
      const { bytes, ends } = randomRecords(chain ? 11 : 12, 8, chain);
      for (let n = 0; n < bytes.length; n++) {
        const prefix = bytes.subarray(0, n);
        const complete = n === 0 ? 0 : ends.indexOf(n) + 1;
        if (n === 0 || complete > 0) {
          expect(decodeSpanRecords(prefix).spans.length).toBe(complete);
          expect(forEachSpanRecord(prefix, () => undefined)).toBe(complete);
          continue;
        }
        expect(codeOf(() => decodeSpanRecords(prefix)), `prefix ${n}`).toBe('TRUNCATED');
        expect(codeOf(() => forEachSpanRecord(prefix, () => undefined)), `prefix ${n}`).toBe('TRUNCATED');
      }
    }
  });

  it('names impossible values CORRUPT', () => {
    const rec = encodeSpanRecord(GOLDEN, 5);
    const patched = (at: number, v: number, from = rec) => {
      const b = from.slice();
      b[at] = v;
      return b;
    };
    /** rec with bytes [at, at + remove) replaced and the length field made to match. */
    const spliced = (from: Uint8Array, at: number, remove: number, insert: number[], length?: number) => {
      const b = new Uint8Array([...from.subarray(0, at), ...insert, ...from.subarray(at + remove)]);
      Buffer.from(b.buffer).writeUInt32LE(length ?? b.length, REC_BYTES);
      return b;
    };
    // Two records, the second referring to the first's parts (refs 0 and 0 right after its parent id).
    const w = new SpanRecordWriter(64, false, true);
    w.append(GOLDEN, 1);
    w.append(GOLDEN, 2);
    const chained = w.bytes().slice();
    const chainedRef = rec.length + SPAN_RECORD_FIXED_BYTES + 8;
    expect(hex(chained.subarray(chainedRef, chainedRef + 2))).toBe('0000');
    expect(decodeSpanRecords(chained).spans).toHaveLength(2);
    // The second alone refers to nothing; with the first's chain state it decodes.
    expect(codeOf(() => decodeSpanRecords(chained.subarray(rec.length)))).toBe('CORRUPT');
    expect(decodeSpanRecords(chained.subarray(rec.length), decodeSpanRecords(rec).chain).spans).toHaveLength(1);
    /** `chained` with its second record's resource ref replaced by `insert` (or cut at `end`), that record's length made to match. */
    const refSpliced = (insert: number[], end = chained.length) => {
      const b = new Uint8Array([...chained.subarray(0, chainedRef), ...insert, ...chained.subarray(chainedRef + 1, end)]);
      Buffer.from(b.buffer).writeUInt32LE(b.length - rec.length, rec.length + REC_BYTES);
      return b;
    };
    const durationAt = SPAN_RECORD_FIXED_BYTES + 8 + 14 + 9; // after parent, resource and scope parts
    const flagsAt = durationAt + 2;
    expect(hex(rec.subarray(durationAt, flagsAt + 1))).toBe('dc0b01');
    const late = encodeSpanRecord({ ...GOLDEN, startNs: MAX_NS, endNs: MAX_NS }, 1);
    const cases: Array<[string, Uint8Array]> = [
      ['kind 6', patched(REC_KIND_STATUS, 0x16)],
      ['status 3', patched(REC_KIND_STATUS, (3 << 3) | 2)],
      ['reserved kind/status bit', patched(REC_KIND_STATUS, 0x12 | 0x20)],
      ['seq >= 2^53', patched(7, 0x20)],
      ['negative start', patched(REC_START_NS + 7, 0x80)],
      ['length below the fixed header', spliced(rec, 0, 0, [], SPAN_RECORD_FIXED_BYTES - 1)],
      ['length short of the content', spliced(rec, rec.length - 1, 1, [])],
      ['a byte after the last part', spliced(rec, rec.length, 0, [0])],
      ['resource ref in the first record', patched(REC_FLAGS, rec[REC_FLAGS] | FLAG_RESOURCE_REF)],
      ['scope ref in the first record', patched(REC_FLAGS, rec[REC_FLAGS] | FLAG_SCOPE_REF)],
      ['resource ref past the full parts before', patched(chainedRef, 1, chained)],
      ['scope ref past the full parts before', patched(chainedRef + 1, 1, chained)],
      ['resource ref as a padded varint past them', refSpliced([0x81, 0x00])],
      ['resource ref of 2^32', refSpliced([0x80, 0x80, 0x80, 0x80, 0x10])],
      ['resource ref cut by the record end', refSpliced([0x80], chainedRef + 1)],
      ['resource attributes of an unknown form', patched(SPAN_RECORD_FIXED_BYTES + 8 + 4, 9)],
      ['resource part longer than its fields', patched(SPAN_RECORD_FIXED_BYTES + 8, 0x8d)],
      ['status message flagged but empty', spliced(rec, rec.length - 5, 5, [0])],
      ['events flagged but none', spliced(rec, flagsAt + 1 + 4 + 9, 6, [0])],
      ['a 6-byte varint', spliced(rec, flagsAt, 1, [0xff, 0xff, 0xff, 0xff, 0xff, 0x01])],
      ['a varint past 2^32', spliced(rec, flagsAt, 1, [0xff, 0xff, 0xff, 0xff, 0x1f])],
      ['end past 2^63', spliced(late, durationAt, 1, [1])],
    ];
    for (const [what, b] of cases) expect(codeOf(() => decodeSpanRecords(b)), what).toBe('CORRUPT');
    expect(codeOf(() => spanRecordLength(spliced(rec, 0, 0, [], 3), 0))).toBe('CORRUPT');
  });

  it('fuzz: 20,000 mutated buffers decode or throw CodecError, never anything else', () => {
    const rng = new Prng(1234);
    const { bytes: base } = randomRecords(4321, 24, true);
    let decoded = 0;
    for (let c = 0; c < 20_000; c++) {
      const b = base.slice(0, rng.float() < 0.3 ? rng.int(0, base.length) : base.length);
      for (let k = rng.int(1, 4); k > 0 && b.length > 0; k--) {
        const at = rng.float() < 0.5 ? rng.int(0, Math.min(b.length - 1, 300)) : rng.int(0, b.length - 1);
        b[at] = rng.float() < 0.3 ? b[at] ^ (1 << rng.int(0, 7)) : rng.u32() & 0xff;
      }
      try {
        decodeSpanRecords(b);
        decoded++;
      } catch (err) {
        if (!(err instanceof CodecError)) throw new Error(`case ${c}: ${String(err)}`);
      }
      try {
        forEachSpanRecord(b, () => undefined);
      } catch (err) {
        if (!(err instanceof CodecError)) throw new Error(`walk case ${c}: ${String(err)}`);
      }
    }
    // Some mutations hit strings or values and still decode: the fuzz reached past the headers.
    expect(decoded).toBeGreaterThan(100);
  });
});
