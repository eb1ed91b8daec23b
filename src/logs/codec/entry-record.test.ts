import { describe, expect, it } from 'vitest';
import { Prng } from '../../../bench/gen/prng.js';
import { CodecError } from '../../codec/errors.js';
import { firstEntryMismatch, jsonCanonical, randomEntry } from '../../../test/logs-random-entries.js';
import type { LogEntry } from '../types.js';
import { decodeEntryRecords, encodeEntryRecord, entryRecordByteLength, EntryRecordWriter } from './entry-record.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const FULL: LogEntry = {
  tsNs: 1_700_000_000_000_000_000n, level: 'info', severityNumber: 9, message: 'hi é',
  attributes: { a: 1 }, resource: { 'service.name': 'api' },
  traceId: '0102030405060708090a0b0c0d0e0f10', spanId: 'a1a2a3a4a5a6a7a8',
};
const EMPTY: LogEntry = { tsNs: -1n, level: 'fatal', severityNumber: 24, message: '', attributes: {}, resource: {} };

describe('entry record', () => {
  it('matches the golden bytes of the spec', () => {
    expect(hex(encodeEntryRecord(FULL, 5))).toBe(
      '0500000000000000' + '00002a36fe9c9717' + '09' + '07' +
      '0102030405060708090a0b0c0d0e0f10' + 'a1a2a3a4a5a6a7a8' +
      '05' + '686920c3a9' +
      // attributes (record-attrs.ts): padded length 7 | form 0 (pairs) | padded count 1 | key "a" | uint 1
      '8700' + '00' + '8100' + '0161' + '0401' +
      '16' + '7b22736572766963652e6e616d65223a22617069227d',
    );
    expect(hex(encodeEntryRecord(EMPTY, 2 ** 53 - 1))).toBe('ffffffffffff1f00' + 'ffffffffffffffff' + '18' + '04' + '000000');
  });

  it('still decodes records with JSON attributes (flag 4 clear: written before the binary form)', () => {
    const legacy = Buffer.from(
      '0500000000000000' + '00002a36fe9c9717' + '09' + '03' +
        '0102030405060708090a0b0c0d0e0f10' + 'a1a2a3a4a5a6a7a8' +
        '05' + '686920c3a9' + '07' + '7b2261223a317d' +
        '16' + '7b22736572766963652e6e616d65223a22617069227d',
      'hex',
    );
    const { entries, seqs } = decodeEntryRecords(legacy);
    expect(seqs[0]).toBe(5);
    expect(entries[0]).toEqual(FULL);
    // Broken JSON there is CORRUPT too.
    const bad = Buffer.from(legacy);
    bad[49] = 0x5b;
    expect(() => decodeEntryRecords(bad)).toThrowError(expect.objectContaining({ code: 'CORRUPT' }));
  });

  it('writes multi-byte length varints (long and non-ASCII messages)', () => {
    for (const message of ['x'.repeat(127), 'x'.repeat(128), 'é'.repeat(100), '😀'.repeat(5000), 'a'.repeat(43), 'é'.repeat(43)]) {
      const e = { ...EMPTY, message };
      const { entries } = decodeEntryRecords(encodeEntryRecord(e, 1));
      expect(entries[0].message).toBe(message);
    }
  });

  it('round-trips random entries through one writer, with reset and growth', () => {
    const rng = new Prng(42);
    const w = new EntryRecordWriter(64);
    for (let round = 0; round < 3; round++) {
      w.reset();
      const entries: LogEntry[] = [];
      for (let i = 0; i < 400; i++) {
        const e = randomEntry(rng);
        entries.push(e);
        w.append(e, round * 1000 + i);
      }
      expect(w.count).toBe(400);
      const sizes = entries.reduce((s, e) => s + entryRecordByteLength(e), 0);
      expect(w.byteLength).toBe(sizes);
      const out = decodeEntryRecords(w.bytes());
      expect(Array.from(out.seqs)).toEqual(entries.map((_, i) => round * 1000 + i));
      expect(firstEntryMismatch(out.entries, entries.map(jsonCanonical))).toBeUndefined();
    }
  });

  it('chains a repeated resource object (flag 8) and restarts the chain where asked', () => {
    const rng = new Prng(8);
    const resources = [{ 'service.name': 'a', 'host.name': 'h1' }, { 'service.name': 'b' }];
    const entries: LogEntry[] = [];
    for (let i = 0; i < 300; i++) entries.push({ ...randomEntry(rng), resource: resources[i % 100 < 70 ? 0 : 1] });
    const plain = new EntryRecordWriter();
    const chained = new EntryRecordWriter(64, false, true);
    const breaks = [0];
    entries.forEach((e, i) => {
      plain.append(e, i);
      if (i % 97 === 50) {
        chained.breakChain();
        breaks.push(chained.byteLength);
      }
      chained.append(e, i);
    });
    // Only the first record of each run (and after each break) carries the resource bytes.
    expect(chained.byteLength).toBeLessThan(plain.byteLength - 250 * 10);
    const want = entries.map(jsonCanonical);
    expect(firstEntryMismatch(decodeEntryRecords(chained.bytes()).entries, want)).toBeUndefined();
    // From a break point, each piece decodes on its own.
    const all = chained.bytes();
    breaks.push(all.length);
    const pieces = breaks.slice(1).flatMap((end, k) => decodeEntryRecords(all.subarray(breaks[k], end)).entries);
    expect(firstEntryMismatch(pieces, want)).toBeUndefined();
    // Anywhere else, the first record may chain to a resource the bytes do not hold: CORRUPT,
    // unless the caller says which resource it continues (the hot tail's incremental decode).
    const starts: number[] = [];
    const one = new EntryRecordWriter(64, false, true);
    entries.slice(0, 5).forEach((e, i) => {
      starts.push(one.byteLength);
      one.append({ ...e, resource: resources[0] }, i);
    });
    const tail = one.bytes().subarray(starts[2]);
    expect(() => decodeEntryRecords(tail)).toThrowError(expect.objectContaining({ code: 'CORRUPT' }));
    const cont = decodeEntryRecords(tail, resources[0]);
    expect(cont.entries.map((e) => e.resource)).toEqual([resources[0], resources[0], resources[0]]);
    expect(cont.lastResource).toEqual(resources[0]);
  });

  it('reuses the cached resource bytes only for the same object', () => {
    const w = new EntryRecordWriter();
    const r1 = { 'service.name': 'a' };
    w.append({ ...EMPTY, resource: r1 }, 1);
    w.append({ ...EMPTY, resource: r1 }, 2);
    w.append({ ...EMPTY, resource: { 'service.name': 'b' } }, 3);
    w.append({ ...EMPTY, resource: {} }, 4);
    const { entries } = decodeEntryRecords(w.bytes());
    expect(entries.map((e) => e.resource)).toEqual([r1, r1, { 'service.name': 'b' }, {}]);
    entries[0].resource['x'] = 1; // decoded entries never share objects
    expect(entries[1].resource).toEqual(r1);
  });

  it('keeps cached resource bytes valid across reset and reuse of the buffer', () => {
    const w = new EntryRecordWriter(4096);
    const shared = { 'service.name': 'api', 'host.name': 'h1' };
    w.append({ ...EMPTY, resource: shared }, 1);
    w.reset();
    // Overwrite the region the first record occupied, then reuse the cached resource.
    w.append({ ...EMPTY, message: 'x'.repeat(200), resource: { other: 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz' } }, 2);
    w.append({ ...EMPTY, resource: shared }, 3);
    expect(decodeEntryRecords(w.bytes()).entries[1].resource).toEqual(shared);
  });

  it('rejects malformed entries with INVALID_INPUT and leaves the buffer unchanged', () => {
    const w = new EntryRecordWriter();
    w.append(FULL, 1);
    const before = hex(w.bytes());
    const bad: Array<[Partial<LogEntry> & Record<string, unknown>, number]> = [
      [{ traceId: 'xyz' }, 2], [{ traceId: '0102030405060708090a0b0c0d0e0f1' }, 2], [{ spanId: 'g1a2a3a4a5a6a7a8' }, 2],
      [{ severityNumber: 0 }, 2], [{ severityNumber: 25 }, 2], [{ tsNs: 2n ** 63n }, 2], [{ tsNs: 5 as unknown as bigint }, 2],
      [{ message: 5 as unknown as string }, 2], [{ attributes: [] as unknown as LogEntry['attributes'] }, 2],
      [{ attributes: { big: 1n } as unknown as LogEntry['attributes'] }, 2],
      // toJSON turning the object into something else than an object: not decodable as attributes.
      [{ attributes: { toJSON: () => 'text' } as unknown as LogEntry['attributes'] }, 2],
      [{ attributes: { toJSON: () => undefined } as unknown as LogEntry['attributes'] }, 2],
      [{ resource: null as unknown as LogEntry['resource'] }, 2], [{}, -1], [{}, 2 ** 53], [{}, 1.5],
    ];
    for (const [patch, seq] of bad) {
      let err: unknown;
      try {
        w.append({ ...FULL, ...patch } as LogEntry, seq);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(Object.keys(patch))).toBeInstanceOf(CodecError);
      expect((err as CodecError).code).toBe('INVALID_INPUT');
    }
    expect(hex(w.bytes())).toBe(before);
    expect(w.count).toBe(1);
  });

  it('writes an object whose values are all undefined as the empty object (length 0)', () => {
    const bytes = encodeEntryRecord({ ...EMPTY, attributes: { a: undefined } as unknown as LogEntry['attributes'] }, 3);
    expect(hex(bytes)).toBe(hex(encodeEntryRecord(EMPTY, 3)));
    expect(decodeEntryRecords(bytes).entries[0].attributes).toEqual({});
  });

  it('reports every truncation as TRUNCATED', () => {
    const rng = new Prng(7);
    const w = new EntryRecordWriter();
    const ends: number[] = [];
    for (let i = 0; i < 20; i++) {
      w.append(randomEntry(rng), i);
      ends.push(w.byteLength);
    }
    const all = w.bytes().slice();
    for (let n = 0; n < all.length; n++) {
      const prefix = all.subarray(0, n);
      if (n === 0 || ends.includes(n)) {
        expect(decodeEntryRecords(prefix).entries.length).toBe(n === 0 ? 0 : ends.indexOf(n) + 1);
        continue;
      }
      expect(() => decodeEntryRecords(prefix), `prefix ${n}`).toThrowError(expect.objectContaining({ code: 'TRUNCATED' }));
    }
  });

  it('names impossible values CORRUPT', () => {
    const rec = encodeEntryRecord(FULL, 5);
    const patched = (at: number, v: number) => {
      const b = rec.slice();
      b[at] = v;
      return b;
    };
    // severity 0 and 25, unknown flag 8, seq >= 2^53, attributes form 5, value tag 9, resource JSON '['
    for (const b of [patched(16, 0), patched(16, 25), patched(17, 8 | 7), patched(7, 0x20), patched(50, 5), patched(55, 9), patched(58, 0x5b)]) {
      expect(() => decodeEntryRecords(b)).toThrowError(expect.objectContaining({ code: 'CORRUPT' }));
    }
    // A 6-byte varint.
    const v = new Uint8Array([...rec.subarray(0, 42), 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(() => decodeEntryRecords(v)).toThrowError(expect.objectContaining({ code: 'CORRUPT' }));
  });

  it('fuzz: mutated records decode or throw CodecError, nothing else', () => {
    const rng = new Prng(1234);
    const w = new EntryRecordWriter();
    for (let i = 0; i < 30; i++) w.append(randomEntry(rng), i);
    const base = w.bytes().slice();
    for (let c = 0; c < 2000; c++) {
      const b = base.slice(0, rng.float() < 0.3 ? rng.int(0, base.length) : base.length);
      for (let k = rng.int(1, 4); k > 0 && b.length > 0; k--) b[rng.int(0, b.length - 1)] = rng.u32() & 0xff;
      try {
        decodeEntryRecords(b);
      } catch (err) {
        expect(err).toBeInstanceOf(CodecError);
      }
    }
  });
});
