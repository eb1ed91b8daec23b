// Attributes, columnar by key. An entry's categorical part goes into its row signature
// (signature.ts): its shape (the ordered list of its keys, a per-block dictionary, so key order
// round-trips and presence is implied) and, per value, a type tag plus the template id of string
// values. Each key keeps only value streams:
//   ints   varint(zigzag(v))                       safe integers with |v| < 2^52
//   decs   varint(zigzag(mantissa) * 16 + scale)   numbers that are exactly mantissa / 10^scale
//   f64s   8 bytes LE                              every other finite number
// Values that are a piece of the entry's own message ("GET /api/items/42 200 3.1ms" carries the
// url.path, status and duration_ms attributes) are stored as references to the message's variables,
// entirely in the signature. String values (and arrays/objects as JSON text) are string-column instances (string-columns.ts).
// Values follow JSON semantics, exactly as the entry record (JSON text) keeps them: non-finite
// numbers are null, -0 is 0, undefined/function/symbol values drop their key, toJSON is honoured.
// Keys are stored as JSON string literals (a lone surrogate survives, as in JSON).
import { Buffer } from 'node:buffer';
import { CodecError } from '../errors.js';
import type { AttrValue, Attributes } from './attr-types.js';
import type { BodyCuts } from './block-parts.js';
import { ByteReader, ByteWriter, corrupt, unzigzag, zigzag } from './bytes.js';
import type { SignatureSink } from './signature.js';
import type { CachedInstance, StringColumnsDecoder, StringColumnsEncoder } from './string-columns.js';
import { VT_DEC, VT_INT, type VarSink } from './templates.js';

export const TAG_STR = 0;
export const TAG_INT = 1;
export const TAG_DEC = 2;
export const TAG_F64 = 3;
export const TAG_TRUE = 4;
export const TAG_FALSE = 5;
export const TAG_NULL = 6;
export const TAG_JSON = 7;
/**
 * The value is a piece of the entry's message. Signature parts: a, b, c, d with start = (a === 0 ?
 * 0 : end of message variable a - 1) + b and end = (c === 0 ? 0 : end of variable c - 1) + d. Anchored
 * on variables, these numbers depend only on the message template, so they cost nothing per entry.
 */
export const TAG_MSG_STR = 8;
/** The value is Number(text of message variable k); signature part: k. */
export const TAG_MSG_NUM = 9;
/**
 * An integer |v| < 2^30 the caller declared frequent for its key (constInts): the value is a
 * signature part, zigzag(v), so a server port or a status code costs nothing per row.
 */
export const TAG_CONST_INT = 10;
const CONST_INT_LIMIT = 2 ** 30;

const INT_LIMIT = 2 ** 52;
const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);
const RECENT_VALUES = 6;
/** Placeholder while a factory builds the object (never returned). */
const EMPTY_ATTRS: Attributes = Object.freeze({}) as Attributes;
/** Values tried before a key's message references (or cache use) are judged. */
const TRIAL = 64;

interface KeyColumn {
  key: string;
  /** UTF-8 bytes of the key's JSON text and its ':' (raw size measuring). */
  keyBytes: number;
  ints: ByteWriter;
  decs: ByteWriter;
  f64s: ByteWriter;
  /** Whether this key's string values go into the block's tokenization cache (see string()). */
  cache: boolean;
  cacheHits: number;
  cacheMisses: number;
  /** Integer values that go into the signature (constInts). */
  constInts: ReadonlySet<number> | undefined;
  /** Whether values are looked up in the entry's message; judged after TRIAL tries. */
  refer: boolean;
  referTries: number;
  referHits: number;
  /** Recent distinct values and their cached forms (a ring: replaced round-robin). */
  recentValues: string[];
  recentForms: CachedInstance[];
  recentNext: number;
}

/**
 * Shape trie node. Children are few (usually one), so a flat [key, keyId, node, ...] array beats a
 * Map: keys of parsed objects are internalized strings, so the === is a pointer compare.
 */
interface ShapeNode {
  id: number;
  kids: (string | number | ShapeNode)[];
}

/**
 * Packed DEC value of v when v is exactly m / 10^scale for an integer m of < 14 digits and scale
 * 1..14 (decoding computes that same division, so the number comes back bit-exact), else -1.
 * Arithmetic instead of String(v): this runs for every fractional attribute value.
 */
function decimalOf(v: number): number {
  for (let scale = 1; scale <= 14; scale++) {
    const p = POW10[scale];
    const m = Math.round(v * p);
    if (m >= 1e14 || m <= -1e14) return -1;
    if (m / p === v) return zigzag(m === 0 ? 0 : m) * 16 + scale;
  }
  return -1;
}

