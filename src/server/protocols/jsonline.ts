// VictoriaLogs' JSON stream ingestion (/insert/jsonline): one JSON object per line -> LogInput.
// Follows VictoriaLogs' rules (docs.victoriametrics.com/victorialogs/data-ingestion/ and keyconcepts):
// - nested objects are flattened with '.' ({"host":{"name":"a"}} -> host.name); empty values (null,
//   "") are the same as missing ones and are dropped. Scalars keep their JSON type (our attributes
//   are typed; VictoriaLogs stores text) and arrays stay arrays.
// - the message is the first non-empty field of `_msg_field` (a comma list), else `_msg`, else
//   VictoriaLogs' placeholder text (a log entry always has a message there too);
// - the time is the first field of `_time_field` (default `_time`) that is present: RFC3339 (no zone =
//   the server's local zone, as VictoriaLogs does) or a unix timestamp whose unit (s, ms, µs, ns) is
//   read from its magnitude, fractions allowed; "", "0" and "-" mean now, as does a missing field.
//   A time that parses as neither rejects its line.
// - `_stream_fields` become the entry's resource; `ignore_fields` (exact names, or prefixes ending in
//   '*') are dropped; `extra_fields` (name=value,...) are set on every entry, replacing same-named
//   fields; `decolorize_fields` lose their ANSI color codes.
// Beyond VictoriaLogs (whose entries have no first-class level or ids): a level field (level,
// log.level, severity, severity_text, loglevel, lvl) whose value names a level sets the entry's
// level, and valid hex trace_id / span_id fields set its trace and span ids; such fields are then
// not kept as attributes. Unrecognized values stay attributes (the level is then 'info').
import type { AttrValue, Attributes, LogInput, LogLevel, Resource } from '../../logs/types.js';

/** VictoriaLogs' default -defaultMsgValue: what an entry without a message field gets. */
export const MISSING_MSG = 'missing _msg field; see https://docs.victoriametrics.com/victorialogs/keyconcepts/#message-field';
const MAX_REASONS = 5;

export class JsonlineParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonlineParamError';
  }
}

export interface JsonlineOptions {
  /** Message fields in priority order (empty: `_msg` only). */
  msgFields: string[];
  timeFields: string[];
  streamFields: string[];
  /** Exact names, or prefixes ending in '*'. */
  ignoreFields: string[];
  decolorizeFields: string[];
  extraFields: Array<[name: string, value: string]>;
  /** Parse and answer what would be stored, store nothing. */
  debug: boolean;
}

/**
 * The options from query parameters or VL-* headers (the query parameter wins, as in VictoriaLogs).
 * `get(query, header)` returns the raw value or undefined.
 */
export function jsonlineOptions(get: (query: string, header: string) => string | undefined): JsonlineOptions {
  const list = (q: string, h: string): string[] => {
    const v = get(q, h);
    if (v === undefined) return [];
    return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  };
  const timeFields = list('_time_field', 'VL-Time-Field');
  const extraFields: Array<[string, string]> = [];
  for (const ef of list('extra_fields', 'VL-Extra-Fields')) {
    const i = ef.indexOf('=');
    if (i <= 0 || i === ef.length - 1) throw new JsonlineParamError(`invalid extra_fields entry '${ef}': write name=value (comma-separated for several)`);
    extraFields.push([ef.slice(0, i), ef.slice(i + 1)]);
  }
  const debugText = get('debug', 'VL-Debug');
  let debug = false;
  if (debugText !== undefined && debugText !== '') {
    if (/^(1|t|true)$/i.test(debugText)) debug = true;
    else if (!/^(0|f|false)$/i.test(debugText)) throw new JsonlineParamError(`cannot parse debug='${debugText}': use true or false`);
  }
  return {
    msgFields: list('_msg_field', 'VL-Msg-Field'),
    timeFields: timeFields.length > 0 ? timeFields : ['_time'],
    streamFields: list('_stream_fields', 'VL-Stream-Fields'),
    ignoreFields: list('ignore_fields', 'VL-Ignore-Fields'),
    decolorizeFields: list('decolorize_fields', 'VL-Decolorize-Fields'),
    extraFields,
    debug,
  };
}

