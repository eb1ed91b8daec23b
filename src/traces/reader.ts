// Engine-side reads: span search (tl.traces.query) and trace look-up (tl.traces.trace). A read holds
// the read gate from its snapshot to its last block read, so compaction/retention never swap rows
// under it. Its snapshot is "committed up to sealed_seq S + the hot chunks": blocks committed later
// (max_seq > S) are left out, as their spans are in the snapshot's chunks, so nothing is seen twice.
//
// Search: the hot tail is filtered on the main thread; candidate blocks come from the index (time
// range, status/kind mask, terms), newest first, and are read in the pool in growing batches until
// the page is full and no remaining block can hold a newer match.
// Look-up: every block whose trace-id filter may hold the id (about 1 in 2,000 false positives),
// and the hot chunks (scanned in the pool: their records are in shared buffers), decoded there.
import path from 'node:path';
import type { Pool } from '../pool/pool.js';
import type { EventBlockIndex, EventBlockRow } from '../storage/event-index.js';
import type { ReadGate } from '../storage/read-gate.js';
import type { ReadSpansOutput, SpanBlockRef } from './block-tasks.js';
import { decodeSpanRecords } from './codec/span-record.js';
import { traceFilterMayContain, traceIdBytes } from './codec/trace-filter.js';
import { TracesError } from './errors.js';
import type { SpanHotChunk } from './hot.js';
import { compareSpanKeys, compileTraceQuery, encodeSpanCursor, maskMayMatch, spanMatches, type CompiledTraceQuery } from './query/compile.js';
import { ALL_SPAN_MASK } from './schema.js';
import type { SkippedBlock, Span, SpanNode, TraceQuery, TraceQueryResult, TraceResult } from './types.js';

/** What the reader needs of the engine (engine.ts implements it). */
export interface TraceReaderHost {
  readonly root: string;
  readonly indexedAttributes: readonly string[];
  readonly index: EventBlockIndex;
  readonly pool: Pool;
  readonly gate: ReadGate;
  /** Synchronous snapshot: the hot chunks (with their current span counts) and the sealed watermark. */
  snapshot(): { chunks: Array<{ chunk: SpanHotChunk; n: number }>; sealedSeq: number };
  reportCorrupt(s: SkippedBlock & { blockId: number }): void;
}

const ROWS_PER_PAGE = 256;
/** Spans the first batch of blocks holds, as a multiple of the page (later batches double). */
const FIRST_BATCH_PAGES = 4;
/**
 * A filtered query's first batch holds at least this many spans: its matches are a small share of
 * each block, and every batch is a pool round trip (a sparse query used to read one block per trip).
 */
const FIRST_FILTERED_BATCH_SPANS = 32_768;
/** Blocks per pool task at most (bounds one task's memory and latency). */
const MAX_BATCH_BLOCKS = 32;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/** Candidate blocks of a query in newest-first order, in index pages, pruned by mask and trace filter. */
class Candidates {
  private after: { ns: bigint; id: number } | undefined;
  private exhausted = false;
  private readonly buf: EventBlockRow[] = [];
  private readonly fromNs: bigint;
  private readonly toNs: bigint;
  private readonly traceId: Uint8Array | undefined;

  constructor(
    private readonly host: TraceReaderHost,
    private readonly q: CompiledTraceQuery,
    private readonly maxSeq: number,
  ) {
    this.fromNs = q.fromNs ?? I64_MIN;
    let toNs = q.toNs ?? I64_MAX;
    // The cursor bounds the range too: the next page starts at or before the cursor's start.
    if (q.after !== undefined && q.after.startNs + 1n < toNs) toNs = q.after.startNs + 1n;
    this.toNs = toNs;
    this.traceId = q.traceId !== undefined ? traceIdBytes(q.traceId) : undefined;
  }

  peek(): EventBlockRow | undefined {
    this.fill(1);
    return this.buf[0];
  }

  /** Blocks in read order until they hold `spans` spans (at least one, at most `maxBlocks`). */
  takeSpans(spans: number, maxBlocks: number): EventBlockRow[] {
    const out: EventBlockRow[] = [];
    let n = 0;
    while (out.length < maxBlocks && (out.length === 0 || n < spans)) {
      const r = this.peek();
      if (r === undefined) break;
      out.push(this.buf.shift()!);
      n += r.count;
    }
    return out;
  }

