// pino line -> LogInput: golden cases for every mapped field, and a seeded property test that the
// mapping loses nothing (the line can be rebuilt from the entry) and always yields a valid entry.
import { describe, expect, it } from 'vitest';
import { Prng } from '../../bench/gen/prng.js';
import { normalizeLogInput } from '../logs/normalize.js';
import type { AttrValue, LogInput } from '../logs/types.js';
import { pinoLevel, pinoLineToLogInput } from './pino-line.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('pinoLineToLogInput: golden cases', () => {
  it('maps pino’s standard fields', () => {
    const line = JSON.stringify({ level: 40, time: 1_700_000_000_123, pid: 42, hostname: 'box', name: 'api', msg: 'hello', trace_id: TRACE, span_id: SPAN, trace_flags: '01', req: { id: 7, headers: { host: 'x' } }, tags: [1, 'a'] });
    expect(pinoLineToLogInput(line, { resource: { 'service.name': 'svc' } })).toEqual({
      level: 'warn',
      tsMs: 1_700_000_000_123,
      message: 'hello',
      traceId: TRACE,
      spanId: SPAN,
      attributes: { 'logger.name': 'api', 'req.id': 7, 'req.headers.host': 'x', tags: [1, 'a'] },
      resource: { 'service.name': 'svc', 'host.name': 'box', 'process.pid': 42 },
    });
  });

  it('maps levels: standard numbers, custom numbers to the nearest lower, labels', () => {
    expect([10, 20, 30, 40, 50, 60].map(pinoLevel)).toEqual(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
    expect([0, 5, 15, 35, 45, 55, 100].map(pinoLevel)).toEqual(['trace', 'trace', 'trace', 'info', 'warn', 'error', 'fatal']);
    expect(['INFO', 'warning', 'critical', 'nope', undefined].map(pinoLevel)).toEqual(['info', 'warn', 'fatal', 'info', 'info']);
  });

  it('reads ISO, epoch-ms and epoch-second times; keeps an unreadable time as an attribute', () => {
    expect(pinoLineToLogInput('{"time":"2026-01-02T03:04:05.678Z","msg":"m"}').tsMs).toBe(Date.parse('2026-01-02T03:04:05.678Z'));
    expect(pinoLineToLogInput('{"time":1700000000,"msg":"m"}').tsMs).toBe(1_700_000_000_000);
    const bad = pinoLineToLogInput('{"time":"soon","msg":"m"}', {}, 5);
    expect(bad.tsMs).toBe(5);
    expect(bad.attributes).toEqual({ time: 'soon' });
  });

  it('maps err to OTel exception attributes, its message as the message when there is none', () => {
    const line = JSON.stringify({ level: 50, err: { type: 'TypeError', message: 'boom', stack: 'TypeError: boom\n    at x', code: 'E1', info: { a: 1 } } });
    expect(pinoLineToLogInput(line)).toEqual({
      level: 'error',
      message: 'boom',
      attributes: { 'exception.type': 'TypeError', 'exception.message': 'boom', 'exception.stacktrace': 'TypeError: boom\n    at x', 'err.code': 'E1', 'err.info.a': 1 },
    });
    // A custom errorKey/messageKey, and a message that is not a string.
    expect(pinoLineToLogInput('{"error":{"type":"E","message":"x"},"message":"m","msg":3}', { errorKey: 'error', messageKey: 'message' }).attributes).toEqual({ 'exception.type': 'E', 'exception.message': 'x', msg: 3 });
    expect(pinoLineToLogInput('{"msg":{"a":1}}')).toEqual({ level: 'info', message: '', attributes: { 'msg.a': 1 } });
  });

  it('keeps invalid trace ids as attributes (uppercase is normalized)', () => {
    expect(pinoLineToLogInput(JSON.stringify({ trace_id: TRACE.toUpperCase(), span_id: SPAN })).traceId).toBe(TRACE);
    const e = pinoLineToLogInput(JSON.stringify({ trace_id: '0'.repeat(32), span_id: 'xyz', trace_flags: 'zz' }));
    expect(e.traceId).toBeUndefined();
    expect(e.spanId).toBeUndefined();
    expect(e.attributes).toEqual({ trace_id: '0'.repeat(32), span_id: 'xyz', trace_flags: 'zz' });
  });

  it('never drops a line that is not a JSON object', () => {
    for (const line of ['plain text', '[1,2]', '42', 'null', '{"broken":']) {
      expect(pinoLineToLogInput(line, { resource: { 'service.name': 's' } }, 9)).toEqual({ level: 'info', message: line, tsMs: 9, resource: { 'service.name': 's' } });
    }
  });
});

