// Jaeger query API under /jaeger/api (what the Jaeger UI and Grafana's Jaeger data source call):
// services, operations, trace search, trace by id, and service dependencies. Answers use Jaeger's
// envelope { data, total, limit, offset, errors } and its error shape { data: null, errors: [{ code,
// msg }] } with the HTTP status in `code`. Parameters follow Jaeger's query service: start/end in
// epoch microseconds (default: the last 48 hours), minDuration/maxDuration as Go durations, limit =
// number of traces (default 100), tags as a JSON object or logfmt, traceID (repeatable) to fetch
// given traces. `lookback` (the UI's 1h/2d/... choice) sets start when start is absent.
//
// Tag semantics: the tags the translator synthesizes are matched on the span fields they come from
// (error, span.kind, otel.status_code, otel.status_description, otel.scope.name/version,
// w3c.tracestate); any other key matches a span attribute, or a resource attribute when the span has
// no attribute of that name (the engine's attribute filter, so it runs next to the data). Unlike some
// Jaeger backends, event (log) fields are not searched. `error=false` matches the spans whose status is
// not ERROR (Jaeger would match only spans carrying a literal error=false tag, which OTLP spans never
// have). `total` is the number of items in `data` on every route (Jaeger leaves it 0 on searches).
import type { Context, Hono } from 'hono';
import type { AppEnv, ServerContext } from '../context.js';
import { HttpError, toHttpError } from '../errors.js';
import {
  JaegerParamError, jaegerServiceName, jaegerSpanKind, parseGoDurationNs, parseJaegerTags, parseJaegerTraceId, toJaegerTrace,
  type JaegerTrace,
} from '../protocols/jaeger.js';
import { SPAN_KINDS, type Span, type SpanKind, type StatusCode, type TraceQuery, type SkippedBlock } from '../../traces/types.js';
import type { Timeless } from '../../store.js';

/** Jaeger's default search window and result count (query service defaults). */
const DEFAULT_LOOKBACK_NS = 48n * 3_600_000_000_000n;
const DEFAULT_LIMIT = 100;
/** The Jaeger UI's largest "Limit Results"; each trace is read whole, so the search is bounded. */
const MAX_LIMIT = 1500;
/** Spans per engine page while collecting trace ids. */
const SEARCH_PAGE = 1000;
/** Traces read at once while assembling an answer. */
const FETCH_CONCURRENCY = 4;
/** Dependencies: Jaeger's default lookback (24 h) and our bound on spans read for one answer. */
const DEFAULT_DEP_LOOKBACK_MS = 86_400_000;
export const MAX_DEPENDENCY_SPANS = 200_000;
const DEP_PAGE = 10_000;

const NS_PER_US = 1000n;
const NS_PER_MS = 1_000_000n;
/** Epoch ns are int64 in the store: bounds past it are clamped (a far-future `end` means "all"). */
const MAX_NS = 2n ** 63n - 1n;
const clampNs = (ns: bigint): bigint => (ns > MAX_NS ? MAX_NS : ns);

interface JaegerError {
  code?: number;
  msg: string;
  traceID?: string;
}

function envelope(data: unknown, total: number, errors: JaegerError[] | null = null) {
  return { data, total, limit: 0, offset: 0, errors: errors !== null && errors.length > 0 ? errors : null };
}

/** Runs a handler; any failure becomes Jaeger's error envelope with the right status. */
function jaegerRoute(ctx: ServerContext, handler: (c: Context<AppEnv>) => Promise<Response> | Response) {
  return async (c: Context<AppEnv>): Promise<Response> => {
    try {
      return await handler(c);
    } catch (err) {
      const h = err instanceof JaegerParamError ? new HttpError(400, 'BAD_REQUEST', err.message) : toHttpError(err);
      if (h.status >= 500 && !(err instanceof HttpError)) console.error(`timeless: ${c.req.method} ${c.req.path} failed:`, err);
      ctx.self.inc('timeless_http_errors_total', 'Error answers by status and code.', { status: String(h.status), code: h.code });
      for (const [k, v] of Object.entries(h.headers)) c.header(k, v);
      return c.json({ data: null, total: 0, limit: 0, offset: 0, errors: [{ code: h.status, msg: h.message }] }, h.status as 400);
    }
  };
}

/** Query parameters as Go's FormValue reads them: an empty value is an absent one. */
class Params {
  private readonly sp: URLSearchParams;
  constructor(c: Context) {
    this.sp = new URL(c.req.url).searchParams;
  }
  get(key: string): string | undefined {
    const v = this.sp.get(key);
    return v === null || v === '' ? undefined : v;
  }
  all(key: string): string[] {
    return this.sp.getAll(key).filter((v) => v !== '');
  }
}

function bad(message: string): JaegerParamError {
  return new JaegerParamError(message);
}

