// Native traces REST under /api/v1/traces: JSON ingest (durable on 200), span search with cursors,
// a trace as its span tree, services and operations, a live tail over SSE, stats.
import type { Context, Hono } from 'hono';
import type { AppEnv, ServerContext } from '../context.js';
import { SPAN_KINDS, STATUS_CODES, type SpanInput, type TraceQuery } from '../../traces/types.js';
import type { SpanFilter } from '../../traces/tail.js';
import { HttpError } from '../errors.js';
import { sendJson } from '../json.js';
import { nativeWrite } from './native-write.js';
import { attributes, int, num, oneOf, str, timeMs } from '../params.js';
import { sseTail } from '../sse.js';

function filterFromParams(c: Context): SpanFilter {
  const f: SpanFilter = {};
  for (const k of ['service', 'name', 'traceId'] as const) {
    const v = str(c, k);
    if (v !== undefined) f[k] = v;
  }
  const kind = oneOf(c, 'kind', SPAN_KINDS);
  if (kind !== undefined) f.kind = kind;
  const status = oneOf(c, 'status', STATUS_CODES);
  if (status !== undefined) f.status = status;
  const minD = num(c, 'minDurationMs');
  if (minD !== undefined) f.minDurationMs = minD;
  const maxD = num(c, 'maxDurationMs');
  if (maxD !== undefined) f.maxDurationMs = maxD;
  const fromMs = timeMs(c, 'from');
  if (fromMs !== undefined) f.fromMs = fromMs;
  const toMs = timeMs(c, 'to');
  if (toMs !== undefined) f.toMs = toMs;
  const attrs = attributes(c);
  if (attrs !== undefined) f.attributes = attrs;
  return f;
}

export function registerNativeTraces(app: Hono<AppEnv>, ctx: ServerContext): void {
  const t = ctx.tl.traces;

  app.post('/api/v1/traces/write', nativeWrite<SpanInput>(ctx, 'spans', 'the fields of the library\'s SpanInput, ns times as decimal strings', (sp) => ctx.ingest.spans(sp, 'native')));

  app.get('/api/v1/traces/query', async (c) => {
    const q: TraceQuery = filterFromParams(c);
    const limit = int(c, 'limit', { min: 1, max: 10_000 });
    if (limit !== undefined) q.limit = limit;
    const cursor = str(c, 'cursor');
    if (cursor !== undefined) q.cursor = cursor;
    return sendJson(c, await t.query(q));
  });

  app.get('/api/v1/traces/trace/:traceId', async (c) => {
    const id = c.req.param('traceId').toLowerCase();
    if (!/^[0-9a-f]{32}$/.test(id)) throw new HttpError(400, 'INVALID_PARAM', 'a trace id is 32 hex characters');
    const result = await t.trace(id);
    if (result.spans.length === 0) throw new HttpError(404, 'NOT_FOUND', `no spans stored for trace ${id}`);
    return sendJson(c, result);
  });

  app.get('/api/v1/traces/services', (c) => sendJson(c, t.services()));
  app.get('/api/v1/traces/operations', (c) => sendJson(c, t.operations(str(c, 'service'))));
  app.get('/api/v1/traces/stats', async (c) => sendJson(c, await t.stats()));

  app.get('/api/v1/traces/tail', (c) => {
    const filter = filterFromParams(c);
    const probe = t.subscribe(filter, () => undefined);
    probe();
    return sseTail(c, { event: 'span', subscribe: (onSpan) => t.subscribe(filter, onSpan) });
  });
}
