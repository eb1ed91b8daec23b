// Series block codec: golden bytes (pin the format), seeded round-trip properties over nasty inputs,
// wasm output byte-identical to the plain-TS reference, real NAB/ALP files, and error contracts.
// The decoder fuzz lives in series-fuzz.test.ts.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../bench/gen/prng.js';
import { CodecError } from './errors.js';
import * as ref from './reference/series.js';
import * as wasm from './series.js';
import { packageRoot } from './wasm.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bitsHex = (v: Float64Array | number[]) => hex(new Uint8Array(Float64Array.from(v).buffer));

/** A double from raw bits (keeps NaN payloads). */
function fromBits(hi: number, lo: number): number {
  const u = new Uint32Array([lo, hi]);
  return new Float64Array(u.buffer)[0];
}

const T0 = 1700000000000;
const regular = (n: number, step = 10000) => Array.from({ length: n }, (_, i) => T0 + i * step);

// Fixed inputs → exact bytes. Changing any of these is a format change (bump the version).
const GOLDEN: { name: string; ts: number[]; values: number[]; mode?: 'gorilla' | 'decimal' | 'gorillaSeries'; hex: string; info: string }[] = [
  { name: 'empty', ts: [], values: [], hex: '530100', info: '0 none none' },
  { name: 'one point', ts: [T0], values: [1.5], hex: '5301010080a0abfef962013c0000000000', info: '1 patch decimal' },
  {
    name: 'regular 2-decimal gauge', ts: regular(4), values: [20.5, 20.25, 20.75, 21],
    hex: '5301040280a0abfef962a09c018822043962641900000000', info: '4 gorilla decimal',
  },
  {
    name: 'textbook gorilla', ts: regular(4), values: [20.5, 20.25, 20.75, 21], mode: 'gorillaSeries',
    hex: '5301041280a0abfef962a09c01000000000000d2000d85f3371c', info: '4 gorilla gorilla',
  },
  {
    name: 'specials', ts: regular(5), values: [NaN, -0, Infinity, -Infinity, 5e-324],
    hex: '5301051280a0abfef962a09c01000000000000c0ff1b34ff3fff1f001c00010000000000f0ff', info: '5 gorilla gorilla',
  },
  {
    name: 'almost decimals (ulp corrections)', ts: regular(3), values: [6.0520000000000005, 48.56800000000001, 6.052],
    hex: '5301030280a0abfef962a09c0146217b45284c4f989680e000', info: '3 gorilla decimal',
  },
  {
    name: 'gaps (patched timestamps)', ts: [T0, T0 + 300000, T0 + 600000, T0 + 1200000, T0 + 1500000], values: [1, 2, 3, 4, 5],
    hex: '5301050080a0abfef962c0cf240102c0cf2420040400000000', info: '5 patch decimal',
  },
  {
    name: 'jitter (timestamp column)', ts: [T0, T0 + 9998, T0 + 20003, T0 + 29999, T0 + 40001, T0 + 50002], values: [0, 0, 0, 0, 0, 0],
    hex: '5301060180a0abfef96284c9194048821500000000000000', info: '6 column decimal',
  },
  {
    name: 'dictionary values',
    ts: regular(20),
    values: Array.from({ length: 20 }, (_, i) => [0.5, 12.25, 3.75][(i * 7) % 3] + (i % 5 === 0 ? 100 : 0)),
    hex: '5301140080a0abfef962a09c0100820d8aec5114901ae4898a025243e1244b3a92975c1200000000', info: '20 patch decimal',
  },
  {
    name: 'forced gorilla values', ts: regular(3), values: [1.1, 2.2, 3.3], mode: 'gorilla',
    hex: '5301031280a0abfef962a09c01343333333333e37f0ecbff67f2ffffffffffbf', info: '3 gorilla gorilla',
  },
];

type Codec = typeof ref;
const IMPLS: [string, Codec][] = [['reference', ref], ['wasm', wasm as unknown as Codec]];

function encodeWith(c: Codec, ts: ArrayLike<number>, values: ArrayLike<number>, mode?: string): Uint8Array {
  if (mode === 'gorillaSeries') return c.encodeGorillaSeries(ts, values);
  return c.encodeSeries(ts, values, mode ? { values: mode as 'gorilla' | 'decimal' } : undefined);
}

