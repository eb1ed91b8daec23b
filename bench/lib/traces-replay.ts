// Replays a pre-generated window of spans for the sustained-ingest bench, so it can write millions of
// spans without generating them inside the measured window (and without holding millions of span
// objects). Every pass shifts the window's times (start, end, event times) by the window's own time
// span, so time keeps moving forward, and xors the pass number into the last 32 bits of every trace
// and span id (parent and link ids included, so trees and links stay intact), so no span or trace is
// written twice: the engine indexes a fresh trace id per trace, as it would in production.
import type { Span, SpanEvent, SpanLink } from '../../src/traces/types.js';

/** `hex` with its last 8 hex digits xor `pass` (an id is 16 or 32 hex digits). */
export function xorIdTail(hex: string, pass: number): string {
  const cut = hex.length - 8;
  const tail = ((parseInt(hex.slice(cut), 16) ^ pass) >>> 0).toString(16).padStart(8, '0');
  // All zero would be an invalid OTel id: the other 24 or 8 random hex digits make it (practically)
  // impossible; the engine would reject the batch loudly rather than store it, so it cannot go unseen.
  return hex.slice(0, cut) + tail;
}

export class SpanReplay {
  private readonly spanNs: bigint;
  private readonly firstNs: bigint;
  private pass = 0;
  private i = 0;
  /** Spans handed out so far. */
  count = 0;

  constructor(private readonly window: readonly Span[]) {
    if (window.length < 2) throw new RangeError('SpanReplay needs a window of at least 2 spans');
    let minStart = window[0].startNs;
    let maxEnd = window[0].endNs;
    for (const s of window) {
      if (s.startNs < minStart) minStart = s.startNs;
      if (s.endNs > maxEnd) maxEnd = s.endNs;
      for (const e of s.events) if (e.timeNs > maxEnd) maxEnd = e.timeNs;
    }
    this.firstNs = minStart;
    // Past the window's last instant plus one mean gap: pass p+1 starts after pass p has ended.
    const wide = maxEnd - minStart;
    this.spanNs = wide + wide / BigInt(window.length - 1) + 1n;
  }

  /** The next n spans: pass 0 as generated, later passes as shifted copies (the engine copies what it keeps). */
  next(n: number): Span[] {
    const out: Span[] = new Array(n);
    for (let k = 0; k < n; k++) {
      if (this.i === this.window.length) {
        this.i = 0;
        this.pass++;
        if (this.pass > 0xffffffff) throw new RangeError('SpanReplay: more than 2^32 passes');
      }
      const s = this.window[this.i++];
      out[k] = this.pass === 0 ? s : this.shifted(s);
    }
    this.count += n;
    return out;
  }

  private shifted(s: Span): Span {
    const p = this.pass;
    const dt = BigInt(p) * this.spanNs;
    const copy: Span = {
      ...s,
      traceId: xorIdTail(s.traceId, p),
      spanId: xorIdTail(s.spanId, p),
      startNs: s.startNs + dt,
      endNs: s.endNs + dt,
      events: s.events.length === 0 ? s.events : s.events.map((e): SpanEvent => ({ ...e, timeNs: e.timeNs + dt })),
      links: s.links.length === 0 ? s.links : s.links.map((l): SpanLink => ({ ...l, traceId: xorIdTail(l.traceId, p), spanId: xorIdTail(l.spanId, p) })),
    };
    if (s.parentSpanId !== undefined) copy.parentSpanId = xorIdTail(s.parentSpanId, p);
    return copy;
  }

  /** Simulated time covered so far (whole passes plus the current one's progress), seconds. */
  simulatedSeconds(): number {
    const last = this.i > 0 ? Number(this.window[this.i - 1].startNs - this.firstNs) : 0;
    return (Number(this.spanNs) * this.pass + last) / 1e9;
  }
}