  /** Blocks in read order while `keep` holds for the next one (at most `maxBlocks`). */
  takeWhile(keep: (r: EventBlockRow) => boolean, maxBlocks: number): EventBlockRow[] {
    const out: EventBlockRow[] = [];
    for (let r = this.peek(); r !== undefined && out.length < maxBlocks && keep(r); r = this.peek()) out.push(this.buf.shift()!);
    return out;
  }

  get more(): boolean {
    return this.buf.length > 0 || !this.exhausted;
  }

  private fill(n: number): void {
    // The index filters on one mask group (a row shares a bit); maskMayMatch then needs both groups.
    const mask = this.q.status !== undefined ? this.q.mask & 0x1c0 : this.q.kind !== undefined ? this.q.mask & 0x3f : ALL_SPAN_MASK;
    while (this.buf.length < n && !this.exhausted) {
      if (this.fromNs >= this.toNs) {
        this.exhausted = true;
        break;
      }
      const rows = this.host.index.candidates({
        fromNs: this.fromNs,
        toNs: this.toNs,
        mask,
        terms: this.q.terms,
        order: 'desc',
        limit: ROWS_PER_PAGE,
        after: this.after,
        maxSeq: this.maxSeq,
      });
      if (rows.length < ROWS_PER_PAGE) this.exhausted = true;
      const last = rows[rows.length - 1];
      if (last) this.after = { ns: last.tMaxNs, id: last.id };
      for (const r of rows) {
        if (!maskMayMatch(r.mask, this.q)) continue;
        if (this.traceId !== undefined && !traceFilterMayContain(r.filter, this.traceId)) continue;
        this.buf.push(r);
      }
    }
  }
}

function refsOf(host: TraceReaderHost, rows: EventBlockRow[]): SpanBlockRef[] {
  return rows.map((r) => ({ id: r.id, file: path.join(host.root, r.file), offset: r.offset, length: r.length, codec: r.codec }));
}

function recordSkipped(host: TraceReaderHost, out: ReadSpansOutput, rows: EventBlockRow[], skipped: SkippedBlock[]): void {
  for (const s of out.skipped) {
    const row = rows.find((r) => r.id === s.id);
    const file = row ? row.file : path.relative(host.root, s.file).split(path.sep).join('/');
    const sb: SkippedBlock = { file, offset: s.offset, code: s.code, message: s.message };
    skipped.push(sb);
    host.reportCorrupt({ ...sb, blockId: s.id });
  }
}

/** Splits rows into up to `tasks` contiguous slices (one pool task each). */
function slices<T>(rows: T[], tasks: number): T[][] {
  const n = Math.max(1, Math.min(tasks, rows.length));
  const per = Math.ceil(rows.length / n);
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += per) out.push(rows.slice(i, i + per));
  return out;
}

/** A block whose newest start is older than the page's last kept span cannot improve the page. */
function mayImprove(r: EventBlockRow, worst: Span | undefined): boolean {
  return worst === undefined || r.tMaxNs >= worst.startNs;
}

export async function runTraceQuery(host: TraceReaderHost, input: TraceQuery): Promise<TraceQueryResult> {
  const q = compileTraceQuery(input ?? {}, host.indexedAttributes);
  await host.gate.enter();
  try {
    const { chunks, sealedSeq } = host.snapshot();
    // One more than the page: if it fills, spans were cut and the answer gets a cursor.
    const cap = q.limit + 1;
    let page: Span[] = [];
    for (const { chunk, n } of chunks) {
      const spans = chunk.spans;
      for (let i = 0; i < n; i++) if (spanMatches(q, spans[i])) page.push(spans[i]);
    }
    page = best(page, cap);
    const cands = new Candidates(host, q, sealedSeq);
    const skipped: SkippedBlock[] = [];
    let blocksScanned = 0;
    const filtered = q.terms.length > 0 || q.mask !== ALL_SPAN_MASK || q.minDurationNs !== undefined || q.maxDurationNs !== undefined || q.attributes.length > 0 || q.traceId !== undefined;
    let batchSpans = Math.max(FIRST_BATCH_PAGES * cap, filtered ? FIRST_FILTERED_BATCH_SPANS : 0);
    const maxBlocks = MAX_BATCH_BLOCKS * host.pool.threads;
    for (;;) {
      const next = cands.peek();
      if (next === undefined) break;
      const worst = page.length >= cap ? page[cap - 1] : undefined;
      if (!mayImprove(next, worst)) break;
      // A full page reads exactly the blocks that may still improve it.
      const rows = worst !== undefined ? cands.takeWhile((r) => mayImprove(r, worst), maxBlocks) : cands.takeSpans(batchSpans, maxBlocks);
      const parts = slices(rows, host.pool.threads);
      // With a full page, rows starting before its worst span cannot improve it: the workers skip them.
      const query = worst !== undefined && (q.fromNs === undefined || q.fromNs < worst.startNs) ? { ...q, fromNs: worst.startNs } : q;
      const outs = await Promise.all(parts.map((p) => host.pool.readSpanBlocks({ blocks: refsOf(host, p), query, limit: cap })));
      outs.forEach((out, i) => {
        blocksScanned += out.blocksScanned;
        recordSkipped(host, out, parts[i], skipped);
        if (out.records.length > 0) for (const s of decodeSpanRecords(out.records).spans) page.push(s);
      });
      page = best(page, cap);
      batchSpans *= 2;
    }
    const result: TraceQueryResult = { spans: page.slice(0, q.limit), skipped, blocksScanned };
    if (page.length > q.limit) result.cursor = encodeSpanCursor(page[q.limit - 1]);
    return result;
  } finally {
    host.gate.exit();
  }
}

