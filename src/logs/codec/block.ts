// The columnar log block: what a sealed chunk of entries becomes on disk. Byte spec: README.md.
//
// payload = [u8 format version = 1][lz frame (src/codec/lz.ts) of the body]
// The body is columns (see README.md): time deltas, seq deltas, severities, trace/span ids as raw
// bytes with recency references, a resource dictionary, messages and string attribute values as
// CLP-style templates with typed variable columns (string-columns.ts), and attributes columnar by
// key (attr-columns.ts). Entries are sorted by (tsNs, seq) inside; decode returns that order.
import { Buffer } from 'node:buffer';
import { CodecError } from '../../codec/errors.js';
import { compress, decompress, type LzLevel } from '../../codec/lz.js';
import { BodyCuts, unpackParts } from '../../codec/columns/block-parts.js';
import { levelOfSeverity } from '../levels.js';
import { LOG_LEVELS, type Attributes, type LogEntry, type LogLevel, type Resource } from '../types.js';
import { AttrColumnsDecoder, AttrColumnsEncoder } from '../../codec/columns/attr-columns.js';
import { ByteReader, ByteWriter, corrupt, truncated, unzigzag, varintSize, zigzag } from '../../codec/columns/bytes.js';
import { FilterBuilder } from './filters.js';
import { inputFromEntries, inputFromRecords, tsOf, type BlockInput, ResourceSet } from './block-input.js';
import { bufferView, HEX_SLOTS, hexSlice } from '../../codec/columns/hex.js';
import { readSignatures, SignatureEncoder } from '../../codec/columns/signature.js';
import { rawLayoutBytes, RawStringColumnsEncoder, PositionSink, StringColumnsDecoder, StringColumnsEncoder } from '../../codec/columns/string-columns.js';
import { scan, VarSink } from '../../codec/columns/templates.js';

/** Payload format: 2 = the body in separately compressed parts (block-parts.ts). */
export const LOG_BLOCK_FORMAT = 2;
/** Format 1 (still read): the whole body in one lz frame. */
export const LOG_BLOCK_FORMAT_SINGLE_FRAME = 1;
/** Hard limit on entries per block (encoder refuses more, decoder treats more as corrupt). */
export const LOG_BLOCK_MAX_ENTRIES = 1 << 20;
/** Index terms are skipped for values longer than this (they would bloat the index, and nobody types them). */
export const TERM_VALUE_MAX_CHARS = 200;

const TS_VARINT = 0;
const TS_RAW64 = 1;
/** Deltas over the divisor as byte planes (little end first), `width` planes of n - 1 bytes. */
const TS_PLANES = 2;
/** Deltas that need this many bytes use planes; smaller ones (ms clocks) are fine as varints. */
const TS_PLANES_MIN_WIDTH = 3;
/** Signature flags: the entry has a trace id / a span id. */
const FLAG_TRACE = 1;
const FLAG_SPAN = 2;
const SEQ_DELTA = 0;
const SEQ_RAW = 1;
const TWO_53 = 2 ** 53;
const TWO_32 = 4294967296;
const I64_MAX = 2n ** 63n - 1n;

export interface LogBlockMeta {
  count: number;
  tMinNs: bigint;
  tMaxNs: bigint;
  /** bit i set = some entry has level LOG_LEVELS[i] */
  levelMask: number;
  /** distinct index terms: 'service=<v>', 'host=<v>', 'attr:<key>=<value>' for indexed keys */
  terms: string[];
  /** attribute and resource keys present (for field names) */
  keys: string[];
  /** token/trigram filter over lowercased messages + trace ids (codec/filters.ts) */
  filter: Uint8Array;
  /**
   * bytes of the entries' records (the ratio's "raw" in stats): the records' length when the caller
   * gives it (sealed and compacted chunks arrive as records), else their size in the JSON record
   * form (jsonFormRecordBytes)
   */
  rawBytes: number;
}

export interface EncodeLogBlockOptions {
  /** Attribute keys whose scalar values become 'attr:<key>=<value>' terms. */
  indexedAttributes?: readonly string[];
  /**
   * Byte length of these entries' records when the caller has it (a sealed chunk arrives as records):
   * saves re-serializing every entry to measure it.
   */
  rawBytes?: number;
}

export interface DecodeLogBlockOptions {
  /**
   * Decode only tsNs, level, message and trace/span ids: attributes and resource are one shared,
   * frozen empty object. For text scans that then decode matching blocks fully.
   */
  messagesOnly?: boolean;
}

