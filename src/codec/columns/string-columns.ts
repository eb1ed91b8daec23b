// Every string of a block (messages, string attribute values, nested values as JSON text) goes
// through one template dictionary: each string is an "instance" = template id + its variables. The
// variables are stored per (template, slot), template-major, so a slot's column holds one kind of
// value (a status code, a duration with 3 decimals, a request id), which the block's LZ stage and its
// entropy coder compress far better than text.
//
// Instances are decoded in the order they were added; the encoder adds all messages first, so a
// messages-only decode simply stops early.
//
// Slot value encodings (per slot, `mode` chosen by the encoder):
//   INT / PADINT / DEC   mode 0: varint(v) (PADINT/DEC packed values, INT when none is negative)
//                        or varint(zigzag(v)) (INT with a negative value);
//                        mode 1: varint(zigzag(v - previous v in the slot)) - counters and clocks;
//                        mode 2: one byte per value (every value, packed for PADINT/DEC, in 0..255);
//                        mode 3 (INT only): varint(zigzag(v)), when some value is negative
//   HEX / UUID / STR     varint code: 0 = a value follows (HEX: varint chars + nibble bytes;
//                        UUID: 16 bytes; STR: varint length + the ASCII text), c >= 1 = the c-th
//                        most recently added value
import { Buffer } from 'node:buffer';
import { ByteReader, ByteWriter, corrupt, truncated, unzigzag, varintSize, zigzag } from './bytes.js';
import { HEX_SLOTS, hexSlot, latin1Slice, utf8Slice, utf8Write } from './hex.js';
import {
  parseTemplate, sameTemplate, scan, templateText, VarSink,
  VT_DEC, VT_HEX, VT_INT, VT_PADINT, VT_STR, VT_SUB, VT_UUID, type ParsedTemplate,
} from './templates.js';

const MODE_RAW = 0;
const MODE_DELTA = 1;
/** Every value fits one byte (IP octets, small counts): the byte itself, no varint overhead. */
const MODE_U8 = 2;
/** INT slot with negative values: varint(zigzag(v)). */
const MODE_RAW_ZIGZAG = 3;
/** Distinct strings remembered per block for skipping re-tokenization (attribute values repeat). */
const CACHE_MAX = 8192;

/**
 * A scanned string kept for replay: its template id and its variables as [type, value, ...]
 * (plain arrays: far cheaper to allocate than typed-array copies).
 */
export interface CachedInstance {
  tpl: number;
  /** SUB variables hold the quoted string's own cached form. */
  vars: (number | string | CachedInstance)[];
}

const NO_VARS: (number | string | CachedInstance)[] = [];

export class StringColumnsEncoder {
  /** Template ids by template hash (a number, or an array on the rare collision). */
  private readonly byHash = new Map<number, number | number[]>();
  private readonly templates: string[] = [];
  private readonly parsed: ParsedTemplate[] = [];
  /** Variables of every instance so far (callers read a message's variables back from it). */
  readonly sink = new VarSink();
  private instTpl = new Int32Array(4096);
  private instVar = new Int32Array(4096);
  private nInst = 0;
  private readonly cache = new Map<string, CachedInstance>();
  /** Template ids of addLiteral()'s strings. */
  private readonly literals = new Map<string, number>();
  // Per-slot id caches for HEX/UUID slots (reused across slots via a generation number).
  private dictGen = 0;
  private readonly dictGen_ = new Int32Array(HEX_SLOTS);
  private readonly dictIds: string[] = new Array(HEX_SLOTS);
  private readonly dictAt = new Int32Array(HEX_SLOTS);
  /** An id slot's codes and new values' bytes, while it is written. */
  private readonly idCodes = new ByteWriter(1024);
  private readonly idRaw = new ByteWriter(4096);

  get templateCount(): number {
    return this.templates.length;
  }

  /**
   * Adds s as a template of its own, without variables: for values frequent enough in a block that
   * a dictionary entry beats storing their variables every time (a pod's IP address, a user
   * agent). Returns its template id (the same one for the same s).
   */
  addLiteral(s: string): number {
    let tpl = this.literals.get(s);
    if (tpl === undefined) {
      const text = templateText(s, this.sink, this.sink.n);
      tpl = this.templates.length;
      this.templates.push(text);
      this.parsed.push(parseTemplate(text)!);
      this.literals.set(s, tpl);
    }
    this.push(tpl, this.sink.n);
    return tpl;
  }

  /** Adds one string instance; returns its template id. */
  add(s: string): number {
    const varStart = this.sink.n;
    const tpl = this.templateId(s, scan(s, this.sink), varStart);
    const varEnd = this.sink.n;
    this.push(tpl, varStart);
    // Quoted strings are instances of their own, added after this one (the decoder meets them
    // in the same order: each template's instances are read back in the order they were added).
    for (let k = varStart; k < varEnd; k++) {
      if (this.sink.types[k] !== VT_SUB) continue;
      const sub = this.add(s.slice(this.sink.starts[k], this.sink.ends[k]));
      this.sink.nums[k] = sub; // after the call: adding may have grown (replaced) the sink's arrays
    }
    return tpl;
  }

