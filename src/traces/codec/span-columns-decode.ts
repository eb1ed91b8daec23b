// Pages of a span block -> spans (the inverse of span-columns.ts). A page decodes on its own given
// the block's dictionaries; rows before the wanted range are passed over (their strings and
// attribute values consumed, nothing built), rows after it are never read: a trace look-up builds
// only its trace's spans.
import type { Buffer } from 'node:buffer';
import { AttrColumnsDecoder } from '../../codec/columns/attr-columns.js';
import { ByteReader, unzigzag } from '../../codec/columns/bytes.js';
import { bufferView, hexSlice } from '../../codec/columns/hex.js';
import { StringColumnsDecoder, StringTemplateDictionary } from '../../codec/columns/string-columns.js';
import { decompress } from '../../codec/lz.js';
import { SPAN_KINDS, STATUS_CODES, type Attributes, type InstrumentationScope, type Span, type SpanEvent, type SpanLink, type SpanResource, type SpanStatus } from '../types.js';
import { readResources, readScopes, type LazyTable } from './block-dicts.js';
import { spanCorrupt, spanTruncated, SPAN_ID_BYTES, TRACE_ID_BYTES, TWO_64, type SpanBlockHeader } from './block-layout.js';
import { BitReader, readClassed } from './block-bits.js';
import { Ns } from './block-time.js';
import {
  HEAD_DROPPED, HEAD_MESSAGE, HEAD_TRACE_STATE, LINK_EXPLICIT, LINK_HEAD_TRACE_STATE, LINK_SAME, LINK_TRACE,
  PARENT_EXPLICIT, PARENT_NONE, PARENT_ROW, WIDE_DURATIONS, WIDE_EVENTS, WIDE_STARTS,
} from './span-columns.js';
import { SuccessorLists } from './span-columns-succ.js';
import { TupleTable } from './span-columns-tuples.js';
import { runOf } from './trace-directory.js';

const TWO_53 = 2 ** 53;
const TWO_32 = 4294967296;
const HEAD_BITS = 0xff;
const NO_EVENTS: SpanEvent[] = [];
const NO_LINKS: SpanLink[] = [];
const EMPTY_ATTRS: Attributes = Object.freeze({}) as Attributes;

/** The block's dictionaries section, decoded. */
export interface BlockDicts {
  /** Row where trace t starts; traceStart[traces] = count. */
  traceStart: Int32Array;
  /** Row where page k starts; pageStart[pages] = count. */
  pageStart: Int32Array;
  templates: StringTemplateDictionary;
  sigs: TupleTable;
  succ: SuccessorLists;
  /** The attribute keys section (a reader per decode: AttrColumnsDecoder consumes it). */
  attrDict: ByteReader;
  resources: LazyTable<SpanResource>;
  scopes: LazyTable<InstrumentationScope>;
  /** The attribute columns decoder, made by the first page read (its key dictionary parsed once). */
  attrs?: AttrColumnsDecoder;
}

/** Counts that must each be >= 1 and sum to `total`, as start offsets (length n + 1). */
function readStarts(r: ByteReader, n: number, total: number, what: string): Int32Array {
  const out = new Int32Array(n + 1);
  let at = 0;
  for (let i = 0; i < n; i++) {
    out[i] = at;
    const c = r.varint(what);
    if (c < 1 || c > total - at) throw spanCorrupt(`${what} do not add up to the span count`);
    at += c;
  }
  if (at !== total) throw spanCorrupt(`${what} do not add up to the span count`);
  if (r.remaining !== 0) throw spanCorrupt(`bytes after the ${what}`);
  out[n] = at;
  return out;
}

