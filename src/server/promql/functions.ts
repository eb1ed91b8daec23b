// Instant-vector functions for one step: element-wise math, clamping and rounding, label rewriting,
// histogram_quantile, sorting and calendar functions. Output label sets are cached per input label
// set so a series keeps one label object across steps.
import { EvalError } from './errors.js';
import { bucketQuantile, type Bucket } from './quantile.js';
import { compileRe2 } from './regex.js';
import { dropMetricName, LABEL_NAME_RE, METRIC_NAME, withLabels, type Labels, type Vector } from './values.js';

type MathFn = (v: number) => number;

export const MATH_FUNCTIONS: ReadonlyMap<string, MathFn> = new Map<string, MathFn>([
  ['abs', Math.abs],
  ['ceil', Math.ceil],
  ['floor', Math.floor],
  ['exp', Math.exp],
  ['ln', Math.log],
  ['log2', Math.log2],
  ['log10', Math.log10],
  ['sqrt', Math.sqrt],
  ['sgn', (v) => (v < 0 ? -1 : v > 0 ? 1 : v)],
  ['acos', Math.acos],
  ['acosh', Math.acosh],
  ['asin', Math.asin],
  ['asinh', Math.asinh],
  ['atan', Math.atan],
  ['atanh', Math.atanh],
  ['cos', Math.cos],
  ['cosh', Math.cosh],
  ['sin', Math.sin],
  ['sinh', Math.sinh],
  ['tan', Math.tan],
  ['tanh', Math.tanh],
  ['deg', (v) => (v * 180) / Math.PI],
  ['rad', (v) => (v * Math.PI) / 180],
]);

/** f applied to every sample, metric name dropped. */
export function mapValues(vec: Vector, f: MathFn): Vector {
  const out: Vector = new Array(vec.length);
  for (let i = 0; i < vec.length; i++) out[i] = { labels: dropMetricName(vec[i].labels), v: f(vec[i].v) };
  return out;
}

export function roundVector(vec: Vector, toNearest: number): Vector {
  const inverse = 1 / toNearest;
  return mapValues(vec, (v) => Math.floor(v * inverse + 0.5) / inverse);
}

export function clampVector(vec: Vector, min: number, max: number): Vector {
  if (max < min) return [];
  return mapValues(vec, (v) => goMax(min, goMin(max, v)));
}

/** Go's math.Max/Min: NaN wins, and -0 < +0. */
export function goMax(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  if (a === 0 && b === 0) return Object.is(a, -0) ? b : a;
  return a > b ? a : b;
}

export function goMin(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  if (a === 0 && b === 0) return Object.is(a, -0) ? a : b;
  return a < b ? a : b;
}

/** Ascending (sort) or descending (sort_desc) by value, NaN last either way. */
export function sortVector(vec: Vector, desc: boolean): Vector {
  return [...vec].sort((a, b) => {
    const an = Number.isNaN(a.v);
    const bn = Number.isNaN(b.v);
    if (an || bn) return an === bn ? 0 : an ? 1 : -1;
    return desc ? b.v - a.v : a.v - b.v;
  });
}

// ------------------------------------------------------------------ calendar functions

const DATE_FUNCTIONS: Record<string, (d: Date) => number> = {
  year: (d) => d.getUTCFullYear(),
  month: (d) => d.getUTCMonth() + 1,
  day_of_month: (d) => d.getUTCDate(),
  day_of_week: (d) => d.getUTCDay(),
  day_of_year: (d) => Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1,
  days_in_month: (d) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate(),
  hour: (d) => d.getUTCHours(),
  minute: (d) => d.getUTCMinutes(),
};

export function isDateFunction(name: string): boolean {
  return DATE_FUNCTIONS[name] !== undefined;
}

/** Calendar field of each sample's value taken as Unix seconds (truncated), in UTC. */
export function dateVector(name: string, vec: Vector): Vector {
  const f = DATE_FUNCTIONS[name];
  return mapValues(vec, (v) => (Number.isFinite(v) ? f(new Date(Math.trunc(v) * 1000)) : NaN));
}

// ------------------------------------------------------------------ histogram_quantile

/** Go's strconv.ParseFloat for label values ("+Inf", "1e3", "0.5"); undefined when invalid. */
export function parseGoFloat(s: string): number | undefined {
  const t = s.trim() === s ? s : '';
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-]?0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+$/.test(t)) return parseHexFloat(t);
  return undefined;
}

function parseHexFloat(t: string): number {
  const neg = t.startsWith('-');
  const body = t.replace(/^[+-]?0[xX]/, '');
  const [mant, exp] = body.split(/[pP]/);
  const [ip, fp = ''] = mant.split('.');
  const v = (parseInt(ip || '0', 16) + (fp ? parseInt(fp, 16) / 16 ** fp.length : 0)) * 2 ** Number(exp);
  return neg ? -v : v;
}

