// Binary operators for one step: scalar/scalar, vector/scalar and vector/vector with on/ignoring,
// group_left/group_right and the set operators, following Prometheus' matching rules and errors.
// Match signatures and result label sets are cached per input label set (stable across steps).
import { COMPARISON_OPS, type BinaryExpr, type BinaryOp, type VectorMatching } from './ast.js';
import { EvalError } from './errors.js';
import { dropMetricName, keepLabels, METRIC_NAME, SeenStamps, type LabelIds, type Labels, type Sample, type Vector } from './values.js';

/** Go's math.Pow where it differs from JavaScript's: 1^y and (-1)^±Inf are 1. */
export function goPow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return Math.pow(x, y);
}

function arith(op: BinaryOp, l: number, r: number): number {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '%':
      return l % r;
    case '^':
      return goPow(l, r);
    case 'atan2':
      return Math.atan2(l, r);
    default:
      throw new Error(`not an arithmetic operator: ${op}`);
  }
}

function compare(op: BinaryOp, l: number, r: number): boolean {
  switch (op) {
    case '==':
      return l === r;
    case '!=':
      return l !== r;
    case '>':
      return l > r;
    case '<':
      return l < r;
    case '>=':
      return l >= r;
    case '<=':
      return l <= r;
    default:
      throw new Error(`not a comparison operator: ${op}`);
  }
}

/** Scalar op scalar (comparisons only with bool, which the parser enforces): 0/1 for comparisons. */
export function scalarBinop(op: BinaryOp, l: number, r: number): number {
  if (COMPARISON_OPS.has(op)) return compare(op, l, r) ? 1 : 0;
  return arith(op, l, r);
}

/** Arithmetic drops the metric name; in Prometheus 2.42 atan2 keeps it. */
function dropsName(op: BinaryOp): boolean {
  return op === '+' || op === '-' || op === '*' || op === '/' || op === '%' || op === '^';
}

/**
 * Per-node state of one binary expression. Match signatures are interned to small ids (per input
 * label set, once), so each step matches through arrays stamped with a round number instead of
 * hashing strings.
 */
export class BinaryState {
  private readonly sigIds = new WeakMap<Labels, number>();
  private readonly sigByKey = new Map<string, number>();
  private stamp = new Int32Array(64);
  private sampleAt: Sample[] = [];
  private round = 0;
  readonly matched = new SeenStamps();
  readonly oneToOne = new WeakMap<Labels, Labels>();
  /** many-side labels → one-side labels → result (both objects are stable across steps). */
  readonly manyToOne = new WeakMap<Labels, WeakMap<Labels, Labels>>();
  readonly isComparison: boolean;
  constructor(
    readonly node: BinaryExpr,
    readonly ids: LabelIds,
  ) {
    this.isComparison = COMPARISON_OPS.has(node.op);
  }

  /** Id of the label values that must match (on: the listed labels; else all but ignored and the name). */
  sigId(l: Labels): number {
    let id = this.sigIds.get(l);
    if (id === undefined) {
      const m = this.node.matching as VectorMatching;
      let k = '';
      if (m.on) {
        for (const n of [...m.labels].sort()) if (l[n] !== undefined) k += n + '\xff' + l[n] + '\xff';
      } else {
        for (const n of Object.keys(l).sort()) if (n !== METRIC_NAME && !m.labels.includes(n)) k += n + '\xff' + l[n] + '\xff';
      }
      id = this.sigByKey.get(k);
      if (id === undefined) {
        this.sigByKey.set(k, (id = this.sigByKey.size));
        if (id >= this.stamp.length) {
          const grown = new Int32Array(this.stamp.length * 2);
          grown.set(this.stamp);
          this.stamp = grown;
        }
      }
      this.sigIds.set(l, id);
    }
    return id;
  }

  /** Starts a round of put/get. */
  nextRound(): void {
    this.round++;
  }

  /** Records s under its signature for this round; returns the sample already there, if any. */
  put(id: number, s: Sample): Sample | undefined {
    const prev = this.stamp[id] === this.round ? this.sampleAt[id] : undefined;
    this.stamp[id] = this.round;
    this.sampleAt[id] = s;
    return prev;
  }

  get(id: number): Sample | undefined {
    return this.stamp[id] === this.round ? this.sampleAt[id] : undefined;
  }
}

/** The operator on two numbers: arithmetic result, or the comparison as 1/0. */
function apply(op: BinaryOp, isCmp: boolean, l: number, r: number): number {
  return isCmp ? (compare(op, l, r) ? 1 : 0) : arith(op, l, r);
}

/** Vector op scalar (swap: scalar op vector). */
export function vectorScalarBinop(st: BinaryState, vec: Vector, scalar: number, swap: boolean): Vector {
  const { op, returnBool } = st.node;
  const isCmp = st.isComparison;
  const drop = dropsName(op) || returnBool;
  const out: Vector = [];
  for (const s of vec) {
    const r = apply(op, isCmp, swap ? scalar : s.v, swap ? s.v : scalar);
    let value: number;
    if (!isCmp) value = r;
    else if (returnBool) value = r;
    // A comparison filters, keeping the vector's own value even when it is on the right.
    else if (r === 1) value = s.v;
    else continue;
    out.push({ labels: drop ? dropMetricName(s.labels) : s.labels, v: value });
  }
  return out;
}

