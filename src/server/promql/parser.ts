// PromQL parser: precedence climbing over the token list with Prometheus' operator table
// (or < and/unless < comparisons < +,- < *,/,%,atan2 < ^, all left-associative but ^; unary minus
// binds like *, so -a^b is -(a^b)), then the same type checks Prometheus runs on its AST, so a query
// either parses as Prometheus would parse it or fails with a positioned error.
import type { LabelMatcher, MatchOp } from '../../metrics/types.js';
import {
  AGGREGATE_OPS, COMPARISON_OPS, SET_OPS, documentedType,
  type AggregateExpr, type AggregateOp, type AtModifier, type BinaryExpr, type BinaryOp, type Call, type Expr,
  type MatrixSelector, type PosRange, type ValueType, type VectorMatching, type VectorSelector,
} from './ast.js';
import { parseDurationMs } from './durations.js';
import { ParseError } from './errors.js';
import { FUNCTIONS } from './function-defs.js';
import { tokenize, type Token } from './lexer.js';
import { compileRe2 } from './regex.js';

const KEYWORDS = new Set(['and', 'or', 'unless', 'atan2', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset']);
const PARAM_AGGREGATES = new Set(['topk', 'bottomk', 'quantile', 'count_values']);
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Prometheus 2.42 functions outside the supported subset (a clearer error than "unknown"). */
const UNSUPPORTED_FUNCTIONS = new Set(['deriv', 'predict_linear', 'holt_winters', 'histogram_count', 'histogram_sum', 'histogram_fraction']);

interface OpInfo {
  op: BinaryOp;
  prec: number;
  rightAssoc: boolean;
}

const PUNCT_OPS: Record<string, number> = { '+': 4, '-': 4, '*': 5, '/': 5, '%': 5, '^': 6, '==': 3, '!=': 3, '>': 3, '<': 3, '>=': 3, '<=': 3 };
const WORD_OPS: Record<string, number> = { or: 1, and: 2, unless: 2, atan2: 5 };
/** Unary minus/plus take operands that bind tighter than * (only ^). */
const UNARY_OPERAND_PREC = 6;

/** Value type of an expression (after a successful parse). */
export function typeOf(e: Expr): ValueType {
  switch (e.type) {
    case 'NumberLiteral':
      return 'scalar';
    case 'StringLiteral':
      return 'string';
    case 'VectorSelector':
    case 'AggregateExpr':
      return 'vector';
    case 'MatrixSelector':
      return 'matrix';
    case 'Call':
      return FUNCTIONS.get(e.func)!.returnType;
    case 'BinaryExpr':
      return typeOf(e.lhs) === 'scalar' && typeOf(e.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'UnaryExpr':
    case 'ParenExpr':
      return typeOf(e.expr);
  }
}

/** Parses a PromQL expression; throws ParseError ("line:col: parse error: ...") when invalid. */
export function parseExpr(input: string): Expr {
  return new Parser(input).parseTop();
}

/** Parses a series selector (`match[]` parameters): a vector selector without modifiers. */
export function parseSeriesSelector(input: string): VectorSelector {
  const e = parseExpr(input);
  if (e.type !== 'VectorSelector') throw new ParseError(`expected a series selector (metric{label="value"}), got ${describeExpr(e)}`, 0, input);
  if (e.offsetMs !== 0 || e.at) throw new ParseError('a series selector cannot have offset or @ modifiers', e.pos.start, input);
  return e;
}

function describeExpr(e: Expr): string {
  return e.type === 'MatrixSelector' ? 'a range vector selector' : `an expression of type ${documentedType(typeOf(e))}`;
}

/** Go's ParseFloat with ParseInt's base prefixes first (so "017" is octal 15, as in Prometheus). */
export function parseNumberLiteral(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'inf') return Infinity;
  if (lower === 'nan') return NaN;
  if (/^0[0-7]+$/.test(text)) return parseInt(text.slice(1), 8);
  const v = /^0[xX][0-9a-fA-F]+$/.test(text) ? parseInt(text.slice(2), 16) : Number(text);
  if (Number.isNaN(v) || text === '') throw new Error(`invalid number ${JSON.stringify(text)}`);
  return v;
}

/**
 * Limits that keep every recursion over the AST (this parser, typeOf, the evaluator) far from the
 * stack's end: nesting (parentheses, unary signs, ^, calls) and binary operators per query (a long
 * left-associative chain is as deep a tree as nesting). Real queries stay far below both.
 */
const MAX_NESTING = 256;
const MAX_BINARY_OPS = 1000;

class Parser {
  private readonly toks: Token[];
  private i = 0;
  private nesting = 0;
  private binaryOps = 0;
  /** Selectors whose offset / @ was written explicitly (a second one is an error). */
  private readonly offsetSet = new WeakSet<VectorSelector>();

  constructor(private readonly input: string) {
    this.toks = tokenize(input);
  }

  parseTop(): Expr {
    if (this.peek().kind === 'eof') throw this.err('no expression found in input', 0);
    const e = this.parseExpr(0);
    const t = this.peek();
    if (t.kind !== 'eof') throw this.unexpected(t);
    return e;
  }

  // ------------------------------------------------------------------ token helpers

  private peek(k = 0): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)];
  }

  private next(): Token {
    const t = this.toks[this.i];
    if (t.kind !== 'eof') this.i++;
    return t;
  }

  private err(msg: string, pos: number): ParseError {
    return new ParseError(msg, pos, this.input);
  }

  private unexpected(t: Token, context?: string): ParseError {
    const ctx = context ? ` in ${context}` : '';
    return this.err(`unexpected ${describe(t)}${ctx}`, t.pos);
  }

  private isPunct(t: Token, p: string): boolean {
    return t.kind === 'punct' && t.text === p;
  }

  private isWord(t: Token, w: string): boolean {
    return t.kind === 'ident' && t.text.toLowerCase() === w;
  }

  private expectPunct(p: string, context: string): Token {
    const t = this.peek();
    if (!this.isPunct(t, p)) {
      if (t.kind === 'eof' && p === ')') throw this.err('unclosed left parenthesis', t.pos);
      if (t.kind === 'eof' && p === '}') throw this.err('unexpected end of input inside braces', t.pos);
      if (t.kind === 'eof' && p === ']') throw this.err('unclosed left bracket', t.pos);
      throw this.unexpected(t, context);
    }
    return this.next();
  }

  // ------------------------------------------------------------------ expressions

  private binaryOp(t: Token): OpInfo | undefined {
    if (t.kind === 'punct' && PUNCT_OPS[t.text] !== undefined) return { op: t.text as BinaryOp, prec: PUNCT_OPS[t.text], rightAssoc: t.text === '^' };
    if (t.kind === 'ident') {
      const w = t.text.toLowerCase();
      if (WORD_OPS[w] !== undefined) return { op: w as BinaryOp, prec: WORD_OPS[w], rightAssoc: false };
    }
    return undefined;
  }

  private parseExpr(minPrec: number): Expr {
    if (this.nesting >= MAX_NESTING) throw this.err(`expression nested more than ${MAX_NESTING} levels deep`, this.peek().pos);
    this.nesting++;
    const e = this.parseBinary(minPrec);
    this.nesting--;
    return e;
  }

  private parseBinary(minPrec: number): Expr {
    let lhs = this.parseUnary();
    for (;;) {
      const t = this.peek();
      const info = this.binaryOp(t);
      if (info === undefined || info.prec < minPrec) break;
      if (++this.binaryOps > MAX_BINARY_OPS) throw this.err(`more than ${MAX_BINARY_OPS} binary operators in one query`, t.pos);
      this.next();
      const opPos: PosRange = { start: t.pos, end: t.end };
      let returnBool = false;
      if (this.isWord(this.peek(), 'bool')) {
        this.next();
        returnBool = true;
      }
      let matching: VectorMatching = { card: 'one-to-one', on: false, labels: [], include: [] };
      let explicitMatching = false;
      const m = this.peek();
      if (this.isWord(m, 'on') || this.isWord(m, 'ignoring')) {
        this.next();
        explicitMatching = true;
        matching.on = this.isWord(m, 'on');
        matching.labels = this.parseLabelList(`${m.text.toLowerCase()} clause`);
        const g = this.peek();
        if (this.isWord(g, 'group_left') || this.isWord(g, 'group_right')) {
          this.next();
          matching.card = this.isWord(g, 'group_left') ? 'many-to-one' : 'one-to-many';
          if (this.isPunct(this.peek(), '(')) matching.include = this.parseLabelList('grouping clause');
        }
      }
      const rhs = this.parseExpr(info.rightAssoc ? info.prec : info.prec + 1);
      lhs = this.buildBinary(info.op, lhs, rhs, returnBool, matching, explicitMatching, opPos);
    }
    return lhs;
  }

  private buildBinary(op: BinaryOp, lhs: Expr, rhs: Expr, returnBool: boolean, matching: VectorMatching, explicit: boolean, opPos: PosRange): BinaryExpr {
    const pos = { start: lhs.pos.start, end: rhs.pos.end };
    const lt = typeOf(lhs);
    const rt = typeOf(rhs);
    if (returnBool && !COMPARISON_OPS.has(op)) throw this.err('bool modifier can only be used on comparison operators', opPos.start);
    if (COMPARISON_OPS.has(op) && !returnBool && lt === 'scalar' && rt === 'scalar') throw this.err('comparisons between scalars must use BOOL modifier', opPos.start);
    if (SET_OPS.has(op) && matching.card === 'one-to-one') matching = { ...matching, card: 'many-to-many' };
    if (matching.on) {
      for (const l of matching.include) {
        if (matching.labels.includes(l)) throw this.err(`label ${JSON.stringify(l)} must not occur in ON and GROUP clause at once`, opPos.start);
      }
    }
    if (lt !== 'scalar' && lt !== 'vector') throw this.err('binary expression must contain only scalar and instant vector types', lhs.pos.start);
    if (rt !== 'scalar' && rt !== 'vector') throw this.err('binary expression must contain only scalar and instant vector types', rhs.pos.start);
    let vm: VectorMatching | undefined = matching;
    if (lt !== 'vector' || rt !== 'vector') {
      if (explicit && matching.labels.length > 0) throw this.err('vector matching only allowed between instant vectors', pos.start);
      vm = undefined;
    } else if (SET_OPS.has(op)) {
      if (matching.card === 'one-to-many' || matching.card === 'many-to-one') throw this.err(`no grouping allowed for "${op}" operation`, pos.start);
    }
    if ((lt === 'scalar' || rt === 'scalar') && SET_OPS.has(op)) throw this.err(`set operator "${op}" not allowed in binary scalar expression`, pos.start);
    return { type: 'BinaryExpr', op, lhs, rhs, returnBool, matching: vm, pos, opPos };
  }

  private parseUnary(): Expr {
    const t = this.peek();
    if (this.isPunct(t, '-') || this.isPunct(t, '+')) {
      this.next();
      const operand = this.parseExpr(UNARY_OPERAND_PREC);
      const pos = { start: t.pos, end: operand.pos.end };
      if (operand.type === 'NumberLiteral') {
        // Prometheus folds a sign into a number literal (so "-1" is a literal, "-(1)" is not).
        return { type: 'NumberLiteral', value: t.text === '-' ? -operand.value : operand.value, pos };
      }
      const ot = typeOf(operand);
      if (ot !== 'scalar' && ot !== 'vector') throw this.err('unary expression only allowed on expressions of type scalar or instant vector', pos.start);
      return { type: 'UnaryExpr', op: t.text as '+' | '-', expr: operand, pos };
    }
    return this.parsePostfix(this.parseAtom());
  }

  /** Range brackets, offset and @ bind tighter than any operator. */
  private parsePostfix(e: Expr): Expr {
    for (;;) {
      const t = this.peek();
      if (this.isPunct(t, '[')) {
        e = this.parseRange(e);
      } else if (this.isWord(t, 'offset')) {
        this.next();
        let sign = 1;
        if (this.isPunct(this.peek(), '-')) {
          this.next();
          sign = -1;
        } else if (this.isPunct(this.peek(), '+')) this.next();
        const d = this.peek();
        if (d.kind !== 'duration') throw this.unexpected(d, 'offset');
        this.next();
        const ms = this.durationMs(d, false) * sign;
        const vs = this.selectorFor(e, 'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery', t.pos);
        if (this.offsetSet.has(vs)) throw this.err('offset may not be set multiple times', t.pos);
        this.offsetSet.add(vs);
        vs.offsetMs = ms;
        e.pos = { start: e.pos.start, end: d.end };
      } else if (this.isPunct(t, '@')) {
        this.next();
        const at = this.parseAt();
        const vs = this.selectorFor(e, '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery', t.pos);
        if (vs.at) throw this.err('@ <timestamp> may not be set multiple times', t.pos);
        vs.at = at;
        e.pos = { start: e.pos.start, end: this.toks[this.i - 1].end };
      } else {
        return e;
      }
    }
  }

  private selectorFor(e: Expr, msg: string, pos: number): VectorSelector {
    if (e.type === 'VectorSelector') return e;
    if (e.type === 'MatrixSelector') return e.vs;
    throw this.err(msg, pos);
  }

  private parseAt(): AtModifier {
    const t = this.peek();
    if (t.kind === 'ident' && (t.text === 'start' || t.text === 'end') && this.isPunct(this.peek(1), '(')) {
      this.next();
      this.next();
      this.expectPunct(')', '@ modifier');
      return { kind: t.text };
    }
    let sign = 1;
    if (this.isPunct(t, '-') || this.isPunct(t, '+')) {
      this.next();
      if (t.text === '-') sign = -1;
    }
    const n = this.peek();
    if (n.kind !== 'number') throw this.unexpected(n, '@ modifier');
    this.next();
    const sec = sign * this.number(n);
    const ms = Math.round(sec * 1000);
    if (!Number.isFinite(ms) || Math.abs(ms) > 9.2e18) throw this.err('timestamp out of bounds for @ modifier', n.pos);
    return { kind: 'time', ms };
  }

  private parseRange(e: Expr): Expr {
    const open = this.next();
    const d = this.peek();
    if (d.kind !== 'duration') throw this.unexpected(d, 'range');
    this.next();
    const rangeMs = this.durationMs(d, true);
    if (this.isPunct(this.peek(), ':')) throw this.err('subqueries are not supported', open.pos);
    const close = this.expectPunct(']', 'range');
    if (e.type !== 'VectorSelector') throw this.err('ranges only allowed for vector selectors', open.pos);
    if (this.offsetSet.has(e)) throw this.err('no offset modifiers allowed before range', open.pos);
    if (e.at) throw this.err('no @ modifiers allowed before range', open.pos);
    const m: MatrixSelector = { type: 'MatrixSelector', vs: e, rangeMs, pos: { start: e.pos.start, end: close.end } };
    return m;
  }

  private durationMs(t: Token, positive: boolean): number {
    let ms: number;
    try {
      ms = parseDurationMs(t.text);
    } catch (err) {
      throw this.err((err as Error).message, t.pos);
    }
    if (positive && ms === 0) throw this.err('duration must be greater than 0', t.pos);
    return ms;
  }

  private number(t: Token): number {
    try {
      return parseNumberLiteral(t.text);
    } catch (err) {
      throw this.err((err as Error).message, t.pos);
    }
  }

  private parseAtom(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'number':
        this.next();
        return { type: 'NumberLiteral', value: this.number(t), pos: { start: t.pos, end: t.end } };
      case 'string':
        this.next();
        return { type: 'StringLiteral', value: t.value as string, pos: { start: t.pos, end: t.end } };
      case 'punct':
        if (t.text === '(') {
          this.next();
          const inner = this.parseExpr(0);
          const close = this.expectPunct(')', 'parenthesized expression');
          return { type: 'ParenExpr', expr: inner, pos: { start: t.pos, end: close.end } };
        }
        if (t.text === '{') return this.parseSelector(undefined, t.pos);
        throw this.unexpected(t);
      case 'ident': {
        const lower = t.text.toLowerCase();
        if (AGGREGATE_OPS.has(lower)) return this.parseAggregate();
        if (this.isPunct(this.peek(1), '(')) return this.parseCall();
        if (KEYWORDS.has(lower)) throw this.unexpected(t);
        this.next();
        return this.parseSelector(t.text, t.pos);
      }
      default:
        throw this.unexpected(t);
    }
  }

  private parseCall(): Call {
    const nameTok = this.next();
    const def = FUNCTIONS.get(nameTok.text);
    if (def === undefined) {
      if (UNSUPPORTED_FUNCTIONS.has(nameTok.text)) throw this.err(`function ${JSON.stringify(nameTok.text)} is not supported by this PromQL implementation`, nameTok.pos);
      throw this.err(`unknown function with name ${JSON.stringify(nameTok.text)}`, nameTok.pos);
    }
    const { args, end } = this.parseArgs(`call to function "${def.name}"`);
    const call: Call = { type: 'Call', func: def.name, args, pos: { start: nameTok.pos, end } };
    const nargs = def.argTypes.length;
    if (def.variadic === 0) {
      if (nargs !== args.length) throw this.err(`expected ${nargs} argument(s) in call to ${JSON.stringify(def.name)}, got ${args.length}`, nameTok.pos);
    } else {
      const min = nargs - 1;
      if (min > args.length) throw this.err(`expected at least ${min} argument(s) in call to ${JSON.stringify(def.name)}, got ${args.length}`, nameTok.pos);
      if (def.variadic > 0 && min + def.variadic < args.length) {
        throw this.err(`expected at most ${min + def.variadic} argument(s) in call to ${JSON.stringify(def.name)}, got ${args.length}`, nameTok.pos);
      }
    }
    args.forEach((a, i) => {
      const want = def.argTypes[Math.min(i, nargs - 1)];
      this.expectType(a, want, `call to function ${JSON.stringify(def.name)}`);
    });
    return call;
  }

  private expectType(e: Expr, want: ValueType, context: string): void {
    const got = typeOf(e);
    if (got !== want) throw this.err(`expected type ${documentedType(want)} in ${context}, got ${documentedType(got)}`, e.pos.start);
  }

  /** `( expr, expr, ... )` with an optional trailing comma. */
  private parseArgs(context: string): { args: Expr[]; end: number } {
    this.expectPunct('(', context);
    const args: Expr[] = [];
    while (!this.isPunct(this.peek(), ')')) {
      args.push(this.parseExpr(0));
      if (this.isPunct(this.peek(), ',')) {
        this.next();
        continue;
      }
      if (!this.isPunct(this.peek(), ')')) {
        const t = this.peek();
        if (t.kind === 'eof') throw this.err('unclosed left parenthesis', t.pos);
        throw this.unexpected(t, context);
      }
    }
    const close = this.next();
    return { args, end: close.end };
  }

  private parseAggregate(): AggregateExpr {
    const opTok = this.next();
    const op = opTok.text.toLowerCase() as AggregateOp;
    let grouping: string[] = [];
    let without = false;
    let grouped = false;
    const modifier = (): void => {
      const t = this.peek();
      if (this.isWord(t, 'by') || this.isWord(t, 'without')) {
        this.next();
        without = this.isWord(t, 'without');
        grouping = this.parseLabelList('grouping opts');
        grouped = true;
      }
    };
    modifier();
    if (!this.isPunct(this.peek(), '(')) throw this.unexpected(this.peek(), 'aggregation');
    const { args, end } = this.parseArgs('aggregation');
    let endPos = end;
    if (!grouped) {
      modifier();
      if (grouped) endPos = this.toks[this.i - 1].end;
    }
    const want = PARAM_AGGREGATES.has(op) ? 2 : 1;
    if (args.length !== want) throw this.err(`wrong number of arguments for aggregate expression provided, expected ${want}, got ${args.length}`, opTok.pos);
    const expr = args[want - 1];
    const param = want === 2 ? args[0] : undefined;
    this.expectType(expr, 'vector', 'aggregation expression');
    if (param !== undefined) this.expectType(param, op === 'count_values' ? 'string' : 'scalar', 'aggregation parameter');
    return { type: 'AggregateExpr', op, param, expr, grouping, without, pos: { start: opTok.pos, end: endPos } };
  }

  /** `( label, label, ... )` for by/without/on/ignoring/group_x; keywords are fine as label names. */
  private parseLabelList(context: string): string[] {
    this.expectPunct('(', context);
    const out: string[] = [];
    while (!this.isPunct(this.peek(), ')')) {
      const t = this.peek();
      if (!this.isLabelToken(t)) {
        if (t.kind === 'eof') throw this.err('unclosed left parenthesis', t.pos);
        throw this.unexpected(t, `${context}, expected label`);
      }
      this.next();
      out.push(t.text);
      if (this.isPunct(this.peek(), ',')) this.next();
      else if (!this.isPunct(this.peek(), ')')) throw this.unexpected(this.peek(), `${context}, expected "," or ")"`);
    }
    this.next();
    return out;
  }

  private isLabelToken(t: Token): boolean {
    return (t.kind === 'ident' || t.kind === 'number') && LABEL_NAME_RE.test(t.text);
  }

  private parseSelector(name: string | undefined, start: number): VectorSelector {
    const matchers: LabelMatcher[] = [];
    let end = this.toks[this.i - 1]?.end ?? start;
    if (this.isPunct(this.peek(), '{')) {
      this.next();
      while (!this.isPunct(this.peek(), '}')) {
        const lt = this.peek();
        if (!this.isLabelToken(lt)) {
          if (lt.kind === 'eof') throw this.err('unexpected end of input inside braces', lt.pos);
          throw this.unexpected(lt, 'label matching, expected label');
        }
        this.next();
        const opTok = this.peek();
        if (opTok.kind !== 'punct' || !['=', '!=', '=~', '!~'].includes(opTok.text)) throw this.unexpected(opTok, 'label matching, expected one of "=", "!=", "=~" or "!~"');
        this.next();
        const vt = this.peek();
        if (vt.kind !== 'string') throw this.unexpected(vt, 'label matching, expected string');
        this.next();
        const m: LabelMatcher = { label: lt.text, op: opTok.text as MatchOp, value: vt.value as string };
        if (m.op === '=~' || m.op === '!~') {
          try {
            compileRe2(m.value);
          } catch (err) {
            throw this.err(`error parsing regexp: ${(err as Error).message}`, vt.pos);
          }
        }
        matchers.push(m);
        if (this.isPunct(this.peek(), ',')) this.next();
        else if (!this.isPunct(this.peek(), '}')) throw this.unexpected(this.peek(), 'label matching, expected "," or "}"');
      }
      end = this.next().end;
    }
    if (name !== undefined) {
      const dup = matchers.find((m) => m.label === '__name__' && m.op === '=');
      if (dup) throw this.err(`metric name must not be set twice: ${JSON.stringify(name)} or ${JSON.stringify(dup.value)}`, start);
      matchers.unshift({ label: '__name__', op: '=', value: name });
    }
    if (!matchers.some((m) => !matchesEmpty(m))) throw this.err('vector selector must contain at least one non-empty matcher', start);
    const nameMatcher = matchers.find((m) => m.label === '__name__' && m.op === '=');
    return { type: 'VectorSelector', name: nameMatcher?.value, matchers, offsetMs: 0, pos: { start, end } };
  }
}

/** Whether a matcher accepts the empty string (i.e. series lacking the label). */
export function matchesEmpty(m: LabelMatcher): boolean {
  switch (m.op) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return compileRe2(m.value).anchored.test('');
    case '!~':
      return !compileRe2(m.value).anchored.test('');
  }
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of input';
    case 'ident':
      return KEYWORDS.has(t.text.toLowerCase()) || AGGREGATE_OPS.has(t.text.toLowerCase()) ? `<${t.text.toLowerCase()}>` : `identifier ${JSON.stringify(t.text)}`;
    case 'number':
      return `number ${JSON.stringify(t.text)}`;
    case 'duration':
      return `duration ${JSON.stringify(t.text)}`;
    case 'string':
      return `string ${t.text}`;
    case 'punct':
      return PUNCT_OPS[t.text] !== undefined ? `<op:${t.text}>` : JSON.stringify(t.text);
  }
}