  /**
   * Adds one string instance and returns its cached form, which replay() can add again. With
   * `remember`, the form also goes into the per-block cache that addCached() consults.
   */
  addSnapshot(s: string, remember: boolean): CachedInstance {
    const varStart = this.sink.n;
    const tpl = this.templateId(s, scan(s, this.sink), varStart);
    this.push(tpl, varStart);
    const n = this.sink.n - varStart;
    let vars = NO_VARS;
    if (n > 0) {
      vars = new Array<number | string | CachedInstance>(2 * n);
      for (let i = 0; i < n; i++) {
        const k = varStart + i;
        const t = this.sink.types[k];
        vars[2 * i] = t;
        if (t === VT_SUB) {
          const sub = this.addSnapshot(s.slice(this.sink.starts[k], this.sink.ends[k]), false);
          this.sink.nums[k] = sub.tpl;
          vars[2 * i + 1] = sub;
        } else vars[2 * i + 1] = t === VT_HEX || t === VT_UUID || t === VT_STR ? this.sink.strs[k] : this.sink.nums[k];
      }
    }
    const inst: CachedInstance = { tpl, vars };
    if (remember && this.cache.size < CACHE_MAX) this.cache.set(s, inst);
    return inst;
  }

  /** The cached form of s from the per-block cache, or undefined (nothing is added). */
  cached(s: string): CachedInstance | undefined {
    return this.cache.get(s);
  }

  /** Adds another instance of an already scanned string. */
  replay(inst: CachedInstance): void {
    this.push(inst.tpl, this.sink.n);
    const vars = inst.vars;
    let subs = false;
    // Positions only matter while matching a freshly scanned string's template.
    for (let i = 0; i < vars.length; i += 2) {
      const t = vars[i] as number;
      const v = vars[i + 1];
      if (typeof v === 'string') this.sink.str(t, v, 0, 0);
      else if (typeof v === 'number') this.sink.num(t, v, 0, 0);
      else {
        this.sink.num(t, v.tpl, 0, 0);
        subs = true;
      }
    }
    if (subs) {
      for (let i = 0; i < vars.length; i += 2) {
        const v = vars[i + 1];
        if (typeof v === 'object') this.replay(v);
      }
    }
  }

  /** Id of the template of s (scanned, its variables at sink[v0...]), created when new. */
  private templateId(s: string, hash: number, v0: number): number {
    const known = this.byHash.get(hash);
    if (known !== undefined) {
      if (typeof known === 'number') {
        if (sameTemplate(s, this.sink, v0, this.parsed[known])) return known;
      } else {
        for (const id of known) if (sameTemplate(s, this.sink, v0, this.parsed[id])) return id;
      }
    }
    const text = templateText(s, this.sink, v0);
    const id = this.templates.length;
    this.templates.push(text);
    this.parsed.push(parseTemplate(text)!);
    if (known === undefined) this.byHash.set(hash, id);
    else if (typeof known === 'number') this.byHash.set(hash, [known, id]);
    else known.push(id);
    return id;
  }

  private push(tpl: number, varStart: number): void {
    if (this.nInst === this.instTpl.length) {
      const a = new Int32Array(this.nInst * 2);
      a.set(this.instTpl);
      this.instTpl = a;
      const b = new Int32Array(this.nInst * 2);
      b.set(this.instVar);
      this.instVar = b;
    }
    this.instTpl[this.nInst] = tpl;
    this.instVar[this.nInst] = varStart;
    this.nInst++;
  }

  /**
   * The templates section (dictionary + per-slot mode and length) and the slots section, with the
   * offset in it where each slot ends (the block compresses big slots as parts of their own).
   */
  finish(): { templates: ByteWriter; slots: ByteWriter; slotEnds: number[]; slotSplits: number[] } {
    const nT = this.templates.length;
    const { start, byTpl } = this.byTemplate();
    const head = new ByteWriter(64 + nT * 48);
    const slots = new ByteWriter(64 + this.sink.n * 3);
    const slotEnds: number[] = [];
    const slotSplits: number[] = [];
    head.u8(LAYOUT_DICTIONARY);
    head.varint(nT);
    for (let t = 0; t < nT; t++) {
      head.string(this.templates[t]);
      const types = this.parsed[t].types;
      for (let j = 0; j < types.length; j++) {
        const at = slots.pos;
        const mode = this.writeSlot(slots, types[j], j, byTpl, start[t], start[t + 1], slotSplits);
        head.u8(mode);
        head.varint(slots.pos - at);
        slotEnds.push(slots.pos);
      }
    }
    return { templates: head, slots, slotEnds, slotSplits };
  }

  /**
   * Paged use (a block whose rows are cut into pages that decode on their own, one template
   * dictionary for all of them): the slots of the instances added since the last call, and the
   * page's slot table, then forgets those instances (templates and the cache stay). Table:
   *   varint nUsed, per template with variables and instances in the page (ascending ids):
   *   varint (id - previous id - 1), then per placeholder u8 mode + varint slotByteLength
   * The dictionary itself is writeTemplateTexts(), written once after the last page.
   */
  finishPage(): { table: ByteWriter; slots: ByteWriter } {
    const nT = this.templates.length;
    const { start, byTpl } = this.byTemplate();
    const table = new ByteWriter(64);
    const slots = new ByteWriter(64 + this.sink.n * 3);
    // Templates without variables have no slots: a page does not list them (any page reads them).
    let used = 0;
    for (let t = 0; t < nT; t++) if (start[t + 1] > start[t] && this.parsed[t].types.length > 0) used++;
    table.varint(used);
    let prev = -1;
    const splits: number[] = [];
    for (let t = 0; t < nT; t++) {
      const a = start[t];
      const b = start[t + 1];
      if (b === a || this.parsed[t].types.length === 0) continue;
      table.varint(t - prev - 1);
      prev = t;
      const types = this.parsed[t].types;
      for (let j = 0; j < types.length; j++) {
        const at = slots.pos;
        const mode = this.writeSlot(slots, types[j], j, byTpl, a, b, splits);
        table.u8(mode);
        table.varint(slots.pos - at);
      }
    }
    this.nInst = 0;
    this.sink.reset();
    return { table, slots };
  }

