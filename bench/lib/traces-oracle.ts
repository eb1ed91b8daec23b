// An independent in-memory answer for the traces query bench: while the dataset is generated, each
// query's predicate (written here from TraceQuery's documented semantics, sharing no code with the
// engine) sees every span; collectors keep the matching spans' keys, and the trace shapes keep each
// trace's span and root counts. The engine's answers are then compared key by key.
import type { Span, StatusCode } from '../../src/traces/types.js';

/** What identifies a span in a query answer, in result order. */
export interface SpanKey {
  startNs: bigint;
  traceId: string;
  spanId: string;
}

/** TraceQuery's documented order: newest start first, ties by trace id, then span id (ascending). */
export function resultOrder(a: SpanKey, b: SpanKey): number {
  if (a.startNs !== b.startNs) return a.startNs > b.startNs ? -1 : 1;
  if (a.traceId !== b.traceId) return a.traceId < b.traceId ? -1 : 1;
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}

const keyOf = (s: Span): SpanKey => ({ startNs: s.startNs, traceId: s.traceId, spanId: s.spanId });

/**
 * The newest `keep` matches (in result order) and how many matched. Spans arrive in END order (as an
 * exporter sends them), not start order, so the kept keys are re-sorted and trimmed now and then.
 */
export class NewestSpans {
  total = 0;
  private keys: SpanKey[] = [];

  constructor(
    readonly match: (s: Span) => boolean,
    private readonly keep: number,
  ) {}

  observe(s: Span): void {
    if (!this.match(s)) return;
    this.total++;
    this.keys.push(keyOf(s));
    if (this.keys.length >= 4 * this.keep) this.trim();
  }

  private trim(): void {
    this.keys.sort(resultOrder);
    if (this.keys.length > this.keep) this.keys.length = this.keep;
  }

  /** Kept matches in result order, optionally only those starting in [fromNs, toNs). */
  newestFirst(fromNs?: bigint, toNs?: bigint): SpanKey[] {
    this.trim();
    return this.keys.filter((k) => (fromNs === undefined || k.startNs >= fromNs) && (toNs === undefined || k.startNs < toNs));
  }
}

/** TraceQuery { service, status }: resource service.name and status code equal. */
export const serviceStatus = (service: string, status: StatusCode) => (s: Span) => s.resource.attributes['service.name'] === service && s.status.code === status;
/** TraceQuery { minDurationMs }: endNs − startNs ≥ the bound (inclusive). */
export const durationAtLeast = (ms: number) => {
  const ns = BigInt(Math.round(ms * 1e6));
  return (s: Span) => s.endNs - s.startNs >= ns;
};
export const anySpan = () => true;

/** Per trace id: spans written and spans without a parent (the roots trace() must return). */
export class TraceShapes {
  private readonly shapes = new Map<string, { spans: number; roots: number }>();

  observe(s: Span): void {
    let t = this.shapes.get(s.traceId);
    if (!t) this.shapes.set(s.traceId, (t = { spans: 0, roots: 0 }));
    t.spans++;
    if (s.parentSpanId === undefined) t.roots++;
  }

  get size(): number {
    return this.shapes.size;
  }

  get(traceId: string): { spans: number; roots: number } | undefined {
    return this.shapes.get(traceId);
  }

  ids(): string[] {
    return [...this.shapes.keys()];
  }
}

/** null when `got` holds exactly the spans `want` names, in the same order; else the first difference. */
export function firstKeyMismatch(got: readonly SpanKey[], want: readonly SpanKey[]): string | null {
  const n = Math.min(got.length, want.length);
  for (let i = 0; i < n; i++) {
    const g = got[i];
    const w = want[i];
    if (g.spanId !== w.spanId || g.traceId !== w.traceId || g.startNs !== w.startNs) {
      return `span ${i} is ${g.traceId}/${g.spanId} @${g.startNs}, expected ${w.traceId}/${w.spanId} @${w.startNs}`;
    }
  }
  return got.length === want.length ? null : `${got.length} spans, expected ${want.length}`;
}
