// Pages of a span block -> spans (the inverse of span-columns.ts). A page decodes on its own given
// the block's dictionaries, in steps (OpenPage): the cheap columns first (parents and tuple ids,
// starts, ends: only as far as, and for the traces, asked), then any subset of rows is built. Rows
// not built are passed over lazily: what they consume from the per-template string slots and the
// per-key attribute streams is counted from their tuple (TupleUses) and consumed only where a
// built row reads the same stream; rows after the last built one are never read. A trace look-up
// builds only its trace's spans, a query (span-columns-where.ts) only the rows that may match.
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

/** The block's dictionaries section, decoded. */
export interface BlockDicts {
  /** Bytes of the decompressed dictionaries (what the sections below point into). */
  dictBytes: number;
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
  /** The attribute columns decoder, made when first needed (its key dictionary parsed once per block). */
  attrs?: AttrColumnsDecoder;
  /** Per tuple id: what its rows consume from a page's streams (SpanBlockDecoder uses()), made when first needed. */
  uses?: (TupleUses | undefined)[];
  /** Filters' verdicts on the tuples (span-columns-where.ts), by the filter's categorical part. */
  verdicts?: Map<string, Uint8Array>;
  /**
   * Page bodies decompressed so far, kept: a kept reader (block-cache.ts) then answers the next
   * query without decompressing again. Small beside the block: ~40 % of its bytes on the shop
   * workload (the stored ids and time bits, most of a page, are not compressed).
   */
  bodies?: (Buffer | undefined)[];
  /** Bytes of `bodies`. */
  bodyBytes?: number;
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
  return { dictBytes: buf.length, traceStart, pageStart, templates, sigs, succ, attrDict, resources, scopes };
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

/** What reading a tuple's row consumes from the page's streams, without building it (SpanBlockDecoder uses()). */
export interface TupleUses {
  /**
   * The string instances and attribute values: template ids (templates with variables: the name,
   * message, trace state, string attribute values of the span, its events and links), then
   * templates.size + the attribute value streams (attr-columns.ts usesRange: key * 3 + stream).
   */
  ops: Int32Array;
  /** Event times and link codes. */
  events: number;
  links: number;
}

/**
 * A page opened for reading: where its columns are, and what the scans found per row (index in the
 * page). Rows are read in steps that each go only as far as asked, and only for the traces asked
 * for: scanTuples (parents and tuple ids), scanStarts, scanEnds (the cheap columns), then build
 * (the spans, any subset of rows).
 */
export class OpenPage {
  readonly n: number;
  /** Per row: trace index, parent code, parent's index in the page (-1: none in the page before it), tuple id. */
  readonly trace: Int32Array;
  readonly pcode: Int32Array;
  readonly parent: Int32Array;
  readonly tuple: Int32Array;
  /** Start and end ns as 32-bit halves (block-time.ts Ns), set by scanStarts and scanEnds. */
  readonly sHi: Float64Array;
  readonly sLo: Float64Array;
  readonly eHi: Float64Array;
  readonly eLo: Float64Array;
  /** Per row: 1 when scanEnds computed its end. */
  readonly hasEnd: Uint8Array;
  /** Rows [0, tuplesTo) were scanned for tuple ids, [0, startsTo) for starts, [0, endsTo) for ends. */
  tuplesTo = 0;
  startsTo = 0;
  endsTo = 0;
  /** Narrow starts: ns since tMin of the last row scanned. */
  off = 0;
  /** The spans of the current build, by row (parents reuse their child's span id string). */
  readonly span: (Span | undefined)[];