// ------------------------------------------------------------------ time

const NS = 1_000_000_000n;
const MAX_I64 = 2n ** 63n - 1n;
// Magnitude limits of VictoriaLogs' unit detection: the largest value that still fits int64 ns.
const MAX_SEC = MAX_I64 / NS;
const MAX_MSEC = MAX_I64 / 1_000_000n;
const MAX_USEC = MAX_I64 / 1_000n;
const UNIX = /^([+-]?)(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;

/** A unix timestamp in s/ms/µs/ns (unit by magnitude) -> epoch ns; undefined when it is not one. */
export function parseUnixTimestampNs(text: string): bigint | undefined {
  const m = UNIX.exec(text);
  if (m === null) return undefined;
  let intDigits = m[2];
  let frac = m[3] ?? '';
  if (m[4] !== undefined) {
    // Scientific notation: move the point right (a negative exponent is refused, as VictoriaLogs does).
    const exp = Number(m[4]);
    if (exp < 0 || exp > 30) return undefined;
    const moved = frac.slice(0, exp).padEnd(exp, '0');
    intDigits += moved;
    frac = frac.slice(exp);
  }
  const negative = m[1] === '-';
  const n = BigInt(intDigits);
  const [mult, maxFrac] = n <= MAX_SEC ? [NS, 9] : n <= MAX_MSEC ? [1_000_000n, 6] : n <= MAX_USEC ? [1_000n, 3] : [1n, 0];
  let ns = n * mult;
  const kept = frac.slice(0, maxFrac);
  if (kept.length > 0) ns += (BigInt(kept) * mult) / 10n ** BigInt(kept.length);
  if (ns > MAX_I64) return undefined;
  return negative ? -ns : ns;
}

/** RFC3339 / ISO8601 with or without zone (local then) -> epoch ns; undefined when it is not one. */
export function parseRfc3339Ns(text: string): bigint | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  let ms: number;
  if (m[8] === undefined && m[9] === undefined) {
    const local = new Date(y, mo - 1, d, h, mi, s);
    if (local.getDate() !== d) return undefined; // Feb 30 and the like
    ms = local.getTime();
  } else {
    ms = Date.UTC(y, mo - 1, d, h, mi, s);
    if (new Date(ms).getUTCDate() !== d) return undefined;
    if (m[9] !== undefined) {
      const offsetMs = (Number(m[10]) * 60 + Number(m[11])) * 60_000;
      ms += m[9] === '+' ? -offsetMs : offsetMs;
    }
  }
  const frac = (m[7] ?? '').slice(0, 9);
  return BigInt(ms) * 1_000_000n + (frac === '' ? 0n : BigInt(frac.padEnd(9, '0')));
}

/** A time field value -> epoch ns, null for VictoriaLogs' "use the current time" values, or an error text. */
function timeOf(text: string): bigint | null | string {
  if (text === '' || text === '0' || text === '-') return null;
  const looksLikeDate = text.length > 4 && text[4] === '-';
  const ns = looksLikeDate ? parseRfc3339Ns(text) : parseUnixTimestampNs(text);
  if (ns === undefined) return looksLikeDate ? `'${text}' is not an RFC3339 time (e.g. 2024-05-01T12:00:00.123Z)` : `'${text}' is not a unix timestamp (seconds, ms, µs or ns, e.g. 1714564800.123)`;
  if (ns < 0n) return `'${text}' is before 1970; the store keeps epoch times from 0`;
  return ns;
}

// ------------------------------------------------------------------ level

