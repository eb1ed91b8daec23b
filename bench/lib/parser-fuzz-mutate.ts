// Mutations for the parser fuzz run, on top of fuzz.ts's byte-level ones (truncate, overwrite,
// bitflip, insert, remove): splicing two seeds, protobuf length-field tweaks and nesting bombs,
// structure-aware JSON damage (deep nesting, huge numbers, odd unicode, type swaps), and text tokens
// from each grammar's dictionary. Every mutation is a pure function of the PRNG state, so a
// (seed, case index) pair reproduces its input exactly.
import type { Prng } from '../gen/prng.js';
import { mutate, type MutationKind } from './fuzz.js';
import type { InputFormat } from './parser-fuzz-targets.js';

export type ParserMutation =
  | MutationKind
  | 'splice'
  | 'badUtf8'
  | 'protoLength'
  | 'protoWireType'
  | 'protoDupField'
  | 'protoNest'
  | 'snappyInner'
  | 'jsonValue'
  | 'jsonDeep'
  | 'jsonDupEntry'
  | 'textToken'
  | 'textDupLine'
  | 'textDeep';

const BYTE_KINDS: readonly MutationKind[] = ['truncate', 'overwrite', 'bitflip', 'insert', 'remove'];

const POOLS: Record<InputFormat, readonly ParserMutation[]> = {
  proto: [...BYTE_KINDS, 'splice', 'protoLength', 'protoLength', 'protoWireType', 'protoDupField', 'protoNest'],
  'snappy-proto': [...BYTE_KINDS, 'splice', 'snappyInner', 'snappyInner', 'snappyInner'],
  json: [...BYTE_KINDS, 'splice', 'badUtf8', 'jsonValue', 'jsonValue', 'jsonValue', 'jsonDeep', 'jsonDupEntry', 'textToken'],
  ndjson: [...BYTE_KINDS, 'splice', 'badUtf8', 'jsonValue', 'jsonValue', 'jsonValue', 'jsonDeep', 'textDupLine', 'textToken'],
  text: [...BYTE_KINDS, 'splice', 'badUtf8', 'textToken', 'textToken', 'textToken', 'textDupLine'],
  promql: [...BYTE_KINDS, 'splice', 'textToken', 'textToken', 'textToken', 'textToken', 'textDeep'],
};

/** Nesting depths: around the decoders' own limits (64) and past what a 1 MB call stack holds. */
const DEPTHS = [8, 63, 64, 65, 200, 1000, 5000, 20000];

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: false });

function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function depth(prng: Prng): number {
  // Deep bombs are slow to build and parse: one time in sixteen pick from the deep end.
  return (prng.u32() & 15) === 0 ? prng.pick(DEPTHS) : prng.pick(DEPTHS.slice(0, 5));
}

// ------------------------------------------------------------------ protobuf

function varint(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

interface LenField {
  tagPos: number;
  lenPos: number;
  payloadPos: number;
  len: number;
}

/** Reads a varint at `pos` (undefined when malformed). */
function readVarint(b: Uint8Array, pos: number, end: number): { value: number; next: number } | undefined {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 10 && pos < end; i++) {
    const x = b[pos++];
    value += (x & 0x7f) * mul;
    mul *= 128;
    if ((x & 0x80) === 0) return { value, next: pos };
  }
  return undefined;
}

/** Length-delimited fields of a message, recursing into payloads that parse as messages. */
function lenFields(b: Uint8Array, start: number, end: number, out: LenField[], level: number): boolean {
  let pos = start;
  const found: LenField[] = [];
  while (pos < end) {
    const tagPos = pos;
    const t = readVarint(b, pos, end);
    if (!t || t.value < 8) return false;
    pos = t.next;
    const wire = t.value & 7;
    if (wire === 0) {
      const v = readVarint(b, pos, end);
      if (!v) return false;
      pos = v.next;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const l = readVarint(b, pos, end);
      if (!l || l.next + l.value > end) return false;
      found.push({ tagPos, lenPos: pos, payloadPos: l.next, len: l.value });
      pos = l.next + l.value;
    } else return false;
    if (pos > end) return false;
  }
  out.push(...found);
  if (level < 12) for (const f of found) if (f.len > 0) lenFields(b, f.payloadPos, f.payloadPos + f.len, out, level + 1);
  return true;
}