/** UTF-8 bytes of JSON.stringify(s) for a well-formed string (quotes and escapes included). */
export function jsonStringBytes(s: string): number {
  let n = 2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c === 0x22 || c === 0x5c) n += 2;
      else if (c >= 0x20) n += 1;
      else n += c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 2 : 6;
    } else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4; // a pair (the string is well-formed)
      i++;
    } else n += 3;
  }
  return n;
}

/** Whether someone added an enumerable property to Object.prototype (then for-in sees it everywhere). */
function objectPrototypeEnumerable(): boolean {
  for (const _ in {}) return true;
  return false;
}

const nativeWellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;

/** No lone surrogates (String.prototype.isWellFormed where the runtime has it). */
function isWellFormed(s: string): boolean {
  if (nativeWellFormed !== undefined) return nativeWellFormed.call(s);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c >= 0xdc00 || i + 1 >= s.length) return false;
    const d = s.charCodeAt(i + 1);
    if (d < 0xdc00 || d > 0xdfff) return false;
    i++;
  }
  return true;
}

function invalid(message: string): CodecError {
  return new CodecError('INVALID_INPUT', message);
}

/** The current entry's message and where its variables are in the message columns' sink. */
interface MessageContext {
  text: string;
  varStart: number;
  varEnd: number;
}

export class AttrColumnsEncoder {
  private readonly keyIds = new Map<string, number>();
  readonly columns: KeyColumn[] = [];
  private readonly root: ShapeNode = { id: -1, kids: [] };
  private readonly shapes: number[][] = [];
  /** Key ids of the current entry (a reused buffer: `length = 0` would free a JS array's storage). */
  private path = new Int32Array(64);
  private pathLen = 0;
  /** Checked once per block: encoding is synchronous, nobody can change Object.prototype meanwhile. */
  private readonly protoClean = !objectPrototypeEnumerable();
  private readonly msg: MessageContext = { text: '', varStart: 0, varEnd: 0 };
  /** The signature being built (set per entry by add()). */
  private sig!: SignatureSink;
  /**
   * With `measure`: UTF-8 bytes of JSON.stringify(attributes) of the entry add() last saw (0 for
   * an empty object, as the entry record stores it), or -1 when that cannot be told cheaply (an
   * object with its own toJSON): the block's raw size without re-serializing every entry.
   */
  jsonBytes = 0;
  measure = false;
  /** JSON bytes of the value value() last encoded (with measure). */
  private valueBytes = 0;
  /**
   * Per key, integer values (|v| < 2^30) that go into the signature (TAG_CONST_INT) instead of the
   * key's ints: values frequent in the block (ports, status codes), chosen by the caller.
   */
  constInts: ReadonlyMap<string, ReadonlySet<number>> | undefined;
  /** String values stored as templates of their own (StringColumnsEncoder.addLiteral), chosen by the caller. */
  literalValues: ReadonlySet<string> | undefined;

  /**
   * @param strings the string columns of attribute values
   * @param msgVars the message string columns' variables (message references read their positions)
   */
  constructor(
    private readonly strings: StringColumnsEncoder,
    private readonly msgVars: VarSink,
  ) {}

  get keys(): string[] {
    return this.columns.map((c) => c.key);
  }

  /** The keys of shape `id` (the last value add() pushed), in order. */
  shapeKeys(id: number): string[] {
    const s = this.shapes[id];
    return s === undefined ? [] : s.map((k) => this.columns[k].key);
  }

