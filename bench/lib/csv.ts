// Parses a user's metrics file for `--metrics-csv`: CSV `timestamp,value` (header optional) or one
// value per line. Errors name the file and the 1-based line so the user can fix their data.

/** Interval of the synthetic timestamps given to value-only files. */
export const SYNTHETIC_INTERVAL_MS = 10_000;
/** Start of the synthetic timestamps (any fixed instant works; this one is a recent-looking date). */
export const SYNTHETIC_START_MS = 1.7e12;

export interface ParsedSeries {
  tsMs: Float64Array;
  values: Float64Array;
  /** Rows dropped because their timestamp had already been seen (the first row is kept). */
  duplicatesDropped: number;
  layout: 'timestamp,value' | 'values';
}

export class CsvParseError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'CsvParseError';
  }
}

// Decimal or scientific number; NaN/Inf spellings are handled separately.
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SPACE_DATE_RE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

export function parseValue(text: string): number | undefined {
  const t = text.trim();
  if (NUMBER_RE.test(t)) return Number(t);
  switch (t.toLowerCase()) {
    case 'nan':
      return NaN;
    case 'inf':
    case '+inf':
    case 'infinity':
    case '+infinity':
      return Infinity;
    case '-inf':
    case '-infinity':
      return -Infinity;
  }
  return undefined;
}

/**
 * A timestamp in ms. Dates without a zone are UTC. Plain numbers are epoch time, unit chosen by
 * magnitude: < 1e11 seconds (1e11 s is year 5138), < 1e14 ms, < 1e17 µs, else ns.
 */
export function parseTimestampMs(text: string): number | undefined {
  const t = text.trim();
  if (NUMBER_RE.test(t)) {
    const n = Number(t);
    const abs = Math.abs(n);
    const ms = abs < 1e11 ? n * 1000 : abs < 1e14 ? n : abs < 1e17 ? n / 1000 : n / 1e6;
    // Sub-millisecond precision is not kept: the series codec stores integer milliseconds.
    return Math.round(ms);
  }
  const m = SPACE_DATE_RE.exec(t);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  let ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, s ? +s : 0, frac ? Math.round(Number(frac) * 1000) : 0);
  if (Number.isNaN(ms) || +mo < 1 || +mo > 12 || +d < 1 || +d > 31 || +h > 23 || +mi > 59 || (s && +s > 60)) return undefined;
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return ms;
}

function splitFields(line: string): string[] {
  return line.split(',').map((f) => {
    const t = f.trim();
    return t.length >= 2 && t[0] === '"' && t[t.length - 1] === '"' ? t.slice(1, -1) : t;
  });
}

export function parseMetricsCsv(text: string, file: string): ParsedSeries {
  const lines = text.split(/\r?\n/);
  const ts: number[] = [];
  const vals: number[] = [];
  const seen = new Set<number>();
  let layout: ParsedSeries['layout'] | undefined;
  let duplicatesDropped = 0;
  let sawData = false;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i].replace(/^\uFEFF/, '').trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const fields = splitFields(raw);
    const fieldLayout = fields.length === 1 ? 'values' : 'timestamp,value';
    if (fields.length > 2) throw new CsvParseError(file, lineNo, `expected "timestamp,value" or one value, found ${fields.length} fields`);
    if (!sawData && isHeader(fields)) {
      sawData = true; // only the first non-empty line may be a header
      layout = fieldLayout;
      continue;
    }
    sawData = true;
    layout ??= fieldLayout;
    if (fieldLayout !== layout) {
      throw new CsvParseError(file, lineNo, `expected ${layout === 'values' ? 'one value' : '"timestamp,value"'} like the lines before, found "${raw}"`);
    }
    if (layout === 'values') {
      const v = parseValue(fields[0]);
      if (v === undefined) throw new CsvParseError(file, lineNo, `"${fields[0]}" is not a number`);
      ts.push(SYNTHETIC_START_MS + vals.length * SYNTHETIC_INTERVAL_MS);
      vals.push(v);
      continue;
    }
    const tsMs = parseTimestampMs(fields[0]);
    if (tsMs === undefined) {
      throw new CsvParseError(file, lineNo, `"${fields[0]}" is not a timestamp (use YYYY-MM-DD HH:MM:SS, ISO 8601, or epoch seconds/ms)`);
    }
    const v = parseValue(fields[1]);
    if (v === undefined) throw new CsvParseError(file, lineNo, `"${fields[1]}" is not a number`);
    if (seen.has(tsMs)) {
      duplicatesDropped++;
      continue;
    }
    seen.add(tsMs);
    ts.push(tsMs);
    vals.push(v);
  }
  if (vals.length === 0) throw new CsvParseError(file, Math.max(1, lines.length), 'no data points found');
  return { tsMs: Float64Array.from(ts), values: Float64Array.from(vals), duplicatesDropped, layout: layout ?? 'values' };
}

/** A header is a first line whose fields are not data (e.g. `timestamp,value`). */
function isHeader(fields: string[]): boolean {
  if (fields.length === 1) return parseValue(fields[0]) === undefined && /[a-z_]/i.test(fields[0]);
  return parseTimestampMs(fields[0]) === undefined && parseValue(fields[1]) === undefined;
}