  /** The template dictionary of a paged use: varint nTemplates, nTemplates × string text. */
  writeTemplateTexts(out: ByteWriter): void {
    out.varint(this.templates.length);
    for (const t of this.templates) out.string(t);
  }

  /** Instances grouped by template, keeping their order (counting sort): byTpl[start[t], start[t + 1]) are t's. */
  private byTemplate(): { start: Int32Array; byTpl: Int32Array } {
    const nT = this.templates.length;
    const start = new Int32Array(nT + 1);
    for (let i = 0; i < this.nInst; i++) start[this.instTpl[i] + 1]++;
    for (let t = 0; t < nT; t++) start[t + 1] += start[t];
    const fill = start.slice(0, nT);
    const byTpl = new Int32Array(this.nInst);
    for (let i = 0; i < this.nInst; i++) byTpl[fill[this.instTpl[i]]++] = this.instVar[i];
    return { start, byTpl };
  }

  /**
   * Writes slot j (of type `type`) of the instances byTpl[a, b) to `slots`; returns its mode. Id
   * slots push the offset where their new values' bytes start onto `slotSplits`.
   */
  private writeSlot(slots: ByteWriter, type: number, j: number, byTpl: Int32Array, a: number, b: number, slotSplits: number[]): number {
    const { nums, strs } = this.sink;
    let mode = MODE_RAW;
    if (type === VT_INT || type === VT_PADINT || type === VT_DEC || type === VT_SUB) {
      // Raw, delta or bytes, whichever is smallest for this slot.
      let raw = 0;
      let delta = 0;
      let prev = 0;
      let min = Infinity;
      let max = -Infinity;
      for (let x = a; x < b; x++) {
        const v = nums[byTpl[x] + j];
        if (v < min) min = v;
        if (v > max) max = v;
        delta += varintSize(zigzag(v - prev));
        prev = v;
      }
      const signed = min < 0; // only INT values can be negative
      for (let x = a; x < b; x++) {
        const v = nums[byTpl[x] + j];
        raw += varintSize(signed ? zigzag(v) : v);
      }
      mode = delta < raw ? MODE_DELTA : MODE_RAW;
      if (min >= 0 && max <= 255 && b - a < Math.min(raw, delta)) mode = MODE_U8;
      prev = 0;
      for (let x = a; x < b; x++) {
        const v = nums[byTpl[x] + j];
        if (mode === MODE_DELTA) slots.varint(zigzag(v - prev));
        else if (mode === MODE_U8) slots.u8(v);
        else slots.varint(signed ? zigzag(v) : v);
        prev = v;
      }
      // Raw INT slots say whether they are zigzagged: mode 0 = unsigned, 3 = zigzag.
      if (mode === MODE_RAW && signed) mode = MODE_RAW_ZIGZAG;
    } else {
      // HEX / UUID / STR: a direct-mapped cache of this slot's values turns repeats of recent
      // values into references; values evicted from it are simply stored again. Codes (and
      // lengths) first, then the new values' bytes: small numbers and random bytes apart, so
      // the block can give them separate entropy tables (slotSplits).
      const gen = ++this.dictGen;
      const codes = this.idCodes;
      const raw = this.idRaw;
      codes.reset();
      raw.reset();
      let distinct = 0;
      for (let x = a; x < b; x++) {
        const s = strs[byTpl[x] + j];
        const h = type === VT_STR ? textSlot(s) : hexSlot(s);
        const refBase = type === VT_UUID ? UUID_REF_BASE : 1;
        if (this.dictGen_[h] === gen && this.dictIds[h] === s) {
          codes.varint(refBase - 1 + distinct - this.dictAt[h]);
          continue;
        }
        this.dictGen_[h] = gen;
        this.dictIds[h] = s;
        this.dictAt[h] = distinct++;
        writeNewId(codes, raw, type, s);
      }
      slots.varint(codes.pos);
      slots.append(codes);
      slotSplits.push(slots.pos);
      slots.append(raw);
    }
    return mode;
  }
}

/** A HEX / UUID / STR value stored in full: its code (and length) to `codes`, its bytes to `raw`. */
function writeNewId(codes: ByteWriter, raw: ByteWriter, type: number, s: string): void {
  if (type === VT_UUID) {
    raw.ensure(16);
    const buf = raw.buf;
    const at = raw.pos;
    uuidInto(s, buf, at);
    const b6 = buf[at + 6];
    const b8 = buf[at + 8];
    if ((b6 & 0xf0) === 0x40 && (b8 & 0xc0) === 0x80) {
      // Version 4 (random): 122 random bits in 15 bytes + 2 bits of the code.
      codes.u8(1 + (b8 & 3));
      buf[at + 6] = ((b6 & 0x0f) << 4) | ((b8 & 0x3f) >> 2);
      buf.copyWithin(at + 8, at + 9, at + 16); // drop byte 8
      raw.pos = at + 15;
    } else {
      codes.u8(0);
      raw.pos = at + 16;
    }
  } else if (type === VT_HEX) {
    codes.u8(0);
    codes.varint(s.length);
    writeHex(raw, s.length % 2 === 1 ? s + '0' : s);
  } else {
    codes.u8(0);
    codes.varint(s.length);
    raw.latin1(s);
  }
}

/** Cache slot of an ASCII id by FNV-1a over its length and up to 12 chars. */
function textSlot(s: string): number {
  let h = 0x811c9dc5 ^ s.length;
  const n = Math.min(12, s.length);
  for (let i = 0; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h ^ (h >>> 15)) & (HEX_SLOTS - 1);
}