function protoMutation(prng: Prng, b: Uint8Array, kind: ParserMutation): Uint8Array | undefined {
  const fields: LenField[] = [];
  lenFields(b, 0, b.length, fields, 0);
  if (fields.length === 0) return undefined;
  const f = prng.pick(fields);
  const before = b.subarray(0, f.lenPos);
  const payload = b.subarray(f.payloadPos, f.payloadPos + f.len);
  const after = b.subarray(f.payloadPos + f.len);
  switch (kind) {
    case 'protoLength': {
      // A wrong length: off by a little, zero, past the end, past 2^31, or an over-long encoding.
      const choice = prng.int(0, 6);
      if (choice === 6) return cat(before, Uint8Array.from([...varint(f.len).map((x) => x | 0x80), 0x80, 0x00].slice(0, 10)), payload, after);
      const len = [f.len + 1, Math.max(0, f.len - 1), 0, f.len + prng.int(2, 64), 0x7fffffff, 0xffffffff][choice];
      return cat(before, Uint8Array.from(varint(len)), payload, after);
    }
    case 'protoWireType': {
      const out = b.slice();
      out[f.tagPos] = (out[f.tagPos] & ~7) | prng.pick([0, 1, 3, 4, 5, 6, 7]);
      return out;
    }
    case 'protoDupField': {
      // The same field again (repeated fields grow, singular ones are overwritten), up to 64 times.
      const whole = b.subarray(f.tagPos, f.payloadPos + f.len);
      const copies = prng.pick([1, 2, 16, 64]);
      return cat(b.subarray(0, f.payloadPos + f.len), ...Array.from({ length: copies }, () => whole), after);
    }
    case 'protoNest': {
      // The field's payload wrapped in itself `d` times: a nesting bomb where the schema recurses.
      const tag = b.subarray(f.tagPos, f.lenPos);
      let inner: Uint8Array = payload;
      const d = Math.min(depth(prng), 5000);
      for (let i = 0; i < d; i++) inner = cat(tag, Uint8Array.from(varint(inner.length)), inner);
      return cat(b.subarray(0, f.tagPos), inner, after);
    }
    default:
      return undefined;
  }
}

// ------------------------------------------------------------------ JSON

const RAW = '@@RAW@@';
const RAW_RE = /"@@RAW@@(?:[^"\\]|\\.)*"/g;

const RAW_NUMBERS = [
  '1e309', '-1e309', '1e-400', '-0', '0.0000000000000000000000001', '123456789012345678901234567890',
  '9007199254740993', '18446744073709551616', '-9223372036854775809', '1.7976931348623157e308', '5e-324', '1E2', '0e0',
];
const ODD_STRINGS = [
  '', ' ', '\u0000', '\ud800', '\udfff', '\ud83d\ude00', 'e\u0301', '\u2028\u2029', '\ufeff', '\u202eabc', '\uffff',
  '__proto__', 'constructor', 'toString', 'NaN', 'Infinity', '-Inf', 'null', '1e309', '0x1f', '0123', ' 42 ',
  '2023-13-45T25:61:61Z', '1700000000000000000000', 'ffffffffffffffffffffffffffffffff', '0000000000000000', 'zz',
  '\x1b[31mred\x1b[0m', 'a\nb', 'x'.repeat(70_000),
];

