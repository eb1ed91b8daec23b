// Backups over HTTP: POST takes one while all three engines hold data, GET lists it, the download is
// a .tar.gz the system `tar` extracts into a directory that opens as a store with the same answers.
// Names from the URL never reach outside backups/ (traversal, encodings, symlinks), auth guards the
// download, and a client that goes away mid-download leaves the server serving and no file open.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Timeless } from '../src/index.js';
import type { Timeless as Store } from '../src/store.js';
import { getJson, startServer, type TestServer } from './server-helpers.js';
import { tempDir } from './metrics-helpers.js';
import { makeInputs } from './logs-helpers.js';
import { makeSpans, traceIds } from './traces-helpers.js';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const FROM_MS = Date.now() - 3_600_000;
const TO_MS = Date.now() + 60_000;
const SECRET = 'top secret outside the backups folder';

async function fillStore(tl: Store): Promise<string[]> {
  const points = [];
  for (let s = 0; s < 5; s++) {
    for (let i = 0; i < 300; i++) points.push({ name: 'http_requests', labels: { route: `/r${s}`, code: i % 7 === 0 ? '500' : '200' }, value: i * 1.5 + s, tsMs: FROM_MS + i * 10_000 });
  }
  tl.metrics.writeBatch(points);
  tl.logs.writeBatch(makeInputs(7, 2_000, { startMs: FROM_MS, stepMs: 500 }));
  const spans = makeSpans(3, 1_500, FROM_MS);
  tl.traces.write(spans);
  await tl.flush();
  return traceIds(spans);
}

/** Answers to compare between the source and a restored copy. */
async function answers(tl: Store, ids: readonly string[]) {
  return {
    metrics: await tl.metrics.query({ name: 'http_requests', fromMs: FROM_MS, toMs: TO_MS }),
    rate: await tl.metrics.query({ name: 'http_requests', matchers: { code: '500' }, fromMs: FROM_MS, toMs: TO_MS, stepMs: 300_000, agg: 'sum' }),
    // Entries only: blocksScanned differs by design (the source may hold entries in the hot tail
    // that the copy has sealed, or the other way round).
    logs: (await tl.logs.query({ fromMs: FROM_MS, toMs: TO_MS, limit: 5_000 })).entries,
    errors: (await tl.logs.query({ minLevel: 'error', search: 'timeout', limit: 5_000 })).entries,
    traces: await Promise.all(ids.slice(0, 20).map((id) => tl.traces.trace(id))),
    // Spans only: blocksScanned differs by design (the source's spans may still be in the hot tail).
    spanQuery: (await tl.traces.query({ fromMs: FROM_MS, toMs: TO_MS, limit: 5_000 })).spans,
  };
}

/** Descriptors this process holds open on paths under `dir` (the server runs in this process). */
function openFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir + path.sep)) out.push(target);
    } catch {
      // closed between readdir and readlink
    }
  }
  return out;
}

/** A raw GET with the path exactly as given (fetch would normalize '..' segments away). */
function rawGet(url: string, rawPath: string): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: rawPath, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!cond()) throw new Error(`gave up waiting: ${what}`);
}

