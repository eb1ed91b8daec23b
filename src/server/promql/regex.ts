// PromQL regexes are RE2 (Go) syntax, fully anchored. JavaScript's engine agrees on the common
// subset; this translates the RE2-only spellings people actually use ((?P<name>...), leading (?i),
// \A \z \Q..\E, [[:alpha:]]) and refuses what JavaScript would silently read differently (\pL) or
// what RE2 rejects (lookaround, backreferences), so a query never matches something Prometheus
// would not.

export interface Re2 {
  /** JavaScript source of the pattern body (not anchored). */
  source: string;
  /** JavaScript flags from a leading (?flags) group ('' when none). */
  flags: string;
  /** The fully anchored matcher. */
  anchored: RegExp;
}

const POSIX: Record<string, string> = {
  alnum: 'a-zA-Z0-9',
  alpha: 'a-zA-Z',
  ascii: '\\x00-\\x7F',
  blank: ' \\t',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '\\w',
  xdigit: '0-9A-Fa-f',
};

const cache = new Map<string, Re2>();
const CACHE_MAX = 512;

function escapeLiteral(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** Translates and compiles an RE2 pattern; throws an Error with a readable reason when invalid. */
export function compileRe2(pattern: string): Re2 {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let src = pattern;
  let flags = '';
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1]) {
      if (f === 'U') throw new Error('the (?U) flag is not supported');
      if (!flags.includes(f)) flags += f;
    }
    src = src.slice(lead[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      const e = src[i + 1];
      if (e === undefined) throw new Error('trailing backslash at end of expression');
      if (e === 'Q') {
        const end = src.indexOf('\\E', i + 2);
        const lit = end < 0 ? src.slice(i + 2) : src.slice(i + 2, end);
        out += escapeLiteral(lit);
        i = end < 0 ? src.length : end + 1;
        continue;
      }
      if (e === 'p' || e === 'P') throw new Error('Unicode classes (\\p, \\P) are not supported');
      if (!inClass && e === 'z') {
        out += '$';
        i++;
        continue;
      }
      if (!inClass && e === 'A') {
        out += '^';
        i++;
        continue;
      }
      if (e >= '1' && e <= '9') throw new Error(`invalid escape sequence: \\${e} (backreferences are not supported)`);
      out += c + e;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':') {
        const end = src.indexOf(':]', i + 2);
        const name = end < 0 ? '' : src.slice(i + 2, end);
        const neg = name.startsWith('^');
        const cls = POSIX[neg ? name.slice(1) : name];
        if (cls === undefined) throw new Error(`invalid character class range: [:${name}:]`);
        if (neg) throw new Error(`negated POSIX classes ([:^${name.slice(1)}:]) are not supported`);
        out += cls;
        i = end + 1;
        continue;
      }
      if (c === ']') inClass = false;
      // A literal '[' inside a class must be escaped for JavaScript's v/u-less parser to agree.
      out += c === '[' ? '\\[' : c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal in RE2.
      if (src[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (src[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      const rest = src.slice(i + 2);
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 3;
        continue;
      }
      if (rest.startsWith('=') || rest.startsWith('!') || rest.startsWith('<=') || rest.startsWith('<!')) {
        throw new Error('invalid or unsupported Perl syntax: lookaround assertions');
      }
      if (!rest.startsWith(':') && !rest.startsWith('<')) throw new Error(`invalid or unsupported Perl syntax: ${JSON.stringify('(?' + rest.slice(0, 2))}`);
    }
    out += c;
  }
  let anchored: RegExp;
  try {
    anchored = new RegExp(`^(?:${out})$`, flags);
  } catch (err) {
    throw new Error(String((err as Error).message).replace(/^Invalid regular expression: /, ''));
  }
  const re: Re2 = { source: out, flags, anchored };
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(pattern, re);
  return re;
}
