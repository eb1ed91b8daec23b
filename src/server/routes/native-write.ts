// The native ingest handler the three signals share: a JSON body holding `{ <key>: [...] }` or a bare
// array, written leniently and durably (ingest.ts); 200 with { accepted, rejected, errors }, or 400
// when every item was refused.
import type { Context } from 'hono';
import type { AppEnv, ServerContext } from '../context.js';
import type { IngestResult } from '../ingest.js';
import { parseJson, readBody } from '../body.js';
import { HttpError } from '../errors.js';
import { sendJson } from '../json.js';

export function nativeWrite<T>(ctx: ServerContext, key: string, shape: string, ingest: (items: T[]) => Promise<IngestResult>) {
  return async (c: Context<AppEnv>): Promise<Response> => {
    const body = parseJson((await readBody(c, { maxBytes: ctx.options.maxBodyBytes, types: ['application/json'] })).bytes);
    const items = Array.isArray(body) ? body : body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[key] : undefined;
    if (!Array.isArray(items)) throw new HttpError(400, 'INVALID_BODY', `send { "${key}": [${shape}] } or an array of them`);
    const result = await ingest(items as T[]);
    return sendJson(c, result, result.rejected > 0 && result.accepted === 0 ? 400 : 200);
  };
}