function deepJson(prng: Prng): string {
  const d = depth(prng);
  const dw = Math.min(d, 5000); // the OTLP AnyValue shapes are ~50 bytes a level
  switch (prng.int(0, 3)) {
    case 0:
      return '['.repeat(d) + ']'.repeat(d);
    case 1:
      return '{"a":'.repeat(d) + '1' + '}'.repeat(d);
    case 2:
      return '{"kvlistValue":{"values":[{"key":"k","value":'.repeat(dw) + '{"intValue":"1"}' + '}]}}'.repeat(dw);
    default:
      return '{"arrayValue":{"values":['.repeat(dw) + '{"stringValue":"x"}' + ']}}'.repeat(dw);
  }
}

function nastyValue(prng: Prng): unknown {
  switch (prng.int(0, 6)) {
    case 0:
      return RAW + prng.pick(RAW_NUMBERS);
    case 1:
      return prng.pick(ODD_STRINGS);
    case 2:
      return prng.pick([null, true, false, 0, -1, 1.5, 2 ** 53, -(2 ** 63), [], {}, [null], { '': 1 }]);
    case 3:
      return Array.from({ length: prng.pick([2, 100, 5000]) }, () => prng.pick([1, 'x', null, 1e300]));
    case 4:
      // An own "__proto__" key (JSON.parse makes one from text; a literal would set the prototype).
      return JSON.parse('{"__proto__":{"polluted":true},"constructor":"x","hasOwnProperty":1}');
    case 5:
      return RAW + deepJson(prng);
    default:
      return Object.fromEntries(Array.from({ length: prng.pick([3, 1000]) }, (_, i) => [`k${i}`, i]));
  }
}

/** Paths to every value of a JSON document (root excluded). */
function paths(v: unknown, at: Array<string | number>, out: Array<Array<string | number>>, limit: number): void {
  if (out.length >= limit || at.length > 40 || v === null || typeof v !== 'object') return;
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      out.push([...at, i]);
      paths(x, [...at, i], out, limit);
    });
  } else {
    for (const k of Object.keys(v)) {
      out.push([...at, k]);
      paths((v as Record<string, unknown>)[k], [...at, k], out, limit);
    }
  }
}

function jsonMutation(prng: Prng, text: string, kind: ParserMutation): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const all: Array<Array<string | number>> = [];
  paths(doc, [], all, 5000);
  if (all.length === 0) return undefined;
  const p = prng.pick(all);
  let parent = doc as Record<string | number, unknown>;
  for (const k of p.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const key = p[p.length - 1];
  if (kind === 'jsonDupEntry') {
    const arrays = all.filter((q) => Array.isArray(q.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], doc)));
    if (arrays.length === 0) return undefined;
    let arr = doc as Record<string | number, unknown>;
    for (const k of prng.pick(arrays)) arr = arr[k] as Record<string | number, unknown>;
    const list = arr as unknown as unknown[];
    if (list.length === 0) return undefined;
    const item = list[prng.int(0, list.length - 1)];
    const copies = prng.pick([1, 10, 100]);
    for (let i = 0; i < copies; i++) list.push(item);
  } else if (kind === 'jsonDeep') {
    parent[key] = RAW + deepJson(prng);
  } else if (typeof key === 'string' && (prng.u32() & 7) === 0) {
    // Rename the key instead: an unknown, prototype-ish or duplicate field.
    const v = parent[key];
    delete parent[key];
    Object.defineProperty(parent, prng.pick(['__proto__', 'constructor', '', key.toUpperCase(), `${key}\u0000`]), { value: v, enumerable: true, configurable: true, writable: true });
  } else {
    parent[key] = nastyValue(prng);
  }
  return JSON.stringify(doc).replace(RAW_RE, (m) => (JSON.parse(m) as string).slice(RAW.length));
}

/** A document a previous mutation nested too deep for JSON.stringify: undefined (byte mutation instead). */
function safeJsonMutation(prng: Prng, text: string, kind: ParserMutation): string | undefined {
  try {
    return jsonMutation(prng, text, kind);
  } catch (err) {
    if (err instanceof RangeError) return undefined;
    throw err;
  }
}

// ------------------------------------------------------------------ text

