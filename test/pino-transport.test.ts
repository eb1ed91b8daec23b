// The pino transport end to end (issue #8): a real pino 10 logger whose transport (the BUILT
// dist/src/integrations/pino.js, run by pino in its worker thread) sends lines to a store through the
// log channel, or to a Timeless server over HTTP. Needs `npx tsc -p tsconfig.json` first.
//
// The channel is started explicitly here on a name of its own (a path that is not the store's data
// dir), so these tests do not depend on whether Timeless.open() also starts one for its data dir.
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Timeless } from '../src/store.js';
import type { LogEntry, LogInput } from '../src/logs/types.js';
import { startLogChannel } from '../src/integrations/log-channel.js';
import transport from '../src/integrations/pino.js';
import { runWithTraceContext, traceFields } from '../src/integrations/request-context.js';
import { tempDir } from './metrics-helpers.js';
import { startServer } from './server-helpers.js';

const TARGET = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/src/integrations/pino.js');
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function openStore(): Promise<{ tl: Timeless; channelDir: string }> {
  const t = tempDir('pino');
  const tl = await Timeless.open({ dataDir: path.join(t.dir, 'store'), pool: { threads: 1 }, runtimeMetrics: false, retention: { intervalSec: 0 } });
  cleanups.push(async () => {
    await tl.close();
    t.remove();
  });
  return { tl, channelDir: path.join(t.dir, 'channel') };
}

function channel(tl: Timeless, dataDir: string) {
  const h = startLogChannel(tl.logs, { dataDir, warn: () => undefined });
  cleanups.push(() => h.close());
  return h;
}

function logger(options: Record<string, unknown>, extra: Record<string, unknown> = {}): Logger {
  const l = pino({ mixin: traceFields, ...extra, transport: { target: TARGET, options } });
  cleanups.push(() => new Promise<void>((resolve) => {
    const s = (l as any)[pino.symbols.streamSym];
    if (s.closed) return resolve();
    s.once('close', () => resolve());
    s.end();
  }));
  return l;
}

const flush = (l: Logger) => new Promise<void>((resolve, reject) => l.flush((err?: Error) => (err ? reject(err) : resolve())));

async function all(tl: Timeless): Promise<LogEntry[]> {
  const r = await tl.logs.query({ limit: 10_000, order: 'asc' });
  return r.entries;
}

/** Polls until `n` entries are stored (10 s deadline): delivery is asynchronous, the assertions are not about timing. */
async function waitFor(tl: Timeless, n: number): Promise<LogEntry[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const e = await all(tl);
    if (e.length >= n || Date.now() > deadline) return e;
    await sleep(20);
  }
}

