// The dashboard's build and serving: scripts/build-web.mjs output, served by tl.routes() at the mount
// root, under a prefix, behind basic auth, and by the standalone server at /dashboard/; caching
// (ETag/304), content types, no traversal, the missing-build answer, the index re-read after a
// rebuild, and the shipped-JS size budget. The standalone part runs dist/ (built by `npm run build`,
// the pretest step).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardMiddleware, PLACEHOLDER } from '../src/server/routes/dashboard.js';
import { errorJson, toHttpError } from '../src/server/errors.js';
import { Timeless } from '../src/store.js';
import { startServer, type TestServer } from './server-helpers.js';
import { tempDir } from './metrics-helpers.js';

const WEB = path.resolve('build/web');
const MAIN = path.resolve('dist/src/server/main.js');

beforeAll(() => {
  // Always rebuild: the test checks what the current sources produce (and fails on type errors).
  execFileSync(process.execPath, ['scripts/build-web.mjs'], { stdio: 'pipe' });
}, 120_000);

/** A GET with the path sent as written (fetch would normalize '../' away before sending). */
function rawGet(url: string, rawPath: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: rawPath, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function configOf(html: string): { apiBase: string } {
  const m = /<script>window\.__TIMELESS__=(\{.*?\})<\/script>/.exec(html);
  if (!m) throw new Error(`no injected config in:\n${html}`);
  return JSON.parse(m[1]) as { apiBase: string };
}

/** Loads the dashboard at `root` (ends with '/') like a browser: the index, then the assets it names, relative to it. */
async function checkDashboard(root: string, apiBase: string, init: RequestInit = {}): Promise<void> {
  const res = await fetch(root, init);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(res.headers.get('cache-control')).toBe('no-cache');
  const html = await res.text();
  expect(html).not.toContain(PLACEHOLDER);
  expect(configOf(html)).toEqual({ apiBase });
  const refs = [...html.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)].map((m) => m[1]);
  expect(refs.sort()).toEqual(['assets/app.css', 'assets/app.js']);
  const types: Record<string, string> = { 'app.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8', 'app.js.map': 'application/json; charset=utf-8' };
  for (const [name, type] of Object.entries(types)) {
    const a = await fetch(new URL(`assets/${name}`, root), init);
    expect(a.status, name).toBe(200);
    expect(a.headers.get('content-type')).toBe(type);
    expect(Buffer.from(await a.arrayBuffer()).equals(fs.readFileSync(path.join(WEB, name))), name).toBe(true);
  }
  // The API base the page gets reaches the app's routes.
  const stats = await fetch(new URL('api/v1/stats', new URL(apiBase, root)), init);
  expect(stats.status).toBe(200);
}

