// The binary form of one span: the WAL record payload, the hot chunk's storage, and the format a
// chunk's spans reach a pool worker in (one SharedArrayBuffer or transferred ArrayBuffer, never
// structured-cloned objects). Byte layout: README.md in this folder.
//
// write() encodes each span ONCE, on the main thread, at 200 k+ spans/s: the writer appends into one
// reusable growable buffer, writes strings straight into it, validates and writes attributes in one
// walk (src/codec/columns/record-attrs.ts), never calls JSON.stringify for flat attributes, and
// reuses the encoded bytes of the last few resource and scope objects it saw (an app has a handful).
// A chaining writer (hot chunks) writes a resource or scope it wrote in full among the last 64 full
// parts of its chain as a flag bit and a one-byte ref (how many full parts back): exports interleave
// the spans of many pods, so "same as the previous record" missed most repeats (bench generator, 12
// pods: 772 bytes/span that way, 330 with refs, 1,123 unchained). Spans must not be mutated once
// written (the bytes caches and the chain are keyed by object identity).
//
// The first 46 bytes sit at fixed offsets (seq, length, trace id, span id, start): scanners (seq
// ranges, trace-id look-up in a RAW block, time filters) read them and skip a record by its length
// without decoding it. The resource and scope parts (or refs) come right after the fixed header, each
// part behind its byte length, so a reader that wants one record of a chain finds the full part its
// ref names by reading the records' heads from the chain's start, without walking span bodies.
import { Buffer } from 'node:buffer';
import { CodecError } from '../../codec/errors.js';
import { sameByteRange, varintSize32, writeVarint32At } from '../../codec/columns/bytes.js';
import { bufferView, hexInto, hexOf, utf8Slice } from '../../codec/columns/hex.js';
import { readRecordAttributes, writeRecordAttributes, writeUtf8String, type ByteSink, type FailFn } from '../../codec/columns/record-attrs.js';
import { SPAN_KINDS, STATUS_CODES } from '../types.js';
import type { Attributes, InstrumentationScope, Span, SpanEvent, SpanKind, SpanLink, SpanResource, SpanStatus } from '../types.js';

// ------------------------------------------------------------------ layout

/** u64 write sequence (< 2^53). */
export const REC_SEQ = 0;
/** u32 byte length of the whole record (this field included). */
export const REC_BYTES = 8;
/** 16 raw bytes of the trace id. */
export const REC_TRACE_ID = 12;
/** 8 raw bytes of the span id. */
export const REC_SPAN_ID = 28;
/** i64 start, epoch ns, in [0, 2^63). */
export const REC_START_NS = 36;
/** u8 flags (FLAG_*). */
export const REC_FLAGS = 44;
/** u8: kind (SPAN_KINDS index) in bits 0-2, status code (STATUS_CODES index) in bits 3-4; 5-7 zero. */
export const REC_KIND_STATUS = 45;
export const SPAN_RECORD_FIXED_BYTES = 46;

/** 8 bytes of parent span id follow the fixed header. */
export const FLAG_PARENT = 1;
/** A traceState string is present (after the status message). */
export const FLAG_TRACE_STATE = 2;
/** A status message string is present. */
export const FLAG_STATUS_MESSAGE = 4;
/** A varint ref instead of the resource part: 0 = the newest resource part written in full before this record, 1 = the one before... */
export const FLAG_RESOURCE_REF = 8;
/** A varint ref instead of the scope part (counted over full scope parts, as FLAG_RESOURCE_REF over resources). */
export const FLAG_SCOPE_REF = 16;
/** An events part is present (else no events). */
export const FLAG_EVENTS = 32;
/** A links part is present (else no links). */
export const FLAG_LINKS = 64;
/** The three dropped counts are present (else all 0). */
export const FLAG_DROPPED = 128;

const KIND_STATUS_BITS = 0x1f;
const MAX_SEQ = 2 ** 53;
const MAX_NS = 2n ** 63n - 1n;
const U32_MAX = 0xffffffff;
/** |d| up to this takes the number path for a zigzag varint (zigzag(d) < 2^53). */
const SAFE_HALF = 2n ** 52n - 1n;
const INITIAL_CAPACITY = 64 * 1024;
/** Bytes cached per resource/scope object (a few per app: hosts of one process interleave). */
const PART_CACHE_SLOTS = 4;
/**
 * How many full parts back a ref reaches (resources and scopes each count their own). A power of 2
 * (ring slots by mask); refs are below it, so one varint byte. Writer and decoder keep the same
 * window: the full parts of the records before, newest last; a chain restart empties the writer's
 * only, which never refers past it, so a decoder needs no restart marker (see decodeSpanRecords).
 */
export const SPAN_CHAIN_WINDOW = 64;
const WINDOW_MASK = SPAN_CHAIN_WINDOW - 1;

/** Start and end ns of the span being written, and their 32-bit words, for the duration without bigint arithmetic. */
const TIME_SLOT = new BigInt64Array(2);
const TIME_BYTES = new Uint8Array(TIME_SLOT.buffer);
const TIME_WORDS = new Uint32Array(TIME_SLOT.buffer);
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('timeless: span records need a little-endian platform');

function invalid(message: string): CodecError {
  return new CodecError('INVALID_INPUT', message);
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);
  if (v === null) return 'null';
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  return Array.isArray(v) ? 'an array' : typeof v;
}

/** Attribute errors of a nested part carry its path ("events[2].attributes.x is NaN"). */
function withPrefix(err: unknown, prefix: string): unknown {
  if (!(err instanceof CodecError) || err.code !== 'INVALID_INPUT') return err;
  return invalid(prefix + err.message.slice('INVALID_INPUT: '.length));
}

