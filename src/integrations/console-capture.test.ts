// Console capture against a fake store: level by method, util.format messages, trace ids of the
// active context, Error -> exception.*, passthrough, recursion guard, failures swallowed, restore.
import { afterEach, describe, expect, it } from 'vitest';
import type { LogInput } from '../logs/types.js';
import { captureConsole } from './console-capture.js';
import { runWithTraceContext } from './request-context.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

function fakeStore() {
  const written: LogInput[] = [];
  return { written, isClosed: false, logs: { write: (e: LogInput) => void written.push(e) } };
}

describe('captureConsole', () => {
  it('writes one entry per call, level by method, with the active trace ids', () => {
    const tl = fakeStore();
    restore = captureConsole(tl, { passthrough: false });
    console.debug('d %d', 1);
    console.log('l', { a: 1 });
    console.info('i');
    console.warn('w');
    runWithTraceContext({ traceId: TRACE, spanId: SPAN, flags: 1 }, () => console.error('e', new RangeError('bad range')));
    console.trace('t');
    expect(tl.written.map((e) => [e.level, e.message.split('\n')[0]])).toEqual([
      ['debug', 'd 1'],
      ['info', 'l { a: 1 }'],
      ['info', 'i'],
      ['warn', 'w'],
      ['error', 'e RangeError: bad range'],
      ['trace', 't'],
    ]);
    const err = tl.written[4];
    expect(err).toMatchObject({ traceId: TRACE, spanId: SPAN, attributes: { 'log.source': 'console', 'log.method': 'error', 'exception.type': 'RangeError', 'exception.message': 'bad range' } });
    expect(String(err.attributes!['exception.stacktrace'])).toContain('RangeError: bad range');
    expect(tl.written[0].traceId).toBeUndefined();
    expect(tl.written.every((e) => typeof e.tsMs === 'number')).toBe(true);
  });

  it('passes calls through, honours methods and minLevel, restores the originals (twice is fine)', () => {
    const printed: unknown[][] = [];
    const before = { log: console.log, warn: console.warn };
    const mine = (...a: unknown[]) => void printed.push(a);
    console.log = mine;
    try {
      const tl = fakeStore();
      restore = captureConsole(tl, { methods: ['log', 'warn'], minLevel: 'warn' });
      console.log('x', 1);
      console.warn('stored');
      expect(printed).toEqual([['x', 1]]);
      expect(tl.written.map((e) => e.message)).toEqual(['stored']);
      expect(console.log).not.toBe(mine);
      restore();
      restore();
      expect(console.log).toBe(mine);
      expect(console.warn).toBe(before.warn);
      console.warn('after');
      expect(tl.written).toHaveLength(1);
    } finally {
      console.log = before.log;
    }
  });

  it('refuses a second capture, and bad options, with clear errors', () => {
    restore = captureConsole(fakeStore(), { passthrough: false });
    expect(() => captureConsole(fakeStore())).toThrow(/already captured/);
    restore();
    expect(() => captureConsole(fakeStore(), { methods: ['dir' as never] })).toThrow(TypeError);
    expect(() => captureConsole(fakeStore(), { minLevel: 'loud' as never })).toThrow(TypeError);
    restore = captureConsole(fakeStore(), { passthrough: false }); // usable again after restore
  });

  it('never throws into the caller and does not loop when the store logs to the console', () => {
    let calls = 0;
    const tl = {
      isClosed: false,
      logs: {
        write: (e: LogInput) => {
          calls++;
          console.warn('store complains about', e.message); // re-entrant: printed, not captured
          throw new Error('store is full');
        },
      },
    };
    restore = captureConsole(tl, { passthrough: false });
    expect(() => console.error('boom')).not.toThrow();
    expect(calls).toBe(1);
  });

  it('does not write to a closed store', () => {
    const tl = fakeStore();
    tl.isClosed = true;
    restore = captureConsole(tl, { passthrough: false });
    console.info('dropped');
    expect(tl.written).toEqual([]);
  });
});
