// The built-in demo of `timeless serve` (on unless --no-demo): the shop app, mounted by main.ts,
// and its traffic, started once the server listens. Stopping is two steps so the server can drain
// in between: stopTraffic() before closing the listener, close() after the last request.
import type { Hono } from 'hono';
import { createDemoApp } from './app.js';
import type { DemoStore } from './telemetry.js';
import { DemoTraffic } from './traffic.js';

export interface DemoOptions {
  /** Where main.ts mounts the app, e.g. '/demo'. */
  mountPath: string;
  /** Authorization header value when the server has auth on (the demo calls itself through it). */
  authorization?: string;
  /** Catalogue, traffic mix and faults; the same seed replays the same demo. Default 1. */
  seed?: number;
}

export interface Demo {
  readonly app: Hono;
  /** Starts the traffic against the listening server (origin: http://127.0.0.1:port). */
  start(origin: string): void;
  stopTraffic(): Promise<void>;
  close(): void;
}

export function createDemo(store: DemoStore, opts: DemoOptions): Demo {
  const seed = opts.seed ?? 1;
  const demo = createDemoApp(store, { mountPath: opts.mountPath, seed, authorization: opts.authorization });
  let traffic: DemoTraffic | undefined;
  return {
    app: demo.app,
    start(origin) {
      demo.setOrigin(origin);
      traffic = new DemoTraffic({ baseUrl: `${origin}${opts.mountPath}`, seed: seed + 1, productCount: demo.productCount, authorization: opts.authorization });
      traffic.start();
    },
    async stopTraffic() {
      await traffic?.stop();
    },
    close() {
      demo.close();
    },
  };
}

/** The URL host to reach a server listening on `address` from the same machine. */
export function loopbackHost(address: string, family: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return family === 'IPv6' ? `[${address}]` : address;
}