function expectRoundTrip(c: Codec, block: Uint8Array, ts: ArrayLike<number>, values: ArrayLike<number>): void {
  const d = c.decodeSeries(block);
  expect(d.tsMs.length).toBe(ts.length);
  expect(Array.from(d.tsMs)).toEqual(Array.from(ts));
  expect(bitsHex(d.values)).toBe(bitsHex(Array.from(values)));
}

describe.each(IMPLS)('series golden vectors (%s)', (_name, c) => {
  for (const g of GOLDEN) {
    it(g.name, () => {
      const block = encodeWith(c, g.ts, g.values, g.mode);
      expect(hex(block)).toBe(g.hex);
      expectRoundTrip(c, block, g.ts, g.values);
      const info = c.seriesBlockInfo(block);
      expect(`${info.points} ${info.tsCodec} ${info.valueCodec}`).toBe(g.info);
      if (g.ts.length > 0) expect(info.firstTsMs).toBe(g.ts[0]);
      else expect(info.firstTsMs).toBeNaN();
    });
  }
});

// ---- nasty input generator ----

const SPECIALS = [
  NaN, -0, 0, Infinity, -Infinity, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
  fromBits(0x7ff00000, 1), fromBits(0xfff80000, 0xdeadbeef), fromBits(0x7ff7ffff, 0xffffffff), 0.1 + 0.2, 1e-300, 123456789012345680000,
];

function genTimestamps(r: Prng, n: number, kind: number): number[] {
  const ts: number[] = [];
  let t = r.int(-1e13, 2e12);
  for (let i = 0; i < n; i++) {
    switch (kind) {
      case 0: t += 10000; break; // regular
      case 1: t += r.float() < 0.01 ? r.int(1, 50) * 300000 : 300000; break; // gaps
      case 2: t += 10000 + r.int(-20, 20); break; // jitter
      case 3: t = r.int(-1e12, 1e12); break; // any order
      case 4: t += r.pick([0, 0, 1000]); break; // duplicates
      case 5: t = r.pick([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 0, 2 ** 48, -(2 ** 48), 2 ** 48 - 1]); break;
      default: t = r.int(-(2 ** 53) + 1, 2 ** 53 - 1); break; // huge
    }
    ts.push(t);
  }
  return ts;
}

function genValues(r: Prng, n: number, kind: number): number[] {
  const v: number[] = [];
  let walk = r.normal() * 100;
  let counter = r.int(0, 1e9);
  const e = r.int(0, 6);
  for (let i = 0; i < n; i++) {
    walk += r.normal();
    switch (kind) {
      case 0: v.push(Math.round(walk * 100) / 100); break; // decimal gauge
      case 1: { // almost decimals: a few ulps off the short decimal
        const d = Math.round(walk * 10 ** e) / 10 ** e;
        v.push(r.float() < 0.5 ? d : fromBitsOffset(d, r.int(-4, 4)));
        break;
      }
      case 2: v.push(r.pick(SPECIALS)); break;
      case 3: v.push(fromBits(r.u32(), r.u32())); break; // arbitrary bits, NaN payloads included
      case 4: v.push((counter += r.int(0, 500))); break; // counter
      case 5: v.push(r.pick([1.5, 2.25, 1e6, -3])); break; // peaky
      case 6: v.push(r.float() < 0.9 ? Math.round(walk * 1000) / 1000 : r.pick(SPECIALS)); break; // mixed
      case 7: v.push(walk * 1e12); break; // large non-decimal
      default: v.push(7); // constant
    }
  }
  return v;
}

function fromBitsOffset(v: number, k: number): number {
  const f = new Float64Array([v]);
  const b = new BigInt64Array(f.buffer);
  b[0] += BigInt(k);
  return f[0];
}

function nastyCase(seed: number): { ts: number[]; values: number[] } {
  const r = new Prng(seed);
  const n = r.pick([0, 1, 2, 3, 4, 7, 16, 17, 33, 100, 257, 1000, 3000]);
  return { ts: genTimestamps(r, n, r.int(0, 6)), values: genValues(r, n, r.int(0, 8)) };
}

