import { describe, expect, it } from 'vitest';
import { SpanSampler } from './span-sampler.js';

const S = 1000;
const MS = 1;

describe('SpanSampler', () => {
  it('keeps every span up to the rate, then one per refilled token', () => {
    const s = new SpanSampler({ maxPerSecond: 10 });
    const t0 = 100 * S;
    let kept = 0;
    for (let i = 0; i < 50; i++) if (s.keep(200, false, 1 * MS, false, t0)) kept++;
    expect(kept).toBe(10); // the first second's burst
    // 0.5 s later: 5 tokens.
    kept = 0;
    for (let i = 0; i < 50; i++) if (s.keep(200, false, 1 * MS, false, t0 + S / 2)) kept++;
    expect(kept).toBe(5);
    // A long pause refills at most one second's worth.
    kept = 0;
    for (let i = 0; i < 50; i++) if (s.keep(200, false, 1 * MS, false, t0 + 60 * S)) kept++;
    expect(kept).toBe(10);
  });

  it('over the rate, still keeps errors, aborted, slow and parent-sampled requests', () => {
    const s = new SpanSampler({ maxPerSecond: 1, slowMs: 250 });
    const t = 5 * S;
    expect(s.keep(200, false, MS, false, t)).toBe(true);
    expect(s.keep(200, false, MS, false, t)).toBe(false);
    expect(s.keep(404, false, MS, false, t)).toBe(false);
    expect(s.keep(500, false, MS, false, t)).toBe(true);
    expect(s.keep(503, false, MS, false, t)).toBe(true);
    expect(s.keep(200, true, MS, false, t)).toBe(true);
    expect(s.keep(200, false, 250 * MS, false, t)).toBe(true);
    expect(s.keep(200, false, 249 * MS, false, t)).toBe(false);
    expect(s.keep(200, false, MS, true, t)).toBe(true);
  });

  it('Infinity keeps everything, 0 keeps only what matters; bad options are RangeErrors', () => {
    const all = new SpanSampler({ maxPerSecond: Infinity });
    for (let i = 0; i < 1000; i++) expect(all.keep(200, false, MS, false, S)).toBe(true);
    const none = new SpanSampler({ maxPerSecond: 0 });
    expect(none.keep(200, false, MS, false, S)).toBe(false);
    expect(none.keep(500, false, MS, false, S)).toBe(true);
    expect(() => new SpanSampler({ maxPerSecond: -1 })).toThrow(RangeError);
    expect(() => new SpanSampler({ maxPerSecond: Number.NaN })).toThrow(RangeError);
    expect(() => new SpanSampler({ slowMs: Infinity })).toThrow(RangeError);
  });
});
