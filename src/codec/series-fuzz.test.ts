// Seeded decoder fuzz for the series block: truncations, byte mutations and bit flips of valid blocks
// (every codec path). Each decode must return data or throw a CodecError: any other exception type,
// a hang (vitest timeout) or a wasm trap fails the test. Decoded data must also be self-consistent.
import { describe, expect, it } from 'vitest';
import { Prng } from '../../bench/gen/prng.js';
import { CodecError } from './errors.js';
import * as ref from './reference/series.js';
import * as wasm from './series.js';

type Decode = (b: Uint8Array) => { tsMs: Float64Array; values: Float64Array };

/** Valid blocks covering every timestamp and value codec, the int column encodings and dictionaries. */
function seedBlocks(): Uint8Array[] {
  const r = new Prng(99);
  const blocks: Uint8Array[] = [];
  const T0 = 1700000000000;
  for (let k = 0; k < 24; k++) {
    const n = [1, 2, 5, 40, 300][k % 5];
    const ts: number[] = [];
    const values: number[] = [];
    let t = T0;
    let walk = 0;
    for (let i = 0; i < n; i++) {
      t += [10000, 10000 + r.int(-30, 30), r.float() < 0.05 ? 600000 : 300000, r.int(0, 1e6)][k % 4];
      ts.push(k % 7 === 6 ? r.int(-(2 ** 53) + 1, 2 ** 53 - 1) : t);
      walk += r.normal();
      values.push([
        Math.round(walk * 100) / 100,
        r.pick([1.5, 7, 1e6]),
        r.pick([NaN, -0, Infinity, 1e-310, 0.1 + 0.2, 6.0520000000000005]),
        walk * 1e9,
      ][k % 4]);
    }
    blocks.push(ref.encodeSeries(ts, values));
    if (k % 3 === 0) blocks.push(ref.encodeGorillaSeries(ts, values));
  }
  return blocks;
}

function mutate(r: Prng, block: Uint8Array): Uint8Array {
  const b = block.slice();
  switch (r.int(0, 3)) {
    case 0:
      return b.subarray(0, r.int(0, b.length - 1)); // truncation
    case 1:
      for (let i = r.int(1, 3); i > 0; i--) b[r.int(0, b.length - 1)] = r.u32() & 0xff; // byte mutations
      return b;
    case 2:
      for (let i = r.int(1, 4); i > 0; i--) {
        const bit = r.int(0, b.length * 8 - 1);
        b[bit >> 3] ^= 1 << (bit & 7); // bit flips
      }
      return b;
    default: {
      // mutate past the fixed header only (reaches deeper into the sections)
      if (b.length > 5) b[r.int(4, b.length - 1)] = r.u32() & 0xff;
      return b;
    }
  }
}

/** Decodes, requiring data or a CodecError; returns the error code or 'ok'. */
function tryDecode(decode: Decode, block: Uint8Array): string {
  try {
    const d = decode(block);
    expect(d.tsMs.length).toBe(d.values.length);
    expect(d.tsMs.length).toBeLessThanOrEqual(ref.SERIES_MAX_BLOCK_POINTS);
    for (const t of d.tsMs) if (!Number.isSafeInteger(t)) throw new Error(`decoded a non-integer timestamp ${t}`);
    return 'ok';
  } catch (e) {
    if (e instanceof CodecError) return e.code;
    throw e;
  }
}

const IMPLS: [string, Decode][] = [['reference', ref.decodeSeries], ['wasm', wasm.decodeSeries]];

describe.each(IMPLS)('series decoder fuzz (%s)', (_name, decode) => {
  const blocks = seedBlocks();

  it('every truncation of every seed block is rejected as a CodecError', () => {
    for (const block of blocks) {
      for (let len = 0; len < block.length; len++) {
        const code = tryDecode(decode, block.subarray(0, len));
        expect(code, `len ${len}/${block.length}`).not.toBe('ok');
      }
    }
  });

  it('mutated blocks decode to data or a CodecError', () => {
    const r = new Prng(2024);
    const codes = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const code = tryDecode(decode, mutate(r, blocks[i % blocks.length]));
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    // The fuzz must actually reach the error paths, not only succeed.
    expect(codes.get('CORRUPT') ?? 0).toBeGreaterThan(0);
    expect(codes.get('TRUNCATED') ?? 0).toBeGreaterThan(0);
  });

  it('random bytes behind a valid header decode to data or a CodecError', () => {
    const r = new Prng(7);
    for (let i = 0; i < 2000; i++) {
      const body = r.bytes(r.int(0, 64));
      const n = r.int(0, 300);
      const head = n < 128 ? [0x53, 1, n] : [0x53, 1, (n & 127) | 128, n >> 7];
      const b = new Uint8Array(head.length + body.length);
      b.set(head);
      b.set(body, head.length);
      tryDecode(decode, b);
    }
  });
});

describe('series decoder fuzz: wasm agrees with the reference', () => {
  it('on mutated blocks both succeed with the same data or both fail', () => {
    const blocks = seedBlocks();
    const r = new Prng(31337);
    for (let i = 0; i < 3000; i++) {
      const b = mutate(r, blocks[i % blocks.length]);
      let a: string;
      let w: string;
      try {
        const d = ref.decodeSeries(b);
        a = Buffer.from(d.values.buffer).toString('hex') + Array.from(d.tsMs).join(',');
      } catch (e) {
        if (!(e instanceof CodecError)) throw e;
        a = 'error';
      }
      try {
        const d = wasm.decodeSeries(b);
        w = Buffer.from(d.values.buffer).toString('hex') + Array.from(d.tsMs).join(',');
      } catch (e) {
        if (!(e instanceof CodecError)) throw e;
        w = 'error';
      }
      expect(w, `case ${i}`).toBe(a);
    }
  });
});