describe('series properties', () => {
  it('reference and wasm round-trip nasty inputs bit-exactly and emit identical bytes', () => {
    const modes = [undefined, 'gorilla', 'decimal', 'gorillaSeries'];
    for (let seed = 1; seed <= 400; seed++) {
      const { ts, values } = nastyCase(seed);
      const mode = modes[seed % modes.length];
      const a = encodeWith(ref, ts, values, mode);
      const b = encodeWith(wasm as unknown as Codec, ts, values, mode);
      expect(hex(b), `seed ${seed}`).toBe(hex(a));
      expectRoundTrip(ref, a, ts, values);
      expectRoundTrip(wasm as unknown as Codec, a, ts, values);
    }
  });

  it('auto never produces a bigger block than either forced value codec', () => {
    for (let seed = 1000; seed < 1100; seed++) {
      const { ts, values } = nastyCase(seed);
      const auto = wasm.encodeSeries(ts, values).length;
      expect(auto).toBeLessThanOrEqual(wasm.encodeSeries(ts, values, { values: 'gorilla' }).length);
      expect(auto).toBeLessThanOrEqual(wasm.encodeSeries(ts, values, { values: 'decimal' }).length);
    }
  });

  it('accepts Float64Array and plain arrays alike (NaN payloads survive the bridge copy)', () => {
    const values = [fromBits(0x7ff00000, 0x1234), fromBits(0xfff12345, 0x6789), -0, 1.25];
    const ts = regular(4);
    const a = wasm.encodeSeries(Float64Array.from(ts), new Float64Array(values));
    expect(hex(a)).toBe(hex(ref.encodeSeries(ts, values)));
    expect(bitsHex(wasm.decodeSeries(a).values)).toBe(bitsHex(values));
  });

  it('handles the largest block the decoder accepts', () => {
    const n = ref.SERIES_MAX_BLOCK_POINTS;
    const ts = new Float64Array(n);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      ts[i] = T0 + i * 1000;
      values[i] = (i % 1000) / 10;
    }
    const block = wasm.encodeSeries(ts, values);
    const d = wasm.decodeSeries(block);
    expect(d.tsMs[n - 1]).toBe(ts[n - 1]);
    expect(bitsHex(d.values)).toBe(bitsHex(values));
    expect(() => wasm.encodeSeries(new Float64Array(n + 1), new Float64Array(n + 1))).toThrow(/TOO_LARGE/);
  });
});

describe('decodeSeriesView (no-copy decode for the read path)', () => {
  it('gives the same points as decodeSeries, as views of the wasm scratch', () => {
    const rng = new Prng(77);
    for (let round = 0; round < 20; round++) {
      const n = rng.int(0, 3000);
      const ts = Array.from({ length: n }, (_, i) => T0 + i * 10_000 + (rng.float() < 0.1 ? rng.int(1, 999) : 0));
      const values = Array.from({ length: n }, () => (rng.float() < 0.5 ? rng.int(-500, 500) / 10 : rng.normal() * 1e6));
      const block = wasm.encodeSeries(ts, values);
      const copy = wasm.decodeSeries(block);
      const view = wasm.decodeSeriesView(block);
      expect(view.tsMs.buffer).not.toBe(copy.tsMs.buffer);
      expect(view.tsMs.buffer).toBe(view.values.buffer); // both columns live in the scratch
      expect(bitsHex(view.tsMs)).toBe(bitsHex(copy.tsMs));
      expect(bitsHex(view.values)).toBe(bitsHex(copy.values));
    }
  });

  it('leaves earlier decodeSeries copies intact and reports broken blocks like decodeSeries', () => {
    const a = wasm.decodeSeries(wasm.encodeSeries(regular(5), [1, 2, 3, 4, 5]));
    wasm.decodeSeriesView(wasm.encodeSeries(regular(5, 7), [9, 9, 9, 9, 9]));
    expect(Array.from(a.values)).toEqual([1, 2, 3, 4, 5]);
    const good = wasm.encodeSeries(regular(10), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(() => wasm.decodeSeriesView(good.subarray(0, good.length - 1))).toThrow(CodecError);
    expect(() => wasm.decodeSeriesView(Uint8Array.of(0x53, 1, 0x81, 0x80, 0x40))).toThrow(/TOO_LARGE/);
  });
});

// ---- real data ----

const DATA = path.resolve(packageRoot(), '../shared/data/metrics');

function readNab(file: string): { ts: number[]; values: number[] } {
  const ts: number[] = [];
  const values: number[] = [];
  const seen = new Set<number>();
  for (const line of readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
    const [t, v] = line.split(',');
    const ms = Date.parse(t.replace(' ', 'T') + 'Z');
    if (seen.has(ms)) continue; // daylight-saving duplicates: keep the first row
    seen.add(ms);
    ts.push(ms);
    values.push(Number(v));
  }
  return { ts, values };
}

const csvs = (dir: string) => readdirSync(path.join(DATA, dir)).filter((f) => f.endsWith('.csv')).sort();

describe('series on real data', () => {
  it('every NAB file round-trips, wasm = reference, median ≤ 1.5 data bytes/point', () => {
    const bpp: number[] = [];
    for (const f of csvs('nab')) {
      const { ts, values } = readNab(path.join(DATA, 'nab', f));
      const a = ref.encodeSeries(ts, values);
      expect(hex(wasm.encodeSeries(ts, values)), f).toBe(hex(a));
      expectRoundTrip(wasm as unknown as Codec, a, ts, values);
      expectRoundTrip(ref, ref.encodeGorillaSeries(ts, values), ts, values);
      bpp.push(a.length / ts.length);
    }
    bpp.sort((x, y) => x - y);
    const median = (bpp[(bpp.length - 1) >> 1] + bpp[bpp.length >> 1]) / 2;
    expect(median).toBeLessThanOrEqual(1.5);
  });

  it('every ALP sample round-trips, wasm = reference, average ≤ 20 bits/value', () => {
    let bits = 0;
    const files = csvs('alp');
    for (const f of files) {
      const values = readFileSync(path.join(DATA, 'alp', f), 'utf8').trim().split('\n').map(Number);
      const ts = regular(values.length);
      const a = ref.encodeSeries(ts, values);
      expect(hex(wasm.encodeSeries(ts, values)), f).toBe(hex(a));
      expectRoundTrip(wasm as unknown as Codec, a, ts, values);
      bits += (a.length * 8) / values.length;
    }
    expect(bits / files.length).toBeLessThanOrEqual(20);
  });
});

// ---- contracts ----

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof CodecError) return e.code;
    throw e;
  }
  return 'no error';
}