/** A non-negative integer parameter (epoch µs / ms, counts). */
function intParam(p: Params, key: string): bigint | undefined {
  const v = p.get(key);
  if (v === undefined) return undefined;
  if (!/^\d{1,19}$/.test(v)) throw bad(`unable to parse param '${key}': '${v}' is not a non-negative integer`);
  return BigInt(v);
}

function durationParam(p: Params, key: string): bigint | undefined {
  const v = p.get(key);
  if (v === undefined) return undefined;
  try {
    return parseGoDurationNs(v);
  } catch (err) {
    throw bad(`unable to parse param '${key}': ${(err as Error).message}`);
  }
}

// ------------------------------------------------------------------ search

export interface SpanSearch {
  query: TraceQuery;
  /** Filters the engine cannot apply (synthesized tags it has no field for). */
  post: Array<(s: Span) => boolean>;
  /** The filters contradict each other (or name a value no span can have): nothing matches. */
  impossible: boolean;
}

/** Jaeger tag filters -> engine fields, attribute filters and the rest as post-filters. */
export function compileTagFilters(tags: ReadonlyMap<string, string>, query: TraceQuery): SpanSearch {
  const post: Array<(s: Span) => boolean> = [];
  const attributes: Record<string, string> = {};
  let impossible = false;
  let kind: SpanKind | undefined;
  let status: StatusCode | undefined;
  const wantStatus = (s: StatusCode) => {
    if (status !== undefined && status !== s) impossible = true;
    status = s;
  };
  for (const [key, value] of tags) {
    switch (key) {
      case 'error':
        if (value === 'true') wantStatus('error');
        else if (value === 'false') post.push((s) => s.status.code !== 'error');
        else impossible = true; // the synthesized tag is a bool: its text is true or false
        break;
      case 'span.kind':
        if (value !== 'unspecified' && (SPAN_KINDS as readonly string[]).includes(value)) {
          if (kind !== undefined && kind !== value) impossible = true;
          kind = value as SpanKind;
        } else impossible = true;
        break;
      case 'otel.status_code':
        if (value === 'OK') wantStatus('ok');
        else if (value === 'ERROR') wantStatus('error');
        else impossible = true;
        break;
      case 'otel.status_description':
        post.push((s) => s.status.message === value);
        break;
      case 'otel.scope.name':
        post.push((s) => s.scope.name === value);
        break;
      case 'otel.scope.version':
        post.push((s) => s.scope.version === value);
        break;
      case 'w3c.tracestate':
        post.push((s) => s.traceState === value);
        break;
      default:
        attributes[key] = value;
    }
  }
  const q: TraceQuery = { ...query };
  if (Object.keys(attributes).length > 0) q.attributes = attributes;
  if (kind !== undefined) q.kind = kind;
  if (status !== undefined) q.status = status;
  if (status === 'error' && tags.get('error') === 'false') impossible = true;
  return { query: q, post, impossible };
}

/**
 * Ids of the traces with a matching span, newest matching span first, at most `limit`; pages
 * through the engine with its cursor. Skipped (unreadable) blocks are collected for the answer.
 */
export async function searchTraceIds(tl: Timeless, search: SpanSearch, limit: number, skipped: SkippedBlock[]): Promise<string[]> {
  const ids = new Set<string>();
  if (search.impossible) return [];
  let cursor: string | undefined;
  for (;;) {
    const r = await tl.traces.query({ ...search.query, limit: SEARCH_PAGE, ...(cursor !== undefined ? { cursor } : {}) });
    for (const b of r.skipped) skipped.push(b);
    for (const s of r.spans) {
      if (ids.has(s.traceId) || !search.post.every((f) => f(s))) continue;
      ids.add(s.traceId);
      if (ids.size >= limit) return [...ids];
    }
    if (r.cursor === undefined) return [...ids];
    cursor = r.cursor;
  }
}

function skippedText(b: SkippedBlock): string {
  return `a block of the store could not be read and was skipped (${b.file} @${b.offset}: ${b.code} ${b.message}); spans may be missing`;
}

/** Whole traces by id (in the given order), FETCH_CONCURRENCY at a time; absent ones are left out. */
async function fetchTraces(tl: Timeless, ids: readonly string[]): Promise<Array<JaegerTrace | undefined>> {
  const out: Array<JaegerTrace | undefined> = new Array(ids.length);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const i = next++;
      const r = await tl.traces.trace(ids[i]);
      out[i] = r.spans.length === 0 ? undefined : toJaegerTrace(r.traceId, r.spans, r.skipped.map(skippedText));
    }
  };
  await Promise.all(Array.from({ length: Math.min(FETCH_CONCURRENCY, ids.length) }, worker));
  return out;
}