const LEVEL_NAMES: Record<string, LogLevel> = {
  trace: 'trace', trc: 'trace',
  debug: 'debug', dbg: 'debug',
  info: 'info', inf: 'info', information: 'info', informational: 'info', notice: 'info',
  warn: 'warn', warning: 'warn', wrn: 'warn',
  error: 'error', err: 'error', eror: 'error',
  fatal: 'fatal', critical: 'fatal', crit: 'fatal', alert: 'fatal', emerg: 'fatal', emergency: 'fatal', panic: 'fatal',
};
/** pino / bunyan numeric levels (the usual Node.js JSON loggers). */
const PINO_LEVELS: Record<number, LogLevel> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
export const LEVEL_FIELDS = ['level', 'log.level', 'severity', 'severity_text', 'loglevel', 'lvl'] as const;

/**
 * A level field's value -> level or severity number: names (case-insensitive, incl. syslog's), pino's
 * 10..60 steps, otherwise OTel severity numbers 1..24 (as a number or a numeric string).
 */
export function levelOfValue(v: AttrValue): LogLevel | number | undefined {
  if (typeof v === 'string') {
    const name = LEVEL_NAMES[v.trim().toLowerCase()];
    if (name !== undefined) return name;
    if (!/^\d{1,2}$/.test(v.trim())) return undefined;
    v = Number(v.trim());
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) return undefined;
  if (PINO_LEVELS[v] !== undefined) return PINO_LEVELS[v];
  return v >= 1 && v <= 24 ? v : undefined;
}

// ------------------------------------------------------------------ fields

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
const HEX32 = /^[0-9a-fA-F]{32}$/;
const HEX16 = /^[0-9a-fA-F]{16}$/;

function flatten(obj: Record<string, unknown>, prefix: string, out: Map<string, AttrValue>): void {
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (v === null || v === '') {
      out.delete(key); // empty = missing: a later empty value does not leave an earlier one behind
      continue;
    }
    if (typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, key, out);
    else out.set(key, v as AttrValue);
  }
}

function textOf(v: AttrValue): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

/**
 * The exact text of a top-level number in the line: JSON.parse rounds numbers to doubles, which
 * loses the digits of a ns timestamp. Used only when the key occurs once as a number and the text
 * parses to the same double (otherwise the parsed value is used).
 */
