import { describe, expect, it } from 'vitest';
import { LogsError, type LogsErrorCode } from '../errors.js';
import type { LogQuery } from '../types.js';
import { compileLogQuery, DEFAULT_LIMIT } from './compile.js';
import { encodeCursor } from './cursor.js';

function codeOf(q: unknown): LogsErrorCode | 'none' {
  try {
    compileLogQuery(q as LogQuery);
    return 'none';
  } catch (err) {
    expect(err).toBeInstanceOf(LogsError);
    return (err as LogsError).code;
  }
}

function messageOf(q: unknown): string {
  try {
    compileLogQuery(q as LogQuery);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the query to be rejected');
}

describe('compileLogQuery validation', () => {
  it('rejects non-objects', () => {
    for (const q of [null, undefined, 42, 'q', [], true]) expect(codeOf(q)).toBe('INVALID_QUERY');
  });

  it('rejects unknown fields, with a hint for the usual slips', () => {
    expect(codeOf({ levl: 'info' })).toBe('INVALID_QUERY');
    expect(messageOf({ level: 'warn' })).toContain('minLevel');
    // An explicitly undefined unknown key is harmless (spread objects carry them).
    expect(codeOf({ level: undefined })).toBe('none');
  });

  it('rejects bad levels with INVALID_LEVEL', () => {
    for (const minLevel of ['loud', 0, 25, 3.5, true, {}, null]) expect(codeOf({ minLevel })).toBe('INVALID_LEVEL');
    expect(messageOf({ minLevel: 'loud' })).toContain('minLevel');
  });

  it('rejects bad time bounds', () => {
    for (const v of [NaN, Infinity, '1000', null, 1e300]) expect(codeOf({ fromMs: v })).toBe('INVALID_QUERY');
    for (const v of [1.5, '12a', '', 2n ** 63n, 1e300, null]) expect(codeOf({ toNs: v })).toBe('INVALID_QUERY');
    expect(codeOf({ fromMs: 2000, toMs: 1000 })).toBe('INVALID_QUERY');
    expect(codeOf({ fromNs: 11n, toNs: 10n })).toBe('INVALID_QUERY');
    expect(messageOf({ fromNs: 11n, toNs: 10n })).toMatch(/swap/);
    // Equal bounds: a valid (empty) range.
    expect(codeOf({ fromNs: 10n, toNs: 10n })).toBe('none');
  });

  it('rejects bad limits, orders and cursors', () => {
    for (const limit of [0, -1, 10_001, 1.5, '10', NaN, null]) expect(codeOf({ limit })).toBe('INVALID_QUERY');
    expect(codeOf({ limit: 10_000 })).toBe('none');
    expect(codeOf({ limit: 1 })).toBe('none');
    for (const order of ['newest', 'DESC', 1, null]) expect(codeOf({ order })).toBe('INVALID_QUERY');
    for (const cursor of ['nope', 12, {}, 'A'.repeat(24)]) expect(codeOf({ cursor })).toBe('INVALID_CURSOR');
    const asc = encodeCursor({ tsNs: 5n, seq: 1, order: 'asc' });
    expect(codeOf({ cursor: asc, order: 'desc' })).toBe('INVALID_CURSOR');
  });

  it('rejects bad text filters', () => {
    for (const search of [1, null, ['a'], /re/]) expect(codeOf({ search })).toBe('INVALID_QUERY');
    for (const tokens of ['a', [1], ['ok', null], [''], ['--- ...'], {}]) expect(codeOf({ tokens })).toBe('INVALID_QUERY');
    expect(codeOf({ service: 3 })).toBe('INVALID_QUERY');
    expect(codeOf({ host: true })).toBe('INVALID_QUERY');
  });

  it('rejects bad ids', () => {
    for (const traceId of ['abc', 'g'.repeat(32), 'a'.repeat(31), 'a'.repeat(33), 7]) expect(codeOf({ traceId })).toBe('INVALID_QUERY');
    for (const spanId of ['0af7651916cd43dd8448eb211c80319c', 'z'.repeat(16), 16]) expect(codeOf({ spanId })).toBe('INVALID_QUERY');
  });

  it('rejects attribute values that are not scalars', () => {
    for (const attributes of [null, 'a=b', [['a', 'b']], { a: { b: 1 } }, { a: ['x'] }, { a: null }, { a: NaN }, { '': 'x' }]) {
      expect(codeOf({ attributes })).toBe('INVALID_QUERY');
    }
    expect(messageOf({ attributes: { region: { a: 1 } } })).toContain('attributes.region');
  });
});

describe('compileLogQuery normalization', () => {
  it('fills defaults', () => {
    const c = compileLogQuery({});
    expect(c).toMatchObject({ minSeverity: 1, tokens: [], attributes: [], limit: DEFAULT_LIMIT, order: 'desc' });
    expect(c.fromNs).toBeUndefined();
    expect(c.toNs).toBeUndefined();
    expect(c.needle).toBeUndefined();
    expect(c.after).toBeUndefined();
  });

  it('turns levels into a minimum severity number', () => {
    expect(compileLogQuery({ minLevel: 'warn' }).minSeverity).toBe(13);
    expect(compileLogQuery({ minLevel: ' ERROR ' as never }).minSeverity).toBe(17);
    expect(compileLogQuery({ minLevel: 14 }).minSeverity).toBe(14);
  });

  it('converts ms bounds to exact ns; ns bounds take precedence', () => {
    const c = compileLogQuery({ fromMs: 1_700_000_000_000.5, toMs: 1_700_000_000_123 });
    expect(c.fromNs).toBe(1_700_000_000_000_500_000n);
    expect(c.toNs).toBe(1_700_000_000_123_000_000n);
    const n = compileLogQuery({ fromMs: 5, fromNs: 7n, toMs: 1, toNs: '1700000000000000001' as never });
    expect(n.fromNs).toBe(7n);
    expect(n.toNs).toBe(1_700_000_000_000_000_001n);
  });

  it('lowercases text and ids, tokenizes and dedupes tokens, sorts attribute pairs as strings', () => {
    const c = compileLogQuery({
      search: 'Timeout ÉCHEC',
      tokens: ['Users', 'cache-miss', 'users'],
      attributes: { status: 500, ok: true, region: 'EU' },
      traceId: '0AF7651916CD43DD8448EB211C80319C',
      spanId: '00F067AA0BA902B7',
      service: 'Billing',
      host: 'h1',
    });
    expect(c.needle).toBe('timeout échec');
    expect(c.tokens).toEqual(['cache', 'miss', 'users']);
    expect(c.attributes).toEqual([['ok', 'true'], ['region', 'EU'], ['status', '500']]);
    expect(c.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(c.spanId).toBe('00f067aa0ba902b7');
    // Resource equality is exact (service names are case-sensitive).
    expect(c.service).toBe('Billing');
    expect(c.host).toBe('h1');
  });

  it('treats empty strings as "no filter"', () => {
    const c = compileLogQuery({ search: '', service: '', host: '', traceId: '', spanId: '', cursor: '' });
    for (const k of ['needle', 'service', 'host', 'traceId', 'spanId', 'after'] as const) expect(c[k]).toBeUndefined();
  });

  it('decodes the cursor; a cursor alone keeps its own order', () => {
    const cursor = encodeCursor({ tsNs: 99n, seq: 3, order: 'asc' });
    const c = compileLogQuery({ cursor, limit: 5 });
    expect(c.after).toEqual({ tsNs: 99n, seq: 3, order: 'asc' });
    expect(c.order).toBe('asc');
    expect(compileLogQuery({ cursor, order: 'asc' }).order).toBe('asc');
  });

  it('is structured-clone safe (it is sent to pool workers)', () => {
    const c = compileLogQuery({ minLevel: 'info', fromMs: 1, toNs: 5_000_000n, search: 'x', tokens: ['a'], attributes: { k: 1 }, cursor: encodeCursor({ tsNs: 2n, seq: 1, order: 'desc' }) });
    expect(structuredClone(c)).toEqual(c);
  });
});