  /**
   * Encodes one entry's attributes: per value its tag and parts go to the signature, then the
   * entry's shape id (last, as the shape is known only once every key was seen).
   */
  add(attrs: Attributes, message: string, msgVarStart: number, msgVarEnd: number, sig: SignatureSink): void {
    if (attrs === null || typeof attrs !== 'object' || Array.isArray(attrs)) throw invalid('attributes is not a plain object');
    this.msg.text = message;
    this.msg.varStart = msgVarStart;
    this.msg.varEnd = msgVarEnd;
    // for-in also walks inherited enumerable keys; JSON (and so the entry record) takes own keys
    // only. Plain objects inherit nothing enumerable, so the own-key check is needed only otherwise.
    const proto = Object.getPrototypeOf(attrs) as unknown;
    const plain = (proto === Object.prototype && this.protoClean) || proto === null;
    let node = this.root;
    this.pathLen = 0;
    this.sig = sig;
    const measure = this.measure;
    let bytes = 1; // '{'
    this.jsonBytes = measure && typeof (attrs as { toJSON?: unknown }).toJSON === 'function' ? -1 : 0;
    for (const key in attrs) {
      if (!plain && !Object.prototype.hasOwnProperty.call(attrs, key)) continue;
      let v = attrs[key] as unknown;
      if (typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
        v = (v as { toJSON: (k: string) => unknown }).toJSON(key);
      }
      const t = typeof v;
      if (t === 'undefined' || t === 'function' || t === 'symbol') continue; // JSON drops the key
      if (t === 'bigint') throw invalid(`attribute ${JSON.stringify(key)} is a bigint (not JSON)`);
      const kids = node.kids;
      let kid = -1;
      let next: ShapeNode | undefined;
      for (let i = 0; i < kids.length; i += 3) {
        if (kids[i] === key) {
          kid = kids[i + 1] as number;
          next = kids[i + 2] as ShapeNode;
          break;
        }
      }
      if (next === undefined) {
        kid = this.keyIds.get(key) ?? this.newColumn(key);
        next = { id: -1, kids: [] };
        kids.push(key, kid, next);
      }
      const col = this.columns[kid];
      this.value(col, v as AttrValue);
      if (measure) bytes += col.keyBytes + (this.pathLen > 0 ? 1 : 0) + this.valueBytes;
      if (this.pathLen === this.path.length) {
        const p = new Int32Array(this.pathLen * 2);
        p.set(this.path);
        this.path = p;
      }
      this.path[this.pathLen++] = kid;
      node = next;
    }
    if (node.id < 0) {
      node.id = this.shapes.length;
      this.shapes.push(Array.from(this.path.subarray(0, this.pathLen)));
    }
    sig.push(node.id);
    if (measure && this.jsonBytes !== -1) this.jsonBytes = this.pathLen === 0 ? 0 : bytes + 1;
  }

  private newColumn(key: string): number {
    const kid = this.columns.length;
    this.keyIds.set(key, kid);
    this.columns.push({
      key, keyBytes: Buffer.byteLength(JSON.stringify(key), 'utf8') + 1, ints: new ByteWriter(256), decs: new ByteWriter(256), f64s: new ByteWriter(64),
      cache: true, cacheHits: 0, cacheMisses: 0, constInts: this.constInts?.get(key), refer: true, referTries: 0, referHits: 0,
      recentValues: [], recentForms: [], recentNext: 0,
    });
    return kid;
  }

  private value(col: KeyColumn, v: AttrValue): void {
    const parts = this.sig;
    switch (typeof v) {
      case 'string': {
        if (!isWellFormed(v)) {
          // A lone surrogate has no UTF-8 form; JSON text escapes it, as the entry record does.
          const json = JSON.stringify(v);
          if (this.measure) this.valueBytes = Buffer.byteLength(json, 'utf8');
          parts.push2(TAG_JSON, this.strings.add(json));
          return;
        }
        if (this.measure) this.valueBytes = jsonStringBytes(v);
        if (this.literalValues !== undefined && this.literalValues.has(v)) {
          parts.push2(TAG_STR, this.strings.addLiteral(v));
          return;
        }
        if (col.refer && v.length >= 2) {
          const at = this.msg.text.indexOf(v);
          if (this.judgeRefer(col, at >= 0)) {
            this.pushPiece(at, at + v.length);
            return;
          }
        }
        parts.push2(TAG_STR, this.string(col, v));
        return;
      }
      case 'boolean':
        if (this.measure) this.valueBytes = v ? 4 : 5;
        parts.push(v ? TAG_TRUE : TAG_FALSE);
        return;
      case 'number': {
        if (!Number.isFinite(v)) {
          if (this.measure) this.valueBytes = 4; // null
          parts.push(TAG_NULL);
          return;
        }
        if (this.measure) this.valueBytes = String(v).length; // JSON's number text, ASCII
        if (col.refer && this.msg.varEnd > this.msg.varStart) {
          const k = this.messageVarOf(v);
          if (this.judgeRefer(col, k >= 0)) {
            parts.push2(TAG_MSG_NUM, k - this.msg.varStart);
            return;
          }
        }
        if (col.constInts !== undefined && col.constInts.has(v) && Number.isInteger(v) && v > -CONST_INT_LIMIT && v < CONST_INT_LIMIT) {
          parts.push2(TAG_CONST_INT, zigzag(v === 0 ? 0 : v));
          return;
        }
        if (Number.isInteger(v) && v > -INT_LIMIT && v < INT_LIMIT) {
          parts.push(TAG_INT);
          col.ints.varint(zigzag(v === 0 ? 0 : v));
          return;
        }
        const d = decimalOf(v);
        if (d >= 0) {
          parts.push(TAG_DEC);
          col.decs.varint(d);
          return;
        }
        parts.push(TAG_F64);
        col.f64s.f64(v);
        return;
      }
      default: {
        if (v === null) {
          if (this.measure) this.valueBytes = 4;
          parts.push(TAG_NULL);
          return;
        }
        let json: string;
        try {
          json = JSON.stringify(v);
        } catch (err) {
          throw invalid(`attribute ${JSON.stringify(col.key)} cannot be serialized as JSON: ${(err as Error).message}`);
        }
        if (this.measure) this.valueBytes = json === undefined ? -Infinity : Buffer.byteLength(json, 'utf8');
        parts.push2(TAG_JSON, this.strings.add(json));
      }
    }
  }

