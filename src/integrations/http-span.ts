// The server span of one HTTP request (issue #8), shaped by the OpenTelemetry HTTP semantic
// conventions (stable, v1.23+): name `{method} {route}`, kind server, status error only for 5xx.
// Shared by the Hono and node:http middlewares, which only differ in how they read the request.
import type { Attributes, SpanInput } from '../traces/types.js';
import { isSpanContextValid, trace as otelTrace } from '@opentelemetry/api';
import { otelContextActive } from './request-context.js';
import { newSpanId, newTraceId, parseTraceparent, type TraceParent } from './traceparent.js';

/** What a middleware knows about a request when it starts. */
export interface HttpRequestInfo {
  /** As received (e.g. 'GET'); normalized to `_OTHER` when not a known method. */
  method: string;
  /** Normalized method (see normalizeMethod). */
  normalizedMethod: string;
  /** Path without the query string. */
  path: string;
  scheme: 'http' | 'https';
  /** Host header (`host[:port]`), if any. */
  host?: string;
  userAgent?: string;
  clientAddress?: string;
  /** '1.1', '2' ... */
  protocolVersion?: string;
  traceparent?: string | string[] | null;
  tracestate?: string | string[] | null;
}

export interface ServerSpanStart {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  flags: number;
  traceState?: string;
  /** Wall clock at the start (Date.now()): the span's epoch. */
  startEpochMs: number;
  /** Monotonic clock at the start (performance.now()): durations. Numbers, not bigints: no allocation per request. */
  startMs: number;
}

export const HTTP_SCOPE = Object.freeze({ name: 'timeless-node/http' });

/**
 * The OTel span active where the middleware runs, if any. An app whose OTel SDK already instruments
 * node:http (auto-instrumentations) has made its own server span from the traceparent header by
 * then: ours becomes its child instead of a sibling that skips it.
 */
function activeOtelParent(): (TraceParent & { traceState?: string }) | undefined {
  const span = otelTrace.getActiveSpan();
  if (span === undefined) return undefined;
  const sc = span.spanContext();
  if (!isSpanContextValid(sc)) return undefined;
  const traceState = sc.traceState?.serialize();
  return { traceId: sc.traceId, parentSpanId: sc.spanId, flags: sc.traceFlags, traceState: traceState !== '' ? traceState : undefined };
}

/** Ids and start time of a request's span: child of the active OTel span, else of the incoming traceparent, else a new trace. */
export function startServerSpan(traceparent: string | string[] | null | undefined, tracestate?: string | string[] | null): ServerSpanStart {
  const startMs = performance.now();
  // Wall clock once per request for the epoch; durations come from the monotonic clock.
  const startEpochMs = Date.now();
  const active = otelContextActive() ? activeOtelParent() : undefined;
  if (active !== undefined) {
    return { traceId: active.traceId, spanId: newSpanId(), parentSpanId: active.parentSpanId, flags: active.flags, traceState: active.traceState, startEpochMs, startMs };
  }
  const parent = parseTraceparent(traceparent);
  if (parent === undefined) return { traceId: newTraceId(), spanId: newSpanId(), flags: 1, startEpochMs, startMs };
  return {
    traceId: parent.traceId,
    spanId: newSpanId(),
    parentSpanId: parent.parentSpanId,
    flags: parent.flags,
    // tracestate is only meaningful with a valid traceparent (W3C); one header value only.
    traceState: typeof tracestate === 'string' && tracestate !== '' ? tracestate : undefined,
    startEpochMs,
    startMs,
  };
}

/** `host[:port]` of a Host header → [address, port]; IPv6 literals keep their brackets off. */
export function splitHost(host: string | undefined, scheme: 'http' | 'https'): [string | undefined, number | undefined] {
  if (host === undefined || host === '') return [undefined, undefined];
  let address = host;
  let portText: string | undefined;
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close < 0) return [undefined, undefined];
    address = host.slice(1, close);
    if (host[close + 1] === ':') portText = host.slice(close + 2);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) {
      address = host.slice(0, colon);
      portText = host.slice(colon + 1);
    }
  }
  const port = portText !== undefined && /^\d{1,5}$/.test(portText) ? Number(portText) : scheme === 'https' ? 443 : 80;
  return [address, port];
}

// A server sees the same Host header on nearly every request: parsing it once saves a slice and a
// regex per request. One entry, so a server behind many names just parses as before.
let lastHost: string | undefined;
let lastScheme: 'http' | 'https' = 'http';
let lastSplit: [string | undefined, number | undefined] = [undefined, undefined];
function splitHostCached(host: string | undefined, scheme: 'http' | 'https'): [string | undefined, number | undefined] {
  if (host !== lastHost || scheme !== lastScheme) {
    lastSplit = splitHost(host, scheme);
    lastHost = host;
    lastScheme = scheme;
  }
  return lastSplit;
}

export interface ServerSpanEnd {
  /** Matched route pattern; '' when no route matched (the span is then named by method only). */
  route: string;
  status: number;
  /** performance.now() at the end. */
  endMs: number;
  /** Set when the response never completed (client went away). */
  abortedMessage?: string;
}

/** The finished span, ready for tl.traces.write(). */
export function buildServerSpan(info: HttpRequestInfo, start: ServerSpanStart, end: ServerSpanEnd): SpanInput {
  const attributes: Attributes = {
    'http.request.method': info.normalizedMethod,
    'url.path': info.path,
    'url.scheme': info.scheme,
    'http.response.status_code': end.status,
  };
  if (info.normalizedMethod !== info.method) attributes['http.request.method_original'] = info.method;
  if (end.route !== '') attributes['http.route'] = end.route;
  const [address, port] = splitHostCached(info.host, info.scheme);
  if (address !== undefined) attributes['server.address'] = address;
  if (port !== undefined) attributes['server.port'] = port;
  if (info.userAgent !== undefined && info.userAgent !== '') attributes['user_agent.original'] = info.userAgent;
  if (info.clientAddress !== undefined && info.clientAddress !== '') attributes['client.address'] = info.clientAddress;
  if (info.protocolVersion !== undefined) attributes['network.protocol.version'] = info.protocolVersion;

  let status: SpanInput['status'];
  if (end.abortedMessage !== undefined) {
    status = { code: 'error', message: end.abortedMessage };
    attributes['error.type'] = 'aborted';
  } else if (end.status >= 500) {
    // Semconv: a 5xx is a server error (4xx is the client's); error.type carries the status code.
    status = { code: 'error' };
    attributes['error.type'] = String(end.status);
  }
  const name = end.route !== '' ? `${info.normalizedMethod === '_OTHER' ? 'HTTP' : info.normalizedMethod} ${end.route}` : info.normalizedMethod === '_OTHER' ? 'HTTP' : info.normalizedMethod;
  const startNs = BigInt(start.startEpochMs) * 1_000_000n;
  const span: SpanInput = {
    traceId: start.traceId,
    spanId: start.spanId,
    name,
    kind: 'server',
    startNs,
    endNs: startNs + BigInt(Math.max(0, Math.round((end.endMs - start.startMs) * 1e6))),
    attributes,
    scope: HTTP_SCOPE,
    flags: start.flags,
  };
  if (start.parentSpanId !== undefined) span.parentSpanId = start.parentSpanId;
  if (start.traceState !== undefined) span.traceState = start.traceState;
  if (status !== undefined) span.status = status;
  return span;
}