const EMPTY: Record<string, never> = Object.freeze({}) as Record<string, never>;
/** Level of each severity number (index 0 unused). */
const LEVEL_OF: LogLevel[] = [LOG_LEVELS[0], ...Array.from({ length: 24 }, (_, i) => levelOfSeverity(i + 1))];

function invalid(message: string): CodecError {
  return new CodecError('INVALID_INPUT', message);
}

/** Input order sorted by (tsNs, seq); undefined when already sorted (the common case). */
function sortOrder(input: BlockInput): Int32Array | undefined {
  const { n, tsHi, tsLo, seqs } = input;
  const before = (x: number, y: number) =>
    tsHi[x] !== tsHi[y] ? tsHi[x] < tsHi[y] : tsLo[x] !== tsLo[y] ? tsLo[x] < tsLo[y] : seqs[x] < seqs[y];
  let sorted = true;
  for (let i = 1; i < n; i++) {
    if (before(i, i - 1)) {
      sorted = false;
      break;
    }
  }
  if (sorted) return undefined;
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((x, y) => (before(x, y) ? -1 : before(y, x) ? 1 : 0));
  return Int32Array.from(idx);
}

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

function scalarText(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

/**
 * Trace/span ids of the entries that have one (presence is in the row signature): code 0 = a new id
 * (its raw bytes follow in the raw stream), c >= 1 = the c-th most recently added new id. Lines of
 * one request share ids and sit close together, so references are small numbers.
 */
class IdColumn {
  readonly codes: ByteWriter;
  readonly raw: ByteWriter;
  private distinct = 0;
  /**
   * Direct-mapped cache of the ids seen, slot by the id's first 12 bits (ids are random): a map
   * over every id of the block would cost more than it saves. An id evicted from it is simply
   * stored again as new, which only matters for ids that recur far apart.
   */
  private readonly cacheIndex = new Int32Array(HEX_SLOTS).fill(-1);
  private readonly cachePos = new Int32Array(HEX_SLOTS);

  constructor(
    private readonly bytes: number,
    n: number,
  ) {
    this.codes = new ByteWriter(n + 16);
    this.raw = new ByteWriter(bytes * n * 0.6 + 16);
  }

  /** The id in src[off, off + bytes). */
  add(src: Uint8Array, off: number): void {
    const len = this.bytes;
    const slot = ((src[off] << 4) | (src[off + 1] >> 4)) & (HEX_SLOTS - 1);
    const k = this.cacheIndex[slot];
    if (k >= 0) {
      const raw = this.raw.buf;
      const at = this.cachePos[slot];
      let same = true;
      for (let j = 0; j < len; j++) {
        if (raw[at + j] !== src[off + j]) {
          same = false;
          break;
        }
      }
      if (same) {
        this.codes.varint(this.distinct - k);
        return;
      }
    }
    this.raw.ensure(len);
    const at = this.raw.pos;
    for (let j = 0; j < len; j++) this.raw.buf[at + j] = src[off + j];
    this.raw.pos += len;
    this.cacheIndex[slot] = this.distinct++;
    this.cachePos[slot] = at;
    this.codes.u8(0);
  }
}

/** Encodes entries (any order; sorted inside by (tsNs, seq)) into a block payload and its meta. */
export function encodeLogBlock(
  entries: LogEntry[],
  seqs: Float64Array,
  level: LzLevel,
  opts: EncodeLogBlockOptions = {},
): { payload: Uint8Array; meta: LogBlockMeta } {
  checkCount(entries.length);
  const input = inputFromEntries(entries, seqs);
  return encodeInput(input, level, opts, () => jsonFormRecordBytes(entries));
}

/**
 * Encodes a buffer of concatenated entry records (entry-record.ts) into a block, without
 * materializing LogEntry objects: the seal path (a hot chunk arrives as records). Same block as
 * encodeLogBlock over decodeEntryRecords(records); meta.rawBytes is records.byteLength. Throws
 * CodecError TRUNCATED/CORRUPT for malformed records, INVALID_INPUT for an empty buffer.
 */
export function encodeLogBlockFromRecords(
  records: Uint8Array,
  level: LzLevel,
  opts: Omit<EncodeLogBlockOptions, 'rawBytes'> = {},
): { payload: Uint8Array; meta: LogBlockMeta; minSeq: number; maxSeq: number } {
  const input = inputFromRecords(records);
  checkCount(input.n);
  const { payload, meta } = encodeInput(input, level, opts, () => records.byteLength);
  let minSeq = Infinity;
  let maxSeq = -Infinity;
  for (let i = 0; i < input.n; i++) {
    const s = input.seqs[i];
    if (s < minSeq) minSeq = s;
    if (s > maxSeq) maxSeq = s;
  }
  return { payload, meta, minSeq, maxSeq };
}

function checkCount(n: number): void {
  if (n === 0) throw invalid('a log block needs at least one entry');
  if (n > LOG_BLOCK_MAX_ENTRIES) throw new CodecError('TOO_LARGE', `${n} entries exceed the block limit of ${LOG_BLOCK_MAX_ENTRIES}`);
}

function encodeInput(input: BlockInput, level: LzLevel, opts: EncodeLogBlockOptions, rawBytes: () => number): { payload: Uint8Array; meta: LogBlockMeta } {
  const { n, tsHi, tsLo, seqs } = input;
  for (let i = 0; i < n; i++) {
    const s = seqs[i];
    if (!Number.isInteger(s) || s < 0 || s >= TWO_53) throw invalid(`seq ${s} is not an integer in [0, 2^53)`);
  }
  const order = sortOrder(input);
  const at = (k: number) => (order === undefined ? k : order[k]);
  const first = at(0);
  const last = at(n - 1);
  const t0 = tsOf(input, first);

  // Time: offsets from t0 from the 32-bit halves (exact as doubles below 2^53 ns, 104 days), then
  // deltas over their common divisor (10^6 for millisecond clocks).
  const body = new ByteWriter(1024 + n * 48);
  const cuts = new BodyCuts();
  body.varint(n);
  body.i64(t0);
  const tsW = new ByteWriter(n * 4 + 16);
  let tsPlanes = 0;
  const spanNs = (tsHi[last] - tsHi[first]) * TWO_32 + (tsLo[last] - tsLo[first]);
  if (spanNs < TWO_53) {
    const deltas = new Float64Array(Math.max(0, n - 1));
    let div = 0;
    let prev = 0;
    for (let k = 1; k < n; k++) {
      const i = at(k);
      const offset = (tsHi[i] - tsHi[first]) * TWO_32 + (tsLo[i] - tsLo[first]);
      const d = offset - prev;
      prev = offset;
      deltas[k - 1] = d;
      div = gcd(d, div);
    }
    if (div === 0) div = 1;
    let max = 0;
    for (let k = 0; k < n - 1; k++) {
      deltas[k] /= div;
      if (deltas[k] > max) max = deltas[k];
    }
    let width = 1;
    while (width < 7 && max >= 2 ** (8 * width)) width++;
    if (width < TS_PLANES_MIN_WIDTH) {
      body.u8(TS_VARINT);
      body.varint(div);
      for (let k = 0; k < n - 1; k++) tsW.varint(deltas[k]);
    } else {
      // High-resolution clocks: the low bytes of each delta are noise, the high ones nearly
      // constant. Byte planes (all low bytes, then the next...) as parts of their own let each
      // get its own entropy table (~10% smaller than varints for ns Poisson arrivals).
      body.u8(TS_PLANES);
      body.varint(div);
      body.u8(width);
      tsW.ensure(width * (n - 1));
      const buf = tsW.buf;
      for (let k = 0; k < n - 1; k++) {
        let d = deltas[k];
        for (let b = 0; b < width; b++) {
          const byte = d % 256;
          buf[b * (n - 1) + k] = byte;
          d = (d - byte) / 256;
        }
      }
      tsW.pos = width * (n - 1);
      tsPlanes = width;
    }
  } else {
    body.u8(TS_RAW64);
    let p = t0;
    for (let k = 1; k < n; k++) {
      const ts = tsOf(input, at(k));
      tsW.ensure(8);
      tsW.buf.writeBigUInt64LE(ts - p, tsW.pos);
      tsW.pos += 8;
      p = ts;
    }
  }
  body.section(tsW);
  for (let b = 1; b < tsPlanes; b++) cuts.mark(body.pos - tsW.pos + b * (n - 1));
  cuts.mark(body.pos);

  // Seqs: zigzag deltas (write order is nearly time order, so mostly +1), or plain values when
  // some delta is too large to zigzag exactly.
  let seqMode = SEQ_DELTA;
  for (let k = 1; k < n; k++) if (Math.abs(seqs[at(k)] - seqs[at(k - 1)]) >= 2 ** 52) seqMode = SEQ_RAW;
  const seqW = new ByteWriter(n + 16);
  for (let k = 0; k < n; k++) {
    const s = seqs[at(k)];
    if (seqMode === SEQ_RAW || k === 0) seqW.varint(s);
    else seqW.varint(zigzag(s - seqs[at(k - 1)]));
  }
  body.u8(seqMode);
  body.section(seqW);
  cuts.mark(body.pos);

  // One pass over the entries, in block order.
  const traces = new IdColumn(16, n);
  const spans = new IdColumn(8, n);
  const resIdxW = new ByteWriter(n + 16);
  const layout = messageLayout(input, at);
  const msgStrings = layout > 0 ? new RawStringColumnsEncoder(layout) : new StringColumnsEncoder();
  const attrStrings = new StringColumnsEncoder();
  const attrs = new AttrColumnsEncoder(attrStrings, msgStrings.sink);
  // The entries' record bytes, when nobody gave them: summed from what the pass sees anyway
  // (re-serializing every entry cost a third of the encode). NaN = fall back to re-serializing.
  const measure = opts.rawBytes === undefined && input.rawBytes === undefined;
  attrs.measure = measure;
  let measured = 0;
  const resBytes = measure ? [] as number[] : undefined;
  const sig = new SignatureEncoder(n);
  const filter = new FilterBuilder();
  const terms = new TermCollector(opts.indexedAttributes ?? [], input.resources);
  let levelMask = 0;
  try {
    for (let k = 0; k < n; k++) {
      const i = at(k);
      const sev = input.severity[i];
      const flags = input.flags[i];
      levelMask |= 1 << ((sev - 1) >> 2);
      if (flags & FLAG_TRACE) traces.add(input.traceIds, 16 * i);
      if (flags & FLAG_SPAN) spans.add(input.spanIds, 8 * i);
      resIdxW.varint(input.resourceIds[i]);
      const message = input.message(i);
      filter.addMessage(message);
      const varStart = msgStrings.sink.n;
      const tpl = msgStrings.add(message);
      sig.push(sev | (flags << 8));
      sig.push(tpl);
      const a = input.attributes(i);
      attrs.add(a, message, varStart, msgStrings.sink.n, sig);
      if (resBytes !== undefined) measured += recordBytes(flags, message, attrs.jsonBytes, input.resources, input.resourceIds[i], resBytes);
      terms.add(a, input.resourceIds[i]);
      sig.end();
    }
  } catch (err) {
    filter.release();
    throw err;
  }

  const msgCols = msgStrings.finish();
  body.section(msgCols.templates);
  cuts.mark(body.pos);
  body.section(msgCols.slots);
  markSlots(cuts, body.pos, msgCols);
  sig.writeDict(body);
  cuts.mark(body.pos);
  sig.writeIds(body);
  cuts.mark(body.pos);
  body.section(traces.codes);
  cuts.mark(body.pos);
  body.section(traces.raw);
  cuts.mark(body.pos, true); // random bytes: stored
  body.section(spans.codes);
  cuts.mark(body.pos);
  body.section(spans.raw);
  cuts.markMessagesEnd(body.pos, true); // random bytes too
  // What a messages-only decode skips: resources, attributes.
  const resW = new ByteWriter(256);
  resW.varint(input.resources.json.length);
  for (const j of input.resources.json) resW.string(j);
  body.section(resW);
  body.section(resIdxW);
  cuts.mark(body.pos);
  attrs.writeDict(body);
  cuts.mark(body.pos);
  const attrCols = attrStrings.finish();
  body.section(attrCols.templates);
  cuts.mark(body.pos);
  body.section(attrCols.slots);
  markSlots(cuts, body.pos, attrCols);
  attrs.writeColumns(body, cuts);

  const payload = cuts.pack(LOG_BLOCK_FORMAT, body.view(), level);

  const meta: LogBlockMeta = {
    count: n,
    tMinNs: t0,
    tMaxNs: tsOf(input, last),
    levelMask,
    terms: terms.result(),
    keys: blockKeys(attrs.keys, input.resources.objects),
    filter: filter.build(traces.raw.view()),
    rawBytes: opts.rawBytes ?? input.rawBytes ?? (Number.isFinite(measured) ? measured : rawBytes()),
  };
  return { payload, meta };
}

/**
 * Marks the slot boundaries of a slots section that ends at `end`: each slot is a column of one
 * kind of value (a status code, a duration, a uuid), which compresses best with entropy tables
 * of its own, so big slots become parts of their own.
 */
/** Slots at least this big become parts of their own (measured on web app logs: smaller ones lose more to frame overhead than they gain). */
const SLOT_PART_BYTES = 4096;
function markSlots(cuts: BodyCuts, end: number, cols: { slots: ByteWriter; slotEnds: number[]; slotSplits: number[] }): void {
  const start = end - cols.slots.pos;
  const { slotEnds, slotSplits } = cols;
  let prev = 0;
  let marked = 0;
  let split = 0;
  for (const e of slotEnds) {
    while (split < slotSplits.length && slotSplits[split] <= prev) split++;
    if (e - prev >= SLOT_PART_BYTES) {
      if (prev > marked) cuts.mark(start + prev);
      // An id slot's codes apart from its random bytes.
      while (split < slotSplits.length && slotSplits[split] < e) cuts.mark(start + slotSplits[split++]);
      if (e < cols.slots.pos) cuts.mark(start + e);
      marked = e;
    }
    prev = e;
  }
  cuts.mark(end);
}

/** Messages sampled to choose the message layout, and the distinct-template share that picks raw. */
const LAYOUT_SAMPLE = 1024;
const RAW_SHARE = 0.4;
/** Small blocks keep the dictionary layout (a sample of a few lines says little; compaction re-encodes). */
const RAW_MIN_ENTRIES = 64;

/** Field counts tried for the raw layout (1 = whole lines). */
const RAW_FIELD_CHOICES = [1, 2, 3, 4, 5, 6];

/**
 * The message layout: 0 = template dictionary; f >= 1 = raw with f fields. Raw when the block's
 * messages barely share templates (plain-text logs whose lines differ in words: package names,
 * versions), judged on a sample: a template dictionary would then hold nearly one template per
 * line, and the LZ stage compresses the verbatim text better than any split into templates and
 * variables. The field count is the one whose column layout of the sample compresses smallest
 * (a tool's fixed-format lines gain much from columns; free text loses).
 */
function messageLayout(input: BlockInput, at: (k: number) => number): number {
  if (input.n < RAW_MIN_ENTRIES) return 0;
  const n = Math.min(input.n, LAYOUT_SAMPLE);
  const sink = new VarSink();
  const seen = new Set<number>();
  const sample: string[] = [];
  for (let k = 0; k < n; k++) {
    const m = input.message(at(k));
    if (typeof m !== 'string') return 0; // reported by the main pass
    sink.reset();
    seen.add(scan(m, sink));
    sample.push(m);
  }
  if (seen.size <= n * RAW_SHARE) return 0;
  let best = 1;
  let bestBytes = Infinity;
  for (const f of RAW_FIELD_CHOICES) {
    const bytes = compress(rawLayoutBytes(sample, f), 'fast').length;
    if (bytes < bestBytes) {
      bestBytes = bytes;
      best = f;
    }
  }
  return best;
}

/** Fixed part of an entry record: seq, tsNs, severity, flags (entry-record.ts). */
const RECORD_FIXED_BYTES = 18;

/**
 * Bytes of one entry's record (entry-record.ts), from its message, its attributes' JSON byte count
 * (attr-columns.ts; -1: unknown, which makes the sum NaN) and its resource's JSON (memoized per
 * resource id in resBytes).
 */
function recordBytes(flags: number, message: string, attrJsonBytes: number, resources: ResourceSet, resId: number, resBytes: number[]): number {
  let res = resBytes[resId];
  if (res === undefined) {
    res = jsonTextBytes(resources.json[resId]);
    resBytes[resId] = res;
  }
  if (attrJsonBytes < 0) return NaN;
  return jsonRecordBytes(flags & FLAG_TRACE ? 16 : 0, flags & FLAG_SPAN ? 8 : 0, message, attrJsonBytes, res);
}

/** A JSON-form record's bytes from its parts (ids' byte counts, the JSON texts' byte counts). */
function jsonRecordBytes(traceIdBytes: number, spanIdBytes: number, message: string, attrBytes: number, resBytes: number): number {
  const msg = Buffer.byteLength(message, 'utf8');
  return RECORD_FIXED_BYTES + traceIdBytes + spanIdBytes + varintSize(msg) + msg + varintSize(attrBytes) + attrBytes + varintSize(resBytes) + resBytes;
}

/** Stored bytes of an object's JSON text ('{}' is stored as length 0). */
function jsonTextBytes(json: string): number {
  return json.length === 2 ? 0 : Buffer.byteLength(json, 'utf8');
}

/**
 * The entries' size in the JSON record form (attributes and resource as JSON text), for callers
 * that do not give rawBytes: what the encoder's own measure gives when it can count every entry.
 */
export function jsonFormRecordBytes(entries: readonly LogEntry[]): number {
  let sum = 0;
  for (const e of entries) {
    const attrBytes = jsonTextBytes(JSON.stringify(e.attributes) ?? '{}');
    const resBytes = jsonTextBytes(JSON.stringify(e.resource) ?? '{}');
    sum += jsonRecordBytes(e.traceId !== undefined ? 16 : 0, e.spanId !== undefined ? 8 : 0, e.message, attrBytes, resBytes);
  }
  return sum;
}

/**
 * Index terms: 'service=' / 'host=' of each distinct resource, and 'attr:<key>=<value>' for the
 * indexed keys, looked up as the query matcher does (the entry's attributes first, then its
 * resource; a nested or null attribute shadows the resource and gives no term).
 */
class TermCollector {
  private readonly terms = new Set<string>();
  private readonly has = Object.prototype.hasOwnProperty;

  constructor(
    private readonly indexed: readonly string[],
    private readonly resources: ResourceSet,
  ) {}

  add(attributes: Attributes, resourceId: number): void {
    for (const key of this.indexed) {
      const r = this.resources.objects[resourceId];
      const v = this.has.call(attributes, key) ? attributes[key] : this.has.call(r, key) ? r[key] : undefined;
      addTerm(this.terms, `attr:${key}=`, v);
    }
  }

  result(): string[] {
    for (const r of this.resources.objects) {
      addTerm(this.terms, 'service=', r['service.name']);
      addTerm(this.terms, 'host=', r['host.name']);
    }
    return [...this.terms].sort();
  }
}

function addTerm(terms: Set<string>, prefix: string, v: unknown): void {
  const s = scalarText(v);
  if (s !== undefined && s.length <= TERM_VALUE_MAX_CHARS) terms.add(prefix + s);
}

function blockKeys(attrKeys: string[], resources: Resource[]): string[] {
  const keys = new Set(attrKeys);
  for (const r of resources) for (const k of Object.keys(r)) keys.add(k);
  return [...keys].sort();
}

/**
 * The body of a block payload (README.md): format 2 parts joined, or format 1's single frame. With
 * `messagesOnly`, a format-2 body may end after the span ids (what a messages-only decode reads).
 */
export function logBlockBody(payload: Uint8Array, messagesOnly = false): Buffer {
  if (payload.length < 1) throw truncated('the format byte');
  if (payload[0] === LOG_BLOCK_FORMAT) return unpackParts(payload, messagesOnly);
  if (payload[0] === LOG_BLOCK_FORMAT_SINGLE_FRAME) return bufferView(decompress(payload.subarray(1)));
  throw new CodecError('UNSUPPORTED', `log block format ${payload[0]} is unknown`);
}

/** Decodes a block payload: entries in (tsNs, seq) order and their seqs. Throws CodecError on bad input. */
export function decodeLogBlock(payload: Uint8Array, opts: DecodeLogBlockOptions = {}): { entries: LogEntry[]; seqs: Float64Array } {
  if (opts.messagesOnly === true) return decodeBlock(payload, true);
  const view = decodeBlock(payload, false);
  view.complete();
  return view;
}

/**
 * A decoded block whose attributes and resources are filled on request: what a query needs when
 * most rows of a block cannot make its page (keyset paging, newest first) or fail a text filter.
 */
export interface LogBlockView {
  /** In (tsNs, seq) order; attributes and resource are one shared, frozen empty object until completed. */
  entries: LogEntry[];
  seqs: Float64Array;
  /**
   * Fills attributes and resource of the entries `select(index)` picks (all without it); the
   * others keep the shared empty objects. Call at most once (the attribute columns are read in
   * one pass); a second call throws CodecError INVALID_INPUT. Throws CodecError on a corrupt block.
   */
  complete(select?: (index: number) => boolean): void;
}

/**
 * Decodes a block's time, seq, level, message and trace/span ids now and its attributes and
 * resources on complete(): skipping a row's attributes costs a fraction of building them (no
 * objects, no strings). Throws CodecError on bad input.
 */
export function openLogBlock(payload: Uint8Array): LogBlockView {
  return decodeBlock(payload, false);
}

function decodeBlock(payload: Uint8Array, messagesOnly: boolean): LogBlockView {
  if (payload.length < 1) throw truncated('the format byte');
  const buf = logBlockBody(payload, messagesOnly);
  const body = new ByteReader(buf, 0, buf.length);

  const n = body.varint('entry count');
  if (n < 1 || n > LOG_BLOCK_MAX_ENTRIES) throw corrupt(`entry count ${n} is out of range`);
  const t0 = body.i64('first timestamp');
  const tsMode = body.u8('time mode');
  if (tsMode > TS_PLANES) throw corrupt(`time mode ${tsMode} is unknown`);
  const div = tsMode !== TS_RAW64 ? body.varint('time divisor') : 1;
  if (div < 1) throw corrupt('time divisor is 0');
  const width = tsMode === TS_PLANES ? body.u8('time delta width') : 0;
  if (tsMode === TS_PLANES && (width < 1 || width > 7)) throw corrupt(`time delta width ${width} is invalid`);
  const tsR = body.section('timestamps');
  if (tsMode === TS_PLANES && tsR.remaining !== width * (n - 1)) throw corrupt('time delta planes have the wrong length');
  const tsAt = tsR.pos;
  const seqMode = body.u8('seq mode');
  if (seqMode > SEQ_RAW) throw corrupt(`seq mode ${seqMode} is unknown`);
  const seqR = body.section('seqs');
  const strings = new StringColumnsDecoder(buf, body.section('message templates'), body.section('message slots'));
  const sigs = readSignatures(body.section('signatures'));
  const sigR = body.section('signature ids');
  const traceCodes = body.section('trace id codes');
  const traceRaw = body.section('trace ids');
  const spanCodes = body.section('span id codes');
  const spanRaw = body.section('span ids');

  const seqs = new Float64Array(n);
  const entries: LogEntry[] = new Array(n);
  const full = !messagesOnly;
  const entrySigs: Int32Array[] = full ? new Array(n) : [];
  // Full decode: where each message's variables are (attribute references point at them).
  const varPos = new PositionSink();
  const varAt = new Int32Array(full ? n + 1 : 0);
  const traceDict: string[] = [];
  const spanDict: string[] = [];
  let offset = 0; // ns since t0, exact while < 2^53 (TS_VARINT)
  let ts = t0;
  let seq = 0;
  // Timestamps are written as 32-bit halves into an int64 array and read back: one bigint
  // allocation per entry instead of two (BigInt(offset), then the addition).
  const tsCell = new BigInt64Array(1);
  const tsHalves = new Uint32Array(tsCell.buffer);
  const t0Lo = Number(BigInt.asUintN(32, t0));
  const t0Hi = Number(t0 >> 32n);
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      if (tsMode !== TS_RAW64) {
        if (tsMode === TS_VARINT) offset += tsR.varint('a time delta') * div;
        else {
          let d = 0;
          for (let b = width - 1; b >= 0; b--) d = d * 256 + buf[tsAt + b * (n - 1) + i - 1];
          offset += d * div;
        }
        if (offset >= TWO_53) throw corrupt('time offsets exceed 2^53 ns');
        // Halves added separately: t0Lo + offset could pass 2^53 and round.
        const offHi = Math.floor(offset / TWO_32);
        const low = t0Lo + (offset - offHi * TWO_32);
        const carry = low >= TWO_32 ? 1 : 0;
        const hi = t0Hi + offHi + carry;
        if (hi > 0x7fffffff) throw corrupt('timestamp exceeds the 64-bit range');
        tsHalves[0] = low - carry * TWO_32;
        tsHalves[1] = hi;
        ts = tsCell[0];
      } else {
        ts += buf.readBigUInt64LE(tsR.skip(8, 'a time delta'));
        if (ts > I64_MAX) throw corrupt('timestamp exceeds the 64-bit range');
      }
    }
    const sv = seqR.varint('a seq');
    seq = i === 0 || seqMode === SEQ_RAW ? sv : seq + unzigzag(sv);
    if (seq < 0 || seq >= TWO_53) throw corrupt('seq leaves [0, 2^53)');
    seqs[i] = seq;
    const sig = sigs[sigR.varint('a signature id')];
    if (sig === undefined || sig.length < 3) throw corrupt('signature id is out of range');
    const sev = sig[0] & 0xff;
    const flags = sig[0] >> 8;
    if (sev < 1 || sev > 24 || flags > 3) throw corrupt(`signature head ${sig[0]} is invalid`);
    let message: string;
    if (full) {
      varAt[i] = varPos.n;
      message = strings.readTracked(sig[1], varPos);
      entrySigs[i] = sig;
    } else message = strings.read(sig[1]);
    const level = LEVEL_OF[sev];
    // One literal per id combination: every property exists from the start (no shape transitions,
    // no out-of-object property storage), and absent ids stay absent rather than undefined.
    let e: LogEntry;
    if (flags === 3) {
      const traceId = readId(traceCodes, traceRaw, traceDict, 16, buf, 'trace id');
      const spanId = readId(spanCodes, spanRaw, spanDict, 8, buf, 'span id');
      e = { tsNs: ts, level, severityNumber: sev, message, attributes: EMPTY, resource: EMPTY, traceId, spanId };
    } else if (flags === 0) {
      e = { tsNs: ts, level, severityNumber: sev, message, attributes: EMPTY, resource: EMPTY };
    } else if (flags === FLAG_TRACE) {
      const traceId = readId(traceCodes, traceRaw, traceDict, 16, buf, 'trace id');
      e = { tsNs: ts, level, severityNumber: sev, message, attributes: EMPTY, resource: EMPTY, traceId };
    } else {
      const spanId = readId(spanCodes, spanRaw, spanDict, 8, buf, 'span id');
      e = { tsNs: ts, level, severityNumber: sev, message, attributes: EMPTY, resource: EMPTY, spanId };
    }
    entries[i] = e;
  }
  if (!full) return { entries, seqs, complete: () => {} };
  varAt[n] = varPos.n;
  let completed = false;
  const complete = (select?: (index: number) => boolean): void => {
    if (completed) throw invalid('a log block view completes once');
    completed = true;
    completeBlock(body, buf, entries, entrySigs, varPos, varAt, select);
  };
  return { entries, seqs, complete };
}

