// Names, labels and times: canonical form (sorted, empty values dropped), unambiguous keys, and the
// typed errors for every kind of bad input.
import { describe, expect, it } from 'vitest';
import { canonicalLabels, checkName, checkTime, compareLabels, seriesKey } from './labels.js';
import { MetricsError } from './errors.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as MetricsError).code;
  }
  return 'none';
};

describe('labels', () => {
  it('canonicalizes and keys series unambiguously', () => {
    expect(Object.keys(canonicalLabels({ b: '1', a: '2', c: '' }))).toEqual(['a', 'b']);
    expect(seriesKey('m', canonicalLabels({ a: 'x', b: 'y' }))).not.toBe(seriesKey('m', canonicalLabels({ a: 'x","b":"y' })));
    expect(seriesKey('m', canonicalLabels({ b: '1', a: '2' }))).toBe(seriesKey('m', canonicalLabels({ a: '2', b: '1' })));
    expect(compareLabels({ a: '1' }, { a: '2' })).toBeLessThan(0);
    expect(compareLabels({ a: '1' }, { a: '1', b: '0' })).toBeLessThan(0);
    // `__name__` is not a label of its own (the postings ignore it): same series as without it.
    expect(canonicalLabels({ __name__: 'other', a: '1' })).toEqual({ a: '1' });
  });

  it('rejects bad names, labels and times with typed errors', () => {
    expect(code(() => checkName('ok_name:total.v2'))).toBe('none');
    expect(code(() => checkName('9lives'))).toBe('INVALID_NAME');
    expect(code(() => checkName(''))).toBe('INVALID_NAME');
    expect(code(() => canonicalLabels([]))).toBe('INVALID_LABELS');
    expect(code(() => canonicalLabels({ 'a b': 'x' }))).toBe('INVALID_LABELS');
    expect(code(() => canonicalLabels({ a: null }))).toBe('INVALID_LABELS');
    expect(code(() => checkTime(Infinity))).toBe('INVALID_TIME');
    expect(code(() => checkTime('1'))).toBe('INVALID_TIME');
    expect(checkTime(1.9)).toBe(1);
    expect(Math.abs(checkTime(undefined) - Date.now())).toBeLessThan(60_000);
  });
});
