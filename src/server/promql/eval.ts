// The PromQL evaluator. Every selector's samples are fetched once for the whole query; then the
// expression is evaluated step by step in memory (instant query = one step). Per-node state (series
// cursors, label caches) lives for the whole query, so a range query costs about
// O(steps × series + samples). Semantics follow Prometheus 2.42 (see selectors.ts for windows).
import { SET_OPS, unwrapParens, type Call, type Expr, type MatrixSelector, type VectorSelector } from './ast.js';
import { aggregate, AggregationState } from './aggregations.js';
import { BinaryState, scalarBinop, vectorBinop, vectorScalarBinop, vectorSetOp } from './binary.js';
import { EvalError, TimeoutError } from './errors.js';
import {
  clampVector, dateVector, goMax, goMin, histogramQuantile, HistogramState, isDateFunction, labelJoin, labelReplace,
  LabelReplaceState, MATH_FUNCTIONS, mapValues, roundVector, sortVector,
} from './functions.js';
import { RANGE_FUNCTIONS } from './range-functions.js';
import { fetchRange, InstantCursor, RangeCursor, refTimeMs, toSeries, type QueryTimes, type Series } from './selectors.js';
import type { PromStorage } from './storage.js';
import { compareLabels, dropMetricName, EMPTY_LABELS, LabelIds, SeenStamps, type Labels, type StepValue, type Vector } from './values.js';

export const DEFAULT_LOOKBACK_MS = 5 * 60_000;
/** Prometheus' default --query.max-samples. */
export const DEFAULT_MAX_SAMPLES = 50_000_000;

export interface EvalOptions {
  lookbackMs?: number;
  /** Absolute Date.now() deadline; past it the query fails with a TimeoutError. */
  deadlineMs?: number;
  /** Bound on samples loaded plus points produced (default 50 M, as Prometheus). */
  maxSamples?: number;
}

export interface MatrixSeries {
  labels: Labels;
  tsMs: number[];
  values: number[];
}

export type QueryResult =
  | { resultType: 'scalar'; tMs: number; value: number }
  | { resultType: 'string'; tMs: number; value: string }
  | { resultType: 'vector'; tMs: number; samples: Array<{ labels: Labels; value: number }> }
  | { resultType: 'matrix'; series: MatrixSeries[] };

const TOO_MANY_SAMPLES = 'query processing would load too many samples into memory in query execution';

/** Labels absent() / absent_over_time() give their single output: the selector's `=` matchers. */
function absentLabels(arg: Expr): Labels {
  const e = unwrapParensOnlyIfSelector(arg);
  if (e === undefined) return EMPTY_LABELS;
  const vs = e.type === 'MatrixSelector' ? e.vs : e;
  const out: Record<string, string> = {};
  const drop = new Set<string>();
  for (const m of vs.matchers) {
    if (m.label === '__name__') continue;
    if (m.op === '=' && out[m.label] === undefined && !drop.has(m.label)) out[m.label] = m.value;
    else drop.add(m.label);
  }
  for (const d of drop) delete out[d];
  return Object.freeze(out);
}

/** Prometheus reads absent()'s argument as written: parentheses hide the selector. */
function unwrapParensOnlyIfSelector(e: Expr): VectorSelector | MatrixSelector | undefined {
  return e.type === 'VectorSelector' || e.type === 'MatrixSelector' ? e : undefined;
}

class Evaluator {
  private readonly fetched = new Map<VectorSelector, Series[]>();
  private readonly states = new Map<Expr, unknown>();
  readonly ids = new LabelIds();
  private readonly seen = new SeenStamps();
  private samplesLoaded = 0;

  constructor(
    readonly q: QueryTimes,
    readonly maxSamples: number,
  ) {}

  get loaded(): number {
    return this.samplesLoaded;
  }

