// The store's memory limit (memoryLimitBytes, issue #9) with an injected RSS (the @internal
// memoryRssBytes option): while RSS is above the soft limit (the limit minus memorySpikeBytes, by
// default 20 % of it), each engine's write throws BACKPRESSURE naming RSS and the limits when that
// engine holds unsealed data, stores nothing of the refused
// batch, and drains; flush() makes the retry go through; writes flow again when RSS falls; stats and
// GET /api/v1/stats show it; HTTP answers 429 + Retry-After. And the built server's --memory-limit-mb.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Timeless, type TimelessOptions } from '../src/store.js';
import { MetricsError } from '../src/metrics/errors.js';
import { LogsError } from '../src/logs/errors.js';
import { TracesError } from '../src/traces/errors.js';
import { tempDir } from './metrics-helpers.js';
import { startMain } from './process-helpers.js';

const MIB = 1024 * 1024;
const LIMIT = 64 * MIB;
const T0_MS = Date.UTC(2024, 0, 1);
const T0_NS = BigInt(T0_MS) * 1_000_000n;

function caught(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('memoryLimitBytes', () => {
  let tmp: { dir: string; remove: () => void };
  let tl: Timeless | undefined;
  const rss = { bytes: 40 * MIB };
  const warnings: string[] = [];
  const origWarn = console.warn;
  beforeEach(() => {
    tmp = tempDir('memory-limit');
    rss.bytes = 40 * MIB;
    warnings.length = 0;
    console.warn = (...a: unknown[]) => void warnings.push(a.join(' '));
  });
  afterEach(async () => {
    console.warn = origWarn;
    await tl?.close();
    tl = undefined;
    tmp.remove();
  });
  const open = async (extra: Partial<TimelessOptions> = {}) =>
    (tl = await Timeless.open({ dataDir: tmp.dir, runtimeMetrics: false, pool: { threads: 1 }, memoryLimitBytes: LIMIT, memoryRssBytes: () => rss.bytes, ...extra }));
  /** stats() samples RSS: the guard sees the new value without waiting for its timer. */
  const resample = async () => (await tl!.stats()).memory!;

  it('metrics: refuses a batch while over the limit with points pending, stores none of it, and admits again after flush() or when RSS falls', async () => {
    const tl = await open();
    const batch = (name: string, k: number) => Array.from({ length: 100 }, (_, i) => ({ name, labels: { k: String(k) }, value: i, tsMs: T0_MS + k * 1000 + i }));
    tl.metrics.writeBatch(batch('mem_ok', 0));
    rss.bytes = 100 * MIB;
    expect(await resample()).toMatchObject({ limitBytes: LIMIT, rssBytes: 100 * MIB, over: true, refusedWrites: 0 });

    const err = caught(() => tl.metrics.writeBatch(batch('mem_refused', 1))) as MetricsError;
    expect(err).toBeInstanceOf(MetricsError);
    expect(err.code).toBe('BACKPRESSURE');
    expect(err.message).toMatch(/process RSS 100 MiB is above the soft memory limit 51 MiB \(memoryLimitBytes 64 MiB - memorySpikeBytes\)/);
    expect(err.message).toMatch(/await metrics\.flush\(\).*retry, or raise memoryLimitBytes/);
    expect((caught(() => tl.metrics.write('mem_refused', { k: '2' }, 1, T0_MS)) as MetricsError).code).toBe('BACKPRESSURE');
    // Nothing of the refused batches: not even their series.
    expect(tl.metrics.listMetrics()).toEqual(['mem_ok']);

    // flush() waits for the drain the refusal started: the retry is admitted (nothing pending), the
    // next one refused again (the retried batch is pending) — one batch at a time while over.
    await tl.metrics.flush();
    expect((await tl.metrics.stats()).pendingBytes).toBe(0);
    tl.metrics.writeBatch(batch('mem_retried', 3));
    expect((caught(() => tl.metrics.writeBatch(batch('mem_refused', 4))) as MetricsError).code).toBe('BACKPRESSURE');
    expect(await resample()).toMatchObject({ over: true, refusedWrites: 3, admittedOverLimit: 1 });
    // Admitting with nothing pending means the limit is below the working set: said once.
    expect(warnings.filter((w) => /below the process's working set/.test(w))).toHaveLength(1);

    // Under the soft limit (51.2 MiB) again.
    rss.bytes = 50 * MIB;
    const st = await resample();
    expect(st.over).toBe(false);
    expect(st.overSinceMs).toBeUndefined();
    tl.metrics.writeBatch(batch('mem_after', 5));
    tl.metrics.writeBatch(batch('mem_after', 6));
    expect(tl.metrics.listMetrics().sort()).toEqual(['mem_after', 'mem_ok', 'mem_retried']);
    const q = await tl.metrics.query({ name: 'mem_after', fromMs: T0_MS, toMs: T0_MS + 10_000 });
    expect(q.map((s) => s.values.length)).toEqual([100, 100]);
  });

  it('logs: the same for writeBatch and write', async () => {
    const tl = await open();
    tl.logs.write({ tsMs: T0_MS, message: 'before the limit' });
    rss.bytes = 100 * MIB;
    await resample();
    const err = caught(() => tl.logs.writeBatch([{ tsMs: T0_MS + 1, message: 'refused a' }, { tsMs: T0_MS + 2, message: 'refused b' }])) as LogsError;
    expect(err).toBeInstanceOf(LogsError);
    expect(err.code).toBe('BACKPRESSURE');
    expect(err.message).toMatch(/process RSS 100 MiB is above the soft memory limit 51 MiB \(memoryLimitBytes 64 MiB - memorySpikeBytes\).*await logs\.flush\(\)/);
    expect((caught(() => tl.logs.write({ tsMs: T0_MS + 3, message: 'refused c' })) as LogsError).code).toBe('BACKPRESSURE');
    await tl.logs.flush();
    expect((await tl.logs.stats()).pendingBytes).toBe(0);
    tl.logs.write({ tsMs: T0_MS + 4, message: 'retried' });
    expect((caught(() => tl.logs.write({ tsMs: T0_MS + 5, message: 'refused d' })) as LogsError).code).toBe('BACKPRESSURE');
    rss.bytes = 10 * MIB;
    await resample();
    tl.logs.writeBatch([{ tsMs: T0_MS + 6, message: 'after 1' }, { tsMs: T0_MS + 7, message: 'after 2' }]);
    const messages = (await tl.logs.query({ fromMs: T0_MS, toMs: T0_MS + 100, limit: 100 })).entries.map((e) => e.message).sort();
    expect(messages).toEqual(['after 1', 'after 2', 'before the limit', 'retried']);
    expect((await resample()).refusedWrites).toBe(3);
  });

  it('traces: the same for a batch of spans', async () => {
    const tl = await open();
    const span = (n: number) => ({ traceId: (n + 1).toString(16).padStart(32, '0'), spanId: (n + 1).toString(16).padStart(16, '0'), name: `s${n}`, startNs: T0_NS + BigInt(n) * 1_000_000n, endNs: T0_NS + BigInt(n) * 1_000_000n + 10n });
    tl.traces.write(span(0));
    rss.bytes = 100 * MIB;
    await resample();
    const err = caught(() => tl.traces.write([span(1), span(2)])) as TracesError;
    expect(err).toBeInstanceOf(TracesError);
    expect(err.code).toBe('BACKPRESSURE');
    expect(err.message).toMatch(/process RSS 100 MiB is above the soft memory limit 51 MiB \(memoryLimitBytes 64 MiB - memorySpikeBytes\).*await traces\.flush\(\)/);
    expect(err.message).not.toMatch(/span \d+; nothing/);
    await tl.traces.flush();
    tl.traces.write([span(3), span(4)]);
    expect((caught(() => tl.traces.write(span(5))) as TracesError).code).toBe('BACKPRESSURE');
    rss.bytes = 10 * MIB;
    await resample();
    tl.traces.write([span(6)]);
    const names = (await tl.traces.query({ fromMs: T0_MS, toMs: T0_MS + 100, limit: 100 })).spans.map((s) => s.name).sort();
    expect(names).toEqual(['s0', 's3', 's4', 's6']);
  });

  it('HTTP: 429 + Retry-After with the JSON error while over, and the memory state in GET /api/v1/stats', async () => {
    const tl = await open();
    const app = tl.routes();
    const post = (k: number) =>
      app.request('/api/v1/metrics/write', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ name: 'http_mem', labels: { k: String(k) }, value: k, tsMs: T0_MS + k }]) });
    expect((await post(0)).status).toBe(200);
    rss.bytes = 100 * MIB;
    const stats = await (await app.request('/api/v1/stats')).json();
    expect(stats.memory).toMatchObject({ limitBytes: LIMIT, rssBytes: 100 * MIB, over: true, refusedWrites: 0 });
    expect(typeof stats.memory.overSinceMs).toBe('number');
    const res = await post(1);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    const body = await res.json();
    expect(body.error.code).toBe('BACKPRESSURE');
    expect(body.error.message).toMatch(/process RSS 100 MiB is above the soft memory limit 51 MiB \(memoryLimitBytes 64 MiB - memorySpikeBytes\)/);
    expect((await (await app.request('/api/v1/stats')).json()).memory.refusedWrites).toBe(1);
    expect(tl.metrics.series('http_mem')).toEqual([{ name: 'http_mem', labels: { k: '0' } }]);
  });

  it('memorySpikeBytes moves the soft limit; above the hard limit the store runs full GCs (counted in stats)', async () => {
    const tl = await open({ memorySpikeBytes: 4 * MIB });
    tl.metrics.write('spike', {}, 1, T0_MS);
    rss.bytes = 59 * MIB;
    expect(await resample()).toMatchObject({ limitBytes: LIMIT, softLimitBytes: 60 * MIB, over: false, forcedGcs: 0 });
    tl.metrics.write('spike', {}, 2, T0_MS + 1);
    rss.bytes = 61 * MIB;
    expect(await resample()).toMatchObject({ over: true, forcedGcs: 0 });
    expect((caught(() => tl.metrics.write('spike', {}, 3, T0_MS + 2)) as MetricsError).message).toMatch(/above the soft memory limit 60 MiB \(memoryLimitBytes 64 MiB - memorySpikeBytes\)/);
    // Above the hard limit: this thread's V8 ran a full GC (RSS here is injected, so it stays).
    rss.bytes = 65 * MIB;
    const st = await resample();
    expect(st).toMatchObject({ over: true, rssBytes: 65 * MIB });
    expect(st.forcedGcs).toBe(1);
  });

  it('refuses a memorySpikeBytes that leaves less than 16 MiB below the limit, or comes without a limit', async () => {
    for (const bad of [-1, 0.5, LIMIT - 16 * MIB + 1, LIMIT]) {
      await expect(open({ memorySpikeBytes: bad }), String(bad)).rejects.toThrow(/memorySpikeBytes must be an integer number of bytes from 0 to memoryLimitBytes - 16 MiB/);
    }
    await expect(Timeless.open({ dataDir: tmp.dir, runtimeMetrics: false, memorySpikeBytes: MIB })).rejects.toThrow(/memorySpikeBytes needs memoryLimitBytes/);
    const tl = await open({ memorySpikeBytes: 0 });
    expect((await tl.stats()).memory?.softLimitBytes).toBe(LIMIT);
  });

  it('without memoryLimitBytes: no guard, no memory in stats, RSS never refuses', async () => {
    rss.bytes = 10_000 * MIB;
    const tl = await open({ memoryLimitBytes: undefined });
    tl.metrics.write('free', {}, 1, T0_MS);
    tl.metrics.write('free', {}, 2, T0_MS + 1);
    expect((await tl.stats()).memory).toBeUndefined();
  });

  it('refuses a limit that is not a whole number of bytes ≥ 32 MiB, before touching the data dir', async () => {
    for (const bad of [0, -1, 1000, 32 * MIB - 1, 64 * MIB + 0.5, Number.NaN, '64' as unknown as number]) {
      await expect(Timeless.open({ dataDir: tmp.dir, runtimeMetrics: false, memoryLimitBytes: bad }), String(bad)).rejects.toThrow(RangeError);
    }
    await expect(Timeless.open({ dataDir: tmp.dir, runtimeMetrics: false, memoryLimitBytes: 1000 })).rejects.toThrow(/memoryLimitBytes must be an integer number of bytes ≥ 33554432 \(32 MiB\), got 1000/);
    // The lock was never taken.
    tl = await Timeless.open({ dataDir: tmp.dir, runtimeMetrics: false, pool: { threads: 1 }, memoryLimitBytes: 32 * MIB });
    expect((await tl.stats()).memory?.limitBytes).toBe(32 * MIB);
  });
});

