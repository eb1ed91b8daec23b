// Aggregation operators over one step's instant vector, grouped by/without labels. Group keys and
// output label sets are cached per input label set (stable across steps), so each step only adds
// numbers. topk/bottomk use the same binary heap discipline as Prometheus, so ties pick the same
// series; group order is first appearance, as in Prometheus.
import type { AggregateExpr } from './ast.js';
import { EvalError } from './errors.js';
import { formatFloatF } from './format.js';
import { quantile } from './quantile.js';
import { EMPTY_LABELS, keepLabels, LABEL_NAME_RE, METRIC_NAME, withLabels, type Labels, type Sample, type Vector } from './values.js';

interface GroupOf {
  id: number;
  labels: Labels;
}

interface Group {
  labels: Labels;
  value: number;
  mean: number;
  count: number;
  heap: Sample[];
  values: number[];
}

/**
 * Per-node state: each input label set's group (computed once per label set), group keys interned
 * to small ids, and a per-step table of groups indexed by id (stamped with the step's round).
 */
export class AggregationState {
  readonly byLabels = new WeakMap<Labels, GroupOf>();
  readonly grouping: string[];
  private readonly idByKey = new Map<string, number>();
  private stamp = new Int32Array(16);
  private at: Group[] = [];
  private round = 0;
  constructor(readonly node: AggregateExpr) {
    this.grouping = [...node.grouping].sort();
  }

  group(labels: Labels, grouping: readonly string[], without: boolean): GroupOf {
    const { key, labels: out } = groupKey(labels, grouping, without);
    let id = this.idByKey.get(key);
    if (id === undefined) {
      this.idByKey.set(key, (id = this.idByKey.size));
      if (id >= this.stamp.length) {
        const grown = new Int32Array(this.stamp.length * 2);
        grown.set(this.stamp);
        this.stamp = grown;
      }
    }
    return { id, labels: out };
  }

  nextRound(): void {
    this.round++;
  }

  get(id: number): Group | undefined {
    return this.stamp[id] === this.round ? this.at[id] : undefined;
  }

  set(id: number, g: Group): void {
    this.stamp[id] = this.round;
    this.at[id] = g;
  }
}

function groupKey(labels: Labels, grouping: readonly string[], without: boolean): { key: string; labels: Labels } {
  let key = '';
  let out: Labels;
  if (without) {
    const o: Record<string, string> = {};
    for (const n of Object.keys(labels).sort()) {
      if (n === METRIC_NAME || grouping.includes(n)) continue;
      o[n] = labels[n];
      key += n + '\xff' + labels[n] + '\xff';
    }
    out = Object.freeze(o);
  } else if (grouping.length === 0) {
    out = EMPTY_LABELS;
  } else {
    for (const n of grouping) if (labels[n] !== undefined) key += n + '\xff' + labels[n] + '\xff';
    out = keepLabels(labels, grouping);
  }
  return { key, labels: out };
}

// Heap helpers mirroring Go's container/heap (so equal values resolve as in Prometheus).
type Less = (a: Sample, b: Sample) => boolean;
const topLess: Less = (a, b) => Number.isNaN(a.v) || a.v < b.v;
const bottomLess: Less = (a, b) => Number.isNaN(a.v) || a.v > b.v;

function heapUp(h: Sample[], j: number, less: Less): void {
  for (;;) {
    const i = Math.trunc((j - 1) / 2);
    if (i === j || !less(h[j], h[i])) break;
    [h[i], h[j]] = [h[j], h[i]];
    j = i;
  }
}

function heapDown(h: Sample[], i0: number, n: number, less: Less): void {
  let i = i0;
  for (;;) {
    const j1 = 2 * i + 1;
    if (j1 >= n) break;
    let j = j1;
    const j2 = j1 + 1;
    if (j2 < n && less(h[j2], h[j1])) j = j2;
    if (!less(h[j], h[i])) break;
    [h[i], h[j]] = [h[j], h[i]];
    i = j;
  }
}

function heapPush(h: Sample[], s: Sample, less: Less): void {
  h.push(s);
  heapUp(h, h.length - 1, less);
}

function heapPop(h: Sample[], less: Less): void {
  const n = h.length - 1;
  [h[0], h[n]] = [h[n], h[0]];
  heapDown(h, 0, n, less);
  h.pop();
}

