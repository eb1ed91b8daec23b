// PromQL parser: operator precedence and associativity as in Prometheus, literals, selectors and
// modifiers, and positioned errors ("line:col: parse error: ...").
import { describe, expect, it } from 'vitest';
import { parseExpr, parseSeriesSelector, typeOf } from '../src/server/promql/parser.js';
import { ParseError } from '../src/server/promql/errors.js';
import type { Expr } from '../src/server/promql/ast.js';

/** Fully parenthesized form of an expression, so the tree shape is visible in one string. */
function show(e: Expr): string {
  switch (e.type) {
    case 'NumberLiteral':
      return String(e.value);
    case 'StringLiteral':
      return JSON.stringify(e.value);
    case 'VectorSelector': {
      const ms = e.matchers.filter((m) => !(m.label === '__name__' && m.op === '=' && m.value === e.name));
      let s = (e.name ?? '') + (ms.length > 0 || e.name === undefined ? `{${ms.map((m) => `${m.label}${m.op}${JSON.stringify(m.value)}`).join(',')}}` : '');
      if (e.offsetMs !== 0) s += ` offset ${e.offsetMs}ms`;
      if (e.at) s += ` @ ${e.at.kind === 'time' ? `${e.at.ms}ms` : `${e.at.kind}()`}`;
      return s;
    }
    case 'MatrixSelector':
      return `${show({ ...e.vs, offsetMs: 0, at: undefined })}[${e.rangeMs}ms]${e.vs.offsetMs ? ` offset ${e.vs.offsetMs}ms` : ''}${e.vs.at ? ' @' : ''}`;
    case 'Call':
      return `${e.func}(${e.args.map(show).join(', ')})`;
    case 'AggregateExpr': {
      const g = e.grouping.length > 0 || e.without ? ` ${e.without ? 'without' : 'by'} (${e.grouping.join(',')})` : '';
      return `${e.op}${g} (${e.param ? show(e.param) + ', ' : ''}${show(e.expr)})`;
    }
    case 'BinaryExpr': {
      let mod = e.returnBool ? ' bool' : '';
      const m = e.matching;
      if (m && (m.on || m.labels.length > 0)) mod += ` ${m.on ? 'on' : 'ignoring'}(${m.labels.join(',')})`;
      if (m && (m.card === 'many-to-one' || m.card === 'one-to-many')) mod += ` ${m.card === 'many-to-one' ? 'group_left' : 'group_right'}(${m.include.join(',')})`;
      return `(${show(e.lhs)} ${e.op}${mod} ${show(e.rhs)})`;
    }
    case 'UnaryExpr':
      return `${e.op}${show(e.expr)}`;
    case 'ParenExpr':
      return `[${show(e.expr)}]`;
  }
}

const p = (q: string) => show(parseExpr(q));