  /** Fetches every selector's samples for the whole query (identical selections once). */
  async prefetch(root: Expr, storage: PromStorage): Promise<void> {
    const wanted: Array<{ vs: VectorSelector; fromMs: number; toMs: number }> = [];
    const visit = (e: Expr): void => {
      switch (e.type) {
        case 'VectorSelector':
          wanted.push({ vs: e, ...fetchRange(e, undefined, this.q) });
          return;
        case 'MatrixSelector':
          wanted.push({ vs: e.vs, ...fetchRange(e.vs, e.rangeMs, this.q) });
          return;
        case 'Call':
          e.args.forEach(visit);
          return;
        case 'AggregateExpr':
          if (e.param) visit(e.param);
          visit(e.expr);
          return;
        case 'BinaryExpr':
          visit(e.lhs);
          visit(e.rhs);
          return;
        case 'UnaryExpr':
        case 'ParenExpr':
          visit(e.expr);
          return;
        default:
          return;
      }
    };
    visit(root);
    const shared = new Map<string, Promise<Series[]>>();
    await Promise.all(
      wanted.map(async (w) => {
        const key = JSON.stringify([w.vs.matchers, w.fromMs, w.toMs]);
        let p = shared.get(key);
        if (p === undefined) {
          p = storage.select(w.vs.matchers, w.fromMs, w.toMs).then((list) => {
            for (const s of list) this.samplesLoaded += s.tsMs.length;
            if (this.samplesLoaded > this.maxSamples) throw new EvalError(TOO_MANY_SAMPLES);
            return list.map(toSeries);
          });
          shared.set(key, p);
        }
        this.fetched.set(w.vs, await p);
      }),
    );
  }

  series(vs: VectorSelector): Series[] {
    const s = this.fetched.get(vs);
    if (s === undefined) throw new Error('internal: selector was not fetched');
    return s;
  }

  private state<T>(e: Expr, make: () => T): T {
    let s = this.states.get(e) as T | undefined;
    if (s === undefined) this.states.set(e, (s = make()));
    return s;
  }

  /** Prometheus fails a step whose vector holds one label set twice (after a node changed labels). */
  checkStep(vec: Vector): Vector {
    if (vec.length < 2) return vec;
    this.seen.next();
    for (const s of vec) if (!this.seen.mark(this.ids.of(s.labels))) throw new EvalError('vector cannot contain metrics with the same labelset');
    return vec;
  }

  /**
   * Where Prometheus builds a whole output series per input series (range-vector functions, unary
   * minus), two inputs mapping to one output label set fail the query even at different steps.
   * `sourceOf` maps an output label id to the id of the input that first produced it.
   */
  private checkSeriesIdentity(sourceOf: Map<number, number>, outLabels: Labels, inLabels: Labels): void {
    const out = this.ids.of(outLabels);
    const src = this.ids.of(inLabels);
    const prev = sourceOf.get(out);
    if (prev === undefined) sourceOf.set(out, src);
    else if (prev !== src) throw new EvalError('vector cannot contain metrics with the same labelset');
  }

  eval(e: Expr, t: number): StepValue {
    switch (e.type) {
      case 'NumberLiteral':
      case 'StringLiteral':
        return e.value;
      case 'ParenExpr':
        return this.eval(e.expr, t);
      case 'UnaryExpr': {
        const v = this.eval(e.expr, t);
        if (e.op === '+') return v;
        if (typeof v === 'number') return -v;
        const seen = this.state(e, () => new Map<number, number>());
        const out: Vector = new Array((v as Vector).length);
        (v as Vector).forEach((s, i) => {
          const labels = dropMetricName(s.labels);
          this.checkSeriesIdentity(seen, labels, s.labels);
          out[i] = { labels, v: -s.v };
        });
        return out;
      }
      case 'VectorSelector': {
        const cursor = this.state(e, () => new InstantCursor(this.series(e)));
        return cursor.select(refTimeMs(e, t, this.q), this.q.lookbackMs);
      }
      case 'MatrixSelector':
        throw new Error('internal: a range vector outside a function call');
      case 'Call':
        return this.call(e, t);
      case 'AggregateExpr': {
        const st = this.state(e, () => new AggregationState(e));
        const param = e.param === undefined ? undefined : (this.eval(e.param, t) as number | string);
        return aggregate(st, this.eval(e.expr, t) as Vector, param);
      }
      case 'BinaryExpr': {
        const l = this.eval(e.lhs, t);
        const r = this.eval(e.rhs, t);
        if (typeof l === 'number' && typeof r === 'number') return scalarBinop(e.op, l, r);
        const st = this.state(e, () => new BinaryState(e, this.ids));
        // Vector/vector results are unique by construction (one result per match group, set
        // operators pass samples through); vector/scalar arithmetic drops the metric name.
        if (typeof l === 'number') return this.checkStep(vectorScalarBinop(st, r as Vector, l, true));
        if (typeof r === 'number') return this.checkStep(vectorScalarBinop(st, l as Vector, r, false));
        return SET_OPS.has(e.op) ? vectorSetOp(st, l as Vector, r as Vector) : vectorBinop(st, l as Vector, r as Vector);
      }
    }
  }

