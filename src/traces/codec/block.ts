// The columnar span block: what compaction writes (pool worker side). All integers little-endian;
// varint = unsigned LEB128 (< 2^53); zigzag(v) = 2v (v >= 0) or -2v - 1; string = varint byteLength
// + UTF-8; section = varint byteLength + bytes. Decoders throw CodecError TRUNCATED / CORRUPT /
// UNSUPPORTED / TOO_LARGE on bad input, never anything else (fuzzed in block.test.ts).
//
// Rows are sorted by (traceId, startNs, spanId): a trace's spans are contiguous. They are cut into
// PAGES of about DEFAULT_PAGE_ROWS rows that never split a trace unless the trace alone is bigger;
// each page is one LZ frame plus its raw ids, decodable on its own with the block's dictionaries,
// so a trace look-up reads the head, binary-searches the raw trace ids, and decompresses the
// dictionaries and one page.
//
// payload  = u8 format (1) | varint count | varint traces | varint pages
//            u64 tMinNs | u64 tMaxNs (of startNs) | u64 minDurationNs | u64 maxDurationNs
//            pages × varint pageBytes
//            traces × 16 bytes: the distinct trace ids, ascending (the trace directory)
//            varint dictBytes | dict: lz frame (src/codec/lz.ts) of
//              section trace span counts (traces × varint, each >= 1, summing to count)
//              section page row counts   (pages × varint, each >= 1, summing to count)
//              section string templates  (string-columns.ts writeTemplateTexts: varint n, n × string)
//              section tuples            (span-columns-tuples.ts: varint n, n × section of the tuple's varint values)
//              section successor lists   (span-columns-succ.ts: per parent context, the tuple ids that follow it)
//              section attribute keys    (attr-columns.ts writeDict: keys as JSON literals, shapes)
//              section resources         (varint n, n × string JSON [attributes, dropped(, schemaUrl)])
//              section scopes            (varint n, n × string JSON [name, version|null, schemaUrl|null, attributes, dropped])
//            pages
// page     = varint storedBytes | stored | lz frame of the body
// stored   = random bytes, not compressed: rows × 8 bytes span ids; the explicit ids in row order (a
//            parent id (8) when the parent code is 1; per link a trace id (16) when its code is 0, then
//            its span id (8)); the start bits; the duration bits (block-bits.ts)
// body     = section signature codes rows × varint: the row's tuple's rank in its context's successor list
//            u8 wide flags (1 starts, 2 durations, 4 event times: raw u64 values instead of narrow ones)
//            [varint start divisor] [varint duration divisor] [varint event divisor]   (the narrow ones)
//            varint start bits bytes | varint duration bits bytes
//            section parents         rows × varint: 0 none, 1 explicit id, 2 + index of the parent in its trace's rows
//            section starts          narrow: per row the class byte of v / div (block-bits.ts: its low bits are
//                                    in the start bits), v = startNs - tMinNs for the first row of a page or
//                                    a trace, else startNs - the previous row's; wide: u64 startNs
//            section durations       per trace's rows in the page, LAST row first: narrow: the class byte of
//                                    zigzag((endNs - the latest end of its children) / div) for a row with
//                                    children (later rows of its trace in the page whose parent it is), else
//                                    of (endNs - startNs) / div; wide: u64 endNs - startNs
//            section event times     per event (row order): narrow varint zigzag((timeNs - startNs) / div); wide u64 timeNs
//            section link codes      per link: 0 explicit trace id, 1 the span's own trace, 2 + directory index
//            section string table    (string-columns.ts finishPage), section string slots
//            attribute numbers       (attr-columns.ts writeColumnsPage)
// tuple    = head (kind | status << 3 | 32 message | 64 traceState | 128 dropped counts), name,
//            resource id, scope id, flags & 0xffff, flags >>> 16, [message], [traceState],
//            [dropped attributes, events, links as (lo16, hi16) pairs], attributes,
//            nEvents × (name, dropped lo16, hi16, attributes), nLinks × (head (1 = traceState),
//            flags lo16, hi16, dropped lo16, hi16, [traceState], attributes)
//            where a string is (template id * 2 + 1 when the text is the JSON of a string with a
//            lone surrogate) and attributes = varint len + len attr-columns parts (the shape id last).
//
// Round trip: every field exactly, optional fields absent stay absent; attribute values with JSON
// semantics as everywhere in the store (key order kept, -0 is 0, non-finite numbers are null);
// decoded spans have the key order of codec/span-record.ts; resource and scope objects are shared
// by the spans of a block and frozen.
import { Buffer } from 'node:buffer';
import { ByteWriter } from '../../codec/columns/bytes.js';
import { bufferView, hexInto, isHex } from '../../codec/columns/hex.js';
import { CodecError } from '../../codec/errors.js';
import { compress, type LzLevel } from '../../codec/lz.js';
import type { Span } from '../types.js';
import { invalidSpan, readHeader, SPAN_BLOCK_MAX_SPANS, SPAN_ID_BYTES, TRACE_ID_BYTES, writeBlock, type SpanBlockHeader } from './block-layout.js';
import { DEFAULT_INDEXED_KEYS, MetaCollector, type SpanBlockMeta } from './block-meta.js';
import { readDicts, SpanBlockDecoder, type BlockDicts } from './span-columns-decode.js';
import { SpanColumnsEncoder, type PendingPage } from './span-columns.js';
import { headMayMatch, selectSpans, type SelectOptions, type SpanBlockFilter } from './span-columns-where.js';
import { findTrace, planPages, sortSpans, traceRuns, type TraceRuns } from './trace-directory.js';