describe.each(IMPLS)('series errors (%s)', (_name, c) => {
  it('rejects invalid input with INVALID_INPUT', () => {
    expect(codeOf(() => c.encodeSeries([1, 2], [1]))).toBe('INVALID_INPUT');
    for (const bad of [1.5, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53)]) {
      expect(codeOf(() => c.encodeSeries([0, bad], [1, 2])), String(bad)).toBe('INVALID_INPUT');
      expect(codeOf(() => c.encodeGorillaSeries([bad], [1])), String(bad)).toBe('INVALID_INPUT');
    }
    expect(codeOf(() => c.encodeSeries([0], ['1' as unknown as number]))).toBe('INVALID_INPUT');
    expect(codeOf(() => c.encodeSeries([0], [1], { values: 'zstd' as 'auto' }))).toBe('INVALID_INPUT');
  });

  it('reports broken blocks with the right code', () => {
    const good = c.encodeSeries(regular(10), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(codeOf(() => c.decodeSeries(new Uint8Array(0)))).toBe('TRUNCATED');
    expect(codeOf(() => c.decodeSeries(good.subarray(0, good.length - 1)))).toBe('TRUNCATED');
    expect(codeOf(() => c.decodeSeries(Uint8Array.of(0x54, 1, 0)))).toBe('CORRUPT');
    expect(codeOf(() => c.decodeSeries(Uint8Array.of(0x53, 2, 0)))).toBe('UNSUPPORTED');
    expect(codeOf(() => c.decodeSeries(Uint8Array.of(0x53, 1, 0x81, 0x80, 0x40)))).toBe('TOO_LARGE');
    expect(codeOf(() => c.decodeSeries(Uint8Array.of(0x53, 1, 0, 0)))).toBe('CORRUPT'); // trailing byte
    const badCodec = good.slice();
    badCodec[3] = 0x07; // timestamp codec 7
    expect(codeOf(() => c.decodeSeries(badCodec))).toBe('UNSUPPORTED');
  });

  it('decodes a zero-point block', () => {
    const d = c.decodeSeries(c.encodeSeries([], []));
    expect(d.tsMs.length).toBe(0);
    expect(d.values.length).toBe(0);
  });
});