interface BucketOf {
  key: string;
  labels: Labels;
  upperBound: number;
}

/** Per-node cache: each bucket series' group (labels without `le`) and parsed bound. */
export class HistogramState {
  readonly byLabels = new WeakMap<Labels, BucketOf | null>();
}

export function histogramQuantile(st: HistogramState, q: number, vec: Vector): Vector {
  const groups = new Map<string, { labels: Labels; buckets: Bucket[] }>();
  for (const s of vec) {
    let b = st.byLabels.get(s.labels);
    if (b === undefined) {
      const ub = parseGoFloat(s.labels.le ?? '');
      if (ub === undefined) b = null;
      else {
        let key = '';
        for (const n of Object.keys(s.labels).sort()) if (n !== 'le') key += n + '\xff' + s.labels[n] + '\xff';
        b = { key, labels: withLabels(s.labels, {}, [METRIC_NAME, 'le']), upperBound: ub };
      }
      st.byLabels.set(s.labels, b);
    }
    // Series without a parsable `le` are not buckets: skipped, as in Prometheus.
    if (b === null) continue;
    let g = groups.get(b.key);
    if (g === undefined) groups.set(b.key, (g = { labels: b.labels, buckets: [] }));
    g.buckets.push({ upperBound: b.upperBound, count: s.v });
  }
  const out: Vector = [];
  for (const g of groups.values()) out.push({ labels: g.labels, v: bucketQuantile(q, g.buckets) });
  return out;
}

// ------------------------------------------------------------------ label_replace / label_join

/** Go's regexp.Expand: $1, ${1}, $name, ${name}; $$ is a dollar; unknown groups expand to ''. */
export function expandTemplate(template: string, m: RegExpExecArray): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const d = template.indexOf('$', i);
    if (d < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, d);
    let j = d + 1;
    if (template[j] === '$') {
      out += '$';
      i = j + 1;
      continue;
    }
    const brace = template[j] === '{';
    if (brace) j++;
    const start = j;
    while (j < template.length && /[\p{L}\p{Nd}_]/u.test(template[j])) j++;
    let name = template.slice(start, j);
    if (name === '' || (brace && template[j] !== '}')) {
      // Malformed: the '$' is literal text.
      out += '$';
      i = d + 1;
      continue;
    }
    if (brace) j++;
    i = j;
    if (/^\d+$/.test(name)) {
      if (name.length > 1 && name[0] === '0') name = '';
      else {
        const num = Number(name);
        out += num < m.length ? (m[num] ?? '') : '';
        continue;
      }
    }
    out += m.groups?.[name] ?? '';
  }
  return out;
}

export class LabelReplaceState {
  readonly cache = new WeakMap<Labels, Labels>();
  checked = false;
}

export function labelReplace(st: LabelReplaceState, vec: Vector, dst: string, replacement: string, src: string, regex: string): Vector {
  let re: RegExp;
  try {
    re = compileRe2(regex).anchored;
  } catch (err) {
    throw new EvalError(`invalid regular expression in label_replace(): ${regex}`);
  }
  if (!st.checked) {
    if (!LABEL_NAME_RE.test(dst)) throw new EvalError(`invalid destination label name in label_replace(): ${dst}`);
    st.checked = true;
  }
  return relabel(st, vec, (labels) => {
    const m = re.exec(labels[src] ?? '');
    return m === null ? labels : withLabels(labels, { [dst]: expandTemplate(replacement, m) });
  });
}

/** Each sample with new labels, computed once per distinct label set (the cache lives across steps). */
function relabel(st: LabelReplaceState, vec: Vector, make: (labels: Labels) => Labels): Vector {
  const out: Vector = new Array(vec.length);
  for (let i = 0; i < vec.length; i++) {
    const s = vec[i];
    let l = st.cache.get(s.labels);
    if (l === undefined) {
      l = make(s.labels);
      st.cache.set(s.labels, l);
    }
    out[i] = { labels: l, v: s.v };
  }
  return out;
}

export function labelJoin(st: LabelReplaceState, vec: Vector, dst: string, sep: string, srcs: string[]): Vector {
  if (!st.checked) {
    if (!LABEL_NAME_RE.test(dst)) throw new EvalError(`invalid destination label name in label_join(): ${dst}`);
    for (const s of srcs) if (!LABEL_NAME_RE.test(s)) throw new EvalError(`invalid source label name in label_join(): ${s}`);
    st.checked = true;
  }
  return relabel(st, vec, (labels) => withLabels(labels, { [dst]: srcs.map((n) => labels[n] ?? '').join(sep) }));
}
