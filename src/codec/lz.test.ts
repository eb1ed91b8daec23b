import { describe, expect, it } from 'vitest';
import { Prng } from '../../bench/gen/prng.js';
import { generateAppLog } from '../../bench/gen/applog.js';
import { CodecError } from './errors.js';
import { compress, decompress, LZ_MAX_OUTPUT_BYTES, type LzLevel } from './lz.js';
import * as ref from './reference/lz.js';
import { crc32c } from './reference/crc32c.js';

const LEVELS: LzLevel[] = ['fast', 'default', 'max'];
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ascii = (s: string) => new TextEncoder().encode(s);

/** Small log-like text built here (not by the bench generator) so the golden pins never drift. */
function pinnedText(lines: number, seed: number): Uint8Array {
  const rng = new Prng(seed);
  let s = '';
  let t = 1714000000000;
  for (let i = 0; i < lines; i++) {
    t += rng.int(0, 40);
    s += `{"level":${rng.pick([30, 30, 40])},"time":${t},"req":"${rng.u32().toString(16)}","msg":"${rng.pick(['ok', 'slow query', 'cache miss'])}","ms":${rng.int(0, 999)}}\n`;
  }
  return ascii(s);
}

function sixLines(): Uint8Array {
  let s = '';
  for (let i = 0; i < 6; i++) s += `{"level":30,"time":17140000${1000 + i * 37},"msg":"request completed","status":${i % 3 ? 200 : 404}}\n`;
  return ascii(s);
}

describe('lz golden vectors (pin the byte format)', () => {
  const GOLDEN: Array<[string, Uint8Array, LzLevel[], string]> = [
    ['empty', new Uint8Array(0), LEVELS, '544c5a010000000000000000'],
    ['one byte (raw block)', ascii('a'), LEVELS, '544c5a01010000003043d0c1000161'],
    ['300 zero bytes', new Uint8Array(300), LEVELS, '544c5a012c0100001077556401ac021b01010500000001200120010500200105200105c0ffff7f20280040'],
    ['six json lines (fast)', sixLines(), ['fast'],
      '544c5a01b0010000a1cb7a3301b003a1015509060180ffff4f009000ffffffffff0940c20220000840040108210006290180ffffff8f00383d00910438f2ffffffffff090180ffffffffffffff7f8101809f01f0ff0701ef00cc300c033806feffffff19033333762366e4007d97d9b60b18728fb938d4a4e215c3e36781434aa5a226e438504c7336d4a57f010504e034f887080105181c11010504f8ff8700088000123836b170fb38a27c18eea588a250'],
    ['six json lines (default, max)', sixLines(), ['default', 'max'],
      '544c5a01b0010000a1cb7a3301b0039e015508060180ffff4f009000ffffffffff0940c20220000840040108210006290180ffffff8f00383d00910438f2ffffffffff090180ffffffffffffff7f8101809f01f0ff0701ef00cc300c033806feffffff19033333762366e4007d97d9b60b18728fb938d4a4e215c3e36781434aa5a226e438504c7336d4a57f01054008847f880105181c11010504f8ff87000810010c86d862fb226c1ce86584e328'],
  ];

  for (const [label, input, levels, expected] of GOLDEN) {
    for (const level of levels) {
      it(`${label} @ ${level}`, () => {
        expect(hex(ref.compress(input, level))).toBe(expected);
        expect(hex(compress(input, level))).toBe(expected);
        const frame = Uint8Array.from(Buffer.from(expected, 'hex'));
        expect(decompress(frame)).toEqual(input);
        expect(ref.decompress(frame)).toEqual(input);
      });
    }
  }

  // Multi-block text exercises table reuse across blocks and long-distance matches: pin length + crc32c.
  const MULTI: Record<LzLevel, [number, number]> = { fast: [121753, 807919033], default: [108811, 729602615], max: [108631, 839217559] };
  it.each(LEVELS)('multi-block text @ %s: length and crc32c of the frame', (level) => {
    const input = pinnedText(9000, 5);
    expect(input.length).toBeGreaterThan(600_000);
    const frame = compress(input, level);
    expect([frame.length, crc32c(frame)]).toEqual(MULTI[level]);
    expect(ref.compress(input, level)).toEqual(frame);
    expect(decompress(frame)).toEqual(input);
  });
});