describe('dashboard mounted at the app root', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(async () => s?.close());

  it('serves the index with apiBase ./ and the assets relative to it', async () => {
    await checkDashboard(`${s.url}/`, './');
  });

  it('answers 304 to a matching If-None-Match, for the index and the assets, per encoding', async () => {
    for (const p of ['/', '/assets/app.js', '/assets/app.css']) {
      for (const enc of ['gzip', 'identity']) {
        const first = await fetch(`${s.url}${p}`, { headers: { 'accept-encoding': enc } });
        const etag = first.headers.get('etag');
        expect(etag, p).toMatch(/^"[^"]+"$/);
        await first.arrayBuffer();
        const again = await fetch(`${s.url}${p}`, { headers: { 'if-none-match': etag!, 'accept-encoding': enc } });
        expect(again.status, `${p} ${enc}`).toBe(304);
        expect(await again.text()).toBe('');
        const stale = await fetch(`${s.url}${p}`, { headers: { 'if-none-match': '"stale"', 'accept-encoding': enc } });
        expect(stale.status).toBe(200);
        await stale.arrayBuffer();
      }
    }
    // The JS goes out gzipped to clients that take it, whole to the others.
    const gz = await rawGet(s.url, '/assets/app.js', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    const plain = await rawGet(s.url, '/assets/app.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(fs.readFileSync(path.join(WEB, 'app.js'), 'utf8'));
  });

  it('404s unknown assets and every traversal spelling, as JSON', async () => {
    const paths = [
      '/assets/nope.js',
      '/assets/index.html',
      '/assets/../package.json',
      '/assets/../../dist/src/index.js',
      '/assets/..%2F..%2Fdist%2Fsrc%2Findex.js',
      '/assets/%2E%2E/%2E%2E/dist/src/index.js',
      '/assets/..%2Fpackage.json',
      '/assets/%2e%2e%2fpackage.json',
      '/assets/..%5Cpackage.json',
      '/assets/.%2e/package.json',
      '/assets/%2Fetc%2Fpasswd',
      '/assets/.hidden.js',
      '/assets/',
    ];
    for (const p of paths) {
      const r = await rawGet(s.url, p);
      expect(r.status, p).toBe(404);
      expect(JSON.parse(r.body).error.code, p).toBe('NOT_FOUND');
    }
    // The API keeps its own JSON 404s: the dashboard does not swallow other paths.
    const api = await rawGet(s.url, '/api/v1/nope');
    expect(api.status).toBe(404);
    expect(JSON.parse(api.body).error.code).toBe('NOT_FOUND');
  });
});

describe('dashboard under a prefix', () => {
  let tmp: ReturnType<typeof tempDir>;
  let tl: Timeless;
  let server: ReturnType<typeof serve>;
  let url: string;
  beforeAll(async () => {
    tmp = tempDir('dash');
    tl = await Timeless.open({ dataDir: tmp.dir, pool: { threads: 1 } });
    const host = new Hono();
    host.route('/dashboard', tl.routes());
    server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const srv = serve({ fetch: host.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(srv));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await tl.close();
    tmp.remove();
  });

  it('redirects the prefix without its slash to it, keeping the query', async () => {
    const r = await fetch(`${url}/dashboard`, { redirect: 'manual' });
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('dashboard/');
    const q = await fetch(`${url}/dashboard?x=1`, { redirect: 'manual' });
    expect(q.headers.get('location')).toBe('dashboard/?x=1');
    // Followed like a browser does: the relative Location lands on the root.
    const followed = await fetch(`${url}/dashboard`);
    expect(followed.url).toBe(`${url}/dashboard/`);
    expect(configOf(await followed.text())).toEqual({ apiBase: './' });
  });

  it('serves the index and the assets under the prefix, the API relative to it', async () => {
    await checkDashboard(`${url}/dashboard/`, './');
    expect((await rawGet(url, '/dashboard/assets/..%2F..%2Fpackage.json')).status).toBe(404);
  });
});

describe('dashboard behind basic auth and at a dashboardPath', () => {
  let s: TestServer;
  const auth = { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` };
  beforeAll(async () => {
    s = await startServer({ server: { auth: { basic: { user: 'u', pass: 'p' } }, dashboardPath: '/ui/' } });
  });
  afterAll(async () => s?.close());

  it('refuses the index and the assets without credentials, serves them with', async () => {
    for (const p of ['/ui/', '/ui', '/ui/assets/app.js', '/ui/assets/app.css', '/ui/assets/nope.js']) {
      const r = await fetch(`${s.url}${p}`, { redirect: 'manual' });
      expect(r.status, p).toBe(401);
      expect((await r.json()).error.code).toBe('UNAUTHORIZED');
    }
    await checkDashboard(`${s.url}/ui/`, '../', { headers: auth });
    const r = await fetch(`${s.url}/ui`, { redirect: 'manual', headers: auth });
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('ui/');
    // With a dashboardPath, the mount root is not the dashboard.
    expect((await fetch(`${s.url}/assets/app.js`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${s.url}/`, { headers: auth })).status).toBe(404);
  });

  it('refuses a dashboardPath that does not start and end with /, or is not plain segments', async () => {
    for (const bad of ['ui', '/ui', 'ui/', '//', '/../', '/a/./', '/a b/', '/a%2F/']) {
      expect(() => s.tl.routes({ dashboardPath: bad }), bad).toThrow(/dashboardPath must start and end with '\/'/);
    }
    expect(() => s.tl.routes({ dashboardPath: '/a/b/' })).not.toThrow();
  });
});