  /**
   * Whether to store this value as a message reference (found). Keys whose values are seldom in
   * the message stop looking after a trial, which keeps indexOf off the hot path for them.
   */
  private judgeRefer(col: KeyColumn, found: boolean): boolean {
    if (found) col.referHits++;
    if (++col.referTries === TRIAL && col.referHits * 4 < TRIAL) col.refer = false;
    return found;
  }

  /** Signature parts of a message piece [start, end) anchored on the message's variables. */
  private pushPiece(start: number, end: number): void {
    const { ends } = this.msgVars;
    const { varStart, varEnd } = this.msg;
    let a = varStart;
    while (a < varEnd && ends[a] <= start) a++;
    let c = a;
    while (c < varEnd && ends[c] <= end) c++;
    // a - varStart variables end at or before start: anchor on the last of them (0 = the message start).
    const ia = a - varStart;
    const ic = c - varStart;
    this.sig.push(TAG_MSG_STR);
    this.sig.push(ia);
    this.sig.push(start - (ia === 0 ? 0 : ends[a - 1]));
    this.sig.push(ic);
    this.sig.push(end - (ic === 0 ? 0 : ends[c - 1]));
  }

  /** Index (in the sink) of a numeric message variable whose text parses to exactly v, or -1. */
  private messageVarOf(v: number): number {
    const { types, nums } = this.msgVars;
    for (let k = this.msg.varStart; k < this.msg.varEnd; k++) {
      const t = types[k];
      if (t === VT_INT) {
        if (nums[k] === v) return k;
      } else if (t === VT_DEC) {
        const p = nums[k];
        const scale = p % 16;
        if (unzigzag((p - scale) / 16) / POW10[scale] === v) return k;
      }
    }
    return -1;
  }

  /**
   * A string value's template id. Values of a key often repeat, near each other (a request's id on
   * each of its lines) or anywhere in the block (methods, routes, SQL, user agents): a few recent
   * values are compared first, then the block's tokenization cache. Keys whose values the cache
   * rarely finds stop feeding it after a short trial, so per-request ids do not crowd it out.
   */
  private string(col: KeyColumn, v: string): number {
    if (!col.cache) return this.strings.add(v);
    const values = col.recentValues;
    for (let i = 0; i < values.length; i++) {
      if (values[i] === v) {
        const form = col.recentForms[i];
        this.strings.replay(form);
        col.cacheHits++;
        return form.tpl;
      }
    }
    let form = this.strings.cached(v);
    if (form !== undefined) {
      col.cacheHits++;
      this.strings.replay(form);
    } else {
      form = this.strings.addSnapshot(v, true);
      // Mostly new values (ids, paths with ids): plain scanning is cheaper than remembering them.
      if (++col.cacheMisses >= TRIAL && col.cacheHits < col.cacheMisses) col.cache = false;
    }
    const at = col.recentNext;
    values[at] = v;
    col.recentForms[at] = form;
    col.recentNext = at + 1 === RECENT_VALUES ? 0 : at + 1;
    return form.tpl;
  }

  /** Keys and shapes. */
  writeDict(out: ByteWriter): void {
    const w = new ByteWriter(256);
    w.varint(this.columns.length);
    for (const c of this.columns) w.string(JSON.stringify(c.key));
    w.varint(this.shapes.length);
    for (const s of this.shapes) {
      w.varint(s.length);
      for (const k of s) w.varint(k);
    }
    out.section(w);
  }

