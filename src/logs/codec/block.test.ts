import { describe, expect, it } from 'vitest';
import { Prng } from '../../../bench/gen/prng.js';
import { CodecError } from '../../codec/errors.js';
import { compress } from '../../codec/lz.js';
import { firstEntryMismatch, jsonCanonical, randomEntry } from '../../../test/logs-random-entries.js';
import type { LogEntry } from '../types.js';
import { decodeLogBlock, encodeLogBlock, encodeLogBlockFromRecords, jsonFormRecordBytes, LOG_BLOCK_FORMAT, LOG_BLOCK_FORMAT_SINGLE_FRAME, logBlockBody, openLogBlock } from './block.js';
import { PART_LZ } from '../../codec/columns/block-parts.js';
import { decodeEntryRecords, encodeEntryRecord, EntryRecordWriter } from './entry-record.js';
import { ByteReader } from '../../codec/columns/bytes.js';
import { generateNodeLogs } from '../../../bench/gen/nodelogs.js';
import { parseLevel } from '../levels.js';

/** Entries sorted as the block returns them: by (tsNs, seq). */
function sortedBy(entries: LogEntry[], seqs: number[]): { entries: LogEntry[]; seqs: number[] } {
  const idx = entries.map((_, i) => i).sort((a, b) => {
    const x = entries[a].tsNs;
    const y = entries[b].tsNs;
    return x < y ? -1 : x > y ? 1 : seqs[a] - seqs[b];
  });
  return { entries: idx.map((i) => entries[i]), seqs: idx.map((i) => seqs[i]) };
}

function roundTrip(entries: LogEntry[], seqs: number[], level: 'fast' | 'default' | 'max' = 'fast') {
  const { payload, meta } = encodeLogBlock(entries, Float64Array.from(seqs), level);
  const out = decodeLogBlock(payload);
  const want = sortedBy(entries, seqs);
  expect(firstEntryMismatch(out.entries, want.entries.map(jsonCanonical))).toBeUndefined();
  expect(Array.from(out.seqs)).toEqual(want.seqs);
  const mo = decodeLogBlock(payload, { messagesOnly: true });
  expect(mo.entries.map((e) => e.message)).toEqual(want.entries.map((e) => e.message));
  expect(mo.entries.map((e) => [e.tsNs, e.severityNumber, e.level, e.traceId, e.spanId])).toEqual(
    want.entries.map((e) => [e.tsNs, e.severityNumber, e.level, e.traceId, e.spanId]),
  );
  return { payload, meta };
}

