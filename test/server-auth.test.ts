// Auth on: every route of the app (enumerated from the app itself, so routes added later are covered)
// answers 401 without credentials or with wrong ones, except /health; with the right basic or bearer
// credentials no route answers 401; the embedder's authorize(c) hook guards the same routes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './server-helpers.js';
import { safeEqual } from '../src/server/middleware/auth.js';

const USER = 'ops';
const PASS = 'pa:ss wörd';
const TOKEN = 'tok-0123456789';
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

/** Every (method, concrete path) the app routes, parameters filled with plausible values. */
function routesOf(s: TestServer): Array<{ method: string; path: string }> {
  const seen = new Set<string>();
  const out: Array<{ method: string; path: string }> = [];
  for (const r of s.app.routes) {
    if (r.path.includes('*') || r.method === 'ALL') continue;
    const path = r.path.replace(/:([A-Za-z]+)(\{[^}]*\})?/g, (_m, name: string) => (name.toLowerCase().includes('trace') ? '0123456789abcdef0123456789abcdef' : 'x'));
    const key = `${r.method} ${path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ method: r.method, path });
  }
  return out;
}

async function call(s: TestServer, method: string, path: string, auth?: string): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth !== undefined) headers.authorization = auth;
  const ac = new AbortController();
  const res = await fetch(`${s.url}${path}`, { method, headers, body: method === 'GET' || method === 'HEAD' ? undefined : '{}', signal: ac.signal });
  // Streams (SSE tails, downloads) would never end: the status is all this test needs.
  if ((res.headers.get('content-type') ?? '').includes('event-stream') || (res.headers.get('content-type') ?? '').includes('gzip')) ac.abort();
  else await res.arrayBuffer();
  return res;
}

describe('built-in auth', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({ server: { auth: { basic: { user: USER, pass: PASS }, bearerToken: TOKEN } } });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('enumerates a route table that covers every signal', () => {
    const paths = routesOf(s).map((r) => r.path);
    expect(paths.length).toBeGreaterThan(20);
    for (const p of ['/api/v1/metrics/write', '/api/v1/logs/tail', '/api/v1/traces/query', '/metrics', '/health', '/api/v1/stats']) expect(paths).toContain(p);
  });

  it('answers 401 on every route but /health without or with wrong credentials', async () => {
    for (const { method, path } of routesOf(s)) {
      for (const auth of [undefined, basic(USER, 'wrong'), basic('root', PASS), `Bearer ${TOKEN}x`, 'Bearer', basic(USER, '')]) {
        const res = await call(s, method, path, auth);
        if (path === '/health') expect(res.status, `${method} ${path}`).toBe(200);
        else {
          expect(res.status, `${method} ${path} with ${auth ?? 'nothing'}`).toBe(401);
        }
      }
    }
  });

  it('lets the right basic or bearer credentials through on every route', async () => {
    for (const { method, path } of routesOf(s)) {
      for (const auth of [basic(USER, PASS), `Bearer ${TOKEN}`, `bearer ${TOKEN}`]) {
        const res = await call(s, method, path, auth);
        expect(res.status, `${method} ${path}`).not.toBe(401);
      }
    }
  });

  it('sends a challenge and a JSON error', async () => {
    const res = await fetch(`${s.url}/api/v1/stats`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect((await res.json()).error.code).toBe('UNAUTHORIZED');
  });
});

describe('authorize(c) hook', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({
      server: {
        authorize: (c) => {
          const key = c.req.header('x-api-key');
          if (key === 'teapot') return new Response('short and stout', { status: 418 });
          return key === 'yes';
        },
      },
    });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('guards every route but /health, streams and downloads included', async () => {
    const routes = routesOf(s);
    expect(routes.some((r) => r.path.endsWith('/tail'))).toBe(true);
    for (const { method, path } of routes) {
      const res = await call(s, method, path);
      expect(res.status, `${method} ${path}`).toBe(path === '/health' ? 200 : 401);
    }
    const ok = await fetch(`${s.url}/api/v1/stats`, { headers: { 'x-api-key': 'yes' } });
    expect(ok.status).toBe(200);
    const custom = await fetch(`${s.url}/api/v1/stats`, { headers: { 'x-api-key': 'teapot' } });
    expect(custom.status).toBe(418);
    expect(await custom.text()).toBe('short and stout');
  });
});

describe('safeEqual', () => {
  it('compares exactly, including different lengths and unicode', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
    expect(safeEqual('wörd', 'wörd')).toBe(true);
    expect(safeEqual('wörd', 'word')).toBe(false);
  });
});
