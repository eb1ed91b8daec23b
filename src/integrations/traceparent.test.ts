// W3C traceparent parsing: valid headers give the parent, anything off-spec is ignored.
import { describe, expect, it } from 'vitest';
import { formatTraceparent, newSpanId, newTraceId, parseTraceparent } from './traceparent.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const P = '00f067aa0ba902b7';

describe('parseTraceparent', () => {
  it('parses a valid version-00 header', () => {
    expect(parseTraceparent(`00-${T}-${P}-01`)).toEqual({ traceId: T, parentSpanId: P, flags: 1 });
    expect(parseTraceparent(`00-${T}-${P}-00`)).toEqual({ traceId: T, parentSpanId: P, flags: 0 });
    expect(parseTraceparent(` 00-${T}-${P}-03 `)?.flags).toBe(3);
  });

  it.each([
    ['absent', undefined],
    ['null', null],
    ['repeated header', [`00-${T}-${P}-01`, `00-${T}-${P}-01`]],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${P}-01`],
    ['all-zero parent id', `00-${T}-${'0'.repeat(16)}-01`],
    ['uppercase hex', `00-${T.toUpperCase()}-${P}-01`],
    ['unknown version', `01-${T}-${P}-01`],
    ['version ff', `ff-${T}-${P}-01`],
    ['short trace id', `00-${T.slice(1)}-${P}-01`],
    ['short parent id', `00-${T}-${P.slice(1)}-01`],
    ['non-hex flags', `00-${T}-${P}-0g`],
    ['trailing data', `00-${T}-${P}-01-extra`],
    ['empty', ''],
  ])('ignores %s', (_label, header) => {
    expect(parseTraceparent(header as string | string[] | null | undefined)).toBeUndefined();
  });

  it('round-trips with formatTraceparent', () => {
    const h = formatTraceparent(T, P, 1);
    expect(h).toBe(`00-${T}-${P}-01`);
    expect(parseTraceparent(h)).toEqual({ traceId: T, parentSpanId: P, flags: 1 });
    expect(formatTraceparent(T, P, 0)).toBe(`00-${T}-${P}-00`);
  });
});

describe('random ids', () => {
  it('are lowercase hex of the right length, valid for a traceparent, and distinct', () => {
    const traces = new Set<string>();
    const spans = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const t = newTraceId();
      const s = newSpanId();
      expect(t).toMatch(/^[0-9a-f]{32}$/);
      expect(s).toMatch(/^[0-9a-f]{16}$/);
      expect(parseTraceparent(formatTraceparent(t, s))).toEqual({ traceId: t, parentSpanId: s, flags: 1 });
      traces.add(t);
      spans.add(s);
    }
    expect(traces.size).toBe(1000);
    expect(spans.size).toBe(1000);
  });
});