  /**
   * The value streams of the entries added since the last call, then empties them (a paged block
   * writes each page's streams apart and the key dictionary once, at the end):
   *   varint nKeys, per key with values: varint (keyId - previous keyId - 1), u8 mask (1 ints,
   *   2 decs, 4 f64s), the sections the mask names
   */
  writeColumnsPage(out: ByteWriter): void {
    let nKeys = 0;
    for (const c of this.columns) if (c.ints.pos + c.decs.pos + c.f64s.pos > 0) nKeys++;
    out.varint(nKeys);
    let prev = -1;
    for (let k = 0; k < this.columns.length; k++) {
      const c = this.columns[k];
      if (c.ints.pos + c.decs.pos + c.f64s.pos === 0) continue;
      out.varint(k - prev - 1);
      prev = k;
      out.u8((c.ints.pos > 0 ? 1 : 0) | (c.decs.pos > 0 ? 2 : 0) | (c.f64s.pos > 0 ? 4 : 0));
      if (c.ints.pos > 0) out.section(c.ints);
      if (c.decs.pos > 0) out.section(c.decs);
      if (c.f64s.pos > 0) out.section(c.f64s);
      c.ints.reset();
      c.decs.reset();
      c.f64s.reset();
    }
  }

  /** Per key (dictionary order): ints, decs, f64s. */
  writeColumns(out: ByteWriter, cuts?: BodyCuts): void {
    for (const c of this.columns) {
      out.section(c.ints);
      cuts?.mark(out.pos);
      out.section(c.decs);
      cuts?.mark(out.pos);
      out.section(c.f64s);
      cuts?.mark(out.pos);
    }
  }
}

interface KeyReaders {
  key: string;
  /** '__proto__' must be defined, not assigned (assignment would set the prototype). */
  define: boolean;
  ints: ByteReader;
  decs: ByteReader;
  f64s: ByteReader;
}

/**
 * Number(text of message[start, end)) without slicing the text: the canonical numbers the encoder
 * refers to (`-?digits`, `-?digits.digits`, <= 15 digits) are parsed by hand - m / 10^s is the
 * correctly rounded value, as Number() is - anything else goes through Number().
 */
function numberAt(message: string, start: number, end: number): number {
  let i = start;
  const neg = i < end && message.charCodeAt(i) === 45;
  if (neg) i++;
  let m = 0;
  let digits = 0;
  let scale = -1;
  for (; i < end; i++) {
    const c = message.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (scale >= 0) scale++;
    } else if (c === 46 && scale < 0 && digits > 0) scale = 0;
    else return Number(message.slice(start, end));
  }
  if (digits === 0 || digits > 15 || scale === 0) return Number(message.slice(start, end));
  const v = scale > 0 ? m / POW10[scale] : m;
  return neg ? -v : v;
}

const NO_POSITIONS = new Int32Array(0);

/** Builds one shape's attributes object from its values in key order. */
type ShapeFactory = (v: AttrValue[]) => Attributes;

/** Factories by key list (JSON text), shared across blocks: shapes repeat block after block. */
const FACTORIES = new Map<string, ShapeFactory>();
const FACTORIES_MAX = 4096;
/** Larger shapes are built key by key (a literal that big is rare and compiles slowly). */
const FACTORY_MAX_KEYS = 64;

/**
 * A function returning an object literal with these keys, in this order: the object is allocated
 * once with its final size and hidden class (assigning key by key grows it, and its property
 * storage, several times). Keys are JSON string literals (valid JS literals, lone surrogates
 * escaped); '__proto__' is a computed key, which defines an own property as JSON.parse does.
 * Undefined for shapes that repeat a key (only a corrupt block has them; they take the slow path).
 */
function shapeFactory(keys: string[]): ShapeFactory | undefined {
  if (keys.length > FACTORY_MAX_KEYS) return undefined;
  const id = JSON.stringify(keys);
  let f = FACTORIES.get(id);
  if (f !== undefined) return f;
  if (new Set(keys).size !== keys.length) return undefined;
  const props = keys.map((k, i) => `${k === '__proto__' ? '["__proto__"]' : JSON.stringify(k)}: v[${i}]`);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- keys are JSON literals, see above
  f = new Function('v', `return { ${props.join(', ')} };`) as ShapeFactory;
  if (FACTORIES.size >= FACTORIES_MAX) FACTORIES.clear();
  FACTORIES.set(id, f);
  return f;
}

/** AttrColumnsDecoder.tupleValue(): the key is not among the attributes / a number from a stream / not known from the tuple. */
export const ABSENT: unique symbol = Symbol('absent');
export const NUMBER: unique symbol = Symbol('number');
export const UNKNOWN: unique symbol = Symbol('unknown');

