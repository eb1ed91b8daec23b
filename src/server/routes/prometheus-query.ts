// The Prometheus query API under /prometheus/api/v1/ (what Grafana and promtool read): query,
// query_range, labels, label values, series, metadata, buildinfo. Answers use Prometheus' envelope
// `{status:"success", data}` and, on failure, its error shape `{status:"error", errorType, error}`
// with its status codes (400 bad_data, 422 execution, 503 timeout) — not this server's own error
// JSON, because those clients parse Prometheus' shape. Parameters come from the query string or a
// form-encoded POST body, as in Prometheus.
import type { Context, Hono } from 'hono';
import type { AppEnv, ServerContext } from '../context.js';
import { readBody, mediaType } from '../body.js';
import { HttpError, toHttpError } from '../errors.js';
import type { LabelMatcher } from '../../metrics/types.js';
import { BadParamError, invalidParam, MAX_TIME_MS, MIN_TIME_MS, parseDurationParamMs, parseTimeMs } from '../promql/api-params.js';
import { resultDataJson, successJson, labelsJson } from '../promql/api-json.js';
import { documentedType } from '../promql/ast.js';
import { EvalError, ParseError, TimeoutError } from '../promql/errors.js';
import { DEFAULT_LOOKBACK_MS, instantQuery, rangeQuery } from '../promql/eval.js';
import { parseExpr, parseSeriesSelector, typeOf } from '../promql/parser.js';
import { matcherAccepts, storeMatchers, timelessStorage } from '../promql/storage.js';
import { compareLabels, labelsKey, LABEL_NAME_RE, METRIC_NAME, type Labels } from '../promql/values.js';

const BASE = '/prometheus/api/v1';
/** Prometheus' default --query.timeout. */
const DEFAULT_TIMEOUT_MS = 2 * 60_000;
/** Prometheus refuses range queries with more points per series than this. */
const MAX_POINTS_PER_SERIES = 11_000;
/**
 * Longest `query` accepted (characters). Hand-written and Grafana-generated PromQL is a few KB;
 * without a bound, a form POST could hand the parser up to the server's body limit (64 MiB).
 */
export const MAX_QUERY_CHARS = 128 * 1024;
/** A form-encoded POST body holds a query and a few parameters (or many match[] selectors). */
export const MAX_FORM_BYTES = 1024 * 1024;

/** The version whose PromQL semantics this implementation follows (Grafana reads it for features). */
const BUILD_INFO = { version: '2.42.0', revision: 'timeless-node', branch: 'timeless-node', buildUser: 'timeless-node', buildDate: '', goVersion: 'none (TypeScript PromQL in timeless-node)' };

interface Params {
  get(name: string): string | undefined;
  getAll(name: string): string[];
}

async function readParams(c: Context<AppEnv>, ctx: ServerContext): Promise<Params> {
  const query = new URL(c.req.url).searchParams;
  let form: URLSearchParams | undefined;
  if (c.req.method === 'POST' && mediaType(c) === 'application/x-www-form-urlencoded') {
    const body = await readBody(c, { maxBytes: Math.min(ctx.options.maxBodyBytes, MAX_FORM_BYTES) });
    form = new URLSearchParams(Buffer.from(body.bytes).toString('utf8'));
  }
  // As Go's r.FormValue: body values first, then the query string.
  return {
    get: (name) => form?.get(name) ?? query.get(name) ?? undefined,
    getAll: (name) => [...(form?.getAll(name) ?? []), ...query.getAll(name)],
  };
}

interface ApiError {
  status: number;
  type: string;
  message: string;
}

function toApiError(err: unknown, c: Context<AppEnv>): ApiError {
  if (err instanceof BadParamError) return { status: 400, type: 'bad_data', message: err.message };
  if (err instanceof ParseError) return { status: 400, type: 'bad_data', message: err.message };
  if (err instanceof EvalError) return { status: 422, type: 'execution', message: err.message };
  if (err instanceof TimeoutError) return { status: 503, type: 'timeout', message: err.message };
  const h = toHttpError(err);
  if (h.status >= 500 && !(err instanceof HttpError) && h.code === 'INTERNAL') console.error(`timeless: ${c.req.method} ${c.req.path} failed:`, err);
  if (h.status === 503) return { status: 503, type: 'unavailable', message: h.message };
  if (h.status >= 500) return { status: h.status, type: 'internal', message: h.message };
  return { status: h.status, type: 'bad_data', message: h.message };
}

