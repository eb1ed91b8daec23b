import { Buffer } from 'node:buffer';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../../bench/gen/prng.js';
import { CodecError } from '../errors.js';
import { nastyMessage } from '../../../test/logs-random-entries.js';
import { ATTR_FORM_JSON, readRecordAttributes, RecordKeyScanner, writeRecordAttributes, type ByteSink } from './record-attrs.js';

/** A growable sink like EntryRecordWriter's. */
class Sink implements ByteSink {
  buf = Buffer.alloc(16);
  pos = 0;
  ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

const fail = (m: string) => new CodecError('INVALID_INPUT', m);

function encode(attrs: unknown): Buffer {
  const s = new Sink();
  writeRecordAttributes(s, attrs, fail);
  return Buffer.from(s.bytes());
}

/** The section after its length varint. */
function section(bytes: Buffer): [number, number] {
  let p = 0;
  while (bytes[p] >= 0x80) p++;
  return [p + 1, bytes.length];
}

function decode(bytes: Buffer): unknown {
  const [start, end] = section(bytes);
  return readRecordAttributes(bytes, start, end);
}

/** What JSON keeps of a value (the contract: the binary form keeps exactly that). */
const viaJson = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

describe('record attributes', () => {
  it('matches the golden bytes of the spec', () => {
    const hex = (v: unknown) => encode(v).toString('hex');
    expect(hex({})).toBe('00');
    expect(hex({ u: undefined })).toBe('00');
    // len 7 (padded) | form 0 | count 1 (padded) | "a" | uint 1
    expect(hex({ a: 1 })).toBe('8700' + '00' + '8100' + '0161' + '0401');
    // null, false, true, "é", -5, -0 (as 0), 1.5, 2^31 (a double), [1]
    expect(hex({ n: null, f: false, t: true, s: 'é', i: -5, z: -0, d: 1.5, b: 2 ** 31, a: [1] })).toBe(
      'b700' + '00' + '8900' +
        '016e00' + '016601' + '017402' + '0173' + '0302c3a9' + '01690505' + '017a0400' +
        '0164' + '06' + '000000000000f83f' + '0162' + '06' + '000000000000e041' + '0161' + '0703' + '5b315d',
    );
  });

  it('round-trips seeded attribute objects exactly as JSON keeps them', () => {
    const rng = new Prng(2026);
    const keys = ['a', 'http.route', 'duration_ms', '', '0', '10', '__proto__', 'constructor', 'ключ', '😀', 'k"ey'];
    const scalar = (): unknown => {
      switch (rng.int(0, 9)) {
        case 0: return nastyMessage(rng);
        case 1: return rng.int(-(2 ** 31), 2 ** 31);
        case 2: return rng.normal() * 10 ** rng.int(-8, 20);
        case 3: return rng.pick([0, -0, 2 ** 31 - 1, -(2 ** 31), 2 ** 53, -(2 ** 53), 5e-324, 1.7976931348623157e308]);
        case 4: return rng.float() < 0.5;
        case 5: return null;
        case 6: return undefined;
        case 7: return 'x'.repeat(rng.int(40, 60)) + nastyMessage(rng);
        case 8: return rng.pick(['\ud800', 'a\udc00b', '\ud83d']);
        default: return [scalar(), { x: scalar(), y: [scalar()] }];
      }
    };
    for (let i = 0; i < 2000; i++) {
      const o: Record<string, unknown> = {};
      for (let k = rng.int(0, 8); k > 0; k--) {
        const key = rng.pick(keys);
        if (key === '__proto__') Object.defineProperty(o, key, { value: scalar(), enumerable: true, writable: true, configurable: true });
        else o[key] = scalar();
      }
      const back = decode(encode(o));
      if (!isDeepStrictEqual(back, viaJson(o))) throw new Error(`object ${i} changed: ${JSON.stringify(o)} -> ${JSON.stringify(back)}`);
      expect(Object.keys(back as object)).toEqual(Object.keys(viaJson(o) as object));
    }
  });

  it('keeps lone surrogates: in a value as JSON text, in a key with the JSON form', () => {
    expect(decode(encode({ v: 'a\ud800' }))).toEqual({ v: 'a\ud800' });
    const bytes = encode({ ok: 1, 'k\udc00': 2 });
    expect(bytes[section(bytes)[0]]).toBe(ATTR_FORM_JSON);
    expect(decode(bytes)).toEqual({ ok: 1, 'k\udc00': 2 });
    // The JSON form still refuses what the pairs walk refuses, after the odd key too.
    expect(() => encode({ 'k\udc00': 1, later: NaN })).toThrow(/attributes\.later is NaN/);
  });

  it('moves a section longer than 16 KiB and falls back to JSON beyond 16,383 keys', () => {
    const long = { stack: 'frame\n'.repeat(5000), n: 7 };
    expect(decode(encode(long))).toEqual(long);
    const many: Record<string, number> = {};
    for (let i = 0; i < 20_000; i++) many[`k${i}`] = i;
    const bytes = encode(many);
    expect(bytes[section(bytes)[0]]).toBe(ATTR_FORM_JSON);
    expect(decode(bytes)).toEqual(many);
  });

  it('refuses what JSON would change, with the path, and leaves the sink where it was', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cases: Array<[unknown, RegExp]> = [
      [{ x: NaN }, /attributes\.x is NaN/],
      [{ x: -Infinity }, /attributes\.x is -Infinity/],
      [{ x: 1n }, /bigint value/],
      [{ x: () => 1 }, /function value/],
      [{ x: Symbol('s') }, /symbol value/],
      [{ x: new Date(0) }, /attributes\.x must be a plain object.*Date/],
      [{ x: { y: [1, new Map()] } }, /attributes\.x\.y\.1 must be a plain object/],
      [{ x: Object.assign([1], { toJSON: () => 2 }) }, /own toJSON/],
      [cyclic, /nested more than 64 levels/],
      [[1], /attributes must be a plain object, got an array/],
      [null, /got null/],
      ['str', /got string/],
    ];
    for (const [bad, message] of cases) {
      const s = new Sink();
      s.pos = 3;
      expect(() => writeRecordAttributes(s, bad, fail)).toThrow(message);
      expect(s.pos).toBe(3);
    }
  });

  it('lists the top-level keys of a pairs section', () => {
    const scanner = new RecordKeyScanner();
    const bytes = encode({ b: 1, a: { nested: true }, 'é': 'x', s: 'a\ud800', n: -300, big: 1e300, u: 70000 });
    const [start, end] = section(bytes);
    expect(scanner.add(bytes, start, end)).toBe(true);
    const more = encode({ a: 2, c: null, 'ключ': true });
    expect(scanner.add(more, ...section(more))).toBe(true);
    expect([...scanner.keys].sort()).toEqual(['a', 'b', 'big', 'c', 'n', 's', 'u', 'é', 'ключ']);
    const json = encode({ 'k\udc00': 1 });
    expect(scanner.add(json, ...section(json))).toBe(false);
    // Many distinct keys (the hash table grows), each listed once however often it repeats.
    const wide = new RecordKeyScanner();
    const want = new Set<string>();
    for (let r = 0; r < 40; r++) {
      const o: Record<string, number> = {};
      for (let k = 0; k < 50; k++) o[`key.${(r * 37 + k * 11) % 1500}`] = k;
      Object.keys(o).forEach((k) => want.add(k));
      const b = encode(o);
      wide.add(b, ...section(b));
    }
    expect([...wide.keys].sort()).toEqual([...want].sort());
  });

  it('fuzz: mutated sections decode or throw CodecError, nothing else', () => {
    const rng = new Prng(99);
    const base = encode({ a: 1, b: 'two', c: [3, { d: null }], e: 1.5, f: -7, g: true, 'k\u00e9': 'v' });
    for (let c = 0; c < 5000; c++) {
      const b = Buffer.from(base.subarray(0, rng.float() < 0.3 ? rng.int(0, base.length) : base.length));
      for (let k = rng.int(1, 4); k > 0 && b.length > 0; k--) b[rng.int(0, b.length - 1)] = rng.u32() & 0xff;
      const start = Math.min(2, b.length);
      for (const run of [() => readRecordAttributes(b, start, b.length), () => new RecordKeyScanner().add(b, start, b.length)]) {
        try {
          run();
        } catch (err) {
          expect(err).toBeInstanceOf(CodecError);
        }
      }
    }
  });
});