export class AttrColumnsDecoder {
  private readonly keys: string[] = [];
  private readonly shapes: Int32Array[] = [];
  private readonly cols: KeyReaders[] = [];
  /** Per shape: its factory, null when it has none, undefined until first used. */
  private readonly factories: (ShapeFactory | null | undefined)[] = [];
  /** Values of the entry being read, in key order (reused). */
  private vals: AttrValue[] = [];
  /**
   * Values deferred per stream (defer(): key * 3 + 0 ints / 1 decs / 2 f64s), consumed when a read
   * needs that stream; undefined until the first defer.
   */
  private pending: Int32Array | undefined;
  /** Key -> key index (tupleValue()), built on first use. */
  private keyIndex: Map<string, number> | undefined;
  private strings: StringColumnsDecoder;

  /** `strings` may come later (readColumnsPage): a paged reader looks at tuples before it reads a page. */
  constructor(dict: ByteReader, strings?: StringColumnsDecoder) {
    this.strings = strings!;
    const nK = dict.bounded('key count', dict.remaining);
    for (let i = 0; i < nK; i++) {
      let key: unknown;
      try {
        key = JSON.parse(dict.string('key'));
      } catch {
        throw corrupt('attribute key is not a JSON string');
      }
      if (typeof key !== 'string') throw corrupt('attribute key is not a JSON string');
      this.keys.push(key);
    }
    const nS = dict.bounded('shape count', dict.remaining);
    for (let i = 0; i < nS; i++) {
      const len = dict.bounded('shape length', Math.min(nK, dict.remaining));
      const s = new Int32Array(len);
      for (let j = 0; j < len; j++) s[j] = dict.bounded('shape key', nK - 1);
      this.shapes.push(s);
    }
  }

  /**
   * Reads one page's value streams (AttrColumnsEncoder.writeColumnsPage), replacing the previous
   * page's; `strings` are the page's string columns (the key dictionary stays).
   */
  readColumnsPage(page: ByteReader, strings: StringColumnsDecoder): void {
    this.strings = strings;
    this.cols.length = 0;
    this.pending?.fill(0);
    const nK = this.keys.length;
    const empty = new ByteReader(page.buf, 0, 0);
    for (const key of this.keys) this.cols.push({ key, define: key === '__proto__', ints: empty, decs: empty, f64s: empty });
    const n = page.bounded('page key count', Math.min(nK, page.remaining));
    let k = -1;
    for (let i = 0; i < n; i++) {
      k += 1 + page.varint('page key id');
      if (k >= nK) throw corrupt('page key id is out of range');
      const mask = page.u8('page key streams');
      if (mask === 0 || mask > 7) throw corrupt(`page key stream mask ${mask} is invalid`);
      const c = this.cols[k];
      if (mask & 1) c.ints = page.section('attribute ints');
      if (mask & 2) c.decs = page.section('attribute decimals');
      if (mask & 4) c.f64s = page.section('attribute floats');
    }
  }

  /** Reads the per-key value streams (they follow the other columns in the body). */
  readColumns(body: ByteReader): void {
    for (const key of this.keys) {
      this.cols.push({
        key, define: key === '__proto__',
        ints: body.section('attribute ints'), decs: body.section('attribute decimals'),
        f64s: body.section('attribute floats'),
      });
    }
  }

  /**
   * The attributes described by sig[at...] (per value its tag and parts, then the shape id). `pos`
   * holds the message's variable positions as (start, end) pairs from pos[p0], nVars of them.
   */
  read(sig: Int32Array, at: number, message: string, pos: Int32Array, p0: number, nVars: number): Attributes {
    return this.walk(sig, at, sig.length - 1, message, pos, p0, nVars, true);
  }

  /**
   * The attributes described by sig[at, end) (their shape id at end - 1), for tuples that hold more
   * than one attributes object and no message references (spans: the span's, each event's, each link's).
   */
  readRange(sig: Int32Array, at: number, end: number): Attributes {
    return this.walk(sig, at, end - 1, '', NO_POSITIONS, 0, 0, true);
  }

  /** Passes over the attributes described by sig[at, end) (as readRange, nothing is built). */
  skipRange(sig: Int32Array, at: number, end: number): void {
    this.walk(sig, at, end - 1, '', NO_POSITIONS, 0, 0, false);
  }

  /** Value streams (key * 3 + 0 ints / 1 decs / 2 f64s: the numbers usesRange() lists). */
  get streamCount(): number {
    return this.keys.length * 3;
  }

  /**
   * Passes over the next n values of a stream lazily (an attributes object not built: what
   * usesRange() listed for it; its string values are StringColumnsDecoder.defer's): they are
   * consumed when a later read needs that stream, never when none does.
   */
  defer(stream: number, n = 1): void {
    const p = (this.pending ??= new Int32Array(this.keys.length * 3));
    p[stream] += n;
  }

