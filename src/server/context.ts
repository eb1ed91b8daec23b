// What every route module gets: the store, resolved options, the ingest helpers (lenient batch
// write + durable flush + counting + forwarding), the server's own counters.
import type { Context } from 'hono';
import type { Timeless } from '../store.js';
import type { WritePoint } from '../metrics/types.js';
import type { LogInput } from '../logs/types.js';
import type { SpanInput } from '../traces/types.js';
import { SelfMetrics } from './self-metrics.js';
import { Ingest } from './ingest.js';
import { createForwarder, type ForwardOptions } from './forward/forwarder.js';

export type AppEnv = { Variables: { requestId: string } };

/** Tees accepted data to another backend (src/server/forward). Calls never throw and never block. */
export interface Forwarder {
  metrics(points: readonly WritePoint[]): void;
  logs(entries: readonly LogInput[]): void;
  spans(spans: readonly SpanInput[]): void;
  /**
   * Lag and drops, for /metrics and /api/v1/stats: per endpoint (its URL without credentials), flat
   * numbers keyed snake_case with units (queued_records, oldest_age_seconds, ...); `_total` keys are
   * counters, the others gauges (src/server/forward/target-loop.ts).
   */
  stats(): Record<string, Record<string, number>>;
  close(): Promise<void>;
}

export interface AuthOptions {
  /** Basic auth (standalone: DASHBOARD_USER / DASHBOARD_PASS). */
  basic?: { user: string; pass: string };
  /** Bearer token (standalone: TIMELESS_BEARER_TOKEN). */
  bearerToken?: string;
}

export interface ServerOptions {
  /** Built-in auth; with neither basic nor bearer set, requests are not authenticated here. */
  auth?: AuthOptions;
  /**
   * Embedded mode: called for every request but /health (including SSE streams and downloads).
   * Return true to allow, false for 401, or a Response to answer with it.
   */
  authorize?: (c: Context) => boolean | Response | Promise<boolean | Response>;
  /** Largest accepted request body after decompression (default 64 MiB). */
  maxBodyBytes?: number;
  /**
   * Where the dashboard is served, relative to where the app is mounted: '/' (default) or e.g.
   * '/dashboard/'. Starts and ends with '/'; the path without its final '/' redirects to it.
   */
  dashboardPath?: string;
  /** An already-built forwarder (the caller closes it); wins over `forward`. */
  forwarder?: Forwarder;
  /** Tee accepted data to remote_write receivers / an OTLP collector (queues in <dataDir>/forward/). */
  forward?: ForwardOptions;
}

export interface ResolvedServerOptions {
  auth: AuthOptions;
  authorize: ServerOptions['authorize'];
  maxBodyBytes: number;
  dashboardPath: string;
}

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface ServerContext {
  tl: Timeless;
  options: ResolvedServerOptions;
  self: SelfMetrics;
  ingest: Ingest;
  forwarder: Forwarder | undefined;
  /** Releases what the app owns (a forwarder built from `forward` options); idempotent. */
  close(): Promise<void>;
}

export function createServerContext(tl: Timeless, options: ServerOptions = {}): ServerContext {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) throw new RangeError(`timeless: maxBodyBytes must be a positive integer, got ${String(maxBodyBytes)}`);
  const dashboardPath = options.dashboardPath ?? '/';
  // Plain segments only: the path is matched literally and also yields the dashboard's apiBase ('../' per segment).
  if (typeof dashboardPath !== 'string' || !/^\/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*\/)*$/.test(dashboardPath)) {
    throw new TypeError(`timeless: dashboardPath must start and end with '/' and hold plain path segments, got ${JSON.stringify(dashboardPath)}`);
  }
  const auth = options.auth ?? {};
  if (auth.basic && (typeof auth.basic.user !== 'string' || typeof auth.basic.pass !== 'string' || auth.basic.user === '' || auth.basic.pass === '')) {
    throw new TypeError('timeless: auth.basic needs a non-empty user and pass');
  }
  if (auth.bearerToken !== undefined && (typeof auth.bearerToken !== 'string' || auth.bearerToken === '')) {
    throw new TypeError('timeless: auth.bearerToken must be a non-empty string');
  }
  const self = new SelfMetrics();
  // Built here from `forward` options, the forwarder is the context's to close.
  const owned = options.forwarder === undefined && options.forward !== undefined ? createForwarder({ ...options.forward, dataDir: tl.dataDir }) : undefined;
  const forwarder = options.forwarder ?? owned;
  return {
    tl,
    options: { auth, authorize: options.authorize, maxBodyBytes, dashboardPath },
    self,
    ingest: new Ingest(tl, self, forwarder),
    forwarder,
    // A forwarder passed in is the caller's to close.
    close: async () => owned?.close(),
  };
}