  constructor(
    readonly r0: number,
    readonly body: Buffer,
    /** Where the page's span ids start, and where its explicit ids end (the time bits follow). */
    readonly storedAt: number,
    readonly idsEnd: number,
    readonly divS: number,
    readonly divD: number,
    readonly divE: number,
    readonly sigR: ByteReader,
    readonly parR: ByteReader,
    readonly stR: ByteReader,
    /** The durations (read again from their start when a scan needs ends it passed over). */
    public duR: ByteReader,
    readonly stBits: BitReader,
    public duBits: BitReader,
    /** Body offsets of the sections a build reads from the start each time. */
    readonly evAt: number,
    readonly evEnd: number,
    readonly lkAt: number,
    readonly lkEnd: number,
    readonly tableAt: number,
    readonly tableEnd: number,
    readonly slotsAt: number,
    readonly slotsEnd: number,
    readonly attrAt: number,
    readonly attrEnd: number,
    readonly duAt: number,
    readonly duEnd: number,
    readonly duBitsAt: number,
    readonly duBitsEnd: number,
    n: number,
  ) {
    this.n = n;
    // One allocation for the per-row columns (a page is opened per query and block).
    const mem = new ArrayBuffer(n * (4 * 8 + 4 * 4));
    this.sHi = new Float64Array(mem, 0, n);
    this.sLo = new Float64Array(mem, n * 8, n);
    this.eHi = new Float64Array(mem, n * 16, n);
    this.eLo = new Float64Array(mem, n * 24, n);
    this.trace = new Int32Array(mem, n * 32, n);
    this.pcode = new Int32Array(mem, n * 36, n);
    this.parent = new Int32Array(mem, n * 40, n);
    this.tuple = new Int32Array(mem, n * 44, n);
    this.hasEnd = new Uint8Array(n);
    this.span = new Array<Span | undefined>(n);
  }
}

/** Passes over n values of a time column: wide (u64 each) or classed (a class byte each, its bits skipped at once). */
function skipTimeColumn(classes: ByteReader, bits: BitReader, wide: boolean, n: number, what: string): void {
  if (wide) {
    classes.skip(8 * n, what);
    return;
  }
  const at = classes.skip(n, what);
  const buf = classes.buf;
  let total = 0;
  for (let p = at; p < at + n; p++) {
    const c = buf[p];
    if (c > 53) throw spanCorrupt(`${what} class ${c} is out of range`);
    if (c >= 2) total += c - 1;
  }
  bits.skip(total);
}

/** Whether need[a, b) marks a row. */
function marked(need: Uint8Array, a: number, b: number): boolean {
  for (let i = a; i < b; i++) if (need[i] !== 0) return true;
  return false;
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
  /** ends() scratch: per row of the page, the latest end of its children in the segment. */
  private ceHi = new Float64Array(0);
  private ceLo = new Float64Array(0);
  private hasChild = new Uint8Array(0);
  private pend = new Int32Array(0);
  private touched = new Int32Array(0);

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
    for (let k = runOf(pageStart, from); k < this.h.pages && pageStart[k] < to; k++) {
      const pg = this.open(k);
      const a = Math.max(from, pg.r0) - pg.r0;
      const b = Math.min(pageStart[k + 1], to) - pg.r0;
      // Rows before `from` (a trace look-up's neighbours) need no times: they are not built.
      let need: Uint8Array | undefined;
      if (a > 0) {
        need = new Uint8Array(pg.n);
        need.fill(1, a, b);
      }
      this.scanStarts(pg, b, need);
      this.scanEnds(pg, b, need);
      this.build(pg, a, b, undefined, out);
    }
    return out;
  }

