import { describe, expect, it } from 'vitest';
import { Buffer } from 'node:buffer';
import { LogsError } from '../errors.js';
import { compareKeys, decodeCursor, encodeCursor, isAfterCursor, type LogCursor } from './cursor.js';

function expectInvalidCursor(fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(LogsError);
  expect((caught as LogsError).code).toBe('INVALID_CURSOR');
}

describe('cursor encoding', () => {
  const cases: LogCursor[] = [
    { tsNs: 0n, seq: 0, order: 'desc' },
    { tsNs: 1_700_000_000_123_456_789n, seq: 42, order: 'asc' },
    { tsNs: -5n, seq: Number.MAX_SAFE_INTEGER, order: 'desc' },
    { tsNs: 2n ** 63n - 1n, seq: 1, order: 'asc' },
    { tsNs: -(2n ** 63n), seq: 7, order: 'desc' },
  ];

  it('round-trips tsNs, seq and order as an opaque base64url string', () => {
    for (const c of cases) {
      const text = encodeCursor(c);
      expect(text).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect(decodeCursor(text)).toEqual(c);
    }
  });

  it('rejects what it did not produce with INVALID_CURSOR', () => {
    const good = encodeCursor(cases[1]);
    expectInvalidCursor(() => decodeCursor(42));
    expectInvalidCursor(() => decodeCursor(''));
    expectInvalidCursor(() => decodeCursor('not a cursor'));
    expectInvalidCursor(() => decodeCursor(good + 'A'));
    expectInvalidCursor(() => decodeCursor(good.slice(1)));
    expectInvalidCursor(() => decodeCursor(good.slice(0, 23) + '!'));
    expectInvalidCursor(() => decodeCursor(good.slice(0, 22) + '=='));

    const bytes = Buffer.from(good, 'base64url');
    const mutate = (at: number, v: number) => {
      const b = Buffer.from(bytes);
      b[at] = v;
      return b.toString('base64url');
    };
    expectInvalidCursor(() => decodeCursor(mutate(0, 2))); // unknown version
    expectInvalidCursor(() => decodeCursor(mutate(1, 2))); // unknown order
    expectInvalidCursor(() => decodeCursor(mutate(17, 0xff))); // seq >= 2^53
  });

  it('refuses to encode keys it could not decode', () => {
    expect(() => encodeCursor({ tsNs: 2n ** 63n, seq: 0, order: 'desc' })).toThrow(RangeError);
    expect(() => encodeCursor({ tsNs: 0n, seq: -1, order: 'desc' })).toThrow(RangeError);
    expect(() => encodeCursor({ tsNs: 0n, seq: 1.5, order: 'desc' })).toThrow(RangeError);
  });
});

describe('cursor order', () => {
  it('compares (tsNs, seq) keys', () => {
    expect(compareKeys(1n, 9, 2n, 1)).toBe(-1);
    expect(compareKeys(2n, 1, 1n, 9)).toBe(1);
    expect(compareKeys(5n, 3, 5n, 4)).toBe(-1);
    expect(compareKeys(5n, 4, 5n, 4)).toBe(0);
  });

  it('desc continues with older entries, or the same ns and a smaller seq', () => {
    const c: LogCursor = { tsNs: 100n, seq: 10, order: 'desc' };
    expect(isAfterCursor(c, 99n, 1000)).toBe(true);
    expect(isAfterCursor(c, 100n, 9)).toBe(true);
    expect(isAfterCursor(c, 100n, 10)).toBe(false);
    expect(isAfterCursor(c, 100n, 11)).toBe(false);
    expect(isAfterCursor(c, 101n, 1)).toBe(false);
  });

  it('asc continues with newer entries, or the same ns and a larger seq', () => {
    const c: LogCursor = { tsNs: 100n, seq: 10, order: 'asc' };
    expect(isAfterCursor(c, 101n, 1)).toBe(true);
    expect(isAfterCursor(c, 100n, 11)).toBe(true);
    expect(isAfterCursor(c, 100n, 10)).toBe(false);
    expect(isAfterCursor(c, 100n, 9)).toBe(false);
    expect(isAfterCursor(c, 99n, 1000)).toBe(false);
  });
});
