// VictoriaLogs ingestion: POST /insert/jsonline (NDJSON, one log entry per line; options as query
// parameters or VL-* headers, see protocols/jsonline.ts). Gzip/deflate bodies are accepted.
//
// Bad lines, as VictoriaLogs treats them: the good lines of the body are stored and the answer is
// 200; it says how many lines were rejected and why (the first few, with line numbers) in
// { accepted, rejected, errors }. Only when no line could be stored and some were bad is the answer
// 400 INVALID_BODY (VictoriaLogs answers 400 exactly then, too), so a client never retries a body
// whose good part was already stored. An empty body stores nothing and answers 200.
// `debug=1` (VL-Debug) stores nothing and answers the entries that would have been stored.
import type { Hono } from 'hono';
import type { AppEnv, ServerContext } from '../context.js';
import { mediaType, readBody } from '../body.js';
import { HttpError } from '../errors.js';
import { JsonlineParamError, jsonlineOptions, parseJsonlines, type JsonlineOptions } from '../protocols/jsonline.js';
import type { LogInput } from '../../logs/types.js';

/** NDJSON under its usual names; a missing Content-Type is accepted too (VictoriaLogs reads any). */
export const JSONLINE_TYPES = [
  'application/stream+json',
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/jsonlines',
  'application/x-jsonlines',
  'application/json',
  'text/plain',
] as const;

const PATH = '/insert/jsonline';

function debugEntry(e: LogInput): Record<string, unknown> {
  // bigint has no JSON form: the would-be time as a decimal string of epoch ns.
  const { tsNs, ...rest } = e;
  return tsNs === undefined ? rest : { tsNs: String(tsNs), ...rest };
}

export function registerVictoriaLogs(app: Hono<AppEnv>, ctx: ServerContext): void {
  app.post(PATH, async (c) => {
    const type = mediaType(c);
    if (type !== '' && !(JSONLINE_TYPES as readonly string[]).includes(type)) {
      throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type '${type}' is not accepted here; send newline-delimited JSON as one of: ${JSONLINE_TYPES.join(', ')}`);
    }
    let opts: JsonlineOptions;
    try {
      opts = jsonlineOptions((q, h) => c.req.query(q) || c.req.header(h) || undefined);
    } catch (err) {
      if (err instanceof JsonlineParamError) throw new HttpError(400, 'BAD_REQUEST', err.message);
      throw err;
    }
    const body = await readBody(c, { maxBytes: ctx.options.maxBodyBytes });
    const parsed = parseJsonlines(body.bytes, opts);
    if (opts.debug) {
      return c.json({ debug: true, accepted: 0, rejected: parsed.rejected, errors: parsed.reasons, entries: parsed.entries.map(debugEntry) });
    }
    const r = await ctx.ingest.logs(parsed.entries, 'victorialogs', parsed.rejected, parsed.reasons);
    // The engine's reasons name the entry's index in the batch; the client knows lines.
    const errors = r.errors.map((e) => e.replace(/^entry (\d+): /, (_m, i: string) => `line ${parsed.lines[Number(i)] ?? '?'}: `));
    if (r.accepted === 0 && r.rejected > 0) {
      throw new HttpError(400, 'INVALID_BODY', `no line of the body could be stored (${r.rejected} rejected): ${errors.join('; ')}`);
    }
    return c.json({ accepted: r.accepted, rejected: r.rejected, errors });
  });
  app.on(['GET', 'PUT', 'PATCH', 'DELETE'], PATH, () => {
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${PATH} takes POST with newline-delimited JSON`, { Allow: 'POST' });
  });
}
