// The forwarder's small parts: answers sorted into delivered / retry / permanent, Retry-After,
// backoff with jitter, the metrics queue frames (NaN and infinities survive, series grouped and
// samples ordered), and option checks.
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Backoff, parseRetryAfter, sendOnce, type SendRequest } from '../src/server/forward/sender.js';
import { encodeMetricsFrames, seriesOfFrames } from '../src/server/forward/remote-write-target.js';
import { createForwarder } from '../src/server/forward/forwarder.js';
import { tempDir } from './metrics-helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serverAnswering(status: number, headers: Record<string, string> = {}, delayMs = 0): Promise<string> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        res.writeHead(status, headers);
        res.end(status >= 400 ? 'out of order sample' : '');
      }, delayMs),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/write`;
}

const req = (url: string): SendRequest => ({ url, body: new Uint8Array([1, 2, 3]), headers: {} });
const never = new AbortController().signal;

describe('sendOnce', () => {
  it('sorts answers: 2xx delivered, 429/408/5xx and network errors retried, other 4xx permanent', async () => {
    expect(await sendOnce(req(await serverAnswering(204)), 5000, never)).toEqual({ kind: 'ok', status: 204 });
    expect(await sendOnce(req(await serverAnswering(400)), 5000, never)).toMatchObject({ kind: 'permanent', status: 400, error: expect.stringMatching(/answered 400: out of order sample/) });
    expect(await sendOnce(req(await serverAnswering(404)), 5000, never)).toMatchObject({ kind: 'permanent', status: 404 });
    expect(await sendOnce(req(await serverAnswering(429, { 'Retry-After': '7' })), 5000, never)).toMatchObject({ kind: 'retry', status: 429, retryAfterMs: 7000 });
    expect(await sendOnce(req(await serverAnswering(408)), 5000, never)).toMatchObject({ kind: 'retry', status: 408 });
    expect(await sendOnce(req(await serverAnswering(503)), 5000, never)).toMatchObject({ kind: 'retry', status: 503, retryAfterMs: undefined });
    // A port nobody listens on.
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    expect(await sendOnce(req(`http://127.0.0.1:${closed}/write`), 5000, never)).toMatchObject({ kind: 'retry', error: expect.stringMatching(/ECONNREFUSED/) });
    // No answer in time.
    expect(await sendOnce(req(await serverAnswering(200, {}, 2000)), 100, never)).toMatchObject({ kind: 'retry', error: expect.stringMatching(/no answer within 100 ms/) });
  });
});

describe('retry timing', () => {
  it('reads Retry-After as seconds or an HTTP date, bounded, and ignores garbage', () => {
    const now = Date.UTC(2025, 0, 1, 12, 0, 0);
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter(new Date(now + 90_000).toUTCString(), now)).toBe(90_000);
    expect(parseRetryAfter(new Date(now - 5000).toUTCString(), now)).toBe(0);
    expect(parseRetryAfter('999999', now)).toBe(10 * 60 * 1000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('doubles the step up to the cap, jitters within its upper half, never waits less than Retry-After, and resets', () => {
    const low = new Backoff(100, 1000, () => 0);
    expect([1, 2, 3, 4, 5, 6].map(() => low.next())).toEqual([50, 100, 200, 400, 500, 500]);
    const high = new Backoff(100, 1000, () => 0.999999);
    expect([1, 2, 3, 4, 5].map(() => high.next())).toEqual([100, 200, 400, 800, 1000]);
    high.reset();
    expect(high.next()).toBe(100);
    expect(high.next(5000)).toBe(5000);
    expect(high.next(10)).toBe(400);
  });
});

describe('remote_write queue frames', () => {
  it('keep NaN and infinities, group points by series with sorted labels, order samples in time', () => {
    const frames = encodeMetricsFrames(
      [
        { name: 'm', labels: { b: '2', a: '1' }, value: NaN, tsMs: 3000.9 },
        { name: 'm', labels: { a: '1', b: '2' }, value: Infinity, tsMs: 1000 },
        { name: 'm', labels: { a: '1', empty: '' }, value: -Infinity, tsMs: 2000 },
        { name: 'n', labels: {}, value: 0.1, tsMs: 5 },
        { name: 'm', labels: { a: '1', b: '2' }, value: -0.5, tsMs: 2000 },
      ],
      123,
      2,
    );
    expect(frames.map((f) => f.records)).toEqual([2, 2, 1]);
    const series = seriesOfFrames(frames.map((f) => f.payload));
    expect(series.map((s) => Object.keys(s.labels))).toEqual([['__name__', 'a', 'b'], ['__name__', 'a'], ['__name__']]);
    expect(series[0]).toEqual({ labels: { __name__: 'm', a: '1', b: '2' }, samples: [{ tsMs: 1000, value: Infinity }, { tsMs: 2000, value: -0.5 }, { tsMs: 3000, value: NaN }] });
    expect(series[1]).toEqual({ labels: { __name__: 'm', a: '1' }, samples: [{ tsMs: 2000, value: -Infinity }] });
    expect(series[2]).toEqual({ labels: { __name__: 'n' }, samples: [{ tsMs: 5, value: 0.1 }] });
    // A point without a time gets the forwarding time.
    const [f] = encodeMetricsFrames([{ name: 'x', labels: {}, value: 1 }], 4242, 10);
    expect(seriesOfFrames([f.payload])[0].samples).toEqual([{ tsMs: 4242, value: 1 }]);
  });
});

describe('createForwarder options', () => {
  it('refuses missing targets and non-http URLs with clear messages', () => {
    const t = tempDir('fwd-opts');
    cleanups.push(t.remove);
    expect(() => createForwarder({ dataDir: t.dir })).toThrow(/needs remoteWrite URLs and\/or an otlp URL/);
    expect(() => createForwarder({ dataDir: t.dir, remoteWrite: ['victoria:8428'] })).toThrow(/must be an http\(s\) URL/);
    expect(() => createForwarder({ dataDir: t.dir, remoteWrite: ['not a url'] })).toThrow(/is not a URL/);
    expect(() => createForwarder({ dataDir: t.dir, otlp: 'http://c:4318', maxQueueBytes: -1 })).toThrow(/maxQueueBytes must be a positive integer/);
  });
});
