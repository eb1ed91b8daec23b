// A Hono API that records itself into Timeless: every request becomes a histogram sample and a
// server span, every console line a log entry carrying the request's trace id, and the dashboard
// is served at /obs/. Run it from a checkout (after `npm run build`):
//   node examples/hono-app/server.mjs        then  curl localhost:3000/api/users/1
// In your own app, the import is the same ('timeless-node' once it is installed).
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Timeless, captureConsole, timelessHono } from 'timeless-node';

const dataDir = process.env.TIMELESS_DATA_DIR ?? './data/observability';
const port = Number(process.env.PORT ?? 3000);

const tl = await Timeless.open({ dataDir });
const restoreConsole = captureConsole(tl);

const users = new Map([
  ['1', { id: '1', name: 'Ada Lovelace' }],
  ['2', { id: '2', name: 'Grace Hopper' }],
]);

const app = new Hono();
app.use('*', timelessHono(tl, { ignorePaths: ['/health', /^\/obs(\/|$)/] }));
// The caller can find its request's trace: the same id is on the span and on every log line.
app.use('/api/*', async (c, next) => {
  await next();
  c.header('x-trace-id', c.get('traceId'));
});

app.get('/health', (c) => c.text('ok'));
app.get('/api/users/:id', (c) => {
  const user = users.get(c.req.param('id'));
  if (user === undefined) {
    console.warn(`user ${c.req.param('id')} not found`);
    return c.json({ error: 'not found' }, 404);
  }
  console.info(`user ${user.id} fetched`);
  return c.json(user);
});
app.post('/api/users', async (c) => {
  const body = await c.req.json().catch(() => null);
  if (body === null || typeof body.name !== 'string') {
    console.warn('rejected a user without a name');
    return c.json({ error: 'name is required' }, 400);
  }
  const id = String(users.size + 1);
  users.set(id, { id, name: body.name });
  console.info(`user ${id} created`);
  return c.json({ id }, 201);
});
app.get('/api/slow', async (c) => {
  const ms = 100 + Math.floor(Math.random() * 200);
  await new Promise((r) => setTimeout(r, ms));
  console.info(`slow path took ${ms} ms`);
  return c.json({ ms });
});
app.get('/api/fail', () => {
  throw new Error('database connection reset');
});
app.onError((err, c) => {
  console.error('request failed:', err);
  c.header('x-trace-id', c.get('traceId'));
  return c.json({ error: 'internal error' }, 500);
});

app.route('/obs', tl.routes());

const server = serve({ fetch: app.fetch, port }, (info) => {
  console.log(`hono-app listening on http://localhost:${info.port}, dashboard at http://localhost:${info.port}/obs/`);
});

async function shutdown() {
  server.close();
  server.closeAllConnections();
  restoreConsole();
  await tl.close(); // flushes: every line and span above is on disk
  process.exit(0);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
