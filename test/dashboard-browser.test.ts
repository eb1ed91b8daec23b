// The dashboard in a real browser (Debian's chromium via playwright-core), mounted under /dashboard
// behind basic auth: the Storage page shows what the engines hold, a backup made from it downloads
// as a gzip, the Logs page shows history, filters from URL params, follows a live tail and links
// to traces. Every page visited must log no console errors; screenshots go to test-artifacts/.
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { StoreRetentionOptions } from '../src/store.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { makeSpans, traceIds } from './traces-helpers.js';
import { BASIC, browserSkipReason, buildWeb, launchBrowser, openDashboard, startDashboardServer, type DashboardServer } from './browser-helpers.js';

const skip = browserSkipReason();
if (skip) console.warn(skip);

const NOW = Date.now();
const LEVELS = ['info', 'warn', 'error'] as const;
const N_LOGS = 30;

describe.skipIf(skip !== undefined)('dashboard in a browser', () => {
  let server: DashboardServer;
  let browser: Browser;
  let nSpans = 0;
  /** Trace ids of stored spans, so a trace link opens a trace that exists. */
  let ids: string[] = [];
  const traceIdOf = (i: number) => ids[i % ids.length]!;
  const nPoints = 2 * 150;

  beforeAll(async () => {
    buildWeb();
    server = await startDashboardServer();
    browser = await launchBrowser();
    const { tl } = server;
    const points = [];
    for (let s = 0; s < 2; s++) for (let i = 0; i < 150; i++) points.push({ name: 'http_requests', labels: { route: `/r${s}` }, value: i, tsMs: NOW - 3_600_000 + i * 10_000 });
    tl.metrics.writeBatch(points);
    const spans = makeSpans(3, 200, NOW - 1_800_000);
    nSpans = spans.length;
    ids = traceIds(spans);
    tl.logs.writeBatch(
      Array.from({ length: N_LOGS }, (_, i) => ({
        tsMs: NOW - (N_LOGS - i) * 1000,
        level: LEVELS[i % 3],
        message: `history entry ${i}`,
        attributes: { 'http.route': `/r${i % 2}`, attempt: i },
        resource: { 'service.name': 'checkout' },
        // Every fifth entry belongs to a trace.
        ...(i % 5 === 0 ? { traceId: traceIdOf(i), spanId: i.toString(16).padStart(16, 'b') } : {}),
      })),
    );
    tl.traces.write(spans);
    await tl.flush();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('Storage shows each engine’s numbers and runs retention', async () => {
    const d = await openDashboard(browser, server, 'storage');
    try {
      await d.open('storage');
      const field = (engine: string, name: string) => d.page.locator(`[data-engine="${engine}"] dd[data-field="${name}"]`);
      await field('metrics', 'Points').waitFor();
      expect(await field('metrics', 'Points').textContent()).toBe(String(nPoints));
      expect(await field('metrics', 'Series').textContent()).toBe('2');
      expect(await field('logs', 'Entries').textContent()).toBe(String(N_LOGS));
      expect(await field('traces', 'Spans').textContent()).toBe(nSpans.toLocaleString('en-US'));
      for (const engine of ['metrics', 'logs', 'traces']) {
        expect(await field(engine, 'On disk').textContent()).toMatch(/^\d+(\.\d+)? (B|KiB|MiB)$/);
        expect(await field(engine, 'Oldest').textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
        expect(await field(engine, 'Newest').textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
      }
      expect(await field('metrics', 'Bytes per point').textContent()).toMatch(/^\d+(\.\d+)?$/);
      expect(await field('logs', 'Compression ratio').textContent()).toMatch(/^\d+(\.\d+)?×$/);

      await d.page.getByRole('button', { name: 'Run retention now' }).click();
      const report = d.page.locator('.retention-report');
      await report.waitFor();
      // Everything written is recent: the default retention (7 days) drops nothing.
      expect(await report.textContent()).toContain('logs: 0 entries in 0 blocks dropped');
      await d.screenshot('page');
      expect(d.errors).toEqual([]);
    } finally {
      await d.close();
    }
  });

  it('a backup created on the Storage page is listed and downloads as a gzip', async () => {
    const d = await openDashboard(browser, server, 'storage-backup');
    try {
      await d.open('storage');
      await d.page.locator('table.backups tbody tr').first().waitFor();
      expect(await d.page.locator('tr[data-backup]').count()).toBe(0);
      await d.page.getByRole('button', { name: 'Create backup' }).click();
      const row = d.page.locator('tr[data-backup]').first();
      await row.waitFor();
      const name = (await row.getAttribute('data-backup'))!;
      expect(await d.page.locator('.backup-status').textContent()).toContain(`Created ${name}`);
      const [download] = await Promise.all([d.page.waitForEvent('download'), row.locator('a.download').click()]);
      expect(download.suggestedFilename()).toBe(`${name}.tar.gz`);
      const file = await download.path();
      const bytes = fs.readFileSync(file);
      expect(bytes.length).toBeGreaterThan(0);
      expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
      // A whole gzip of a tar: it inflates, and the first header holds the ustar magic.
      const tar = gunzipSync(bytes);
      expect(tar.subarray(257, 262).toString('latin1')).toBe('ustar');
      await d.screenshot('after-backup');
      expect(d.errors).toEqual([]);
    } finally {
      await d.close();
    }
  });

  it('Logs shows history, filters from the URL and links entries to their traces', async () => {
    const d = await openDashboard(browser, server, 'logs');
    try {
      await d.open('logs');
      const rows = d.page.locator('table.logs tbody tr');
      await d.page.locator('.logs-status', { hasText: 'entries shown' }).waitFor();
      expect(await rows.count()).toBe(N_LOGS);
      // Newest first.
      expect(await rows.first().locator('td.msg').textContent()).toBe(`history entry ${N_LOGS - 1}`);
      expect(await rows.first().locator('td.service').textContent()).toBe('checkout');
      expect(await d.page.locator('a.trace-link').count()).toBe(N_LOGS / 5);
      // The attributes expand.
      const details = rows.first().locator('details');
      await details.locator('summary').click();
      expect(await details.locator('dl.attrs').first().textContent()).toContain('http.route');
      await d.screenshot('history');

      // Filters live in the URL: a reload with level=error shows errors only.
      await d.page.goto(`${server.url}#/logs?level=error`);
      await d.page.reload();
      await d.page.locator('.logs-status', { hasText: 'entries shown' }).waitFor();
      const levels = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-level')));
      expect(levels).toEqual(Array(N_LOGS / 3).fill('error'));
      expect(await d.page.locator('select[name=level]').inputValue()).toBe('error');
      await d.screenshot('level-error');

      // Search and attribute filters through the form end up in the URL too.
      await d.page.locator('input[name=search]').fill('entry 2');
      await d.page.locator('input[name=attrs]').fill('http.route=/r1');
      await d.page.getByRole('button', { name: 'Search', exact: true }).click();
      await d.page.waitForFunction(() => location.hash.includes('search=') && location.hash.includes('attr.http.route='));
      await d.page.locator('.logs-status', { hasText: /entries shown|No entries match/ }).waitFor();
      const hash = new URLSearchParams((await d.page.evaluate(() => location.hash)).split('?')[1]);
      expect(hash.get('search')).toBe('entry 2');
      expect(hash.get('attr.http.route')).toBe('/r1');
      expect(hash.get('level')).toBe('error');

      // A trace link opens that trace.
      await d.page.goto(`${server.url}#/logs`);
      await d.page.reload();
      const link = d.page.locator('a.trace-link').first();
      await link.waitFor();
      const href = await link.getAttribute('href');
      expect(href).toBe(`#/trace?id=${traceIdOf(25)}`);
      await link.click();
      await d.page.waitForFunction((h) => location.hash === h, href);
      await d.screenshot('trace-link');
      expect(d.errors).toEqual([]);
    } finally {
      await d.close();
    }
  });

  it('Logs pages older entries with the cursor and reads a custom time range from the URL', async () => {
    const d = await openDashboard(browser, server, 'logs-paging');
    try {
      const rows = d.page.locator('table.logs tbody tr');
      const messages = () => rows.locator('td.msg').allTextContents();
      await d.open('logs?limit=12');
      await d.page.locator('.logs-status', { hasText: 'entries shown, more older ones' }).waitFor();
      expect(await messages()).toEqual(Array.from({ length: 12 }, (_, i) => `history entry ${N_LOGS - 1 - i}`));
      await d.page.getByRole('button', { name: 'Older' }).click();
      await d.page.locator('.logs-status', { hasText: '24 entries shown' }).waitFor();
      expect(await messages()).toEqual(Array.from({ length: 24 }, (_, i) => `history entry ${N_LOGS - 1 - i}`));
      await d.page.getByRole('button', { name: 'Older' }).click();
      await d.page.locator('.logs-status', { hasText: `${N_LOGS} entries shown` }).waitFor();
      expect(await d.page.getByRole('button', { name: 'Older' }).isVisible()).toBe(false);
      expect(await messages()).toEqual(Array.from({ length: N_LOGS }, (_, i) => `history entry ${N_LOGS - 1 - i}`));

      // A custom range in epoch ms (inclusive from, exclusive to): entries 10..19.
      const from = NOW - (N_LOGS - 10) * 1000;
      const to = NOW - (N_LOGS - 20) * 1000;
      await d.page.goto(`${server.url}#/logs?from=${from}&to=${to}`);
      await d.page.reload();
      await d.page.locator('.logs-status', { hasText: 'entries shown' }).waitFor();
      expect(await messages()).toEqual(Array.from({ length: 10 }, (_, i) => `history entry ${19 - i}`));
      expect(await d.page.locator('select[name=range]').inputValue()).toBe('custom');

      // A preset replaces it, in the URL too.
      await d.page.locator('select[name=range]').selectOption('15m');
      await d.page.waitForFunction(() => location.hash.includes('from=now-15m') && !location.hash.includes('to='));
      await d.page.locator('.logs-status', { hasText: `${N_LOGS} entries shown` }).waitFor();
      expect(d.errors).toEqual([]);
    } finally {
      await d.close();
    }
  });

  it('the theme toggle switches to dark and the choice survives a reload', async () => {
    const d = await openDashboard(browser, server, 'theme');
    try {
      await d.open('storage');
      const theme = () => d.page.evaluate(() => document.documentElement.dataset.theme ?? '');
      const bg = () => d.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const before = await bg();
      expect(await theme()).toBe('');
      await d.page.locator('button.theme-toggle').click();
      // Headless chromium reports prefers-color-scheme: light, so the first switch is to dark.
      expect(await theme()).toBe('dark');
      expect(await bg()).not.toBe(before);
      await d.page.reload();
      await d.page.locator('[data-engine="logs"]').waitFor();
      expect(await theme()).toBe('dark');
      await d.screenshot('storage-dark');
      expect(d.errors).toEqual([]);
    } finally {
      await d.close();
    }
  });

  it('a log written after load appears in the live tail', async () => {
    const d = await openDashboard(browser, server, 'logs-tail');
    try {
      // The tail's response headers arrive after the server subscribed (streamSSE runs the handler
      // before answering), so an entry written after that is delivered.
      const tailOpen = d.page.waitForResponse((r) => r.url().includes('/api/v1/logs/tail'));
      await d.open('logs?live=1');
      expect((await tailOpen).status()).toBe(200);
      await d.page.locator('.logs-status', { hasText: 'entries shown' }).waitFor();
      expect(await d.page.locator('input[name=live]').isChecked()).toBe(true);

      server.tl.logs.write({ message: 'tailed after load', level: 'warn', traceId: traceIdOf(1), resource: { 'service.name': 'tail-svc' } });
      await server.tl.logs.flush();
      const first = d.page.locator('table.logs tbody tr').first();
      await d.page.locator('table.logs tbody tr', { hasText: 'tailed after load' }).waitFor();
      expect(await first.locator('td.msg').textContent()).toBe('tailed after load');
      expect(await first.locator('td.service').textContent()).toBe('tail-svc');
      expect(await first.locator('a.trace-link').getAttribute('href')).toBe(`#/trace?id=${traceIdOf(1)}`);
      await d.screenshot('live');
      expect(d.errors).toEqual([]);
    } finally {
      await d.close();
    }
  });

  it('a backup deleted on the Storage page leaves the list and the disk (after a confirm)', async () => {
    const d = await openDashboard(browser, server, 'storage-delete');
    try {
      const { name } = await (await fetch(`${server.url}api/v1/backup`, { method: 'POST', headers: { authorization: basicHeader() } })).json() as { name: string };
      const dir = path.join(server.tl.dataDir, 'backups', name);
      expect(fs.existsSync(dir)).toBe(true);
      await d.open('storage');
      const row = d.page.locator(`tr[data-backup="${name}"]`);
      await row.waitFor();

      // Cancelling the confirm deletes nothing.
      const messages: string[] = [];
      d.page.once('dialog', (dlg) => (messages.push(dlg.message()), void dlg.dismiss()));
      await row.getByRole('button', { name: 'Delete' }).click();
      expect(messages).toEqual([`Delete backup ${name}? Its files are removed from disk.`]);
      expect(await row.count()).toBe(1);
      expect(fs.existsSync(dir)).toBe(true);

      d.page.once('dialog', (dlg) => void dlg.accept());
      await row.getByRole('button', { name: 'Delete' }).click();
      await d.page.locator('.backup-status', { hasText: `Deleted ${name}.` }).waitFor();
      await row.waitFor({ state: 'detached' });
      expect(fs.existsSync(dir)).toBe(false);
      const listed = (await (await fetch(`${server.url}api/v1/backup`, { headers: { authorization: basicHeader() } })).json()) as { backups: Array<{ name: string }> };
      expect(listed.backups.map((b) => b.name)).not.toContain(name);
      // The buttons are usable again once the request is over.
      expect(await d.page.getByRole('button', { name: 'Create backup' }).isDisabled()).toBe(false);
      await d.screenshot('after-delete');
      expect(d.errors).toEqual([]);
    } finally {
      await d.close();
    }
  });

  it('the live tail opens only after the search answered', async () => {
    const d = await openDashboard(browser, server, 'logs-tail-order');
    try {
      const seen: string[] = [];
      d.page.on('response', (r) => r.url().includes('/api/v1/logs/query') && seen.push('query answered'));
      d.page.on('request', (r) => r.url().includes('/api/v1/logs/tail') && seen.push('tail requested'));
      const tailOpen = d.page.waitForResponse((r) => r.url().includes('/api/v1/logs/tail'));
      await d.open('logs?live=1');
      await tailOpen;
      expect(seen).toEqual(['query answered', 'tail requested']);

      // A new search closes the tail and reopens it after its own answer.
      seen.length = 0;
      const reopened = d.page.waitForResponse((r) => r.url().includes('/api/v1/logs/tail') && r.url().includes('level=warn'));
      await d.page.locator('select[name=level]').selectOption('warn');
      await reopened;
      expect(seen).toEqual(['query answered', 'tail requested']);
      expect(d.errors).toEqual([]);
    } finally {
      await d.close();
    }
  });
});

/** Basic auth header of the dashboard harness's credentials (for API calls made next to the browser). */
function basicHeader(): string {
  return `Basic ${Buffer.from(`${BASIC.user}:${BASIC.pass}`).toString('base64')}`;
}

/** Retention set to values that are no default, so the page can only show them by reading the route. */
const RETENTION: StoreRetentionOptions = {
  rawMaxAgeSec: 2 * 86_400,
  hourlyMaxAgeSec: 36 * 3600,
  dailyMaxAgeSec: 400 * 86_400,
  intervalSec: 900,
  logs: { maxAgeSec: 3 * 86_400, maxBytes: 64 * 1024 * 1024 },
  traces: { maxAgeSec: 90 * 60, maxBytes: 3 * 1024 * 1024 * 1024 },
};


describe.skipIf(skip !== undefined)('dashboard with configured retention', () => {
  let server: DashboardServer;
  let browser: Browser;

  beforeAll(async () => {
    buildWeb();
    server = await startDashboardServer({ retention: RETENTION });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('Storage shows the configured retention of every engine', async () => {
    const d = await openDashboard(browser, server, 'storage-retention');
    try {
      await d.open('storage');
      const field = (engine: string, name: string) => d.page.locator(`[data-retention="${engine}"] dd[data-field="${name}"]`);
      await field('metrics', 'Raw points').waitFor();
      expect(await field('metrics', 'Raw points').textContent()).toBe('2 days');
      expect(await field('metrics', 'Hourly rollups').textContent()).toBe('36 h');
      expect(await field('metrics', 'Daily rollups').textContent()).toBe('400 days');
      expect(await field('logs', 'Max age').textContent()).toBe('3 days');
      expect(await field('logs', 'Max size').textContent()).toBe('64.0 MiB');
      expect(await field('traces', 'Max age').textContent()).toBe('90 min');
      expect(await field('traces', 'Max size').textContent()).toBe('3.00 GiB');
      expect(await d.page.locator('.retention-schedule').textContent()).toContain('every 15 min');
      await d.screenshot('page');
      expect(d.errors).toEqual([]);
    } finally {
      await d.close();
    }
  });

  it('Logs says how many entries the server skipped for a slow tail', async () => {
    const d = await openDashboard(browser, server, 'logs-dropped');
    try {
      const tailOpen = d.page.waitForResponse((r) => r.url().includes('/api/v1/logs/tail'));
      await d.open('logs?live=1&search=flood');
      await tailOpen;
      // One synchronous batch: the server's per-client queue (10,000) fills before it can send any,
      // so exactly the rest is skipped and announced with a 'dropped' event.
      const n = 10_000 + 37;
      server.tl.logs.writeBatch(Array.from({ length: n }, (_, i) => ({ message: `flood ${i}`, level: 'info' as const })));
      await server.tl.logs.flush();
      const tailStatus = d.page.locator('.tail-status');
      await tailStatus.filter({ hasText: 'skipped' }).waitFor();
      expect(await tailStatus.textContent()).toBe('37 entries skipped (tail too slow)');
      // The queued ones still arrive (the newest first, the list capped at 1,000 rows).
      await d.page.locator('table.logs tbody tr', { hasText: 'flood 9999' }).waitFor();
      expect(await d.page.locator('table.logs tbody tr').count()).toBe(1000);
      await d.screenshot('dropped');
      expect(d.errors).toEqual([]);
    } finally {
      await d.close();
    }
  });
});
