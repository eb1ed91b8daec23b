// Request bodies: size limit (413) checked against Content-Length and again while streaming, content
// type checks (415), and Content-Encoding gzip/deflate undone with the same output limit (a zip bomb
// is a 413, not an OOM). Protocol-specific encodings (remote_write's snappy) are left to the caller.
import { gunzipSync, inflateSync } from 'node:zlib';
import type { Context } from 'hono';
import { HttpError } from './errors.js';

export interface ReadBodyOptions {
  maxBytes: number;
  /** Accepted media types (the part of Content-Type before ';'); empty = any. */
  types?: readonly string[];
  /** Content-Encoding values the caller decodes itself (e.g. 'snappy'); returned still encoded. */
  passEncodings?: readonly string[];
}

export interface Body {
  bytes: Uint8Array;
  /** Media type, lower case, without parameters ('' when the header is missing). */
  type: string;
  /** Content-Encoding left for the caller ('' or one of passEncodings). */
  encoding: string;
}

export function mediaType(c: Context): string {
  const ct = c.req.header('content-type') ?? '';
  const semi = ct.indexOf(';');
  return (semi < 0 ? ct : ct.slice(0, semi)).trim().toLowerCase();
}

export function checkType(c: Context, types: readonly string[]): string {
  const type = mediaType(c);
  if (types.length > 0 && !types.includes(type)) {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type ${type === '' ? '(missing)' : `'${type}'`} is not accepted here; send one of: ${types.join(', ')}`);
  }
  return type;
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, 'BODY_TOO_LARGE', `request body is larger than the limit of ${maxBytes} bytes; send smaller batches (or raise maxBodyBytes)`);
}

export async function readBody(c: Context, opts: ReadBodyOptions): Promise<Body> {
  const type = checkType(c, opts.types ?? []);
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > opts.maxBytes) throw tooLarge(opts.maxBytes);
  const raw = c.req.raw.body;
  let bytes: Uint8Array;
  if (raw === null) bytes = new Uint8Array(0);
  else {
    const chunks: Uint8Array[] = [];
    let total = 0;
    const reader = raw.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > opts.maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(opts.maxBytes);
      }
      chunks.push(value);
    }
    bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
  }
  const encoding = (c.req.header('content-encoding') ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return { bytes, type, encoding: '' };
  if (opts.passEncodings?.includes(encoding)) return { bytes, type, encoding };
  try {
    if (encoding === 'gzip' || encoding === 'x-gzip') return { bytes: gunzipSync(bytes, { maxOutputLength: opts.maxBytes }), type, encoding: '' };
    if (encoding === 'deflate') return { bytes: inflateSync(bytes, { maxOutputLength: opts.maxBytes }), type, encoding: '' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || (err as Error).message.includes('maxOutputLength')) throw tooLarge(opts.maxBytes);
    throw new HttpError(400, 'INVALID_BODY', `the body is not valid ${encoding} data: ${(err as Error).message}`);
  }
  const accepted = ['gzip', 'deflate', ...(opts.passEncodings ?? [])].join(', ');
  throw new HttpError(415, 'UNSUPPORTED_ENCODING', `Content-Encoding '${encoding}' is not supported here; use one of: identity, ${accepted}`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as JSON; 400 INVALID_BODY with the parser's reason when it is not. */
export function parseJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new HttpError(400, 'INVALID_BODY', 'the body is not valid UTF-8');
  }
  if (text.trim() === '') throw new HttpError(400, 'INVALID_BODY', 'the body is empty; send a JSON document');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, 'INVALID_BODY', `the body is not valid JSON: ${(err as Error).message}`);
  }
}

export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new HttpError(400, 'INVALID_BODY', 'the body is not valid UTF-8');
  }
}