export { SPAN_BLOCK_FORMAT, SPAN_BLOCK_MAX_SPANS, type SpanBlockHeader } from './block-layout.js';
export { DEFAULT_INDEXED_KEYS, type SpanBlockMeta } from './block-meta.js';
export type { SelectOptions, SpanBlockFilter } from './span-columns-where.js';

/**
 * Rows per page: bytes/span against trace look-up time (a look-up decompresses a page and walks
 * half of it on average). Measured on the shop workload in 32 k-span blocks: 256 rows 25.5
 * bytes/span, 512 24.0, 1024 23.0, 2048 22.4, 4096 22.0; look-ups with the dictionaries cached
 * 0.17 / 0.25 / 0.36 / 0.9 / 1.2 ms.
 */
export const DEFAULT_PAGE_ROWS = 1024;

export interface EncodeSpanBlockOptions {
  /** Attribute keys whose scalar values become `attr:<key>=<value>` terms (default DEFAULT_INDEXED_KEYS). */
  indexedKeys?: readonly string[];
  /** Rows per page (default DEFAULT_PAGE_ROWS). */
  pageRows?: number;
  /**
   * Measuring only (benches): bytes per column, summed over pages, each column compressed on its
   * own at the block's level (so the parts add up to a bit more than the block). Slow.
   */
  columnBytes?: Record<string, number>;
}

function addBytes(into: Record<string, number> | undefined, name: string, n: number): void {
  if (into !== undefined) into[name] = (into[name] ?? 0) + n;
}

/**
 * Encodes spans (any order) into a block and its index meta. Throws CodecError INVALID_INPUT for an
 * empty list or a span that is not a valid stored Span, TOO_LARGE past SPAN_BLOCK_MAX_SPANS.
 */
export function encodeSpanBlock(spans: readonly Span[], level: LzLevel, opts: EncodeSpanBlockOptions = {}): { bytes: Uint8Array; meta: SpanBlockMeta } {
  const n = spans.length;
  if (n === 0) throw invalidSpan('a span block needs at least one span');
  if (n > SPAN_BLOCK_MAX_SPANS) throw new CodecError('TOO_LARGE', `${n} spans exceed the block limit of ${SPAN_BLOCK_MAX_SPANS}`);
  const pageRows = opts.pageRows ?? DEFAULT_PAGE_ROWS;
  if (!Number.isInteger(pageRows) || pageRows < 1) throw invalidSpan(`pageRows ${pageRows} is not a positive integer`);
  for (const s of spans) if (typeof s !== 'object' || s === null || typeof s.startNs !== 'bigint') throw invalidSpan('a span is not an object with a bigint startNs');
  const order = sortSpans(spans);
  const runs = traceRuns(spans, order);
  const traces = runs.start.length - 1;
  let tMin = spans[0].startNs;
  let tMax = tMin;
  for (const s of spans) {
    if (s.startNs < tMin) tMin = s.startNs;
    if (s.startNs > tMax) tMax = s.startNs;
  }
  const pageStart = planPages(runs.start, pageRows);
  const collector = new MetaCollector(opts.indexedKeys ?? DEFAULT_INDEXED_KEYS);
  const enc = new SpanColumnsEncoder(spans, order, runs, tMin, collector);
  const pending: PendingPage[] = [];
  for (let k = 0; k + 1 < pageStart.length; k++) pending.push(enc.page(pageStart[k], pageStart[k + 1]));
  enc.codeSignatures(pageStart);

  const stats = opts.columnBytes;
  const dict = dictionaries(enc, runs, pending, level, stats);
  const pages = pending.map((p) => assemblePage(enc, p, level, stats));
  addBytes(stats, 'trace ids', traces * TRACE_ID_BYTES);
  const bytes = writeBlock({
    count: n, traces, tMinNs: tMin, tMaxNs: tMax, minDurationNs: enc.minDur, maxDurationNs: enc.maxDur,
    traceIds: runs.ids, dict, pages,
  });
  const traceIds: string[] = new Array(traces);
  for (let t = 0; t < traces; t++) traceIds[t] = spans[order[runs.start[t]]].traceId;
  const { terms, keys } = collector.result(enc.resources.objects, (id) => enc.shapeKeys(id));
  const meta: SpanBlockMeta = {
    count: n, tMinNs: tMin, tMaxNs: tMax, minDurationNs: enc.minDur, maxDurationNs: enc.maxDur,
    traceIds, mask: collector.mask, terms, keys,
  };
  return { bytes, meta };
}

