// Middleware limits: 413 for bodies over the limit (declared, streamed, or inflated from gzip), 415
// for wrong media types and encodings, 429 + Retry-After under backpressure — each as JSON with a
// stable code, with the server up and earlier data intact afterwards.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, postJson, startServer, type TestServer } from './server-helpers.js';

const T_MS = Date.UTC(2024, 0, 1);

describe('body limits and types', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({ server: { maxBodyBytes: 4096 } });
    const w = await postJson(`${s.url}/api/v1/metrics/write`, [{ name: 'kept', labels: {}, value: 1, tsMs: T_MS }]);
    expect(w.status).toBe(200);
  });
  afterAll(async () => {
    await s?.close();
  });

  const big = JSON.stringify([{ name: 'x', labels: { pad: 'y'.repeat(5000) }, value: 1 }]);

  it('413 when the declared or streamed size passes the limit', async () => {
    const declared = await getJson(`${s.url}/api/v1/metrics/write`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(declared.status).toBe(413);
    expect(declared.body.error.code).toBe('BODY_TOO_LARGE');
    // Chunked upload (no Content-Length): the limit is enforced while reading.
    const stream = new ReadableStream<Uint8Array>({
      start(ctrl) {
        for (let i = 0; i < 10; i++) ctrl.enqueue(new TextEncoder().encode('x'.repeat(1000)));
        ctrl.close();
      },
    });
    const chunked = await getJson(`${s.url}/api/v1/logs/write`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it('413 for a small gzip body that inflates past the limit; gzip within the limit works', async () => {
    const bomb = await getJson(`${s.url}/api/v1/metrics/write`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(big) });
    expect(bomb.status).toBe(413);
    const ok = await getJson(`${s.url}/api/v1/metrics/write`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify([{ name: 'zipped', labels: {}, value: 5, tsMs: T_MS }])),
    });
    expect(ok.status).toBe(200);
    const corrupt = await getJson(`${s.url}/api/v1/metrics/write`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: 'not gzip at all' });
    expect(corrupt.status).toBe(400);
    expect(corrupt.body.error.code).toBe('INVALID_BODY');
  });

  it('415 for wrong media types and unknown encodings', async () => {
    const type = await getJson(`${s.url}/api/v1/logs/write`, { method: 'POST', headers: { 'content-type': 'text/html' }, body: '[]' });
    expect(type.status).toBe(415);
    expect(type.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const none = await getJson(`${s.url}/api/v1/logs/write`, { method: 'POST', body: new Uint8Array([1, 2]) });
    expect(none.status).toBe(415);
    const enc = await getJson(`${s.url}/api/v1/logs/write`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'br' }, body: '[]' });
    expect(enc.status).toBe(415);
    expect(enc.body.error.code).toBe('UNSUPPORTED_ENCODING');
  });

  it('400 for bodies that are not JSON, not UTF-8, or the wrong shape', async () => {
    for (const body of ['{', '', '\xff', '"just a string"', '{"points": 3}']) {
      const r = await getJson(`${s.url}/api/v1/metrics/write`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('INVALID_BODY');
    }
    const notUtf8 = await getJson(`${s.url}/api/v1/logs/write`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: new Uint8Array([0x5b, 0xc3, 0x28, 0x5d]) });
    expect(notUtf8.status).toBe(400);
  });

  it('keeps the data accepted before the bad requests', async () => {
    const q = await s.tl.metrics.query({ name: 'kept', fromMs: T_MS, toMs: T_MS + 1 });
    expect(Array.from(q[0].values)).toEqual([1]);
    expect((await getJson(`${s.url}/health`)).status).toBe(200);
  });
});

describe('backpressure', () => {
  let s: TestServer;
  beforeAll(async () => {
    // The smallest bound (64 KiB): a first batch of 20 k points fills it, so the next waits for a seal.
    s = await startServer({ store: { metrics: { maxPendingBytes: 65_536, autoFlushMs: 60_000 } } });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('answers 429 with Retry-After and writes nothing of the refused batch', async () => {
    const labels = {};
    const fill = Array.from({ length: 20_000 }, (_, i) => ({ name: 'fill', labels, value: i, tsMs: T_MS + i }));
    // Written through the library without a flush, so nothing seals them before the request below
    // (an HTTP ingest awaits its flush, which seals once pending passes half the bound).
    s.tl.metrics.writeBatch(fill);
    expect((await s.tl.metrics.stats()).pendingBytes).toBeGreaterThan(65_536);
    const second = await postJson(`${s.url}/api/v1/metrics/write`, [
      { name: 'bp', labels: {}, value: 2, tsMs: T_MS + 1 },
      { name: 'bp', labels: {}, value: 3, tsMs: T_MS + 2 },
    ]);
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('1');
    expect(second.body.error.code).toBe('BACKPRESSURE');
    expect(await s.tl.metrics.query({ name: 'bp', fromMs: T_MS, toMs: T_MS + 10 })).toHaveLength(0);
    const filled = await s.tl.metrics.query({ name: 'fill', fromMs: T_MS, toMs: T_MS + 20_000 });
    expect(filled[0].values.length).toBe(20_000);
    // Once sealing catches up, the retry is accepted.
    await s.tl.metrics.flush();
    const retry = await postJson(`${s.url}/api/v1/metrics/write`, [{ name: 'bp', labels: {}, value: 2, tsMs: T_MS + 1 }]);
    expect(retry.status).toBe(200);
  });
});