/** An optional time parameter (Prometheus' parseTimeParam, whose errors name the parameter twice). */
function timeParam(p: Params, name: string, dflt: number): number {
  const v = p.get(name);
  if (v === undefined || v === '') return dflt;
  try {
    return parseTimeMs(v);
  } catch (err) {
    throw invalidParam(name, new Error(`Invalid time value for '${name}': ${(err as Error).message}`));
  }
}

/** A required time parameter (query_range's start/end). */
function requiredTimeParam(p: Params, name: string): number {
  try {
    return parseTimeMs(p.get(name) ?? '');
  } catch (err) {
    throw invalidParam(name, err);
  }
}

function durationParam(p: Params, name: string): number | undefined {
  const v = p.get(name);
  if (v === undefined || v === '') return undefined;
  try {
    return parseDurationParamMs(v);
  } catch (err) {
    throw invalidParam(name, err);
  }
}

function evalOptions(p: Params): { lookbackMs: number; deadlineMs: number } {
  const timeoutMs = durationParam(p, 'timeout') ?? DEFAULT_TIMEOUT_MS;
  // As Prometheus: a timeout under a millisecond has expired before the query starts.
  if (timeoutMs <= 0) throw new TimeoutError('query timed out in query queue');
  const lookback = durationParam(p, 'lookback_delta');
  if (lookback !== undefined && lookback < 0) throw new BadParamError('invalid parameter "lookback_delta": must not be negative');
  return { lookbackMs: lookback === undefined || lookback === 0 ? DEFAULT_LOOKBACK_MS : lookback, deadlineMs: Date.now() + timeoutMs };
}

function parseQuery(p: Params) {
  const text = p.get('query') ?? '';
  if (text.length > MAX_QUERY_CHARS) {
    throw invalidParam('query', new Error(`the query is ${text.length} characters long; at most ${MAX_QUERY_CHARS} are accepted`));
  }
  try {
    return parseExpr(text);
  } catch (err) {
    throw invalidParam('query', err);
  }
}

/** Matchers of every `match[]` selector (none when the parameter is absent). */
function matchSelectors(p: Params): LabelMatcher[][] {
  return p.getAll('match[]').map((s) => {
    try {
      return parseSeriesSelector(s).matchers;
    } catch (err) {
      throw invalidParam('match[]', err);
    }
  });
}

/** Series (name + labels) matching any selector, deduplicated; optionally only those with samples in [fromMs, toMs]. */
async function matchingSeries(ctx: ServerContext, selectors: LabelMatcher[][], fromMs?: number, toMs?: number): Promise<Labels[]> {
  const out = new Map<string, Labels>();
  for (const matchers of selectors) {
    const { store, post, name } = storeMatchers(matchers);
    let found: Array<{ name: string; labels: Record<string, string> }>;
    if (fromMs === undefined || toMs === undefined) {
      found = ctx.tl.metrics.series(name, store);
    } else {
      // Only series with samples in the range: one count bucket over the whole range per series.
      const lo = Math.max(0, Math.floor(fromMs));
      const hi = Math.max(lo, Math.floor(toMs));
      found = await ctx.tl.metrics.query({ name, matchers: store, fromMs: lo, toMs: hi, stepMs: hi - lo + 1, agg: 'count' });
    }
    for (const s of found) {
      const labels: Labels = { [METRIC_NAME]: s.name, ...s.labels };
      if (!post.every((m) => matcherAccepts(m, labels[m.label] ?? ''))) continue;
      out.set(labelsKey(labels), labels);
    }
  }
  return [...out.values()].sort(compareLabels);
}

