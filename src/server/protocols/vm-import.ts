// VictoriaMetrics JSON line format (/api/v1/import and /api/v1/export), one series per line:
//   {"metric":{"__name__":"x","job":"y"},"values":[1,2],"timestamps":[1700000000000,1700000001000]}
// Timestamps are integer milliseconds. Values are JSON numbers; as in VictoriaMetrics, `null` and
// the strings "NaN"/"nan"/"null" read as NaN and "Inf"/"inf"/"Infinity"/"infinity" (optionally
// signed) as ±Inf; export writes NaN as null and ±Inf as "Infinity"/"-Infinity" (what VM's export
// writes, so its import reads ours back). Also here: VM's time formats for query args (start, end,
// timestamp). Any malformed line throws VmImportError with its 1-based line number.
import type { Labels, WritePoint } from '../../metrics/types.js';
import { SeriesCache, type CachedSeries } from './series-cache.js';

export class VmImportError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'VmImportError';
    this.line = line;
  }
}

function specialValue(v: unknown): number | undefined {
  if (v === null) return NaN;
  if (typeof v !== 'string') return undefined;
  const minus = v.startsWith('-');
  const s = minus ? v.slice(1) : v;
  switch (s) {
    case 'Inf':
    case 'inf':
    case 'Infinity':
    case 'infinity':
      return minus ? -Infinity : Infinity;
    case 'NaN':
    case 'nan':
    case 'null':
    case 'Null':
      return NaN;
    default:
      return undefined;
  }
}

/** A value for an error message: objects and arrays by kind only (a deep one would overflow JSON.stringify). */
function shown(v: unknown): string {
  return v !== null && typeof v === 'object' ? (Array.isArray(v) ? 'an array' : 'an object') : JSON.stringify(v);
}

/** Unambiguous key of a metric object as it arrived (length-prefixed pairs, in arrival order). */
function metricKey(metric: Record<string, unknown>): string {
  let key = '';
  for (const k in metric) {
    const v = metric[k];
    key += `${k.length}:${k}${typeof v === 'string' ? `${v.length}:${v}` : '?'}`;
  }
  return key;
}

/** Parses NDJSON into WritePoints (labels objects reused through `cache`). */
export function parseVmImport(text: string, cache: SeriesCache = new SeriesCache()): WritePoint[] {
  const points: WritePoint[] = [];
  const n = text.length;
  let pos = 0;
  let lineNo = 0;
  const fail = (message: string): never => {
    throw new VmImportError(lineNo, message);
  };
  while (pos < n) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = n;
    lineNo++;
    const line = text.slice(pos, nl);
    pos = nl + 1;
    if (line.trim() === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (err) {
      fail(`not valid JSON: ${(err as Error).message}`);
    }
    if (row === null || typeof row !== 'object' || Array.isArray(row)) fail('expected an object {"metric":{...},"values":[...],"timestamps":[...]}');
    const { metric, values, timestamps } = row as { metric: unknown; values: unknown; timestamps: unknown };
    if (metric === null || typeof metric !== 'object' || Array.isArray(metric)) fail('missing "metric" object');
    const key = metricKey(metric as Record<string, unknown>);
    let s: CachedSeries | undefined = cache.get(key);
    if (s === undefined) {
      const labels: Labels = {};
      let name = '';
      for (const [k, v] of Object.entries(metric as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`label ${JSON.stringify(k)} must be a string, got ${shown(v)}`);
        // A plain-object key that would set the prototype instead of a label: refused, not dropped.
        if (k === '__proto__') fail('label name "__proto__" is not supported');
        if (k === '__name__') name = v as string;
        else labels[k] = v as string;
      }
      if (name === '') fail('"metric" has no "__name__"; every series needs a metric name');
      s = { name, labels: Object.freeze(labels) };
      cache.set(key, s);
    }
    if (!Array.isArray(values) || values.length === 0) fail('missing "values" array');
    if (!Array.isArray(timestamps) || timestamps.length === 0) fail('missing "timestamps" array');
    const vs = values as unknown[];
    const ts = timestamps as unknown[];
    if (vs.length !== ts.length) fail(`"timestamps" has ${ts.length} entries but "values" has ${vs.length}; they must match`);
    const { name, labels } = s;
    for (let i = 0; i < vs.length; i++) {
      let v = vs[i];
      if (typeof v !== 'number') {
        v = specialValue(v);
        if (v === undefined) fail(`value ${i} is ${shown(vs[i])}, not a number`);
      }
      const t = ts[i];
      if (typeof t !== 'number' || !Number.isSafeInteger(t)) fail(`timestamp ${i} is ${shown(t)}, not integer milliseconds`);
      points.push({ name, labels, value: v as number, tsMs: t as number });
    }
  }
  return points;
}

