// OTLP/HTTP receiver: POST /v1/traces, /v1/logs, /v1/metrics, binary protobuf
// (application/x-protobuf) or OTLP/JSON (application/json), gzip/deflate bodies accepted.
//
// Answers, per the OTLP/HTTP spec:
// - 200 with the Export*ServiceResponse in the request's encoding: empty when every item was
//   stored, `partialSuccess { rejected<Items>, errorMessage }` when some were refused (by the store's
//   checks or by the decoder, e.g. delta-temporality metrics); the rest of the batch is stored and
//   durable before the answer;
// - 400 when the body is not a valid request (broken protobuf, wrong JSON types): nothing of it is
//   stored; 413 past maxBodyBytes; 415 for other content types; 429/503 as the store says.
// Error bodies: the spec says a server SHOULD answer errors with a google.rpc.Status in the request's
// encoding. We answer every error with the server's JSON error `{ error: { code, message } }`
// (DESIGN.md §7), for protobuf requests too: OTel exporters decide on retries from the status code
// alone (they only log the body), so one error shape for every route is worth more here.
import type { Context, Hono } from 'hono';
import type { AppEnv, ServerContext } from '../context.js';
import { parseJson, readBody } from '../body.js';
import { HttpError } from '../errors.js';
import type { IngestResult } from '../ingest.js';
import { ProtobufError } from '../protocols/protobuf.js';
import { OtlpFormatError } from '../protocols/otlp-common.js';
import { decodeTracesJson, decodeTracesProto } from '../protocols/otlp-traces.js';
import { decodeLogsJson, decodeLogsProto } from '../protocols/otlp-logs.js';
import { decodeMetricsJson, decodeMetricsProto, type DecodedMetrics } from '../protocols/otlp-metrics.js';
import { encodeResponseJson, encodeResponseProto, type OtlpSignal } from '../protocols/otlp-response.js';

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';
const OTLP_TYPES = [PROTOBUF, JSON_TYPE] as const;
const PROTOCOL = 'otlp';

const REQUEST_NAMES: Record<OtlpSignal, string> = {
  traces: 'ExportTraceServiceRequest',
  logs: 'ExportLogsServiceRequest',
  metrics: 'ExportMetricsServiceRequest',
};

/** Decodes with `decode`, turning a malformed body into 400 INVALID_BODY (nothing stored). */
function decodeOr400<T>(signal: OtlpSignal, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof ProtobufError) {
      throw new HttpError(400, 'INVALID_BODY', `the body is not a valid protobuf ${REQUEST_NAMES[signal]}: ${err.message}`);
    }
    if (err instanceof OtlpFormatError) {
      throw new HttpError(400, 'INVALID_BODY', `the body is not a valid OTLP/JSON ${REQUEST_NAMES[signal]}: ${err.message}`);
    }
    throw err;
  }
}

function respond(c: Context<AppEnv>, signal: OtlpSignal, protobuf: boolean, r: IngestResult): Response {
  const partial = { rejected: r.rejected, errors: r.errors };
  if (protobuf) return c.body(encodeResponseProto(partial), 200, { 'content-type': PROTOBUF });
  return c.body(encodeResponseJson(signal, partial), 200, { 'content-type': JSON_TYPE });
}

/** Records type/unit/help of the families written; only changes reach the catalog (a SQLite write). */
function defineMeta(ctx: ServerContext, meta: DecodedMetrics['meta']): void {
  const m = ctx.tl.metrics;
  for (const [name, want] of meta) {
    const have = m.metricMeta(name);
    if (have !== undefined && have.type === want.type && (have.unit ?? '') === (want.unit ?? '') && (have.help ?? '') === (want.help ?? '')) continue;
    m.defineMetric(name, want);
  }
}

export function registerOtlp(app: Hono<AppEnv>, ctx: ServerContext): void {
  const read = (c: Context<AppEnv>) => readBody(c, { maxBytes: ctx.options.maxBodyBytes, types: OTLP_TYPES });

  app.post('/v1/traces', async (c) => {
    const body = await read(c);
    const protobuf = body.type === PROTOBUF;
    const d = decodeOr400('traces', () => (protobuf ? decodeTracesProto(body.bytes) : decodeTracesJson(parseJson(body.bytes))));
    return respond(c, 'traces', protobuf, await ctx.ingest.spans(d.spans, PROTOCOL, d.rejected, d.reasons));
  });

  app.post('/v1/logs', async (c) => {
    const body = await read(c);
    const protobuf = body.type === PROTOBUF;
    const d = decodeOr400('logs', () => (protobuf ? decodeLogsProto(body.bytes) : decodeLogsJson(parseJson(body.bytes))));
    return respond(c, 'logs', protobuf, await ctx.ingest.logs(d.entries, PROTOCOL, d.rejected, d.reasons));
  });

  app.post('/v1/metrics', async (c) => {
    const body = await read(c);
    const protobuf = body.type === PROTOBUF;
    const d = decodeOr400('metrics', () => (protobuf ? decodeMetricsProto(body.bytes) : decodeMetricsJson(parseJson(body.bytes))));
    defineMeta(ctx, d.meta);
    return respond(c, 'metrics', protobuf, await ctx.ingest.metrics(d.points, PROTOCOL, d.rejected, d.reasons));
  });
}