describe('backup routes', () => {
  let srv: TestServer;
  let ids: string[];
  const work = tempDir('server-backup-work');

  beforeAll(async () => {
    srv = await startServer({ store: { retention: { intervalSec: 0 } } });
    ids = await fillStore(srv.tl);
  });
  afterAll(async () => {
    await srv?.close();
    work.remove();
  });

  it('takes a backup, lists it, and downloads a tar.gz that restores to the same answers', async () => {
    const created = await getJson(`${srv.url}/api/v1/backup`, { method: 'POST' });
    expect(created.status).toBe(201);
    const { name, path: backupPath, files, bytes } = created.body;
    expect(name).toMatch(NAME_RE);
    expect(backupPath).toBe(path.join(srv.tl.dataDir, 'backups', name));
    expect(files).toBeGreaterThan(3);
    expect(bytes).toBeGreaterThan(10_000);

    const list = await getJson(`${srv.url}/api/v1/backup`);
    expect(list.status).toBe(200);
    const entry = list.body.backups.find((b: { name: string }) => b.name === name);
    expect(entry).toMatchObject({ name, files, bytes });
    expect(Number.isNaN(Date.parse(entry.createdAt))).toBe(false);

    const res = await fetch(`${srv.url}/api/v1/backup/${name}/download`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/gzip');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${name}.tar.gz"`);
    const archive = path.join(work.dir, `${name}.tar.gz`);
    fs.writeFileSync(archive, Buffer.from(await res.arrayBuffer()));
    const out = path.join(work.dir, 'restored');
    fs.mkdirSync(out);
    execFileSync('tar', ['-xzf', archive, '-C', out]);
    expect(fs.readdirSync(out)).toEqual([name]);

    const expected = await answers(srv.tl, ids);
    expect(expected.metrics.length).toBe(10); // 5 routes x 2 codes
    expect(expected.logs.length).toBe(2_000);
    expect(expected.errors.length).toBeGreaterThan(0);
    expect(expected.traces.every((t) => t.spans.length > 0)).toBe(true);
    const restored = await Timeless.open({ dataDir: path.join(out, name), pool: { threads: 1 }, retention: { intervalSec: 0 } });
    try {
      const got = await answers(restored, ids);
      for (const k of Object.keys(expected) as Array<keyof typeof expected>) expect(got[k], k).toEqual(expected[k]);
    } finally {
      await restored.close();
    }
    expect(openFilesUnder(path.join(srv.tl.dataDir, 'backups'))).toEqual([]);
  });

  it('gives concurrent backups distinct names, and DELETE removes one', async () => {
    const [a, b] = await Promise.all([getJson(`${srv.url}/api/v1/backup`, { method: 'POST' }), getJson(`${srv.url}/api/v1/backup`, { method: 'POST' })]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.name).not.toBe(b.body.name);
    const del = await getJson(`${srv.url}/api/v1/backup/${a.body.name}`, { method: 'DELETE' });
    expect(del).toMatchObject({ status: 200, body: { deleted: a.body.name } });
    expect(fs.existsSync(a.body.path)).toBe(false);
    expect((await getJson(`${srv.url}/api/v1/backup/${a.body.name}/download`)).status).toBe(404);
    const names = (await getJson(`${srv.url}/api/v1/backup`)).body.backups.map((x: { name: string }) => x.name);
    expect(names).toContain(b.body.name);
    expect(names).not.toContain(a.body.name);
  });

  it('never serves anything outside backups/: traversal, encodings, absolute paths, symlinks, odd names', async () => {
    const backups = path.join(srv.tl.dataDir, 'backups');
    fs.mkdirSync(backups, { recursive: true });
    // Things a bad name might reach: a file in the data dir, a directory outside it (through a
    // symlink placed in backups/), and a plain file in backups/.
    fs.writeFileSync(path.join(srv.tl.dataDir, 'secret.txt'), SECRET);
    const outside = path.join(work.dir, 'outside');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'secret.txt'), SECRET);
    fs.symlinkSync(outside, path.join(backups, 'evil-link'));
    fs.writeFileSync(path.join(backups, 'plain-file'), SECRET);

    const cases: Array<[string, number[]]> = [
      // The URL parser turns these into dot segments before they leave the client (404: no route).
      ['%2e%2e', [400, 404]],
      ['%2E.', [400, 404]],
      ['..', [400, 404]],
      ['.', [400, 404]],
      ['..%2f..%2fsecret.txt', [400]],
      ['..%2F..%2F..%2Fetc%2Fpasswd', [400]],
      ['%2Fetc%2Fpasswd', [400]],
      ['%2e%2e%5c%2e%2e%5csecret.txt', [400]],
      ['a..b', [400]],
      ['.hidden', [400]],
      ['-dash-first', [400]],
      ['name%00', [400]],
      ['sp%20ace', [400]],
      [encodeURIComponent('名前'), [400]],
      ['x'.repeat(129), [400]],
      ['evil-link', [404]],
      ['plain-file', [404]],
      ['does-not-exist', [404]],
    ];
    for (const [name, statuses] of cases) {
      for (const method of ['GET', 'DELETE']) {
        const url = method === 'GET' ? `${srv.url}/api/v1/backup/${name}/download` : `${srv.url}/api/v1/backup/${name}`;
        const r = await getJson(url, { method });
        expect(statuses, `${method} ${name} -> ${r.status}`).toContain(r.status);
        expect(r.body.error?.code, `${method} ${name}`).toMatch(/^(INVALID_NAME|NOT_FOUND)$/);
      }
    }
    // Paths sent raw, as a hostile client can (fetch normalizes them).
    for (const raw of ['/api/v1/backup/../../secret.txt/download', '/api/v1/backup/%2e%2e/download', '/api/v1/backup/%2e%2e%2f%2e%2e%2fsecret.txt/download', '/api/v1/backup/../../../../../../etc/passwd', '/api/v1/backup/..%2f..%2fsecret.txt/download', '/api/v1/backup//etc/download']) {
      const r = await rawGet(srv.url, raw);
      expect([400, 404], `${raw} -> ${r.status}`).toContain(r.status);
      expect(r.body).not.toContain(SECRET);
      expect(r.body).not.toContain('root:');
    }
    // Nothing was followed or deleted.
    expect(fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe(SECRET);
    expect(fs.readFileSync(path.join(backups, 'plain-file'), 'utf8')).toBe(SECRET);
    const names = (await getJson(`${srv.url}/api/v1/backup`)).body.backups.map((x: { name: string }) => x.name);
    expect(names).not.toContain('evil-link');
    expect(names).not.toContain('plain-file');
  });

  it('a client that disconnects mid-download stops the read, closes the file, and the server keeps serving', async () => {
    const created = await getJson(`${srv.url}/api/v1/backup`, { method: 'POST' });
    expect(created.status).toBe(201);
    const { name, path: dir } = created.body;
    // Random bytes (gzip cannot shrink them) so the download outlasts every socket buffer.
    const big = path.join(dir, 'zz-large-random.bin');
    fs.writeFileSync(big, randomBytes(64 * 1024 * 1024));
    const cancelledBefore = srv.app.timeless.self.get('timeless_backup_downloads_ended_total', { outcome: 'cancelled' });

    // A handle closed by the garbage collector (the stream was dropped, not shut) warns: not good enough.
    const gcClosed: string[] = [];
    const onWarning = (w: Error) => {
      if (/garbage collection/i.test(w.message)) gcClosed.push(w.message);
    };
    process.on('warning', onWarning);
    const ac = new AbortController();
    const res = await fetch(`${srv.url}/api/v1/backup/${name}/download`, { signal: ac.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let got = 0;
    while (got < 1024 * 1024) got += (await reader.read()).value?.byteLength ?? 0;
    // The server is mid-way through the large file: it holds it open and waits for the client.
    await until(() => openFilesUnder(dir).includes(big), 'the server to open the large file');
    ac.abort();
    await reader.cancel().catch(() => undefined);
    await until(() => openFilesUnder(dir).length === 0, 'the server to close the file after the client left');
    await until(() => srv.app.timeless.self.get('timeless_backup_downloads_ended_total', { outcome: 'cancelled' }) === cancelledBefore + 1, 'the download to be counted as cancelled');

    global.gc?.();
    await new Promise((r) => setTimeout(r, 50));
    process.off('warning', onWarning);
    expect(gcClosed).toEqual([]);

    expect((await getJson(`${srv.url}/health`)).status).toBe(200);
    // HEAD answers the headers; Hono drops the GET body without cancelling it, so the stream must
    // not have started reading (no file opened) before anyone asked for bytes. A large file first
    // in the archive would be held open by a stream that read ahead.
    fs.writeFileSync(path.join(dir, '0-first.bin'), randomBytes(4 * 1024 * 1024));
    const head = await fetch(`${srv.url}/api/v1/backup/${name}/download`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('application/gzip');
    await new Promise((r) => setTimeout(r, 200));
    expect(openFilesUnder(dir)).toEqual([]);
    // The same backup still downloads whole afterwards.
    const again = await fetch(`${srv.url}/api/v1/backup/${name}/download`);
    const archive = path.join(work.dir, 'again.tar.gz');
    fs.writeFileSync(archive, Buffer.from(await again.arrayBuffer()));
    const listing = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' });
    expect(listing).toContain(`${name}/zz-large-random.bin`);
    expect(openFilesUnder(dir)).toEqual([]);
  });
});

describe('backup routes with auth on', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer({ server: { auth: { basic: { user: 'ops', pass: 's3cret' } } }, store: { retention: { intervalSec: 0 } } });
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('refuses every backup route without credentials and serves them with', async () => {
    const good = { authorization: `Basic ${Buffer.from('ops:s3cret').toString('base64')}` };
    const bad = { authorization: `Basic ${Buffer.from('ops:wrong').toString('base64')}` };
    const created = await getJson(`${srv.url}/api/v1/backup`, { method: 'POST', headers: good });
    expect(created.status).toBe(201);
    const name = created.body.name as string;
    for (const headers of [{}, bad]) {
      expect((await getJson(`${srv.url}/api/v1/backup`, { method: 'POST', headers })).status).toBe(401);
      expect((await getJson(`${srv.url}/api/v1/backup`, { headers })).status).toBe(401);
      const dl = await getJson(`${srv.url}/api/v1/backup/${name}/download`, { headers });
      expect(dl.status).toBe(401);
      expect(dl.body.error.code).toBe('UNAUTHORIZED');
      expect((await getJson(`${srv.url}/api/v1/backup/${name}`, { method: 'DELETE', headers })).status).toBe(401);
    }
    const dl = await fetch(`${srv.url}/api/v1/backup/${name}/download`, { headers: good });
    expect(dl.status).toBe(200);
    expect((await dl.arrayBuffer()).byteLength).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(srv.tl.dataDir, 'backups', name))).toBe(true);
  });
});