/** start/end of series-style endpoints, when the client bounded the range. */
function rangeParams(p: Params): { fromMs?: number; toMs?: number } {
  const fromMs = timeParam(p, 'start', MIN_TIME_MS);
  const toMs = timeParam(p, 'end', MAX_TIME_MS);
  if (fromMs === MIN_TIME_MS && toMs === MAX_TIME_MS) return {};
  if (toMs < fromMs) throw new BadParamError('invalid parameter "end": end timestamp must not be before start time');
  return { fromMs, toMs };
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function registerPrometheusQuery(app: Hono<AppEnv>, ctx: ServerContext): void {
  const storage = timelessStorage(ctx.tl.metrics);

  const handle = (fn: (p: Params, c: Context<AppEnv>) => Promise<string>) => async (c: Context<AppEnv>) => {
    try {
      const p = await readParams(c, ctx);
      const data = await fn(p, c);
      return c.body(successJson(data), 200, { 'content-type': 'application/json' });
    } catch (err) {
      const e = toApiError(err, c);
      ctx.self.inc('timeless_http_errors_total', 'Error answers by status and code.', { status: String(e.status), code: e.type });
      return c.body(JSON.stringify({ status: 'error', errorType: e.type, error: e.message }), e.status as 400, { 'content-type': 'application/json' });
    }
  };

  app.on(['GET', 'POST'], `${BASE}/query`, handle(async (p) => {
    const tMs = timeParam(p, 'time', Date.now());
    const opts = evalOptions(p);
    const expr = parseQuery(p);
    return resultDataJson(await instantQuery(storage, expr, tMs, opts));
  }));

  app.on(['GET', 'POST'], `${BASE}/query_range`, handle(async (p) => {
    const startMs = requiredTimeParam(p, 'start');
    const endMs = requiredTimeParam(p, 'end');
    if (endMs < startMs) throw new BadParamError('invalid parameter "end": end timestamp must not be before start time');
    const stepMs = durationParam(p, 'step');
    if (stepMs === undefined) throw invalidParam('step', new Error('cannot parse "" to a valid duration'));
    if (!(stepMs > 0)) throw new BadParamError('invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer');
    if (Math.trunc((endMs - startMs) / stepMs) > MAX_POINTS_PER_SERIES) {
      throw new BadParamError('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
    }
    const opts = evalOptions(p);
    const expr = parseQuery(p);
    const t = typeOf(expr);
    if (t !== 'scalar' && t !== 'vector') {
      throw new BadParamError(`invalid expression type ${JSON.stringify(documentedType(t))} for range query, must be Scalar or instant Vector`);
    }
    return resultDataJson(await rangeQuery(storage, expr, startMs, endMs, stepMs, opts));
  }));

  app.on(['GET', 'POST'], `${BASE}/labels`, handle(async (p) => {
    const selectors = matchSelectors(p);
    if (selectors.length === 0) {
      const names = ctx.tl.metrics.labelNames();
      if (ctx.tl.metrics.listMetrics().length > 0) names.push(METRIC_NAME);
      return JSON.stringify(sortedUnique(names));
    }
    const { fromMs, toMs } = rangeParams(p);
    const names: string[] = [];
    for (const l of await matchingSeries(ctx, selectors, fromMs, toMs)) names.push(...Object.keys(l));
    return JSON.stringify(sortedUnique(names));
  }));

  app.get(`${BASE}/label/:name/values`, handle(async (p, c) => {
    const name = c.req.param('name') ?? '';
    if (!LABEL_NAME_RE.test(name)) throw new BadParamError(`invalid label name: ${JSON.stringify(name)}`);
    const selectors = matchSelectors(p);
    if (selectors.length === 0) {
      const values = name === METRIC_NAME ? ctx.tl.metrics.listMetrics() : ctx.tl.metrics.labelValues(undefined, name);
      return JSON.stringify(sortedUnique(values));
    }
    const { fromMs, toMs } = rangeParams(p);
    const values: string[] = [];
    for (const l of await matchingSeries(ctx, selectors, fromMs, toMs)) if (l[name] !== undefined) values.push(l[name]);
    return JSON.stringify(sortedUnique(values));
  }));

  app.on(['GET', 'POST'], `${BASE}/series`, handle(async (p) => {
    const selectors = matchSelectors(p);
    if (selectors.length === 0) throw new BadParamError('no match[] parameter provided');
    const { fromMs, toMs } = rangeParams(p);
    const series = await matchingSeries(ctx, selectors, fromMs, toMs);
    return `[${series.map(labelsJson).join(',')}]`;
  }));

  app.get(`${BASE}/metadata`, handle(async (p) => {
    const only = p.get('metric');
    const limitText = p.get('limit');
    const limit = limitText === undefined || limitText === '' ? -1 : Number(limitText);
    if (!Number.isInteger(limit)) throw invalidParam('limit', new Error(`cannot parse ${JSON.stringify(limitText)} to a valid limit`));
    const out: Record<string, Array<{ type: string; help: string; unit: string }>> = {};
    let n = 0;
    for (const name of only ? [only] : ctx.tl.metrics.listMetrics()) {
      if (limit >= 0 && n >= limit) break;
      const meta = ctx.tl.metrics.metricMeta(name);
      if (meta === undefined) continue;
      out[name] = [{ type: meta.type, help: meta.help ?? '', unit: meta.unit ?? '' }];
      n++;
    }
    return JSON.stringify(out);
  }));

  // Exemplars are not stored: the honest answer is an empty list (Grafana asks for them).
  app.on(['GET', 'POST'], `${BASE}/query_exemplars`, handle(async () => '[]'));

  app.get(`${BASE}/status/buildinfo`, handle(async () => JSON.stringify(BUILD_INFO)));
}
