import { describe, expect, it } from 'vitest';
import { Prng } from '../../bench/gen/prng.js';
import { crc32c } from './crc32c.js';
import { crc32c as refCrc32c } from './reference/crc32c.js';

const ascii = (s: string) => new TextEncoder().encode(s);

// RFC 3720 (iSCSI) appendix B.4 test vectors, plus the standard check value.
const VECTORS: Array<[string, Uint8Array, number]> = [
  ['empty', new Uint8Array(0), 0x00000000],
  ['"123456789"', ascii('123456789'), 0xe3069283],
  ['32 zero bytes', new Uint8Array(32), 0x8a9136aa],
  ['32 0xff bytes', new Uint8Array(32).fill(0xff), 0x62a8ab43],
  ['32 incrementing bytes', Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
  ['32 decrementing bytes', Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
];

describe.each([
  ['wasm', crc32c],
  ['reference', refCrc32c],
])('crc32c (%s)', (_name, fn) => {
  it.each(VECTORS)('standard vector: %s', (_label, bytes, expected) => {
    expect(fn(bytes)).toBe(expected);
  });

  it('chains: crc(b, crc(a)) === crc(a ++ b) at every split', () => {
    const rng = new Prng(7);
    const data = rng.bytes(300);
    const whole = fn(data);
    for (let split = 0; split <= data.length; split += 13) {
      expect(fn(data.subarray(split), fn(data.subarray(0, split)))).toBe(whole);
    }
  });

  it('detects a single flipped bit anywhere', () => {
    const rng = new Prng(8);
    const data = rng.bytes(1000);
    const good = fn(data);
    for (let i = 0; i < 200; i++) {
      const bad = data.slice();
      bad[rng.int(0, bad.length - 1)] ^= 1 << rng.int(0, 7);
      expect(fn(bad)).not.toBe(good);
    }
  });
});

describe('crc32c wasm vs reference', () => {
  it('agrees on seeded random inputs of every alignment and length (including > 1 MiB chunks)', () => {
    const rng = new Prng(42);
    const big = rng.bytes((1 << 20) * 2 + 777);
    const lengths = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 4097, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, big.length - 8];
    for (const len of lengths) {
      for (const offset of [0, 1, 3, 5]) {
        const view = big.subarray(offset, offset + len);
        const seed = rng.u32();
        expect(crc32c(view, seed)).toBe(refCrc32c(view, seed));
        expect(crc32c(view)).toBe(refCrc32c(view));
      }
    }
  });
});
