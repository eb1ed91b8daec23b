// `timelessHono(tl)`: Hono middleware recording each request's duration histogram (by method,
// matched route pattern and status) and a server span (issue #8). The route is the pattern that
// answered ('/users/:id', not '/users/42'), so the histogram's cardinality stays bounded.
import type { Context, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { normalizeMethod } from './http-metrics.js';
import { HttpRecorder, type HttpInstrumentationOptions, type HttpTarget } from './http-instrumentation.js';
import { startServerSpan, type HttpRequestInfo } from './http-span.js';
import { runInRequestScope } from './request-context.js';

/** What the middleware puts on the context: `c.get('traceId')` for logs or a response header. */
export interface TimelessHonoVariables {
  traceId: string;
  spanId: string;
}

interface NodeBindings {
  incoming?: { httpVersion?: string; httpVersionMajor?: number; headers?: Record<string, string | string[] | undefined>; socket?: { remoteAddress?: string } };
}

export type TimelessHonoMiddleware = MiddlewareHandler<{ Variables: TimelessHonoVariables }> & {
  /** Writes the request histogram now (it also flushes every metricsIntervalMs). */
  flushMetrics(): number;
  /** Stops the metrics timer (it restarts with the next request). */
  stop(): void;
};

/**
 * A request header. On @hono/node-server over HTTP/1 the parsed node headers are read directly: the
 * same values c.req.header() returns there (it consults them too), without its per-call name and
 * value validation, which is a measurable share of a hello-world's request (bench `overhead`).
 */
function headerOf(c: Context, incoming: NodeBindings['incoming'], name: string): string | undefined {
  if (incoming?.headers !== undefined && incoming.httpVersionMajor === 1) {
    const v = incoming.headers[name];
    return typeof v === 'string' ? v : undefined;
  }
  return c.req.header(name);
}

export function timelessHono(tl: HttpTarget, opts: HttpInstrumentationOptions = {}): TimelessHonoMiddleware {
  const recorder = new HttpRecorder(tl, opts);
  // Not an async function: a .then() on next()'s promise is one promise per request instead of the
  // async function's own plus its await's, and every promise costs a hook call once the request
  // context's AsyncLocalStorage is enabled.
  const mw: MiddlewareHandler<{ Variables: TimelessHonoVariables }> = (c, next) => {
    const path = c.req.path;
    if (recorder.ignores(path)) return next();
    const ownIndex = c.req.routeIndex;
    const incoming = (c.env as NodeBindings | undefined)?.incoming;
    const start = startServerSpan(headerOf(c, incoming, 'traceparent'), headerOf(c, incoming, 'tracestate'));
    c.set('traceId', start.traceId);
    c.set('spanId', start.spanId);
    const method = c.req.method;
    const normalizedMethod = normalizeMethod(method);
    // Only for a span that is stored (sampling): read when the request ends, headers are still there.
    const info = (): HttpRequestInfo => ({
      method,
      normalizedMethod,
      path,
      scheme: c.req.url.startsWith('https:') ? 'https' : 'http',
      host: headerOf(c, incoming, 'host'),
      userAgent: headerOf(c, incoming, 'user-agent'),
      clientAddress: incoming?.socket?.remoteAddress,
      protocolVersion: incoming?.httpVersion,
    });
    const done = () => {
      // After next() the route index points at the handler that answered; still ours → no route matched.
      const route = c.req.routeIndex === ownIndex ? '' : routePath(c);
      recorder.finish(normalizedMethod, info, start, { route, status: c.res.status, endMs: performance.now() });
    };
    let handled: Promise<void>;
    try {
      handled = runInRequestScope(start, next);
    } catch (err) {
      done();
      return Promise.reject(err);
    }
    return handled.then(done, (err: unknown) => {
      done();
      throw err;
    });
  };
  return Object.assign(mw, {
    flushMetrics: () => recorder.metrics.flush(),
    stop: () => recorder.metrics.stop(),
  });
}
