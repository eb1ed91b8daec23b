// Spans -> the columns of one page (and, after the last page, the block's dictionaries).
//
// Everything categorical about a span - kind, status, name, resource, scope, flags, which optional
// fields it has, its attribute keys and value types (and string templates), its events' and links'
// names and shapes - is ONE tuple of small ints (signature.ts), stored once per block; each row
// stores the tuple's id. These fields are strongly correlated (an operation fixes the service, the
// scope, the keys...), so one id costs far less than each field on its own. What varies per row
// goes into per-page streams: span ids (raw), parent links, times, string variables (string-columns
// slots), numeric attribute values (attr-columns). Byte spec: block.ts.
import { Buffer } from 'node:buffer';
import { AttrColumnsEncoder } from '../../codec/columns/attr-columns.js';
import { ByteWriter } from '../../codec/columns/bytes.js';
import { hexInto } from '../../codec/columns/hex.js';
import { SignatureEncoder, type SignatureSink } from '../../codec/columns/signature.js';
import { StringColumnsEncoder } from '../../codec/columns/string-columns.js';
import { VarSink } from '../../codec/columns/templates.js';
import { SPAN_KINDS, STATUS_CODES, type Attributes, type Span } from '../types.js';
import { isU32, ResourceDict, ScopeDict } from './block-dicts.js';
import { invalidSpan, SPAN_ID_BYTES, TRACE_ID_BYTES, TWO_64 } from './block-layout.js';
import type { MetaCollector } from './block-meta.js';
import { TimeColumn } from './block-time.js';
import { frequentValues } from './span-columns-frequent.js';
import { contextOf, SuccessorEncoder } from './span-columns-succ.js';
import { writeTuples } from './span-columns-tuples.js';
import { findTrace, type TraceRuns } from './trace-directory.js';

/** Page time flags: the column holds raw u64 values instead of varints over a divisor. */
export const WIDE_STARTS = 1;
export const WIDE_DURATIONS = 2;
export const WIDE_EVENTS = 4;

/** Parent codes: no parent / an explicit 8-byte id / PARENT_ROW + the parent's index in its trace. */
export const PARENT_NONE = 0;
export const PARENT_EXPLICIT = 1;
export const PARENT_ROW = 2;

/** Link trace codes: explicit 16 bytes / the span's own trace / LINK_TRACE + a trace of the block's directory. */
export const LINK_EXPLICIT = 0;
export const LINK_SAME = 1;
export const LINK_TRACE = 2;

/** Tuple head bits: kind (SPAN_KINDS index) 0-2, status code (STATUS_CODES index) 3-4, then presence. */
export const HEAD_MESSAGE = 1 << 5;
export const HEAD_TRACE_STATE = 1 << 6;
export const HEAD_DROPPED = 1 << 7;
/** Link tuple head: the link has a traceState. */
export const LINK_HEAD_TRACE_STATE = 1;

const TWO_53N = 1n << 53n;

const nativeWellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;

/** No lone surrogates (which UTF-8 cannot hold: such strings are stored as JSON text). */
function isWellFormed(s: string): boolean {
  if (nativeWellFormed !== undefined) return nativeWellFormed.call(s);
  return Buffer.from(s, 'utf8').toString('utf8') === s;
}

/** Attribute parts of one attributes object, collected before they join the row's tuple behind their count. */
class TupleScratch implements SignatureSink {
  a = new Int32Array(64);
  n = 0;

  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Int32Array(this.n * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }

  push2(a: number, b: number): void {
    this.push(a);
    this.push(b);
  }
}

function isNs(v: unknown): v is bigint {
  return typeof v === 'bigint' && v >= 0n && v < TWO_64;
}

/** A page's columns before its signature ids are known (ids are numbered by frequency over the whole block). */
export interface PendingPage {
  from: number;
  to: number;
  /** Span ids (rows × 8 bytes), then the explicit ids (parents, link traces, link spans) in row order. */
  stored: Uint8Array;
  /** The page body after its signature ids section. */
  rest: Uint8Array;
  /** Where each column is in `rest` (measuring: block.ts compresses them one by one on request). */
  columns: { name: string; start: number; end: number }[];
  /** Bytes of `stored` that are explicit ids, start bits, duration bits (measuring). */
  storedParts: { ids: number; startBits: number; durationBits: number };
}