/** The 16 bytes of a (validated) canonical uuid. */
function uuidInto(s: string, dst: Uint8Array, off: number): void {
  let k = 0;
  for (let i = 0; i < 36; i += 2) {
    if (i === 8 || i === 13 || i === 18 || i === 23) i++; // dashes
    dst[off + k++] = (nibble(s.charCodeAt(i)) << 4) | nibble(s.charCodeAt(i + 1));
  }
}

function nibble(c: number): number {
  return (c & 15) + (c >> 6) * 9;
}

function writeHex(w: ByteWriter, evenHex: string): void {
  const n = evenHex.length >> 1;
  w.ensure(n);
  // Buffer's native hex parser; inputs are validated lowercase hex of even length.
  const written = w.buf.write(evenHex, w.pos, n, 'hex');
  w.pos += written;
}

/** Escapes a raw-layout line (the decoder splits on newlines): newline as backslash + n, backslash doubled. */
function escapeLine(s: string): string {
  return s.indexOf('\n') >= 0 || s.indexOf('\\') >= 0 ? s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n') : s;
}

function writeLine(w: ByteWriter, s: string): void {
  w.ensure(s.length * 3 + 1);
  w.pos += utf8Write(w.buf, s, w.pos, s.length * 3);
  w.buf[w.pos++] = 0x0a;
}

/** Most space-separated fields a raw layout splits into columns. */
export const RAW_MAX_FIELDS = 8;

/**
 * Strings stored verbatim: for text whose templates do not repeat (plain-text logs whose lines
 * differ in words and versions), where the block's LZ stage compresses the raw text better than
 * any split into templates and variables. No variables, so add() leaves the sink empty and
 * returns 0.
 *
 * With `fields` > 1 (layout 2), each string is cut at its first fields - 1 spaces and stored
 * column by column: all first fields, one per line, then all second fields... Lines of a tool's
 * log (dpkg: date, time, action, package, version) then sit next to values of their own kind,
 * which an LZ stage compresses far better (about 20% on dpkg.log) than whole lines.
 */
export class RawStringColumnsEncoder {
  readonly sink = new VarSink();
  private readonly cols: ByteWriter[];
  private readonly counts: ByteWriter;
  private n = 0;

  constructor(private readonly fields = 1) {
    this.cols = Array.from({ length: fields }, () => new ByteWriter(fields === 1 ? 64 * 1024 : 16 * 1024));
    this.counts = new ByteWriter(1024);
  }

  add(s: string): number {
    // One string per line, as in a log file, which the LZ stage compresses best: a length between
    // lines would break its matches.
    this.n++;
    if (this.fields === 1) {
      writeLine(this.cols[0], escapeLine(s));
      return 0;
    }
    let from = 0;
    let k = 0;
    for (; k < this.fields - 1; k++) {
      const sp = s.indexOf(' ', from);
      if (sp < 0) break;
      writeLine(this.cols[k], escapeLine(s.slice(from, sp)));
      from = sp + 1;
    }
    writeLine(this.cols[k], escapeLine(from === 0 ? s : s.slice(from)));
    this.counts.u8(k + 1);
    return 0;
  }

  finish(): { templates: ByteWriter; slots: ByteWriter; slotEnds: number[]; slotSplits: number[] } {
    const head = new ByteWriter(16);
    if (this.fields === 1) {
      head.u8(LAYOUT_RAW);
      return { templates: head, slots: this.cols[0], slotEnds: [], slotSplits: [] };
    }
    head.u8(LAYOUT_FIELDS);
    head.u8(this.fields);
    const slots = new ByteWriter(this.cols.reduce((a, c) => a + c.pos + 8, this.counts.pos + 16));
    slots.varint(this.n);
    slots.append(this.counts);
    for (const c of this.cols) slots.section(c);
    return { templates: head, slots, slotEnds: [], slotSplits: [] };
  }
}

/**
 * The raw layout's bytes for these strings with `fields` columns (the encoder compares a sample's
 * compressed size across field counts).
 */
export function rawLayoutBytes(strings: readonly string[], fields: number): Uint8Array {
  const enc = new RawStringColumnsEncoder(fields);
  for (const s of strings) enc.add(s);
  return enc.finish().slots.view();
}

/** Growable list of (start, end) pairs. */
export class PositionSink {
  a = new Int32Array(1024);
  n = 0;

  push(start: number, end: number): void {
    if (this.n + 2 > this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = start;
    this.a[this.n++] = end;
  }
}

interface SlotState {
  type: number;
  mode: number;
  /** Numeric slots: the values; id slots: the codes (and lengths). */
  pos: number;
  end: number;
  /** Id slots: the new values' bytes. */
  raw: number;
  rawEnd: number;
  prev: number;
  /** HEX/UUID values so far: body offset and char count of each (references copy them again). */
  dictAt: number[];
  dictChars: number[];
}

interface DecodedTemplate {
  /** UTF-8 bytes of the text around the variables (lits.length === types.length + 1). */
  lits: Uint8Array[];
  /** UTF-16 length of each text piece (variable text is ASCII: bytes = chars). */
  litChars: number[];
  types: number[];
  /** Text is ASCII: the assembled bytes are latin1 (a faster decode than UTF-8). */
  ascii: boolean;
  /** The whole string when there is no variable (most attribute values). */
  constant: string | undefined;
  slotBase: number;
}

const HEX_CHARS = Buffer.from('0123456789abcdef', 'latin1');
/** Templates section layouts: a template dictionary, or the strings verbatim (raw). */
const LAYOUT_DICTIONARY = 0;
const LAYOUT_RAW = 1;
/** Raw strings cut into space-separated fields stored column by column (RawStringColumnsEncoder). */
const LAYOUT_FIELDS = 2;

/** UUID slot codes: 0 raw, 1..4 version-4 packed, 5.. references (5 = the newest value). */
const UUID_REF_BASE = 5;
/** Largest magnitude a numeric variable may decode to (the encoder writes < 1e15). */
const NUMBER_LIMIT = 1e16;

/**
 * Rebuilds string instances. Each string is assembled as bytes in one scratch buffer - template
 * text copied, numbers and ids formatted straight into it - and becomes a JS string in a single
 * latin1/utf8 slice: no intermediate strings per variable.
 */
/**
 * The template dictionary of a paged use (StringColumnsEncoder.writeTemplateTexts), shared by the
 * decoders of its pages. Templates are parsed on first use: a look-up that decodes one page of a
 * block touches a small part of its dictionary.
 */
export class StringTemplateDictionary {
  private readonly buf: Buffer;
  /** Where each template's UTF-8 text is (read when first used). */
  private readonly at: Int32Array;
  private readonly len: Int32Array;
  private readonly decoded: (DecodedTemplate | undefined)[] = [];