const TOKENS: Record<'json' | 'text' | 'promql', readonly string[]> = {
  json: ['{', '}', '[', ']', '"', '\\', ':', ',', 'null', '\\u0000', '\\ud800', '1e309', '-', '\n', '\r\n', ' ', '\t', '{}', '[]', '"__proto__"'],
  text: [
    '{', '}', '=', '"', '\\', ',', ' ', '\n', '\r\n', '\t', '# TYPE x counter\n', '# TYPE x histogram\n', '# HELP x a\\nb\\\\\n', '# UNIT x seconds\n',
    '# EOF\n', '# EOF', 'NaN', '+Inf', '-Inf', '1e309', '0x1p3', '-0', '.5', '1_000', 'le="+Inf"', 'quantile="0.5"', ' # {a="b"} 1 2',
    '99999999999999999999999', '9223372036854775808', 'x{a="b",a="c"}', '{__name__="y"}', '_total', '\u0000', '\ud83d\ude00', '\u00e9', 'a'.repeat(5000),
  ],
  promql: [
    '(', ')', '{', '}', '[', ']', '[5m]', '[1m:30s]', '[:]', ',', '"', "'", '`', '\\', '=~', '!~', '!=', '=', '==', '>', '<=', '+', '-', '*', '/', '%', '^', 'atan2',
    'bool', 'on', 'ignoring', 'group_left', 'group_right', 'by', 'without', 'offset', 'offset -1h', '@', '@ start()', '@ 1e309', 'and', 'or', 'unless',
    'sum', 'count_values', 'topk', 'quantile', 'rate(', 'histogram_quantile(', 'label_replace(', 'vector(', 'time()', 'absent(', 'Inf', 'NaN', '0x1F',
    '1e309', '99999999999999999999999999999s', '1y2w3d4h5m6s7ms', '-0', ':', 'a:b:c', '__name__', '#', '\n', '\u0000', '\ud83d\ude00', 'é', '\u2028', 'x'.repeat(3000),
  ],
};

const BAD_UTF8: readonly number[][] = [[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xff], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80], [0xef, 0xbb, 0xbf]];

function textToken(prng: Prng, text: string, dict: readonly string[]): string {
  const at = prng.int(0, text.length);
  const token = prng.pick(dict);
  const count = token.length > 4 ? 1 : prng.pick([1, 1, 1, 2, 8, 100]);
  // Insert, or replace a short run.
  const cut = (prng.u32() & 1) === 0 ? 0 : Math.min(prng.int(1, 8), text.length - at);
  return text.slice(0, at) + token.repeat(count) + text.slice(at + cut);
}

function dupLine(prng: Prng, text: string): string {
  const lines = text.split('\n');
  const i = prng.int(0, lines.length - 1);
  // Many lines, but bounded bytes (256 KB): a long line is copied fewer times.
  const copies = Math.max(1, Math.min(prng.pick([1, 2, 50, 1000]), Math.floor(262_144 / (lines[i].length + 1))));
  lines.splice(i, 0, ...Array.from({ length: copies }, () => lines[i]));
  return lines.join('\n');
}

/** PromQL nesting: parentheses, unary minus, right-associative ^, nested calls, or a long flat chain. */
function promqlDeep(prng: Prng, text: string): string {
  const d = depth(prng);
  const at = prng.int(0, text.length);
  const end = prng.int(at, text.length);
  const inner = text.slice(at, end) || '1';
  switch (prng.int(0, 4)) {
    case 4:
      return text.slice(0, at) + inner + ` ${prng.pick(['+', 'or', '*', '>'])} ${inner}`.repeat(d) + text.slice(end);
    case 0:
      return text.slice(0, at) + '('.repeat(d) + inner + ')'.repeat(d) + text.slice(end);
    case 1:
      return text.slice(0, at) + '-'.repeat(d) + inner + text.slice(end);
    case 2:
      return text.slice(0, at) + `${inner}^`.repeat(d) + inner + text.slice(end);
    default:
      return text.slice(0, at) + 'abs('.repeat(d) + inner + ')'.repeat(d) + text.slice(end);
  }
}

