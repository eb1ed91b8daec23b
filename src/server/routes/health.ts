// GET /health: never authenticated (load balancers and orchestrators probe it). 503 once the store
// is closing, so a draining instance leaves the pool.
import type { Hono } from 'hono';
import type { AppEnv, ServerContext } from '../context.js';

const startedMs = Date.now();

export function registerHealth(app: Hono<AppEnv>, ctx: ServerContext): void {
  app.get('/health', (c) => {
    const closed = ctx.tl.isClosed;
    return c.json({ status: closed ? 'closing' : 'ok', uptimeSec: Math.round((Date.now() - startedMs) / 1000) }, closed ? 503 : 200);
  });
}