/** The attribute and resource pass of decodeBlock (see LogBlockView.complete). */
function completeBlock(
  body: ByteReader,
  buf: Buffer,
  entries: LogEntry[],
  entrySigs: Int32Array[],
  varPos: PositionSink,
  varAt: Int32Array,
  select: ((index: number) => boolean) | undefined,
): void {
  const n = entries.length;

  const resR = body.section('resources');
  const resIdxR = body.section('resource indexes');
  const attrDict = body.section('attribute keys');
  const attrStrings = new StringColumnsDecoder(buf, body.section('attribute templates'), body.section('attribute slots'));
  const attrs = new AttrColumnsDecoder(attrDict, attrStrings);
  attrs.readColumns(body);
  const nRes = resR.bounded('resource count', resR.remaining);
  const resources: Resource[] = [];
  for (let i = 0; i < nRes; i++) {
    let r: unknown;
    try {
      r = JSON.parse(resR.string('resource'));
    } catch {
      throw corrupt('resource is not valid JSON');
    }
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw corrupt('resource is not a JSON object');
    // Shared by the block's entries that have it (a copy each was a fifth of the decode's garbage);
    // frozen, so a caller that would mutate one fails loudly instead of changing its neighbours.
    resources.push(Object.freeze(r as Resource));
  }
  for (let i = 0; i < n; i++) {
    const e = entries[i];
    const r = resources[resIdxR.varint('a resource index')];
    if (r === undefined) throw corrupt('resource index is out of range');
    if (select !== undefined && !select(i)) {
      attrs.skip(entrySigs[i], 2, e.message, varPos.a, varAt[i], (varAt[i + 1] - varAt[i]) >> 1);
      continue;
    }
    e.resource = r;
    e.attributes = attrs.read(entrySigs[i], 2, e.message, varPos.a, varAt[i], (varAt[i + 1] - varAt[i]) >> 1);
  }
}

function readId(codes: ByteReader, raw: ByteReader, dict: string[], bytes: number, buf: Buffer, what: string): string {
  const c = codes.varint(what);
  if (c === 0) {
    const at = raw.skip(bytes, what);
    const id = hexSlice(buf, at, at + bytes);
    dict.push(id);
    return id;
  }
  if (c > dict.length) throw corrupt(`${what} reference ${c} is out of range`);
  return dict[dict.length - c];
}