describe('pino transport (channel mode)', () => {
  it('stores every line with level, message, attributes and trace ids; logger.flush() returns once they are stored', async () => {
    const { tl, channelDir } = await openStore();
    // Every other delivery is refused as backpressure, so lines are stored only by the transport's
    // re-sends: flush() must wait for those acks, then for the sink's flush.
    let calls = 0;
    let flushes = 0;
    const sink = {
      writeBatch(entries: LogInput[]) {
        if (calls++ % 2 === 0) throw Object.assign(new Error('BACKPRESSURE: busy'), { code: 'BACKPRESSURE' });
        tl.logs.writeBatch(entries);
      },
      async flush() {
        flushes++;
        await tl.logs.flush();
      },
    };
    const h = startLogChannel(sink, { dataDir: channelDir });
    cleanups.push(() => h.close());
    const log = logger({ dataDir: channelDir, resource: { 'service.name': 'pino-test' }, retryIntervalMs: 50 }, { name: 'app' });
    const N = 1200; // more than one 512-line batch
    for (let i = 0; i < N; i++) {
      const fields = { i, req: { method: 'GET', path: `/p/${i % 7}` }, tags: ['a', i % 2 === 0 ? 'even' : 'odd'] };
      if (i % 3 === 0) runWithTraceContext({ traceId: TRACE, spanId: SPAN, flags: 1 }, () => log.warn(fields, `line ${i}`));
      else if (i % 100 === 1) log.error(Object.assign(new TypeError(`boom ${i}`), { code: 'E_BOOM' }));
      else log.info(fields, `line ${i}`);
    }
    await flush(log);
    // No polling: flush resolved only after the store acknowledged every line and synced its WAL.
    expect(flushes).toBe(1);
    const entries = await all(tl);
    expect(entries).toHaveLength(N);
    const byI = new Map<number, LogEntry>();
    for (const e of entries) {
      expect(e.resource['service.name']).toBe('pino-test');
      expect(e.resource['host.name']).toBeTypeOf('string');
      expect(e.resource['process.pid']).toBe(process.pid);
      expect(e.attributes['logger.name']).toBe('app');
      if (typeof e.attributes.i === 'number') byI.set(e.attributes.i, e);
      else {
        expect(e.level).toBe('error');
        expect(e.attributes['exception.type']).toBe('TypeError');
        expect(e.message).toMatch(/^boom \d+$/);
        expect(e.attributes['exception.message']).toBe(e.message);
        expect(String(e.attributes['exception.stacktrace'])).toContain('TypeError: boom');
        expect(e.attributes['err.code']).toBe('E_BOOM');
      }
    }
    for (let i = 0; i < N; i++) {
      if (i % 3 !== 0 && i % 100 === 1) continue;
      const e = byI.get(i)!;
      expect(e, `line ${i}`).toBeDefined();
      expect(e.message).toBe(`line ${i}`);
      expect(e.attributes['req.method']).toBe('GET');
      expect(e.attributes['req.path']).toBe(`/p/${i % 7}`);
      expect(e.attributes.tags).toEqual(['a', i % 2 === 0 ? 'even' : 'odd']);
      if (i % 3 === 0) {
        expect(e.level).toBe('warn');
        expect(e.traceId).toBe(TRACE);
        expect(e.spanId).toBe(SPAN);
      } else {
        expect(e.level).toBe('info');
        expect(e.traceId).toBeUndefined();
      }
    }
    expect((await tl.logs.query({ traceId: TRACE, limit: 10_000 })).entries).toHaveLength(N / 3);
  });

  it('lines logged before any store listens arrive once one does, exactly once', async () => {
    const { tl, channelDir } = await openStore();
    const log = logger({ dataDir: channelDir, retryIntervalMs: 200, flushTimeoutMs: 300 });
    for (let i = 0; i < 300; i++) log.info({ i }, `early ${i}`);
    // The transport must have cut its batches with no receiver around: a flush with nobody to answer
    // returns at its bound, keeping the batches for re-sending.
    await new Promise<void>((resolve) => log.flush(() => resolve()));
    channel(tl, channelDir);
    for (let i = 300; i < 400; i++) log.info({ i }, `late ${i}`);
    await flush(log);
    const entries = await waitFor(tl, 400);
    expect(entries.map((e) => e.attributes.i).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 400 }, (_, i) => i));
    // Retries keep firing (every 200 ms here) and the receiver's ready re-sent everything once more.
    await sleep(600);
    expect(await all(tl)).toHaveLength(400);
  }, 20_000);

  it('batches re-sent while the store is busy, or after a receiver restart, are stored once', async () => {
    const { tl, channelDir } = await openStore();
    const first = channel(tl, channelDir);
    const log = logger({ dataDir: channelDir, batchIntervalMs: 5, retryIntervalMs: 20 });
    for (let i = 0; i < 100; i++) log.info({ i }, `a ${i}`);
    // Hand the lines to the worker (flushSync returns once it has read them), then block this thread
    // (the store's) while the worker keeps re-sending the unacknowledged batch: several copies of it
    // are queued for the receiver when it runs again.
    (log as any)[pino.symbols.streamSym].flushSync();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    await flush(log);
    first.close();
    for (let i = 100; i < 200; i++) log.info({ i }, `b ${i}`);
    channel(tl, channelDir);
    await flush(log);
    const entries = await waitFor(tl, 200);
    expect(entries.map((e) => e.attributes.i).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it("resolves the transport by the package name ('timeless-node/pino'), as apps configure it", async () => {
    const { tl, channelDir } = await openStore();
    channel(tl, channelDir);
    const log = pino({ transport: { target: 'timeless-node/pino', options: { dataDir: channelDir } } });
    cleanups.push(() => new Promise<void>((resolve) => {
      const s = (log as any)[pino.symbols.streamSym];
      s.once('close', () => resolve());
      s.end();
    }));
    log.info('by name');
    await flush(log);
    expect((await all(tl)).map((e) => e.message)).toEqual(['by name']);
  });

  it('Timeless.open() receives the lines of a transport pointed at its data directory', async () => {
    const t = tempDir('pino-open');
    const dataDir = path.join(t.dir, 'store');
    const tl = await Timeless.open({ dataDir, pool: { threads: 1 }, runtimeMetrics: false, retention: { intervalSec: 0 } });
    cleanups.push(async () => {
      await tl.close();
      t.remove();
    });
    // No channel started here: the store listens on its own.
    const log = logger({ dataDir });
    runWithTraceContext({ traceId: TRACE, spanId: SPAN, flags: 1 }, () => log.warn({ orderId: 7 }, 'from the app'));
    await flush(log);
    const entries = await all(tl);
    expect(entries.map((e) => [e.level, e.message, e.traceId, e.spanId, e.attributes.orderId])).toEqual([['warn', 'from the app', TRACE, SPAN, 7]]);
    // The store's identity is the default resource: pino's hostname/pid come on top of it.
    expect(entries[0].resource['service.name']).toBe('timeless-node');
  });

  it('ending the logger (process exit path) posts what it holds; the store receives it', async () => {
    const { tl, channelDir } = await openStore();
    channel(tl, channelDir);
    const log = logger({ dataDir: channelDir, batchIntervalMs: 60_000 });
    for (let i = 0; i < 50; i++) log.info({ i }, `end ${i}`);
    const s = (log as any)[pino.symbols.streamSym];
    await new Promise<void>((resolve) => {
      s.once('close', () => resolve());
      s.end();
    });
    expect(await waitFor(tl, 50)).toHaveLength(50);
  });
});

describe('pino transport (stream, in this thread)', () => {
  it('keeps a non-JSON line as text and stores the good lines around an entry the store refuses', async () => {
    const { tl, channelDir } = await openStore();
    const warnings: string[] = [];
    const h = startLogChannel(tl.logs, { dataDir: channelDir, warn: (m) => warnings.push(m) });
    cleanups.push(() => h.close());
    const stream: Writable & { flush?: (cb: () => void) => void } = await transport({ dataDir: channelDir });
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep]; // deeper than any attribute value may nest
    const t0 = Date.now();
    const lines = [
      JSON.stringify({ level: 30, time: t0 - 2000, msg: 'good 1' }),
      'plain text, not JSON', // stamped when the transport received it: after t0
      JSON.stringify({ level: 50, time: t0 - 1500, msg: 'refused', deep }),
      JSON.stringify({ level: 40, time: t0 - 1000, msg: 'good 2' }),
    ];
    // A line split across two writes is joined again.
    const text = lines.join('\n') + '\n';
    stream.write(text.slice(0, 10));
    stream.write(text.slice(10));
    await new Promise<void>((resolve) => stream.flush!(resolve));
    const entries = await all(tl);
    expect(entries.map((e) => [e.level, e.message])).toEqual([
      ['info', 'good 1'],
      ['warn', 'good 2'],
      ['info', 'plain text, not JSON'],
    ]);
    expect(entries[2].tsNs).toBeGreaterThanOrEqual(BigInt(t0) * 1_000_000n);
    expect(h.rejected).toBe(1);
    expect(warnings).toHaveLength(1);
    await new Promise<void>((resolve) => stream.end(resolve));
  });

  it('refuses to start without dataDir or url', async () => {
    await expect(transport({})).rejects.toThrow(/dataDir.*url/);
  });
});

