// `timelessHttp(tl)`: the node:http / Express counterpart of timelessHono (issue #8). As Express
// middleware (`app.use(timelessHttp(tl))`) the route is Express's matched pattern (baseUrl +
// req.route.path, read when the response finishes); around a plain node:http handler
// (`http.createServer(timelessHttp(tl).wrap(handler))`) there is no router, so no route.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { normalizeMethod } from './http-metrics.js';
import { HttpRecorder, type HttpInstrumentationOptions, type HttpTarget } from './http-instrumentation.js';
import { startServerSpan, type HttpRequestInfo } from './http-span.js';
import { runInRequestScope } from './request-context.js';

/** Express's additions to the request, read when present. */
interface RoutedRequest extends IncomingMessage {
  originalUrl?: string;
  baseUrl?: string;
  route?: { path?: unknown };
  /** Set by the middleware: the request's trace and span ids. */
  traceId?: string;
  spanId?: string;
}

type Next = (err?: unknown) => void;
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export type TimelessHttpMiddleware = ((req: IncomingMessage, res: ServerResponse, next: Next) => void) & {
  /** A node:http request listener that records around `handler`. */
  wrap(handler: Handler): Handler;
  flushMetrics(): number;
  stop(): void;
};

function expressRoute(req: RoutedRequest): string {
  const p = req.route?.path;
  // Express allows regex and array routes; only a string pattern is a usable label.
  if (typeof p !== 'string') return '';
  return (req.baseUrl ?? '') + p;
}

export function timelessHttp(tl: HttpTarget, opts: HttpInstrumentationOptions = {}): TimelessHttpMiddleware {
  const recorder = new HttpRecorder(tl, opts);
  const mw = (request: IncomingMessage, res: ServerResponse, next: Next): void => {
    const req = request as RoutedRequest;
    const url = req.originalUrl ?? req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (recorder.ignores(path)) {
      next();
      return;
    }
    const start = startServerSpan(req.headers.traceparent, req.headers.tracestate);
    req.traceId = start.traceId;
    req.spanId = start.spanId;
    const method = req.method ?? '';
    const normalizedMethod = normalizeMethod(method);
    // Only for a span that is stored (sampling).
    const info = (): HttpRequestInfo => ({
      method,
      normalizedMethod,
      path,
      scheme: (req.socket as TLSSocket | undefined)?.encrypted === true ? 'https' : 'http',
      host: req.headers.host,
      userAgent: req.headers['user-agent'],
      clientAddress: req.socket?.remoteAddress,
      protocolVersion: req.httpVersion,
    });
    let done = false;
    const end = (): void => {
      if (done) return;
      done = true;
      res.off('finish', end);
      res.off('close', end);
      // 'close' before the response finished: the client went away; the status is what was set.
      const aborted = !res.writableFinished;
      recorder.finish(normalizedMethod, info, start, {
        route: expressRoute(req),
        status: res.statusCode,
        endMs: performance.now(),
        abortedMessage: aborted ? 'client closed request' : undefined,
      });
    };
    res.on('finish', end);
    res.on('close', end);
    runInRequestScope(start, next);
  };
  return Object.assign(mw, {
    wrap: (handler: Handler): Handler => (req, res) => mw(req, res, (err?: unknown) => {
      if (err !== undefined) throw err;
      handler(req, res);
    }),
    flushMetrics: () => recorder.metrics.flush(),
    stop: () => recorder.metrics.stop(),
  });
}
