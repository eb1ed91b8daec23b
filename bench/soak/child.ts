// The soak's store, in its own process so the driver can SIGKILL it mid-write (run as
// `node dist/bench/soak/child.js DIR`). Retention, compaction, seals and WAL checkpoints are tuned
// to run many times within a minute; the data ages are set so only the driver's backdated
// "pre-soak" batch is ever old enough to drop (the oracle can then treat every soak item as kept).
// stdout: one `{ port, pid }` line once listening, then `{ el: { p99Ms, maxMs, samples }, mem }` every
// second (the event-loop delay since this process started: the driver keeps the last one it saw
// before a kill). SIGTERM: stop listening, close the store, exit 0.
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { serve } from '@hono/node-server';
import { stopOnSignals } from '../lib/child-stop.js';
import { Timeless } from '../../src/index.js';
import { SOAK_MAX_AGE_SEC, storeOptions } from './store-options.js';

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  if (!dataDir) throw new Error('usage: child.js DIR');
  const el = monitorEventLoopDelay({ resolution: 1 });
  el.enable();
  const tl = await Timeless.open(storeOptions(dataDir, { retentionIntervalSec: 5, runtimeMetrics: true }));
  const app = tl.routes();
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const report = setInterval(() => {
    const m = process.memoryUsage();
    const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
    const mem = { heapUsedMb: mb(m.heapUsed), heapTotalMb: mb(m.heapTotal), externalMb: mb(m.external), arrayBuffersMb: mb(m.arrayBuffers) };
    process.stdout.write(JSON.stringify({ el: { p99Ms: el.percentile(99) / 1e6, maxMs: el.max / 1e6, samples: el.count }, mem }) + '\n');
  }, 1000);
  stopOnSignals(server, tl, 'soak child', ['SIGTERM'], () => clearInterval(report));
  process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port, pid: process.pid, maxAgeSec: SOAK_MAX_AGE_SEC }) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`soak child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