export class SpanColumnsEncoder {
  private readonly strings = new StringColumnsEncoder();
  private readonly attrs = new AttrColumnsEncoder(this.strings, new VarSink());
  private readonly sig: SignatureEncoder;
  readonly resources = new ResourceDict();
  readonly scopes = new ScopeDict();
  private readonly scratch = new TupleScratch();
  /** Trace whose span ids are in rowOf, and their row index in the trace (first occurrence). */
  private mapTrace = -1;
  private readonly rowOf = new Map<string, number>();
  private readonly idBytes = Buffer.alloc(TRACE_ID_BYTES);
  minDur = -1n;
  maxDur = -1n;
  /** Row of each row's parent when it is a row of the same trace, else -1. */
  private readonly parentRow: Int32Array;
  private succ: SuccessorEncoder | undefined;

  constructor(
    private readonly spans: readonly Span[],
    private readonly order: Int32Array,
    private readonly runs: TraceRuns,
    private readonly tMin: bigint,
    private readonly meta: MetaCollector,
  ) {
    this.sig = new SignatureEncoder(order.length);
    this.parentRow = new Int32Array(order.length).fill(-1);
    const frequent = frequentValues(spans);
    this.attrs.constInts = frequent.ints;
    this.attrs.literalValues = frequent.strings;
  }

  /** Encodes rows [from, to) (block order) into a pending page. Throws CodecError INVALID_INPUT for a bad span. */
  page(from: number, to: number): PendingPage {
    const n = to - from;
    const stored = new ByteWriter(n * SPAN_ID_BYTES + 64);
    const extra = new ByteWriter(64);
    const parents = new ByteWriter(n + 16);
    const linkCodes = new ByteWriter(16);
    const starts = new TimeColumn(false, true);
    const durations = new TimeColumn(false, true);
    const events = new TimeColumn(true);
    const { runs, tMin } = this;
    stored.pos = n * SPAN_ID_BYTES;
    let prevStart = 0n;
    for (let r = from; r < to; r++) {
      const s = this.spans[this.order[r]];
      if (typeof s !== 'object' || s === null) throw invalidSpan('span is not an object');
      const t = runs.traceOf[r];
      if (typeof s.spanId !== 'string' || !hexInto(s.spanId, SPAN_ID_BYTES, stored.buf, (r - from) * SPAN_ID_BYTES)) {
        throw invalidSpan(`spanId ${JSON.stringify(s.spanId)} is not 16 lowercase hex chars`);
      }
      parents.varint(this.parentCode(s, r, t, extra));
      if (!isNs(s.startNs) || !isNs(s.endNs) || s.endNs < s.startNs) {
        throw invalidSpan(`span ${s.spanId}: startNs/endNs must be bigint ns in [0, 2^64) with endNs >= startNs`);
      }
      // The first row of a trace or page: offset from the block's first start; later rows of the
      // trace: delta from the previous row (rows of a trace are in start order).
      const first = r === from || runs.start[t] === r;
      starts.add(s.startNs - (first ? tMin : prevStart), s.startNs);
      if (starts.narrow && s.startNs - tMin >= TWO_53N) starts.narrow = false; // the decoder sums offsets as doubles
      prevStart = s.startNs;
      this.row(s, events, linkCodes, extra);
    }
    for (let a = from; a < to; ) {
      let b = a + 1;
      while (b < to && runs.start[runs.traceOf[b]] !== b) b++;
      this.ends(a, b, durations);
      a = b;
    }
    const st = starts.write();
    const du = durations.write();
    const ev = events.write();
    // Random bytes are stored, not compressed: the ids, then the times' raw bits.
    stored.bytes(extra.view());
    stored.bytes(st.bits);
    stored.bytes(du.bits);
    const rest = new ByteWriter(4096);
    rest.u8((st.div === 0 ? WIDE_STARTS : 0) | (du.div === 0 ? WIDE_DURATIONS : 0) | (ev.div === 0 ? WIDE_EVENTS : 0));
    if (st.div !== 0) rest.varint(st.div);
    if (du.div !== 0) rest.varint(du.div);
    if (ev.div !== 0) rest.varint(ev.div);
    rest.varint(st.bits.length);
    rest.varint(du.bits.length);
    const columns: PendingPage['columns'] = [];
    const mark = (name: string, start: number) => columns.push({ name, start, end: rest.pos });
    let at = rest.pos;
    rest.section(parents);
    mark('parents', at);
    at = rest.pos;
    rest.section(st.w);
    mark('starts', at);
    at = rest.pos;
    rest.section(du.w);
    mark('durations', at);
    at = rest.pos;
    rest.section(ev.w);
    mark('event times', at);
    at = rest.pos;
    rest.section(linkCodes);
    mark('links', at);
    at = rest.pos;
    const strs = this.strings.finishPage();
    rest.section(strs.table);
    mark('string table', at);
    at = rest.pos;
    rest.section(strs.slots);
    mark('string slots', at);
    at = rest.pos;
    this.attrs.writeColumnsPage(rest);
    mark('attribute numbers', at);
    const storedParts = { ids: extra.pos, startBits: st.bits.length, durationBits: du.bits.length };
    return { from, to, stored: stored.view().slice(), rest: rest.view().slice(), columns, storedParts };
  }

