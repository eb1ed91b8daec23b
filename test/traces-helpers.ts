// Shared helpers of the traces engine tests: generated spans (bench/gen/traces.ts, every field in
// stored form), an oracle over what was written, and comparisons of answers.
import { generateTraces } from '../bench/gen/traces.js';
import { compareSpanKeys } from '../src/traces/query/compile.js';
import type { Span } from '../src/traces/types.js';

export const T0_MS = Date.UTC(2024, 0, 1);

/** `n` generated spans (at least), starting at `fromMs`. */
export function makeSpans(seed: number, n: number, fromMs = T0_MS, tracesPerSec = 50): Span[] {
  const out: Span[] = [];
  for (const batch of generateTraces({ spans: n, seed, fromMs, tracesPerSec, batch: 1000 })) out.push(...batch);
  return out;
}

/** The spans of one trace in start order (ties: span id), as tl.traces.trace() returns them. */
export function traceOf(spans: readonly Span[], traceId: string): Span[] {
  return spans
    .filter((s) => s.traceId === traceId)
    .sort((a, b) => (a.startNs !== b.startNs ? (a.startNs < b.startNs ? -1 : 1) : a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0));
}

/** Spans in query order (newest start first). */
export function inQueryOrder(spans: readonly Span[]): Span[] {
  return [...spans].sort(compareSpanKeys);
}

/** Distinct trace ids in first-seen order. */
export function traceIds(spans: readonly Span[]): string[] {
  return [...new Set(spans.map((s) => s.traceId))];
}

/** The service a span's resource names. */
export function serviceOf(s: Span): unknown {
  return s.resource.attributes['service.name'];
}
