#!/usr/bin/env node
// The standalone server (`npm start`, `npx timeless serve`) and the only file that listens.
// Shutdown on SIGTERM/SIGINT: stop accepting, let in-flight requests finish (at most 10 s), then
// close the store (which flushes every WAL) and exit 0. A second signal exits at once with 1.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Timeless } from '../store.js';
import { isLoopback, parseServeArgs, UsageError, type ServeConfig } from './cli-args.js';

const DRAIN_MS = 10_000;

async function run(cfg: ServeConfig): Promise<void> {
  const tl = await Timeless.open({ dataDir: cfg.dataDir });
  const forward = cfg.forward.remoteWrite.length > 0 || cfg.forward.otlp !== undefined ? cfg.forward : undefined;
  const app = tl.routes({ auth: cfg.auth, maxBodyBytes: cfg.maxBodyBytes, dashboardPath: '/dashboard/', ...(forward ? { forward } : {}) });
  // Standalone, the dashboard lives at /dashboard/ (the API keeps the root); '/' leads there.
  app.get('/', (c) => c.redirect('dashboard/', 302));
  const server = serve({ fetch: app.fetch, hostname: cfg.host, port: cfg.port }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  }).catch(async (err: NodeJS.ErrnoException) => {
    await tl.close();
    throw new Error(`cannot listen on ${cfg.host}:${cfg.port}: ${err.code ?? err.message}`);
  });
  const authOn = cfg.auth.basic !== undefined || cfg.auth.bearerToken !== undefined;
  if (!isLoopback(cfg.host) && !authOn) {
    console.warn(`timeless: WARNING: listening on ${cfg.host} with auth off — anyone who can reach this port can read and write your data. Set DASHBOARD_USER/DASHBOARD_PASS or TIMELESS_BEARER_TOKEN.`);
  }
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  console.log(`timeless: listening on http://${shownHost}:${addr.port} (data in ${tl.dataDir})`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      console.error(`timeless: ${signal} again; exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    console.log(`timeless: ${signal}: stopping (no new connections; finishing requests, then flushing)`);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const drained = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), DRAIN_MS).unref())]);
    if (!drained) server.closeAllConnections();
    try {
      await tl.close();
      console.log('timeless: stopped; all acknowledged data is on disk');
      process.exit(0);
    } catch (err) {
      console.error(`timeless: close failed: ${(err as Error).message}`);
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

let cfg: ServeConfig;
try {
  cfg = parseServeArgs(process.argv.slice(2), process.env);
} catch (err) {
  if (err instanceof UsageError) {
    if (err.help) {
      console.log(err.message);
      process.exit(0);
    }
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}
run(cfg).catch((err: Error) => {
  console.error(`timeless: ${err.message}`);
  process.exit(1);
});
