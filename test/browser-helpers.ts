// The dashboard's browser harness: the store + server with tl.routes() mounted under '/dashboard'
// behind basic auth (as an app embeds it), Debian's chromium driven by playwright-core, a page
// holding the credentials that records console errors and uncaught page errors (tests assert none),
// and a screenshot of every page visited under test-artifacts/.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { Timeless, type TimelessOptions } from '../src/store.js';
import { tempDir } from './metrics-helpers.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');
export const BASIC = { user: 'admin', pass: 'dash-secret' };

/** Why browser tests cannot run here, or undefined when they can. */
export function browserSkipReason(): string | undefined {
  return fs.existsSync(CHROMIUM) ? undefined : `dashboard browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium)`;
}

/** Builds build/web from the current web/ sources (esbuild only: `tsc -p web/tsconfig.json` checks types). */
export function buildWeb(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-web.mjs'), '--no-typecheck'], { cwd: ROOT, stdio: 'pipe' });
}

export interface DashboardServer {
  tl: Timeless;
  /** The dashboard root, with its final '/': http://127.0.0.1:<port>/dashboard/ */
  url: string;
  close(): Promise<void>;
}

/** A store (options: e.g. retention) behind tl.routes() mounted at /dashboard with basic auth. */
export async function startDashboardServer(store: Omit<TimelessOptions, 'dataDir'> = {}): Promise<DashboardServer> {
  const tmp = tempDir('dashboard');
  const tl = await Timeless.open({ dataDir: tmp.dir, pool: { threads: 1 }, runtimeMetrics: false, ...store });
  const host = new Hono().route('/dashboard', tl.routes({ auth: { basic: BASIC } }));
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: host.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    tl,
    url: `http://127.0.0.1:${port}/dashboard/`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Open SSE tails would keep close() waiting forever.
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await closed;
      await tl.close();
      tmp.remove();
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

export interface DashboardPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught exceptions so far, as text. */
  errors: string[];
  /** Opens `<dashboard root>#/<hash>` and waits for the shell. */
  open(hash: string): Promise<void>;
  /** Saves test-artifacts/<prefix>-<name>.png (full page). */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function openDashboard(browser: Browser, server: DashboardServer, prefix: string): Promise<DashboardPage> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const context = await browser.newContext({
    httpCredentials: { username: BASIC.user, password: BASIC.pass },
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('requestfailed', (req) => {
    // A tail's EventSource aborted by navigation or close is expected; anything else is a failure.
    const failure = req.failure()?.errorText ?? '';
    if (!failure.includes('ERR_ABORTED')) errors.push(`requestfailed: ${req.url()} ${failure}`);
  });
  return {
    page,
    context,
    errors,
    async open(hash) {
      await page.goto(`${server.url}#/${hash}`);
      await page.locator('header.topbar nav a').first().waitFor();
    },
    async screenshot(name) {
      const file = path.join(ARTIFACTS, `${prefix}-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    close: () => context.close(),
  };
}
