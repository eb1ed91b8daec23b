// The trace context a log line belongs to (issue #8). Logs written while a request is handled must
// carry that request's trace_id/span_id. With an OpenTelemetry SDK registered, the OTel active
// context says which span is current; without one (a Hono app using only timelessHono) OTel's API has
// no context manager and forgets everything, so the middlewares also keep the request's ids in an
// AsyncLocalStorage of our own. Readers ask activeTraceContext(), which tries OTel first.
//
// Cost: on Node 20 an AsyncLocalStorage in use runs a hook for every promise and async resource of
// the process (~6 µs of a hello-world's ~18 µs request, bench `overhead`). So the middlewares enter
// it only once something reads the context: captureConsole(), the first activeTraceContext() or
// traceFields() call (pino's mixin), or enableTraceContext() at startup. Likewise they enter an OTel
// context only when the app registered a context manager (without one, OTel's API drops it anyway).
import { AsyncLocalStorage } from 'node:async_hooks';
import { context as otelContext, isSpanContextValid, trace as otelTrace, TraceFlags } from '@opentelemetry/api';

export interface TraceContext {
  /** 32 lowercase hex. */
  traceId: string;
  /** 16 lowercase hex. */
  spanId: string;
  /** W3C trace flags (bit 0: sampled). */
  flags: number;
}

const storage = new AsyncLocalStorage<TraceContext>();
let tracking = false;

/**
 * Makes the middlewares keep each request's trace context from now on. Called by captureConsole()
 * and by the first activeTraceContext()/traceFields(); call it at startup when the very first log
 * line of the process must carry its request's ids too.
 */
export function enableTraceContext(): void {
  tracking = true;
}

/** Runs fn with ctx as the current request's trace context (for code that has no OTel SDK). */
export function runWithTraceContext<T>(ctx: TraceContext, fn: () => T): T {
  tracking = true;
  return storage.run(ctx, fn);
}

// @opentelemetry/api 1.x keeps what was registered (setGlobalContextManager / disable) on this
// global symbol, one per major version, so that copies of the API in one process share it. Reading
// it costs nothing per request; calling context.with() to find out would cost a closure each time.
const OTEL_API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

/** Whether an OTel context manager is registered (an SDK's, e.g. NodeTracerProvider.register()). */
export function otelContextActive(): boolean {
  const g = (globalThis as unknown as Record<symbol, { context?: unknown } | undefined>)[OTEL_API_GLOBAL];
  return g?.context !== undefined;
}

/**
 * Runs a request's handlers (fn) as the span `ctx`: the active OTel span when an SDK's context
 * manager is registered (so OTel spans and logs inside join the trace), else our own request
 * context once something reads it, else a plain call.
 */
export function runInRequestScope<T>(ctx: TraceContext, fn: () => T): T {
  // ctx may carry more than the ids (a span start): what readers get is a copy of just the ids,
  // made only when a scope is entered.
  if (otelContextActive()) {
    // activeTraceContext() reads the OTel span first: our own storage would be a second copy of the
    // same ids, paid for on every promise.
    const spanContext = { traceId: ctx.traceId, spanId: ctx.spanId, traceFlags: ctx.flags & TraceFlags.SAMPLED, isRemote: false };
    return otelContext.with(otelTrace.setSpanContext(otelContext.active(), spanContext), fn);
  }
  return tracking ? storage.run({ traceId: ctx.traceId, spanId: ctx.spanId, flags: ctx.flags }, fn) : fn();
}

/** Whether the middlewares keep each request's context (something has read it, or enableTraceContext()). */
export function traceContextEnabled(): boolean {
  return tracking;
}

/** The span that is current here: the OTel active span when valid, else the request the middleware is handling, else undefined. */
export function activeTraceContext(): TraceContext | undefined {
  tracking = true;
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