describe('dashboard files on disk', () => {
  function appOn(webDir: string): Hono {
    const app = new Hono();
    app.onError((err, c) => {
      const h = toHttpError(err);
      return c.json(errorJson(h), h.status as 400);
    });
    app.use('*', dashboardMiddleware('/', webDir));
    return app;
  }

  it('answers 503 DASHBOARD_NOT_BUILT while build/web is missing', async () => {
    const tmp = tempDir('dash-missing');
    try {
      const r = await appOn(path.join(tmp.dir, 'web')).request('/');
      expect(r.status).toBe(503);
      expect(await r.json()).toEqual({ error: { code: 'DASHBOARD_NOT_BUILT', message: 'run npm run build:web' } });
    } finally {
      tmp.remove();
    }
  });

  it('re-reads index.html when a rebuild changes it', async () => {
    const tmp = tempDir('dash-rebuild');
    try {
      const index = path.join(tmp.dir, 'index.html');
      fs.writeFileSync(index, `<head>${PLACEHOLDER}</head>one`);
      const app = appOn(tmp.dir);
      const first = await app.request('/');
      expect(await first.text()).toBe('<head><script>window.__TIMELESS__={"apiBase":"./"}</script></head>one');
      fs.writeFileSync(index, `<head>${PLACEHOLDER}</head>two, longer`);
      // A distinct mtime even on coarse-grained file systems.
      const later = new Date(Date.now() + 5_000);
      fs.utimesSync(index, later, later);
      const second = await app.request('/', { headers: { 'if-none-match': first.headers.get('etag')! } });
      expect(second.status).toBe(200);
      expect(await second.text()).toBe('<head><script>window.__TIMELESS__={"apiBase":"./"}</script></head>two, longer');
    } finally {
      tmp.remove();
    }
  });
});

describe('standalone server (built)', () => {
  let child: ChildProcess | undefined;
  let tmp: ReturnType<typeof tempDir>;
  afterAll(() => {
    child?.kill('SIGKILL');
    tmp?.remove();
  });

  it('redirects / to /dashboard/, which serves the index with apiBase ../', async () => {
    tmp = tempDir('dash-serve');
    child = spawn(process.execPath, [MAIN, 'serve', '--port', '0', '--data-dir', tmp.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]);
      };
      child!.stdout!.on('data', onData);
      child!.stderr!.on('data', onData);
      child!.once('exit', (code) => reject(new Error(`exited ${code} before listening:\n${out}`)));
    });
    const root = await fetch(`${url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(new URL(root.headers.get('location')!, `${url}/`).href).toBe(`${url}/dashboard/`);
    const noSlash = await fetch(`${url}/dashboard`, { redirect: 'manual' });
    expect(new URL(noSlash.headers.get('location')!, `${url}/dashboard`).href).toBe(`${url}/dashboard/`);
    await checkDashboard(`${url}/dashboard/`, '../');
    expect((await fetch(`${url}/`)).url).toBe(`${url}/dashboard/`);
    child.kill('SIGTERM');
    await new Promise((resolve) => child!.once('exit', resolve));
    child = undefined;
  });
});

describe('size budget', () => {
  it('ships at most 150 KB of gzipped JS (level 9), uPlot included', () => {
    const js = fs.readdirSync(WEB).filter((n) => n.endsWith('.js'));
    expect(js).toContain('app.js');
    const total = js.reduce((sum, n) => sum + gzipSync(fs.readFileSync(path.join(WEB, n)), { level: 9 }).length, 0);
    console.log(`dashboard JS: ${js.join(', ')} = ${(total / 1024).toFixed(1)} KB gzipped (budget 150 KB)`);
    expect(total).toBeLessThanOrEqual(150 * 1024);
  });
});