  constructor(r: ByteReader) {
    this.buf = r.buf;
    const n = r.bounded('template count', r.remaining);
    this.at = new Int32Array(n);
    this.len = new Int32Array(n);
    for (let t = 0; t < n; t++) {
      const len = r.varint('template');
      this.at[t] = r.skip(len, 'template');
      this.len[t] = len;
    }
  }

  get size(): number {
    return this.at.length;
  }

  /** The text of template t when it has no variables (every instance is that text), else undefined. CORRUPT for a bad id or text. */
  constantText(t: number): string | undefined {
    return this.template(t).constant;
  }

  /** Template t (slotBase -1: a page decoder copies it with its own). Throws CORRUPT for a bad id or text. */
  template(t: number): DecodedTemplate {
    let d = this.decoded[t];
    if (d !== undefined) return d;
    if (!(t >= 0 && t < this.at.length)) throw corrupt(`template id ${t} is out of range`);
    d = decodeTemplate(utf8Slice(this.buf, this.at[t], this.at[t] + this.len[t]), t, -1);
    this.decoded[t] = d;
    return d;
  }
}

function decodeTemplate(text: string, t: number, slotBase: number): DecodedTemplate {
  const p = parseTemplate(text);
  if (p === undefined) throw corrupt(`template ${t} is malformed`);
  const lits = p.lits.map((l) => Buffer.from(l, 'utf8'));
  let ascii = true;
  for (let i = 0; i < lits.length && ascii; i++) ascii = lits[i].length === p.lits[i].length;
  return {
    lits, litChars: p.lits.map((l) => l.length), types: p.types, ascii,
    constant: p.types.length === 0 ? p.lits[0] : undefined, slotBase,
  };
}

export class StringColumnsDecoder {
  private readonly tpls: DecodedTemplate[] = [];
  /** Paged use: the block's dictionary (templates without variables are read from it directly). */
  private readonly dict: StringTemplateDictionary | undefined;
  private readonly slots: SlotState[] = [];
  private out = Buffer.allocUnsafe(4096);
  /** The string being assembled is ASCII so far (latin1 decode) - a quoted part may end that. */
  private ascii = true;
  /** UTF-16 length of the instance assemble() last finished, and of the last quoted string. */
  private chars = 0;
  private subChars = 0;
  /** Inside a quoted string (which cannot hold another: a corrupt block could loop otherwise). */
  private inSub = false;
  /** Raw layout: the strings, one per line (undefined: dictionary layout). */
  private raw: ByteReader | undefined;
  /** Layout 2: where the next string's field count is, and each column's reader. */
  private fieldCounts = 0;
  private fieldCountsEnd = 0;
  private fieldCols: ByteReader[] | undefined;
  /** Decoded uuids (16 bytes each) that uuid references point into. */
  private uuids = Buffer.allocUnsafe(16 * 1024);
  private uuidLen = 0;
  /** Char count of the value idAt() last returned. */
  private idChars = 0;
  /**
   * Paged use: instances deferred per template id (defer()), consumed only when a read needs that
   * template's slots; undefined until the first defer.
   */
  private pending: Int32Array | undefined;
  /** Deferred templates with quoted-string slots: their instances hold instances of other templates. */
  private pendingSubs: number[] = [];

  /**
   * `templates` and `slots` are the sections StringColumnsEncoder.finish() wrote; with `dict`, they
   * are one page's table and slots (finishPage()) and `dict` the block's dictionary.
   */
  constructor(
    private readonly buf: Buffer,
    templates: ByteReader,
    slots: ByteReader,
    dict?: StringTemplateDictionary,
  ) {
    this.dict = dict;
    if (dict !== undefined) {
      const nUsed = templates.bounded('page template count', Math.min(dict.size, templates.remaining));
      let at = slots.pos;
      let t = -1;
      for (let i = 0; i < nUsed; i++) {
        t += 1 + templates.varint('page template id');
        const base = dict.template(t);
        if (base.types.length === 0) throw corrupt(`page lists template ${t}, which has no variables`);
        this.tpls[t] = { ...base, slotBase: this.slots.length };
        at = this.addSlots(base.types, templates, slots, at);
      }
      return;
    }
    const layout = templates.u8('template layout');
    if (layout === LAYOUT_RAW) {
      this.raw = slots; // the strings, one per line
      return;
    }
    if (layout === LAYOUT_FIELDS) {
      const fields = templates.u8('field count');
      if (fields < 2 || fields > RAW_MAX_FIELDS) throw corrupt(`field count ${fields} is invalid`);
      const nStr = slots.bounded('string count', slots.remaining);
      this.fieldCounts = slots.skip(nStr, 'field counts');
      this.fieldCountsEnd = this.fieldCounts + nStr;
      this.fieldCols = [];
      for (let f = 0; f < fields; f++) this.fieldCols.push(slots.section('a field column'));
      this.raw = slots;
      return;
    }
    if (layout !== LAYOUT_DICTIONARY) throw corrupt(`template layout ${layout} is unknown`);
    const nT = templates.bounded('template count', templates.remaining);
    let at = slots.pos;
    for (let t = 0; t < nT; t++) {
      const tp = decodeTemplate(templates.string('template'), t, this.slots.length);
      this.tpls.push(tp);
      at = this.addSlots(tp.types, templates, slots, at);
    }
  }

