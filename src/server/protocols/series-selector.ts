// PromQL series selectors, as `match[]` parameters carry them: `name`, `name{a="b",c!="d"}`,
// `{__name__=~"x.*",e=~"f.*",g!~"h"}`. Grammar and rules follow the Prometheus query language docs:
// metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*, values as PromQL string
// literals ("..." and '...' with Go escapes, `...` raw), an optional trailing comma, and at least
// one matcher that does not match the empty string (so a selector never means "every series").
import type { LabelMatcher, MatchOp } from '../../metrics/types.js';

export class SelectorError extends Error {
  /** Character offset of the problem in the selector text. */
  readonly pos: number;
  constructor(message: string, pos: number) {
    super(message);
    this.name = 'SelectorError';
    this.pos = pos;
  }
}

export interface SeriesSelector {
  /** The metric name (`name{...}`, or a lone `__name__="..."` matcher). */
  name?: string;
  /** The remaining matchers, `__name__` ones included (regexes are anchored by the engine). */
  matchers: LabelMatcher[];
}

const METRIC_START = /[a-zA-Z_:]/;
const METRIC_CHAR = /[a-zA-Z0-9_:]/;
const LABEL_START = /[a-zA-Z_]/;
const LABEL_CHAR = /[a-zA-Z0-9_]/;

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';
}

function hexValue(s: string, at: number, digits: number): number {
  const part = s.slice(at, at + digits);
  if (part.length !== digits || !/^[0-9a-fA-F]+$/.test(part)) {
    throw new SelectorError(`bad escape at offset ${at - 2}: expected ${digits} hex digits`, at);
  }
  return parseInt(part, 16);
}

/**
 * A PromQL string literal starting at `pos` (at its quote). Go escapes in "..." and '...':
 * \a \b \f \n \r \t \v \\ \' \" \ooo (octal) \xHH \uHHHH \UHHHHHHHH; `...` is raw.
 */
export function readStringLiteral(s: string, pos: number): { value: string; end: number } {
  const quote = s[pos];
  if (quote !== '"' && quote !== "'" && quote !== '`') throw new SelectorError(`expected a quoted string at offset ${pos}`, pos);
  let i = pos + 1;
  if (quote === '`') {
    const close = s.indexOf('`', i);
    if (close < 0) throw new SelectorError(`unterminated raw string starting at offset ${pos}`, pos);
    return { value: s.slice(i, close), end: close + 1 };
  }
  let out = '';
  for (;;) {
    if (i >= s.length) throw new SelectorError(`unterminated string starting at offset ${pos}`, pos);
    const ch = s[i];
    if (ch === quote) return { value: out, end: i + 1 };
    if (ch === '\n') throw new SelectorError(`newline in string starting at offset ${pos}`, i);
    if (ch !== '\\') {
      out += ch;
      i++;
      continue;
    }
    const e = s[i + 1];
    i += 2;
    switch (e) {
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case '"':
      case "'":
        // Go allows only the enclosing quote to be escaped.
        if (e !== quote) throw new SelectorError(`unknown escape \\${e} at offset ${i - 2}`, i - 2);
        out += e;
        break;
      case 'x':
        out += String.fromCharCode(hexValue(s, i, 2));
        i += 2;
        break;
      case 'u':
      case 'U': {
        const digits = e === 'u' ? 4 : 8;
        const cp = hexValue(s, i, digits);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) throw new SelectorError(`escape \\${e} at offset ${i - 2} is not a valid code point`, i - 2);
        out += String.fromCodePoint(cp);
        i += digits;
        break;
      }
      default: {
        if (e !== undefined && e >= '0' && e <= '7') {
          const oct = s.slice(i - 1, i + 2);
          if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 255) throw new SelectorError(`bad octal escape at offset ${i - 2}`, i - 2);
          out += String.fromCharCode(parseInt(oct, 8));
          i += 2;
          break;
        }
        throw new SelectorError(`unknown escape \\${e ?? ''} at offset ${i - 2}`, i - 2);
      }
    }
  }
}