describe('pino transport (url mode)', () => {
  it('POSTs batches to a Timeless server, retrying while it is unreachable', async () => {
    const srv = await startServer();
    cleanups.push(() => srv.close());
    const log = logger({ url: srv.url, headers: { 'x-test': '1' } });
    runWithTraceContext({ traceId: TRACE, spanId: SPAN, flags: 1 }, () => log.info({ k: 'v' }, 'over http'));
    for (let i = 0; i < 20; i++) log.debug({ i }, `n ${i}`);
    log.level = 'debug';
    for (let i = 0; i < 20; i++) log.debug({ i }, `d ${i}`);
    await flush(log);
    const entries = await all(srv.tl);
    expect(entries).toHaveLength(21);
    expect(entries[0]).toMatchObject({ message: 'over http', traceId: TRACE, spanId: SPAN, level: 'info', attributes: { k: 'v' } });
    expect(entries.slice(1).map((e) => e.message)).toEqual(Array.from({ length: 20 }, (_, i) => `d ${i}`));
    expect(entries.slice(1).every((e) => e.level === 'debug')).toBe(true);
  });

  it('keeps batches while the server is down and delivers them when it comes up', async () => {
    const t = tempDir('pino-url');
    cleanups.push(() => t.remove());
    // Reserve a port, then free it: the transport starts against a closed port.
    const first = await startServer({ dir: path.join(t.dir, 'a') });
    const url = first.url;
    await first.close();
    const log = logger({ url, retryIntervalMs: 100, flushTimeoutMs: 200 });
    for (let i = 0; i < 30; i++) log.info({ i }, `queued ${i}`);
    await new Promise<void>((resolve) => log.flush(() => resolve())); // bounded: nobody answers
    const port = Number(new URL(url).port);
    fs.mkdirSync(path.join(t.dir, 'b'));
    const tl = await Timeless.open({ dataDir: path.join(t.dir, 'b'), pool: { threads: 1 }, runtimeMetrics: false });
    const { serve } = await import('@hono/node-server');
    const server = serve({ fetch: tl.routes().fetch, hostname: '127.0.0.1', port });
    cleanups.push(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await tl.close();
    });
    const entries = await waitFor(tl, 30);
    expect(entries.map((e) => e.message)).toEqual(Array.from({ length: 30 }, (_, i) => `queued ${i}`));
  }, 20_000);
});
