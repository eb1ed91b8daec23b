// Server child of the `overhead` suite (`node dist/bench/lib/overhead-server-child.js VARIANT [DIR]`):
// the hello-world app (bench/lib/overhead-app.ts) on @hono/node-server, loopback, a port of its own.
// VARIANT `none`: no Timeless at all (not even imported, so its module load and timers cost nothing);
// `full`: Timeless.open(DIR) with the defaults (runtime metrics on) and app.use(timelessHono(tl)), so
// every request updates the histogram and its server span goes through the span sampler (stored up
// to 100/s, see src/integrations/span-sampler.ts). Prints `{ port, pid }` once it listens. IPC
// message 'stop': stop listening, then (full) flush and answer `{ spansStored, requestsCounted }`
// from the store (spans, and the histogram's _count summed over its series), close the store and
// exit — the proof the instrumentation really ran on every request.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { MiddlewareHandler } from 'hono';
import { buildOverheadApp, SERVER_VARIANTS, type ServerVariant } from './overhead-app.js';

interface Counts {
  /** Spans the store holds, after a flush. */
  spansStored: number;
  /** Requests the stored histogram counted (sum of the last _count of every series). */
  requestsCounted: number;
}

interface Instrumented {
  use: MiddlewareHandler;
  counts(): Promise<Counts>;
  close(): Promise<void>;
}

async function instrument(dataDir: string, spans: boolean | { maxPerSecond: number }): Promise<Instrumented> {
  const { Timeless, timelessHono } = await import('../../src/index.js');
  const tl = await Timeless.open({ dataDir });
  const mw = timelessHono(tl, { spans });
  return {
    use: mw,
    counts: async () => {
      mw.flushMetrics();
      mw.stop();
      await Promise.all([tl.traces.flush(), tl.metrics.flush()]);
      const latest = await tl.metrics.latest('http_server_request_duration_seconds_count');
      return { spansStored: (await tl.stats()).traces.spans, requestsCounted: latest.reduce((n, p) => n + p.value, 0) };
    },
    close: () => tl.close(),
  };
}

/** Only the store, open with the defaults, and a pass-through middleware: its background cost. */
async function storeOnly(dataDir: string): Promise<Instrumented> {
  const { Timeless } = await import('../../src/index.js');
  const tl = await Timeless.open({ dataDir });
  return { use: passThrough, counts: async () => ({ spansStored: (await tl.stats()).traces.spans, requestsCounted: 0 }), close: () => tl.close() };
}

const passThrough: MiddlewareHandler = async (_c, next) => {
  await next();
};

async function main(): Promise<void> {
  const [variant, dataDir] = process.argv.slice(2) as [ServerVariant | undefined, string | undefined];
  if (variant === undefined || !SERVER_VARIANTS.includes(variant)) throw new Error(`usage: overhead-server-child.js ${SERVER_VARIANTS.join('|')} [DIR]`);
  if (variant !== 'none' && variant !== 'passthrough' && !dataDir) throw new Error(`overhead-server-child.js ${variant} needs a data directory`);
  let inst: Instrumented | undefined;
  if (variant === 'full' || variant === 'nospans' || variant === 'allspans') {
    inst = await instrument(dataDir!, variant === 'full' ? true : variant === 'allspans' ? { maxPerSecond: Infinity } : false);
  }
  else if (variant === 'store') inst = await storeOnly(dataDir!);
  else if (variant === 'passthrough') inst = { use: passThrough, counts: async () => ({ spansStored: 0, requestsCounted: 0 }), close: async () => undefined };
  const app = buildOverheadApp(inst?.use);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    await closed;
    const counts = variant === 'full' ? await inst!.counts() : null;
    await inst?.close();
    if (process.connected) await new Promise<void>((resolve) => process.send!({ counts }, () => resolve()));
    process.exit(0);
  };
  const fail = (err: unknown) => {
    process.stderr.write(`overhead-server-child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  };
  process.on('message', (m) => {
    if (m === 'stop') stop().catch(fail);
  });
  // The parent going away (a crashed bench) must not leave a server running.
  process.on('disconnect', () => stop().catch(fail));
  process.on('SIGTERM', () => stop().catch(fail));
  process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port, pid: process.pid }) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`overhead-server-child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