  /** The slot states of one template (modes and lengths from `table`, bytes from slots[at...]); returns the end. */
  private addSlots(types: number[], table: ByteReader, slots: ByteReader, at: number): number {
    for (const type of types) {
      const mode = table.u8('slot mode');
      const numeric = type === VT_INT || type === VT_PADINT || type === VT_DEC || type === VT_SUB;
      if (mode > MODE_RAW_ZIGZAG || (mode !== MODE_RAW && !numeric) || (mode === MODE_RAW_ZIGZAG && type !== VT_INT)) {
        throw corrupt(`slot mode ${mode} is invalid for type ${type}`);
      }
      const len = table.varint('slot length');
      if (len > slots.end - at) throw truncated('a template slot');
      if (numeric) this.slots.push({ type, mode, pos: at, end: at + len, raw: at + len, rawEnd: at + len, prev: 0, dictAt: [], dictChars: [] });
      else {
        // Id slots: varint codes length, codes, then the new values' bytes.
        const r = new ByteReader(this.buf, at, at + len);
        const codesLen = r.varint('id codes length');
        if (codesLen > r.remaining) throw truncated('id codes');
        const raw = r.pos + codesLen;
        this.slots.push({ type, mode, pos: r.pos, end: raw, raw, rawEnd: at + len, prev: 0, dictAt: [], dictChars: [] });
      }
      at += len;
    }
    return at;
  }

  /** Template t of a paged decoder that its page does not list: one without variables, from the dictionary. */
  private fromDict(t: number): DecodedTemplate {
    const d = this.dict;
    if (d === undefined) throw corrupt(`template id ${t} is out of range`);
    const tp = d.template(t);
    if (tp.constant === undefined) throw corrupt(`template ${t} has no slots in this page`);
    this.tpls[t] = tp;
    return tp;
  }

  get templateCount(): number {
    return this.tpls.length;
  }

  /** The next instance of template t (raw layout: the next string; t is ignored). */
  read(t: number): string {
    if (this.raw !== undefined) return this.readRaw();
    const tp = this.tpls[t] ?? this.fromDict(t);
    if (tp.constant !== undefined) return tp.constant;
    if (this.pending !== undefined) this.settle(t, tp);
    this.ascii = tp.ascii;
    const n = this.assemble(tp, undefined, 0);
    return this.ascii ? latin1Slice(this.out, 0, n) : utf8Slice(this.out, 0, n);
  }

  /** Passes over the next instance of template t (its variables are consumed, no string is made). */
  skip(t: number): void {
    if (this.raw !== undefined) {
      this.readRaw();
      return;
    }
    const tp = this.tpls[t] ?? this.fromDict(t);
    if (tp.constant === undefined) this.skipVars(tp);
  }

  /**
   * Whether instances of template t consume slot values: it has variables (paged use: those are
   * the templates the page lists; the others are constant or not the page's).
   */
  hasSlots(t: number): boolean {
    const tp = this.tpls[t];
    return tp !== undefined && tp.constant === undefined;
  }

  /**
   * Passes over the next n instances of template t lazily (paged use: a reader that builds a few rows
   * of a page defers the others'): its variables are consumed only when a later read() needs
   * template t's slots, and never when none does. Slots are per-template streams, so a read only
   * has to consume the deferred instances of its own template first - plus those of deferred
   * templates with quoted-string slots, whose instances hold instances of other templates.
   */
  defer(t: number, n = 1): void {
    if (this.raw !== undefined) {
      for (let i = 0; i < n; i++) this.readRaw();
      return;
    }
    const tp = this.tpls[t] ?? this.fromDict(t);
    if (tp.constant !== undefined) return;
    const p = (this.pending ??= new Int32Array(this.dict?.size ?? this.tpls.length));
    if (p[t] === 0 && tp.types.includes(VT_SUB)) this.pendingSubs.push(t);
    p[t] += n;
  }

  /** Consumes what was deferred before an instance of template t (the deferred instances of t and of templates with quoted strings). */
  private settle(t: number, tp: DecodedTemplate): void {
    const p = this.pending!;
    if (this.pendingSubs.length > 0) {
      const subs = this.pendingSubs;
      this.pendingSubs = [];
      for (const s of subs) {
        const stp = this.tpls[s]!;
        for (let n = p[s]; n > 0; n--) this.skipVars(stp);
        p[s] = 0;
      }
    }
    // Whoever deferred them, the next p[t] values of t's slots belong to earlier instances.
    for (let n = p[t]; n > 0; n--) this.skipVars(tp);
    p[t] = 0;
  }

