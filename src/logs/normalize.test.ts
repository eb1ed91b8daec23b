import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../bench/gen/prng.js';
import { decodeEntryRecords, encodeEntryRecord } from './codec/entry-record.js';
import { LogsError } from './errors.js';
import { checkResource, normalizeLogInput } from './normalize.js';
import type { LogInput } from './types.js';

const RES = checkResource({ 'service.name': 'api', 'host.name': 'h1' }, 'resource');
const NOW = 1_700_000_000_123_000_000n;
const norm = (input: unknown) => normalizeLogInput(input as LogInput, RES, () => NOW);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LogsError);
    return (err as LogsError).code;
  }
  return undefined;
}

describe('normalizeLogInput', () => {
  it('fills defaults: now, info, empty attributes, the shared default resource', () => {
    const e = norm({ message: 'hi' });
    expect(e).toEqual({ tsNs: NOW, level: 'info', severityNumber: 9, message: 'hi', attributes: {}, resource: RES });
    expect(e.resource).toBe(RES);
    expect('traceId' in e).toBe(false);
  });

  it('keeps time to the ns: fractional tsMs, tsNs as bigint or string (tsNs wins)', () => {
    expect(norm({ message: '', tsMs: 1000.5 }).tsNs).toBe(1_000_500_000n);
    expect(norm({ message: '', tsMs: 1_700_000_000_123.25 }).tsNs).toBe(1_700_000_000_123_250_000n);
    expect(norm({ message: '', tsNs: '1700000000123456789', tsMs: 5 }).tsNs).toBe(1_700_000_000_123_456_789n);
    expect(norm({ message: '', tsNs: 7n }).tsNs).toBe(7n);
  });

  it('rejects bad times with INVALID_TIME', () => {
    for (const bad of [{ tsMs: NaN }, { tsMs: -1 }, { tsMs: Infinity }, { tsMs: '5' }, { tsNs: -1n }, { tsNs: '1e9' }, { tsNs: 2n ** 63n }, { tsNs: 5 }]) {
      expect(codeOf(() => norm({ message: 'x', ...bad })), JSON.stringify(bad, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))).toBe('INVALID_TIME');
    }
  });

  it('parses levels by name (any case) and severity number; rejects the rest', () => {
    expect(norm({ message: '', level: 'WARN' })).toMatchObject({ level: 'warn', severityNumber: 13 });
    expect(norm({ message: '', level: 18 })).toMatchObject({ level: 'error', severityNumber: 18 });
    for (const bad of ['warning', 0, 25, 1.5, true, null]) expect(codeOf(() => norm({ message: '', level: bad }))).toBe('INVALID_LEVEL');
  });

  it('rejects a non-object entry or a non-string message with INVALID_ENTRY', () => {
    for (const bad of [null, 'msg', 5, [], { message: 5 }, {}, { message: null }]) expect(codeOf(() => norm(bad))).toBe('INVALID_ENTRY');
  });

  it('lowercases ids, treats all-zero ids as absent, rejects malformed ones', () => {
    const e = norm({ message: '', traceId: 'ABCDEF0123456789ABCDEF0123456789', spanId: '00F067AA0BA902B7' });
    expect(e.traceId).toBe('abcdef0123456789abcdef0123456789');
    expect(e.spanId).toBe('00f067aa0ba902b7');
    const z = norm({ message: '', traceId: '0'.repeat(32), spanId: '0'.repeat(16) });
    expect('traceId' in z || 'spanId' in z).toBe(false);
    for (const bad of [{ traceId: 'xyz' }, { traceId: 'g'.repeat(32) }, { spanId: 'a'.repeat(15) }, { traceId: 5 }]) {
      expect(codeOf(() => norm({ message: '', ...bad }))).toBe('INVALID_ENTRY');
    }
  });

  it('deep-copies attributes as JSON keeps them, so later caller mutations do not reach the store', () => {
    const nested = { a: [1, { b: 'c' }], d: null };
    const input = { message: '', attributes: { n: nested, u: undefined, z: -0, arr: [undefined, 1] } };
    const e = norm(input);
    nested.a.push(2);
    (nested as Record<string, unknown>).d = 'changed';
    expect(e.attributes).toEqual({ n: { a: [1, { b: 'c' }], d: null }, z: 0, arr: [null, 1] });
    expect(Object.is(e.attributes.z, 0)).toBe(true);
    expect('u' in e.attributes).toBe(false);
  });

  it("keeps a '__proto__' attribute key as data, not as a prototype", () => {
    const attrs = JSON.parse('{"__proto__": {"polluted": 1}, "k": 2}');
    const e = norm({ message: '', attributes: attrs });
    expect(Object.getPrototypeOf(e.attributes)).toBe(Object.prototype);
    expect(Object.keys(e.attributes)).toEqual(['__proto__', 'k']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects attribute values JSON cannot keep with INVALID_ENTRY', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [{ x: NaN }, { x: Infinity }, { x: 1n }, { x: () => 1 }, { x: new Date(0) }, { x: Symbol('s') }, cyclic, [1], 'str']) {
      expect(codeOf(() => norm({ message: '', attributes: bad }))).toBe('INVALID_ENTRY');
    }
  });

  it('merges the entry resource over the default and checks it is flat', () => {
    expect(norm({ message: '', resource: { 'service.name': 'worker', zone: 'b' } }).resource).toEqual({ 'service.name': 'worker', 'host.name': 'h1', zone: 'b' });
    expect(codeOf(() => norm({ message: '', resource: { nested: {} } }))).toBe('INVALID_ENTRY');
    expect(codeOf(() => norm({ message: '', resource: 'x' }))).toBe('INVALID_ENTRY');
  });

  it('produces entries that survive the entry record round trip unchanged (seeded)', () => {
    const rng = new Prng(4242);
    const pick = <T>(xs: readonly T[]): T => xs[rng.int(0, xs.length - 1)];
    const values: unknown[] = ['', 'v', 'ü€😀', 0, -0, 1.5, -7, 2 ** 60, true, false, null, [1, 'a', null, [2]], { x: { y: [true] } }];
    for (let i = 0; i < 500; i++) {
      const attributes: Record<string, unknown> = {};
      const n = rng.int(0, 6);
      for (let k = 0; k < n; k++) attributes[pick(['a', 'b.c', 'http.status_code', '__proto__', 'constructor', '0', '10', ''])] = pick(values);
      const input: Record<string, unknown> = { message: pick(['', 'GET /x 200', 'é\n\tline', '0007']), attributes };
      if (rng.float() < 0.5) input.level = pick(['debug', 'info', 'warn', 'error', 3, 24]);
      if (rng.float() < 0.5) input.tsMs = rng.int(0, 2e12) + pick([0, 0.5, 0.001, 0.999999]);
      if (rng.float() < 0.3) input.traceId = 'A'.repeat(32);
      const e = norm(input);
      const seq = rng.int(0, 2 ** 40);
      const back = decodeEntryRecords(encodeEntryRecord(e, seq));
      expect(back.seqs[0]).toBe(seq);
      if (!isDeepStrictEqual(back.entries[0], e)) throw new Error(`entry ${i} changed in the record round trip: ${JSON.stringify(input)}`);
    }
  });
});
