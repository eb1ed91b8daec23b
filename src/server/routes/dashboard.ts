// The dashboard (issue #7): build/web (scripts/build-web.mjs) served at <mount><dashboardPath>.
// The root serves index.html with the API base injected; <root>assets/<file> serves the other built
// files by exact name; <root> without its final '/' redirects to it. It is a middleware rather than
// routes because a sub-app's '/' cannot match both '<mount>' and '<mount>/' (Hono merges '/' away),
// and the mount prefix, needed to tell them apart, is only known per request (hono/route basePath).
import { createHash } from 'node:crypto';
import { readFileSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { basePath } from 'hono/route';
import { packageRoot } from '../../codec/wasm.js';
import type { AppEnv, ServerContext } from '../context.js';
import { HttpError } from '../errors.js';

export const PLACEHOLDER = '<!--TIMELESS_CONFIG-->';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** One asset name: a single path segment, no leading dot, nothing to decode — traversal cannot be spelled. */
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

interface Cached {
  mtimeMs: number;
  size: number;
  body: Buffer;
  gz: Buffer | undefined;
  etag: string;
}

export function defaultWebDir(): string {
  return path.join(packageRoot(), 'build', 'web');
}

/** From the dashboard root back to the app root: './' for '/', '../' per segment otherwise. */
export function apiBaseOf(dashboardPath: string): string {
  const depth = dashboardPath.split('/').filter((s) => s !== '').length;
  return depth === 0 ? './' : '../'.repeat(depth);
}

export function registerDashboard(app: Hono<AppEnv>, ctx: ServerContext, webDir: string = defaultWebDir()): void {
  app.use('*', dashboardMiddleware(ctx.options.dashboardPath, webDir));
}

/** Exported for tests, which point it at a scratch webDir (missing build, rebuilt index.html). */
export function dashboardMiddleware(dashboardPath: string, webDir: string): MiddlewareHandler<AppEnv> {
  const root = dashboardPath.slice(0, -1); // '' for '/', '/dashboard' for '/dashboard/'
  const assets = `${root}/assets/`;
  const configScript = `window.__TIMELESS__=${JSON.stringify({ apiBase: apiBaseOf(dashboardPath) }).replace(/</g, '\\u003c')}`;
  const config = `<script>${configScript}</script>`;
  const pageHeaders = { ...FRAME_HEADERS, 'Content-Security-Policy': contentSecurityPolicy(configScript) };
  const files = new Map<string, Cached>();

  // Re-read when the file changes on disk, so `npm run build:web` under a running server is picked up.
  const load = (name: string, st: Stats, transform?: (text: string) => string): Cached => {
    const hit = files.get(name);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit;
    let body = readFileSync(path.join(webDir, name));
    if (transform) body = Buffer.from(transform(body.toString('utf8')), 'utf8');
    const compressible = !/\.(png|ico|woff2)$/.test(name) && body.length > 1024;
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    const entry: Cached = { mtimeMs: st.mtimeMs, size: st.size, body, gz: compressible ? gzipSync(body, { level: 9 }) : undefined, etag };
    files.set(name, entry);
    return entry;
  };

  return async (c, next) => {
    const method = c.req.method;
    if (method !== 'GET' && method !== 'HEAD') return next();
    const reqPath = c.req.path;
    const mount = basePath(c).replace(/\/+$/, '');
    if (!reqPath.startsWith(mount)) return next();
    const rel = reqPath.slice(mount.length);
    if (rel === root) {
      // '<mount>' or '<mount>/dashboard' without the slash: relative redirect keeps any outer prefix.
      const last = reqPath.slice(reqPath.lastIndexOf('/') + 1);
      const query = new URL(c.req.url).search;
      return c.redirect(`${last}/${query}`, 302);
    }
    if (rel === `${root}/`) {
      const st = statOrNull(path.join(webDir, 'index.html'));
      if (!st) throw new HttpError(503, 'DASHBOARD_NOT_BUILT', 'run npm run build:web');
      return send(c, load('index.html', st, (html) => html.replace(PLACEHOLDER, () => config)), 'text/html; charset=utf-8', pageHeaders);
    }
    if (rel.startsWith(assets)) {
      const name = rel.slice(assets.length);
      const type = TYPES[path.extname(name)];
      const st = ASSET_NAME.test(name) && type !== undefined ? statOrNull(path.join(webDir, name)) : null;
      if (!st || !st.isFile()) throw new HttpError(404, 'NOT_FOUND', `no dashboard asset ${JSON.stringify(name)}`);
      return send(c, load(name, st), type, FRAME_HEADERS);
    }
    return next();
  };
}

/** The dashboard is never framed (clickjacking): the old header for old browsers, CSP's for the rest. */
const FRAME_HEADERS: Readonly<Record<string, string>> = { 'X-Frame-Options': 'DENY', 'Referrer-Policy': 'no-referrer' };

/**
 * Scripts only from the dashboard's own files plus the one inline config script, allowed by its hash
 * (the script is fixed per mount path, so no per-request nonce is needed). Inline styles stay allowed:
 * the trace waterfall positions its bars with style attributes, and CSS cannot run code.
 */
export function contentSecurityPolicy(inlineScript: string): string {
  const hash = createHash('sha256').update(inlineScript, 'utf8').digest('base64');
  return [
    "default-src 'self'",
    `script-src 'self' 'sha256-${hash}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function statOrNull(file: string): Stats | null {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}

/** no-cache: the names are not content-hashed, so browsers revalidate every time and get 304s. */
function send(c: Context<AppEnv>, file: Cached, type: string, extra: Readonly<Record<string, string>>): Response {
  const gzip = file.gz !== undefined && /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
  // Each encoding is its own representation, so it has its own strong ETag.
  const etag = gzip ? `${file.etag.slice(0, -1)}-gz"` : file.etag;
  const headers: Record<string, string> = { 'Content-Type': type, 'Cache-Control': 'no-cache', ETag: etag, 'X-Content-Type-Options': 'nosniff', ...extra };
  if (file.gz !== undefined) headers.Vary = 'Accept-Encoding';
  if (matches(c.req.header('if-none-match'), etag)) return new Response(null, { status: 304, headers });
  if (gzip) headers['Content-Encoding'] = 'gzip';
  const body = gzip ? file.gz! : file.body;
  headers['Content-Length'] = String(body.length);
  return new Response(c.req.method === 'HEAD' ? null : new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.length), { status: 200, headers });
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}