function rawNumber(line: string, key: string, parsed: number): string | undefined {
  const re = new RegExp(`${escapeRegExp(JSON.stringify(key))}\\s*:\\s*(-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?)`, 'g');
  const hits = [...line.matchAll(re)];
  if (hits.length !== 1 || Number(hits[0][1]) !== parsed) return undefined;
  return hits[0][1];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function ignored(key: string, patterns: readonly string[]): boolean {
  for (const p of patterns) {
    if (p.endsWith('*') ? key.startsWith(p.slice(0, -1)) : key === p) return true;
  }
  return false;
}

export interface JsonlineResult {
  entries: LogInput[];
  /** 1-based line number of each entry. */
  lines: number[];
  /** Non-empty lines that could not be read. */
  rejected: number;
  /** The first few reasons, "line N: ...". */
  reasons: string[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * VictoriaLogs refuses JSON nested deeper than this (its parser's limit). Checked on the text before
 * parsing: flattening, and the stores after it, recurse once per level and would overflow the stack.
 */
const MAX_JSON_DEPTH = 300;

/** Deepest {/[ nesting of a JSON text (brackets inside strings skipped), without recursion. */
function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** One line's object -> LogInput, or an error text. */
function entryOf(line: string, obj: Record<string, unknown>, o: JsonlineOptions): LogInput | string {
  const fields = new Map<string, AttrValue>();
  flatten(obj, '', fields);

  let tsNs: bigint | undefined;
  for (const tf of o.timeFields) {
    const v = fields.get(tf);
    if (v === undefined) continue;
    if (typeof v !== 'string' && typeof v !== 'number') return `the time field '${tf}' must be a string or a number, got ${Array.isArray(v) ? 'an array' : typeof v}`;
    const text = typeof v === 'number' ? (Object.prototype.hasOwnProperty.call(obj, tf) ? rawNumber(line, tf, v) : undefined) ?? String(v) : v.trim();
    const t = timeOf(text);
    if (typeof t === 'string') return `cannot parse the time field '${tf}': ${t}`;
    if (t !== null) tsNs = t;
    fields.delete(tf);
    break;
  }

  let message: string | undefined;
  for (const mf of [...o.msgFields, '_msg']) {
    const v = fields.get(mf);
    if (v === undefined) continue;
    message = textOf(v);
    fields.delete(mf);
    break;
  }

  for (const k of [...fields.keys()]) if (ignored(k, o.ignoreFields)) fields.delete(k);
  for (const [name, value] of o.extraFields) {
    if (name === '_msg') message = value;
    else fields.set(name, value);
  }
  for (const k of o.decolorizeFields) {
    if (k === '_msg' && message !== undefined) message = message.replace(ANSI, '');
    const v = fields.get(k);
    if (typeof v === 'string') fields.set(k, v.replace(ANSI, ''));
  }

  let level: LogLevel | number | undefined;
  let levelField: string | undefined;
  for (const lf of LEVEL_FIELDS) {
    const v = fields.get(lf);
    if (v === undefined) continue;
    level = levelOfValue(v);
    if (level !== undefined) {
      levelField = lf;
      break;
    }
  }

  const stream = new Map<string, string | number | boolean>();
  for (const sf of o.streamFields) {
    const v = fields.get(sf);
    if (v === undefined) continue;
    stream.set(sf, typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v));
    fields.delete(sf);
  }
  if (levelField !== undefined) fields.delete(levelField);

  let traceId: string | undefined;
  let spanId: string | undefined;
  for (const k of ['trace_id', 'traceId']) {
    const v = fields.get(k);
    if (traceId === undefined && typeof v === 'string' && HEX32.test(v)) {
      traceId = v.toLowerCase();
      fields.delete(k);
    }
  }
  for (const k of ['span_id', 'spanId']) {
    const v = fields.get(k);
    if (spanId === undefined && typeof v === 'string' && HEX16.test(v)) {
      spanId = v.toLowerCase();
      fields.delete(k);
    }
  }

  // fromEntries defines own properties: a field named __proto__ stays a field, never a prototype.
  const attributes: Attributes = Object.fromEntries(fields);
  const entry: LogInput = { message: message ?? MISSING_MSG, attributes };
  if (tsNs !== undefined) entry.tsNs = tsNs;
  if (level !== undefined) entry.level = level;
  if (stream.size > 0) entry.resource = Object.fromEntries(stream) as Resource;
  if (traceId !== undefined) entry.traceId = traceId;
  if (spanId !== undefined) entry.spanId = spanId;
  return entry;
}

/**
 * Every non-empty line of the body as an entry; lines that are not JSON objects, not UTF-8, or
 * whose time does not parse are counted and explained (the first few), the others kept.
 */
export function parseJsonlines(body: Uint8Array, o: JsonlineOptions): JsonlineResult {
  const out: JsonlineResult = { entries: [], lines: [], rejected: 0, reasons: [] };
  const reject = (lineNo: number, why: string) => {
    out.rejected++;
    if (out.reasons.length < MAX_REASONS) out.reasons.push(`line ${lineNo}: ${why}`);
  };
  let start = 0;
  let lineNo = 0;
  while (start < body.length) {
    let end = body.indexOf(0x0a, start);
    if (end < 0) end = body.length;
    lineNo++;
    let stop = end;
    if (stop > start && body[stop - 1] === 0x0d) stop--;
    const bytes = body.subarray(start, stop);
    start = end + 1;
    let line: string;
    try {
      line = utf8.decode(bytes);
    } catch {
      reject(lineNo, 'not valid UTF-8');
      continue;
    }
    if (line.trim() === '') continue; // VictoriaLogs skips empty lines
    if (jsonDepth(line) > MAX_JSON_DEPTH) {
      reject(lineNo, `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      reject(lineNo, `not valid JSON: ${(err as Error).message}`);
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      reject(lineNo, `expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
      continue;
    }
    const entry = entryOf(line, value as Record<string, unknown>, o);
    if (typeof entry === 'string') {
      reject(lineNo, entry);
      continue;
    }
    out.entries.push(entry);
    out.lines.push(lineNo);
  }
  return out;
}
