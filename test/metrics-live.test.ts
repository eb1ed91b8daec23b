// GET /api/v1/metrics/live over HTTP: the first poll sends the newest point of every series of the
// named metrics, later polls only points newer than those already sent (per series), other metrics
// never; the stream's poll loop ends when the client aborts; bad parameters are 400 JSON; the route
// is behind auth like the rest.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { liveStreamCount } from '../src/server/routes/metrics-live.js';
import { getJson, startServer, type TestServer } from './server-helpers.js';

const NOW = Date.now();

interface LivePoint {
  name: string;
  labels: Record<string, string>;
  tsMs: number;
  value: number;
}

/** Reads an SSE response, splitting it into events as they arrive. */
function sseReader(res: Response) {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  const events: { event: string; data: string }[] = [];
  return {
    events,
    /** Reads until `pred` holds over the events so far (the test's timeout bounds it). */
    async until(pred: () => boolean): Promise<void> {
      while (!pred()) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buf += dec.decode(value, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event !== undefined && data !== undefined) events.push({ event, data });
        }
      }
    },
    points(): LivePoint[][] {
      return events.filter((e) => e.event === 'points').map((e) => JSON.parse(e.data) as LivePoint[]);
    },
  };
}

describe('metrics live stream', () => {
  let s: TestServer;

  beforeAll(async () => {
    s = await startServer();
    s.tl.metrics.writeBatch([
      { name: 'nodejs_heap_size_used_bytes', labels: {}, value: 10e6, tsMs: NOW - 20_000 },
      { name: 'nodejs_heap_size_used_bytes', labels: {}, value: 11e6, tsMs: NOW - 10_000 },
      { name: 'nodejs_gc_runs_total', labels: { kind: 'minor' }, value: 5, tsMs: NOW - 10_000 },
      { name: 'nodejs_gc_runs_total', labels: { kind: 'major' }, value: 1, tsMs: NOW - 10_000 },
      { name: 'other_metric', labels: {}, value: 1, tsMs: NOW - 10_000 },
    ]);
    await s.tl.flush();
  });

  afterAll(async () => {
    await s?.close();
  });

  it('sends the latest point of each series, then only newer ones, and stops on abort', async () => {
    const ac = new AbortController();
    const res = await fetch(`${s.url}/api/v1/metrics/live?name=nodejs_heap_size_used_bytes&names=nodejs_gc_runs_total&intervalMs=1000`, { signal: ac.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const r = sseReader(res);
    await r.until(() => r.points().length >= 1);
    expect(JSON.parse(r.events[0].data)).toEqual({ names: ['nodejs_heap_size_used_bytes', 'nodejs_gc_runs_total'], intervalMs: 1000 });
    const first = r.points()[0];
    const byKey = (p: LivePoint) => `${p.name}${p.labels.kind ?? ''}`;
    expect(first.map(byKey).sort()).toEqual(['nodejs_gc_runs_totalmajor', 'nodejs_gc_runs_totalminor', 'nodejs_heap_size_used_bytes']);
    expect(first.find((p) => p.name === 'nodejs_heap_size_used_bytes')).toEqual({ name: 'nodejs_heap_size_used_bytes', labels: {}, tsMs: NOW - 10_000, value: 11e6 });
    expect(liveStreamCount()).toBe(1);

    // A newer point of one series (and one of a metric not asked for): the next event has only it.
    s.tl.metrics.writeBatch([
      { name: 'nodejs_gc_runs_total', labels: { kind: 'minor' }, value: 9, tsMs: NOW },
      { name: 'other_metric', labels: {}, value: 2, tsMs: NOW },
    ]);
    await r.until(() => r.points().length >= 2);
    expect(r.points()[1]).toEqual([{ name: 'nodejs_gc_runs_total', labels: { kind: 'minor' }, tsMs: NOW, value: 9 }]);
    // An older point than the one sent is not news either.
    s.tl.metrics.writeBatch([{ name: 'nodejs_heap_size_used_bytes', labels: {}, value: 1, tsMs: NOW - 15_000 }]);
    s.tl.metrics.writeBatch([{ name: 'nodejs_heap_size_used_bytes', labels: {}, value: 12e6, tsMs: NOW + 1000 }]);
    await r.until(() => r.points().length >= 3);
    expect(r.points()[2]).toEqual([{ name: 'nodejs_heap_size_used_bytes', labels: {}, tsMs: NOW + 1000, value: 12e6 }]);
    expect(r.points().flat().some((p) => p.name === 'other_metric')).toBe(false);

    ac.abort();
    // The server notices the closed connection and its poll loop ends.
    await vi.waitFor(() => expect(liveStreamCount()).toBe(0), { timeout: 10_000, interval: 50 });
  });

  it('answers 400 JSON for bad parameters', async () => {
    for (const q of ['', '?name=', '?names=,', '?name=a&intervalMs=999', '?name=a&intervalMs=abc', '?name=a&intervalMs=1.5', '?name=bad%20name', `?names=${Array.from({ length: 65 }, (_, i) => `m${i}`).join(',')}`]) {
      const res = await getJson(`${s.url}/api/v1/metrics/live${q}`);
      expect(res.status, q).toBe(400);
      expect(res.headers.get('content-type'), q).toContain('application/json');
      expect(res.body.error.code, q).toBe('INVALID_PARAM');
    }
    expect(liveStreamCount()).toBe(0);
  });

  it('is behind auth', async () => {
    const a = await startServer({ server: { auth: { bearerToken: 'tok' } } });
    try {
      expect((await fetch(`${a.url}/api/v1/metrics/live?name=x`)).status).toBe(401);
      const ac = new AbortController();
      const ok = await fetch(`${a.url}/api/v1/metrics/live?name=x`, { headers: { authorization: 'Bearer tok' }, signal: ac.signal });
      expect(ok.status).toBe(200);
      ac.abort();
    } finally {
      await a.close();
    }
  });
});
