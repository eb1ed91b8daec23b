// Native logs REST under /api/v1/logs: JSON ingest (durable on 200), search with cursors, counts,
// field listings, a live tail over SSE, stats.
import type { Context, Hono } from 'hono';
import type { AppEnv, ServerContext } from '../context.js';
import { LOG_LEVELS, type LogFilter, type LogInput, type LogLevel, type LogQuery } from '../../logs/types.js';
import { HttpError } from '../errors.js';
import { sendJson } from '../json.js';
import { nativeWrite } from './native-write.js';
import { attributes, int, list, oneOf, str, timeMs } from '../params.js';
import { sseTail } from '../sse.js';

function levelParam(c: Context): LogLevel | number | undefined {
  const v = str(c, 'level') ?? str(c, 'minLevel');
  if (v === undefined) return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  if (!(LOG_LEVELS as readonly string[]).includes(v)) throw new HttpError(400, 'INVALID_PARAM', `query parameter 'level' must be one of ${LOG_LEVELS.join(', ')} or a severity number 1..24; got '${v}'`);
  return v as LogLevel;
}

function filterFromParams(c: Context): LogFilter {
  const f: LogFilter = {};
  const minLevel = levelParam(c);
  if (minLevel !== undefined) f.minLevel = minLevel;
  const fromMs = timeMs(c, 'from');
  if (fromMs !== undefined) f.fromMs = fromMs;
  const toMs = timeMs(c, 'to');
  if (toMs !== undefined) f.toMs = toMs;
  const search = str(c, 'search') ?? str(c, 'q');
  if (search !== undefined) f.search = search;
  const tokens = list(c, 'tokens');
  if (tokens !== undefined) f.tokens = tokens;
  const attrs = attributes(c);
  if (attrs !== undefined) f.attributes = attrs;
  for (const k of ['service', 'host', 'traceId', 'spanId'] as const) {
    const v = str(c, k);
    if (v !== undefined) f[k] = v;
  }
  return f;
}

function queryFromParams(c: Context): LogQuery {
  const q: LogQuery = filterFromParams(c);
  const limit = int(c, 'limit', { min: 1, max: 10_000 });
  if (limit !== undefined) q.limit = limit;
  const cursor = str(c, 'cursor');
  if (cursor !== undefined) q.cursor = cursor;
  const order = oneOf(c, 'order', ['asc', 'desc'] as const);
  if (order !== undefined) q.order = order;
  return q;
}

export function registerNativeLogs(app: Hono<AppEnv>, ctx: ServerContext): void {
  const l = ctx.tl.logs;

  app.post('/api/v1/logs/write', nativeWrite<LogInput>(ctx, 'entries', '{ "message", "level"?, "tsMs"?, "attributes"? }', (e) => ctx.ingest.logs(e, 'native')));

  app.get('/api/v1/logs/query', async (c) => sendJson(c, await l.query(queryFromParams(c))));
  app.get('/api/v1/logs/count', async (c) => sendJson(c, await l.count(filterFromParams(c))));
  app.get('/api/v1/logs/fields', (c) => sendJson(c, l.fields()));
  app.get('/api/v1/logs/fields/:key/values', async (c) => sendJson(c, await l.fieldValues(c.req.param('key'), { limit: int(c, 'limit', { min: 1, max: 10_000 }) })));
  app.get('/api/v1/logs/stats', async (c) => sendJson(c, await l.stats()));

  app.get('/api/v1/logs/tail', (c) => {
    const filter = filterFromParams(c);
    // Validate the filter now, so a bad one is a 400 instead of a stream that never yields.
    const probe = l.subscribe(filter, () => undefined);
    probe();
    return sseTail(c, { event: 'log', subscribe: (onEntry) => l.subscribe(filter, onEntry) });
  });
}