  /**
   * The ends of one trace's rows [a, b) of a page, last row first: a span with children (rows of
   * the segment after it whose parent it is) as its end minus its last child's end (signed: async
   * children may end later), others as their duration. A client span ends just after the server
   * span it waits for, a handler just after its last call: 2.99 -> 2.75 bytes/span on the shop workload.
   */
  private ends(a: number, b: number, durations: TimeColumn): void {
    const childEnd: (bigint | undefined)[] = new Array(b - a);
    for (let i = b - 1; i >= a; i--) {
      const s = this.spans[this.order[i]];
      const dur = s.endNs - s.startNs;
      if (this.minDur < 0n || dur < this.minDur) this.minDur = dur;
      if (dur > this.maxDur) this.maxDur = dur;
      const c = childEnd[i - a];
      if (c !== undefined) durations.add(s.endNs - c, dur, true);
      else durations.add(dur, dur, false);
      const p = this.parentRow[i];
      if (p >= a && p < i) {
        const pc = childEnd[p - a];
        if (pc === undefined || s.endNs > pc) childEnd[p - a] = s.endNs;
      }
    }
  }

  /** Codes the rows' tuples by their parents' (span-columns-succ.ts), once every page's rows were added. */
  codeSignatures(pageStart: Int32Array): void {
    const sig = this.sig;
    const succ = new SuccessorEncoder(sig.count);
    const tupleOf = (row: number) => sig.writtenId(row);
    for (let k = 0; k + 1 < pageStart.length; k++) {
      for (let r = pageStart[k]; r < pageStart[k + 1]; r++) succ.add(contextOf(this.parentRow[r], r, pageStart[k], tupleOf), tupleOf(r));
    }
    succ.finish();
    this.succ = succ;
  }

  /** The signature codes section of page k's rows [from, to) (after codeSignatures). */
  writeSignatureCodes(out: ByteWriter, from: number, to: number): void {
    const w = new ByteWriter(to - from + 16);
    const tupleOf = (row: number) => this.sig.writtenId(row);
    for (let r = from; r < to; r++) w.varint(this.succ!.code(contextOf(this.parentRow[r], r, from, tupleOf), tupleOf(r)));
    out.section(w);
  }

  /**
   * The block's dictionaries after the directory sections: templates, tuples, attribute keys,
   * resources, scopes. Returns where each is in `out` (measuring).
   */
  writeDicts(out: ByteWriter): PendingPage['columns'] {
    const columns: PendingPage['columns'] = [];
    let at = out.pos;
    const tw = new ByteWriter(4096);
    this.strings.writeTemplateTexts(tw);
    out.section(tw);
    columns.push({ name: 'dict: string templates', start: at, end: out.pos });
    at = out.pos;
    writeTuples(out, this.sig.rankedTuples());
    columns.push({ name: 'dict: signatures', start: at, end: out.pos });

    at = out.pos;
    this.succ!.write(out);
    columns.push({ name: 'dict: successor lists', start: at, end: out.pos });
    at = out.pos;
    this.attrs.writeDict(out);
    columns.push({ name: 'dict: attribute keys', start: at, end: out.pos });
    at = out.pos;
    this.resources.write(out);
    this.scopes.write(out);
    columns.push({ name: 'dict: resources+scopes', start: at, end: out.pos });
    return columns;
  }

