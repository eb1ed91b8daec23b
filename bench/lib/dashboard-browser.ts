// The `dashboard` suite's browser: Debian's chromium driven by playwright-core (a dev dependency,
// imported only when the part runs). A load is a fresh browser context (no HTTP cache, no service
// state) navigating to the overview; its time is the page's own first-paint mark
// (window.__TIMELESS_OVERVIEW_READY__ = performance.now() once every panel's first request resolved
// and the charts drew), i.e. milliseconds since the navigation started.
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser part cannot run here, or undefined when it can. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install chromium); dashboard.overviewFirstPaint skipped`;
}

export interface LoadTiming {
  /** navigation start → every overview panel drawn, ms. */
  readyMs: number;
  /** navigation start → DOMContentLoaded, ms (the shell's own cost, for context). */
  domContentLoadedMs: number;
  /** Panels drawn as charts, and panels that said "no data yet" (must be 0 on the filled store). */
  charts: number;
  noData: number;
}

export interface Browsing {
  load(url: string): Promise<LoadTiming>;
  /**
   * Opens the logs page with the live tail on (`dashboardUrl` + '#/logs?live=1'), then for each
   * message: calls `write(message)` (which must resolve once the entry is acknowledged) and waits
   * until the row shows. Returns ms from the write call to the row, per message.
   */
  tailLatencies(dashboardUrl: string, messages: string[], write: (message: string) => Promise<void>): Promise<number[]>;
  close(): Promise<void>;
}

export async function openBrowser(): Promise<Browsing> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  return {
    async load(url) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      try {
        const page = await context.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(url);
        await page.waitForFunction(() => window.__TIMELESS_OVERVIEW_READY__ !== undefined, undefined, { timeout: 60_000 });
        const t = await page.evaluate(() => {
          const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
          return {
            readyMs: window.__TIMELESS_OVERVIEW_READY__!,
            domContentLoadedMs: nav?.domContentLoadedEventEnd ?? NaN,
            charts: document.querySelectorAll('.overview-panel canvas').length,
            noData: document.querySelectorAll('.overview-panel .no-data').length,
            failed: Array.from(document.querySelectorAll('.overview-panel .error'), (e) => e.textContent ?? ''),
          };
        });
        if (errors.length > 0 || t.failed.length > 0) throw new Error(`the overview failed: ${[...errors, ...t.failed].join('; ').slice(0, 300)}`);
        return { readyMs: t.readyMs, domContentLoadedMs: t.domContentLoadedMs, charts: t.charts, noData: t.noData };
      } finally {
        await context.close();
      }
    },
    async tailLatencies(dashboardUrl, messages, write) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      try {
        const page = await context.newPage();
        const tailOpen = page.waitForResponse((r) => r.url().includes('/api/v1/logs/tail'));
        await page.goto(`${dashboardUrl}#/logs?live=1`);
        await tailOpen;
        const out: number[] = [];
        for (const message of messages) {
          const shown = page.locator('table.logs tbody tr', { hasText: message }).waitFor({ timeout: 60_000 });
          const t0 = performance.now();
          await write(message);
          await shown;
          out.push(performance.now() - t0);
        }
        return out;
      } finally {
        await context.close();
      }
    },
    close: () => browser.close(),
  };
}

declare global {
  interface Window {
    __TIMELESS_OVERVIEW_READY__?: number;
  }
}
