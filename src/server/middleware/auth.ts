// Auth: basic and/or bearer with constant-time compares, then the embedder's authorize(c) hook.
// Everything but /health passes through here, SSE streams and backup downloads included.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv, ServerContext } from '../context.js';
import { HttpError } from '../errors.js';

/** Compares via SHA-256 digests so neither the content nor the length leaks through timing. */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}

function checkBasic(header: string, user: string, pass: string): boolean {
  const b64 = header.slice(6).trim();
  let decoded: string;
  try {
    decoded = Buffer.from(b64, 'base64').toString('utf8');
  } catch {
    return false;
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  // Both compares always run, so a wrong user costs the same as a wrong password.
  const okUser = safeEqual(decoded.slice(0, colon), user);
  const okPass = safeEqual(decoded.slice(colon + 1), pass);
  return okUser && okPass;
}

export function auth(ctx: ServerContext): MiddlewareHandler<AppEnv> {
  const { basic, bearerToken } = ctx.options.auth;
  const authorize = ctx.options.authorize;
  const builtIn = basic !== undefined || bearerToken !== undefined;
  return async (c, next) => {
    if (builtIn) {
      const header = c.req.header('authorization') ?? '';
      const lower = header.slice(0, 7).toLowerCase();
      let ok = false;
      if (basic && lower.startsWith('basic ')) ok = checkBasic(header, basic.user, basic.pass);
      else if (bearerToken !== undefined && lower === 'bearer ') ok = safeEqual(header.slice(7).trim(), bearerToken);
      if (!ok) {
        ctx.self.inc('timeless_http_unauthorized_total', 'Requests refused for missing or wrong credentials.', {});
        const challenge = basic ? 'Basic realm="timeless", charset="UTF-8"' : 'Bearer realm="timeless"';
        throw new HttpError(401, 'UNAUTHORIZED', 'credentials are missing or wrong', { 'WWW-Authenticate': challenge });
      }
    }
    if (authorize) {
      const verdict = await authorize(c);
      if (verdict instanceof Response) return verdict;
      if (verdict !== true) throw new HttpError(401, 'UNAUTHORIZED', 'this request was not authorized');
    }
    await next();
  };
}