/** Decompresses and parses the dictionaries (CodecError on bad input). */
export function readDicts(h: SpanBlockHeader, payload: Buffer): BlockDicts {
  const buf = bufferView(decompress(payload.subarray(h.dictAt, h.dictEnd)));
  const r = new ByteReader(buf, 0, buf.length);
  const traceStart = readStarts(r.section('trace span counts'), h.traces, h.count, 'trace span counts');
  const pageStart = readStarts(r.section('page row counts'), h.pages, h.count, 'page row counts');
  const templates = new StringTemplateDictionary(r.section('string templates'));
  const sigs = new TupleTable(r.section('signatures'));
  const succ = new SuccessorLists(r.section('successor lists'), sigs.count);
  const attrDict = r.section('attribute keys');
  const resources = readResources(r.section('resources'));
  const scopes = readScopes(r.section('scopes'));
  if (r.remaining !== 0) throw spanCorrupt('bytes after the dictionaries');
  return { traceStart, pageStart, templates, sigs, succ, attrDict, resources, scopes };
}

function readU64(r: ByteReader, what: string): bigint {
  const at = r.skip(8, what);
  return r.buf.readBigUInt64LE(at);
}

/** A classed value (block-bits.ts) times a divisor, exact (< 2^53) or CORRUPT. */
function classed(classes: ByteReader, bits: BitReader, div: number, what: string): number {
  const v = readClassed(classes, bits, what) * div;
  if (v >= TWO_53) throw spanCorrupt(`${what} exceeds 2^53`);
  return v;
}

function divisor(r: ByteReader, what: string): number {
  const d = r.varint(what);
  if (d < 1) throw spanCorrupt(`${what} is 0`);
  return d;
}

function u32Of(lo: number, hi: number, what: string): number {
  if (lo > 0xffff || hi > 0xffff) throw spanCorrupt(`${what} halves are out of range`);
  return lo + hi * 65536;
}

/** Reads rows of a block's pages. */
export class SpanBlockDecoder {
  /** Per page: where its stored ids start (-1: not read yet). */
  private readonly storedAt: Float64Array;
  private readonly traceHex: string[] = [];
  private readonly tMin = new Ns();
  private readonly start = new Ns();
  private readonly end = new Ns();
  private readonly evTime = new Ns();
  private readonly minDur: number;
  private readonly maxDur: number;
  /** tMaxNs - tMinNs (narrow start offsets must not pass it). */
  private readonly spanNs: number;
  /** The tuple being read and the position in it. */
  private tuple: Int32Array = new Int32Array(0);
  private p = 0;
  private strings!: StringColumnsDecoder;
  private seg: ReturnType<SpanBlockDecoder['segment']> | undefined;

  constructor(
    private readonly buf: Buffer,
    private readonly h: SpanBlockHeader,
    private readonly d: BlockDicts,
  ) {
    this.storedAt = new Float64Array(h.pages).fill(-1);
    this.tMin.from(h.tMinNs);
    this.minDur = Number(h.minDurationNs);
    this.maxDur = Number(h.maxDurationNs);
    this.spanNs = Number(h.tMaxNs - h.tMinNs);
  }

  /** The spans of rows [from, to) (block order). */
  rows(from: number, to: number): Span[] {
    const out: Span[] = [];
    const { pageStart } = this.d;
    for (let k = runOf(pageStart, from); k < this.h.pages && pageStart[k] < to; k++) this.page(k, from, to, out);
    return out;
  }

  private traceId(t: number): string {
    let s = this.traceHex[t];
    if (s === undefined) {
      const at = this.h.idsAt + t * TRACE_ID_BYTES;
      s = hexSlice(this.buf, at, at + TRACE_ID_BYTES);
      this.traceHex[t] = s;
    }
    return s;
  }

  /** Where page k's stored ids start (its span ids: rows × 8 bytes, then the explicit ids). */
  private stored(k: number): { at: number; end: number } {
    const r = new ByteReader(this.buf, this.h.pageAt[k], this.h.pageAt[k + 1]);
    const len = r.varint('a page\'s stored ids length');
    const at = r.skip(len, 'a page\'s stored ids');
    if (len < (this.d.pageStart[k + 1] - this.d.pageStart[k]) * SPAN_ID_BYTES) throw spanCorrupt('a page has fewer span ids than rows');
    this.storedAt[k] = at;
    return { at, end: at + len };
  }

