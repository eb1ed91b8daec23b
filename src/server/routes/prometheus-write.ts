// Prometheus ingest: remote_write receive (POST /api/v1/write and /prometheus/api/v1/write) and text
// exposition import (POST /api/v1/import/prometheus, VictoriaMetrics' path).
//
// Answers, the same on every metrics-ingest protocol route of this server:
// - 204 (no body) when every sample was stored (durable: the WAL is synced before the answer);
// - 400 INVALID_BODY when the body cannot be read at all (corrupt snappy, malformed protobuf, a
//   malformed text line, with its line number): nothing of it is stored;
// - 400 INVALID_SAMPLES when the body was readable but some samples were refused (no metric name,
//   invalid label names, native histograms, ...): the others ARE stored, and the JSON says
//   { error, accepted, rejected, errors }. This is what Prometheus' own receiver does for bad
//   samples (store the good ones, 400 so the sender does not retry the batch forever);
// - 413 / 415 / 429 from the body limits, content checks and backpressure.
import type { Context, Hono } from 'hono';
import type { AppEnv, ServerContext } from '../context.js';
import type { IngestResult } from '../ingest.js';
import type { MetricMeta } from '../../metrics/types.js';
import { decodeUtf8, readBody } from '../body.js';
import { errorJson, HttpError, isInputError } from '../errors.js';
import { ProtobufError } from '../protocols/protobuf.js';
import { SnappyError, SnappyTooLargeError, snappyDecompress } from '../protocols/snappy.js';
import { decodeWriteRequestPoints, storeMetricType, type RemoteMetadata } from '../protocols/remote-write.js';
import { parsePromText, PromTextError } from '../protocols/prom-text.js';
import { SeriesCache } from '../protocols/series-cache.js';
import { parseVmTime, VmTimeError } from '../protocols/vm-import.js';

const REMOTE_WRITE_TYPES = ['', 'application/x-protobuf', 'application/octet-stream'];
/** VictoriaMetrics accepts any type here; these are what curl, exporters and pushers send. */
const TEXT_TYPES = ['', 'text/plain', 'application/openmetrics-text', 'application/octet-stream', 'application/x-www-form-urlencoded'];

/** The 400 answer for a partly refused body (see the header comment). */
export function partialAnswer(c: Context<AppEnv>, ctx: ServerContext, r: IngestResult, what = 'samples'): Response {
  const err = new HttpError(
    400,
    'INVALID_SAMPLES',
    `${r.rejected} ${what} refused, ${r.accepted} accepted and stored: ${r.errors.join('; ')}`,
  );
  ctx.self.inc('timeless_http_errors_total', 'Error answers by status and code.', { status: '400', code: err.code });
  return c.json({ ...errorJson(err, c.get('requestId')), accepted: r.accepted, rejected: r.rejected, errors: r.errors }, 400);
}

function sameMeta(a: MetricMeta | undefined, b: MetricMeta): boolean {
  return a !== undefined && a.type === b.type && (a.help ?? '') === (b.help ?? '') && (a.unit ?? '') === (b.unit ?? '');
}

/**
 * Stores metric metadata (HELP/TYPE/UNIT), skipping unchanged entries (senders repeat them on
 * every scrape or metadata interval). Returns the reasons of entries refused.
 */
export function defineMetadata(ctx: ServerContext, entries: Iterable<[string, MetricMeta]>): string[] {
  const reasons: string[] = [];
  const m = ctx.tl.metrics;
  for (const [name, meta] of entries) {
    if (sameMeta(m.metricMeta(name), meta)) continue;
    try {
      m.defineMetric(name, meta);
    } catch (err) {
      if (!isInputError(err)) throw err;
      reasons.push(`metadata of ${JSON.stringify(name)}: ${(err as Error).message}`);
    }
  }
  return reasons;
}

function remoteMeta(list: RemoteMetadata[]): Array<[string, MetricMeta]> {
  return list.map((m) => [m.family, { type: storeMetricType(m.type), ...(m.help !== '' ? { help: m.help } : {}), ...(m.unit !== '' ? { unit: m.unit } : {}) }]);
}