/** and / or / unless. */
export function vectorSetOp(st: BinaryState, lhs: Vector, rhs: Vector): Vector {
  st.nextRound();
  switch (st.node.op) {
    case 'and': {
      if (lhs.length === 0 || rhs.length === 0) return [];
      for (const s of rhs) st.put(st.sigId(s.labels), s);
      return lhs.filter((s) => st.get(st.sigId(s.labels)) !== undefined);
    }
    case 'or': {
      const out: Vector = [];
      for (const s of lhs) {
        st.put(st.sigId(s.labels), s);
        out.push(s);
      }
      for (const s of rhs) if (st.get(st.sigId(s.labels)) === undefined) out.push(s);
      return out;
    }
    case 'unless': {
      if (rhs.length === 0) return lhs;
      for (const s of rhs) st.put(st.sigId(s.labels), s);
      return lhs.filter((s) => st.get(st.sigId(s.labels)) === undefined);
    }
    default:
      throw new Error(`not a set operator: ${st.node.op}`);
  }
}

function formatLabels(l: Labels): string {
  const names = Object.keys(l).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(l[n])}`).join(', ')}}`;
}

/** The label set of a vector/vector result (Prometheus' resultMetric). */
function resultLabels(st: BinaryState, ls: Labels, rs: Labels): Labels {
  const m = st.node.matching as VectorMatching;
  const { op, returnBool } = st.node;
  const drop = dropsName(op) || returnBool;
  if (m.card === 'one-to-one') {
    let r = st.oneToOne.get(ls);
    if (r === undefined) {
      let base = drop ? dropMetricName(ls) : ls;
      if (m.on) base = keepLabels(base, m.labels);
      else if (m.labels.length > 0) {
        const o: Record<string, string> = {};
        for (const n in base) if (!m.labels.includes(n)) o[n] = base[n];
        base = Object.freeze(o);
      }
      r = base;
      st.oneToOne.set(ls, r);
    }
    return r;
  }
  let byOne = st.manyToOne.get(ls);
  if (byOne === undefined) st.manyToOne.set(ls, (byOne = new WeakMap()));
  let r = byOne.get(rs);
  if (r === undefined) {
    const o: Record<string, string> = {};
    for (const n in ls) if (!(drop && n === METRIC_NAME)) o[n] = ls[n];
    // group_x labels come from the "one" side (and are removed when it lacks them).
    for (const n of m.include) {
      if (rs[n] !== undefined && rs[n] !== '') o[n] = rs[n];
      else delete o[n];
    }
    r = Object.freeze(o);
    byOne.set(rs, r);
  }
  return r;
}

/** Arithmetic and comparisons between two vectors. */
export function vectorBinop(st: BinaryState, lhs: Vector, rhs: Vector): Vector {
  const m = st.node.matching as VectorMatching;
  const { op, returnBool } = st.node;
  const isCmp = st.isComparison;
  const swapped = m.card === 'one-to-many';
  const many = swapped ? rhs : lhs;
  const one = swapped ? lhs : rhs;
  st.nextRound();
  for (const s of one) {
    const dup = st.put(st.sigId(s.labels), s);
    if (dup !== undefined) {
      const side = swapped ? 'left' : 'right';
      const group = m.on ? keepLabels(s.labels, m.labels) : withoutLabels(s.labels, m.labels);
      throw new EvalError(
        `found duplicate series for the match group ${formatLabels(group)} on the ${side} hand-side of the operation: ` +
          `[${formatLabels(s.labels)}, ${formatLabels(dup.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`,
      );
    }
  }
  // One-to-one: each match group once. Group modifiers: each result label set once (distinct
  // groups always give distinct result label sets, so one mark per step does what Prometheus'
  // per-group sets do).
  st.matched.next();
  const out: Vector = [];
  for (const s of many) {
    const sig = st.sigId(s.labels);
    const o = st.get(sig);
    if (o === undefined) continue;
    const vl = swapped ? o.v : s.v;
    const vr = swapped ? s.v : o.v;
    const r = apply(op, isCmp, vl, vr);
    let value: number;
    if (!isCmp || returnBool) value = r;
    else if (r === 1) value = vl;
    else continue;
    const labels = resultLabels(st, s.labels, o.labels);
    if (m.card === 'one-to-one') {
      if (!st.matched.mark(sig)) throw new EvalError('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
    } else if (!st.matched.mark(st.ids.of(labels))) {
      throw new EvalError('multiple matches for labels: grouping labels must ensure unique matches');
    }
    out.push({ labels, v: value });
  }
  return out;
}

function withoutLabels(l: Labels, names: readonly string[]): Labels {
  const o: Record<string, string> = {};
  for (const n in l) if (n !== METRIC_NAME && !names.includes(n)) o[n] = l[n];
  return o;
}