// ------------------------------------------------------------------ dispatch

export interface MutationContext {
  format: InputFormat;
  corpus: readonly Uint8Array[];
  /** For 'snappy-proto': the seed's decompressed protobuf and a compressor (seeds are valid). */
  snappy?: { decompress(b: Uint8Array): Uint8Array; compress(b: Uint8Array): Uint8Array };
}

function oneMutation(prng: Prng, b: Uint8Array, kind: ParserMutation, ctx: MutationContext): Uint8Array {
  const fallback = () => mutate(prng, b, prng.pick(BYTE_KINDS));
  switch (kind) {
    case 'truncate':
    case 'overwrite':
    case 'bitflip':
    case 'insert':
    case 'remove':
      return mutate(prng, b, kind);
    case 'splice': {
      const other = prng.pick(ctx.corpus);
      const at = prng.int(0, b.length);
      const from = prng.int(0, other.length);
      return cat(b.subarray(0, at), other.subarray(from, prng.int(from, other.length)), (prng.u32() & 1) === 0 ? b.subarray(at) : new Uint8Array(0));
    }
    case 'badUtf8': {
      const at = prng.int(0, b.length);
      return cat(b.subarray(0, at), Uint8Array.from(prng.pick(BAD_UTF8)), b.subarray(at));
    }
    case 'protoLength':
    case 'protoWireType':
    case 'protoDupField':
    case 'protoNest':
      return protoMutation(prng, b, kind) ?? fallback();
    case 'snappyInner': {
      // Damage the protobuf inside, then compress it again: the decoder, not snappy, meets the damage.
      if (!ctx.snappy) return fallback();
      let inner: Uint8Array;
      try {
        inner = ctx.snappy.decompress(b);
      } catch {
        return fallback();
      }
      const k = prng.pick(POOLS.proto);
      return Uint8Array.from(ctx.snappy.compress(oneMutation(prng, inner, k, { ...ctx, format: 'proto' })));
    }
    case 'jsonValue':
    case 'jsonDeep':
    case 'jsonDupEntry': {
      const text = dec.decode(b);
      if (ctx.format === 'ndjson') {
        const lines = text.split('\n');
        const i = prng.int(0, lines.length - 1);
        const m = safeJsonMutation(prng, lines[i], kind);
        if (m === undefined) return fallback();
        lines[i] = m;
        return enc.encode(lines.join('\n'));
      }
      const m = safeJsonMutation(prng, text, kind);
      return m === undefined ? fallback() : enc.encode(m);
    }
    case 'textToken': {
      const dict = ctx.format === 'promql' ? TOKENS.promql : ctx.format === 'text' ? TOKENS.text : TOKENS.json;
      return enc.encode(textToken(prng, dec.decode(b), dict));
    }
    case 'textDupLine':
      return enc.encode(dupLine(prng, dec.decode(b)));
    case 'textDeep':
      return enc.encode(promqlDeep(prng, dec.decode(b)));
  }
}

/**
 * Inputs are cut at 1 MB: past that, parse time grows with size alone (a 14 MB query takes ~1 s just
 * to tokenize), and the 1 s limit per case is meant to catch superlinear work, not big bodies.
 */
export const MAX_INPUT_BYTES = 1 << 20;

/** One or (one time in four) two mutations from the format's pool. */
export function parserMutation(prng: Prng, input: Uint8Array, ctx: MutationContext): { bytes: Uint8Array; kinds: ParserMutation[] } {
  const pool = POOLS[ctx.format];
  const kinds = [prng.pick(pool)];
  if ((prng.u32() & 3) === 0) kinds.push(prng.pick(pool));
  let bytes = input;
  for (const k of kinds) bytes = oneMutation(prng, bytes, k, ctx);
  return { bytes: bytes.length > MAX_INPUT_BYTES ? bytes.slice(0, MAX_INPUT_BYTES) : bytes, kinds };
}
