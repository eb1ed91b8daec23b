// createForwarder: tees accepted data to Prometheus remote_write receivers and/or an OTLP/HTTP
// collector (DESIGN.md §7, issue #6 "Forwarding"). Each endpoint has its own bounded on-disk queue
// (<dataDir>/forward/<target-id>/) and background loop, so the ingest path only encodes and appends
// (never waits for the network, never throws) and an outage or a restart loses nothing until the
// queue's bound is reached; then the oldest data goes first, counted.
import { createHash } from 'node:crypto';
import { resolveIdentity } from '../../integrations/identity.js';
import path from 'node:path';
import type { WritePoint } from '../../metrics/types.js';
import type { LogInput, Resource } from '../../logs/types.js';
import { checkResource, ResourceCache } from '../../logs/normalize.js';
import type { Attributes, SpanInput } from '../../traces/types.js';
import { SpanDefaults } from '../../traces/normalize.js';
import type { Forwarder } from '../context.js';
import { DiskQueue } from './queue.js';
import { encodeMetricsFrames, remoteWriteRequest } from './remote-write-target.js';
import { encodeLogsFrames, encodeSpansFrames, otlpRequest, type OtlpSignal } from './otlp-target.js';
import { TargetLoop } from './target-loop.js';

export interface ForwardOptions {
  /** Prometheus remote_write endpoints, e.g. http://victoria:8428/api/v1/write. */
  remoteWrite?: string[];
  /** OTLP/HTTP base URL (e.g. http://collector:4318): logs go to <otlp>/v1/logs, spans to /v1/traces. */
  otlp?: string;
  /** Bound on each endpoint's queue files (default 256 MiB); past it the oldest data is dropped. */
  maxQueueBytes?: number;
  /** Extra request headers for every endpoint (X-Scope-OrgID, Authorization...). URL user:pass@ becomes Basic auth. */
  headers?: Record<string, string>;
  /** Items per request at most (default 2000). */
  batchRecords?: number;
  /** Retry backoff bounds (defaults 500 ms and 30 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** One request's time limit (default 30 s). */
  timeoutMs?: number;
  /** Resource defaults stamped on forwarded logs/spans, as the store's logs.resource / traces.resource
   * options do (default: the service identity, src/integrations/identity.ts). */
  logsResource?: Resource;
  tracesResource?: Attributes;
  log?: (message: string) => void;
}

export interface ForwarderOptions extends ForwardOptions {
  /** The store's data directory: queues live in <dataDir>/forward/. */
  dataDir: string;
}

/** Per endpoint (URL without credentials): flat numbers, see TargetLoop.stats(). */
export type ForwarderStats = Record<string, Record<string, number>>;

const DEFAULT_MAX_QUEUE_BYTES = 256 * 1024 * 1024;
const DEFAULT_BATCH_RECORDS = 2000;
/** Uncompressed queue bytes per request at most. */
const BATCH_BYTES = 4 * 1024 * 1024;
/** Items per queue frame: a batch is a few frames, a duplicate after a crash at most one batch. */
const FRAME_RECORDS = 500;
const SYNC_INTERVAL_MS = 1000;
/** How long close() lets a request in flight finish before aborting it. */
const CLOSE_GRACE_MS = 2000;

interface Endpoint {
  url: string;
  label: string;
  headers: Record<string, string>;
}

