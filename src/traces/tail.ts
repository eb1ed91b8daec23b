// Live tail of spans: subscribers get each written span that passes their filter, synchronously
// inside write() (before it is flushed). A subscriber that throws is reported (boundedly) and never
// breaks the write: the span is accepted by then.
import { compileTraceQuery, spanMatches, type CompiledTraceQuery } from './query/compile.js';
import type { Span, TraceQuery } from './types.js';

/** A live-tail filter: the query's filtering fields (no paging). */
export type SpanFilter = Omit<TraceQuery, 'limit' | 'cursor'>;

interface Subscriber {
  q: CompiledTraceQuery;
  onSpan: (span: Span) => void;
}

export class SpanTail {
  private subs: Subscriber[] = [];
  private errorsReported = 0;

  constructor(private readonly log: (message: string) => void) {}

  /** Validates the filter (typed TracesError INVALID_QUERY) and returns the unsubscribe function. */
  subscribe(filter: SpanFilter, onSpan: (span: Span) => void): () => void {
    if (typeof onSpan !== 'function') throw new TypeError('timeless: traces.subscribe(filter, onSpan) needs a function onSpan');
    const f = filter ?? {};
    if (typeof f === 'object' && ('limit' in f || 'cursor' in f)) throw new TypeError('timeless: traces.subscribe filters take no limit or cursor');
    const sub: Subscriber = { q: compileTraceQuery(f, []), onSpan };
    // Copy-on-write: a subscriber unsubscribing from inside its callback does not disturb delivery.
    this.subs = [...this.subs, sub];
    return () => {
      this.subs = this.subs.filter((s) => s !== sub);
    };
  }

  get size(): number {
    return this.subs.length;
  }

  deliver(span: Span): void {
    const subs = this.subs;
    for (let i = 0; i < subs.length; i++) {
      const s = subs[i];
      try {
        if (spanMatches(s.q, span)) s.onSpan(span);
      } catch (err) {
        if (this.errorsReported++ < 10) {
          this.log(`timeless traces: a live-tail subscriber threw (${err instanceof Error ? err.message : String(err)}); the span was stored anyway`);
        }
      }
    }
  }

  clear(): void {
    this.subs = [];
  }
}