  private rangeCall(e: Call, t: number, argIndex: number): Vector {
    const ms = unwrapParens(e.args[argIndex]) as MatrixSelector;
    const st = this.state(e, () => {
      const series = this.series(ms.vs);
      return { cursor: new RangeCursor(series), seen: new Map<number, number>(), checked: new Uint8Array(series.length), absent: absentLabels(e.args[0]) };
    });
    const ref = refTimeMs(ms.vs, t, this.q);
    st.cursor.advance(ref, ms.rangeMs);
    const n = st.cursor.series.length;
    if (e.func === 'absent_over_time') {
      for (let i = 0; i < n; i++) if (st.cursor.size(i) > 0) return [];
      return [{ labels: st.absent, v: 1 }];
    }
    const f = RANGE_FUNCTIONS.get(e.func)!;
    const param = e.func === 'quantile_over_time' ? (this.eval(e.args[0], t) as number) : NaN;
    const keepName = e.func === 'last_over_time';
    const out: Vector = [];
    for (let i = 0; i < n; i++) {
      if (st.cursor.size(i) === 0) continue;
      const v = f(st.cursor.window(i, ref, ms.rangeMs), param);
      if (v === undefined) continue;
      const inLabels = st.cursor.series[i].labels;
      const labels = keepName ? inLabels : dropMetricName(inLabels);
      if (st.checked[i] === 0) {
        this.checkSeriesIdentity(st.seen, labels, inLabels);
        st.checked[i] = 1;
      }
      out.push({ labels, v });
    }
    return out;
  }

  private call(e: Call, t: number): StepValue {
    const name = e.func;
    const matrixArg = e.args.findIndex((a) => unwrapParens(a).type === 'MatrixSelector');
    if (matrixArg >= 0) return this.rangeCall(e, t, matrixArg);
    const vec = (i: number): Vector => this.eval(e.args[i], t) as Vector;
    const num = (i: number): number => this.eval(e.args[i], t) as number;
    const str = (i: number): string => this.eval(e.args[i], t) as string;
    const math = MATH_FUNCTIONS.get(name);
    if (math !== undefined) return this.checkStep(mapValues(vec(0), math));
    if (isDateFunction(name)) {
      const input: Vector = e.args.length === 0 ? [{ labels: EMPTY_LABELS, v: t / 1000 }] : vec(0);
      return this.checkStep(dateVector(name, input));
    }
    switch (name) {
      case 'round':
        return this.checkStep(roundVector(vec(0), e.args.length > 1 ? num(1) : 1));
      case 'clamp': {
        const v = vec(0);
        return this.checkStep(clampVector(v, num(1), num(2)));
      }
      case 'clamp_min': {
        const v = vec(0);
        const min = num(1);
        return this.checkStep(mapValues(v, (x) => goMax(x, min)));
      }
      case 'clamp_max': {
        const v = vec(0);
        const max = num(1);
        return this.checkStep(mapValues(v, (x) => goMin(x, max)));
      }
      case 'histogram_quantile': {
        const q = num(0);
        const st = this.state(e, () => new HistogramState());
        return this.checkStep(histogramQuantile(st, q, vec(1)));
      }
      case 'label_replace': {
        const st = this.state(e, () => new LabelReplaceState());
        return this.checkStep(labelReplace(st, vec(0), str(1), str(2), str(3), str(4)));
      }
      case 'label_join': {
        const st = this.state(e, () => new LabelReplaceState());
        const srcs: string[] = [];
        for (let i = 3; i < e.args.length; i++) srcs.push(str(i));
        return this.checkStep(labelJoin(st, vec(0), str(1), str(2), srcs));
      }
      case 'scalar': {
        const v = vec(0);
        return v.length === 1 ? v[0].v : NaN;
      }
      case 'vector':
        return [{ labels: EMPTY_LABELS, v: num(0) }];
      case 'time':
        return t / 1000;
      case 'pi':
        return Math.PI;
      case 'timestamp': {
        // A plain selector's samples carry their own time; anything else is stamped at the step.
        const direct = unwrapParens(e.args[0]).type === 'VectorSelector';
        const v = vec(0);
        return this.checkStep(v.map((s) => ({ labels: dropMetricName(s.labels), v: (direct && s.t !== undefined ? s.t : t) / 1000 })));
      }
      case 'sort':
      case 'sort_desc':
        return sortVector(vec(0), name === 'sort_desc');
      case 'absent':
        return vec(0).length > 0 ? [] : [{ labels: this.state(e, () => absentLabels(e.args[0])), v: 1 }];
      default:
        throw new EvalError(`function ${JSON.stringify(name)} is not supported`);
    }
  }
}

