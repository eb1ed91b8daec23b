// Seeded log entries for the logs codec's property tests: nasty messages (numbers that must stay
// text, unicode, control chars, empty), attributes of every JSON type (nested, awkward keys, key
// order), missing ids, extreme timestamps. Only well-formed UTF-16 (lone surrogates have no UTF-8 form).
import { inspect, isDeepStrictEqual } from 'node:util';
import type { Prng } from '../bench/gen/prng.js';
import { LOG_LEVELS } from '../src/logs/types.js';
import type { AttrValue, Attributes, LogEntry, Resource } from '../src/logs/types.js';

const NASTY_TOKENS = [
  '', '0', '00', '007', '-0', '+1', '-', '--1', '1-2', '1e5', '1E-5', '-1.5e+10', '.5', '5.', '-.5', '1.50', '0.0',
  '1.2.3', '10.0.3.17', '10.0.3.17:5432', '::1', 'fe80::1', '0x1f', '0XFF', 'deadbeef', 'DEADBEEF', 'cafe',
  '9007199254740991', '9007199254740993', '-9007199254740993', '123456789012345678901234567890',
  '18446744073709551615', '18446744073709551616', '99999999999999999999.5', '0.000000000000000000001',
  'NaN', 'Infinity', '-Infinity', 'null', 'true', '12ms', '1.5s', '300µs', '2h', '1.0KB', '42%', '$1.99',
  '/api/items/123', '/api/v1/users/0042/orders', 'C:\\tmp\\x1', 'user:17', 'id=5', 'a=b=c', '#3', 'v1.2.3-rc.1',
  'e3b0c44298fc1c149afbf4c8996fb924', '550e8400-e29b-41d4-a716-446655440000', '550E8400-E29B-41D4-A716-446655440000',
  '2024-05-01T12:00:00.123Z', '12:34:56', 'é', '日本語', '😀', '👍🏽', 'a\u0301', '\u0000', '\u0001', '\u0011',
  '\u001f', '\u007f', '\u0080', '\ufffd', '\ue000', '\uffff', '"', "'", '\\', '%d', '%s', '{}', '[]', '{0}',
  '\t', '\r\n', '\n    at f (/x.js:1:2)', ' ', '   ',
];
const SEPARATORS = [' ', ' ', ' ', '', ',', ', ', '=', ':', '/', '(', ')', '[', ']', '\n', '\t', '.', '-', '_', '|', '"', '  '];

function randomHex(rng: Prng, chars: number): string {
  let s = '';
  for (let i = 0; i < chars; i++) s += '0123456789abcdef'[rng.u32() & 15];
  return s;
}

function randomUnicode(rng: Prng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = rng.u32() % 6;
    if (r === 0) s += String.fromCharCode(rng.int(0, 0x7f));
    else if (r === 1) s += String.fromCharCode(rng.int(0x80, 0x7ff));
    else if (r === 2) s += String.fromCharCode(rng.int(0x800, 0xd7ff));
    else if (r === 3) s += String.fromCharCode(rng.int(0xe000, 0xffff));
    else if (r === 4) s += String.fromCodePoint(rng.int(0x10000, 0x10ffff));
    else s += String.fromCharCode(rng.int(0x20, 0x7e));
  }
  return s;
}

/** A message built from nasty tokens, separators, random numbers and random unicode. */
export function nastyMessage(rng: Prng): string {
  const parts = rng.int(0, 12);
  let s = '';
  for (let i = 0; i < parts; i++) {
    const r = rng.u32() % 10;
    if (r < 5) s += rng.pick(NASTY_TOKENS);
    else if (r === 5) s += String(rng.int(-1e6, 1e12));
    else if (r === 6) s += (rng.normal() * 10 ** rng.int(-3, 8)).toFixed(rng.int(0, 6));
    else if (r === 7) s += randomHex(rng, rng.pick([8, 16, 32, 40]));
    else if (r === 8) s += randomUnicode(rng, rng.int(1, 6));
    else s += 'word' + rng.int(0, 20);
    s += rng.pick(SEPARATORS);
  }
  return s;
}