  /** The attribute columns decoder (its key dictionary parsed once per block). */
  attrs(): AttrColumnsDecoder {
    const d = this.d;
    d.attrs ??= new AttrColumnsDecoder(new ByteReader(d.attrDict.buf, d.attrDict.pos, d.attrDict.end));
    return d.attrs;
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

  /** Decompresses page k and finds its columns (nothing is scanned yet). */
  open(k: number): OpenPage {
    const { buf, h, d } = this;
    const r0 = d.pageStart[k];
    const n = d.pageStart[k + 1] - r0;
    const { at: storedAt, end: storedEnd } = this.stored(k);
    const bodies = (d.bodies ??= []);
    let body = bodies[k];
    if (body === undefined) {
      body = bufferView(decompress(buf.subarray(storedEnd, h.pageAt[k + 1])));
      bodies[k] = body;
      d.bodyBytes = (d.bodyBytes ?? 0) + body.length;
    }
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
    const table = b.section('a string table');
    const slots = b.section('string slots');
    // The attribute streams run to the end of the body; a build parses them (and the string
    // table), from their start each time: pages whose rows are all passed over never are.
    return new OpenPage(
      r0, body, storedAt, idsEnd, divS, divD, divE, sigR, parR, stR, duR, stBits, duBits,
      evR.pos, evR.end, lkR.pos, lkR.end, table.pos, table.end, slots.pos, slots.end, b.pos, b.end,
      duR.pos, duR.end, idsEnd + stBitsLen, storedEnd, n,
    );
  }

  /** Scans parents and tuple ids of the page's rows up to `to` (index in the page). */
  scanTuples(pg: OpenPage, to: number): void {
    const { traceStart, succ, sigs } = this.d;
    const { r0, sigR, parR, trace, parent, pcode: pcodes, tuple } = pg;
    const nSigs = sigs.count;
    const end = r0 + to;
    let r = r0 + pg.tuplesTo;
    if (r >= end) return;
    let t = pg.tuplesTo === 0 ? runOf(traceStart, r0) : trace[pg.tuplesTo - 1];
    let tEnd = traceStart[t + 1];
    for (; r < end; r++) {
      if (tEnd <= r) {
        while (traceStart[t + 1] <= r) t++;
        tEnd = traceStart[t + 1];
      }
      const i = r - r0;
      trace[i] = t;
      // The tuple is coded in the context of the parent row's tuple.
      const pcode = parR.varint('a parent code');
      let ctx = 0;
      parent[i] = -1;
      if (pcode >= PARENT_ROW) {
        const pr = traceStart[t] + pcode - PARENT_ROW;
        if (pr >= tEnd) throw spanCorrupt('parent index leaves its trace');
        if (pr >= r0 && pr < r) {
          ctx = 1 + tuple[pr - r0];
          parent[i] = pr - r0;
        }
      } else if (pcode !== PARENT_NONE && pcode !== PARENT_EXPLICIT) throw spanCorrupt('parent code is invalid');
      pcodes[i] = pcode;
      const tupleId = succ.tuple(ctx, sigR.varint('a signature code'));
      if (!(tupleId < nSigs)) throw spanCorrupt('signature id is out of range');
      tuple[i] = tupleId;
    }
    pg.tuplesTo = to;
    if (to === pg.n && sigR.remaining + parR.remaining !== 0) throw spanCorrupt('a page has unread column bytes');
  }

  /** `to` (an index in the page) moved to the end of the trace's rows it falls in (times are coded per trace). */
  private traceEnd(pg: OpenPage, to: number): number {
    const { traceStart } = this.d;
    return to >= pg.n || to <= 0 ? Math.min(to, pg.n) : Math.min(pg.n, traceStart[runOf(traceStart, pg.r0 + to - 1) + 1] - pg.r0);
  }

  /**
   * Scans the start times of the page's rows up to `to` (index in the page; extended to the end of
   * the trace's rows it falls in). With `need`, only the traces that have a row marked in it get
   * theirs; the others' are passed over.
   */
  scanStarts(pg: OpenPage, to: number, need?: Uint8Array): void {
    const { h } = this;
    const { traceStart } = this.d;
    const { r0, stR, stBits, divS, sHi, sLo } = pg;
    to = this.traceEnd(pg, to);
    if (to <= pg.startsTo) return;
    const { tMin, start } = this;
    const tMax = h.tMaxNs;
    let t = runOf(traceStart, r0 + pg.startsTo);
    for (let a = pg.startsTo; a < to; t++) {
      // One trace's rows in the page: [a, b).
      const b = Math.min(to, traceStart[t + 1] - r0);
      if (need !== undefined && !marked(need, a, b)) {
        skipTimeColumn(stR, stBits, divS === 0, b - a, 'a start');
        a = b;
        continue;
      }
      for (let i = a; i < b; i++) {
        if (divS === 0) {
          const startNs = readU64(stR, 'a start');
          if (startNs < h.tMinNs || startNs > tMax) throw spanCorrupt('start outside the block\'s range');
          start.from(startNs);
        } else {
          // The first row of a page or a trace: ns since tMin, the others: since the previous row.
          const v = classed(stR, stBits, divS, 'a start');
          pg.off = i === a ? v : pg.off + v;
          if (pg.off >= TWO_53 || pg.off > this.spanNs) throw spanCorrupt('start after the block\'s range');
          start.add(tMin, pg.off, 'a start');
        }
        sHi[i] = start.hi;
        sLo[i] = start.lo;
      }
      a = b;
    }
    pg.startsTo = to;
    if (to === pg.n && stR.remaining + stBits.remainingBytes !== 0) throw spanCorrupt('a page has unread column bytes');
  }

  /**
   * Scans the end times of the page's rows up to `to` (as scanStarts; `need` must not mark a row
   * whose start was not scanned). A trace passed over by an earlier call and marked now has the
   * durations read again from their start.
   */
  scanEnds(pg: OpenPage, to: number, need?: Uint8Array): void {
    const { traceStart } = this.d;
    const { r0 } = pg;
    to = this.traceEnd(pg, to);
    if (need !== undefined) {
      for (let i = Math.min(to, pg.endsTo) - 1; i >= 0; i--) {
        if (need[i] === 1 && pg.hasEnd[i] === 0) {
          pg.duR = new ByteReader(pg.body, pg.duAt, pg.duEnd);
          pg.duBits = new BitReader(this.buf, pg.duBitsAt, pg.duBitsEnd);
          pg.endsTo = 0;
          break;
        }
      }
    }
    if (to <= pg.endsTo) return;
    this.scanTuples(pg, to); // ends need the parents
    let t = runOf(traceStart, r0 + pg.endsTo);
    for (let a = pg.endsTo; a < to; t++) {
      const b = Math.min(to, traceStart[t + 1] - r0);
      if (need !== undefined && !marked(need, a, b)) skipTimeColumn(pg.duR, pg.duBits, pg.divD === 0, b - a, 'a duration');
      else this.ends(pg, a, b);
      a = b;
    }
    pg.endsTo = to;
    if (to === pg.n && pg.duR.remaining + pg.duBits.remainingBytes !== 0) throw spanCorrupt('a page has unread column bytes');
  }

  /**
   * The ends of one trace's rows [a, b) of the page, read last row first as the encoder wrote them:
   * a row with children (later rows of the segment whose parent it is) ends at its last child's
   * end plus a signed delta, others at their start plus their duration. Every end is checked
   * against the block's duration range.
   */
  private ends(pg: OpenPage, a: number, b: number): void {
    if (this.ceHi.length < pg.n) {
      this.ceHi = new Float64Array(pg.n);
      this.ceLo = new Float64Array(pg.n);
      this.hasChild = new Uint8Array(pg.n);
    }
    const { start, end, ceHi, ceLo, hasChild } = this;
    const { sHi, sLo, eHi, eLo, parent, duR, duBits, divD } = pg;
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
      eHi[i] = end.hi;
      eLo[i] = end.lo;
      pg.hasEnd[i] = 1;
      const p = parent[i];
      if (p >= a && p < i && (!hasChild[p] || end.hi > ceHi[p] || (end.hi === ceHi[p] && end.lo > ceLo[p]))) {
        hasChild[p] = 1;
        ceHi[p] = end.hi;
        ceLo[p] = end.lo;
      }
    }
  }

