// The trace context a log line belongs to (issue #8). Logs written while a request is handled must
// carry that request's trace_id/span_id. With an OpenTelemetry SDK registered, the OTel active
// context says which span is current; without one (a Hono app using only timelessHono) OTel's API has
// no context manager and forgets everything, so the middlewares also keep the request's ids in an
// AsyncLocalStorage of our own. Readers ask activeTraceContext(), which tries OTel first.
import { AsyncLocalStorage } from 'node:async_hooks';
import { isSpanContextValid, trace as otelTrace } from '@opentelemetry/api';

export interface TraceContext {
  /** 32 lowercase hex. */
  traceId: string;
  /** 16 lowercase hex. */
  spanId: string;
  /** W3C trace flags (bit 0: sampled). */
  flags: number;
}

const storage = new AsyncLocalStorage<TraceContext>();

/** Runs fn with ctx as the current request's trace context (for code that has no OTel SDK). */
export function runWithTraceContext<T>(ctx: TraceContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** The span that is current here: the OTel active span when valid, else the request the middleware is handling, else undefined. */
export function activeTraceContext(): TraceContext | undefined {
  const span = otelTrace.getActiveSpan();
  if (span !== undefined) {
    const sc = span.spanContext();
    if (isSpanContextValid(sc)) return { traceId: sc.traceId, spanId: sc.spanId, flags: sc.traceFlags };
  }
  return storage.getStore();
}

/**
 * `{ trace_id, span_id, trace_flags }` of the current span (the field names of OTel's pino and
 * winston instrumentations), or {} outside any span. Usable as pino's `mixin`.
 */
export function traceFields(): { trace_id?: string; span_id?: string; trace_flags?: string } {
  const ctx = activeTraceContext();
  if (ctx === undefined) return {};
  return { trace_id: ctx.traceId, span_id: ctx.spanId, trace_flags: ctx.flags.toString(16).padStart(2, '0') };
}
