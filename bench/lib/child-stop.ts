// The graceful stop of a bench server child (the soak's store, the http suite's server): on the given
// signals, or when the parent goes away (a crashed bench must not leave a server running), stop
// listening, drop keep-alive connections, close the store, exit 0 (1 if closing failed).
import type { serve } from '@hono/node-server';
import type { Timeless } from '../../src/index.js';

export function stopOnSignals(server: ReturnType<typeof serve>, tl: Timeless, label: string, signals: NodeJS.Signals[], beforeClose?: () => void): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    beforeClose?.();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    closed
      .then(() => tl.close())
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        process.stderr.write(`${label}: close failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      });
  };
  for (const s of signals) process.on(s, stop);
  process.on('disconnect', stop);
}