/**
 * The one literal of a stored span (normalize.ts and the decoder both build spans with it): fixed
 * key order, absent optionals stay absent, at most four object shapes on the hot path.
 */
export function makeSpan(
  traceId: string, spanId: string, parentSpanId: string | undefined, name: string, kind: SpanKind,
  startNs: bigint, endNs: bigint, status: SpanStatus, attributes: Attributes, events: SpanEvent[],
  links: SpanLink[], resource: SpanResource, scope: InstrumentationScope, traceState: string | undefined,
  flags: number, droppedAttributesCount: number, droppedEventsCount: number, droppedLinksCount: number,
): Span {
  if (parentSpanId !== undefined) {
    return traceState !== undefined
      ? { traceId, spanId, parentSpanId, name, kind, startNs, endNs, status, attributes, events, links, resource, scope, traceState, flags, droppedAttributesCount, droppedEventsCount, droppedLinksCount }
      : { traceId, spanId, parentSpanId, name, kind, startNs, endNs, status, attributes, events, links, resource, scope, flags, droppedAttributesCount, droppedEventsCount, droppedLinksCount };
  }
  return traceState !== undefined
    ? { traceId, spanId, name, kind, startNs, endNs, status, attributes, events, links, resource, scope, traceState, flags, droppedAttributesCount, droppedEventsCount, droppedLinksCount }
    : { traceId, spanId, name, kind, startNs, endNs, status, attributes, events, links, resource, scope, flags, droppedAttributesCount, droppedEventsCount, droppedLinksCount };
}

// ------------------------------------------------------------------ writer

/** Equal as stored, judged cheaply: normalize.ts hands out one frozen object per distinct resource. */
function sameResource(a: SpanResource, b: SpanResource): boolean {
  return a === b || (a.attributes === b.attributes && a.droppedAttributesCount === b.droppedAttributesCount && a.schemaUrl === b.schemaUrl);
}

function sameScope(a: InstrumentationScope, b: InstrumentationScope): boolean {
  return (
    a === b ||
    (a.name === b.name && a.version === b.version && a.schemaUrl === b.schemaUrl && a.droppedAttributesCount === b.droppedAttributesCount &&
      (a.attributes === b.attributes || (isEmpty(a.attributes) && isEmpty(b.attributes))))
  );
}

function isEmpty(o: object): boolean {
  for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k)) return false;
  return true;
}

/** Appends span records to one growable buffer; bytes() is a view valid until the next append/reset. */
export class SpanRecordWriter implements ByteSink {
  /** The buffer and write position (ByteSink: record-attrs.ts writes into them). */
  buf: Buffer;
  pos = 0;
  private n = 0;
  private readonly resObjects: (SpanResource | undefined)[] = new Array(PART_CACHE_SLOTS).fill(undefined);
  private readonly resBytes: Uint8Array[] = new Array(PART_CACHE_SLOTS).fill(new Uint8Array(0));
  private resNext = 0;
  private readonly scopeObjects: (InstrumentationScope | undefined)[] = new Array(PART_CACHE_SLOTS).fill(undefined);
  private readonly scopeBytes: Uint8Array[] = new Array(PART_CACHE_SLOTS).fill(new Uint8Array(0));
  private scopeNext = 0;
  /**
   * Chaining: the resources (scopes) written in full since the chain started, the last
   * SPAN_CHAIN_WINDOW of them in a ring (slot = full part number & WINDOW_MASK), and how many.
   */
  private readonly resWindow: (SpanResource | undefined)[] = new Array(SPAN_CHAIN_WINDOW).fill(undefined);
  private resFulls = 0;
  private readonly scopeWindow: (InstrumentationScope | undefined)[] = new Array(SPAN_CHAIN_WINDOW).fill(undefined);
  private scopeFulls = 0;
  /** What the record being written wrote in full: joins the window once the record is whole (append). */
  private newResource: SpanResource | undefined;
  private newScope: InstrumentationScope | undefined;

  /**
   * `shared`: the records live in a SharedArrayBuffer (growth allocates a bigger one), so a worker
   * reads them (sharedRecords()) while this thread keeps them. `chainResources`: a record whose
   * resource (scope) is among the last SPAN_CHAIN_WINDOW written in full since the chain started
   * gets FLAG_RESOURCE_REF (FLAG_SCOPE_REF) and a ref instead of its bytes; readers then decode from
   * the buffer's start or a breakChain() point, or continue a decode with its `chain`.
   */
  constructor(
    initialCapacity = INITIAL_CAPACITY,
    private readonly shared = false,
    private readonly chainResources = false,
    /** A buffer to write into instead of a new one (a released chunk's). */
    reuse?: Buffer,
  ) {
    this.buf =
      reuse !== undefined && reuse.length >= initialCapacity && (reuse.buffer instanceof SharedArrayBuffer) === shared
        ? reuse
        : this.alloc(Math.max(256, initialCapacity));
  }

  /** Never a slice of Node's shared pool: the buffer is its own (Shared)ArrayBuffer. */
  private alloc(bytes: number): Buffer {
    return this.shared ? Buffer.from(new SharedArrayBuffer(bytes)) : Buffer.allocUnsafeSlow(bytes);
  }

  /** A shared writer's records, in buffer[0, length): readable by a worker with no copy or transfer. */
  sharedRecords(): { buffer: SharedArrayBuffer; length: number } {
    if (!this.shared) throw new TypeError('sharedRecords() needs a writer constructed with shared = true');
    return { buffer: this.buf.buffer as SharedArrayBuffer, length: this.pos };
  }