  /**
   * The next instance of template t, recording where each of its variables starts and ends in it
   * (UTF-16 offsets, pairs appended to `pos`): attribute references into the message use them.
   */
  readTracked(t: number, pos: PositionSink): string {
    if (this.raw !== undefined) return this.readRaw();
    const tp = this.tpls[t] ?? this.fromDict(t);
    if (tp.constant !== undefined) return tp.constant;
    if (this.pending !== undefined) this.settle(t, tp);
    this.ascii = tp.ascii;
    const n = this.assemble(tp, pos, 0);
    return this.ascii ? latin1Slice(this.out, 0, n) : utf8Slice(this.out, 0, n);
  }

  private readRaw(): string {
    const cols = this.fieldCols;
    if (cols !== undefined) {
      if (this.fieldCounts >= this.fieldCountsEnd) throw truncated('the field counts');
      const k = this.buf[this.fieldCounts++];
      if (k < 1 || k > cols.length) throw corrupt(`field count ${k} is out of range`);
      let s = this.readLine(cols[0]);
      for (let f = 1; f < k; f++) s += ' ' + this.readLine(cols[f]);
      return s;
    }
    return this.readLine(this.raw!);
  }

  /** The next line of r, unescaped. */
  private readLine(r: ByteReader): string {
    const end = this.buf.indexOf(0x0a, r.pos);
    if (end < 0 || end >= r.end) throw truncated('a raw string');
    const s = utf8Slice(this.buf, r.pos, end);
    r.pos = end + 1;
    return s.indexOf('\\') < 0 ? s : unescapeLine(s);
  }

  private ensure(need: number): void {
    if (need <= this.out.length) return;
    let cap = this.out.length * 2;
    while (cap < need) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.out.copy(next);
    this.out = next;
  }

  /** Writes an instance's bytes at out[p0...]; returns the end (its UTF-16 length goes to this.chars). */
  private assemble(tp: DecodedTemplate, pos: PositionSink | undefined, p0: number): number {
    const { lits, litChars, types } = tp;
    let p = p0;
    let chars = 0;
    for (let j = 0; ; j++) {
      const lit = lits[j];
      if (lit.length > 0) {
        this.ensure(p + lit.length);
        this.out.set(lit, p);
        p += lit.length;
        chars += litChars[j];
      }
      if (j === types.length) {
        this.chars = chars;
        return p;
      }
      const q = this.writeVar(this.slots[tp.slotBase + j], p);
      // Variables are ASCII (bytes = chars), except a quoted string, which reports its length.
      const varChars = types[j] === VT_SUB ? this.subChars : q - p;
      if (pos !== undefined) pos.push(chars, chars + varChars);
      chars += varChars;
      p = q;
    }
  }

  private varint(st: SlotState): number {
    const buf = this.buf;
    let p = st.pos;
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (p >= st.end) throw truncated('a template slot');
      const b = buf[p++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (v > Number.MAX_SAFE_INTEGER) break;
        st.pos = p;
        return v;
      }
      mul *= 128;
    }
    throw corrupt('slot varint is too long');
  }

  /** Writes the slot's next variable as text at out[p...]; returns the end. */
  private writeVar(st: SlotState, p: number): number {
    const type = st.type;
    if (type === VT_SUB) return this.writeSub(st, p);
    if (type <= VT_DEC) {
      let v = this.numeric(st);
      if (!(v > -NUMBER_LIMIT && v < NUMBER_LIMIT) || (type !== VT_INT && v < 0)) throw corrupt(`slot value ${v} is out of range`);
      this.ensure(p + 40);
      const out = this.out;
      if (type === VT_INT) {
        if (v < 0) {
          out[p++] = 45;
          v = -v;
        }
        return writeDigits(out, p, v, 1);
      }
      const low = v % 16;
      const high = (v - low) / 16;
      if (type === VT_PADINT) {
        if (low === 0) throw corrupt('zero-padded int of width 0');
        return writeDigits(out, p, high, low);
      }
      // DEC: zigzag(mantissa) * 16 + fraction digits
      if (low === 0) throw corrupt('decimal without fraction digits');
      let abs = high;
      if (high % 2 === 1) {
        out[p++] = 45;
        abs = (high + 1) / 2;
      } else abs = high / 2;
      const scale = POW10[low];
      const int = Math.floor(abs / scale);
      p = writeDigits(out, p, int, 1);
      out[p++] = 46;
      return writeDigits(out, p, abs - int * scale, low);
    }
    return this.writeId(st, p);
  }

  /** A quoted string: its own instance (template id in the slot), assembled in place. */
  private writeSub(st: SlotState, p: number): number {
    if (this.inSub) throw corrupt('a quoted string inside a quoted string');
    const t = this.numeric(st);
    const tp = this.tpls[t] ?? this.fromDict(t);
    if (!tp.ascii) this.ascii = false;
    if (tp.constant !== undefined) {
      const lit = tp.lits[0];
      this.ensure(p + lit.length);
      this.out.set(lit, p);
      this.subChars = tp.litChars[0];
      return p + lit.length;
    }
    if (this.pending !== undefined) this.settle(t, tp);
    this.inSub = true;
    const q = this.assemble(tp, undefined, p);
    this.inSub = false;
    this.subChars = this.chars;
    return q;
  }

  /** Next value of a numeric slot: a byte, a varint, or a varint delta from the previous one. */
  numeric(st: SlotState): number {
    if (st.mode === MODE_U8) {
      if (st.pos >= st.end) throw truncated('a template slot');
      return this.buf[st.pos++];
    }
    const v = this.varint(st);
    if (st.mode === MODE_DELTA) {
      st.prev += unzigzag(v);
      return st.prev;
    }
    return st.mode === MODE_RAW_ZIGZAG ? unzigzag(v) : v;
  }