  /**
   * What a row of tuple `id` consumes from a page's streams (cached per tuple): what a build defers
   * for the rows it does not build. Call while building a page that has a row of the tuple: its
   * templates with variables are those that page lists. Throws CORRUPT for a malformed tuple, as
   * building its row would.
   */
  private uses(id: number): TupleUses {
    const all = (this.d.uses ??= []);
    const cached = all[id];
    if (cached !== undefined) return cached;
    const tuple = this.d.sigs.get(id);
    if (tuple === undefined) throw spanCorrupt('signature id is out of range');
    this.tuple = tuple;
    this.p = 0;
    const templates: number[] = [];
    const streams: number[] = [];
    const head = this.next();
    if (head > HEAD_BITS || SPAN_KINDS[head & 7] === undefined || STATUS_CODES[(head >> 3) & 3] === undefined) throw spanCorrupt(`signature head ${head} is invalid`);
    this.textUse(templates);
    const resId = this.next();
    const scopeId = this.next();
    if (resId >= this.d.resources.size || scopeId >= this.d.scopes.size) throw spanCorrupt('resource or scope id is out of range');
    u32Of(this.next(), this.next(), 'flags');
    if (head & HEAD_MESSAGE) this.textUse(templates);
    if (head & HEAD_TRACE_STATE) this.textUse(templates);
    if (head & HEAD_DROPPED) {
      u32Of(this.next(), this.next(), 'dropped attributes');
      u32Of(this.next(), this.next(), 'dropped events');
      u32Of(this.next(), this.next(), 'dropped links');
    }
    this.attributesUse(templates, streams);
    const events = this.next();
    if (events > tuple.length) throw spanCorrupt('event count exceeds its signature');
    for (let i = 0; i < events; i++) {
      this.textUse(templates);
      u32Of(this.next(), this.next(), 'an event\'s dropped attributes');
      this.attributesUse(templates, streams);
    }
    const links = this.next();
    if (links > tuple.length) throw spanCorrupt('link count exceeds its signature');
    for (let i = 0; i < links; i++) {
      const lhead = this.next();
      if (lhead > LINK_HEAD_TRACE_STATE) throw spanCorrupt(`link head ${lhead} is invalid`);
      u32Of(this.next(), this.next(), 'a link\'s flags');
      u32Of(this.next(), this.next(), 'a link\'s dropped attributes');
      if (lhead & LINK_HEAD_TRACE_STATE) this.textUse(templates);
      this.attributesUse(templates, streams);
    }
    if (this.p !== tuple.length) throw spanCorrupt('signature has trailing values');
    // Templates without variables consume nothing: only the others are deferred.
    const strings = this.strings;
    const nTemplates = this.d.templates.size;
    const ops: number[] = [];
    for (const t of templates) if (strings.hasSlots(t)) ops.push(t);
    for (const st of streams) ops.push(nTemplates + st);
    const uses: TupleUses = { ops: Int32Array.from(ops), events, links };
    all[id] = uses;
    return uses;
  }