function checkDeadline(deadlineMs: number | undefined): void {
  if (deadlineMs !== undefined && Date.now() > deadlineMs) throw new TimeoutError();
}

function makeEvaluator(startMs: number, endMs: number, opts: EvalOptions): Evaluator {
  return new Evaluator({ startMs, endMs, lookbackMs: opts.lookbackMs ?? DEFAULT_LOOKBACK_MS }, opts.maxSamples ?? DEFAULT_MAX_SAMPLES);
}

/** Evaluates `expr` at one time (an instant query). */
export async function instantQuery(storage: PromStorage, expr: Expr, tMs: number, opts: EvalOptions = {}): Promise<QueryResult> {
  const ev = makeEvaluator(tMs, tMs, opts);
  await ev.prefetch(expr, storage);
  checkDeadline(opts.deadlineMs);
  const inner = unwrapParens(expr);
  if (inner.type === 'MatrixSelector') {
    const cursor = new RangeCursor(ev.series(inner.vs));
    const ref = refTimeMs(inner.vs, tMs, ev.q);
    cursor.advance(ref, inner.rangeMs);
    const series: MatrixSeries[] = [];
    for (let i = 0; i < cursor.series.length; i++) {
      const w = cursor.window(i, ref, inner.rangeMs);
      if (w.hi <= w.lo) continue;
      series.push({ labels: cursor.series[i].labels, tsMs: Array.from(w.ts).slice(w.lo, w.hi), values: Array.from(w.vs).slice(w.lo, w.hi) });
    }
    series.sort((a, b) => compareLabels(a.labels, b.labels));
    return { resultType: 'matrix', series };
  }
  const v = ev.eval(expr, tMs);
  if (typeof v === 'number') return { resultType: 'scalar', tMs, value: v };
  if (typeof v === 'string') return { resultType: 'string', tMs, value: v };
  ev.checkStep(v);
  return { resultType: 'vector', tMs, samples: v.map((s) => ({ labels: s.labels, value: s.v })) };
}

/** Evaluates `expr` at startMs, startMs + stepMs, ... ≤ endMs (a range query): a matrix. */
export async function rangeQuery(storage: PromStorage, expr: Expr, startMs: number, endMs: number, stepMs: number, opts: EvalOptions = {}): Promise<QueryResult> {
  const ev = makeEvaluator(startMs, endMs, opts);
  await ev.prefetch(expr, storage);
  const maxSamples = opts.maxSamples ?? DEFAULT_MAX_SAMPLES;
  let points = ev.loaded;
  const acc: Array<{ labels: Labels; tsMs: number[]; values: number[]; lastStep: number }> = [];
  let lastYield = performance.now();
  for (let step = 0, t = startMs; t <= endMs; step++, t += stepMs) {
    if (performance.now() - lastYield > 20) {
      // Long queries share the event loop with ingest and other requests.
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = performance.now();
      checkDeadline(opts.deadlineMs);
    }
    const v = ev.eval(expr, t);
    const add = (labels: Labels, value: number): void => {
      const id = ev.ids.of(labels);
      let s = acc[id];
      if (s === undefined) acc[id] = s = { labels, tsMs: [], values: [], lastStep: -1 };
      else if (s.lastStep === step) throw new EvalError('vector cannot contain metrics with the same labelset');
      s.lastStep = step;
      s.tsMs.push(t);
      s.values.push(value);
    };
    if (typeof v === 'number') {
      add(EMPTY_LABELS, v);
      points++;
    } else if (typeof v === 'string') {
      throw new EvalError('invalid expression type "string" for range query, must be Scalar or instant Vector');
    } else {
      for (const s of v) add(s.labels, s.v);
      points += v.length;
    }
    if (points > maxSamples) throw new EvalError(TOO_MANY_SAMPLES);
  }
  checkDeadline(opts.deadlineMs);
  const series: MatrixSeries[] = [];
  for (const s of acc) if (s !== undefined) series.push({ labels: s.labels, tsMs: s.tsMs, values: s.values });
  series.sort((a, b) => compareLabels(a.labels, b.labels));
  return { resultType: 'matrix', series };
}
