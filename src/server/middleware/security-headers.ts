// Headers every answer carries, whatever route made it (JSON, errors, SSE, downloads): nosniff, so a
// browser never reads an API answer holding stored user text (log messages, labels) as HTML or
// script; no-referrer, so dashboard and API URLs (which can carry queries) never leak to other sites.
// The dashboard adds its own Content-Security-Policy and frame headers (routes/dashboard.ts); a
// route's own value of a header wins over these defaults.
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.js';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

export function securityHeaders(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    let headers = c.res.headers;
    try {
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (!headers.has(k)) headers.set(k, v);
    } catch {
      // A Response with immutable headers (one passed through from fetch()): copy it to add them.
      c.res = new Response(c.res.body, c.res);
      headers = c.res.headers;
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (!headers.has(k)) headers.set(k, v);
    }
  };
}