  /** The span id of any row (parents may sit in another page of a trace bigger than a page). */
  private spanIdOf(row: number): string {
    const k = runOf(this.d.pageStart, row);
    const at = this.storedAt[k] >= 0 ? this.storedAt[k] : this.stored(k).at;
    const p = at + (row - this.d.pageStart[k]) * SPAN_ID_BYTES;
    return hexSlice(this.buf, p, p + SPAN_ID_BYTES);
  }

  /** Per-row scratch of a page: start halves, parent row in the page (-1: none), the built span. */
  private segment(n: number): { sHi: Float64Array; sLo: Float64Array; parent: Int32Array; span: (Span | undefined)[]; ceHi: Float64Array; ceLo: Float64Array; hasChild: Uint8Array } {
    let s = this.seg;
    if (s === undefined || s.sHi.length < n) {
      s = {
        sHi: new Float64Array(n), sLo: new Float64Array(n), parent: new Int32Array(n), span: new Array<Span | undefined>(n),
        ceHi: new Float64Array(n), ceLo: new Float64Array(n), hasChild: new Uint8Array(n),
      };
      this.seg = s;
    }
    return s;
  }

  /**
   * The ends of one trace's rows [a, b) of the page (indexes in the page), read last row first as
   * the encoder wrote them: a row with children (later rows of the segment whose parent it is) ends
   * at its last child's end plus a signed delta, others at their start plus their duration. With
   * `build`, sets each built span's endNs; every end is checked against the block's duration range.
   */
  private ends(a: number, b: number, duR: ByteReader, duBits: BitReader, divD: number, build: boolean): void {
    const s = this.seg!;
    const { start, end } = this;
    const { ceHi, ceLo, hasChild, sHi, sLo, parent } = s;
    hasChild.fill(0, a, b);
    for (let i = b - 1; i >= a; i--) {
      start.hi = sHi[i];
      start.lo = sLo[i];
      if (divD === 0) {
        const dur = readU64(duR, 'a duration');
        if (dur < this.h.minDurationNs || dur > this.h.maxDurationNs) throw spanCorrupt('duration outside the block\'s range');
        const endNs = start.big() + dur;
        if (endNs >= TWO_64) throw spanCorrupt('end leaves the 64-bit range');
        end.from(endNs);
      } else if (hasChild[i]) {
        const v = unzigzag(readClassed(duR, duBits, 'an end')) * divD;
        if (!(v > -TWO_53 && v < TWO_53)) throw spanCorrupt('an end delta exceeds 2^53');
        end.hi = ceHi[i];
        end.lo = ceLo[i];
        end.add(end, v, 'an end');
      } else {
        const v = readClassed(duR, duBits, 'a duration') * divD;
        if (v >= TWO_53) throw spanCorrupt('a duration exceeds 2^53');
        end.add(start, v, 'an end');
      }
      const dur = (end.hi - start.hi) * TWO_32 + (end.lo - start.lo);
      if (!(dur >= this.minDur && dur <= this.maxDur)) throw spanCorrupt('duration outside the block\'s range');
      if (build) s.span[i]!.endNs = end.big();
      const p = parent[i];
      if (p >= a && p < i && (!hasChild[p] || end.hi > ceHi[p] || (end.hi === ceHi[p] && end.lo > ceLo[p]))) {
        hasChild[p] = 1;
        ceHi[p] = end.hi;
        ceLo[p] = end.lo;
      }
    }
  }

  private next(): number {
    const v = this.tuple[this.p++];
    if (v === undefined) throw spanCorrupt('a signature ends early');
    return v;
  }

  private text(build: boolean): string {
    const code = this.next();
    const tpl = code >>> 1;
    if (!build) {
      this.strings.skip(tpl);
      return '';
    }
    const s = this.strings.read(tpl);
    if ((code & 1) === 0) return s;
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch {
      throw spanCorrupt('a JSON string is not valid JSON');
    }
    if (typeof v !== 'string') throw spanCorrupt('a JSON string is not a string');
    return v;
  }