function valueJson(v: number): string {
  if (Number.isFinite(v)) return Object.is(v, -0) ? '-0' : String(v);
  if (Number.isNaN(v)) return 'null';
  return v > 0 ? '"Infinity"' : '"-Infinity"';
}

/** One export line: `__name__` first, then the labels as given (the store hands them sorted). */
export function serializeVmLine(name: string, labels: Labels, tsMs: ArrayLike<number>, values: ArrayLike<number>, from = 0, to = tsMs.length): string {
  let out = `{"metric":{"__name__":${JSON.stringify(name)}`;
  for (const k of Object.keys(labels)) out += `,${JSON.stringify(k)}:${JSON.stringify(labels[k])}`;
  out += '},"values":[';
  for (let i = from; i < to; i++) out += (i > from ? ',' : '') + valueJson(values[i]);
  out += '],"timestamps":[';
  for (let i = from; i < to; i++) out += (i > from ? ',' : '') + String(tsMs[i]);
  return out + ']}\n';
}

// ------------------------------------------------------------------ time arguments

export class VmTimeError extends Error {}

const MAX_TS_MS = Number.MAX_SAFE_INTEGER;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/y;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 365 * 86_400_000 };
const DATE_RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[Tt](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?)?)?)?([Zz]|[+-]\d{2}:\d{2})?$/;
const NUMBER_RE = /^\d+(?:\.\d*)?(?:[eE][+-]?\d+)?$/;

/** A duration like 1h, 90s, 1h5m, 1.5d → milliseconds (undefined when it is not one). */
export function parseVmDurationMs(s: string): number | undefined {
  if (s === '') return undefined;
  let total = 0;
  DURATION_PART.lastIndex = 0;
  let at = 0;
  while (at < s.length) {
    DURATION_PART.lastIndex = at;
    const m = DURATION_PART.exec(s);
    if (m === null) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]];
    at = DURATION_PART.lastIndex;
  }
  return total;
}

/**
 * A time query argument as VictoriaMetrics reads it, → epoch ms: `now`; a duration back from now
 * (`1h`, `-1h`, `now-1h`); RFC 3339 and its prefixes (`2024`, `2024-05`, `2024-05-01T10:00`; no zone
 * = UTC); or a unix timestamp whose magnitude tells the unit (seconds up to ~9.2e9, then ms, µs,
 * ns), fractions allowed. Times before 1970 clamp to 0, as in VM.
 */
export function parseVmTime(text: string, nowMs: number): number {
  const s = text.trim();
  if (s === 'now') return nowMs;
  // Prometheus clients send these for "no bound" (client_golang's minTime/maxTime).
  if (s.startsWith('-292273086-')) return 0;
  if (s.startsWith('292277025-')) return MAX_TS_MS;
  const last = s.charCodeAt(s.length - 1);
  const relative = s.startsWith('now') || s.startsWith('-') || (s.length > 0 && (last < 48 || last > 57) && !DATE_RE.test(s));
  if (relative) {
    const body = s.startsWith('now') ? s.slice(3) : s;
    const d = parseVmDurationMs(body.startsWith('-') ? body.slice(1) : body);
    if (d === undefined) throw new VmTimeError(`cannot parse time ${JSON.stringify(text)}: use RFC 3339, unix seconds/ms, now, or a duration like 1h or now-1h`);
    return Math.max(0, nowMs - d);
  }
  const date = DATE_RE.exec(s);
  if (date !== null) {
    const [, y, mo, d, h, mi, sec, frac, zone] = date;
    let ms = Date.UTC(Number(y), Number(mo ?? 1) - 1, Number(d ?? 1), Number(h ?? 0), Number(mi ?? 0), Number(sec ?? 0), Number(((frac ?? '') + '000').slice(0, 3)));
    if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
      const sign = zone[0] === '+' ? 1 : -1;
      ms -= sign * (Number(zone.slice(1, 3)) * 3_600_000 + Number(zone.slice(4, 6)) * 60_000);
    }
    if (!Number.isFinite(ms)) throw new VmTimeError(`cannot parse time ${JSON.stringify(text)}`);
    return Math.min(MAX_TS_MS, Math.max(0, ms));
  }
  if (NUMBER_RE.test(s)) {
    const x = Number(s);
    const whole = Math.trunc(x);
    // Same magnitude rule as VM: the unit is the largest one that keeps int64 nanoseconds in range.
    const toMs = whole <= 9_223_372_036 ? 1000 : whole <= 9_223_372_036_854 ? 1 : whole <= 9_223_372_036_854_775 ? 1e-3 : 1e-6;
    return Math.min(MAX_TS_MS, Math.round(x * toMs));
  }
  throw new VmTimeError(`cannot parse time ${JSON.stringify(text)}: use RFC 3339, unix seconds/ms, now, or a duration like 1h or now-1h`);
}