  /** Consumes the deferred values of one stream (before a read of it). */
  private settle(stream: number): void {
    const p = this.pending!;
    const n = p[stream];
    p[stream] = 0;
    const c = this.cols[(stream / 3) | 0];
    const kind = stream % 3;
    if (kind === 2) c.f64s.skip(n * 8, 'attribute floats');
    else {
      const r = kind === 0 ? c.ints : c.decs;
      for (let i = 0; i < n; i++) r.varint(kind === 0 ? 'attribute int' : 'attribute decimal');
    }
  }

  /**
   * What reading the attributes of sig[at, end) consumes, without consuming it: the string
   * template ids of their string and JSON values go to `templates`, their value streams (key * 3 +
   * 0 ints / 1 decs / 2 f64s) to `streams`. Throws CORRUPT where readRange would for the tuple
   * itself (message references, which need a message, are refused: paged tuples have none).
   */
  usesRange(sig: Int32Array, at: number, end: number, templates: number[], streams: number[]): void {
    const last = end - 1;
    const shape = last >= at && last < sig.length ? this.shapes[sig[last]] : undefined;
    if (shape === undefined) throw corrupt('signature has no valid shape id');
    let p = at;
    for (let i = 0; i < shape.length; i++) {
      if (p >= last) throw corrupt('signature ends inside the attributes');
      const k = shape[i];
      const tag = sig[p++];
      switch (tag) {
        case TAG_STR:
        case TAG_JSON:
          if (p >= last) throw corrupt('signature ends inside the attributes');
          templates.push(sig[p++]);
          break;
        case TAG_INT:
          streams.push(k * 3);
          break;
        case TAG_DEC:
          streams.push(k * 3 + 1);
          break;
        case TAG_F64:
          streams.push(k * 3 + 2);
          break;
        case TAG_CONST_INT:
          if (p >= last) throw corrupt('signature ends inside the attributes');
          p++;
          break;
        case TAG_TRUE:
        case TAG_FALSE:
        case TAG_NULL:
          break;
        default:
          throw corrupt(`attribute tag ${tag} is unknown here`);
      }
    }
    if (p !== last) throw corrupt('signature has trailing values');
  }

  /**
   * What the attributes of sig[at, end) say of `key` without reading any stream: ABSENT (not among
   * their keys), the value itself when the tuple holds it (true, false, null, a constant integer,
   * a string whose template `constantText` knows), NUMBER (a number stored in a stream) or UNKNOWN.
   * Throws CORRUPT for a malformed part.
   */
  tupleValue(sig: Int32Array, at: number, end: number, key: string, constantText: (t: number) => string | undefined): AttrValue | typeof ABSENT | typeof NUMBER | typeof UNKNOWN {
    let idx = this.keyIndex;
    if (idx === undefined) {
      idx = new Map();
      for (let i = 0; i < this.keys.length; i++) idx.set(this.keys[i], i);
      this.keyIndex = idx;
    }
    const want = idx.get(key);
    const last = end - 1;
    const shape = last >= at && last < sig.length ? this.shapes[sig[last]] : undefined;
    if (shape === undefined) throw corrupt('signature has no valid shape id');
    if (want === undefined) return ABSENT;
    let p = at;
    for (let i = 0; i < shape.length; i++) {
      if (p >= last) throw corrupt('signature ends inside the attributes');
      const tag = sig[p++];
      const hit = shape[i] === want;
      switch (tag) {
        case TAG_STR:
        case TAG_JSON:
        case TAG_CONST_INT:
        case TAG_MSG_NUM:
          if (p >= last) throw corrupt('signature ends inside the attributes');
          if (hit) {
            if (tag === TAG_CONST_INT) return unzigzag(sig[p]);
            if (tag === TAG_MSG_NUM) return NUMBER;
            // A JSON value is an array, an object or a string with a lone surrogate: unknown.
            return tag === TAG_STR ? constantText(sig[p]) ?? UNKNOWN : UNKNOWN;
          }
          p++;
          break;
        case TAG_MSG_STR:
          if (hit) return UNKNOWN;
          p += 4;
          break;
        default:
          if (hit) return tag === TAG_TRUE ? true : tag === TAG_FALSE ? false : tag === TAG_NULL ? null : tag === TAG_INT || tag === TAG_DEC || tag === TAG_F64 ? NUMBER : UNKNOWN;
      }
    }
    return ABSENT;
  }

