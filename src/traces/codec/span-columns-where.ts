// Predicate pushdown into a span block: build only the rows a query may match. A query answers a
// few spans of blocks of thousands, and building a span (strings, attribute objects, bigints) is
// most of a decode, so the filter is applied as early as each of its parts allows:
// - the block's head: start and duration ranges (nothing is decompressed);
// - the dictionaries: kind, status, name, service and attribute values are fixed by the row's tuple
//   (block.ts), so each tuple is judged once, and a block none of whose tuples can match is done
//   before any page is decompressed;
// - per page, the cheap columns (parents and tuple ids, then start and end times): rows whose tuple
//   cannot match or whose times miss the range are never built;
// - the rest are built (the rows between them passed over lazily: span-columns-decode.ts build)
//   and the caller's exact predicate decides. With a limit, only the rows with the newest starts
//   are built, more only when the predicate turns some down.
// The answer is exactly what building every row and filtering would give: each step only drops
// rows that cannot match.
import type { Buffer } from 'node:buffer';
import { ABSENT, NUMBER, UNKNOWN, type AttrColumnsDecoder } from '../../codec/columns/attr-columns.js';
import { hexInto } from '../../codec/columns/hex.js';
import { SPAN_KINDS, STATUS_CODES, type AttrValue, type Span, type SpanKind, type StatusCode } from '../types.js';
import { TRACE_ID_BYTES, type SpanBlockHeader } from './block-layout.js';
import { Ns } from './block-time.js';
import { HEAD_DROPPED, HEAD_MESSAGE, HEAD_TRACE_STATE } from './span-columns.js';
import type { BlockDicts, OpenPage, SpanBlockDecoder } from './span-columns-decode.js';
import { findTrace, runOf } from './trace-directory.js';

const TWO_32 = 4294967296;
const TWO_53N = 1n << 53n;

/**
 * What a row must be to be built (plain data: a traces query's compiled form, CompiledTraceQuery,
 * is one). Every field is optional; the semantics are those of the query (query/compile.ts
 * spanMatches), which the caller still applies to the built spans (SelectOptions.accept).
 */
export interface SpanBlockFilter {
  /** resource.attributes['service.name']. */
  service?: string;
  name?: string;
  kind?: SpanKind;
  status?: StatusCode;
  /** endNs - startNs within [min, max]. */
  minDurationNs?: bigint;
  maxDurationNs?: bigint;
  /** [key, value as text]: the span's attribute, else the resource's, whose String() is the value. */
  attributes?: ReadonlyArray<readonly [string, string]>;
  traceId?: string;
  /** startNs in [fromNs, toNs). */
  fromNs?: bigint;
  toNs?: bigint;
  /** Only rows strictly after this key in result order (newest start first, then trace id, then span id). */
  after?: { startNs: bigint; traceId: string; spanId: string };
}

export interface SelectOptions {
  /** The exact predicate, applied to every built span (the filter only rules rows out). */
  accept: (span: Span) => boolean;
  /** At most this many spans: the best in result order. */
  limit?: number;
}

/** Result order: newest start first, then trace id, then span id (query/compile.ts compareSpanKeys). */
function compareResult(a: Span, b: Span): number {
  if (a.startNs !== b.startNs) return a.startNs > b.startNs ? -1 : 1;
  if (a.traceId !== b.traceId) return a.traceId < b.traceId ? -1 : 1;
  return a.spanId === b.spanId ? 0 : a.spanId < b.spanId ? -1 : 1;
}