// ------------------------------------------------------------------ property test

const RESERVED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'trace_id', 'span_id', 'trace_flags', 'err']);
const LEVEL_NUMBERS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

function key(rng: Prng): string {
  // No '.': the flattened path must be unambiguous for the rebuild below.
  const alphabet = 'abcdefghijklmnopqrstuvwxyz_-$é日 0123456789';
  let s = '';
  for (let i = rng.int(1, 8); i > 0; i--) s += alphabet[rng.int(0, alphabet.length - 1)];
  return s;
}

function value(rng: Prng, depth: number): unknown {
  switch (rng.int(0, depth > 3 ? 4 : 6)) {
    case 0:
      return rng.int(-1e6, 1e6);
    case 1:
      return rng.float() * 1e9 - 5e8;
    case 2:
      return key(rng) + '\n"\\' + String.fromCodePoint(rng.int(0x20, 0x2fff));
    case 3:
      return rng.int(0, 1) === 1;
    case 4:
      return null;
    case 5:
      return Array.from({ length: rng.int(0, 4) }, () => value(rng, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = rng.int(0, 4); i > 0; i--) o[key(rng)] = value(rng, depth + 1);
      return o;
    }
  }
}

function randomLine(rng: Prng): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (rng.int(0, 3) > 0) o.level = LEVEL_NUMBERS[rng.pick(Object.keys(LEVEL_NUMBERS))];
  if (rng.int(0, 3) > 0) o.time = 1_600_000_000_000 + rng.int(0, 1e11);
  if (rng.int(0, 1) === 1) o.pid = rng.int(1, 99999);
  if (rng.int(0, 1) === 1) o.hostname = key(rng);
  if (rng.int(0, 3) === 0) o.name = key(rng);
  if (rng.int(0, 2) === 0) {
    o.trace_id = rng.hex(32);
    o.span_id = rng.hex(16);
  }
  for (let i = rng.int(0, 6); i > 0; i--) {
    const k = key(rng);
    if (!RESERVED.has(k)) o[k] = value(rng, 0);
  }
  if (rng.int(0, 3) > 0) o.msg = key(rng);
  return o;
}

/** The line back from the entry: attributes unflattened, mapped fields put back under pino's names. */
function rebuild(e: LogInput): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [path, v] of Object.entries(e.attributes ?? {})) {
    if (path === 'logger.name') {
      o.name = v;
      continue;
    }
    const parts = path.split('.');
    let at = o;
    for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
    at[parts[parts.length - 1]] = v as AttrValue;
  }
  if (e.level !== undefined) o.level = LEVEL_NUMBERS[e.level as string];
  if (e.tsMs !== undefined) o.time = e.tsMs;
  if (e.message !== '') o.msg = e.message;
  if (e.resource?.['host.name'] !== undefined) o.hostname = e.resource['host.name'];
  if (e.resource?.['process.pid'] !== undefined) o.pid = e.resource['process.pid'];
  if (e.traceId !== undefined) o.trace_id = e.traceId;
  if (e.spanId !== undefined) o.span_id = e.spanId;
  return o;
}

describe('pinoLineToLogInput: seeded property', () => {
  it('loses nothing and always yields an entry the logs engine accepts (2,000 random lines)', () => {
    const seed = 0x5eed8;
    const rng = new Prng(seed);
    for (let n = 0; n < 2000; n++) {
      const line = randomLine(rng);
      const e = pinoLineToLogInput(JSON.stringify(line));
      const expected: Record<string, unknown> = { ...line };
      // What the mapping adds on purpose: the default level; an empty message is not a field.
      expected.level ??= 30;
      if (expected.msg === '') delete expected.msg;
      expect(rebuild(e), `seed ${seed}, line ${n}: ${JSON.stringify(line)}`).toEqual(expected);
      expect(() => normalizeLogInput(e, {}, () => 0n)).not.toThrow();
    }
  });
});
