// Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text, parsed straight into WritePoints.
// Rules (from the Prometheus exposition-format docs and the OpenMetrics spec):
// - one sample per line: `name[{label="value",...}] value [timestamp]`; blank lines are ignored;
// - label values unescape \\ \" \n (any other backslash pair is kept as written, as Prometheus does);
// - values are floats incl. NaN, +Inf, -Inf; timestamps are integer milliseconds in 0.0.4 and
//   (possibly fractional) seconds in OpenMetrics, converted exactly from the decimal text;
// - `# HELP name text` (escapes \\ \n, and \" in OpenMetrics), `# TYPE name type`, and in OpenMetrics
//   `# UNIT name unit` become metric metadata; other `#` lines are comments;
// - OpenMetrics text must end with `# EOF`; exemplars (` # {...} v [ts]`) are skipped.
// Any malformed line throws PromTextError with its 1-based line number: the caller refuses the body.
import type { MetricMeta, MetricType, WritePoint } from '../../metrics/types.js';
import { SeriesCache, type CachedSeries } from './series-cache.js';

export class PromTextError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'PromTextError';
    this.line = line;
  }
}

export interface PromTextOptions {
  /** OpenMetrics rules (timestamps in seconds, UNIT lines, `# EOF` required). */
  openMetrics?: boolean;
  /** Milliseconds given to samples without a timestamp. */
  defaultTsMs: number;
  /** Reuses labels objects across calls (see series-cache.ts); a private one when omitted. */
  cache?: SeriesCache;
}

export interface PromTextResult {
  points: WritePoint[];
  /** HELP / TYPE / UNIT by metric family name. */
  metadata: Map<string, MetricMeta>;
}

const PROM_TYPES: Record<string, MetricType> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  summary: 'summary',
  untyped: 'unknown',
};
const OM_TYPES: Record<string, MetricType> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  gaugehistogram: 'histogram',
  summary: 'summary',
  info: 'gauge',
  stateset: 'gauge',
  unknown: 'unknown',
};

const SPACE = 32;
const TAB = 9;

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58; // a-z A-Z _ :
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57);
}
function isLabelStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isLabelChar(c: number): boolean {
  return isLabelStart(c) || (c >= 48 && c <= 57);
}

const FLOAT_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A sample value as Go's ParseFloat reads the usual spellings (decimal, exponent, Inf, NaN). */
export function parsePromFloat(s: string): number | undefined {
  if (FLOAT_RE.test(s)) return Number(s);
  const lower = s.toLowerCase();
  const sign = lower[0] === '-' ? -1 : 1;
  const body = lower[0] === '-' || lower[0] === '+' ? lower.slice(1) : lower;
  if (body === 'inf' || body === 'infinity') return sign * Infinity;
  if (body === 'nan') return NaN;
  return undefined;
}

const INT_RE = /^-?\d+$/;
const SECONDS_RE = /^(-?)(\d+)(?:\.(\d*))?$/;

/** OpenMetrics seconds → integer ms, from the decimal digits (no float rounding; extra digits truncated). */
function secondsTextToMs(s: string): number | undefined {
  const m = SECONDS_RE.exec(s);
  if (m) {
    const ms = Number(m[2]) * 1000 + Number(((m[3] ?? '') + '000').slice(0, 3));
    return m[1] === '-' ? -ms : ms;
  }
  const f = parsePromFloat(s);
  return f === undefined || !Number.isFinite(f) ? undefined : Math.trunc(f * 1000);
}

/**
 * A copy of a string that does not point into the request body. V8 makes substrings views of their
 * parent; a cached key or a label the catalog keeps would hold a whole request body in memory.
 */
function own(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

function unescapeHelp(s: string, om: boolean): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\(.)/g, (all, ch: string) => (ch === '\\' ? '\\' : ch === 'n' ? '\n' : om && ch === '"' ? '"' : all));
}

function unescapeLabel(s: string): string {
  return s.replace(/\\(.)/g, (all, ch: string) => (ch === '\\' ? '\\' : ch === 'n' ? '\n' : ch === '"' ? '"' : all));
}

