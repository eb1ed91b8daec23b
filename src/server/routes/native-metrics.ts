// Native metrics REST under /api/v1/metrics: JSON ingest (durable on 200), queries in the library's
// shape (DESIGN.md §6), metric/label/series listings, metadata, stats.
import type { Context, Hono } from 'hono';
import type { AppEnv, ServerContext } from '../context.js';
import type { Agg, LabelMatcher, Matchers, MetricType, QueryOptions, WritePoint } from '../../metrics/types.js';
import { parseJson, readBody } from '../body.js';
import { HttpError } from '../errors.js';
import { sendJson } from '../json.js';
import { nativeWrite } from './native-write.js';
import { list, oneOf, parseDurationMs, str, timeMs } from '../params.js';

const AGGS: readonly Agg[] = ['avg', 'min', 'max', 'sum', 'count', 'last', 'rate', 'increase'];
const METRIC_TYPES: readonly MetricType[] = ['counter', 'gauge', 'histogram', 'summary', 'unknown'];
const OPS = new Set(['=', '!=', '=~', '!~']);

function matchersParam(c: Context): Matchers | undefined {
  const text = str(c, 'matchers');
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'INVALID_PARAM', `query parameter 'matchers' must be JSON: {"label":"value"} or [{"label":"job","op":"=~","value":"api.*"}]`);
  }
  return checkMatchers(v, 'matchers');
}

function checkMatchers(v: unknown, where: string): Matchers {
  if (Array.isArray(v)) {
    for (const m of v as LabelMatcher[]) {
      if (m === null || typeof m !== 'object' || typeof m.label !== 'string' || typeof m.value !== 'string' || !OPS.has(m.op)) {
        throw new HttpError(400, 'INVALID_PARAM', `${where}: each matcher needs { label, op: one of = != =~ !~, value }`);
      }
    }
    return v as LabelMatcher[];
  }
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) if (typeof x !== 'string') throw new HttpError(400, 'INVALID_PARAM', `${where}: value of label '${k}' must be a string`);
    return v as Record<string, string>;
  }
  throw new HttpError(400, 'INVALID_PARAM', `${where} must be an object or an array of matchers`);
}

function stepParam(c: Context): number | undefined {
  const v = str(c, 'step');
  if (v === undefined) return undefined;
  const ms = /^\d+$/.test(v) ? Number(v) : parseDurationMs(v);
  if (ms === undefined || !(ms > 0)) throw new HttpError(400, 'INVALID_PARAM', `query parameter 'step' must be milliseconds or a duration like 30s, 5m; got '${v}'`);
  return ms;
}

function queryFromParams(c: Context): QueryOptions {
  const nowMs = Date.now();
  const toMs = timeMs(c, 'to', nowMs) ?? nowMs;
  const fromMs = timeMs(c, 'from', nowMs) ?? toMs - 3_600_000;
  return {
    name: str(c, 'name'),
    matchers: matchersParam(c),
    fromMs,
    toMs,
    stepMs: stepParam(c),
    agg: oneOf(c, 'agg', AGGS),
    groupBy: list(c, 'groupBy'),
  };
}

export function registerNativeMetrics(app: Hono<AppEnv>, ctx: ServerContext): void {
  const m = ctx.tl.metrics;

  app.post('/api/v1/metrics/write', nativeWrite<WritePoint>(ctx, 'points', '{ "name", "labels", "value", "tsMs"? }', (p) => ctx.ingest.metrics(p, 'native')));

  app.get('/api/v1/metrics/query', async (c) => sendJson(c, await m.query(queryFromParams(c))));

  app.post('/api/v1/metrics/query', async (c) => {
    const body = parseJson((await readBody(c, { maxBytes: 1 << 20, types: ['application/json'] })).bytes);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'INVALID_BODY', 'send a query object { name?, matchers?, fromMs, toMs, stepMs?, agg?, groupBy? }');
    const q = body as QueryOptions;
    if (q.matchers !== undefined) q.matchers = checkMatchers(q.matchers, 'matchers');
    return sendJson(c, await m.query(q));
  });

  app.get('/api/v1/metrics/latest', async (c) => sendJson(c, await m.latest(str(c, 'name'), matchersParam(c))));
  app.get('/api/v1/metrics/names', (c) => sendJson(c, m.listMetrics()));
  app.get('/api/v1/metrics/labels', (c) => sendJson(c, m.labelNames(str(c, 'name'))));
  app.get('/api/v1/metrics/labels/:label/values', (c) => sendJson(c, m.labelValues(str(c, 'name'), c.req.param('label'))));
  app.get('/api/v1/metrics/series', (c) => sendJson(c, m.series(str(c, 'name'), matchersParam(c))));

  app.get('/api/v1/metrics/meta/:name', (c) => {
    const meta = m.metricMeta(c.req.param('name'));
    if (meta === undefined) throw new HttpError(404, 'NOT_FOUND', `no metadata for metric '${c.req.param('name')}'`);
    return sendJson(c, meta);
  });

  app.put('/api/v1/metrics/meta/:name', async (c) => {
    const body = parseJson((await readBody(c, { maxBytes: 64 * 1024, types: ['application/json'] })).bytes) as { type?: unknown; unit?: unknown; help?: unknown };
    if (body === null || typeof body !== 'object' || !METRIC_TYPES.includes(body.type as MetricType)) {
      throw new HttpError(400, 'INVALID_BODY', `send { "type": one of ${METRIC_TYPES.join(', ')}, "unit"?, "help"? }`);
    }
    if ((body.unit !== undefined && typeof body.unit !== 'string') || (body.help !== undefined && typeof body.help !== 'string')) {
      throw new HttpError(400, 'INVALID_BODY', 'unit and help must be strings');
    }
    m.defineMetric(c.req.param('name'), { type: body.type as MetricType, unit: body.unit as string | undefined, help: body.help as string | undefined });
    return sendJson(c, m.metricMeta(c.req.param('name')));
  });

  app.get('/api/v1/metrics/stats', async (c) => sendJson(c, await m.stats()));
}
