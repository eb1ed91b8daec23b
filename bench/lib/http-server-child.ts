// Child process of the `http` suite (run as `node dist/bench/lib/http-server-child.js DIR MODE`): opens
// the store in DIR, serves tl.routes() on a loopback port, and prints one JSON line `{ port, pid }` on
// stdout once it listens. MODE `backup`: the store as the backup bench filled it (bench/lib/http-
// fill.ts: logs compaction off); `ingest`: the engines' defaults, as an app runs them (retention off:
// the bench decides what is kept). Its own process, so its RSS is the server's alone (no bench client, no
// generators) and the client runs on the other core. SIGTERM: stop listening, close the store, exit.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { stopOnSignals } from './child-stop.js';
import { createApp } from '../../src/server/app.js';
import { Timeless } from '../../src/index.js';
import { openFillStore } from './http-fill.js';

async function main(): Promise<void> {
  const [dataDir, mode] = process.argv.slice(2);
  if (!dataDir || (mode !== 'backup' && mode !== 'ingest')) throw new Error('usage: http-server-child.js DIR backup|ingest');
  const tl = mode === 'backup' ? await openFillStore(dataDir) : await Timeless.open({ dataDir, runtimeMetrics: false, retention: { intervalSec: 0 } });
  const app = createApp(tl);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  stopOnSignals(server, tl, 'http-server-child', ['SIGTERM', 'SIGINT']);
  process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port, pid: process.pid }) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`http-server-child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
