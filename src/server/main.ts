#!/usr/bin/env node
// The standalone server (`npm start`, `npx timeless serve`) and the only file that listens.
// Shutdown on SIGTERM/SIGINT: stop accepting, let in-flight requests finish (at most 10 s), then
// close the store (which flushes every WAL) and exit 0. A second signal exits at once with 1.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Timeless } from '../store.js';
import { isLoopback, parseServeArgs, UsageError, type ServeConfig } from './cli-args.js';
import type { AuthOptions } from './context.js';
import { createDemo, loopbackHost } from './demo/index.js';

const DRAIN_MS = 10_000;
const DEMO_PATH = '/demo';

/** What the demo sends to get through the server's own auth. */
function authorizationFor(auth: AuthOptions): string | undefined {
  if (auth.basic !== undefined) return `Basic ${Buffer.from(`${auth.basic.user}:${auth.basic.pass}`).toString('base64')}`;
  if (auth.bearerToken !== undefined) return `Bearer ${auth.bearerToken}`;
  return undefined;
}

async function run(cfg: ServeConfig): Promise<void> {
  const memory = {
    ...(cfg.memoryLimitBytes !== undefined ? { memoryLimitBytes: cfg.memoryLimitBytes } : {}),
    ...(cfg.memorySpikeBytes !== undefined ? { memorySpikeBytes: cfg.memorySpikeBytes } : {}),
  };
  const tl = await Timeless.open({ dataDir: cfg.dataDir, ...memory });
  const forward = cfg.forward.remoteWrite.length > 0 || cfg.forward.otlp !== undefined ? cfg.forward : undefined;
  const app = tl.routes({ auth: cfg.auth, maxBodyBytes: cfg.maxBodyBytes, dashboardPath: '/dashboard/', ...(forward ? { forward } : {}) });
  // Standalone, the dashboard lives at /dashboard/ (the API keeps the root); '/' leads there.
  app.get('/', (c) => c.redirect('dashboard/', 302));
  // Mounted after tl.routes(): the demo sits behind the same auth, and only its own middleware
  // records requests, so the dashboard's API calls never count as demo traffic.
  const demo = cfg.demo ? createDemo(tl, { mountPath: DEMO_PATH, authorization: authorizationFor(cfg.auth) }) : undefined;
  if (demo !== undefined) app.route(DEMO_PATH, demo.app);
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
  // Handlers before the 'listening' line: whoever waits for it may signal at once, and an
  // unhandled SIGINT/SIGTERM would kill the process without flushing.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      console.error(`timeless: ${signal} again; exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    console.log(`timeless: ${signal}: stopping (no new connections; finishing requests, then flushing)`);
    // The demo's visitors leave first, so they do not keep the server from draining.
    await demo?.stopTraffic();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const drained = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), DRAIN_MS).unref())]);
    if (!drained) server.closeAllConnections();
    try {
      demo?.close();
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

  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  console.log(`timeless: listening on http://${shownHost}:${addr.port} (data in ${tl.dataDir})`);
  if (demo !== undefined) {
    demo.start(`http://${loopbackHost(addr.address, addr.family)}:${addr.port}`);
    console.log(`timeless: demo app at http://${shownHost}:${addr.port}${DEMO_PATH}, generating traffic; --no-demo to turn it off`);
  }
}

// Subcommands: `check` and `restore` work on a data directory no store has open (src/tools/);
// anything else is `serve` (the default, so `timeless --port 9000` still serves).
const argv = process.argv.slice(2);
const tool = argv[0] === 'check' ? 'check' : argv[0] === 'restore' ? 'restore' : undefined;
if (tool !== undefined) {
  const io = { out: (line: string) => console.log(line), err: (line: string) => console.error(line) };
  const code = tool === 'check'
    ? await (await import('../tools/check.js')).runCheck(argv.slice(1), io)
    : await (await import('../tools/restore.js')).runRestore(argv.slice(1), io);
  process.exit(code);
}

let cfg: ServeConfig;
try {
  cfg = parseServeArgs(argv, process.env);
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
