// Message tokens for `tokens` queries: maximal runs of word characters — Unicode letters, digits,
// combining marks (so 'İ'.toLowerCase(), which adds U+0307, stays inside its word) and '_' — of the
// lowercased message. 'GET /users/42 db_error' has the tokens get, users, 42, db_error.
// Blocks need no token index of their own: a whole token is also a substring, so the trigram filter
// (codec/filters.ts filterMayContainToken) prunes for tokens too.

const WORD_CHAR = /[\p{L}\p{N}\p{M}_]/u;
const WORD_RUNS = /[\p{L}\p{N}\p{M}_]+/gu;

/** ASCII word chars (a-z A-Z 0-9 _), the common case, without a regex call. */
const ASCII_WORD = new Uint8Array(128);
for (let c = 48; c <= 57; c++) ASCII_WORD[c] = 1;
for (let c = 65; c <= 90; c++) ASCII_WORD[c] = 1;
for (let c = 97; c <= 122; c++) ASCII_WORD[c] = 1;
ASCII_WORD[95] = 1;

/** The tokens of an already lowercased text, in order (repeats kept). */
export function messageTokens(lower: string): string[] {
  return lower.match(WORD_RUNS) ?? [];
}

/** A query token (any case) -> the lowercased tokens it holds (several when it has separators). */
export function queryTokens(text: string): string[] {
  return messageTokens(text.toLowerCase());
}

/**
 * True when `token` (lowercased, all word chars: from queryTokens) is a whole token of the lowercased
 * `lower`: an occurrence with no word char on either side. Same answer as
 * messageTokens(lower).includes(token), without building the token list for every entry.
 */
export function hasToken(lower: string, token: string): boolean {
  if (token.length === 0) return false;
  for (let at = lower.indexOf(token); at >= 0; at = lower.indexOf(token, at + 1)) {
    if (!isWordCharBefore(lower, at) && !isWordCharAt(lower, at + token.length)) return true;
  }
  return false;
}

function isWordCharAt(s: string, i: number): boolean {
  if (i >= s.length) return false;
  const c = s.charCodeAt(i);
  if (c < 128) return ASCII_WORD[c] === 1;
  return WORD_CHAR.test(String.fromCodePoint(s.codePointAt(i)!));
}

function isWordCharBefore(s: string, i: number): boolean {
  if (i <= 0) return false;
  const c = s.charCodeAt(i - 1);
  if (c < 128) return ASCII_WORD[c] === 1;
  // A low surrogate ends a pair: test the whole code point.
  const start = c >= 0xdc00 && c <= 0xdfff && i >= 2 && isHighSurrogate(s.charCodeAt(i - 2)) ? i - 2 : i - 1;
  return WORD_CHAR.test(String.fromCodePoint(s.codePointAt(start)!));
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