describe('timeless serve --memory-limit-mb (built)', () => {
  it('passes the limit to the store: stats show it, and a server over it answers 429 once its store holds unsealed points', async () => {
    const tmp = tempDir('serve-memory');
    // 32 MiB is below any Node server's working set: the guard is over from the start.
    const p = startMain(['--port', '0', '--no-demo', '--data-dir', tmp.dir, '--memory-limit-mb', '32']);
    try {
      const url = await p.url;
      const stats = await (await fetch(`${url}/api/v1/stats`)).json();
      expect(stats.memory).toMatchObject({ limitBytes: 32 * MIB, over: true });
      const post = (k: number) => fetch(`${url}/api/v1/metrics/write`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ name: 'cli_mem', labels: {}, value: k, tsMs: T0_MS + k }]) });
      // Nothing pending: admitted (and the "below the working set" warning); then pending: refused.
      expect((await post(0)).status).toBe(200);
      const refused = await post(1);
      expect(refused.status).toBe(429);
      expect((await refused.json()).error.message).toMatch(/above the soft memory limit 26 MiB \(memoryLimitBytes 32 MiB - memorySpikeBytes\)/);
      p.child.kill('SIGTERM');
      expect(await p.exit).toBe(0);
      expect(p.out()).toMatch(/below the process's working set/);
    } finally {
      p.child.kill('SIGKILL');
      tmp.remove();
    }
  });
});
