// Compiling label matchers into value predicates. A matcher always sees a string: an absent label
// is "" (Prometheus semantics), which is how `l=""` selects series without `l` and how `l!="x"`
// keeps series that lack `l`.

import { QueryError } from './errors.js';
import type { Matcher } from './types.js';

export interface CompiledMatcher {
  label: string;
  /** True for `!=` / `!~`: the selected set is the complement of the positive form. */
  negative: boolean;
  /** True for `=` / `!=`: the positive form is one exact value, resolved by a postings look-up. */
  exact: boolean;
  value: string;
  /** The positive form (`=` / `=~`) as a predicate on one value. */
  test: (value: string) => boolean;
  /** Whether the positive form matches "" (i.e. series that lack the label). */
  matchesEmpty: boolean;
}

// Compiled regexes are cached: dashboards repeat the same matcher every refresh. Bounded so a
// client sending endless distinct regexes cannot grow memory.
const REGEX_CACHE_MAX = 256;
const regexCache = new Map<string, RegExp>();

function compileRegex(source: string, label: string): RegExp {
  const hit = regexCache.get(source);
  if (hit) return hit;
  let re: RegExp;
  try {
    // Fully anchored like Prometheus (`^(?s:re)$`): `.` also matches newlines.
    re = new RegExp(`^(?:${source})$`, 's');
  } catch (err) {
    throw new QueryError(
      'BAD_MATCHER',
      `label "${label}": invalid regular expression ${JSON.stringify(source)} (${(err as Error).message}); ` +
        'fix the pattern (it is matched against the whole label value)',
    );
  }
  if (regexCache.size >= REGEX_CACHE_MAX) regexCache.delete(regexCache.keys().next().value as string);
  regexCache.set(source, re);
  return re;
}

export function compileMatcher(m: Matcher): CompiledMatcher {
  if (m === null || typeof m !== 'object' || typeof m.label !== 'string' || m.label === '') {
    throw new QueryError('BAD_MATCHER', `matcher ${safeJson(m)} needs a non-empty string "label"`);
  }
  if (typeof m.value !== 'string') {
    throw new QueryError('BAD_MATCHER', `label "${m.label}": matcher value must be a string, got ${safeJson(m.value)}`);
  }
  const value = m.value;
  switch (m.op) {
    case '=':
    case '!=':
      return {
        label: m.label,
        negative: m.op === '!=',
        exact: true,
        value,
        test: (v) => v === value,
        matchesEmpty: value === '',
      };
    case '=~':
    case '!~': {
      const re = compileRegex(value, m.label);
      return {
        label: m.label,
        negative: m.op === '!~',
        exact: false,
        value,
        test: (v) => re.test(v),
        matchesEmpty: re.test(''),
      };
    }
    default:
      throw new QueryError(
        'BAD_MATCHER',
        `label "${m.label}": unknown matcher op ${safeJson((m as { op: unknown }).op)}; use one of = != =~ !~`,
      );
  }
}

/** Whether a compiled matcher accepts a label value ("" for an absent label). */
export function matcherAccepts(m: CompiledMatcher, value: string): boolean {
  return m.test(value) !== m.negative;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