const KEYS = ['http.method', 'http.route', 'http.status_code', 'duration_ms', 'user_id', 'ok', 'err', 'tags', 'nested',
  '', '0', '1', '10', '__proto__', 'constructor', 'é', 'a.b.c', 'x y'];

function randomValue(rng: Prng, depth: number): AttrValue {
  const r = rng.u32() % (depth > 2 ? 7 : 9);
  switch (r) {
    case 0: return nastyMessage(rng);
    case 1: return rng.pick(['GET', 'POST', '/api/items/:id', '200', '', 'true', '007']);
    case 2: return rng.int(-1000, 100000);
    case 3: return rng.pick([0, -1, 2 ** 53, -(2 ** 53), 2 ** 60, 1e21, 1.5, 0.1, -2.5e-8, Number.MAX_VALUE, Number.MIN_VALUE]);
    case 4: return rng.normal() * 1000;
    case 5: return rng.float() < 0.5;
    case 6: return null;
    case 7: {
      const a: AttrValue[] = [];
      for (let i = rng.int(0, 4); i > 0; i--) a.push(randomValue(rng, depth + 1));
      return a;
    }
    default: return randomObject(rng, depth + 1);
  }
}

function randomObject(rng: Prng, depth: number): { [k: string]: AttrValue } {
  const o: { [k: string]: AttrValue } = {};
  for (let i = rng.int(0, 5); i > 0; i--) {
    // defineProperty: a '__proto__' key must become an own property, as JSON.parse makes it.
    Object.defineProperty(o, rng.pick(KEYS), { value: randomValue(rng, depth), enumerable: true, writable: true, configurable: true });
  }
  return o;
}

const RESOURCES: Resource[] = [
  { 'service.name': 'api', 'host.name': 'api-1' },
  { 'service.name': 'api', 'host.name': 'api-2', 'service.version': '1.2.3' },
  { 'service.name': 'worker', 'host.name': 'w-1', pid: 4242, 'k8s.ready': true },
  {},
];

/** A random entry with every field shape the codecs must keep. */
export function randomEntry(rng: Prng, tsNs?: bigint): LogEntry {
  const severityNumber = rng.int(1, 24);
  const e: LogEntry = {
    tsNs: tsNs ?? (rng.float() < 0.05
      ? rng.pick([-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n])
      : 1_700_000_000_000_000_000n + BigInt(rng.int(0, 1e12)) * 1000n + BigInt(rng.int(0, 999))),
    level: LOG_LEVELS[(severityNumber - 1) >> 2],
    severityNumber,
    message: nastyMessage(rng),
    attributes: rng.float() < 0.1 ? {} : (randomObject(rng, 0) as Attributes),
    resource: rng.pick(RESOURCES),
  };
  if (rng.float() < 0.7) e.traceId = randomHex(rng, 32);
  if (rng.float() < 0.6) e.spanId = randomHex(rng, 16);
  return e;
}

/** What an entry looks like after any storage round trip: attributes/resource as JSON keeps them. */
export function jsonCanonical(e: LogEntry): LogEntry {
  const out: LogEntry = {
    tsNs: e.tsNs,
    level: e.level,
    severityNumber: e.severityNumber,
    message: e.message,
    attributes: JSON.parse(JSON.stringify(e.attributes)) as Attributes,
    resource: JSON.parse(JSON.stringify(e.resource)) as Resource,
  };
  if (e.traceId !== undefined) out.traceId = e.traceId;
  if (e.spanId !== undefined) out.spanId = e.spanId;
  return out;
}

/**
 * Deep strict comparison of entry lists (node:util semantics). vitest's toStrictEqual compares
 * `.constructor`, which breaks on attributes that legitimately have a 'constructor' key.
 */
export function firstEntryMismatch(actual: LogEntry[], expected: LogEntry[]): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length} !== ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    if (!isDeepStrictEqual(actual[i], expected[i])) {
      return `entry ${i}: ${inspect(actual[i], { depth: 6 })} !== ${inspect(expected[i], { depth: 6 })}`;
    }
  }
  return undefined;
}