/** The dictionaries' LZ frame: directory counts (trace spans, page rows), then the encoder's dictionaries. */
function dictionaries(enc: SpanColumnsEncoder, runs: TraceRuns, pending: PendingPage[], level: LzLevel, stats: Record<string, number> | undefined): Uint8Array {
  const traces = runs.start.length - 1;
  const dict = new ByteWriter(4096 + traces * 2);
  const counts = new ByteWriter(traces + 16);
  for (let t = 0; t < traces; t++) counts.varint(runs.start[t + 1] - runs.start[t]);
  dict.section(counts);
  const rows = new ByteWriter(pending.length * 2 + 16);
  for (const p of pending) rows.varint(p.to - p.from);
  dict.section(rows);
  const columns = enc.writeDicts(dict);
  if (stats !== undefined) {
    addBytes(stats, 'dict: directory counts', compress(dict.view().subarray(0, columns[0].start), level).length);
    for (const c of columns) addBytes(stats, c.name, compress(dict.view().subarray(c.start, c.end), level).length);
  }
  return compress(dict.view(), level);
}

/** A page: varint storedBytes | stored (ids, time bits) | LZ frame of the signature codes and the columns. */
function assemblePage(enc: SpanColumnsEncoder, p: PendingPage, level: LzLevel, stats: Record<string, number> | undefined): Uint8Array {
  const body = new ByteWriter(p.rest.length + (p.to - p.from) * 2 + 16);
  enc.writeSignatureCodes(body, p.from, p.to);
  const sigEnd = body.pos;
  body.bytes(p.rest);
  const frame = compress(body.view(), level);
  const page = new ByteWriter(p.stored.length + frame.length + 8);
  page.varint(p.stored.length);
  page.bytes(p.stored);
  page.bytes(frame);
  if (stats !== undefined) {
    // Each column compressed on its own (so they add up to a bit more than the joint frame).
    addBytes(stats, 'span ids', (p.to - p.from) * SPAN_ID_BYTES);
    addBytes(stats, 'explicit ids (parents, links)', p.storedParts.ids);
    addBytes(stats, 'start bits (stored)', p.storedParts.startBits);
    addBytes(stats, 'duration bits (stored)', p.storedParts.durationBits);
    addBytes(stats, 'signature codes', compress(body.view().subarray(0, sigEnd), level).length);
    addBytes(stats, 'raw: signature codes', sigEnd);
    for (const c of p.columns) {
      addBytes(stats, c.name, compress(p.rest.subarray(c.start, c.end), level).length);
      addBytes(stats, 'raw: ' + c.name, c.end - c.start);
    }
    addBytes(stats, 'page frames (joint)', frame.length);
  }
  return page.view().slice();
}

/** The block's head (counts, ranges, where things are) without decompressing anything. */
export function readSpanBlockHeader(bytes: Uint8Array): SpanBlockHeader {
  return readHeader(bytes);
}

/**
 * A block opened for reading. It keeps what it has parsed (the dictionaries, and the templates and
 * tuples its reads decoded) for its next calls: a worker that keeps the readers of recently read
 * blocks answers repeated trace look-ups in them without decompressing and parsing the
 * dictionaries again (measured: about half of a cold look-up). Holds `bytes` (do not modify them).
 * Methods throw CodecError on a bad block.
 */
export class SpanBlockReader {
  readonly header: SpanBlockHeader;
  private readonly buf: Buffer;
  private dicts: BlockDicts | undefined;

  constructor(bytes: Uint8Array) {
    this.buf = bufferView(bytes);
    this.header = readHeader(this.buf);
  }

  get count(): number {
    return this.header.count;
  }

  /**
   * Bytes it keeps beside the block's own: the decompressed dictionaries and the page bodies its
   * reads decompressed, kept for the next reads (every page read: 158 KB beside a 181 KB block of
   * 7.3 k shop spans; most of a page's bytes are raw ids, outside its LZ frame). For a cache that
   * bounds its memory.
   */
  get keptBytes(): number {
    return this.dicts === undefined ? 0 : this.dicts.dictBytes + (this.dicts.bodyBytes ?? 0);
  }

