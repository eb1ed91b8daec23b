// The `overhead` suite's application (issue #8): a Hono hello-world with one parameterized route,
// built identically for both variants so the only difference measured is the instrumentation. The
// load client checks every answer against expectedBody(), shared here so both sides agree.
import { Hono, type MiddlewareHandler } from 'hono';

export type OverheadVariant = 'none' | 'full';
export const OVERHEAD_VARIANTS: readonly OverheadVariant[] = ['none', 'full'];
/**
 * What the server child can run: the two measured variants, and steps between them for finding where
 * the cost goes (not part of the suite's run): `passthrough` (an async middleware that only awaits
 * next(), no Timeless), `store` (Timeless.open with defaults + that middleware), `nospans`
 * (timelessHono with spans: false: histogram only), `allspans` (every request's span stored:
 * spans: { maxPerSecond: Infinity }).
 */
export type ServerVariant = OverheadVariant | 'passthrough' | 'store' | 'nospans' | 'allspans';
export const SERVER_VARIANTS: readonly ServerVariant[] = ['none', 'full', 'passthrough', 'store', 'nospans', 'allspans'];

/** Distinct ids the client cycles through on /users/:id (different paths, one route). */
export const USER_IDS = 1000;

/** The app's routes; `use` (the middleware) goes first so it wraps both. */
export function buildOverheadApp(use?: MiddlewareHandler): Hono {
  const app = new Hono();
  if (use !== undefined) app.use(use);
  app.get('/', (c) => c.text('hello'));
  app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }));
  return app;
}

/** The n-th request path of a connection: '/' and '/users/<id>' alternate. */
export function requestPath(n: number): string {
  return n % 2 === 0 ? '/' : `/users/${(n >> 1) % USER_IDS}`;
}

/** What a correct server answers to requestPath(n). */
export function expectedBody(path: string): string {
  return path === '/' ? 'hello' : JSON.stringify({ id: path.slice('/users/'.length) });
}