async function search(c: Context<AppEnv>, tl: Timeless): Promise<Response> {
  const p = new Params(c);
  const traceIDs = p.all('traceID');
  const service = p.get('service');
  const endUs = intParam(p, 'end');
  const startUs = intParam(p, 'start');
  const tags = parseJaegerTags(p.all('tags'), p.all('tag'));
  const limitRaw = intParam(p, 'limit');
  const minDurationNs = durationParam(p, 'minDuration');
  const maxDurationNs = durationParam(p, 'maxDuration');
  if (limitRaw !== undefined && limitRaw > BigInt(MAX_LIMIT)) throw bad(`limit must be at most ${MAX_LIMIT} traces, got ${limitRaw}`);
  const limit = limitRaw === undefined || limitRaw === 0n ? DEFAULT_LIMIT : Number(limitRaw);
  const ids: string[] = [];
  for (const t of traceIDs) {
    const id = parseJaegerTraceId(t);
    if (id === undefined) throw bad(`cannot parse traceID param: '${t}' is not 1 to 32 hex digits`);
    ids.push(id);
  }
  if (ids.length === 0 && service === undefined) throw bad("parameter 'service' is required");
  if (minDurationNs !== undefined && maxDurationNs !== undefined && maxDurationNs < minDurationNs) throw bad("'maxDuration' should be greater than 'minDuration'");

  if (ids.length > 0) {
    // Jaeger: explicit trace ids are fetched as they are; missing ones are listed in errors.
    const traces = await fetchTraces(tl, ids);
    const errors: JaegerError[] = [];
    traces.forEach((t, i) => {
      if (t === undefined) errors.push({ msg: 'trace not found', traceID: ids[i] });
    });
    const data = traces.filter((t): t is JaegerTrace => t !== undefined);
    return c.json(envelope(data, data.length, errors));
  }

  const nowNs = BigInt(Date.now()) * NS_PER_MS;
  const toNsIncl = endUs !== undefined ? clampNs(endUs * NS_PER_US) : nowNs;
  let fromNs: bigint;
  if (startUs !== undefined) fromNs = clampNs(startUs * NS_PER_US);
  else {
    const lookback = p.get('lookback');
    let lookbackNs = DEFAULT_LOOKBACK_NS;
    if (lookback !== undefined && lookback !== 'custom') {
      try {
        lookbackNs = parseGoDurationNs(lookback, { days: true });
      } catch (err) {
        throw bad(`unable to parse param 'lookback': ${(err as Error).message}`);
      }
    }
    fromNs = toNsIncl > lookbackNs ? toNsIncl - lookbackNs : 0n;
  }
  if (fromNs > toNsIncl) throw bad(`'start' (${fromNs / NS_PER_US} µs) is after 'end' (${toNsIncl / NS_PER_US} µs)`);

  const base: TraceQuery = {
    service,
    fromNs,
    // end is inclusive to the microsecond (Jaeger's precision); the engine's bound is exclusive.
    toNs: clampNs(toNsIncl + NS_PER_US),
  };
  if (p.get('operation') !== undefined) base.name = p.get('operation');
  if (minDurationNs !== undefined && minDurationNs > 0n) base.minDurationMs = Number(minDurationNs) / 1e6;
  if (maxDurationNs !== undefined && maxDurationNs > 0n) base.maxDurationMs = Number(maxDurationNs) / 1e6;
  const skipped: SkippedBlock[] = [];
  const found = await searchTraceIds(tl, compileTagFilters(tags, base), limit, skipped);
  const data = (await fetchTraces(tl, found)).filter((t): t is JaegerTrace => t !== undefined);
  const seen = new Set<string>();
  const errors: JaegerError[] = [];
  for (const b of skipped) {
    const k = `${b.file}@${b.offset}`;
    if (seen.has(k)) continue;
    seen.add(k);
    errors.push({ msg: skippedText(b) });
  }
  return c.json(envelope(data, data.length, errors));
}

// ------------------------------------------------------------------ dependencies

export interface DependencyLink {
  parent: string;
  child: string;
  callCount: number;
}

/**
 * Service-to-service calls among spans starting in [fromNs, toNs): a span whose parent is in the
 * window and belongs to another service counts one call parent service -> child service (what
 * Jaeger's dependency job counts). Reads at most MAX_DEPENDENCY_SPANS, newest first.
 */
