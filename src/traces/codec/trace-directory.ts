// The trace directory: rows sorted by (traceId, startNs, spanId), so a trace's spans are contiguous;
// the distinct trace ids stored once each (16 raw bytes, ascending: random bytes do not compress, and
// sorted they binary-search without decoding); each trace's span count; and the pages, which never
// cut a trace unless the trace alone is bigger than a page.
import { Buffer } from 'node:buffer';
import { hexInto } from '../../codec/columns/hex.js';
import type { Span } from '../types.js';
import { invalidSpan, TRACE_ID_BYTES } from './block-layout.js';

/** Input indexes in block order: by traceId, then startNs, then spanId (stable for full ties). */
export function sortSpans(spans: readonly Span[]): Int32Array {
  const n = spans.length;
  const idx = new Array<number>(n);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    idx[i] = i;
    if (sorted && i > 0 && compareSpans(spans[i - 1], spans[i]) > 0) sorted = false;
  }
  if (!sorted) idx.sort((a, b) => compareSpans(spans[a], spans[b]) || a - b);
  return Int32Array.from(idx);
}

function compareSpans(x: Span, y: Span): number {
  // Ids are lowercase hex (checked later), so string order is byte order.
  if (x.traceId !== y.traceId) return x.traceId < y.traceId ? -1 : 1;
  if (x.startNs !== y.startNs) return x.startNs < y.startNs ? -1 : 1;
  if (x.spanId !== y.spanId) return x.spanId < y.spanId ? -1 : 1;
  return 0;
}

export interface TraceRuns {
  /** Raw ids, ascending, traces × 16 bytes. */
  ids: Buffer;
  /** Row where trace t starts: start[t]; start[traces] = rows. */
  start: Int32Array;
  /** Trace index of each row (block order). */
  traceOf: Int32Array;
}

/** The distinct trace ids of the sorted rows and where each trace's rows start. */
export function traceRuns(spans: readonly Span[], order: Int32Array): TraceRuns {
  const n = order.length;
  const starts: number[] = [];
  const traceOf = new Int32Array(n);
  let prev = '';
  for (let r = 0; r < n; r++) {
    const id = spans[order[r]].traceId;
    if (r === 0 || id !== prev) {
      starts.push(r);
      prev = id;
    }
    traceOf[r] = starts.length - 1;
  }
  const ids = Buffer.allocUnsafe(starts.length * TRACE_ID_BYTES);
  for (let t = 0; t < starts.length; t++) {
    const id = spans[order[starts[t]]].traceId;
    if (typeof id !== 'string' || !hexInto(id, TRACE_ID_BYTES, ids, t * TRACE_ID_BYTES)) {
      throw invalidSpan(`traceId ${JSON.stringify(id)} is not 32 lowercase hex chars`);
    }
  }
  starts.push(n);
  return { ids, start: Int32Array.from(starts), traceOf };
}

/**
 * Page boundaries (rows): whole traces while they fit in `pageRows`; a trace bigger than a page gets
 * pages of its own (pageRows each, its remainder shares the next page). Returns the start row of each
 * page and the row count at the end.
 */
export function planPages(traceStart: Int32Array, pageRows: number): Int32Array {
  const pages: number[] = [0];
  let cur = 0; // rows in the current page
  for (let t = 0; t + 1 < traceStart.length; t++) {
    let rows = traceStart[t + 1] - traceStart[t];
    let at = traceStart[t];
    if (cur > 0 && cur + rows > pageRows) {
      pages.push(at);
      cur = 0;
    }
    while (rows > pageRows) {
      at += pageRows;
      rows -= pageRows;
      pages.push(at);
    }
    cur += rows;
  }
  const n = traceStart[traceStart.length - 1];
  if (pages[pages.length - 1] !== n) pages.push(n);
  return Int32Array.from(pages);
}

/** Index of the trace whose 16 id bytes equal want[0..16) in the ascending ids at buf[at...], or -1. */
export function findTrace(buf: Uint8Array, at: number, traces: number, want: Uint8Array): number {
  let lo = 0;
  let hi = traces - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const p = at + mid * TRACE_ID_BYTES;
    let c = 0;
    for (let i = 0; i < TRACE_ID_BYTES; i++) {
      const d = buf[p + i] - want[i];
      if (d !== 0) {
        c = d;
        break;
      }
    }
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Index of the run (page or trace) holding `row`, given the runs' ascending start rows (starts[0] = 0, starts[last] = rows). */
export function runOf(starts: Int32Array, row: number): number {
  let lo = 0;
  let hi = starts.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid] <= row) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