  /** Passes over the attributes described by sig[at...]: their values are consumed, nothing is built. */
  skip(sig: Int32Array, at: number, message: string, pos: Int32Array, p0: number, nVars: number): void {
    this.walk(sig, at, sig.length - 1, message, pos, p0, nVars, false);
  }

  /** sig[at, last) are the values, sig[last] the shape id (last < sig.length). */
  private walk(sig: Int32Array, at: number, last: number, message: string, pos: Int32Array, p0: number, nVars: number, build: boolean): Attributes {
    const shape = last >= at && last < sig.length ? this.shapes[sig[last]] : undefined;
    if (shape === undefined) throw corrupt('signature has no valid shape id');
    const shapeId = sig[last];
    let factory = this.factories[shapeId];
    if (factory === undefined && build) {
      factory = shapeFactory(Array.from(shape, (k) => this.keys[k])) ?? null;
      this.factories[shapeId] = factory;
    }
    const vals = this.vals;
    let p = at;
    const out: Attributes = build && factory === null ? {} : EMPTY_ATTRS;
    for (let i = 0; i < shape.length; i++) {
      const c = this.cols[shape[i]];
      if (p >= last) throw corrupt('signature ends inside the attributes');
      const tag = sig[p++];
      let v: AttrValue;
      switch (tag) {
        case TAG_STR:
          if (p >= last) throw corrupt('signature ends inside the attributes');
          if (build) v = this.strings.read(sig[p++]);
          else {
            this.strings.skip(sig[p++]);
            v = null;
          }
          break;
        case TAG_INT:
          if (build && this.pending !== undefined && this.pending[shape[i] * 3] !== 0) this.settle(shape[i] * 3);
          v = unzigzag(c.ints.varint('attribute int'));
          break;
        case TAG_DEC: {
          if (build && this.pending !== undefined && this.pending[shape[i] * 3 + 1] !== 0) this.settle(shape[i] * 3 + 1);
          const d = c.decs.varint('attribute decimal');
          const scale = d % 16;
          if (scale === 0) throw corrupt('decimal with scale 0');
          v = unzigzag((d - scale) / 16) / POW10[scale];
          break;
        }
        case TAG_F64:
          if (build && this.pending !== undefined && this.pending[shape[i] * 3 + 2] !== 0) this.settle(shape[i] * 3 + 2);
          v = c.f64s.f64('attribute float');
          break;
        case TAG_TRUE:
          v = true;
          break;
        case TAG_CONST_INT:
          if (p >= last) throw corrupt('signature ends inside the attributes');
          v = unzigzag(sig[p++]);
          break;
        case TAG_FALSE:
          v = false;
          break;
        case TAG_NULL:
          v = null;
          break;
        case TAG_JSON: {
          if (p >= last) throw corrupt('signature ends inside the attributes');
          if (!build) {
            this.strings.skip(sig[p++]);
            v = null;
            break;
          }
          const text = this.strings.read(sig[p++]);
          try {
            v = JSON.parse(text) as AttrValue;
          } catch {
            throw corrupt('nested attribute value is not valid JSON');
          }
          break;
        }
        case TAG_MSG_STR: {
          if (p + 4 > last) throw corrupt('signature ends inside the attributes');
          const a = sig[p];
          const c = sig[p + 2];
          if (a > nVars || c > nVars) throw corrupt('message reference to a missing variable');
          const start = (a === 0 ? 0 : pos[p0 + 2 * a - 1]) + sig[p + 1];
          const end = (c === 0 ? 0 : pos[p0 + 2 * c - 1]) + sig[p + 3];
          p += 4;
          if (start > end || end > message.length) throw corrupt('message reference leaves the message');
          v = build ? message.slice(start, end) : null;
          break;
        }
        case TAG_MSG_NUM: {
          if (p >= last) throw corrupt('signature ends inside the attributes');
          const k = sig[p++];
          if (k >= nVars) throw corrupt('message reference to a missing variable');
          if (!build) {
            v = null;
            break;
          }
          v = numberAt(message, pos[p0 + 2 * k], pos[p0 + 2 * k + 1]);
          if (!Number.isFinite(v)) throw corrupt('numeric message reference is not a number');
          break;
        }
        default:
          throw corrupt(`attribute tag ${tag} is unknown`);
      }
      if (c === undefined) throw corrupt('attribute key is out of range');
      if (!build) continue;
      if (factory !== null) vals[i] = v;
      else if (c.define) Object.defineProperty(out, c.key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[c.key] = v;
    }
    if (p !== last) throw corrupt('signature has trailing values');
    if (!build) return out;
    return factory === null || factory === undefined ? out : factory(vals);
  }
}