/** Applies the aggregation to one step's vector. `param` is the step's topk k / quantile φ / count_values label. */
export function aggregate(st: AggregationState, vec: Vector, param: number | string | undefined): Vector {
  const { op, without } = st.node;
  let grouping = st.grouping;
  let k = 0;
  if (op === 'topk' || op === 'bottomk') {
    const f = param as number;
    if (!(f <= 9.223372036854776e18 && f >= -9.223372036854776e18)) throw new EvalError(`Scalar value ${formatFloatF(f)} overflows int64`);
    k = Math.trunc(f);
    if (k < 1) return [];
  }
  let valueLabel = '';
  if (op === 'count_values') {
    valueLabel = param as string;
    if (!LABEL_NAME_RE.test(valueLabel)) throw new EvalError(`invalid label name ${JSON.stringify(valueLabel)}`);
    if (!without) grouping = [...grouping, valueLabel].sort();
  }
  st.nextRound();
  const ordered: Group[] = [];
  const less = op === 'bottomk' ? bottomLess : topLess;
  for (const s of vec) {
    let g: GroupOf;
    if (op === 'count_values') {
      g = st.group(withLabels(s.labels, { [valueLabel]: formatFloatF(s.v) }), grouping, without);
    } else {
      let cached = st.byLabels.get(s.labels);
      if (cached === undefined) st.byLabels.set(s.labels, (cached = st.group(s.labels, grouping, without)));
      g = cached;
    }
    const group = st.get(g.id);
    if (group === undefined) {
      const ng: Group = { labels: g.labels, value: s.v, mean: s.v, count: 1, heap: [], values: [] };
      if (op === 'stddev' || op === 'stdvar') ng.value = 0;
      else if (op === 'group') ng.value = 1;
      else if (op === 'topk' || op === 'bottomk') ng.heap.push(s);
      else if (op === 'quantile') ng.values.push(s.v);
      st.set(g.id, ng);
      ordered.push(ng);
      continue;
    }
    switch (op) {
      case 'sum':
        group.value += s.v;
        break;
      case 'avg': {
        group.count++;
        const m = group.mean;
        if (!Number.isFinite(m) && !Number.isNaN(m)) {
          // An infinite mean only changes with a NaN or an infinity of the other sign.
          if (!Number.isFinite(s.v) && !Number.isNaN(s.v) && m > 0 === s.v > 0) break;
          if (Number.isFinite(s.v)) break;
        }
        group.mean += s.v / group.count - m / group.count;
        break;
      }
      case 'max':
        if (group.value < s.v || Number.isNaN(group.value)) group.value = s.v;
        break;
      case 'min':
        if (group.value > s.v || Number.isNaN(group.value)) group.value = s.v;
        break;
      case 'count':
      case 'count_values':
        group.count++;
        break;
      case 'stddev':
      case 'stdvar': {
        group.count++;
        const delta = s.v - group.mean;
        group.mean += delta / group.count;
        group.value += delta * (s.v - group.mean);
        break;
      }
      case 'topk':
      case 'bottomk': {
        const h = group.heap;
        const top = h[0].v;
        const better = op === 'topk' ? top < s.v : top > s.v;
        if (h.length < k || better || Number.isNaN(top)) {
          if (h.length === k) {
            if (k === 1) {
              h[0] = s;
              break;
            }
            heapPop(h, less);
          }
          heapPush(h, s, less);
        }
        break;
      }
      case 'quantile':
        group.values.push(s.v);
        break;
      case 'group':
        break;
    }
  }
  const out: Vector = [];
  for (const g of ordered) {
    switch (op) {
      case 'avg':
        g.value = g.mean;
        break;
      case 'count':
      case 'count_values':
        g.value = g.count;
        break;
      case 'stdvar':
        g.value /= g.count;
        break;
      case 'stddev':
        g.value = Math.sqrt(g.value / g.count);
        break;
      case 'quantile':
        g.value = quantile(param as number, g.values);
        break;
      case 'topk':
      case 'bottomk': {
        // Highest (topk) / lowest (bottomk) first, NaN last.
        const sorted = [...g.heap].sort((a, b) => (less(b, a) ? -1 : less(a, b) ? 1 : 0));
        for (const s of sorted) out.push({ labels: s.labels, v: s.v });
        continue;
      }
      default:
        break;
    }
    out.push({ labels: g.labels, v: g.value });
  }
  return out;
}