/** The body of a remote_write request as protobuf bytes. */
async function remoteWriteBody(c: Context<AppEnv>, ctx: ServerContext): Promise<Uint8Array> {
  const ctype = c.req.header('content-type') ?? '';
  const proto = /;\s*proto=([^;\s]+)/i.exec(ctype);
  if (proto && proto[1].replace(/"/g, '') !== 'prometheus.WriteRequest') {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `remote write message ${proto[1]} is not supported; send remote write 1.0 (prometheus.WriteRequest)`);
  }
  const encoding = (c.req.header('content-encoding') ?? '').trim().toLowerCase();
  const maxBytes = ctx.options.maxBodyBytes;
  const body = await readBody(c, { maxBytes, types: REMOTE_WRITE_TYPES, passEncodings: ['snappy'] });
  // Remote write bodies are snappy block data by the spec, whether or not the header says so (as
  // Prometheus' receiver reads them); only an explicit gzip/deflate (undone by readBody) or
  // identity means plain protobuf.
  if (encoding !== '' && encoding !== 'snappy') return body.bytes;
  try {
    return snappyDecompress(body.bytes, maxBytes);
  } catch (err) {
    if (err instanceof SnappyTooLargeError) {
      throw new HttpError(413, 'BODY_TOO_LARGE', `${err.message}; send smaller batches (or raise maxBodyBytes)`);
    }
    if (err instanceof SnappyError) throw new HttpError(400, 'INVALID_BODY', `the body is not snappy (block format) data: ${err.message}`);
    throw err;
  }
}

export function registerPrometheusWrite(app: Hono<AppEnv>, ctx: ServerContext): void {
  const remoteCache = new SeriesCache();
  const textCache = new SeriesCache();

  const remoteWrite = async (c: Context<AppEnv>) => {
    const bytes = await remoteWriteBody(c, ctx);
    let decoded;
    try {
      decoded = decodeWriteRequestPoints(bytes, remoteCache);
    } catch (err) {
      if (err instanceof ProtobufError) throw new HttpError(400, 'INVALID_BODY', `the body is not a valid remote write WriteRequest: ${err.message}`);
      throw err;
    }
    const metaReasons = defineMetadata(ctx, remoteMeta(decoded.metadata));
    const r = await ctx.ingest.metrics(decoded.points, 'prometheus_remote_write', decoded.rejected + metaReasons.length, [...decoded.reasons, ...metaReasons]);
    if (r.rejected > 0) return partialAnswer(c, ctx, r);
    return c.body(null, 204);
  };
  app.post('/api/v1/write', remoteWrite);
  app.post('/prometheus/api/v1/write', remoteWrite);

  app.post('/api/v1/import/prometheus', async (c) => {
    const nowMs = Date.now();
    const tsParam = c.req.query('timestamp');
    let defaultTsMs = nowMs;
    if (tsParam !== undefined && tsParam !== '') {
      try {
        defaultTsMs = parseVmTime(tsParam, nowMs);
      } catch (err) {
        if (err instanceof VmTimeError) throw new HttpError(400, 'INVALID_PARAM', `query parameter 'timestamp': ${err.message}`);
        throw err;
      }
    }
    const body = await readBody(c, { maxBytes: ctx.options.maxBodyBytes, types: TEXT_TYPES });
    const text = decodeUtf8(body.bytes);
    let parsed;
    try {
      parsed = parsePromText(text, { openMetrics: body.type === 'application/openmetrics-text', defaultTsMs, cache: textCache });
    } catch (err) {
      if (err instanceof PromTextError) throw new HttpError(400, 'INVALID_BODY', `the body is not valid ${body.type === 'application/openmetrics-text' ? 'OpenMetrics' : 'Prometheus'} text: ${err.message}`);
      throw err;
    }
    const metaReasons = defineMetadata(ctx, parsed.metadata);
    const r = await ctx.ingest.metrics(parsed.points, 'prometheus_text', metaReasons.length, metaReasons);
    if (r.rejected > 0) return partialAnswer(c, ctx, r);
    return c.body(null, 204);
  });
}
