// One pino JSON line -> LogInput (issue #8). Pure, so the pino transport can run it in pino's
// worker thread (parsing stays off the app's main thread) and tests can check it exhaustively.
// Nothing is ever dropped: a line that is not a JSON object becomes an info entry whose message is
// the line, and a field we do not map keeps its value as an attribute.
import type { AttrValue, Attributes, LogInput, LogLevel, Resource } from '../logs/types.js';

export interface PinoLineOptions {
  /** pino's `messageKey` option. Default 'msg'. */
  messageKey?: string;
  /** pino's `errorKey` option. Default 'err'. */
  errorKey?: string;
  /** Merged under each entry's resource (e.g. { 'service.name': 'api' }); the line's hostname/pid win. */
  resource?: Resource;
}

/** pino's standard level numbers, highest first, for "nearest lower" mapping of custom levels. */
const PINO_LEVELS: ReadonlyArray<[number, LogLevel]> = [[60, 'fatal'], [50, 'error'], [40, 'warn'], [30, 'info'], [20, 'debug'], [10, 'trace']];
const LEVEL_NAMES = new Set<string>(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
// pino.stdTimeFunctions.unixTime writes epoch seconds; epoch milliseconds passed 1e11 in 1973.
const SECONDS_BELOW = 1e11;

/** A pino level number (standard or custom) or label (formatters.level) -> level name. */
export function pinoLevel(v: unknown): LogLevel {
  if (typeof v === 'number' && Number.isFinite(v)) {
    for (const [n, name] of PINO_LEVELS) if (v >= n) return name;
    return 'trace';
  }
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (LEVEL_NAMES.has(s)) return s as LogLevel;
    if (s === 'warning') return 'warn';
    if (s === 'critical') return 'fatal';
  }
  return 'info';
}

function timeMs(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v < SECONDS_BELOW ? v * 1000 : v;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    if (Number.isFinite(t) && t >= 0) return t;
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Nested objects flattened with '.'; arrays and scalars kept (JSON values are all AttrValues). */
function flattenInto(out: Attributes, prefix: string, v: unknown): void {
  if (isObject(v)) {
    const keys = Object.keys(v);
    if (keys.length === 0) out[prefix] = {};
    for (const k of keys) flattenInto(out, `${prefix}.${k}`, v[k]);
    return;
  }
  out[prefix] = v as AttrValue;
}

/** pino's err serializer output ({ type, message, stack, ...own props }) -> OTel exception.* attributes. */
function errorInto(out: Attributes, key: string, v: unknown): void {
  if (!isObject(v)) {
    out[key] = v as AttrValue;
    return;
  }
  for (const [k, x] of Object.entries(v)) {
    if (k === 'type' && typeof x === 'string') out['exception.type'] = x;
    else if (k === 'message' && typeof x === 'string') out['exception.message'] = x;
    else if (k === 'stack' && typeof x === 'string') out['exception.stacktrace'] = x;
    else flattenInto(out, `${key}.${k}`, x);
  }
}

function idField(v: unknown, re: RegExp): string | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.toLowerCase();
  return re.test(s) && !/^0+$/.test(s) ? s : undefined;
}

/**
 * Maps one line (without its newline). Never throws. `receivedMs` stamps lines that carry no usable
 * time (text lines, pino's nullTime), so they sort where they were written rather than where stored.
 */
export function pinoLineToLogInput(line: string, opts: PinoLineOptions = {}, receivedMs?: number): LogInput {
  const base: Resource = opts.resource ?? {};
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    obj = undefined;
  }
  if (!isObject(obj)) {
    const e: LogInput = { level: 'info', message: line };
    if (receivedMs !== undefined) e.tsMs = receivedMs;
    if (Object.keys(base).length > 0) e.resource = { ...base };
    return e;
  }
  const messageKey = opts.messageKey ?? 'msg';
  const errorKey = opts.errorKey ?? 'err';
  const attributes: Attributes = {};
  const resource: Resource = { ...base };
  const entry: LogInput = { level: 'info', message: '' };
  for (const [k, v] of Object.entries(obj)) {
    switch (k) {
      case 'level':
        entry.level = pinoLevel(v);
        continue;
      case 'time': {
        const ms = timeMs(v);
        if (ms !== undefined) entry.tsMs = ms;
        else attributes.time = v as AttrValue;
        continue;
      }
      case 'hostname':
        if (typeof v === 'string') resource['host.name'] = v;
        else attributes.hostname = v as AttrValue;
        continue;
      case 'pid':
        if (typeof v === 'number' && Number.isFinite(v)) resource['process.pid'] = v;
        else attributes.pid = v as AttrValue;
        continue;
      case 'name':
        flattenInto(attributes, 'logger.name', v);
        continue;
      case 'trace_id': {
        const id = idField(v, TRACE_ID);
        if (id !== undefined) entry.traceId = id;
        else flattenInto(attributes, k, v); // kept, not lost: it is not a valid W3C id
        continue;
      }
      case 'span_id': {
        const id = idField(v, SPAN_ID);
        if (id !== undefined) entry.spanId = id;
        else flattenInto(attributes, k, v);
        continue;
      }
      case 'trace_flags':
        if (typeof v === 'string' && /^[0-9a-f]{2}$/i.test(v)) continue; // the W3C flags byte: no field for it, and it is not data
        flattenInto(attributes, k, v);
        continue;
    }
    if (k === messageKey) {
      if (typeof v === 'string') entry.message = v;
      else flattenInto(attributes, k, v);
    } else if (k === errorKey) {
      errorInto(attributes, k, v);
    } else {
      flattenInto(attributes, k, v);
    }
  }
  // pino.error(err) with no message: the error's message is the entry's message.
  if (entry.message === '' && typeof attributes['exception.message'] === 'string') entry.message = attributes['exception.message'];
  if (entry.tsMs === undefined && receivedMs !== undefined) entry.tsMs = receivedMs;
  if (Object.keys(attributes).length > 0) entry.attributes = attributes;
  if (Object.keys(resource).length > 0) entry.resource = resource;
  return entry;
}