  private textUse(templates: number[]): void {
    templates.push(this.next() >>> 1);
  }

  private attributesUse(templates: number[], streams: number[]): void {
    const len = this.next();
    const at = this.p;
    if (len > this.tuple.length - at) throw spanCorrupt('attributes run past their signature');
    this.p = at + len;
    this.d.attrs!.usesRange(this.tuple, at, at + len, templates, streams);
  }

  private next(): number {
    const v = this.tuple[this.p++];
    if (v === undefined) throw spanCorrupt('a signature ends early');
    return v;
  }

  private text(): string {
    const code = this.next();
    const s = this.strings.read(code >>> 1);
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

  private attributes(): Attributes {
    const len = this.next();
    const at = this.p;
    if (len > this.tuple.length - at) throw spanCorrupt('attributes run past their signature');
    this.p = at + len;
    return this.d.attrs!.readRange(this.tuple, at, at + len);
  }

  /**
   * Builds rows of an open page: those in [from, to) (indexes in the page) that `want` marks (all
   * of them without `want`), pushed to `out` in row order. The page's streams are read from their
   * start: rows before `to` that are not built are passed over lazily (their string and attribute
   * values deferred, consumed only where a built row needs the same stream), rows from `to` on are
   * not read at all. The built rows' times must have been scanned (scanStarts, scanEnds).
   */
  build(pg: OpenPage, from: number, to: number, want: Uint8Array | undefined, out: Span[]): void {
    const { buf, h, d } = this;
    const body = pg.body;
    const attrs = this.attrs();
    const strings = new StringColumnsDecoder(body, new ByteReader(body, pg.tableAt, pg.tableEnd), new ByteReader(body, pg.slotsAt, pg.slotsEnd), d.templates);
    const attrR = new ByteReader(body, pg.attrAt, pg.attrEnd);
    attrs.readColumnsPage(attrR, strings);
    if (attrR.remaining !== 0) throw spanCorrupt('bytes after a page\'s columns');
    this.strings = strings;
    const evR = new ByteReader(body, pg.evAt, pg.evEnd);
    const lkR = new ByteReader(body, pg.lkAt, pg.lkEnd);
    const { resources, scopes } = d;
    const { r0, storedAt, idsEnd, divE, sHi, sLo, eHi, eLo } = pg;
    const { start, end, evTime } = this;
    let extra = storedAt + pg.n * SPAN_ID_BYTES;
    // What the rows passed over consume (string instances per template, values per attribute
    // stream, event times, link codes), counted here and handed to the column decoders (or
    // consumed) before the next built row: a few typed-array increments per row passed over.
    const nTemplates = d.templates.size;
    const pend = this.pending(nTemplates + attrs.streamCount);
    const touched = this.touched;
    const allUses = (d.uses ??= []);
    let nTouched = 0;
    let skipEvents = 0;
    let skipLinks = 0;
    for (let i = 0; i < to; i++) {
      const r = r0 + i;
      const pcode = pg.pcode[i];
      const tupleId = pg.tuple[i];
      if (i < from || (want !== undefined && want[i] === 0)) {
        pg.span[i] = undefined;
        const u = allUses[tupleId] ?? this.uses(tupleId);
        const ops = u.ops;
        for (let j = 0; j < ops.length; j++) if (pend[ops[j]]++ === 0) touched[nTouched++] = ops[j];
        skipEvents += u.events;
        skipLinks += u.links;
        if (pcode === PARENT_EXPLICIT) extra += SPAN_ID_BYTES;
        continue;
      }
      for (; nTouched > 0; nTouched--) {
        const op = touched[nTouched - 1];
        if (op < nTemplates) strings.defer(op, pend[op]);
        else attrs.defer(op - nTemplates, pend[op]);
        pend[op] = 0;
      }
      if (skipEvents > 0) {
        if (divE === 0) evR.skip(skipEvents * 8, 'event times');
        else for (; skipEvents > 0; skipEvents--) evR.varint('an event time');
        skipEvents = 0;
      }
      for (; skipLinks > 0; skipLinks--) extra += this.linkIdBytes(lkR.varint('a link code'));
      const t = pg.trace[i];

      let parentSpanId: string | undefined;
      if (pcode === PARENT_EXPLICIT) {
        if (extra + SPAN_ID_BYTES > idsEnd) throw spanTruncated('explicit parent ids');
        parentSpanId = hexSlice(buf, extra, extra + SPAN_ID_BYTES);
        extra += SPAN_ID_BYTES;
      } else if (pcode >= PARENT_ROW) {
        const pr = d.traceStart[t] + pcode - PARENT_ROW;
        // The parent's own spanId string when it was built in this page (most parents are).
        parentSpanId = (pr >= r0 && pr < r ? pg.span[pr - r0]?.spanId : undefined) ?? this.spanIdOf(pr);
      }
      const tuple = d.sigs.get(tupleId)!;
      this.tuple = tuple;
      this.p = 0;
      start.hi = sHi[i];
      start.lo = sLo[i];
      const startNs = start.big();
      end.hi = eHi[i];
      end.lo = eLo[i];
      const endNs = end.big();

      // The tuple: head, name, resource, scope, flags, optional fields, attributes, events, links.
      const head = this.next();
      if (head > HEAD_BITS) throw spanCorrupt(`signature head ${head} is invalid`);
      const kind = SPAN_KINDS[head & 7];
      const code = STATUS_CODES[(head >> 3) & 3];
      if (kind === undefined || code === undefined) throw spanCorrupt(`signature head ${head} is invalid`);
      const name = this.text();
      const resId = this.next();
      const scopeId = this.next();
      if (resId >= resources.size || scopeId >= scopes.size) throw spanCorrupt('resource or scope id is out of range');
      const spanFlags = u32Of(this.next(), this.next(), 'flags');
      const message = head & HEAD_MESSAGE ? this.text() : undefined;
      const traceState = head & HEAD_TRACE_STATE ? this.text() : undefined;
      let dA = 0;
      let dE = 0;
      let dL = 0;
      if (head & HEAD_DROPPED) {
        dA = u32Of(this.next(), this.next(), 'dropped attributes');
        dE = u32Of(this.next(), this.next(), 'dropped events');
        dL = u32Of(this.next(), this.next(), 'dropped links');
      }
      const attributes = this.attributes();

      const nEvents = this.next();
      if (nEvents > tuple.length) throw spanCorrupt('event count exceeds its signature');
      const events: SpanEvent[] = nEvents > 0 ? new Array<SpanEvent>(nEvents) : NO_EVENTS;
      for (let e = 0; e < nEvents; e++) {
        const evName = this.text();
        const evDropped = u32Of(this.next(), this.next(), 'an event\'s dropped attributes');
        const evAttrs = this.attributes();
        let timeNs: bigint;
        if (divE === 0) timeNs = readU64(evR, 'an event time');
        else {
          const v = unzigzag(evR.varint('an event time')) * divE;
          if (!(v > -TWO_53 && v < TWO_53)) throw spanCorrupt('event time offset exceeds 2^53');
          evTime.add(start, v, 'an event time');
          timeNs = evTime.big();
        }
        events[e] = { name: evName, timeNs, attributes: evAttrs, droppedAttributesCount: evDropped };
      }

      const nLinks = this.next();
      if (nLinks > tuple.length) throw spanCorrupt('link count exceeds its signature');
      const links: SpanLink[] = nLinks > 0 ? new Array<SpanLink>(nLinks) : NO_LINKS;
      for (let l = 0; l < nLinks; l++) {
        const lhead = this.next();
        if (lhead > LINK_HEAD_TRACE_STATE) throw spanCorrupt(`link head ${lhead} is invalid`);
        const lFlags = u32Of(this.next(), this.next(), 'a link\'s flags');
        const lDropped = u32Of(this.next(), this.next(), 'a link\'s dropped attributes');
        const lState = lhead & LINK_HEAD_TRACE_STATE ? this.text() : undefined;
        const lAttrs = this.attributes();
        const lcode = lkR.varint('a link code');
        let lTrace: string;
        if (lcode === LINK_EXPLICIT) {
          if (extra + TRACE_ID_BYTES > idsEnd) throw spanTruncated('explicit link trace ids');
          lTrace = hexSlice(buf, extra, extra + TRACE_ID_BYTES);
          extra += TRACE_ID_BYTES;
        } else if (lcode === LINK_SAME) {
          lTrace = this.traceId(t);
        } else {
          const lt = lcode - LINK_TRACE;
          if (lt >= h.traces) throw spanCorrupt('link trace index is out of range');
          lTrace = this.traceId(lt);
        }
        if (extra + SPAN_ID_BYTES > idsEnd) throw spanTruncated('link span ids');
        const lSpan = hexSlice(buf, extra, extra + SPAN_ID_BYTES);
        extra += SPAN_ID_BYTES;
        links[l] = lState === undefined
          ? { traceId: lTrace, spanId: lSpan, flags: lFlags, attributes: lAttrs, droppedAttributesCount: lDropped }
          : { traceId: lTrace, spanId: lSpan, traceState: lState, flags: lFlags, attributes: lAttrs, droppedAttributesCount: lDropped };
      }
      if (this.p !== tuple.length) throw spanCorrupt('signature has trailing values');

      const resource = resources.get(resId)!;
      const scope = scopes.get(scopeId)!;
      const status: SpanStatus = message === undefined ? { code } : { code, message };
      const at = storedAt + i * SPAN_ID_BYTES;
      const spanId = hexSlice(buf, at, at + SPAN_ID_BYTES);
      const traceId = this.traceId(t);
      // Key order as every reader of spans builds them (codec/span-record.ts makeSpan).
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
      pg.span[i] = span;
    }
    // Counts of rows passed over after the last built one (nothing reads their streams).
    for (; nTouched > 0; nTouched--) pend[touched[nTouched - 1]] = 0;
    if (to === pg.n) {
      // The whole page was read: the row streams must be used up (a corrupt count shows here).
      if (divE === 0) evR.skip(skipEvents * 8, 'event times');
      else for (; skipEvents > 0; skipEvents--) evR.varint('an event time');
      for (; skipLinks > 0; skipLinks--) extra += this.linkIdBytes(lkR.varint('a link code'));
      if (evR.remaining + lkR.remaining !== 0 || extra !== idsEnd) throw spanCorrupt('a page has unread column bytes');
    }
  }

  /** build() scratch: deferred string instances and attribute values per TupleUses op (zero between builds), and which are non-zero. */
  private pending(n: number): Int32Array {
    if (this.pend.length < n) {
      this.pend = new Int32Array(n);
      this.touched = new Int32Array(n);
    }
    return this.pend;
  }

  /** Explicit id bytes a link of code `lcode` has (its trace id when explicit, then its span id). */
  private linkIdBytes(lcode: number): number {
    if (lcode === LINK_EXPLICIT) return TRACE_ID_BYTES + SPAN_ID_BYTES;
    if (lcode !== LINK_SAME && lcode - LINK_TRACE >= this.h.traces) throw spanCorrupt('link trace index is out of range');
    return SPAN_ID_BYTES;
  }
}