/** Nasty inputs for the round-trip properties, all seeded. */
function nastyInputs(seed: number): Array<[string, Uint8Array]> {
  const rng = new Prng(seed);
  const randomA = rng.bytes(64 * 1024);
  const longGap = new Uint8Array(64 * 1024 + 1_500_000 + 64 * 1024);
  longGap.set(randomA, 0);
  longGap.set(rng.bytes(1_500_000), randomA.length);
  longGap.set(randomA, randomA.length + 1_500_000);
  const periodic = new Uint8Array(200_000);
  for (let i = 0; i < periodic.length; i++) periodic[i] = (i % (1 + ((i >> 12) % 9))) * 31;
  for (let i = 0; i < 300; i++) periodic[rng.int(0, periodic.length - 1)] = rng.u32() & 0xff;
  const ints = new Uint8Array(100_000);
  const dv = new DataView(ints.buffer);
  for (let i = 0; i + 4 <= ints.length; i += 4) dv.setUint32(i, 1_000_000 + i * 3 + rng.int(0, 2), true);
  const mixed = new Uint8Array(300_000);
  for (let i = 0; i < mixed.length; ) {
    if (i > 1000 && rng.float() < 0.5) {
      const len = Math.min(rng.int(3, 300), mixed.length - i);
      const from = rng.int(0, i - 1);
      for (let k = 0; k < len; k++) mixed[i + k] = mixed[from + k];
      i += len;
    } else mixed[i++] = rng.u32() & 0xff;
  }
  return [
    ['empty', new Uint8Array(0)],
    ['1 byte', rng.bytes(1)],
    ['2 bytes', rng.bytes(2)],
    ['3 bytes', rng.bytes(3)],
    ['5 bytes', rng.bytes(5)],
    ['all-same small', new Uint8Array(1000).fill(7)],
    ['all-same multi-block', new Uint8Array(700_000).fill(0x41)],
    ['random 10k (incompressible)', rng.bytes(10_000)],
    ['random multi-block', rng.bytes(600_000)],
    ['long repeat at 1.5 MB distance', longGap],
    ['short periods with noise', periodic],
    ['little-endian counters', ints],
    ['random with copies of itself', mixed],
    ['app log text', generateAppLog(400_000, seed)],
    ['exactly one block', generateAppLog(1 << 18, seed + 1)],
    ['one block + 1 byte', generateAppLog((1 << 18) + 1, seed + 2)],
    ['all byte values', Uint8Array.from({ length: 4096 }, (_, i) => (i * 167) & 0xff)],
  ];
}

describe('lz round-trip properties, wasm byte-identical to the reference', () => {
  for (const [label, input] of nastyInputs(1234)) {
    it(label, () => {
      for (const level of LEVELS) {
        const w = compress(input, level);
        const r = ref.compress(input, level);
        expect(w.length, `${level} frame length`).toBe(r.length);
        expect(Buffer.compare(Buffer.from(w), Buffer.from(r)), `${level} frame bytes`).toBe(0);
        expect(Buffer.from(decompress(w)).equals(Buffer.from(input)), `${level} wasm round trip`).toBe(true);
        expect(Buffer.from(ref.decompress(w)).equals(Buffer.from(input)), `${level} reference round trip`).toBe(true);
        // Never expands by more than the frame header plus a few bytes per block.
        expect(w.length).toBeLessThanOrEqual(input.length + 12 + 11 * Math.ceil(input.length / (1 << 18)));
      }
    });
  }

  it('compresses log text well and orders the levels', () => {
    const input = generateAppLog(1_000_000, 99);
    const sizes = LEVELS.map((l) => compress(input, l).length);
    expect(input.length / sizes[1]).toBeGreaterThan(6);
    expect(sizes[1]).toBeLessThan(sizes[0]);
    expect(sizes[2]).toBeLessThanOrEqual(sizes[1]);
  });

  it('reuses one wasm instance across calls of very different sizes', () => {
    const a = generateAppLog(300_000, 1);
    const b = ascii('tiny');
    const fa = compress(a);
    expect(decompress(compress(b))).toEqual(b);
    expect(decompress(fa)).toEqual(a);
    expect(compress(a)).toEqual(fa);
  });
});

describe('lz API errors', () => {
  const expectCode = (fn: () => unknown, code: string) => {
    let err: unknown;
    try {
      fn();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CodecError);
    expect((err as CodecError).code).toBe(code);
  };

  it('rejects unknown levels', () => {
    expectCode(() => compress(ascii('x'), 'turbo' as LzLevel), 'INVALID_INPUT');
    expectCode(() => ref.compress(ascii('x'), 'turbo' as LzLevel), 'INVALID_INPUT');
  });

  it('types hostile headers', () => {
    const good = compress(ascii('hello hello hello hello'));
    const cases: Array<[string, (f: Uint8Array) => Uint8Array, string]> = [
      ['short', (f) => f.subarray(0, 11), 'TRUNCATED'],
      ['bad magic', (f) => ((f[0] = 0x55), f), 'CORRUPT'],
      ['future version', (f) => ((f[3] = 2), f), 'UNSUPPORTED'],
      ['raw length over the limit', (f) => (new DataView(f.buffer).setUint32(4, LZ_MAX_OUTPUT_BYTES + 1, true), f), 'TOO_LARGE'],
      ['raw length 4 GiB - 1', (f) => (new DataView(f.buffer).setUint32(4, 0xffffffff, true), f), 'TOO_LARGE'],
      ['content crc wrong', (f) => ((f[8] ^= 1), f), 'CHECKSUM_MISMATCH'],
      ['trailing byte', (f) => Uint8Array.from([...f, 0]), 'CORRUPT'],
      ['missing last block', (f) => f.subarray(0, 12), 'TRUNCATED'],
      ['unknown block type', (f) => ((f[12] = 9), f), 'CORRUPT'],
    ];
    for (const [, mutate, code] of cases) {
      expectCode(() => decompress(mutate(good.slice())), code);
      expectCode(() => ref.decompress(mutate(good.slice())), code);
    }
  });
});