  /** Index of the trace in the directory, or -1 (INVALID_INPUT for a malformed id). */
  private traceIndex(traceIdHex: string): number {
    const want = Buffer.allocUnsafe(TRACE_ID_BYTES);
    if (typeof traceIdHex !== 'string' || !hexInto(traceIdHex, TRACE_ID_BYTES, want, 0)) {
      throw invalidSpan(`trace id ${JSON.stringify(traceIdHex)} is not 32 lowercase hex chars`);
    }
    return findTrace(this.buf, this.header.idsAt, this.header.traces, want);
  }

  private decoder(): SpanBlockDecoder {
    this.dicts ??= readDicts(this.header, this.buf);
    return new SpanBlockDecoder(this.buf, this.header, this.dicts);
  }

  /** Whether the block holds the trace: the raw directory only, nothing is decompressed. */
  hasTrace(traceIdHex: string): boolean {
    return this.traceIndex(traceIdHex) >= 0;
  }

  /** The trace's spans in start order ([] when absent): the dictionaries and the page(s) holding it. */
  trace(traceIdHex: string): Span[] {
    const t = this.traceIndex(traceIdHex);
    if (t < 0) return [];
    const dec = this.decoder();
    const { traceStart } = this.dicts!;
    return dec.rows(traceStart[t], traceStart[t + 1]);
  }

  /** Every span, in block order (traceId, startNs, spanId). */
  spans(): Span[] {
    return this.decoder().rows(0, this.header.count);
  }

  /**
   * The spans `opts.accept` passes among those the filter may match, building only those
   * (predicate pushdown, span-columns-where.ts): the head's ranges, then the tuples in the
   * dictionaries, then per page the parents, tuple ids and times rule rows out before any span is
   * built. The same spans as filtering spans() with `accept` when `accept` implies the filter (a
   * traces query: both are its CompiledTraceQuery). In block order; with `opts.limit`, the best
   * that many in result order (newest start first, then trace id, then span id).
   */
  select(filter: SpanBlockFilter, opts: SelectOptions): Span[] {
    // The head alone may rule the block out: then nothing is decompressed, not even the dictionaries.
    if (!headMayMatch(this.header, filter)) return [];
    const dec = this.decoder();
    return selectSpans(dec, this.buf, this.header, this.dicts!, filter, opts);
  }
}

/** Every span of a block, in block order (traceId, startNs, spanId). Throws CodecError on bad input. */
export function decodeSpanBlock(bytes: Uint8Array): Span[] {
  return new SpanBlockReader(bytes).spans();
}

/**
 * The spans of a block that `opts.accept` passes among those `filter` may match, building only
 * those (SpanBlockReader.select). Throws CodecError on a bad block.
 */
export function decodeSpanBlockWhere(bytes: Uint8Array, filter: SpanBlockFilter, opts: SelectOptions): Span[] {
  return new SpanBlockReader(bytes).select(filter, opts);
}

/**
 * The spans of one trace (32 lowercase hex chars) in start order, [] when the block does not hold
 * it. Decompresses the dictionaries and only the page(s) holding the trace. Throws CodecError on a
 * bad block, INVALID_INPUT on a malformed id.
 */
export function decodeTraceFromBlock(bytes: Uint8Array, traceIdHex: string): Span[] {
  return new SpanBlockReader(bytes).trace(traceIdHex);
}

/** Whether the block holds the trace (the raw directory only: nothing is decompressed); false for a malformed id. */
export function spanBlockHasTrace(bytes: Uint8Array, traceIdHex: string): boolean {
  if (typeof traceIdHex !== 'string' || !isHex(traceIdHex, 32)) return false;
  return new SpanBlockReader(bytes).hasTrace(traceIdHex);
}

/**
 * The index meta of a stored block (what encodeSpanBlock returned for it), from a full decode: for
 * rebuilding an index. Throws CodecError on bad input.
 */
export function readSpanBlockMeta(bytes: Uint8Array, opts: Pick<EncodeSpanBlockOptions, 'indexedKeys'> = {}): SpanBlockMeta {
  const reader = new SpanBlockReader(bytes);
  const h = reader.header;
  const spans = reader.spans();
  const collector = new MetaCollector(opts.indexedKeys ?? DEFAULT_INDEXED_KEYS);
  const keys = new Set<string>();
  const traceIds: string[] = [];
  for (const s of spans) {
    collector.row(s);
    for (const k of Object.keys(s.attributes)) keys.add(k);
    if (traceIds.length === 0 || traceIds[traceIds.length - 1] !== s.traceId) traceIds.push(s.traceId);
  }
  const resources = [...new Set(spans.map((s) => s.resource))];
  const { terms, keys: resourceKeys } = collector.result(resources, () => []);
  for (const k of resourceKeys) keys.add(k);
  return {
    count: h.count, tMinNs: h.tMinNs, tMaxNs: h.tMaxNs, minDurationNs: h.minDurationNs, maxDurationNs: h.maxDurationNs,
    traceIds, mask: collector.mask, terms, keys: [...keys].sort(),
  };
}