export async function computeDependencies(tl: Timeless, fromNs: bigint, toNs: bigint, maxSpans = MAX_DEPENDENCY_SPANS): Promise<{ links: DependencyLink[]; truncated: boolean; skipped: SkippedBlock[] }> {
  const serviceOf = new Map<string, string>();
  const edges: Array<[parentKey: string, childService: string]> = [];
  const skipped: SkippedBlock[] = [];
  let read = 0;
  let truncated = false;
  let cursor: string | undefined;
  for (;;) {
    const r = await tl.traces.query({ fromNs, toNs, limit: DEP_PAGE, ...(cursor !== undefined ? { cursor } : {}) });
    for (const b of r.skipped) skipped.push(b);
    for (const s of r.spans) {
      if (read >= maxSpans) {
        truncated = true;
        break;
      }
      read++;
      const svc = jaegerServiceName(s);
      serviceOf.set(s.traceId + s.spanId, svc);
      if (s.parentSpanId !== undefined) edges.push([s.traceId + s.parentSpanId, svc]);
    }
    if (truncated || r.cursor === undefined) break;
    cursor = r.cursor;
  }
  const counts = new Map<string, DependencyLink>();
  for (const [parentKey, child] of edges) {
    const parent = serviceOf.get(parentKey);
    if (parent === undefined || parent === child) continue;
    const k = `${parent}\u0000${child}`;
    const link = counts.get(k);
    if (link) link.callCount++;
    else counts.set(k, { parent, child, callCount: 1 });
  }
  const links = [...counts.values()].sort((a, b) => (a.parent !== b.parent ? (a.parent < b.parent ? -1 : 1) : a.child < b.child ? -1 : a.child > b.child ? 1 : 0));
  return { links, truncated, skipped };
}

async function dependencies(c: Context<AppEnv>, tl: Timeless): Promise<Response> {
  const p = new Params(c);
  const endTsMs = intParam(p, 'endTs') ?? BigInt(Date.now());
  const lookbackMs = intParam(p, 'lookback') ?? BigInt(DEFAULT_DEP_LOOKBACK_MS);
  const service = p.get('service');
  const fromMs = endTsMs > lookbackMs ? endTsMs - lookbackMs : 0n;
  const { links, truncated, skipped } = await computeDependencies(tl, clampNs(fromMs * NS_PER_MS), clampNs((endTsMs + 1n) * NS_PER_MS));
  const data = service === undefined ? links : links.filter((l) => l.parent === service || l.child === service);
  const errors: JaegerError[] = skipped.map((b) => ({ msg: skippedText(b) }));
  if (truncated) errors.push({ msg: `the window holds more than ${MAX_DEPENDENCY_SPANS} spans; only the newest ${MAX_DEPENDENCY_SPANS} were counted (shorten lookback for exact counts)` });
  return c.json(envelope(data, data.length, errors));
}

// ------------------------------------------------------------------ routes

export function registerJaeger(app: Hono<AppEnv>, ctx: ServerContext): void {
  const tl = ctx.tl;

  app.get(
    '/jaeger/api/services',
    jaegerRoute(ctx, (c) => {
      const services = tl.traces.services();
      return c.json(envelope(services, services.length));
    }),
  );

  // The UI's (legacy) operation list: unique names of every kind.
  app.get(
    '/jaeger/api/services/:service/operations',
    jaegerRoute(ctx, (c) => {
      const names = [...new Set(tl.traces.operations(c.req.param('service') ?? '').map((o) => o.name))].sort();
      return c.json(envelope(names, names.length));
    }),
  );

  app.get(
    '/jaeger/api/operations',
    jaegerRoute(ctx, (c) => {
      const p = new Params(c);
      const service = p.get('service');
      if (service === undefined) throw bad("parameter 'service' is required");
      const spanKind = p.get('spanKind');
      const kinds = SPAN_KINDS.filter((k) => k !== 'unspecified');
      if (spanKind !== undefined && !(kinds as readonly string[]).includes(spanKind)) {
        throw bad(`unable to parse param 'spanKind': '${spanKind}' is not one of ${kinds.join(', ')} (or empty for all)`);
      }
      const data = tl.traces
        .operations(service)
        .filter((o) => spanKind === undefined || o.kind === spanKind)
        .map((o) => ({ name: o.name, spanKind: jaegerSpanKind(o.kind) }));
      return c.json(envelope(data, data.length));
    }),
  );

  app.get('/jaeger/api/traces', jaegerRoute(ctx, (c) => search(c, tl)));

  app.get(
    '/jaeger/api/traces/:traceId',
    jaegerRoute(ctx, async (c) => {
      const raw = c.req.param('traceId') ?? '';
      const id = parseJaegerTraceId(raw);
      if (id === undefined) throw bad(`cannot parse trace id '${raw}': expected 1 to 32 hex digits`);
      const p = new Params(c);
      // Accepted for compatibility (the UI may send them); a trace is always returned whole.
      intParam(p, 'start');
      intParam(p, 'end');
      const [t] = await fetchTraces(tl, [id]);
      if (t === undefined) throw new HttpError(404, 'NOT_FOUND', 'trace not found');
      return c.json(envelope([t], 1));
    }),
  );

  app.get('/jaeger/api/dependencies', jaegerRoute(ctx, (c) => dependencies(c, tl)));
}
