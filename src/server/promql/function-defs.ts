// Signatures of the supported PromQL functions: argument types, optional/variadic arguments and
// return type, as in Prometheus' function table (the parser checks calls against these).
import type { ValueType } from './ast.js';

export interface FunctionDef {
  name: string;
  argTypes: ValueType[];
  /** 0: exactly argTypes; n > 0: the last n... up to n more optional args; -1: last type repeats. */
  variadic: number;
  returnType: ValueType;
}

const V: ValueType = 'vector';
const M: ValueType = 'matrix';
const S: ValueType = 'scalar';
const STR: ValueType = 'string';

function def(name: string, argTypes: ValueType[], returnType: ValueType, variadic = 0): FunctionDef {
  return { name, argTypes, variadic, returnType };
}

const DEFS: FunctionDef[] = [
  // Element-wise math on instant vectors.
  ...['abs', 'ceil', 'floor', 'exp', 'ln', 'log2', 'log10', 'sqrt', 'sgn',
    'acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh', 'cos', 'cosh', 'sin', 'sinh', 'tan', 'tanh', 'deg', 'rad'].map((n) => def(n, [V], V)),
  def('round', [V, S], V, 1),
  def('clamp', [V, S, S], V),
  def('clamp_min', [V, S], V),
  def('clamp_max', [V, S], V),
  // Range-vector functions.
  ...['rate', 'irate', 'increase', 'delta', 'idelta', 'changes', 'resets',
    'avg_over_time', 'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'last_over_time',
    'stddev_over_time', 'stdvar_over_time', 'present_over_time', 'absent_over_time'].map((n) => def(n, [M], V)),
  def('quantile_over_time', [S, M], V),
  // Histograms and labels.
  def('histogram_quantile', [S, V], V),
  def('label_replace', [V, STR, STR, STR, STR], V),
  def('label_join', [V, STR, STR, STR], V, -1),
  // Type conversions, time, ordering, absence.
  def('scalar', [V], S),
  def('vector', [S], V),
  def('time', [], S),
  def('pi', [], S),
  def('timestamp', [V], V),
  def('sort', [V], V),
  def('sort_desc', [V], V),
  def('absent', [V], V),
  // Calendar functions of a timestamp vector (default: vector(time())).
  ...['year', 'month', 'day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'hour', 'minute'].map((n) => def(n, [V], V, 1)),
];

export const FUNCTIONS: ReadonlyMap<string, FunctionDef> = new Map(DEFS.map((d) => [d.name, d]));
