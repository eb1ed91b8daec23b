import { describe, expect, it } from 'vitest';
import { Prng } from '../../../bench/gen/prng.js';
import { hasToken, messageTokens, queryTokens } from './tokens.js';

describe('tokens', () => {
  it('splits on anything but letters, digits, marks and _', () => {
    expect(messageTokens('get /users/42 took 12ms, db_error=true')).toEqual(['get', 'users', '42', 'took', '12ms', 'db_error', 'true']);
    expect(messageTokens('échec: straße naïve')).toEqual(['échec', 'straße', 'naïve']);
    // 'İ'.toLowerCase() is 'i' + U+0307 (a combining mark): it stays inside its word.
    expect(messageTokens('İstanbul'.toLowerCase())).toEqual(['i̇stanbul']);
    expect(messageTokens('数据库 错误')).toEqual(['数据库', '错误']);
    expect(messageTokens('😀ok 𝒜b')).toEqual(['ok', '𝒜b']);
    expect(messageTokens(' -- ')).toEqual([]);
    expect(queryTokens('Cache-Miss')).toEqual(['cache', 'miss']);
  });

  it('hasToken agrees with the token list (seeded, unicode and surrogate pairs included)', () => {
    const alphabet = ['a', 'b', 'ab', '_', '1', ' ', '-', '/', 'é', 'İ', '̇', '😀', '𝒜', '数', '.', 'A'];
    const rng = new Prng(3);
    let hits = 0;
    for (let k = 0; k < 3000; k++) {
      let text = '';
      for (let i = rng.int(0, 12); i > 0; i--) text += rng.pick(alphabet);
      const lower = text.toLowerCase();
      const tokens = messageTokens(lower);
      // Probe with its own tokens and with random candidates.
      const probes = [...tokens, ...queryTokens(rng.pick(alphabet) + rng.pick(alphabet))];
      for (const t of probes) {
        const want = tokens.includes(t);
        if (want) hits++;
        expect(hasToken(lower, t), `${JSON.stringify(lower)} has ${JSON.stringify(t)}`).toBe(want);
      }
    }
    expect(hits).toBeGreaterThan(1000);
  });
});
