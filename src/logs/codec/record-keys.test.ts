// attributeKeysOfRecords: the keys a byte scan finds are exactly the top-level keys JSON.parse sees
// (keys and values with quotes, backslashes, braces, commas, non-ASCII and nesting), and damaged
// buffers give a typed CodecError or a key list, never another error or a hang.
import { describe, expect, it } from 'vitest';
import { Prng } from '../../../bench/gen/prng.js';
import { CodecError } from '../../codec/errors.js';
import type { AttrValue, Attributes, LogEntry } from '../types.js';
import { decodeEntryRecords, EntryRecordWriter } from './entry-record.js';
import { attributeKeysOfRecords } from './record-keys.js';

const NASTY = ['a', 'http.route', 'x"y', 'back\\slash', '{', '}', ',', ':', '[', 'ünï', '日本', '\u0001ctl', '"', '', 'k,"z":1'];

function value(rng: Prng, depth: number): AttrValue {
  const r = rng.int(0, 7);
  if (depth < 3 && r === 0) return object(rng, depth + 1);
  if (depth < 3 && r === 1) return [value(rng, depth + 1), object(rng, depth + 1), NASTY[rng.int(0, NASTY.length - 1)]];
  if (r === 2) return rng.int(-1000, 1000) / 7;
  if (r === 3) return rng.float() < 0.5;
  if (r === 4) return null;
  return NASTY[rng.int(0, NASTY.length - 1)] + rng.int(0, 9);
}

function object(rng: Prng, depth: number): Attributes {
  const o: Attributes = {};
  const n = rng.int(0, 5);
  for (let i = 0; i < n; i++) o[NASTY[rng.int(0, NASTY.length - 1)] + (rng.float() < 0.5 ? '' : String(rng.int(0, 3)))] = value(rng, depth);
  return o;
}

function records(seed: number, n: number): Uint8Array {
  const rng = new Prng(seed);
  const w = new EntryRecordWriter(1024);
  for (let i = 0; i < n; i++) {
    const entry: LogEntry = {
      tsNs: BigInt(i) * 1000n,
      level: 'info',
      severityNumber: 9,
      message: `m {"a":${i}} ${NASTY[rng.int(0, NASTY.length - 1)]}`,
      attributes: object(rng, 0),
      resource: rng.float() < 0.5 ? {} : { 'service.name': 's"{x', 'host.name': 'h' },
    };
    if (rng.float() < 0.3) entry.traceId = rng.hex(32);
    if (rng.float() < 0.3) entry.spanId = rng.hex(16);
    w.append(entry, i + 1);
  }
  return w.bytes().slice();
}

describe('attributeKeysOfRecords', () => {
  it('finds exactly the top-level attribute keys (seeded, nasty keys and values)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const bytes = records(seed, 60);
      const want = new Set<string>();
      for (const e of decodeEntryRecords(bytes).entries) for (const k of Object.keys(e.attributes)) want.add(k);
      expect(attributeKeysOfRecords(bytes), `seed ${seed}`).toEqual([...want].sort());
    }
  });

  it('returns no keys for records without attributes, and for no records', () => {
    const w = new EntryRecordWriter(256);
    w.append({ tsNs: 1n, level: 'info', severityNumber: 9, message: 'x', attributes: {}, resource: { a: 1 } }, 1);
    expect(attributeKeysOfRecords(w.bytes())).toEqual([]);
    expect(attributeKeysOfRecords(new Uint8Array(0))).toEqual([]);
  });

  it('throws only CodecError on truncated or mutated buffers', () => {
    const rng = new Prng(99);
    const bytes = records(7, 30);
    for (let k = 0; k < 400; k++) {
      let b: Uint8Array;
      if (k % 2 === 0) b = bytes.subarray(0, rng.int(0, bytes.length - 1));
      else {
        b = bytes.slice();
        for (let m = 0; m < 3; m++) b[rng.int(0, b.length - 1)] ^= 1 << rng.int(0, 7);
      }
      try {
        const keys = attributeKeysOfRecords(b);
        expect(Array.isArray(keys)).toBe(true);
      } catch (err) {
        expect(err).toBeInstanceOf(CodecError);
      }
    }
  });
});