  /** A uuid: raw (code 0), version 4 packed (1..4), or a reference (>= UUID_REF_BASE). */
  private writeUuid(st: SlotState, p: number): number {
    const at = this.uuidAt(st);
    this.ensure(p + 36);
    const out = this.out;
    const u = this.uuids;
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) out[p++] = 45;
      const b = u[at + i];
      out[p++] = HEX_CHARS[b >> 4];
      out[p++] = HEX_CHARS[b & 15];
    }
    return p;
  }

  /** Consumes the slot's next uuid; returns where its 16 bytes are in the uuid store. */
  private uuidAt(st: SlotState): number {
    const code = this.varint(st);
    let at: number;
    if (code >= UUID_REF_BASE) {
      const k = st.dictAt.length - (code - UUID_REF_BASE + 1);
      if (k < 0) throw corrupt(`uuid reference ${code} to ${st.dictAt.length} values`);
      at = st.dictAt[k];
    } else {
      // Unpacked into the uuid store (references point there).
      const bytes = code === 0 ? 16 : 15;
      if (bytes > st.rawEnd - st.raw) throw truncated('a uuid');
      if (this.uuidLen + 16 > this.uuids.length) {
        const next = Buffer.allocUnsafe(this.uuids.length * 2);
        this.uuids.copy(next, 0, 0, this.uuidLen);
        this.uuids = next;
      }
      at = this.uuidLen;
      const u = this.uuids;
      const src = this.buf;
      const q = st.raw;
      if (code === 0) src.copy(u, at, q, q + 16);
      else {
        src.copy(u, at, q, q + 6);
        u[at + 6] = 0x40 | (src[q + 6] >> 4);
        u[at + 7] = src[q + 7];
        u[at + 8] = 0x80 | ((src[q + 6] & 15) << 2) | (code - 1);
        src.copy(u, at + 9, q + 8, q + 15);
      }
      st.raw += bytes;
      this.uuidLen += 16;
      st.dictAt.push(at);
      st.dictChars.push(32); // keeps dictAt and dictChars aligned
    }
    return at;
  }

  /** HEX / STR: a new value, or a reference to an earlier one of this slot. */
  private writeId(st: SlotState, p: number): number {
    const type = st.type;
    if (type === VT_UUID) return this.writeUuid(st, p);
    const at = this.idAt(st);
    const chars = this.idChars;
    this.ensure(p + chars + 4);
    const out = this.out;
    const src = this.buf;
    if (type === VT_STR) {
      src.copy(out, p, at, at + chars);
      return p + chars;
    }
    for (let i = 0; i < chars; i++) {
      const b = src[at + (i >> 1)];
      out[p++] = HEX_CHARS[i & 1 ? b & 15 : b >> 4];
    }
    return p;
  }

  /** Consumes the slot's next HEX / STR value; returns where its bytes are (its char count: idChars). */
  private idAt(st: SlotState): number {
    const type = st.type;
    const code = this.varint(st);
    let at: number;
    let chars: number;
    if (code !== 0) {
      const k = st.dictAt.length - code;
      if (k < 0) throw corrupt(`slot reference ${code} to ${st.dictAt.length} values`);
      at = st.dictAt[k];
      chars = st.dictChars[k];
    } else {
      chars = this.varint(st);
      const bytes = type === VT_STR ? chars : Math.ceil(chars / 2); // not >> 1: chars may exceed 2^31
      if (bytes > st.rawEnd - st.raw) throw truncated('a hex value');
      at = st.raw;
      st.raw += bytes;
      st.dictAt.push(at);
      st.dictChars.push(chars);
    }
    this.idChars = chars;
    return at;
  }

  /** Consumes an instance's variables without formatting them (skip()). */
  private skipVars(tp: DecodedTemplate): void {
    const types = tp.types;
    for (let j = 0; j < types.length; j++) {
      const st = this.slots[tp.slotBase + j];
      const type = st.type;
      if (type === VT_SUB) {
        if (this.inSub) throw corrupt('a quoted string inside a quoted string');
        const t = this.numeric(st);
        const sub = this.tpls[t] ?? this.fromDict(t);
        if (sub.constant !== undefined) continue;
        this.inSub = true;
        this.skipVars(sub);
        this.inSub = false;
      } else if (type <= VT_DEC) this.numeric(st);
      else if (type === VT_UUID) this.uuidAt(st);
      else this.idAt(st);
    }
  }
}

const POW10 = Array.from({ length: 17 }, (_, i) => 10 ** i);

/** Undoes the raw layout's escapes: "\\n" -> newline, "\\\\" -> backslash (anything else: CORRUPT). */
function unescapeLine(s: string): string {
  let out = '';
  let from = 0;
  for (let i = s.indexOf('\\'); i >= 0; i = s.indexOf('\\', from)) {
    const c = s.charCodeAt(i + 1);
    if (c !== 110 && c !== 92) throw corrupt('raw string has an unknown escape');
    out += s.slice(from, i) + (c === 110 ? '\n' : '\\');
    from = i + 2;
  }
  return out + s.slice(from);
}

/** Decimal digits of a non-negative integer v, zero-padded to at least `width`; returns the end. */
function writeDigits(out: Uint8Array, p: number, v: number, width: number): number {
  let n = 1;
  while (n < 16 && v >= POW10[n]) n++;
  if (n < width) n = width;
  let q = p + n;
  if (v < 2147483648) {
    let x = v | 0;
    while (q > p) {
      const d = x % 10;
      out[--q] = 48 + d;
      x = (x - d) / 10;
    }
  } else {
    let x = v;
    while (q > p) {
      const d = x % 10;
      out[--q] = 48 + d;
      x = (x - d) / 10;
    }
  }
  return p + n;
}
