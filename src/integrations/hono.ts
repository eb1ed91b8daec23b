// `timelessHono(tl)`: Hono middleware recording each request's duration histogram (by method,
// matched route pattern and status) and a server span (issue #8). The route is the pattern that
// answered ('/users/:id', not '/users/42'), so the histogram's cardinality stays bounded.
import { context as otelContext, trace as otelTrace, TraceFlags } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { normalizeMethod } from './http-metrics.js';
import { HttpRecorder, type HttpInstrumentationOptions, type HttpTarget } from './http-instrumentation.js';
import { startServerSpan, type HttpRequestInfo } from './http-span.js';
import { runWithTraceContext } from './request-context.js';

/** What the middleware puts on the context: `c.get('traceId')` for logs or a response header. */
export interface TimelessHonoVariables {
  traceId: string;
  spanId: string;
}

interface NodeBindings {
  incoming?: { httpVersion?: string; socket?: { remoteAddress?: string } };
}

export type TimelessHonoMiddleware = MiddlewareHandler<{ Variables: TimelessHonoVariables }> & {
  /** Writes the request histogram now (it also flushes every metricsIntervalMs). */
  flushMetrics(): number;
  /** Stops the metrics timer (it restarts with the next request). */
  stop(): void;
};

export function timelessHono(tl: HttpTarget, opts: HttpInstrumentationOptions = {}): TimelessHonoMiddleware {
  const recorder = new HttpRecorder(tl, opts);
  const mw: MiddlewareHandler<{ Variables: TimelessHonoVariables }> = async (c, next) => {
    const path = c.req.path;
    if (recorder.ignores(path)) return next();
    const ownIndex = c.req.routeIndex;
    const start = startServerSpan(c.req.header('traceparent'), c.req.header('tracestate'));
    c.set('traceId', start.traceId);
    c.set('spanId', start.spanId);
    const incoming = (c.env as NodeBindings | undefined)?.incoming;
    const method = c.req.method;
    const info: HttpRequestInfo = {
      method,
      normalizedMethod: normalizeMethod(method),
      path,
      scheme: c.req.url.startsWith('https:') ? 'https' : 'http',
      host: c.req.header('host'),
      userAgent: c.req.header('user-agent'),
      clientAddress: incoming?.socket?.remoteAddress,
      protocolVersion: incoming?.httpVersion,
    };
    try {
      // Our span becomes the active OTel context for the handlers when the app registered a context
      // manager (so OTel spans and logs inside join this trace); without one OTel forgets it, and
      // our own request context (activeTraceContext) still gives logs the request's ids.
      const spanContext = { traceId: start.traceId, spanId: start.spanId, traceFlags: start.flags & TraceFlags.SAMPLED, isRemote: false };
      const ids = { traceId: start.traceId, spanId: start.spanId, flags: start.flags };
      await runWithTraceContext(ids, () => otelContext.with(otelTrace.setSpanContext(otelContext.active(), spanContext), next));
    } finally {
      // After next() the route index points at the handler that answered; still ours → no route matched.
      const route = c.req.routeIndex === ownIndex ? '' : routePath(c);
      recorder.finish(info, start, { route, status: c.res.status, endHr: process.hrtime.bigint() });
    }
  };
  return Object.assign(mw, {
    flushMetrics: () => recorder.metrics.flush(),
    stop: () => recorder.metrics.stop(),
  });
}