function matchesEmpty(m: LabelMatcher, pos: number): boolean {
  if (m.op === '=') return m.value === '';
  if (m.op === '!=') return m.value !== '';
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${m.value})$`, 's');
  } catch (err) {
    throw new SelectorError(`label "${m.label}": invalid regular expression ${JSON.stringify(m.value)} (${(err as Error).message})`, pos);
  }
  return re.test('') === (m.op === '=~');
}

export function parseSeriesSelector(text: string): SeriesSelector {
  if (typeof text !== 'string') throw new SelectorError('a series selector must be a string', 0);
  const s = text;
  let i = 0;
  const skipSpace = () => {
    while (i < s.length && isSpace(s[i])) i++;
  };
  skipSpace();
  let name: string | undefined;
  if (i < s.length && METRIC_START.test(s[i])) {
    const start = i;
    while (i < s.length && METRIC_CHAR.test(s[i])) i++;
    name = s.slice(start, i);
    skipSpace();
  }
  const matchers: LabelMatcher[] = [];
  const positions: number[] = [];
  if (i < s.length && s[i] === '{') {
    i++;
    for (;;) {
      skipSpace();
      if (i >= s.length) throw new SelectorError(`unclosed '{' in series selector ${JSON.stringify(s)}`, i);
      if (s[i] === '}') {
        i++;
        break;
      }
      const at = i;
      if (!LABEL_START.test(s[i])) throw new SelectorError(`expected a label name at offset ${i}, found ${JSON.stringify(s[i])}`, i);
      while (i < s.length && LABEL_CHAR.test(s[i])) i++;
      const label = s.slice(at, i);
      skipSpace();
      let op: MatchOp;
      if (s.startsWith('=~', i)) op = '=~';
      else if (s.startsWith('!~', i)) op = '!~';
      else if (s.startsWith('!=', i)) op = '!=';
      else if (s[i] === '=') op = '=';
      else throw new SelectorError(`expected one of = != =~ !~ after label "${label}" at offset ${i}`, i);
      i += op.length;
      skipSpace();
      const lit = readStringLiteral(s, i);
      i = lit.end;
      matchers.push({ label, op, value: lit.value });
      positions.push(at);
      skipSpace();
      if (s[i] === ',') {
        i++;
        continue;
      }
      if (s[i] === '}') {
        i++;
        break;
      }
      throw new SelectorError(`expected ',' or '}' at offset ${i} in series selector`, i);
    }
    skipSpace();
  } else if (name === undefined) {
    throw new SelectorError(`expected a metric name or '{' at offset ${i} in series selector ${JSON.stringify(s)}`, i);
  }
  if (i !== s.length) throw new SelectorError(`unexpected ${JSON.stringify(s.slice(i, i + 10))} at offset ${i}: a series selector is name{matchers} only`, i);

  const nameMatchers = matchers.filter((m) => m.label === '__name__');
  if (name !== undefined && nameMatchers.length > 0) {
    throw new SelectorError(`metric name must not be set twice: ${JSON.stringify(name)} and a __name__ matcher`, 0);
  }
  let anyNonEmpty = name !== undefined;
  matchers.forEach((m, k) => {
    if (!matchesEmpty(m, positions[k])) anyNonEmpty = true;
  });
  if (!anyNonEmpty) {
    throw new SelectorError('a series selector needs at least one matcher that does not match the empty string (e.g. a metric name, or {__name__=~".+"})', 0);
  }
  // A lone `__name__="x"` is the metric name: the engine then selects through one metric only.
  if (name === undefined) {
    const k = matchers.findIndex((m) => m.label === '__name__' && m.op === '=' && m.value !== '');
    if (k >= 0) {
      name = matchers[k].value;
      matchers.splice(k, 1);
    }
  }
  return name === undefined ? { matchers } : { name, matchers };
}