export function createForwarder(options: ForwarderOptions): Forwarder & { stats(): ForwarderStats } {
  const o = checkOptions(options);
  const log = options.log ?? ((m: string) => console.warn(m));
  const root = path.join(options.dataDir, 'forward');
  const loops: TargetLoop[] = [];
  const rw: TargetLoop[] = [];
  const otlp: Partial<Record<OtlpSignal, TargetLoop>> = {};
  const common = { batchRecords: o.batchRecords, batchBytes: BATCH_BYTES, minBackoffMs: o.minBackoffMs, maxBackoffMs: o.maxBackoffMs, timeoutMs: o.timeoutMs, log };
  const openQueue = (kind: string, label: string): DiskQueue =>
    DiskQueue.open({ dir: path.join(root, `${kind}-${createHash('sha256').update(label).digest('hex').slice(0, 16)}`), maxBytes: o.maxQueueBytes, log });
  try {
    for (const e of o.remoteWrite) {
      const loop = new TargetLoop({ ...common, label: e.label, queue: openQueue('remote-write', e.label), build: (p) => remoteWriteRequest(e.url, e.headers, p) });
      rw.push(loop);
      loops.push(loop);
    }
    if (o.otlp !== undefined) {
      for (const signal of ['logs', 'traces'] as const) {
        const e = otlpEndpoint(o.otlp, signal);
        const loop = new TargetLoop({ ...common, label: e.label, queue: openQueue(`otlp-${signal}`, e.label), build: (p) => otlpRequest(e.url, e.headers, signal, p) });
        otlp[signal] = loop;
        loops.push(loop);
      }
    }
  } catch (err) {
    for (const l of loops) void l.close(0);
    throw err;
  }
  const resources = new ResourceCache(Object.freeze(checkResource(defaultResource(options.logsResource), 'forward.logsResource')));
  const spanDefaults = new SpanDefaults(defaultResource(options.tracesResource));
  const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;
  for (const l of loops) l.start();
  const syncTimer = setInterval(() => {
    for (const l of loops) void l.sync();
  }, SYNC_INTERVAL_MS).unref();
  let closing: Promise<void> | undefined;

  // Encoding happens once per call, shared by every endpoint of the signal; an item the store
  // accepted always encodes, but should one not, the batch is counted as dropped, never thrown.
  function tee(targets: readonly TargetLoop[], count: number, encode: () => Array<{ payload: Uint8Array; records: number }>): void {
    if (targets.length === 0 || count === 0) return;
    let frames: Array<{ payload: Uint8Array; records: number }>;
    try {
      frames = encode();
    } catch (err) {
      for (const t of targets) t.discard(count, `cannot encode ${count} items: ${(err as Error).message}`);
      return;
    }
    for (const t of targets) t.append(frames);
  }

  return {
    metrics(points: readonly WritePoint[]): void {
      tee(rw, points.length, () => encodeMetricsFrames(points, Date.now(), FRAME_RECORDS));
    },
    logs(entries: readonly LogInput[]): void {
      tee(otlp.logs === undefined ? [] : [otlp.logs], entries.length, () => encodeLogsFrames(entries, resources, nowNs, FRAME_RECORDS));
    },
    spans(spans: readonly SpanInput[]): void {
      tee(otlp.traces === undefined ? [] : [otlp.traces], spans.length, () => encodeSpansFrames(spans, spanDefaults, FRAME_RECORDS));
    },
    stats(): ForwarderStats {
      const out: ForwarderStats = {};
      for (const l of loops) out[l.label] = l.stats();
      return out;
    },
    close(): Promise<void> {
      closing ??= (async () => {
        clearInterval(syncTimer);
        await Promise.all(loops.map((l) => l.close(CLOSE_GRACE_MS)));
      })();
      return closing;
    },
  };
}

/** The store's default resource (src/store.ts: the service identity) under the caller's. */
function defaultResource(own: Attributes | undefined): Attributes {
  return { ...resolveIdentity(), ...(own ?? {}) };
}

function checkOptions(opts: ForwarderOptions): {
  remoteWrite: Endpoint[];
  otlp: Endpoint | undefined;
  maxQueueBytes: number;
  batchRecords: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  timeoutMs: number;
} {
  if (opts === null || typeof opts !== 'object' || typeof opts.dataDir !== 'string' || opts.dataDir === '') throw new TypeError('timeless: createForwarder needs { dataDir: string }');
  const headers = opts.headers ?? {};
  if (headers === null || typeof headers !== 'object' || Object.values(headers).some((v) => typeof v !== 'string')) throw new TypeError('timeless: forward.headers must be an object of string values');
  if (opts.remoteWrite !== undefined && (!Array.isArray(opts.remoteWrite) || opts.remoteWrite.some((u) => typeof u !== 'string'))) {
    throw new TypeError('timeless: forward.remoteWrite must be an array of URLs (e.g. ["http://victoria:8428/api/v1/write"])');
  }
  if (opts.otlp !== undefined && typeof opts.otlp !== 'string') throw new TypeError('timeless: forward.otlp must be a URL string (e.g. "http://collector:4318")');
  const remoteWrite = [...new Set(opts.remoteWrite ?? [])].map((u) => endpoint(u, headers, 'forward.remoteWrite'));
  const otlp = opts.otlp === undefined ? undefined : endpoint(opts.otlp, headers, 'forward.otlp');
  if (remoteWrite.length === 0 && otlp === undefined) throw new TypeError('timeless: forward needs remoteWrite URLs and/or an otlp URL');
  return {
    remoteWrite,
    otlp,
    maxQueueBytes: positiveInt(opts.maxQueueBytes, DEFAULT_MAX_QUEUE_BYTES, 'maxQueueBytes'),
    batchRecords: positiveInt(opts.batchRecords, DEFAULT_BATCH_RECORDS, 'batchRecords'),
    minBackoffMs: positiveInt(opts.minBackoffMs, 500, 'minBackoffMs'),
    maxBackoffMs: positiveInt(opts.maxBackoffMs, 30_000, 'maxBackoffMs'),
    timeoutMs: positiveInt(opts.timeoutMs, 30_000, 'timeoutMs'),
  };
}

/** http(s) only; user:pass@ moves into a Basic Authorization header (fetch refuses URLs with credentials). */
function endpoint(raw: string, headers: Record<string, string>, field: string): Endpoint {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new TypeError(`timeless: ${field} ${JSON.stringify(raw)} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`timeless: ${field} ${JSON.stringify(raw)} must be an http(s) URL`);
  const h: Record<string, string> = {};
  if (u.username !== '' || u.password !== '') {
    h.Authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  Object.assign(h, headers);
  return { url: u.toString(), label: u.toString(), headers: h };
}

function otlpEndpoint(base: Endpoint, signal: OtlpSignal): Endpoint {
  const u = new URL(base.url);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/v1/${signal}`;
  return { url: u.toString(), label: u.toString(), headers: base.headers };
}

function positiveInt(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`timeless: forward.${name} must be a positive integer, got ${String(v)}`);
  return v;
}