describe('log block', () => {
  it('matches the golden body bytes of the spec (README.md)', () => {
    const res = { 'service.name': 'api' };
    const entries: LogEntry[] = [
      {
        tsNs: 1_000_000_000n, level: 'info', severityNumber: 9, message: 'GET /a/7 200 1.5ms',
        attributes: { 'http.route': '/a/:id', duration_ms: 1.5, ok: true }, resource: res,
        traceId: '0102030405060708090a0b0c0d0e0f10', spanId: 'a1a2a3a4a5a6a7a8',
      },
      {
        tsNs: 1_002_000_000n, level: 'error', severityNumber: 17, message: 'boom "x"', attributes: { n: -3, list: [1] },
        resource: res, traceId: '0102030405060708090a0b0c0d0e0f10',
      },
    ];
    const { payload } = encodeLogBlock(entries, Float64Array.of(7, 8), 'fast');
    expect(payload[0]).toBe(LOG_BLOCK_FORMAT);
    // Parts: every section is small, so two lz parts: up to the span ids (messages-only), the rest.
    expect(Array.from(payload.subarray(1, 4))).toEqual([2, 1, PART_LZ]);
    const body = logBlockBody(payload).toString('hex');
    expect(logBlockBody(payload, true).toString('hex')).toBe(body.slice(0, body.indexOf('1801167b')));
    expect(body).toBe([
      '02', '00ca9a3b00000000', '00', '80897a', '0101', // n, t0, ts mode, divisor 2e6, deltas [1]
      '00', '020702', // seq mode, seqs [7, +1]
      // message templates (layout 0: dictionary): 'GET /a/<INT> <INT> <DEC>ms' (slots raw, bytes, raw), 'boom "<SUB>"', 'x'
      '24', '00', '03', '0e474554202f612f11201120136d73', '0001', '0201', '0002', '08626f6f6d20221722', '0001', '0178',
      '05', '07c8e10302', // message slots: 7, 200, 1.5 (zigzag(15) * 16 + 1), SUB -> template 2
      // signatures: [9 | 3 << 8, tpl 0, STR attr-tpl 0, MSG_NUM var 2, TRUE, shape 0], [17 | 1 << 8, tpl 1, INT, JSON attr-tpl 1, shape 1]
      '13', '02', '08890600000009020400', '06910201010701' + '01',
      '020001', // signature ids
      '020001', '100102030405060708090a0b0c0d0e0f10', // trace codes (new, newest), trace ids
      '0100', '08a1a2a3a4a5a6a7a8', // span codes, span ids
      '1801167b22736572766963652e6e616d65223a22617069227d', '020000', // resources, indexes
      // attribute keys (JSON string literals) and shapes [0 1 2], [3 4]
      '34', '05', '0c22687474702e726f75746522', '0d226475726174696f6e5f6d7322', '04226f6b22', '03226e22', '06226c69737422',
      '02', '03000102', '020304',
      '0f', '00', '02', '062f612f3a6964', '035b115d', '0001', '0101', // attribute templates '/a/:id', '[<INT>]'; slots: 1
      '000000', '000000', '000000', '01050000', '000000', // per key ints/decs/f64s: n's ints hold zigzag(-3)
    ].join(''));
  });

  it('round-trips random entries (nasty messages, every attribute type, any order)', () => {
    const rng = new Prng(99);
    for (let round = 0; round < 12; round++) {
      const n = rng.pick([1, 2, 3, 17, 200, 1500]);
      const entries: LogEntry[] = [];
      const seqs: number[] = [];
      // Mostly increasing clocks with ties and reordering, sometimes extreme values.
      let t = 1_700_000_000_000_000_000n;
      for (let i = 0; i < n; i++) {
        t += BigInt(rng.pick([0, 1, 1000, 1_000_000, rng.int(0, 5e9)]));
        const ts = rng.float() < 0.1 ? t - BigInt(rng.int(0, 1e9)) : t;
        entries.push(randomEntry(rng, round % 4 === 3 ? undefined : ts));
        seqs.push(rng.float() < 0.05 ? rng.int(0, 2 ** 53 - 1) : round * 10_000 + i);
      }
      roundTrip(entries, seqs, rng.pick(['fast', 'default', 'max'] as const));
    }
  });

  it('keeps every variable kind exact in messages and string attributes', () => {
    const messages = [
      '', '0', '-0', '007', '-007', '1.50', '-0.0', '-0.5', '0.000', '1e5', '1E-5', '1.2.3', '10.0.3.17:5432',
      '9007199254740993', '123456789012345', '1234567890123456', '00000000000000000001', '12345678901234.5',
      '1234567890123.45', 'x-5', '--5', 'a -5 b', 'v20.12.2', 'Win64; x64', 'deadbeef', 'DEADBEEF', 'cafe12',
      'abcdef', 'de6d4', '550e8400-e29b-41d4-a716-446655440000', '550e8400-e29b-41d4-a716-44665544000',
      '550e8400-e29b-41d4-a716-4466554400001', 'x550e8400-e29b-41d4-a716-446655440000', '3.092ms', '1.0KB',
      '\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017 7 \u0011', 'é5', '日本 42', '😀1.5😀', '\u0000-1\u0000',
      'GET /api/items/123 200 12.3ms', 'trace_id=e3b0c44298fc1c149afbf4c8996fb924 ok',
      '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-4fff-bfff-ffffffffffff', 'ffffffff-ffff-1fff-cfff-ffffffffffff',
      'a 00000000-0000-4000-8000-000000000000 b 00000000-0000-4000-8000-000000000000 c ffffffff-ffff-1fff-cfff-ffffffffffff',
    ];
    const entries = messages.map((message, i): LogEntry => ({
      tsNs: 1_000_000n * BigInt(i), level: 'info', severityNumber: 9, message,
      attributes: { s: message, n: i, nested: { m: message } }, resource: {},
    }));
    roundTrip(entries, entries.map((_, i) => i));
  });

  it('stores messages verbatim when their templates barely repeat (plain-text lines full of distinct words)', () => {
    const rng = new Prng(31);
    const words = ['libc', 'zlib', 'openssl', 'curl', 'systemd', 'tzdata', 'perl', 'gcc', 'bash', 'coreutils'];
    const entries: LogEntry[] = [];
    for (let i = 0; i < 600; i++) {
      const pkg = `${rng.pick(words)}-${String.fromCharCode(97 + rng.int(0, 25))}${String.fromCharCode(97 + rng.int(0, 25))}${rng.pick(['', 'dev', 'bin'])}`;
      const message = `2025-06-24 14:${String(rng.int(0, 59)).padStart(2, '0')}:${String(rng.int(0, 59)).padStart(2, '0')} status ` +
        `${rng.pick(['installed', 'unpacked', 'half-configured'])} ${pkg}:amd64 ${rng.int(1, 9)}.${rng.int(0, 40)}-${rng.int(1, 9)}~deb12u${rng.int(1, 9)}` +
        (rng.float() < 0.2 ? ` "${pkg} ${rng.int(0, 99)}" é ${rng.pick(['x', '\u0011', '"', '\n  at x', 'C:\\tmp\\n', '\\\\n', '\\'])}` : '');
      entries.push({ tsNs: BigInt(i) * 10_000_000n, level: 'info', severityNumber: 9, message, attributes: rng.float() < 0.3 ? { pkg, n: rng.int(0, 9) } : {}, resource: {} });
    }
    const { payload } = roundTrip(entries, entries.map((_, i) => i));
    // The message templates section starts with its layout: 1 = raw.
    const raw = logBlockBody(payload);
    const body = new ByteReader(raw, 0, raw.length);
    body.varint('n');
    body.i64('t0');
    if (body.u8('ts mode') === 0) body.varint('div');
    body.section('ts');
    body.u8('seq mode');
    body.section('seqs');
    // Layout 2: the lines' fixed-format fields (date, time, action, package, version) in columns.
    const templates = body.section('message templates');
    expect(templates.u8('layout')).toBe(2);
    expect(templates.u8('fields')).toBeGreaterThan(1);
    // Corrupted field columns (behind a valid frame) throw CodecError only.
    let decoded = 0;
    for (let c = 0; c < 300; c++) {
      const b = Buffer.from(raw);
      for (let k = rng.int(1, 3); k > 0; k--) b[rng.int(body.pos, b.length - 1)] = rng.u32() & 0xff;
      const lz = compress(b, 'fast');
      const p = new Uint8Array(lz.length + 1);
      p[0] = LOG_BLOCK_FORMAT_SINGLE_FRAME;
      p.set(lz, 1);
      try {
        decodeLogBlock(p, { messagesOnly: rng.float() < 0.5 });
        decoded++;
      } catch (err) {
        if (!(err instanceof CodecError)) throw err;
      }
    }
    expect(decoded).toBeLessThan(300);
  });

  it('keeps free text lines whole and round-trips raw lines of every field count', () => {
    const rng = new Prng(32);
    const words = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy', 'dog', 'and', 'then', 'some', 'more'];
    for (const fieldsWanted of [1, 2, 3, 8, 12]) {
      const entries: LogEntry[] = [];
      for (let i = 0; i < 200; i++) {
        const parts = Array.from({ length: rng.int(0, fieldsWanted) }, () => rng.pick(words) + rng.int(0, 9999).toString(36) + rng.pick(['', ' ', '\n', '\\', '\n ']));
        entries.push({ tsNs: BigInt(i), level: 'info', severityNumber: 9, message: parts.join(' '), attributes: {}, resource: {} });
      }
      roundTrip(entries, entries.map((_, i) => i));
    }
  });

  it('keeps timestamps around zero, the int64 edges and 32-bit carries exact', () => {
    const groups: bigint[][] = [
      [-5n, -1n, 0n, 3n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 7n],
      [-(2n ** 32n) - 1n, -(2n ** 32n), -1n],
      [2n ** 63n - 1000n, 2n ** 63n - 1n],
      [-(2n ** 63n), -(2n ** 63n) + 1n],
      [-(2n ** 63n), 2n ** 63n - 1n],
      [1_700_000_000_123_456_789n, 1_700_000_000_123_456_789n, 1_700_000_004_294_967_296n],
      // Byte planes (deltas of 3..7 bytes, with 0x00 and 0xff bytes), up to the 2^53 ns span.
      [0n, 0xffffffn, 0x1000000n, 0x1ffffffn],
      [5n, 5n + 0xff00ff00n, 5n + 0xff00ff00n + 0x10000n],
      [-(2n ** 40n), -(2n ** 40n) + 0xffff_ffff_ffn, 0n, 0x00ff_0000_0000n],
      [0n, 2n ** 53n - 1n],
      [1_700_000_000_000_000_000n, 1_700_000_000_000_000_000n + 2n ** 52n + 12345n, 1_700_000_000_000_000_000n + 2n ** 53n - 1n],
    ];
    for (const ts of groups) {
      const entries = ts.map((t): LogEntry => ({ tsNs: t, level: 'info', severityNumber: 9, message: 'm', attributes: {}, resource: {} }));
      roundTrip(entries, entries.map((_, i) => i));
    }
  });

  it('keeps numbers and awkward values as JSON does', () => {
    const values = [0, -0, 1, -1, 0.1, 1.5, -2.5e-8, 1e21, 2 ** 52, 2 ** 53, -(2 ** 53), 2 ** 60, 1 / 3, Math.PI,
      Number.MAX_VALUE, Number.MIN_VALUE, 123456.789, 0.30000000000000004, 99999999999999.9, NaN, Infinity, -Infinity];
    const entries = values.map((v, i): LogEntry => ({
      tsNs: BigInt(i), level: 'warn', severityNumber: 13, message: 'm',
      attributes: { v, arr: [v], when: new Date(1_700_000_000_000 + i) as unknown as string, skip: undefined as unknown as string },
      resource: { 'service.name': 'x', v: i },
    }));
    const { payload } = roundTrip(entries, entries.map((_, i) => i));
    const out = decodeLogBlock(payload).entries;
    expect(Object.is(out[1].attributes.v, 0)).toBe(true); // -0 -> 0
    expect(out[19].attributes.v).toBe(null); // NaN -> null
    expect('skip' in out[0].attributes).toBe(false);
    expect(typeof out[0].attributes.when).toBe('string');
  });

  it('keeps key order, integer-like keys, __proto__ and lone surrogates in keys and values', () => {
    const a: Record<string, unknown> = {};
    for (const k of ['z', '10', 'a', '2', '__proto__', '', 'constructor', '\ud800x']) {
      Object.defineProperty(a, k, { value: k === '\ud800x' ? 'v\udfff' : k, enumerable: true, writable: true, configurable: true });
    }
    const e: LogEntry = { tsNs: 5n, level: 'debug', severityNumber: 5, message: 'm', attributes: a as LogEntry['attributes'], resource: {} };
    const { payload } = roundTrip([e], [1]);
    const got = decodeLogBlock(payload).entries[0].attributes;
    expect(Object.keys(got)).toEqual(Object.keys(JSON.parse(JSON.stringify(a))));
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
    expect(got['\ud800x']).toBe('v\udfff');
  });

  it('round-trips web app logs (message references, quoted values, caches, id references)', () => {
    const entries: LogEntry[] = [];
    for (const batch of generateNodeLogs({ entries: 6000, seed: 11, fromMs: 1_714_000_000_000 })) {
      for (const e of batch) {
        const { level, severityNumber } = parseLevel(e.level ?? 'info');
        const x: LogEntry = { tsNs: BigInt(e.tsNs!), level, severityNumber, message: e.message, attributes: e.attributes ?? {}, resource: e.resource ?? {} };
        if (e.traceId) x.traceId = e.traceId;
        if (e.spanId) x.spanId = e.spanId;
        entries.push(x);
      }
    }
    // Attribute strings with quoted parts, repeated and varied (cached forms with nested instances).
    const rng = new Prng(12);
    for (let i = 0; i < entries.length; i += 3) {
      entries[i].attributes = { ...entries[i].attributes, q: rng.pick(['say "hi 5" and "x"', 'say "hi 6" and "y 7"', `n "${rng.int(0, 9)}"`, '"" "a\\"b" "7"']) };
    }
    roundTrip(entries, entries.map((_, i) => i));
  });

  it('agrees with the entry record round trip', () => {
    const rng = new Prng(5);
    const entries = Array.from({ length: 300 }, (_, i) => randomEntry(rng, 1_000_000_000n + BigInt(i)));
    const w = new EntryRecordWriter();
    entries.forEach((e, i) => w.append(e, i));
    const viaRecords = decodeEntryRecords(w.bytes());
    const { payload, meta } = encodeLogBlock(viaRecords.entries, viaRecords.seqs, 'fast', { rawBytes: w.byteLength });
    expect(meta.rawBytes).toBe(w.byteLength);
    // Without records to measure, rawBytes is the entries' JSON record form.
    expect(encodeLogBlock(entries, viaRecords.seqs, 'fast').meta.rawBytes).toBe(jsonFormRecordBytes(entries));
    expect(firstEntryMismatch(decodeLogBlock(payload).entries, viaRecords.entries)).toBeUndefined();
  });

  it('encodes records directly into the same block as their decoded entries', () => {
    const rng = new Prng(21);
    for (let round = 0; round < 4; round++) {
      const entries = Array.from({ length: rng.int(1, 700) }, () => randomEntry(rng));
      const w = new EntryRecordWriter();
      entries.forEach((e, i) => w.append(e, 100 + i));
      const records = w.bytes().slice();
      const decoded = decodeEntryRecords(records);
      const opts = { indexedAttributes: ['http.route', 'ok', 'service.name'] };
      const viaEntries = encodeLogBlock(decoded.entries, decoded.seqs, 'fast', { ...opts, rawBytes: records.length });
      const viaRecords = encodeLogBlockFromRecords(records, 'fast', opts);
      expect(Buffer.from(viaRecords.payload).equals(Buffer.from(viaEntries.payload))).toBe(true);
      expect(viaRecords.meta).toEqual(viaEntries.meta);
      expect([viaRecords.minSeq, viaRecords.maxSeq]).toEqual([100, 100 + entries.length - 1]);
    }
    expect(() => encodeLogBlockFromRecords(new Uint8Array(0), 'fast')).toThrowError(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('fuzz: malformed records given to the record encoder throw CodecError only', () => {
    const rng = new Prng(22);
    const w = new EntryRecordWriter();
    for (let i = 0; i < 40; i++) w.append(randomEntry(rng), i);
    const base = w.bytes().slice();
    for (let c = 0; c < 500; c++) {
      const b = base.slice(0, rng.float() < 0.3 ? rng.int(1, base.length) : base.length);
      for (let k = rng.int(1, 3); k > 0; k--) b[rng.int(0, b.length - 1)] = rng.u32() & 0xff;
      try {
        encodeLogBlockFromRecords(b, 'fast');
      } catch (err) {
        if (!(err instanceof CodecError)) throw err;
      }
    }
  });

  it('computes the meta: time range, levels, terms, keys', () => {
    const mk = (ts: bigint, sev: number, attributes: LogEntry['attributes'], resource: LogEntry['resource']): LogEntry =>
      ({ tsNs: ts, severityNumber: sev, level: 'info', message: 'x', attributes, resource });
    const long = 'r'.repeat(201);
    const entries = [
      mk(30n, 9, { 'http.route': '/a', n: 1 }, { 'service.name': 'api', 'host.name': 'h1' }),
      mk(10n, 17, { 'http.route': long, nested: { a: 1 } }, { 'service.name': 'api', 'host.name': 'h2', region: 'eu' }),
      mk(20n, 1, { ok: true }, { 'service.name': 'api', 'host.name': 'h1', 'http.route': '/from-resource' }),
      mk(40n, 24, { 'http.route': null, ok: false }, {}),
    ];
    const { meta } = encodeLogBlock(entries, Float64Array.of(1, 2, 3, 4), 'fast', { indexedAttributes: ['http.route', 'ok', 'n', 'nested', 'region'] });
    expect(meta.count).toBe(4);
    expect(meta.tMinNs).toBe(10n);
    expect(meta.tMaxNs).toBe(40n);
    expect(meta.levelMask).toBe(0b100101 | 0b10000);
    expect(meta.terms).toEqual([
      'attr:http.route=/a', 'attr:http.route=/from-resource', 'attr:n=1', 'attr:ok=false', 'attr:ok=true', 'attr:region=eu',
      'host=h1', 'host=h2', 'service=api',
    ]);
    expect(meta.keys).toEqual(['host.name', 'http.route', 'n', 'nested', 'ok', 'region', 'service.name']);
    expect(meta.filter.length).toBeGreaterThan(0);
  });

  it('rejects malformed input with INVALID_INPUT', () => {
    const ok: LogEntry = { tsNs: 1n, level: 'info', severityNumber: 9, message: 'm', attributes: {}, resource: {} };
    const bad: Array<[LogEntry[], number[]]> = [
      [[], []], [[ok], []], [[{ ...ok, severityNumber: 0 }], [1]], [[{ ...ok, traceId: 'ABC' }], [1]],
      [[{ ...ok, traceId: '0102030405060708090A0B0C0D0E0F10' }], [1]], [[{ ...ok, spanId: '123' }], [1]],
      [[{ ...ok, tsNs: 2n ** 63n }], [1]], [[ok], [-1]], [[ok], [0.5]], [[{ ...ok, message: 1 as unknown as string }], [1]],
      [[{ ...ok, attributes: { b: 1n } as unknown as LogEntry['attributes'] }], [1]],
      [[{ ...ok, attributes: { o: { b: 1n } } as unknown as LogEntry['attributes'] }], [1]],
      [[{ ...ok, resource: [] as unknown as LogEntry['resource'] }], [1]],
    ];
    for (const [entries, seqs] of bad) {
      let err: unknown;
      try {
        encodeLogBlock(entries, Float64Array.from(seqs), 'fast');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CodecError);
      expect((err as CodecError).code).toBe('INVALID_INPUT');
    }
  });

  it('completes only the selected rows of an opened block, the same as a full decode', () => {
    const rng = new Prng(78);
    const entries: LogEntry[] = [];
    for (const batch of generateNodeLogs({ entries: 3000, seed: 5, fromMs: Date.UTC(2026, 0, 5) })) {
      for (const e of batch) {
        const { level, severityNumber } = parseLevel(e.level ?? 'info');
        const x: LogEntry = { tsNs: BigInt(e.tsNs!), level, severityNumber, message: e.message, attributes: e.attributes ?? {}, resource: e.resource ?? {} };
        if (e.traceId) x.traceId = e.traceId;
        if (e.spanId) x.spanId = e.spanId;
        entries.push(x);
      }
    }
    // Random entries too: quoted values (SUB), nested JSON, every id kind.
    for (let i = 0; i < 400; i++) entries.push(randomEntry(rng, 1_000_000n * BigInt(i)));
    const { payload } = encodeLogBlock(entries, Float64Array.from(entries, (_, i) => i), 'fast');
    const full = decodeLogBlock(payload);
    const want = full.entries.map(jsonCanonical);
    for (const every of [1, 2, 7, 1000]) {
      const view = openLogBlock(payload);
      view.complete((i) => i % every === 3 % every);
      expect(Array.from(view.seqs)).toEqual(Array.from(full.seqs));
      for (let i = 0; i < view.entries.length; i++) {
        const e = view.entries[i];
        if (i % every === 3 % every) expect(jsonCanonical(e)).toEqual(want[i]);
        else {
          expect([e.message, e.tsNs, e.traceId, e.spanId]).toEqual([full.entries[i].message, full.entries[i].tsNs, full.entries[i].traceId, full.entries[i].spanId]);
          expect([e.attributes, e.resource]).toEqual([{}, {}]);
        }
      }
      expect(() => view.complete()).toThrow(CodecError);
    }
  });

  it('measures rawBytes as the entries\' records, without re-serializing them', () => {
    const rng = new Prng(79);
    const entries: LogEntry[] = Array.from({ length: 500 }, (_, i) => randomEntry(rng, 1_000_000n * BigInt(i)));
    for (const batch of generateNodeLogs({ entries: 500, seed: 3, fromMs: Date.UTC(2026, 0, 5) })) {
      for (const e of batch) {
        const { level, severityNumber } = parseLevel(e.level ?? 'info');
        entries.push({ tsNs: BigInt(e.tsNs!), level, severityNumber, message: e.message, attributes: e.attributes ?? {}, resource: e.resource ?? {}, ...(e.traceId ? { traceId: e.traceId, spanId: e.spanId } : {}) });
      }
    }
    // Values JSON treats specially: escapes, non-ASCII, pairs, lone surrogates, U+2028, non-finite numbers, toJSON.
    entries.push({ tsNs: 1n, level: 'info', severityNumber: 9, message: 'é\u2028', resource: {}, attributes: {
      q: 'a"b\\c\n\t\u0001\u001f', e: 'é€😀\u2028', lone: '\ud800x', n: -0, big: 1e21, tiny: 5e-7, inf: Infinity, nan: NaN,
      d: new Date(0) as unknown as string, u: undefined as unknown as string, nested: { a: [1, 'x', null, { b: true }] }, '': 'empty key', 'k"ey': 1,
    } });
    entries.push({ tsNs: 2n, level: 'info', severityNumber: 9, message: '', resource: { 'service.name': 'ü' }, attributes: {} });
    const { meta } = encodeLogBlock(entries, Float64Array.from(entries, (_, i) => i), 'fast');
    expect(meta.rawBytes).toBe(jsonFormRecordBytes(entries));
    // The measure is exact: the JSON text lengths, counted independently here.
    const byHand = entries.reduce((sum, e) => {
      const len = (s: string) => (s === '{}' ? 0 : Buffer.byteLength(s));
      const parts = [Buffer.byteLength(e.message), len(JSON.stringify(e.attributes)), len(JSON.stringify(e.resource))];
      return sum + 18 + (e.traceId ? 16 : 0) + (e.spanId ? 8 : 0) + parts.reduce((a, n) => a + n + (n < 128 ? 1 : n < 16384 ? 2 : 3), 0);
    }, 0);
    expect(meta.rawBytes).toBe(byHand);
    // Attributes with their own toJSON: measured by serializing them (still exact).
    const odd = [{ ...entries[0], attributes: { a: 1, toJSON: () => ({ b: 2 }) } as unknown as LogEntry['attributes'] }];
    expect(encodeLogBlock(odd, Float64Array.of(0), 'fast').meta.rawBytes).toBe(jsonFormRecordBytes(odd));
  });

  it('still reads format 1 payloads (the body in one lz frame)', () => {
    const rng = new Prng(77);
    const entries = Array.from({ length: 300 }, (_, i) => randomEntry(rng, 1_000_000n * BigInt(i)));
    const seqs = Float64Array.from(entries, (_, i) => i);
    const { payload } = encodeLogBlock(entries, seqs, 'fast');
    const lz = compress(logBlockBody(payload), 'fast');
    const v1 = new Uint8Array(lz.length + 1);
    v1[0] = LOG_BLOCK_FORMAT_SINGLE_FRAME;
    v1.set(lz, 1);
    const a = decodeLogBlock(payload);
    const b = decodeLogBlock(v1);
    expect(firstEntryMismatch(b.entries, a.entries.map(jsonCanonical))).toBeUndefined();
    expect(Array.from(b.seqs)).toEqual(Array.from(a.seqs));
    expect(decodeLogBlock(v1, { messagesOnly: true }).entries.map((e) => e.message)).toEqual(a.entries.map((e) => e.message));
  });

  it('fuzz: corrupted bodies and payloads throw CodecError, never anything else', () => {
    const rng = new Prng(2024);
    const entries = Array.from({ length: 120 }, (_, i) => randomEntry(rng, 1_000_000n * BigInt(i)));
    const { payload } = encodeLogBlock(entries, Float64Array.from(entries, (_, i) => i), 'fast');
    const body = logBlockBody(payload);
    let decoded = 0;
    for (let c = 0; c < 2000; c++) {
      let p: Uint8Array;
      if (c % 4 === 0) {
        // Mutated payload bytes (the lz frame's crc catches most of these).
        p = payload.slice(0, rng.float() < 0.3 ? rng.int(0, payload.length) : payload.length);
        for (let k = rng.int(1, 3); k > 0 && p.length > 0; k--) p[rng.int(0, p.length - 1)] = rng.u32() & 0xff;
      } else {
        // A mutated or truncated body behind a valid lz frame: reaches the column decoders.
        const b = body.slice(0, rng.float() < 0.3 ? rng.int(0, body.length) : body.length);
        for (let k = rng.int(1, 4); k > 0 && b.length > 0; k--) {
          const at = rng.int(0, b.length - 1);
          b[at] = rng.float() < 0.5 ? rng.u32() & 0xff : b[at] ^ (1 << rng.int(0, 7));
        }
        const lz = compress(b, 'fast');
        p = new Uint8Array(lz.length + 1);
        p[0] = LOG_BLOCK_FORMAT_SINGLE_FRAME; // format 1: one frame, still read
        p.set(lz, 1);
      }
      try {
        const r = rng.float();
        if (r < 0.2) decodeLogBlock(p, { messagesOnly: true });
        else if (r < 0.4) openLogBlock(p).complete((i) => i % 3 === 0); // the skip path
        else decodeLogBlock(p);
        decoded++;
      } catch (err) {
        if (!(err instanceof CodecError)) throw err;
      }
    }
    expect(decoded).toBeLessThan(2000);
  });
});
