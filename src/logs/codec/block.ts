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
import { levelOfSeverity } from '../levels.js';
import { LOG_LEVELS, type Attributes, type LogEntry, type LogLevel, type Resource } from '../types.js';
import { AttrColumnsDecoder, AttrColumnsEncoder } from './attr-columns.js';
import { ByteReader, ByteWriter, corrupt, truncated, unzigzag, zigzag } from './bytes.js';
import { EntryRecordWriter } from './entry-record.js';
import { FilterBuilder } from './filters.js';
import { inputFromEntries, inputFromRecords, tsOf, type BlockInput, ResourceSet } from './block-input.js';
import { bufferView, HEX_SLOTS, hexSlice } from './hex.js';
import { readSignatures, SignatureEncoder } from './signature.js';
import { RawStringColumnsEncoder, PositionSink, StringColumnsDecoder, StringColumnsEncoder } from './string-columns.js';
import { scan, VarSink } from './templates.js';

export const LOG_BLOCK_FORMAT = 1;
/** Hard limit on entries per block (encoder refuses more, decoder treats more as corrupt). */
export const LOG_BLOCK_MAX_ENTRIES = 1 << 20;
/** Index terms are skipped for values longer than this (they would bloat the index, and nobody types them). */
export const TERM_VALUE_MAX_CHARS = 200;

const TS_VARINT = 0;
const TS_RAW64 = 1;
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
  /** bytes of the entries' records (the ratio's "raw" in stats) */
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
  return encodeInput(input, level, opts, () => rawBytesOf(entries, seqs));
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
  body.varint(n);
  body.i64(t0);
  const tsW = new ByteWriter(n * 4 + 16);
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
    body.u8(TS_VARINT);
    body.varint(div);
    for (let k = 0; k < n - 1; k++) tsW.varint(deltas[k] / div);
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

  // One pass over the entries, in block order.
  const traces = new IdColumn(16, n);
  const spans = new IdColumn(8, n);
  const resIdxW = new ByteWriter(n + 16);
  const msgStrings = rawMessagesFit(input, at) ? new RawStringColumnsEncoder() : new StringColumnsEncoder();
  const attrStrings = new StringColumnsEncoder();
  const attrs = new AttrColumnsEncoder(attrStrings, msgStrings.sink);
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
      terms.add(a, input.resourceIds[i]);
      sig.end();
    }
  } catch (err) {
    filter.release();
    throw err;
  }

  const msgCols = msgStrings.finish();
  body.section(msgCols.templates);
  body.section(msgCols.slots);
  sig.writeDict(body);
  body.section(sig.ids);
  body.section(traces.codes);
  body.section(traces.raw);
  body.section(spans.codes);
  body.section(spans.raw);
  // What a messages-only decode skips: resources, attributes.
  const resW = new ByteWriter(256);
  resW.varint(input.resources.json.length);
  for (const j of input.resources.json) resW.string(j);
  body.section(resW);
  body.section(resIdxW);
  attrs.writeDict(body);
  const attrCols = attrStrings.finish();
  body.section(attrCols.templates);
  body.section(attrCols.slots);
  attrs.writeColumns(body);

  const lz = compress(body.view(), level);
  const payload = new Uint8Array(1 + lz.length);
  payload[0] = LOG_BLOCK_FORMAT;
  payload.set(lz, 1);

  const meta: LogBlockMeta = {
    count: n,
    tMinNs: t0,
    tMaxNs: tsOf(input, last),
    levelMask,
    terms: terms.result(),
    keys: blockKeys(attrs.keys, input.resources.objects),
    filter: filter.build(traces.raw.view()),
    rawBytes: opts.rawBytes ?? input.rawBytes ?? rawBytes(),
  };
  return { payload, meta };
}

/** Messages sampled to choose the message layout, and the distinct-template share that picks raw. */
const LAYOUT_SAMPLE = 1024;
const RAW_SHARE = 0.4;
/** Small blocks keep the dictionary layout (a sample of a few lines says little; compaction re-encodes). */
const RAW_MIN_ENTRIES = 64;

/**
 * Whether the block's messages barely share templates (plain-text logs whose lines differ in words:
 * package names, versions), judged on a sample. Then a template dictionary would hold nearly one
 * template per line, and the messages are stored verbatim, one per line, for the LZ stage - which
 * compresses such text better than any split into templates and variables.
 */
function rawMessagesFit(input: BlockInput, at: (k: number) => number): boolean {
  if (input.n < RAW_MIN_ENTRIES) return false;
  const n = Math.min(input.n, LAYOUT_SAMPLE);
  const sink = new VarSink();
  const seen = new Set<number>();
  for (let k = 0; k < n; k++) {
    const m = input.message(at(k));
    if (typeof m !== 'string') return false; // reported by the main pass
    sink.reset();
    seen.add(scan(m, sink));
  }
  return seen.size > n * RAW_SHARE;
}

function rawBytesOf(entries: LogEntry[], seqs: Float64Array): number {
  const w = new EntryRecordWriter(1 << 16);
  let sum = 0;
  for (let i = 0; i < entries.length; i++) {
    w.append(entries[i], seqs[i]);
    if (w.byteLength > 1 << 20) {
      sum += w.byteLength;
      w.reset();
    }
  }
  return sum + w.byteLength;
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

/** Decodes a block payload: entries in (tsNs, seq) order and their seqs. Throws CodecError on bad input. */
export function decodeLogBlock(payload: Uint8Array, opts: DecodeLogBlockOptions = {}): { entries: LogEntry[]; seqs: Float64Array } {
  if (payload.length < 1) throw truncated('the format byte');
  if (payload[0] !== LOG_BLOCK_FORMAT) throw new CodecError('UNSUPPORTED', `log block format ${payload[0]} is unknown`);
  const raw = decompress(payload.subarray(1));
  const buf = bufferView(raw);
  const body = new ByteReader(buf, 0, buf.length);

  const n = body.varint('entry count');
  if (n < 1 || n > LOG_BLOCK_MAX_ENTRIES) throw corrupt(`entry count ${n} is out of range`);
  const t0 = body.i64('first timestamp');
  const tsMode = body.u8('time mode');
  if (tsMode > TS_RAW64) throw corrupt(`time mode ${tsMode} is unknown`);
  const div = tsMode === TS_VARINT ? body.varint('time divisor') : 1;
  if (div < 1) throw corrupt('time divisor is 0');
  const tsR = body.section('timestamps');
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
  const full = !opts.messagesOnly;
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
      if (tsMode === TS_VARINT) {
        offset += tsR.varint('a time delta') * div;
        if (offset >= TWO_53) throw corrupt('time offsets exceed 2^53 ns');
        const low = t0Lo + offset;
        const carry = Math.floor(low / TWO_32);
        if (t0Hi + carry > 0x7fffffff) throw corrupt('timestamp exceeds the 64-bit range');
        tsHalves[0] = low - carry * TWO_32;
        tsHalves[1] = t0Hi + carry;
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
  if (!full) return { entries, seqs };
  varAt[n] = varPos.n;

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
    resources.push(r as Resource);
  }
  for (let i = 0; i < n; i++) {
    const e = entries[i];
    const r = resources[resIdxR.varint('a resource index')];
    if (r === undefined) throw corrupt('resource index is out of range');
    // A copy per entry: callers may mutate what they get.
    e.resource = { ...r };
    e.attributes = attrs.read(entrySigs[i], 2, e.message, varPos.a, varAt[i], (varAt[i + 1] - varAt[i]) >> 1);
  }
  return { entries, seqs };
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
