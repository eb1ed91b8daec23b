// OTLP metric and attribute names -> Prometheus names, the way Prometheus' own OTLP receiver
// translates them by default (otlptranslator, strategy UnderscoreEscapingWithSuffixes; the OTel
// spec "Prometheus and OpenMetrics Compatibility"), so the series a Prometheus user expects from an
// OTel SDK are the ones they find here and through /prometheus/api/v1:
// - metric name: split on every character outside [a-zA-Z0-9:] (so '.', '-', and runs of '_'
//   become one '_'), the unit's suffix appended unless already a word of the name ("s" -> seconds,
//   "By/s" -> bytes + per_second, annotations like "{request}" dropped), `_total` for monotonic
//   counters, `_ratio` for gauges of unit "1", a leading digit prefixed with '_';
// - label name: every character outside [a-zA-Z0-9_] -> '_', a leading digit gets "key_", a single
//   leading '_' gets "key" ("__x" is kept); keys that collide after this are merged with their
//   values joined by ';' in the order of the original keys.
// Written from the published rules; no Prometheus code is copied.

/** OTel (UCUM) units -> Prometheus base-unit words. */
const UNIT_WORDS: Record<string, string> = {
  d: 'days', h: 'hours', min: 'minutes', s: 'seconds', ms: 'milliseconds', us: 'microseconds', ns: 'nanoseconds',
  By: 'bytes', KiBy: 'kibibytes', MiBy: 'mebibytes', GiBy: 'gibibytes', TiBy: 'tibibytes',
  KBy: 'kilobytes', MBy: 'megabytes', GBy: 'gigabytes', TBy: 'terabytes',
  m: 'meters', V: 'volts', A: 'amperes', J: 'joules', W: 'watts', g: 'grams',
  Cel: 'celsius', Hz: 'hertz', '1': '', '%': 'percent',
};

/** The unit after '/' -> its singular word ("By/s" -> bytes_per_second). */
const PER_UNIT_WORDS: Record<string, string> = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week', mo: 'month', y: 'year' };

const hasOwn = Object.prototype.hasOwnProperty;

/** What the name suffixes depend on. */
export type NamingType = 'counter' | 'gauge' | 'other';

function isMetricChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 58; // a-z A-Z 0-9 :
}

/** Words of s split on characters outside [a-zA-Z0-9:] (empty words dropped). */
function words(s: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i <= s.length; i++) {
    const ok = i < s.length && isMetricChar(s.charCodeAt(i));
    if (ok && start < 0) start = i;
    else if (!ok && start >= 0) {
      out.push(s.slice(start, i));
      start = -1;
    }
  }
  return out;
}

/** A unit word made name-safe: invalid characters -> '_', runs of '_' collapsed, no leading '_'. */
function cleanUnit(u: string): string {
  return u.replace(/[^a-zA-Z0-9:]/gu, '_').replace(/__+/g, '_').replace(/^_/, '');
}

/** The main and "per" unit words of an OTel unit ("By/s" -> ['bytes', 'per_second']), uncleaned. */
function unitParts(unit: string): [string, string] {
  const slash = unit.indexOf('/');
  const mainRaw = (slash < 0 ? unit : unit.slice(0, slash)).trim();
  const perRaw = slash < 0 ? '' : unit.slice(slash + 1).trim();
  let main = '';
  if (mainRaw !== '' && !/[{}]/.test(mainRaw)) main = hasOwn.call(UNIT_WORDS, mainRaw) ? UNIT_WORDS[mainRaw] : mainRaw;
  let per = '';
  if (perRaw !== '' && !/[{}]/.test(perRaw)) per = `per_${hasOwn.call(PER_UNIT_WORDS, perRaw) ? PER_UNIT_WORDS[perRaw] : perRaw}`;
  return [main, per];
}

/**
 * The Prometheus metric family name of an OTel metric, or '' when nothing of the name survives
 * (the caller rejects the metric).
 */
export function promMetricName(name: string, unit: string, type: NamingType): string {
  let tokens = words(name);
  const [mainRaw, perRaw] = unitParts(unit);
  let main = cleanUnit(mainRaw);
  let per = cleanUnit(perRaw);
  if (tokens.includes(main)) main = '';
  if (per === 'per_') per = '';
  else {
    per = per.replace(/_$/, '');
    if (tokens.includes(per)) per = '';
  }
  if (per !== '') main = main.replace(/_$/, '');
  if (main !== '') tokens.push(main);
  if (per !== '') tokens.push(per);
  if (type === 'counter') tokens = [...tokens.filter((t) => t !== 'total'), 'total'];
  if (unit === '1' && type === 'gauge') tokens = [...tokens.filter((t) => t !== 'ratio'), 'ratio'];
  let out = tokens.join('_');
  if (out !== '' && out.charCodeAt(0) >= 48 && out.charCodeAt(0) <= 57) out = `_${out}`;
  return /^_*$/.test(out) ? '' : out;
}

/** The unit as metadata records it ("By/s" -> "bytes_per_second", "1" -> ""). */
export function promUnit(unit: string): string {
  const [mainRaw, perRaw] = unitParts(unit);
  const main = cleanUnit(mainRaw);
  const per = cleanUnit(perRaw);
  const u = main !== '' && per !== '' ? `${main}_${per}` : main !== '' ? main : per;
  return u.replace(/^_/, '').replace(/_$/, '');
}

const labelNames = new Map<string, string>();

/**
 * The Prometheus label name of an attribute key, or '' when nothing valid is left (an empty key,
 * or one of only invalid characters): the caller rejects the point. Cached: a process sees few keys.
 */
export function promLabelName(key: string): string {
  const hit = labelNames.get(key);
  if (hit !== undefined) return hit;
  let out = '';
  if (key !== '') {
    out = key.replace(/[^a-zA-Z0-9_]/gu, '_');
    const c = out.charCodeAt(0);
    if (c >= 48 && c <= 57) out = `key_${out}`;
    else if (c === 95 && out.charCodeAt(1) !== 95) out = `key${out}`;
    if (out !== key && /^_*$/.test(out)) out = '';
  }
  if (labelNames.size < 10_000) labelNames.set(key, out);
  return out;
}

/**
 * A float as Go's strconv.FormatFloat(v, 'f', -1, 64) spells it (the `le` and `quantile` label
 * values Prometheus writes): the shortest round-trip digits, never an exponent; "+Inf", "-Inf", "NaN".
 */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  // d.ddde±x -> plain decimal
  const neg = s.charCodeAt(0) === 45;
  const mant = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mant.indexOf('.');
  const digits = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
  const intLen = (dot < 0 ? mant.length : dot) + exp;
  let out: string;
  if (intLen <= 0) out = `0.${'0'.repeat(-intLen)}${digits}`;
  else if (intLen >= digits.length) out = digits + '0'.repeat(intLen - digits.length);
  else out = `${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
  return neg ? `-${out}` : out;
}