  shapeKeys(id: number): string[] {
    return this.attrs.shapeKeys(id);
  }

  /** Parent code of row r (trace t); explicit ids go to `extra`. */
  private parentCode(s: Span, r: number, t: number, extra: ByteWriter): number {
    const p = s.parentSpanId;
    if (p === undefined) return PARENT_NONE;
    if (typeof p !== 'string') throw invalidSpan(`span ${s.spanId}: parentSpanId is not a string`);
    if (this.mapTrace !== t) {
      // The trace's span ids, all of them (a parent may sort after its child: clock skew).
      this.mapTrace = t;
      this.rowOf.clear();
      const a = this.runs.start[t];
      const b = this.runs.start[t + 1];
      for (let i = a; i < b; i++) {
        const id = this.spans[this.order[i]].spanId;
        if (!this.rowOf.has(id)) this.rowOf.set(id, i - a);
      }
    }
    const k = this.rowOf.get(p);
    if (k !== undefined && k !== r - this.runs.start[t]) {
      this.parentRow[r] = this.runs.start[t] + k;
      return PARENT_ROW + k;
    }
    extra.ensure(SPAN_ID_BYTES);
    if (!hexInto(p, SPAN_ID_BYTES, extra.buf, extra.pos)) throw invalidSpan(`span ${s.spanId}: parentSpanId ${JSON.stringify(p)} is not 16 lowercase hex chars`);
    extra.pos += SPAN_ID_BYTES;
    return PARENT_EXPLICIT;
  }

  /** The row's tuple (and its strings, attribute values, event times and link ids). */
  private row(s: Span, events: TimeColumn, linkCodes: ByteWriter, extra: ByteWriter): void {
    const sig = this.sig;
    const kind = SPAN_KINDS.indexOf(s.kind);
    if (kind < 0) throw invalidSpan(`span ${s.spanId}: kind ${JSON.stringify(s.kind)} is unknown`);
    const st = s.status;
    if (typeof st !== 'object' || st === null) throw invalidSpan(`span ${s.spanId}: status is not an object`);
    const code = STATUS_CODES.indexOf(st.code);
    if (code < 0) throw invalidSpan(`span ${s.spanId}: status code ${JSON.stringify(st.code)} is unknown`);
    if (typeof s.name !== 'string') throw invalidSpan(`span ${s.spanId}: name is not a string`);
    if (!isU32(s.flags)) throw invalidSpan(`span ${s.spanId}: flags is not a u32`);
    const dA = s.droppedAttributesCount;
    const dE = s.droppedEventsCount;
    const dL = s.droppedLinksCount;
    if (!isU32(dA) || !isU32(dE) || !isU32(dL)) throw invalidSpan(`span ${s.spanId}: a dropped count is not a u32`);
    const msg = st.message;
    const ts = s.traceState;
    if (msg !== undefined && typeof msg !== 'string') throw invalidSpan(`span ${s.spanId}: status.message is not a string`);
    if (ts !== undefined && typeof ts !== 'string') throw invalidSpan(`span ${s.spanId}: traceState is not a string`);
    const dropped = (dA | dE | dL) !== 0;
    if (!Array.isArray(s.events) || !Array.isArray(s.links)) throw invalidSpan(`span ${s.spanId}: events and links must be arrays`);
    this.meta.row(s);

    sig.push(kind | (code << 3) | (msg !== undefined ? HEAD_MESSAGE : 0) | (ts !== undefined ? HEAD_TRACE_STATE : 0) | (dropped ? HEAD_DROPPED : 0));
    sig.push(this.text(s.name));
    sig.push(this.resources.id(s.resource));
    sig.push(this.scopes.id(s.scope));
    sig.push2(s.flags & 0xffff, s.flags >>> 16);
    if (msg !== undefined) sig.push(this.text(msg));
    if (ts !== undefined) sig.push(this.text(ts));
    if (dropped) {
      sig.push2(dA & 0xffff, dA >>> 16);
      sig.push2(dE & 0xffff, dE >>> 16);
      sig.push2(dL & 0xffff, dL >>> 16);
    }
    this.attributes(s.attributes, true);

    sig.push(s.events.length);
    for (const e of s.events) {
      if (typeof e !== 'object' || e === null || typeof e.name !== 'string' || !isNs(e.timeNs) || !isU32(e.droppedAttributesCount)) {
        throw invalidSpan(`span ${s.spanId}: an event needs a name, timeNs (bigint ns in [0, 2^64)) and a u32 droppedAttributesCount`);
      }
      events.add(e.timeNs - s.startNs, e.timeNs);
      sig.push(this.text(e.name));
      sig.push2(e.droppedAttributesCount & 0xffff, e.droppedAttributesCount >>> 16);
      this.attributes(e.attributes, false);
    }

    sig.push(s.links.length);
    for (const l of s.links) {
      if (typeof l !== 'object' || l === null || !isU32(l.flags) || !isU32(l.droppedAttributesCount)) {
        throw invalidSpan(`span ${s.spanId}: a link needs u32 flags and droppedAttributesCount`);
      }
      if (l.traceState !== undefined && typeof l.traceState !== 'string') throw invalidSpan(`span ${s.spanId}: a link's traceState is not a string`);
      linkCodes.varint(this.linkTrace(s, l.traceId, extra));
      extra.ensure(SPAN_ID_BYTES);
      if (typeof l.spanId !== 'string' || !hexInto(l.spanId, SPAN_ID_BYTES, extra.buf, extra.pos)) {
        throw invalidSpan(`span ${s.spanId}: link spanId ${JSON.stringify(l.spanId)} is not 16 lowercase hex chars`);
      }
      extra.pos += SPAN_ID_BYTES;
      sig.push(l.traceState !== undefined ? LINK_HEAD_TRACE_STATE : 0);
      sig.push2(l.flags & 0xffff, l.flags >>> 16);
      sig.push2(l.droppedAttributesCount & 0xffff, l.droppedAttributesCount >>> 16);
      if (l.traceState !== undefined) sig.push(this.text(l.traceState));
      this.attributes(l.attributes, false);
    }
    sig.end();
  }

