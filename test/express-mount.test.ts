// tl.requestListener() mounted in a real Express 5 app and in a plain node:http server: the routes
// answer under the mount (API, OTLP ingest, dashboard), auth applies, and '/obs' without its slash
// redirects to '/obs/' so the dashboard's relative API base resolves under the mount.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { Timeless } from '../src/index.js';
import { tempDir } from './metrics-helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function openStore(): Promise<Timeless> {
  const t = tempDir('express-mount');
  const tl = await Timeless.open({ dataDir: t.dir, pool: { threads: 1 }, runtimeMetrics: false, retention: { intervalSec: 0 } });
  cleanups.push(async () => {
    await tl.close();
    t.remove();
  });
  return tl;
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const AUTH = { authorization: `Basic ${Buffer.from('ops:s3cret').toString('base64')}` };

describe('tl.requestListener()', () => {
  it('serves the API, OTLP ingest and the dashboard under an Express mount, behind auth', async () => {
    const tl = await openStore();
    const app = express();
    app.use('/obs', tl.requestListener({ auth: { basic: { user: 'ops', pass: 's3cret' } } }));
    app.use(express.json());
    app.get('/hello', (_req, res) => {
      res.send('hi');
    });
    const base = await listen(http.createServer(app));

    expect(await (await fetch(`${base}/hello`)).text()).toBe('hi');
    expect((await fetch(`${base}/obs/health`)).status).toBe(200);
    const denied = await fetch(`${base}/obs/api/v1/stats`);
    expect(denied.status).toBe(401);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBeTypeOf('string');

    // OTLP/JSON logs through the mount: the body reaches the route (no parser ran before it).
    const otlp = { resourceLogs: [{ resource: { attributes: [] }, scopeLogs: [{ logRecords: [{ timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), severityNumber: 9, body: { stringValue: 'through express' } }] }] }] };
    const posted = await fetch(`${base}/obs/v1/logs`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify(otlp) });
    expect(posted.status).toBe(200);
    const { entries } = await tl.logs.query({ search: 'through express' });
    expect(entries.map((e) => e.message)).toEqual(['through express']);

    const stats = await fetch(`${base}/obs/api/v1/logs/stats`, { headers: AUTH });
    expect(((await stats.json()) as { entries: number }).entries).toBe(1);

    const bare = await fetch(`${base}/obs?x=1`, { headers: AUTH, redirect: 'manual' });
    expect(bare.status).toBe(302);
    expect(new URL(bare.headers.get('location')!, `${base}/obs?x=1`).href).toBe(`${base}/obs/?x=1`);
    const page = await fetch(`${base}/obs/`, { headers: AUTH });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('"apiBase":"./"');
  });

  it('is a plain node:http listener too', async () => {
    const tl = await openStore();
    tl.metrics.write('mounted_total', { a: '1' }, 3);
    const base = await listen(http.createServer(tl.requestListener()));
    const names = (await (await fetch(`${base}/api/v1/metrics/names`)).json()) as string[];
    expect(names).toContain('mounted_total');
    const missing = await fetch(`${base}/api/v1/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/json/);
  });
});