/** The first `cap` spans in result order. */
function best(spans: Span[], cap: number): Span[] {
  spans.sort(compareSpanKeys);
  if (spans.length > cap) spans.length = cap;
  return spans;
}

const HEX32 = /^[0-9a-fA-F]{32}$/;

export async function runTraceLookup(host: TraceReaderHost, traceIdInput: string): Promise<TraceResult> {
  if (typeof traceIdInput !== 'string' || !HEX32.test(traceIdInput)) {
    throw new TracesError('INVALID_QUERY', `traceId must be 32 hex chars, got ${typeof traceIdInput === 'string' ? JSON.stringify(traceIdInput.slice(0, 40)) : typeof traceIdInput}`);
  }
  const traceId = traceIdInput.toLowerCase();
  await host.gate.enter();
  try {
    const { chunks, sealedSeq } = host.snapshot();
    const spans: Span[] = [];
    const skipped: SkippedBlock[] = [];
    // Hot chunks: their records are in shared buffers; the pool scans their fixed headers (no decode on this thread).
    const hot = chunks.map(({ chunk, n }) => ({ ...chunk.records(), count: n }));
    const id = traceIdBytes(traceId);
    const rows = host.index.probeFilters(sealedSeq, (filter) => traceFilterMayContain(filter, id));
    const parts = slices(rows, host.pool.threads);
    const tasks = parts.map((p, i) => host.pool.readTraceSpans({ blocks: refsOf(host, p), traceId, hot: i === 0 ? hot : [] }));
    if (parts.length === 0 && hot.length > 0) tasks.push(host.pool.readTraceSpans({ blocks: [], traceId, hot }));
    const outs = await Promise.all(tasks);
    outs.forEach((out, i) => {
      if (parts[i]) recordSkipped(host, out, parts[i], skipped);
      if (out.records.length > 0) for (const s of decodeSpanRecords(out.records).spans) spans.push(s);
    });
    spans.sort(startOrder);
    return { traceId, spans, roots: buildTree(spans), skipped };
  } finally {
    host.gate.exit();
  }
}

function startOrder(a: Span, b: Span): number {
  if (a.startNs !== b.startNs) return a.startNs < b.startNs ? -1 : 1;
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}

/** The span tree: children in start order; spans whose parent is not stored are roots. */
export function buildTree(spans: Span[]): SpanNode[] {
  const nodes = new Map<string, SpanNode>();
  for (const s of spans) if (!nodes.has(s.spanId)) nodes.set(s.spanId, { span: s, children: [] });
  const roots: SpanNode[] = [];
  for (const s of spans) {
    const node = nodes.get(s.spanId)!;
    if (node.span !== s) {
      // A span id written twice: keep both, the second as a root of its own.
      roots.push({ span: s, children: [] });
      continue;
    }
    const parent = s.parentSpanId !== undefined && s.parentSpanId !== s.spanId ? nodes.get(s.parentSpanId) : undefined;
    if (parent !== undefined && !isAncestor(node, parent, nodes)) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

/** True when `maybeDescendant` is `node` or below it (a parent cycle in hostile data must not hide spans). */
function isAncestor(node: SpanNode, maybeDescendant: SpanNode, nodes: Map<string, SpanNode>): boolean {
  let cur: SpanNode | undefined = maybeDescendant;
  for (let hops = 0; cur !== undefined && hops < nodes.size; hops++) {
    if (cur === node) return true;
    const p: string | undefined = cur.span.parentSpanId;
    cur = p !== undefined ? nodes.get(p) : undefined;
  }
  return false;
}