  /** A link's trace: the span's own, one of the block's (by directory index), or explicit bytes. */
  private linkTrace(s: Span, traceId: unknown, extra: ByteWriter): number {
    if (traceId === s.traceId) return LINK_SAME;
    if (typeof traceId !== 'string' || !hexInto(traceId, TRACE_ID_BYTES, this.idBytes, 0)) {
      throw invalidSpan(`span ${s.spanId}: link traceId ${JSON.stringify(traceId)} is not 32 lowercase hex chars`);
    }
    const t = findTrace(this.runs.ids, 0, this.runs.start.length - 1, this.idBytes);
    if (t >= 0) return LINK_TRACE + t;
    extra.bytes(this.idBytes);
    return LINK_EXPLICIT;
  }

  /**
   * One attributes object: its parts (value tags, string templates, shape) behind their count (a
   * tuple holds several). (Interning them as attribute sets of their own, referenced by id, was
   * measured: a 25% smaller raw dictionary but 0.1 bytes/span more and no faster look-up.)
   */
  private attributes(a: Attributes, span: boolean): void {
    const sc = this.scratch;
    sc.n = 0;
    this.attrs.add(a, '', 0, 0, sc);
    if (span) this.meta.spanShapes.add(sc.a[sc.n - 1]);
    this.sig.push(sc.n);
    for (let i = 0; i < sc.n; i++) this.sig.push(sc.a[i]);
  }

  /** A string's tuple code: its template id * 2, + 1 when stored as JSON text (a lone surrogate). */
  private text(s: string): number {
    if (!isWellFormed(s)) return this.addString(JSON.stringify(s)) * 2 + 1;
    return this.addString(s) * 2;
  }

  private addString(s: string): number {
    const c = this.strings.cached(s);
    if (c !== undefined) {
      this.strings.replay(c);
      return c.tpl;
    }
    return this.strings.addSnapshot(s, true).tpl;
  }
}