function parseError(q: string): string {
  try {
    parseExpr(q);
  } catch (err) {
    expect(err).toBeInstanceOf(ParseError);
    return (err as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(q)} to fail`);
}

describe('PromQL parser: precedence and associativity', () => {
  it.each([
    ['1 + 2 * 3', '(1 + (2 * 3))'],
    ['1 * 2 + 3', '((1 * 2) + 3)'],
    ['a - b - c', '((a - b) - c)'],
    ['a / b * c % d', '(((a / b) * c) % d)'],
    ['2 ^ 3 ^ 2', '(2 ^ (3 ^ 2))'],
    ['a atan2 b * c', '((a atan2 b) * c)'],
    ['a + b ^ c * d', '(a + ((b ^ c) * d))'],
    ['a == b + c', '(a == (b + c))'],
    ['a > b == c', '((a > b) == c)'],
    ['a or b and c unless d', '(a or ((b and c) unless d))'],
    ['a and b or c', '((a and b) or c)'],
    ['a or b or c', '((a or b) or c)'],
    ['a + b > bool c * d', '((a + b) > bool (c * d))'],
    ['(a + b) * c', '([(a + b)] * c)'],
  ])('%s → %s', (q, want) => {
    expect(p(q)).toBe(want);
  });

  it('unary minus binds like *: tighter than + and *, looser than ^', () => {
    expect(p('-a ^ b')).toBe('-(a ^ b)');
    expect(p('-a * b')).toBe('(-a * b)');
    expect(p('-a + b')).toBe('(-a + b)');
    expect(p('a * -b + c')).toBe('((a * -b) + c)');
    expect(p('2 ^ -3 ^ 2')).toBe('(2 ^ -(3 ^ 2))');
    expect(p('- - a')).toBe('--a');
    // A sign in front of a number literal is folded into it, but not through parentheses.
    expect(parseExpr('-1')).toMatchObject({ type: 'NumberLiteral', value: -1 });
    expect(parseExpr('-(1)')).toMatchObject({ type: 'UnaryExpr', op: '-' });
    expect(p('-2 ^ 2')).toBe('-(2 ^ 2)');
  });

  it('offset, @ and ranges bind tighter than any operator', () => {
    expect(p('a + b offset 5m')).toBe('(a + b offset 300000ms)');
    expect(p('-a offset 1m')).toBe('-a offset 60000ms');
    expect(p('rate(a[5m] offset 1h)')).toBe('rate(a[300000ms] offset 3600000ms)');
    expect(p('a offset -1m')).toBe('a offset -60000ms');
    expect(p('a @ 1609746000.5 offset 1m')).toBe('a offset 60000ms @ 1609746000500ms');
    expect(p('a offset 1m @ start()')).toBe('a offset 60000ms @ start()');
    expect(p('a @ end()')).toBe('a @ end()');
  });
});

describe('PromQL parser: literals, selectors, calls', () => {
  it('numbers as Prometheus reads them', () => {
    const n = (q: string) => (parseExpr(q) as { value: number }).value;
    expect(n('0x1F')).toBe(31);
    expect(n('017')).toBe(15);
    expect(n('09')).toBe(9);
    expect(n('1e3')).toBe(1000);
    expect(n('.5')).toBe(0.5);
    expect(n('5.')).toBe(5);
    expect(n('Inf')).toBe(Infinity);
    expect(n('-inf')).toBe(-Infinity);
    expect(Number.isNaN(n('NaN'))).toBe(true);
  });

  it('strings with Go escapes, single quotes and raw backticks', () => {
    const s = (q: string) => (parseExpr(q) as { value: string }).value;
    expect(s(String.raw`"a\nb\t\"c\""`)).toBe('a\nb\t"c"');
    expect(s(String.raw`'it\'s'`)).toBe("it's");
    expect(s(String.raw`"\x41\u00e9\101"`)).toBe('AéA');
    expect(s('`raw \\d+`')).toBe('raw \\d+');
  });

  it('selectors: name, matchers (trailing comma), keywords as label names, comments', () => {
    const e = parseExpr('foo{a="b", c!="d", e=~"f.*", g!~"h", on="x", } # comment');
    expect(e).toMatchObject({
      type: 'VectorSelector',
      name: 'foo',
      matchers: [
        { label: '__name__', op: '=', value: 'foo' },
        { label: 'a', op: '=', value: 'b' },
        { label: 'c', op: '!=', value: 'd' },
        { label: 'e', op: '=~', value: 'f.*' },
        { label: 'g', op: '!~', value: 'h' },
        { label: 'on', op: '=', value: 'x' },
      ],
    });
    expect(parseExpr('{__name__="up", job="a"}')).toMatchObject({ type: 'VectorSelector', name: 'up' });
    expect(parseExpr('job:rate5m:sum')).toMatchObject({ type: 'VectorSelector', name: 'job:rate5m:sum' });
    // A function name without parentheses is a metric name.
    expect(parseExpr('rate')).toMatchObject({ type: 'VectorSelector', name: 'rate' });
  });

  it('range selectors with compound durations', () => {
    expect(parseExpr('foo[1h30m]')).toMatchObject({ type: 'MatrixSelector', rangeMs: 5_400_000 });
    expect(parseExpr('foo[2w]')).toMatchObject({ rangeMs: 14 * 86_400_000 });
    expect(parseExpr('foo[250ms]')).toMatchObject({ rangeMs: 250 });
    expect(typeOf(parseExpr('foo[5m]'))).toBe('matrix');
  });

  it('aggregations: prefix and postfix grouping, parameters, keywords in any case', () => {
    expect(p('sum by (a, b) (x)')).toBe('sum by (a,b) (x)');
    expect(p('sum(x) by (a, b,)')).toBe('sum by (a,b) (x)');
    expect(p('SUM WITHOUT (a) (x)')).toBe('sum without (a) (x)');
    expect(p('topk(3, x)')).toBe('topk (3, x)');
    expect(p('count_values("v", x) by (job)')).toBe('count_values by (job) ("v", x)');
    expect(p('quantile by (le) (0.9, x)')).toBe('quantile by (le) (0.9, x)');
    expect(p('sum without () (x)')).toBe('sum without () (x)');
  });

  it('vector matching modifiers', () => {
    expect(p('a * on(x, y) group_left(z) b')).toBe('(a * on(x,y) group_left(z) b)');
    expect(p('a / ignoring(m) group_right b')).toBe('(a / ignoring(m) group_right() b)');
    expect(p('a + on() b')).toBe('(a + on() b)');
    expect(p('a > bool on(x) b')).toBe('(a > bool on(x) b)');
    expect(parseExpr('a and b')).toMatchObject({ matching: { card: 'many-to-many' } });
    // Matching is dropped when a side is a scalar.
    expect(parseExpr('a + 1')).toMatchObject({ matching: undefined });
  });

  it('types: calls, comparisons of scalars with bool, string literals', () => {
    expect(typeOf(parseExpr('scalar(x) + 1'))).toBe('scalar');
    expect(typeOf(parseExpr('1 == bool 1'))).toBe('scalar');
    expect(typeOf(parseExpr('vector(1)'))).toBe('vector');
    expect(typeOf(parseExpr('"s"'))).toBe('string');
    expect(typeOf(parseExpr('time()'))).toBe('scalar');
    expect(p('round(x)')).toBe('round(x)');
    expect(p('label_join(x, "d", ",", "a", "b", "c",)')).toBe('label_join(x, "d", ",", "a", "b", "c")');
  });

  it('series selectors for match[]', () => {
    expect(parseSeriesSelector('up{job="a"}').matchers).toEqual([
      { label: '__name__', op: '=', value: 'up' },
      { label: 'job', op: '=', value: 'a' },
    ]);
    expect(() => parseSeriesSelector('sum(up)')).toThrow(/series selector/);
    expect(() => parseSeriesSelector('up[5m]')).toThrow(/series selector/);
    expect(() => parseSeriesSelector('up offset 5m')).toThrow(/offset/);
  });
});

describe('PromQL parser: errors carry positions', () => {
  it.each([
    ['sum(foo', '1:8: parse error: unclosed left parenthesis'],
    ['1 > 2', '1:3: parse error: comparisons between scalars must use BOOL modifier'],
    ['rate(foo)', '1:6: parse error: expected type range vector in call to function "rate", got instant vector'],
    ['foo(bar)', '1:1: parse error: unknown function with name "foo"'],
    ['deriv(x[5m])', '1:1: parse error: function "deriv" is not supported by this PromQL implementation'],
    ['abs(a, b)', '1:1: parse error: expected 1 argument(s) in call to "abs", got 2'],
    ['round()', '1:1: parse error: expected at least 1 argument(s) in call to "round", got 0'],
    ['round(a, 1, 2)', '1:1: parse error: expected at most 2 argument(s) in call to "round", got 3'],
    ['sum(rate(x[5m])[5m])', '1:16: parse error: ranges only allowed for vector selectors'],
    ['{a=~".*"}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
    ['{a=""}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
    ['foo offset 5m [1m]', '1:15: parse error: no offset modifiers allowed before range'],
    ['foo offset 1m offset 2m', '1:15: parse error: offset may not be set multiple times'],
    ['foo[5m:1m]', '1:4: parse error: subqueries are not supported'],
    ['sum(foo) offset 5m', '1:10: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery'],
    ['a and 1', '1:1: parse error: set operator "and" not allowed in binary scalar expression'],
    ['1 + on(a) foo', '1:1: parse error: vector matching only allowed between instant vectors'],
    ['a + bool b', '1:3: parse error: bool modifier can only be used on comparison operators'],
    ['a and on(x) group_left b', '1:1: parse error: no grouping allowed for "and" operation'],
    ['a * on(x) group_left(x) b', '1:3: parse error: label "x" must not occur in ON and GROUP clause at once'],
    ['topk(foo)', '1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1'],
    ['sum(foo[5m])', '1:5: parse error: expected type instant vector in aggregation expression, got range vector'],
    ['topk("a", foo)', '1:6: parse error: expected type scalar in aggregation parameter, got string'],
    ['foo{__name__="bar"}', '1:1: parse error: metric name must not be set twice: "foo" or "bar"'],
    ['1 +', '1:4: parse error: unexpected end of input'],
    ['foo bar', '1:5: parse error: unexpected identifier "bar"'],
    ['-"a"', '1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector'],
    ['foo[5m] + 1', '1:1: parse error: binary expression must contain only scalar and instant vector types'],
    ['foo[0s]', '1:5: parse error: duration must be greater than 0'],
    ['foo[5x]', '1:5: parse error: bad number or duration syntax: "5x"'],
    ['foo[1m5h]', '1:5: parse error: not a valid duration string: "1m5h"'],
    ['"\\q"', '1:2: parse error: unknown escape sequence "\\\\q"'],
    ['"abc', '1:1: parse error: unterminated quoted string'],
    ['', '1:1: parse error: no expression found in input'],
    ['foo @ bar', '1:7: parse error: unexpected identifier "bar" in @ modifier'],
  ])('%s', (q, want) => {
    expect(parseError(q)).toBe(want);
  });

  it('positions count lines and columns', () => {
    expect(parseError('sum(\n  foo +\n)')).toBe('3:1: parse error: unexpected ")"');
    expect(parseError('foo{a=~"("}')).toMatch(/^1:8: parse error: error parsing regexp: /);
  });

  it('RE2-only regex syntax is translated, JavaScript-only syntax refused', () => {
    expect(() => parseExpr('foo{a=~"(?P<x>a)b"}')).not.toThrow();
    expect(() => parseExpr('foo{a=~"(?i)abc"}')).not.toThrow();
    expect(() => parseExpr('foo{a=~"[[:alpha:]]+"}')).not.toThrow();
    expect(parseError('foo{a=~"a(?=b)"}')).toMatch(/lookaround/);
    expect(parseError('foo{a=~"(a)\\\\1"}')).toMatch(/backreferences/);
  });
});