/** The text a query compares an attribute value with (query/compile.ts attrString). */
function attrText(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

/** Whether some finite number's String() is `s`. */
function isNumberText(s: string): boolean {
  const v = Number(s);
  return Number.isFinite(v) && String(v) === s;
}

/** NO: no row of the tuple can match; MAYBE: its rows are candidates. */
const NO = 0;
const MAYBE = 1;

/**
 * Per tuple id, whether its rows can match the filter's categorical parts (undefined: the filter
 * has none, every row can). Reads each tuple's head, name and resource, and its attributes only
 * when the filter names some and the rest passed.
 */
function tupleVerdicts(dec: SpanBlockDecoder, d: BlockDicts, f: SpanBlockFilter): Uint8Array | undefined {
  const attrs = f.attributes ?? [];
  if (f.service === undefined && f.name === undefined && f.kind === undefined && f.status === undefined && attrs.length === 0) return undefined;
  // Kept with the block's dictionaries (a kept reader: block-cache.ts): a repeated query, or the
  // next page of one, judges no tuple again.
  const key = JSON.stringify([f.service, f.name, f.kind, f.status, attrs]);
  const kept = (d.verdicts ??= new Map());
  let v = kept.get(key);
  if (v === undefined) {
    v = judgeTuples(dec, d, f, attrs);
    if (kept.size >= KEPT_VERDICTS) kept.clear();
    kept.set(key, v);
  }
  return v;
}

/** Verdicts kept per block (each is a byte per tuple). */
const KEPT_VERDICTS = 16;

function judgeTuples(dec: SpanBlockDecoder, d: BlockDicts, f: SpanBlockFilter, attrs: ReadonlyArray<readonly [string, string]>): Uint8Array {
  const n = d.sigs.count;
  const out = new Uint8Array(n);
  const kind = f.kind === undefined ? -1 : SPAN_KINDS.indexOf(f.kind);
  const status = f.status === undefined ? -1 : STATUS_CODES.indexOf(f.status);
  // A kind or status no span has matches nothing.
  if ((f.kind !== undefined && kind < 0) || (f.status !== undefined && status < 0)) return out;
  const templates = d.templates;
  // Per resource: -1 not judged yet, NO, MAYBE (its service).
  const resOk = new Int8Array(d.resources.size).fill(-1);
  const nameOk = new Map<number, boolean>();
  const head3 = new Int32Array(3);
  const attrDec = attrs.length > 0 ? dec.attrs() : undefined;
  for (let id = 0; id < n; id++) {
    if (d.sigs.prefix(id, head3) < 3) {
      out[id] = MAYBE; // malformed: building a row of it will say so
      continue;
    }
    const head = head3[0];
    if (kind >= 0 && (head & 7) !== kind) continue;
    if (status >= 0 && ((head >> 3) & 3) !== status) continue;
    const resId = head3[2];
    if (resId >= d.resources.size) {
      out[id] = MAYBE;
      continue;
    }
    if (f.service !== undefined) {
      if (resOk[resId] < 0) resOk[resId] = d.resources.get(resId)!.attributes['service.name'] === f.service ? MAYBE : NO;
      if (resOk[resId] === NO) continue;
    }
    if (f.name !== undefined) {
      const code = head3[1];
      let ok = nameOk.get(code);
      if (ok === undefined) {
        ok = nameMayBe(templates.constantText(code >>> 1), (code & 1) === 1, f.name);
        nameOk.set(code, ok);
      }
      if (!ok) continue;
    }
    if (attrDec !== undefined && !attributesMayMatch(d, attrDec, id, resId, attrs)) continue;
    out[id] = MAYBE;
  }
  return out;
}

/** Whether a name coded by a template whose whole text is `text` (undefined: it has variables) can be `want`. */
function nameMayBe(text: string | undefined, json: boolean, want: string): boolean {
  if (text === undefined) return true;
  if (!json) return text === want;
  try {
    return JSON.parse(text) === want;
  } catch {
    return true; // corrupt: building the row will say so
  }
}

/** Whether the attribute conditions can hold for rows of tuple `id`, from the tuple alone. */
function attributesMayMatch(d: BlockDicts, attrDec: AttrColumnsDecoder, id: number, resId: number, attrs: ReadonlyArray<readonly [string, string]>): boolean {
  const tuple = d.sigs.get(id);
  if (tuple === undefined) return true;
  // The span's attributes follow head, name, resource, scope, flags (2) and the optional fields.
  const head = tuple[0];
  let p = 6;
  if (head & HEAD_MESSAGE) p++;
  if (head & HEAD_TRACE_STATE) p++;
  if (head & HEAD_DROPPED) p += 6;
  const len = tuple[p];
  if (len === undefined || len > tuple.length - p - 1) return true;
  const resource = d.resources.get(resId)!;
  const templates = d.templates;
  const constantText = (t: number): string | undefined => templates.constantText(t);
  for (const [key, want] of attrs) {
    const v: AttrValue | symbol = attrDec.tupleValue(tuple, p + 1, p + 1 + len, key, constantText);
    if (v === UNKNOWN) continue;
    if (v === NUMBER) {
      if (!isNumberText(want)) return false;
      continue;
    }
    // Not a span attribute: the resource's decides (as the query reads it).
    const value = v === ABSENT ? resource.attributes[key] : v;
    if (attrText(value) !== want) return false;
  }
  return true;
}

/** Ns since the block's tMin of a row's start (exact: the caller checked the block spans < 2^53 ns). */
function offsetOf(pg: OpenPage, i: number, tMin: Ns): number {
  return (pg.sHi[i] - tMin.hi) * TWO_32 + (pg.sLo[i] - tMin.lo);
}

function durationOf(pg: OpenPage, i: number): number {
  return (pg.eHi[i] - pg.sHi[i]) * TWO_32 + (pg.eLo[i] - pg.sLo[i]);
}

/** Whether the block's start and duration ranges (its head) leave room for a match. */
export function headMayMatch(h: SpanBlockHeader, f: SpanBlockFilter): boolean {
  if (f.fromNs !== undefined && h.tMaxNs < f.fromNs) return false;
  if (f.toNs !== undefined && h.tMinNs >= f.toNs) return false;
  // Every row starts after the cursor's start: all of them come before it in result order.
  if (f.after !== undefined && h.tMinNs > f.after.startNs) return false;
  if (f.minDurationNs !== undefined && h.maxDurationNs < f.minDurationNs) return false;
  return !(f.maxDurationNs !== undefined && h.minDurationNs > f.maxDurationNs);
}

/**
 * The spans of the block that `opts.accept` passes, building only rows the filter may match: in
 * block order, or with `opts.limit` the best that many in result order.
 */
export function selectSpans(dec: SpanBlockDecoder, buf: Buffer, h: SpanBlockHeader, d: BlockDicts, f: SpanBlockFilter, opts: SelectOptions): Span[] {
  const { accept, limit } = opts;
  if ((limit !== undefined && limit < 1) || !headMayMatch(h, f)) return [];

  // The trace directory: one trace's rows.
  let rowFrom = 0;
  let rowTo = h.count;
  if (f.traceId !== undefined) {
    const want = new Uint8Array(TRACE_ID_BYTES);
    if (!hexInto(f.traceId, TRACE_ID_BYTES, want, 0) || f.traceId !== f.traceId.toLowerCase()) return [];
    const t = findTrace(buf, h.idsAt, h.traces, want);
    if (t < 0) return [];
    rowFrom = d.traceStart[t];
    rowTo = d.traceStart[t + 1];
  }

  // The dictionaries: which tuples can match.
  const ok = tupleVerdicts(dec, d, f);
  if (ok !== undefined && !ok.includes(MAYBE)) return [];

  // Per row times, as doubles relative to the block's tMin: exact when the block spans < 2^53 ns
  // (else the time conditions are left to `accept`). loOff/hiOff bound the start inclusively.
  const exactStarts = h.tMaxNs - h.tMinNs < TWO_53N;
  const tMin = new Ns().from(h.tMinNs);
  let loOff = 0;
  let hiOff = Number.POSITIVE_INFINITY;
  if (exactStarts) {
    if (f.fromNs !== undefined && f.fromNs > h.tMinNs) loOff = Number(f.fromNs - h.tMinNs);
    if (f.toNs !== undefined && f.toNs <= h.tMaxNs) hiOff = Number(f.toNs - h.tMinNs) - 1;
    // Rows with the cursor's start may still follow it (trace id, span id): `accept` decides.
    if (f.after !== undefined && f.after.startNs < h.tMaxNs) hiOff = Math.min(hiOff, Number(f.after.startNs - h.tMinNs));
  }
  // Durations are exact doubles when the block's longest is < 2^53 ns.
  const exactDurations = h.maxDurationNs < TWO_53N;
  const loDur = exactDurations && f.minDurationNs !== undefined && f.minDurationNs > h.minDurationNs ? Number(f.minDurationNs) : -1;
  const hiDur = exactDurations && f.maxDurationNs !== undefined && f.maxDurationNs < h.maxDurationNs ? Number(f.maxDurationNs) : Number.POSITIVE_INFINITY;
  const durations = loDur >= 0 || hiDur !== Number.POSITIVE_INFINITY;
  const timed = durations || loOff > 0 || hiOff !== Number.POSITIVE_INFINITY;
  // With a limit, rows are built newest start first (exact starts only).
  const ranked = limit !== undefined && exactStarts;

  const out: Span[] = [];
  const built: Span[] = [];
  // Ranked: the candidates of every page (kept open until the end), their page, row and start.
  const pages: OpenPage[] = [];
  const candPage: number[] = [];
  const candRow: number[] = [];
  const candOff: number[] = [];
  const { pageStart } = d;
  for (let k = runOf(pageStart, rowFrom); k < h.pages && pageStart[k] < rowTo; k++) {
    const pg = dec.open(k);
    const a = Math.max(rowFrom, pg.r0) - pg.r0;
    const b = Math.min(rowTo, pageStart[k + 1]) - pg.r0;
    const want = new Uint8Array(pg.n);
    let last = -1;
    if (ok === undefined) {
      // No tuple condition: tuple ids are scanned later, only as far as rows are built.
      want.fill(1, a, b);
      last = b - 1;
    } else {
      dec.scanTuples(pg, b);
      for (let i = a; i < b; i++) {
        if (ok[pg.tuple[i]] === MAYBE) {
          want[i] = 1;
          last = i;
        }
      }
    }
    if (last < 0) continue;
    // Starts of the candidates' traces (every built span needs its start; the rest are passed over).
    dec.scanStarts(pg, last + 1, want);
    if (durations) dec.scanEnds(pg, last + 1, want);
    if (timed || ranked) {
      last = -1;
      for (let i = a; i < b; i++) {
        if (want[i] === 0) continue;
        const off = exactStarts ? offsetOf(pg, i, tMin) : 0;
        const dur = durations ? durationOf(pg, i) : 0;
        if (off < loOff || off > hiOff || dur < loDur || dur > hiDur) {
          want[i] = 0;
          continue;
        }
        last = i;
        if (ranked) {
          candPage.push(pages.length);
          candRow.push(i);
          candOff.push(off);
        }
      }
      if (last < 0) continue;
    }
    if (ranked) {
      pages.push(pg);
      continue;
    }
    built.length = 0;
    dec.scanEnds(pg, last + 1, want);
    dec.build(pg, 0, last + 1, want, built);
    for (const s of built) if (accept(s)) out.push(s);
  }
  if (!ranked) {
    if (limit !== undefined) {
      out.sort(compareResult);
      if (out.length > limit) out.length = limit;
    }
    return out;
  }
  return buildNewest(dec, pages, candPage, candRow, candOff, accept, limit);
}

/**
 * The best `limit` accepted spans among the candidates, building them newest start first: each
 * round builds the next candidates by start, as many as spans are still missing (ties on the
 * boundary start all together), until `limit` are accepted or none is left. A candidate never built
 * starts before `limit` accepted ones, so it cannot be among the best.
 */
function buildNewest(dec: SpanBlockDecoder, pages: OpenPage[], candPage: number[], candRow: number[], candOff: number[], accept: (s: Span) => boolean, limit: number): Span[] {
  const n = candOff.length;
  const scratch = new Float64Array(n);
  const wants = pages.map((pg) => new Uint8Array(pg.n));
  const lastRow = new Int32Array(pages.length).fill(-1);
  const out: Span[] = [];
  const built: Span[] = [];
  // Candidates starting at `below` or later were built by earlier rounds.
  let below = Number.POSITIVE_INFINITY;
  while (out.length < limit) {
    let m = 0;
    for (let c = 0; c < n; c++) if (candOff[c] < below) scratch[m++] = candOff[c];
    if (m === 0) break;
    const missing = limit - out.length;
    const from = missing >= m ? Number.NEGATIVE_INFINITY : kthLargest(scratch, m, missing);
    for (let c = 0; c < n; c++) {
      const off = candOff[c];
      if (off >= from && off < below) {
        const p = candPage[c];
        wants[p][candRow[c]] = 1;
        if (candRow[c] > lastRow[p]) lastRow[p] = candRow[c];
      }
    }
    for (let p = 0; p < pages.length; p++) {
      if (lastRow[p] < 0) continue;
      built.length = 0;
      dec.scanEnds(pages[p], lastRow[p] + 1, wants[p]);
      dec.build(pages[p], 0, lastRow[p] + 1, wants[p], built);
      for (const s of built) if (accept(s)) out.push(s);
      wants[p].fill(0);
      lastRow[p] = -1;
    }
    below = from;
  }
  out.sort(compareResult);
  if (out.length > limit) out.length = limit;
  return out;
}

/** The k-th largest (k >= 1) of a[0, n), k <= n (quickselect: reorders a). */
function kthLargest(a: Float64Array, n: number, k: number): number {
  const target = k - 1; // its index in descending order
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    // Now a[lo..j] >= pivot >= a[i..hi], and a[j+1..i-1] === pivot.
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target];
  }
  return a[target];
}