export function parsePromText(text: string, opts: PromTextOptions): PromTextResult {
  const om = opts.openMetrics === true;
  const cache = opts.cache ?? new SeriesCache();
  const defaultTsMs = opts.defaultTsMs;
  const points: WritePoint[] = [];
  const metadata = new Map<string, MetricMeta>();
  const n = text.length;
  let pos = 0;
  let lineNo = 0;
  let eofLine = 0;
  const labelPairs: string[] = [];

  const fail = (message: string): never => {
    throw new PromTextError(lineNo, message);
  };
  const metaOf = (name: string): MetricMeta => {
    let m = metadata.get(name);
    if (m === undefined) metadata.set(own(name), (m = { type: 'unknown' }));
    return m;
  };

  while (pos < n) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = n;
    lineNo++;
    let end = nl;
    if (end > pos && text.charCodeAt(end - 1) === 13) end--;
    let i = pos;
    pos = nl + 1;
    while (i < end && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++;
    if (i === end) continue; // blank line
    if (eofLine > 0) fail(`content after "# EOF" (line ${eofLine}); OpenMetrics text ends there`);

    // ---------------------------------------------------------- comments and metadata
    if (text.charCodeAt(i) === 35 /* # */) {
      const rest = text.slice(i + 1, end);
      const m = /^[ \t]*(HELP|TYPE|UNIT|EOF)(?:[ \t]+|$)/.exec(rest);
      if (m === null || (m[1] === 'UNIT' && !om)) continue; // a comment
      if (m[1] === 'EOF') {
        if (om) {
          if (rest.trim() !== 'EOF') fail('"# EOF" takes nothing after it');
          eofLine = lineNo;
        }
        continue; // in 0.0.4 text, "# EOF" is just a comment
      }
      const after = rest.slice(m[0].length);
      const nm = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:[ \t]+|$)/.exec(after);
      if (nm === null) fail(`# ${m[1]} needs a valid metric name`);
      const name = nm![1];
      const arg = after.slice(nm![0].length);
      if (m[1] === 'HELP') {
        metaOf(name).help = own(unescapeHelp(arg, om));
      } else if (m[1] === 'TYPE') {
        const t = arg.trim();
        const type = (om ? OM_TYPES : PROM_TYPES)[t];
        if (type === undefined || !Object.prototype.hasOwnProperty.call(om ? OM_TYPES : PROM_TYPES, t)) {
          fail(`unknown metric type ${JSON.stringify(t)} for ${name}; use one of ${Object.keys(om ? OM_TYPES : PROM_TYPES).join(', ')}`);
        }
        metaOf(name).type = type;
      } else {
        const unit = arg.trim();
        if (unit !== '') metaOf(name).unit = own(unit);
      }
      continue;
    }

    // ---------------------------------------------------------- a sample
    const nameStart = i;
    if (!isNameStart(text.charCodeAt(i))) fail(`expected a metric name, found ${JSON.stringify(text[i])}`);
    i++;
    while (i < end && isNameChar(text.charCodeAt(i))) i++;
    const nameEnd = i;
    labelPairs.length = 0;
    let hasBraces = false;
    if (i < end && text.charCodeAt(i) === 123 /* { */) {
      hasBraces = true;
      i++;
      for (;;) {
        while (i < end && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++;
        if (i >= end) fail('unclosed "{" in the label set');
        if (text.charCodeAt(i) === 125 /* } */) {
          i++;
          break;
        }
        const ls = i;
        if (!isLabelStart(text.charCodeAt(i))) fail(`expected a label name, found ${JSON.stringify(text[i])}`);
        i++;
        while (i < end && isLabelChar(text.charCodeAt(i))) i++;
        const label = text.slice(ls, i);
        while (i < end && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++;
        if (text.charCodeAt(i) !== 61 /* = */) fail(`expected "=" after label name ${label}`);
        i++;
        while (i < end && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++;
        if (text.charCodeAt(i) !== 34 /* " */) fail(`expected a quoted value for label ${label}`);
        i++;
        const vs = i;
        let escaped = false;
        while (i < end) {
          const c = text.charCodeAt(i);
          if (c === 92 /* \ */) {
            escaped = true;
            i += 2;
            continue;
          }
          if (c === 34) break;
          i++;
        }
        if (i >= end) fail(`unterminated value of label ${label}`);
        const raw = text.slice(vs, i);
        i++; // closing quote
        for (let k = 0; k < labelPairs.length; k += 2) if (labelPairs[k] === label) fail(`duplicate label name ${label}`);
        // A plain-object key that would set the prototype instead of a label: refused, not dropped.
        if (label === '__proto__') fail('label name "__proto__" is not supported');
        labelPairs.push(label, escaped ? unescapeLabel(raw) : raw);
        while (i < end && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++;
        const c = text.charCodeAt(i);
        if (c === 44 /* , */) {
          i++;
          continue;
        }
        if (c === 125) {
          i++;
          break;
        }
        fail(`expected "," or "}" after the value of label ${label}`);
      }
    }
    const seriesEnd = i;
    const blanksFrom = i;
    while (i < end && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++;
    if (i === end) fail(`sample ${text.slice(nameStart, nameEnd)} has no value`);
    if (!hasBraces && i === blanksFrom) fail(`expected a space after the metric name`);
    const vStart = i;
    while (i < end && text.charCodeAt(i) !== SPACE && text.charCodeAt(i) !== TAB) i++;
    const valueText = text.slice(vStart, i);
    const value = parsePromFloat(valueText);
    if (value === undefined) fail(`value ${JSON.stringify(valueText)} is not a number`);
    while (i < end && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++;
    let tsMs = defaultTsMs;
    if (i < end && text.charCodeAt(i) !== 35 /* # */) {
      const tStart = i;
      while (i < end && text.charCodeAt(i) !== SPACE && text.charCodeAt(i) !== TAB) i++;
      const tsText = text.slice(tStart, i);
      let t: number | undefined;
      if (om) t = secondsTextToMs(tsText);
      else t = INT_RE.test(tsText) ? Number(tsText) : undefined;
      if (t === undefined || !Number.isSafeInteger(t)) {
        fail(`timestamp ${JSON.stringify(tsText)} is not ${om ? 'a number of seconds' : 'an integer number of milliseconds'}`);
      }
      tsMs = t!;
      while (i < end && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++;
    }
    if (i < end) {
      // Only an OpenMetrics exemplar may follow; it is not stored.
      if (!(om && text.charCodeAt(i) === 35)) fail(`unexpected ${JSON.stringify(text.slice(i, Math.min(end, i + 20)))} after the sample`);
    }

    const key = text.slice(nameStart, seriesEnd);
    let s = cache.get(key);
    if (s === undefined) {
      const labels: Record<string, string> = {};
      for (let k = 0; k < labelPairs.length; k += 2) labels[own(labelPairs[k])] = own(labelPairs[k + 1]);
      const entry: CachedSeries = { name: own(text.slice(nameStart, nameEnd)), labels: Object.freeze(labels) };
      cache.set(own(key), entry);
      s = entry;
    }
    points.push({ name: s.name, labels: s.labels, value: value!, tsMs });
  }
  if (om && eofLine === 0) throw new PromTextError(lineNo, 'OpenMetrics text must end with "# EOF"');
  return { points, metadata };
}