  get count(): number {
    return this.n;
  }

  get byteLength(): number {
    return this.pos;
  }

  /** The records appended since the last reset (a view: copy it before the next append if kept). */
  bytes(): Uint8Array {
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.pos);
  }

  /** No record after this refers to one before (a reader may start decoding at the next record). */
  breakChain(): void {
    // The ring slots keep their objects until overwritten: only slots below the counts are read.
    this.resFulls = 0;
    this.scopeFulls = 0;
  }

  reset(): void {
    this.breakChain();
    this.pos = 0;
    this.n = 0;
  }

  /**
   * Drops the records after the first `count` ones (`byteLength` = where they end): a batch whose
   * span the writer refused is taken back whole. The chain breaks there, so the next record carries
   * its parts in full (its refs could otherwise point at parts of dropped records).
   */
  truncate(byteLength: number, count: number): void {
    if (!Number.isInteger(byteLength) || byteLength < 0 || byteLength > this.pos || !Number.isInteger(count) || count < 0 || count > this.n) {
      throw new RangeError(`truncate(${byteLength}, ${count}) is outside the ${this.n} records (${this.pos} bytes) written`);
    }
    this.breakChain();
    this.pos = byteLength;
    this.n = count;
  }

  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = this.alloc(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Appends one record. Throws CodecError INVALID_INPUT (and appends nothing) on a malformed span. */
  append(span: Span, seq: number): void {
    const start = this.pos;
    try {
      this.write(span, seq);
    } catch (err) {
      this.pos = start; // a half-written record must never reach the WAL
      throw err;
    }
    this.n++;
    // Only now: a failed record's full parts never reach a reader, so counting them would shift
    // every later ref by one against the decoder's count.
    if (this.newResource !== undefined) {
      this.resWindow[this.resFulls & WINDOW_MASK] = this.newResource;
      this.resFulls++;
    }
    if (this.newScope !== undefined) {
      this.scopeWindow[this.scopeFulls & WINDOW_MASK] = this.newScope;
      this.scopeFulls++;
    }
  }

  private write(span: Span, seq: number): void {
    this.newResource = undefined;
    this.newScope = undefined;
    if (!Number.isInteger(seq) || seq < 0 || seq >= MAX_SEQ) throw invalid(`seq ${seq} is not an integer in [0, 2^53)`);
    if (span === null || typeof span !== 'object') throw invalid(`a span must be an object, got ${describe(span)}`);
    const startNs = span.startNs;
    const endNs = span.endNs;
    if (typeof startNs !== 'bigint' || startNs < 0n || startNs > MAX_NS) throw invalid(`startNs ${describe(startNs)} is not a bigint in [0, 2^63)`);
    if (typeof endNs !== 'bigint' || endNs < startNs || endNs > MAX_NS) throw invalid(`endNs ${describe(endNs)} is not a bigint in [startNs, 2^63)`);
    const kind = SPAN_KINDS.indexOf(span.kind);
    if (kind < 0) throw invalid(`kind ${describe(span.kind)} is not one of ${SPAN_KINDS.join(', ')}`);
    const status = span.status;
    if (status === null || typeof status !== 'object') throw invalid(`status must be an object, got ${describe(status)}`);
    const code = STATUS_CODES.indexOf(status.code);
    if (code < 0) throw invalid(`status.code ${describe(status.code)} is not one of ${STATUS_CODES.join(', ')}`);

    this.ensure(SPAN_RECORD_FIXED_BYTES + 8);
    const start = this.pos;
    let buf = this.buf;
    buf.writeUInt32LE(seq >>> 0, start);
    buf.writeUInt32LE(Math.floor(seq / 4294967296), start + 4);
    idInto(span.traceId, 16, buf, start + REC_TRACE_ID, 'traceId');
    idInto(span.spanId, 8, buf, start + REC_SPAN_ID, 'spanId');
    // Through a typed-array slot: Buffer.writeBigInt64LE splits the bigint with four bigint ops.
    TIME_SLOT[0] = startNs;
    TIME_SLOT[1] = endNs;
    for (let k = 0; k < 8; k++) buf[start + REC_START_NS + k] = TIME_BYTES[k];
    buf[start + REC_KIND_STATUS] = kind | (code << 3);
    let flags = 0;
    let p = start + SPAN_RECORD_FIXED_BYTES;
    if (span.parentSpanId !== undefined) {
      idInto(span.parentSpanId, 8, buf, p, 'parentSpanId');
      flags |= FLAG_PARENT;
      p += 8;
    }
    this.pos = p;

    const resource = span.resource;
    if (resource === null || typeof resource !== 'object') throw invalid(`resource must be an object, got ${describe(resource)}`);
    const resourceRef = this.chainResources ? this.resourceRef(resource) : -1;
    if (resourceRef >= 0) {
      flags |= FLAG_RESOURCE_REF;
      this.writeRef(resourceRef);
    } else {
      this.writeResource(resource);
      if (this.chainResources) this.newResource = resource;
    }
    const scope = span.scope;
    if (scope === null || typeof scope !== 'object') throw invalid(`scope must be an object, got ${describe(scope)}`);
    const scopeRef = this.chainResources ? this.scopeRef(scope) : -1;
    if (scopeRef >= 0) {
      flags |= FLAG_SCOPE_REF;
      this.writeRef(scopeRef);
    } else {
      this.writeScope(scope);
      if (this.chainResources) this.newScope = scope;
    }

    // Duration from the 32-bit words (end >= start >= 0 checked): exact while it is below 2^53.
    this.ensure(10 + 5 + 15);
    buf = this.buf;
    const hiDelta = TIME_WORDS[3] - TIME_WORDS[1];
    if (hiDelta < 0x1fffff) this.pos = writeVarint53At(buf, this.pos, hiDelta * 4294967296 + (TIME_WORDS[2] - TIME_WORDS[0]));
    else this.pos = writeVarintBigAt(buf, this.pos, endNs - startNs);
    this.pos = writeVarint32At(buf, this.pos, u32(span.flags, 'flags'));
    const dA = u32(span.droppedAttributesCount, 'droppedAttributesCount');
    const dE = u32(span.droppedEventsCount, 'droppedEventsCount');
    const dL = u32(span.droppedLinksCount, 'droppedLinksCount');
    if ((dA | dE | dL) !== 0) {
      flags |= FLAG_DROPPED;
      this.pos = writeVarint32At(buf, this.pos, dA);
      this.pos = writeVarint32At(buf, this.pos, dE);
      this.pos = writeVarint32At(buf, this.pos, dL);
    }
    this.writeString(span.name, 'name');
    writeRecordAttributes(this, span.attributes, invalid);

    const events = span.events;
    if (!Array.isArray(events)) throw invalid(`events must be an array, got ${describe(events)}`);
    if (events.length > 0) {
      flags |= FLAG_EVENTS;
      this.writeEvents(events, startNs);
    }
    const links = span.links;
    if (!Array.isArray(links)) throw invalid(`links must be an array, got ${describe(links)}`);
    if (links.length > 0) {
      flags |= FLAG_LINKS;
      this.writeLinks(links);
    }
    if (status.message !== undefined && status.message !== '') {
      flags |= FLAG_STATUS_MESSAGE;
      this.writeString(status.message, 'status.message');
    }
    if (span.traceState !== undefined && span.traceState !== '') {
      flags |= FLAG_TRACE_STATE;
      this.writeString(span.traceState, 'traceState');
    }
    const length = this.pos - start;
    buf = this.buf;
    buf[start + REC_FLAGS] = flags;
    buf.writeUInt32LE(length, start + REC_BYTES);
  }

  private writeEvents(events: SpanEvent[], startNs: bigint): void {
    this.ensure(5);
    this.pos = writeVarint32At(this.buf, this.pos, events.length);
    for (let i = 0; i < events.length; i++) {
      const ev = events[i];
      if (ev === null || typeof ev !== 'object') throw invalid(`events[${i}] must be an object, got ${describe(ev)}`);
      const t = ev.timeNs;
      if (typeof t !== 'bigint' || t < 0n || t > MAX_NS) throw invalid(`events[${i}].timeNs ${describe(t)} is not a bigint in [0, 2^63)`);
      // Signed offset from the span start (an event may precede it: clocks), zigzagged.
      const d = t - startNs;
      this.ensure(10);
      if (d >= -SAFE_HALF && d <= SAFE_HALF) {
        const v = Number(d);
        this.pos = writeVarint53At(this.buf, this.pos, v >= 0 ? v * 2 : -v * 2 - 1);
      } else {
        this.pos = writeVarintBigAt(this.buf, this.pos, d >= 0n ? d << 1n : ((-d) << 1n) - 1n);
      }
      this.writeString(ev.name, `events[${i}].name`);
      try {
        writeRecordAttributes(this, ev.attributes, invalid);
      } catch (err) {
        throw withPrefix(err, `events[${i}].`);
      }
      this.ensure(5);
      this.pos = writeVarint32At(this.buf, this.pos, u32(ev.droppedAttributesCount, `events[${i}].droppedAttributesCount`));
    }
  }

  private writeLinks(links: SpanLink[]): void {
    this.ensure(5);
    this.pos = writeVarint32At(this.buf, this.pos, links.length);
    for (let i = 0; i < links.length; i++) {
      const l = links[i];
      if (l === null || typeof l !== 'object') throw invalid(`links[${i}] must be an object, got ${describe(l)}`);
      this.ensure(24 + 5);
      idInto(l.traceId, 16, this.buf, this.pos, `links[${i}].traceId`);
      idInto(l.spanId, 8, this.buf, this.pos + 16, `links[${i}].spanId`);
      this.pos = writeVarint32At(this.buf, this.pos + 24, u32(l.flags, `links[${i}].flags`));
      this.writeString(l.traceState ?? '', `links[${i}].traceState`);
      try {
        writeRecordAttributes(this, l.attributes, invalid);
      } catch (err) {
        throw withPrefix(err, `links[${i}].`);
      }
      this.ensure(5);
      this.pos = writeVarint32At(this.buf, this.pos, u32(l.droppedAttributesCount, `links[${i}].droppedAttributesCount`));
    }
  }

  /** varint byteLength + UTF-8 (a lone surrogate becomes U+FFFD, as TextEncoder does). */
  private writeString(s: string, what: string): void {
    if (typeof s !== 'string') throw invalid(`${what} must be a string, got ${describe(s)}`);
    writeUtf8String(this, s, true);
  }

  /** How many full resource parts back `r` was written in this chain (0 = the newest), or -1: not in the window. */
  private resourceRef(r: SpanResource): number {
    const n = this.resFulls < SPAN_CHAIN_WINDOW ? this.resFulls : SPAN_CHAIN_WINDOW;
    const last = this.resFulls - 1;
    for (let back = 0; back < n; back++) if (sameResource(r, this.resWindow[(last - back) & WINDOW_MASK]!)) return back;
    return -1;
  }

  private scopeRef(s: InstrumentationScope): number {
    const n = this.scopeFulls < SPAN_CHAIN_WINDOW ? this.scopeFulls : SPAN_CHAIN_WINDOW;
    const last = this.scopeFulls - 1;
    for (let back = 0; back < n; back++) if (sameScope(s, this.scopeWindow[(last - back) & WINDOW_MASK]!)) return back;
    return -1;
  }

  /** A ref < SPAN_CHAIN_WINDOW (<= 127): its varint is the byte itself. */
  private writeRef(back: number): void {
    this.ensure(1);
    this.buf[this.pos++] = back;
  }

  /** Reserves a 2-byte padded length for a part; endPart() fills it (or moves the part for a long one). */
  private beginPart(): number {
    this.ensure(2);
    const at = this.pos;
    this.pos += 2;
    return at;
  }

  private endPart(at: number): void {
    const len = this.pos - at - 2;
    if (len < 0x4000) {
      this.buf[at] = (len & 0x7f) | 0x80;
      this.buf[at + 1] = len >>> 7;
      return;
    }
    const extra = varintSize32(len) - 2;
    this.ensure(extra);
    this.buf.copyWithin(at + 2 + extra, at + 2, this.pos);
    writeVarint32At(this.buf, at, len);
    this.pos += extra;
  }

  /** resource part = varint len | attributes | varint dropped | string schemaUrl ('' = absent). */
  private writeResource(r: SpanResource): void {
    const objs = this.resObjects;
    for (let k = 0; k < PART_CACHE_SLOTS; k++) {
      const o = objs[k];
      if (o !== undefined && sameResource(r, o)) {
        this.copyIn(this.resBytes[k]);
        return;
      }
    }
    const at = this.beginPart();
    try {
      writeRecordAttributes(this, r.attributes, invalid);
    } catch (err) {
      throw withPrefix(err, 'resource.');
    }
    this.ensure(5);
    this.pos = writeVarint32At(this.buf, this.pos, u32(r.droppedAttributesCount, 'resource.droppedAttributesCount'));
    this.writeString(r.schemaUrl ?? '', 'resource.schemaUrl');
    this.endPart(at);
    const k = this.resNext;
    objs[k] = r;
    this.resBytes[k] = Uint8Array.prototype.slice.call(this.buf, at, this.pos); // a copy: buf is reused
    this.resNext = (k + 1) % PART_CACHE_SLOTS;
  }

  /** scope part = varint len | string name | string version | string schemaUrl | attributes | varint dropped. */
  private writeScope(s: InstrumentationScope): void {
    const objs = this.scopeObjects;
    for (let k = 0; k < PART_CACHE_SLOTS; k++) {
      const o = objs[k];
      if (o !== undefined && sameScope(s, o)) {
        this.copyIn(this.scopeBytes[k]);
        return;
      }
    }
    const at = this.beginPart();
    this.writeString(s.name, 'scope.name');
    this.writeString(s.version ?? '', 'scope.version');
    this.writeString(s.schemaUrl ?? '', 'scope.schemaUrl');
    try {
      writeRecordAttributes(this, s.attributes, invalid);
    } catch (err) {
      throw withPrefix(err, 'scope.');
    }
    this.ensure(5);
    this.pos = writeVarint32At(this.buf, this.pos, u32(s.droppedAttributesCount, 'scope.droppedAttributesCount'));
    this.endPart(at);
    const k = this.scopeNext;
    objs[k] = s;
    this.scopeBytes[k] = Uint8Array.prototype.slice.call(this.buf, at, this.pos);
    this.scopeNext = (k + 1) % PART_CACHE_SLOTS;
  }

  private copyIn(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

function u32(v: unknown, what: string): number {
  if (typeof v === 'number' && v >= 0 && v <= U32_MAX && Math.floor(v) === v) return v;
  throw invalid(`${what} must be an integer in [0, 2^32), got ${describe(v)}`);
}

/** Hex id -> bytes (any case: the bytes are what is kept, read back lowercase). */
function idInto(id: unknown, bytes: number, buf: Buffer, p: number, field: string): void {
  if (typeof id === 'string' && (hexInto(id, bytes, buf, p) || hexInto(id.toLowerCase(), bytes, buf, p))) return;
  throw invalid(`${field} must be ${bytes * 2} hex characters, got ${describe(id)}`);
}

/** Unsigned LEB128 of an integer v < 2^53 at buf[p]; returns the position after it. */
function writeVarint53At(buf: Uint8Array, p: number, v: number): number {
  while (v >= 0x80000000) {
    buf[p++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  return writeVarint32At(buf, p, v);
}

/** Unsigned LEB128 of a bigint v in [0, 2^64) (at most 10 bytes). */
function writeVarintBigAt(buf: Uint8Array, p: number, v: bigint): number {
  while (v >= 0x80n) {
    buf[p++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  buf[p++] = Number(v);
  return p;
}

/** One span's record as a fresh Uint8Array. */
export function encodeSpanRecord(span: Span, seq: number): Uint8Array {
  const w = new SpanRecordWriter(512);
  w.append(span, seq);
  return w.bytes().slice();
}

// ------------------------------------------------------------------ scanning

function truncated(message: string): CodecError {
  return new CodecError('TRUNCATED', `span record ${message}`);
}

function corrupt(message: string): CodecError {
  return new CodecError('CORRUPT', `span record ${message}`);
}

/**
 * Byte length of the record at `offset` (read from its fixed header; nothing else is checked).
 * TRUNCATED when the bytes end before the length field or the record; CORRUPT when the length is
 * shorter than the fixed header.
 */
export function spanRecordLength(bytes: Uint8Array, offset: number): number {
  if (offset + REC_BYTES + 4 > bytes.length) throw truncated(`at byte ${offset}: the bytes end inside its fixed header`);
  const len = (bytes[offset + REC_BYTES] | (bytes[offset + REC_BYTES + 1] << 8) | (bytes[offset + REC_BYTES + 2] << 16)) + bytes[offset + REC_BYTES + 3] * 0x1000000;
  if (len < SPAN_RECORD_FIXED_BYTES) throw corrupt(`at byte ${offset}: length ${len} is shorter than the fixed header`);
  if (offset + len > bytes.length) throw truncated(`at byte ${offset}: the bytes end inside it (length ${len}, ${bytes.length - offset} left)`);
  return len;
}

/** The fixed header of one record during forEachSpanRecord (one reused object: read it in the callback). */
export class SpanRecordCursor {
  /** First byte of the record, and the byte after it. */
  start = 0;
  end = 0;
  seq = 0;
  constructor(readonly buf: Buffer) {}

  /** Offset of the record's 16 trace id bytes. */
  get traceIdOffset(): number {
    return this.start + REC_TRACE_ID;
  }

  /** Offset of the record's 8 span id bytes. */
  get spanIdOffset(): number {
    return this.start + REC_SPAN_ID;
  }

  /** As stored (the walker does not check its range; the decoder refuses a negative one). */
  startNs(): bigint {
    return this.buf.readBigInt64LE(this.start + REC_START_NS);
  }

  traceId(): string {
    return hexOf(this.buf, this.start + REC_TRACE_ID, 16);
  }

  /** True when the record's trace id is these 16 bytes (a look-up compares bytes, no string per record). */
  hasTraceId(id: Uint8Array): boolean {
    return equal16(this.buf, this.start + REC_TRACE_ID, id);
  }
}

function equal16(buf: Uint8Array, at: number, id: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (buf[at + i] !== id[i]) return false;
  return true;
}

/**
 * Visits every record's fixed header without decoding the rest (skipped by its length); `visit`
 * returning false stops the walk. Returns the number of records visited. Checks lengths and seqs
 * only: a record it accepts may still be CORRUPT to decodeSpanRecords.
 */
export function forEachSpanRecord(bytes: Uint8Array, visit: (record: SpanRecordCursor) => boolean | void): number {
  const buf = bufferView(bytes);
  const c = new SpanRecordCursor(buf);
  let p = 0;
  let n = 0;
  while (p < buf.length) {
    const len = spanRecordLength(buf, p);
    c.start = p;
    c.end = p + len;
    c.seq = readSeq(buf, p);
    n++;
    if (visit(c) === false) break;
    p += len;
  }
  return n;
}

function readSeq(buf: Buffer, p: number): number {
  const hi = buf.readUInt32LE(p + 4);
  if (hi >= 0x200000) throw corrupt(`at byte ${p}: seq is >= 2^53`);
  return hi * 4294967296 + buf.readUInt32LE(p);
}

// ------------------------------------------------------------------ decoding

/** Bounds-checked reader over one record [pos, end): running past its declared end is CORRUPT. */
class SpanReader {
  pos = 0;
  end = 0;
  constructor(readonly buf: Buffer) {}

  /** An unsigned varint < 2^32 (at most 5 bytes; padded forms accepted). */
  varint(what: string): number {
    const buf = this.buf;
    let v = 0;
    let mul = 1;
    for (let k = 0; k < 5; k++) {
      if (this.pos >= this.end) throw corrupt(`ends inside ${what}`);
      const b = buf[this.pos++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (v > U32_MAX) break;
        return v;
      }
      mul *= 128;
    }
    throw corrupt(`${what} is a malformed varint`);
  }

  /** An unsigned varint < 2^64 (at most 10 bytes), as a bigint. */
  varint64(what: string): bigint {
    const buf = this.buf;
    let v = 0;
    let mul = 1;
    // 7 bytes = 49 bits: exact as a number.
    for (let k = 0; k < 7; k++) {
      if (this.pos >= this.end) throw corrupt(`ends inside ${what}`);
      const b = buf[this.pos++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return BigInt(v);
      mul *= 128;
    }
    let big = BigInt(v);
    for (let shift = 49n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) throw corrupt(`ends inside ${what}`);
      const b = buf[this.pos++];
      big += BigInt(b & 0x7f) << shift;
      if (b < 0x80) {
        if (big >= 1n << 64n) break;
        return big;
      }
    }
    throw corrupt(`${what} is a malformed varint`);
  }

  /** Where `n` bytes start; CORRUPT when they would run past the record. */
  skip(n: number, what: string): number {
    if (n > this.end - this.pos) throw corrupt(`ends inside ${what}`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  string(what: string): string {
    const n = this.varint(what);
    if (n === 0) return '';
    const at = this.skip(n, what);
    return utf8Slice(this.buf, at, at + n);
  }

  /** A string that must not be empty (flagged optional parts are written only when non-empty). */
  nonEmpty(what: string): string {
    const s = this.string(what);
    if (s === '') throw corrupt(`${what} is flagged present but empty`);
    return s;
  }

  id(bytes: number, what: string): string {
    return hexOf(this.buf, this.skip(bytes, what), bytes);
  }

  /** varint length + record-attrs.ts section. */
  attributes(what: string): Attributes {
    const n = this.varint(what);
    const at = this.skip(n, what);
    return readRecordAttributes(this.buf, at, at + n);
  }
}

/** Resource/scope parts of one decode: records repeat a handful, so each distinct byte string is parsed once. */
class PartMemo<T> {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly values: T[] = [];
  private last = -1;

  constructor(private readonly parse: (r: SpanReader) => T) {}

  read(r: SpanReader, what: string): T {
    const n = r.varint(`${what} length`);
    const at = r.skip(n, what);
    let k = this.last >= 0 && sameByteRange(r.buf, at, n, this.starts[this.last], this.ends[this.last]) ? this.last : -1;
    for (let j = 0; k < 0 && j < this.starts.length; j++) if (sameByteRange(r.buf, at, n, this.starts[j], this.ends[j])) k = j;
    if (k < 0) {
      const end = r.end;
      const after = r.pos;
      r.pos = at;
      r.end = at + n;
      const v = this.parse(r);
      if (r.pos !== r.end) throw corrupt(`${what} has ${r.end - r.pos} bytes after its last field`);
      r.pos = after;
      r.end = end;
      k = this.starts.length;
      this.starts.push(at);
      this.ends.push(at + n);
      this.values.push(v);
    }
    this.last = k;
    return this.values[k];
  }
}

function parseResource(r: SpanReader): SpanResource {
  const attributes = r.attributes('resource attributes');
  const droppedAttributesCount = r.varint('resource dropped count');
  const schemaUrl = r.string('resource schemaUrl');
  return frozen(schemaUrl === '' ? { attributes, droppedAttributesCount } : { attributes, droppedAttributesCount, schemaUrl }, 0);
}

function parseScope(r: SpanReader): InstrumentationScope {
  const name = r.string('scope name');
  const version = r.string('scope version');
  const schemaUrl = r.string('scope schemaUrl');
  const attributes = r.attributes('scope attributes');
  const droppedAttributesCount = r.varint('scope dropped count');
  return frozen(scopeOf(name, version, schemaUrl, attributes, droppedAttributesCount), 0);
}

function scopeOf(name: string, version: string, schemaUrl: string, attributes: Attributes, droppedAttributesCount: number): InstrumentationScope {
  if (version !== '') {
    return schemaUrl !== '' ? { name, version, schemaUrl, attributes, droppedAttributesCount } : { name, version, attributes, droppedAttributesCount };
  }
  return schemaUrl !== '' ? { name, schemaUrl, attributes, droppedAttributesCount } : { name, attributes, droppedAttributesCount };
}

/** Depth bound of frozen values (the writer refuses deeper ones): a hostile record cannot overflow the stack. */
const MAX_FREEZE_DEPTH = 66;

/**
 * Decoded resources and scopes are shared by the spans that carry them (a query answer holds
 * thousands of spans of a few services: a copy each cost ~1.5 µs/span, most of it GC) and frozen,
 * as normalize.ts's are, so no caller can change another span's resource through its own.
 */
function frozen<T>(v: T, depth: number): T {
  if (v !== null && typeof v === 'object') {
    if (depth > MAX_FREEZE_DEPTH) throw corrupt(`holds an attribute value nested more than ${MAX_FREEZE_DEPTH - 2} levels deep`);
    Object.freeze(v);
    const keys = Object.keys(v);
    for (let i = 0; i < keys.length; i++) frozen((v as Record<string, unknown>)[keys[i]], depth + 1);
  }
  return v;
}

function readEvents(r: SpanReader, startNs: bigint): SpanEvent[] {
  const n = r.varint('events count');
  // Each event takes at least 4 bytes: a count beyond that is a lie, not a reason to loop.
  if (n === 0 || n * 4 > r.end - r.pos) throw corrupt(`events count ${n} does not fit the record`);
  const events: SpanEvent[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const z = r.varint64('event time');
    const timeNs = startNs + ((z & 1n) === 0n ? z >> 1n : -((z + 1n) >> 1n));
    if (timeNs < 0n || timeNs > MAX_NS) throw corrupt(`event time ${timeNs} is outside [0, 2^63)`);
    const name = r.string('event name');
    const attributes = r.attributes('event attributes');
    events[i] = { name, timeNs, attributes, droppedAttributesCount: r.varint('event dropped count') };
  }
  return events;
}

function readLinks(r: SpanReader): SpanLink[] {
  const n = r.varint('links count');
  // Each link takes at least 28 bytes.
  if (n === 0 || n * 28 > r.end - r.pos) throw corrupt(`links count ${n} does not fit the record`);
  const links: SpanLink[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const traceId = r.id(16, 'link trace id');
    const spanId = r.id(8, 'link span id');
    const flags = r.varint('link flags');
    const traceState = r.string('link traceState');
    const attributes = r.attributes('link attributes');
    const droppedAttributesCount = r.varint('link dropped count');
    links[i] = traceState === ''
      ? { traceId, spanId, flags, attributes, droppedAttributesCount }
      : { traceId, spanId, traceState, flags, attributes, droppedAttributesCount };
  }
  return links;
}

/**
 * What records after a decoded buffer may refer to: the resources and scopes of the last
 * SPAN_CHAIN_WINDOW full parts of each kind, oldest first (refs count back from the end).
 */
export interface SpanChainState {
  readonly resources: readonly SpanResource[];
  readonly scopes: readonly InstrumentationScope[];
}

export interface DecodedSpanRecords {
  /** Write sequence of each span. */
  seqs: Float64Array;
  spans: Span[];
  /** Pass it on to decode records that continue these (a hot chunk's later records). */
  chain: SpanChainState;
}

/** The decoder's side of the writer's window: the last SPAN_CHAIN_WINDOW full parts of one kind, in a ring. */
class ChainWindow<T> {
  private readonly ring: T[] = new Array(SPAN_CHAIN_WINDOW);
  private fulls = 0;

  constructor(prev: readonly T[] | undefined) {
    if (prev !== undefined) for (let i = Math.max(0, prev.length - SPAN_CHAIN_WINDOW); i < prev.length; i++) this.add(prev[i]);
  }

  add(v: T): void {
    this.ring[this.fulls & WINDOW_MASK] = v;
    this.fulls++;
  }

  /** The part `back` full parts before the newest; CORRUPT past the window or what was seen. */
  ref(back: number, what: string, at: number): T {
    const n = this.fulls < SPAN_CHAIN_WINDOW ? this.fulls : SPAN_CHAIN_WINDOW;
    if (back >= n) throw corrupt(`at byte ${at}: ${what} ref ${back} names a full part past the ${n} known`);
    return this.ring[(this.fulls - 1 - back) & WINDOW_MASK];
  }

  /** Oldest first, as SpanChainState holds them. */
  list(): T[] {
    const n = this.fulls < SPAN_CHAIN_WINDOW ? this.fulls : SPAN_CHAIN_WINDOW;
    const out: T[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.ring[(this.fulls - n + i) & WINDOW_MASK];
    return out;
  }
}

/**
 * Decodes a buffer of concatenated records. Throws CodecError TRUNCATED when the buffer ends inside
 * a record, CORRUPT on impossible values (unknown kind/status, seq >= 2^53, times outside [0, 2^63),
 * parts overrunning the record's length or leaving bytes, a ref past the full parts seen). A buffer
 * that starts at a chain's start (a writer's first record, or the first after breakChain()) decodes
 * alone; one that continues records decoded before needs their `chain`. The decoder never knows
 * where chains restart, and needs not: refs count back from the newest full part, and a writer never
 * refers past its chain's start, so the window it refers into is the tail of the decoder's. Each span
 * gets its own attributes, events and links; resources and scopes are shared and frozen (`frozen`).
 */
export function decodeSpanRecords(bytes: Uint8Array, prev?: SpanChainState): DecodedSpanRecords {
  const buf = bufferView(bytes);
  const r = new SpanReader(buf);
  const resourceParts = new PartMemo(parseResource);
  const scopeParts = new PartMemo(parseScope);
  const resources = new ChainWindow(prev?.resources);
  const scopes = new ChainWindow(prev?.scopes);
  const spans: Span[] = [];
  const seqList: number[] = [];
  let p = 0;
  while (p < buf.length) {
    const end = p + spanRecordLength(buf, p);
    const seq = readSeq(buf, p);
    const startNs = buf.readBigInt64LE(p + REC_START_NS);
    if (startNs < 0n) throw corrupt(`at byte ${p}: startNs ${startNs} is negative`);
    const flags = buf[p + REC_FLAGS];
    const ks = buf[p + REC_KIND_STATUS];
    const kind = SPAN_KINDS[ks & 7];
    const code = STATUS_CODES[ks >> 3];
    if ((ks & ~KIND_STATUS_BITS) !== 0 || kind === undefined || code === undefined) throw corrupt(`at byte ${p}: kind/status byte ${ks} is invalid`);
    const traceId = hexOf(buf, p + REC_TRACE_ID, 16);
    const spanId = hexOf(buf, p + REC_SPAN_ID, 8);
    r.pos = p + SPAN_RECORD_FIXED_BYTES;
    r.end = end;
    const parentSpanId = flags & FLAG_PARENT ? r.id(8, 'parent span id') : undefined;
    let resource: SpanResource;
    if (flags & FLAG_RESOURCE_REF) resource = resources.ref(r.varint('resource ref'), 'resource', p);
    else resources.add((resource = resourceParts.read(r, 'resource')));
    let scope: InstrumentationScope;
    if (flags & FLAG_SCOPE_REF) scope = scopes.ref(r.varint('scope ref'), 'scope', p);
    else scopes.add((scope = scopeParts.read(r, 'scope')));
    const endNs = startNs + r.varint64('duration');
    if (endNs > MAX_NS) throw corrupt(`at byte ${p}: endNs ${endNs} is >= 2^63`);
    const spanFlags = r.varint('flags');
    let dA = 0;
    let dE = 0;
    let dL = 0;
    if (flags & FLAG_DROPPED) {
      dA = r.varint('dropped attributes count');
      dE = r.varint('dropped events count');
      dL = r.varint('dropped links count');
    }
    const name = r.string('name');
    const attributes = r.attributes('attributes');
    const events = flags & FLAG_EVENTS ? readEvents(r, startNs) : [];
    const links = flags & FLAG_LINKS ? readLinks(r) : [];
    const status: SpanStatus = flags & FLAG_STATUS_MESSAGE ? { code, message: r.nonEmpty('status message') } : { code };
    const traceState = flags & FLAG_TRACE_STATE ? r.nonEmpty('traceState') : undefined;
    if (r.pos !== end) throw corrupt(`at byte ${p} has ${end - r.pos} bytes after its last part`);
    spans.push(
      makeSpan(traceId, spanId, parentSpanId, name, kind, startNs, endNs, status, attributes, events, links,
        resource, scope, traceState, spanFlags, dA, dE, dL),
    );
    seqList.push(seq);
    p = end;
  }
  return { seqs: Float64Array.from(seqList), spans, chain: { resources: resources.list(), scopes: scopes.list() } };
}