  private attributes(build: boolean): Attributes {
    const len = this.next();
    const at = this.p;
    if (len > this.tuple.length - at) throw spanCorrupt('attributes run past their signature');
    this.p = at + len;
    if (!build) {
      this.d.attrs!.skipRange(this.tuple, at, at + len);
      return EMPTY_ATTRS;
    }
    return this.d.attrs!.readRange(this.tuple, at, at + len);
  }

  private page(k: number, from: number, to: number, out: Span[]): void {
    const { buf, h, d } = this;
    const r0 = d.pageStart[k];
    const r1 = d.pageStart[k + 1];
    const { at: storedAt, end: storedEnd } = this.stored(k);
    const frame = buf.subarray(storedEnd, h.pageAt[k + 1]);
    const body = bufferView(decompress(frame));
    const b = new ByteReader(body, 0, body.length);
    const sigR = b.section('signature ids');
    const flags = b.u8('the time flags');
    if (flags > 7) throw spanCorrupt(`time flags ${flags} are invalid`);
    const divS = flags & WIDE_STARTS ? 0 : divisor(b, 'the start divisor');
    const divD = flags & WIDE_DURATIONS ? 0 : divisor(b, 'the duration divisor');
    const divE = flags & WIDE_EVENTS ? 0 : divisor(b, 'the event time divisor');
    // The stored region ends with the starts' and durations' raw bits.
    const stBitsLen = b.varint('the start bits length');
    const duBitsLen = b.varint('the duration bits length');
    if (stBitsLen + duBitsLen > storedEnd - storedAt) throw spanCorrupt('time bits exceed the stored ids');
    const idsEnd = storedEnd - stBitsLen - duBitsLen;
    const stBits = new BitReader(buf, idsEnd, idsEnd + stBitsLen);
    const duBits = new BitReader(buf, idsEnd + stBitsLen, storedEnd);
    const parR = b.section('parents');
    const stR = b.section('starts');
    const duR = b.section('durations');
    const evR = b.section('event times');
    const lkR = b.section('link codes');
    const strings = new StringColumnsDecoder(body, b.section('a string table'), b.section('string slots'), d.templates);
    this.strings = strings;
    if (d.attrs === undefined) d.attrs = new AttrColumnsDecoder(new ByteReader(d.attrDict.buf, d.attrDict.pos, d.attrDict.end), strings);
    d.attrs.readColumnsPage(b, strings);
    if (b.remaining !== 0) throw spanCorrupt('bytes after a page\'s columns');

    const { traceStart, sigs, succ, resources, scopes } = d;
    const n = r1 - r0;
    const rowTuple = new Int32Array(n);
    const seg = this.segment(n);
    const { tMin, start, evTime } = this;
    const tMax = h.tMaxNs;
    let extra = storedAt + n * SPAN_ID_BYTES;
    let t = runOf(traceStart, r0); // the trace holding r0
    let off = 0; // narrow starts: ns since tMin
    let segFrom = r0; // first row of the current trace's rows in this page
    const last = Math.min(r1, to);
    for (let r = r0; r < last; r++) {
      while (traceStart[t + 1] <= r) t++;
      const first = r === r0 || traceStart[t] === r;
      const build = r >= from;
      if (first && r > r0) {
        this.ends(segFrom - r0, r - r0, duR, duBits, divD, segFrom >= from);
        segFrom = r;
      }
      seg.parent[r - r0] = -1;
      seg.span[r - r0] = undefined;

      // Parent, then the tuple (coded in the context of the parent row's tuple).
      const pcode = parR.varint('a parent code');
      let parentSpanId: string | undefined;
      let ctx = 0;
      if (pcode === PARENT_EXPLICIT) {
        if (extra + SPAN_ID_BYTES > idsEnd) throw spanTruncated('explicit parent ids');
        if (build) parentSpanId = hexSlice(buf, extra, extra + SPAN_ID_BYTES);
        extra += SPAN_ID_BYTES;
      } else if (pcode >= PARENT_ROW) {
        const idx = pcode - PARENT_ROW;
        if (idx >= traceStart[t + 1] - traceStart[t]) throw spanCorrupt('parent index leaves its trace');
        const pr = traceStart[t] + idx;
        // The parent's own spanId string when it was built in this page (most parents are).
        if (build) parentSpanId = pr >= r0 && pr < r ? seg.span[pr - r0]?.spanId ?? this.spanIdOf(pr) : this.spanIdOf(pr);
        if (pr >= r0 && pr < r) {
          ctx = 1 + rowTuple[pr - r0];
          seg.parent[r - r0] = pr - r0;
        }
      } else if (pcode !== PARENT_NONE) throw spanCorrupt('parent code is invalid');
      const tupleId = succ.tuple(ctx, sigR.varint('a signature code'));
      const tuple = sigs.get(tupleId);
      if (tuple === undefined) throw spanCorrupt('signature id is out of range');
      rowTuple[r - r0] = tupleId;
      this.tuple = tuple;
      this.p = 0;

      // Times.
      // Bigints only for rows that are built (a skipped row's times only advance the streams).
      let startNs = 0n;
      if (divS === 0) {
        startNs = readU64(stR, 'a start');
        if (startNs < h.tMinNs || startNs > tMax) throw spanCorrupt('start outside the block\'s range');
        start.from(startNs);
      } else {
        const v = classed(stR, stBits, divS, 'a start');
        off = first ? v : off + v;
        if (off >= TWO_53 || off > this.spanNs) throw spanCorrupt('start after the block\'s range');
        start.add(tMin, off, 'a start');
        if (build) startNs = start.big();
      }
      seg.sHi[r - r0] = start.hi;
      seg.sLo[r - r0] = start.lo;
      // Ends come after the trace's rows (ends(): children first).

      // The tuple: head, name, resource, scope, flags, optional fields, attributes, events, links.
      const head = this.next();
      if (head > HEAD_BITS) throw spanCorrupt(`signature head ${head} is invalid`);
      const kind = SPAN_KINDS[head & 7];
      const code = STATUS_CODES[(head >> 3) & 3];
      if (kind === undefined || code === undefined) throw spanCorrupt(`signature head ${head} is invalid`);
      const name = this.text(build);
      const resId = this.next();
      const scopeId = this.next();
      if (resId >= resources.size || scopeId >= scopes.size) throw spanCorrupt('resource or scope id is out of range');
      const spanFlags = u32Of(this.next(), this.next(), 'flags');
      const message = head & HEAD_MESSAGE ? this.text(build) : undefined;
      const traceState = head & HEAD_TRACE_STATE ? this.text(build) : undefined;
      let dA = 0;
      let dE = 0;
      let dL = 0;
      if (head & HEAD_DROPPED) {
        dA = u32Of(this.next(), this.next(), 'dropped attributes');
        dE = u32Of(this.next(), this.next(), 'dropped events');
        dL = u32Of(this.next(), this.next(), 'dropped links');
      }
      const attributes = this.attributes(build);

      const nEvents = this.next();
      if (nEvents > tuple.length) throw spanCorrupt('event count exceeds its signature');
      const events: SpanEvent[] = build && nEvents > 0 ? new Array<SpanEvent>(nEvents) : NO_EVENTS;
      for (let i = 0; i < nEvents; i++) {
        const evName = this.text(build);
        const evDropped = u32Of(this.next(), this.next(), 'an event\'s dropped attributes');
        const evAttrs = this.attributes(build);
        let timeNs = 0n;
        if (divE === 0) timeNs = readU64(evR, 'an event time');
        else {
          const v = unzigzag(evR.varint('an event time')) * divE;
          if (!(v > -TWO_53 && v < TWO_53)) throw spanCorrupt('event time offset exceeds 2^53');
          evTime.add(start, v, 'an event time');
          if (build) timeNs = evTime.big();
        }
        if (build) events[i] = { name: evName, timeNs, attributes: evAttrs, droppedAttributesCount: evDropped };
      }

      const nLinks = this.next();
      if (nLinks > tuple.length) throw spanCorrupt('link count exceeds its signature');
      const links: SpanLink[] = build && nLinks > 0 ? new Array<SpanLink>(nLinks) : NO_LINKS;
      for (let i = 0; i < nLinks; i++) {
        const lhead = this.next();
        if (lhead > LINK_HEAD_TRACE_STATE) throw spanCorrupt(`link head ${lhead} is invalid`);
        const lFlags = u32Of(this.next(), this.next(), 'a link\'s flags');
        const lDropped = u32Of(this.next(), this.next(), 'a link\'s dropped attributes');
        const lState = lhead & LINK_HEAD_TRACE_STATE ? this.text(build) : undefined;
        const lAttrs = this.attributes(build);
        const lcode = lkR.varint('a link code');
        let lTrace = '';
        if (lcode === LINK_EXPLICIT) {
          if (extra + TRACE_ID_BYTES > idsEnd) throw spanTruncated('explicit link trace ids');
          if (build) lTrace = hexSlice(buf, extra, extra + TRACE_ID_BYTES);
          extra += TRACE_ID_BYTES;
        } else if (lcode === LINK_SAME) {
          if (build) lTrace = this.traceId(t);
        } else {
          const lt = lcode - LINK_TRACE;
          if (lt >= h.traces) throw spanCorrupt('link trace index is out of range');
          if (build) lTrace = this.traceId(lt);
        }
        if (extra + SPAN_ID_BYTES > idsEnd) throw spanTruncated('link span ids');
        const lSpan = build ? hexSlice(buf, extra, extra + SPAN_ID_BYTES) : '';
        extra += SPAN_ID_BYTES;
        if (build) {
          links[i] = lState === undefined
            ? { traceId: lTrace, spanId: lSpan, flags: lFlags, attributes: lAttrs, droppedAttributesCount: lDropped }
            : { traceId: lTrace, spanId: lSpan, traceState: lState, flags: lFlags, attributes: lAttrs, droppedAttributesCount: lDropped };
        }
      }
      if (this.p !== tuple.length) throw spanCorrupt('signature has trailing values');
      if (!build) continue;

      const resource = resources.get(resId)!;
      const scope = scopes.get(scopeId)!;
      const status: SpanStatus = message === undefined ? { code } : { code, message };
      const at = storedAt + (r - r0) * SPAN_ID_BYTES;
      const spanId = hexSlice(buf, at, at + SPAN_ID_BYTES);
      const traceId = this.traceId(t);
      // Key order as every reader of spans builds them (codec/span-record.ts makeSpan); endNs is set by ends().
      const endNs = 0n;
      let span: Span;
      if (parentSpanId === undefined) {
        span = traceState === undefined
          ? { traceId, spanId, name, kind, startNs, endNs, status, attributes, events, links, resource, scope, flags: spanFlags, droppedAttributesCount: dA, droppedEventsCount: dE, droppedLinksCount: dL }
          : { traceId, spanId, name, kind, startNs, endNs, status, attributes, events, links, resource, scope, traceState, flags: spanFlags, droppedAttributesCount: dA, droppedEventsCount: dE, droppedLinksCount: dL };
      } else {
        span = traceState === undefined
          ? { traceId, spanId, parentSpanId, name, kind, startNs, endNs, status, attributes, events, links, resource, scope, flags: spanFlags, droppedAttributesCount: dA, droppedEventsCount: dE, droppedLinksCount: dL }
          : { traceId, spanId, parentSpanId, name, kind, startNs, endNs, status, attributes, events, links, resource, scope, traceState, flags: spanFlags, droppedAttributesCount: dA, droppedEventsCount: dE, droppedLinksCount: dL };
      }
      out.push(span);
      seg.span[r - r0] = span;
    }
    if (last > r0) this.ends(segFrom - r0, last - r0, duR, duBits, divD, segFrom >= from);
    if (last === r1) {
      // The whole page was read: every stream must be used up (a corrupt count shows here).
      if (sigR.remaining + parR.remaining + stR.remaining + duR.remaining + evR.remaining + lkR.remaining !== 0 || extra !== idsEnd
        || stBits.remainingBytes + duBits.remainingBytes !== 0) {
        throw spanCorrupt('a page has unread column bytes');
      }
    }
  }
}
