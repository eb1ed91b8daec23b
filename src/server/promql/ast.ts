// The PromQL syntax tree. Node shapes follow Prometheus' own AST closely so its evaluation rules
// (which node drops the metric name, which one matches on which labels) map one to one.
import type { LabelMatcher } from '../../metrics/types.js';

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

/** Prometheus' names for value types, used in error messages ("expected type range vector ..."). */
export function documentedType(t: ValueType): string {
  switch (t) {
    case 'vector':
      return 'instant vector';
    case 'matrix':
      return 'range vector';
    default:
      return t;
  }
}

/** Character offsets [start, end) into the query text. */
export interface PosRange {
  start: number;
  end: number;
}

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '^' | 'atan2' | '==' | '!=' | '>' | '<' | '>=' | '<=' | 'and' | 'or' | 'unless';

export const COMPARISON_OPS: ReadonlySet<BinaryOp> = new Set(['==', '!=', '>', '<', '>=', '<=']);
export const SET_OPS: ReadonlySet<BinaryOp> = new Set(['and', 'or', 'unless']);

export type AggregateOp = 'sum' | 'avg' | 'min' | 'max' | 'count' | 'group' | 'stddev' | 'stdvar' | 'topk' | 'bottomk' | 'quantile' | 'count_values';

export const AGGREGATE_OPS: ReadonlySet<string> = new Set<AggregateOp>([
  'sum', 'avg', 'min', 'max', 'count', 'group', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values',
]);

/** `@ <time>`, `@ start()` or `@ end()`. */
export type AtModifier = { kind: 'time'; ms: number } | { kind: 'start' } | { kind: 'end' };

export interface NumberLiteral {
  type: 'NumberLiteral';
  value: number;
  pos: PosRange;
}

export interface StringLiteral {
  type: 'StringLiteral';
  value: string;
  pos: PosRange;
}

export interface VectorSelector {
  type: 'VectorSelector';
  /** The metric name when written before the braces (it is also in `matchers` as `__name__`). */
  name?: string;
  /** Every matcher, the metric name included as `__name__ = name`. */
  matchers: LabelMatcher[];
  offsetMs: number;
  at?: AtModifier;
  pos: PosRange;
}

export interface MatrixSelector {
  type: 'MatrixSelector';
  vs: VectorSelector;
  rangeMs: number;
  pos: PosRange;
}

export interface Call {
  type: 'Call';
  func: string;
  args: Expr[];
  pos: PosRange;
}

export interface AggregateExpr {
  type: 'AggregateExpr';
  op: AggregateOp;
  /** topk/bottomk/quantile: a scalar; count_values: a string. */
  param?: Expr;
  expr: Expr;
  grouping: string[];
  without: boolean;
  pos: PosRange;
}

export type Cardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

export interface VectorMatching {
  card: Cardinality;
  /** True for `on(...)`, false for `ignoring(...)` or no modifier. */
  on: boolean;
  labels: string[];
  /** Labels copied from the "one" side by group_left/group_right. */
  include: string[];
}

export interface BinaryExpr {
  type: 'BinaryExpr';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  returnBool: boolean;
  /** Only when both sides are instant vectors. */
  matching?: VectorMatching;
  pos: PosRange;
  opPos: PosRange;
}

export interface UnaryExpr {
  type: 'UnaryExpr';
  op: '+' | '-';
  expr: Expr;
  pos: PosRange;
}

export interface ParenExpr {
  type: 'ParenExpr';
  expr: Expr;
  pos: PosRange;
}

export type Expr = NumberLiteral | StringLiteral | VectorSelector | MatrixSelector | Call | AggregateExpr | BinaryExpr | UnaryExpr | ParenExpr;

/** Strips parentheses (Prometheus looks through them in a few places, e.g. timestamp()). */
export function unwrapParens(e: Expr): Expr {
  while (e.type === 'ParenExpr') e = e.expr;
  return e;
}
