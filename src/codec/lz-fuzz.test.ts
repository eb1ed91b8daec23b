// Decoder fuzz: truncated and mutated frames must come back as the original bytes or a CodecError,
// from both decoders, with the same outcome (the wasm and the reference validate the same things).
import { describe, expect, it } from 'vitest';
import { Prng } from '../../bench/gen/prng.js';
import { generateAppLog } from '../../bench/gen/applog.js';
import { CodecError } from './errors.js';
import { compress, decompress } from './lz.js';
import * as ref from './reference/lz.js';

type Outcome = { ok: true } | { ok: false; code: string };

function outcome(fn: (f: Uint8Array) => Uint8Array, frame: Uint8Array, original: Uint8Array): Outcome {
  let out: Uint8Array;
  try {
    out = fn(frame);
  } catch (e) {
    // Anything but a CodecError (RangeError, wasm trap, TypeError) is a decoder bug.
    if (!(e instanceof CodecError)) throw e;
    return { ok: false, code: e.code };
  }
  // Content is checksummed: whatever decodes must be the original, never silently different bytes.
  expect(Buffer.from(out).equals(Buffer.from(original))).toBe(true);
  return { ok: true };
}

function check(frame: Uint8Array, original: Uint8Array): Outcome {
  const w = outcome(decompress, frame, original);
  const r = outcome(ref.decompress, frame, original);
  expect(w).toEqual(r);
  return w;
}

function seeds(): Array<[string, Uint8Array]> {
  const rng = new Prng(77);
  const text = generateAppLog(30_000, 3);
  const twoBlocks = generateAppLog((1 << 18) + 5000, 4);
  return [
    ['log text @ default', compress(text, 'default')],
    ['log text @ fast', compress(text, 'fast')],
    ['two blocks @ max', compress(twoBlocks, 'max')],
    ['random (raw block)', compress(rng.bytes(3000))],
    ['zeros', compress(new Uint8Array(5000))],
  ].map(([label, frame]) => [label as string, frame as Uint8Array]);
}

describe('lz decoder fuzz', () => {
  for (const [label, frame] of seeds()) {
    it(`${label}: truncations, byte and bit mutations`, () => {
      const original = decompress(frame);
      const rng = new Prng(frame.length);
      const failures = new Map<string, number>();
      const tally = (o: Outcome) => {
        const k = o.ok ? 'ok' : o.code;
        failures.set(k, (failures.get(k) ?? 0) + 1);
      };
      // Every prefix near the start and the end, and random ones in between.
      const cuts = new Set<number>();
      for (let i = 0; i < Math.min(64, frame.length); i++) cuts.add(i);
      for (let i = Math.max(0, frame.length - 64); i < frame.length; i++) cuts.add(i);
      for (let i = 0; i < 150; i++) cuts.add(rng.int(0, frame.length - 1));
      for (const cut of cuts) {
        const o = check(frame.subarray(0, cut), original);
        expect(o.ok).toBe(false);
        tally(o);
      }
      for (let i = 0; i < 400; i++) {
        const m = frame.slice();
        const at = rng.int(0, m.length - 1);
        if (i % 2) m[at] ^= 1 << rng.int(0, 7);
        else m[at] = rng.u32() & 0xff;
        // Mutations that would declare a raw length near the hard limit only cost memory; keep the
        // fuzz fast by leaving the high length byte alone (TOO_LARGE has its own test).
        if (at === 7) continue;
        tally(check(m, original));
      }
      // Random garbage after a valid header and a few bytes of the real body.
      for (let i = 0; i < 100; i++) {
        const keep = rng.int(12, Math.min(frame.length, 40));
        const m = new Uint8Array(keep + rng.int(0, 200));
        m.set(frame.subarray(0, keep));
        m.set(rng.bytes(m.length - keep), keep);
        tally(check(m, original));
      }
      // The fuzz must actually reach the decoder's checks, not only the header ones.
      expect(failures.get('CORRUPT') ?? 0).toBeGreaterThan(0);
      expect(failures.get('TRUNCATED') ?? 0).toBeGreaterThan(0);
    });
  }
});
