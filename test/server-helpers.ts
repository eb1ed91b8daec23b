// Shared helpers of the HTTP server tests: a store in a temp dir behind tl.routes(), listening on a
// loopback port, and small fetch wrappers.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Timeless, type TimelessOptions } from '../src/store.js';
import type { TimelessApp } from '../src/server/app.js';
import type { ServerOptions } from '../src/server/context.js';
import { tempDir } from './metrics-helpers.js';

export interface TestServer {
  tl: Timeless;
  app: TimelessApp;
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:40123 */
  url: string;
  dir: string;
  close(): Promise<void>;
}

export async function startServer(opts: { server?: ServerOptions; store?: Omit<TimelessOptions, 'dataDir'>; dir?: string } = {}): Promise<TestServer> {
  const tmp = opts.dir === undefined ? tempDir('server') : undefined;
  const dir = opts.dir ?? tmp!.dir;
  const tl = await Timeless.open({ dataDir: dir, pool: { threads: 1 }, runtimeMetrics: false, ...opts.store });
  // Through tl.routes(), as users mount it: whatever the app owns closes with the store.
  const app = tl.routes(opts.server);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    tl,
    app,
    url: `http://127.0.0.1:${port}`,
    dir,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await closed;
      await tl.close();
      tmp?.remove();
    },
  };
}

export async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the test sees the text
  }
  return { status: res.status, body, headers: res.headers };
}

export function postJson(url: string, value: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  return getJson(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) });
}
