// PromQL tokenizer. Follows Prometheus' lexer where it matters for what parses: numbers and
// durations share a prefix ("5" vs "5m"), Inf/NaN are numbers in any case, keywords are
// case-insensitive, strings take Go escapes in '...' and "..." and none in `...`, # starts a comment.
import { ParseError } from './errors.js';

export type TokenKind = 'ident' | 'number' | 'duration' | 'string' | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Source text (for strings: the unquoted value is in `value`). */
  text: string;
  pos: number;
  end: number;
  /** Unquoted string value. */
  value?: string;
}

// Longest operators first so "==" wins over "=".
const PUNCT = ['==', '!=', '>=', '<=', '=~', '!~', '(', ')', '{', '}', '[', ']', ',', ':', '@', '=', '+', '-', '*', '/', '%', '^', '>', '<'];

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}
function isAlpha(c: string): boolean {
  return c === '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
function isAlnum(c: string): boolean {
  return isAlpha(c) || isDigit(c);
}

export function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = input.length;
  // Inside [...] a ':' is the subquery separator, not the start of a metric name.
  let inBrackets = false;
  while (i < n) {
    const c = input[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < n && input[i] !== '\n') i++;
      continue;
    }
    const start = i;
    if (isDigit(c) || (c === '.' && i + 1 < n && isDigit(input[i + 1]))) {
      i = lexNumberOrDuration(input, i, out);
      continue;
    }
    if (isAlpha(c) || (c === ':' && !inBrackets)) {
      while (i < n && (isAlnum(input[i]) || input[i] === ':')) i++;
      const text = input.slice(start, i);
      const lower = text.toLowerCase();
      // Inf and NaN are number literals in any letter case, as in Prometheus.
      if (lower === 'inf' || lower === 'nan') out.push({ kind: 'number', text, pos: start, end: i });
      else out.push({ kind: 'ident', text, pos: start, end: i });
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      i = lexString(input, i, out);
      continue;
    }
    const p = PUNCT.find((op) => input.startsWith(op, i));
    if (p === undefined) {
      if (c === '!') throw new ParseError(`unexpected character after '!': ${JSON.stringify(input[i + 1] ?? '')}`, start, input);
      throw new ParseError(`unexpected character: ${JSON.stringify(c)}`, start, input);
    }
    i += p.length;
    if (p === '[') inBrackets = true;
    else if (p === ']') inBrackets = false;
    out.push({ kind: 'punct', text: p, pos: start, end: i });
  }
  out.push({ kind: 'eof', text: '', pos: n, end: n });
  return out;
}

/** A number ("1", "0x1f", "1.5e3") or, when unit letters follow, a duration ("5m", "1h30m"). */
function lexNumberOrDuration(input: string, start: number, out: Token[]): number {
  let i = start;
  let digits = '0123456789';
  if (input[i] === '0' && (input[i + 1] === 'x' || input[i + 1] === 'X')) {
    i += 2;
    digits = '0123456789abcdefABCDEF';
  }
  const run = (set: string): void => {
    while (i < input.length && set.includes(input[i])) i++;
  };
  run(digits);
  if (input[i] === '.') {
    i++;
    run(digits);
  }
  if (digits.length === 10 && (input[i] === 'e' || input[i] === 'E')) {
    // Only an exponent when digits follow; "1e" alone is not a number.
    let j = i + 1;
    if (input[j] === '+' || input[j] === '-') j++;
    if (isDigit(input[j] ?? '')) {
      i = j;
      run('0123456789');
    }
  }
  if (i >= input.length || !isAlnum(input[i])) {
    out.push({ kind: 'number', text: input.slice(start, i), pos: start, end: i });
    return i;
  }
  // Duration units: [smhdwy] optionally followed by "s" (for "ms"), then more number+unit pairs.
  const units = 'smhdwy';
  if (!units.includes(input[i])) throw new ParseError(`bad number or duration syntax: ${JSON.stringify(input.slice(start, i + 1))}`, start, input);
  i++;
  if (input[i] === 's') i++;
  while (isDigit(input[i] ?? '')) {
    run('0123456789');
    if (!'smhdw'.includes(input[i] ?? '') || i >= input.length) throw new ParseError(`bad number or duration syntax: ${JSON.stringify(input.slice(start, i + 1))}`, start, input);
    i++;
    if (input[i] === 's') i++;
  }
  if (i < input.length && isAlnum(input[i])) throw new ParseError(`bad number or duration syntax: ${JSON.stringify(input.slice(start, i + 1))}`, start, input);
  out.push({ kind: 'duration', text: input.slice(start, i), pos: start, end: i });
  return i;
}

function lexString(input: string, start: number, out: Token[]): number {
  const q = input[start];
  let i = start + 1;
  if (q === '`') {
    const close = input.indexOf('`', i);
    if (close < 0) throw new ParseError('unterminated raw string', start, input);
    // Go drops carriage returns from raw strings.
    out.push({ kind: 'string', text: input.slice(start, close + 1), pos: start, end: close + 1, value: input.slice(i, close).replace(/\r/g, '') });
    return close + 1;
  }
  let value = '';
  for (;;) {
    if (i >= input.length || input[i] === '\n') throw new ParseError('unterminated quoted string', start, input);
    const c = input[i];
    if (c === q) break;
    if (c !== '\\') {
      value += c;
      i++;
      continue;
    }
    const [s, next] = unescape(input, i, q, start);
    value += s;
    i = next;
  }
  out.push({ kind: 'string', text: input.slice(start, i + 1), pos: start, end: i + 1, value });
  return i + 1;
}

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

/** One Go escape sequence starting at input[i] === '\\'; returns its text and the next index. */
function unescape(input: string, i: number, quote: string, strStart: number): [string, number] {
  const e = input[i + 1];
  if (e === undefined) throw new ParseError('unterminated quoted string', strStart, input);
  if (SIMPLE_ESCAPES[e] !== undefined) return [SIMPLE_ESCAPES[e], i + 2];
  if (e === quote) return [e, i + 2];
  const hex = (len: number): [string, number] => {
    const h = input.slice(i + 2, i + 2 + len);
    if (h.length !== len || !/^[0-9a-fA-F]+$/.test(h)) throw new ParseError(`invalid escape sequence \\${e}${h}`, i, input);
    const code = parseInt(h, 16);
    if (len === 2) return [String.fromCharCode(code), i + 2 + len];
    if (code > 0x10ffff || (code >= 0xd800 && code < 0xe000)) throw new ParseError(`escape sequence \\${e}${h} is an invalid Unicode code point`, i, input);
    return [String.fromCodePoint(code), i + 2 + len];
  };
  if (e === 'x') return hex(2);
  if (e === 'u') return hex(4);
  if (e === 'U') return hex(8);
  if (e >= '0' && e <= '7') {
    const o = input.slice(i + 1, i + 4);
    if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) throw new ParseError(`invalid octal escape sequence \\${o}`, i, input);
    return [String.fromCharCode(parseInt(o, 8)), i + 4];
  }
  throw new ParseError(`unknown escape sequence ${JSON.stringify('\\' + e)}`, i, input);
}
