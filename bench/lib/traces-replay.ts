// Replays a pre-generated window of spans for the sustained-ingest bench, so it can write millions of
// spans without generating them inside the measured window (and without holding millions of span
// objects). Every pass shifts the window's times (start, end, event times) by the window's own time
// span, so time keeps moving forward, and xors the pass number into the last 32 bits of every trace
// and span id (parent and link ids included, so trees and links stay intact), so no span or trace is
// written twice: the engine indexes a fresh trace id per trace, as it would in production.
import type { Span, SpanEvent, SpanLink } from '../../src/traces/types.js';

/** `hex` with its last 8 hex digits xor `pass` (an id is 16 or 32 hex digits). */
export function xorIdTail(hex: string, pass: number): string {
  const id = splitId(hex);
  return id.head + hex8(id.tail ^ pass);
}

/** An id split for xorIdTail: its head and its last 8 hex digits as a number. */
interface SplitId {
  head: string;
  tail: number;
}

function splitId(hex: string): SplitId {
  const cut = hex.length - 8;
  return { head: hex.slice(0, cut), tail: parseInt(hex.slice(cut), 16) };
}

const BYTE_HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/**
 * 8 lowercase hex digits of a 32-bit value. The replay makes 3-4 ids per span inside the measured
 * window: with parseInt/toString/padStart that was ~7% of the host thread (profiled), which an app
 * whose SDK already holds its ids never pays. All zero would be an invalid OTel id: the other 24 or
 * 8 random digits make it (practically) impossible, and the engine would reject the batch loudly.
 */
function hex8(v: number): string {
  return BYTE_HEX[(v >>> 24) & 255] + BYTE_HEX[(v >>> 16) & 255] + BYTE_HEX[(v >>> 8) & 255] + BYTE_HEX[v & 255];
}

/** A window span's ids, split once. */
interface SpanIds {
  trace: SplitId;
  span: SplitId;
  parent: SplitId | undefined;
  links: Array<{ trace: SplitId; span: SplitId }>;
}

export class SpanReplay {
  private readonly spanNs: bigint;
  private readonly firstNs: bigint;
  private pass = 0;
  private i = 0;
  private readonly ids: SpanIds[];
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
    this.ids = window.map((s) => ({
      trace: splitId(s.traceId),
      span: splitId(s.spanId),
      parent: s.parentSpanId !== undefined ? splitId(s.parentSpanId) : undefined,
      links: s.links.map((l) => ({ trace: splitId(l.traceId), span: splitId(l.spanId) })),
    }));
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
      const i = this.i++;
      out[k] = this.pass === 0 ? this.window[i] : this.shifted(this.window[i], this.ids[i]);
    }
    this.count += n;
    return out;
  }

  private shifted(s: Span, ids: SpanIds): Span {
    const p = this.pass;
    const dt = BigInt(p) * this.spanNs;
    const copy: Span = {
      ...s,
      traceId: ids.trace.head + hex8(ids.trace.tail ^ p),
      spanId: ids.span.head + hex8(ids.span.tail ^ p),
      startNs: s.startNs + dt,
      endNs: s.endNs + dt,
      events: s.events.length === 0 ? s.events : s.events.map((e): SpanEvent => ({ ...e, timeNs: e.timeNs + dt })),
      links:
        s.links.length === 0
          ? s.links
          : s.links.map((l, j): SpanLink => ({ ...l, traceId: ids.links[j].trace.head + hex8(ids.links[j].trace.tail ^ p), spanId: ids.links[j].span.head + hex8(ids.links[j].span.tail ^ p) })),
    };
    if (ids.parent !== undefined) copy.parentSpanId = ids.parent.head + hex8(ids.parent.tail ^ p);
    return copy;
  }

  /** Simulated time covered so far (whole passes plus the current one's progress), seconds. */
  simulatedSeconds(): number {
    const last = this.i > 0 ? Number(this.window[this.i - 1].startNs - this.firstNs) : 0;
    return (Number(this.spanNs) * this.pass + last) / 1e9;
  }
}
