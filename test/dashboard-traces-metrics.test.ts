// The Metrics, Traces and Trace pages in a real browser (harness: test/browser-helpers.ts): a metric
// written through tl draws one uPlot series per label set, label filters and the aggregation land in
// the URL, dragging on the chart moves the URL range and the window links follow it; traces written
// through tl (bench/gen/traces.ts, recent times) are listed, a row opens the waterfall with every
// span of the trace, a clicked span shows its attributes, the logs link points at the trace's logs,
// and an unknown trace says so. No console errors on any of them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Span } from '../src/traces/types.js';
import { generateTraces } from '../bench/gen/traces.js';
import { browserSkipReason, buildWeb, launchBrowser, openDashboard, startDashboardServer, type DashboardServer } from './browser-helpers.js';

const skip = browserSkipReason();
if (skip) console.warn(skip);

const NOW = Date.now();
const PODS = ['a', 'b', 'c'];
const MINUTE = 60_000;

/** The hash's parameters of the page's current URL. */
async function hashParams(page: import('playwright-core').Page): Promise<URLSearchParams> {
  return new URLSearchParams((await page.evaluate(() => location.hash)).split('?')[1] ?? '');
}

describe.skipIf(skip !== undefined)('dashboard Metrics, Traces and Trace pages', () => {
  let server: DashboardServer;
  let browser: Browser;
  const spans: Span[] = [];

  beforeAll(async () => {
    buildWeb();
    server = await startDashboardServer();
    browser = await launchBrowser();
    const { tl } = server;
    // Three hours of heap per pod, one point a minute; pod c misses half an hour (a gap).
    const points = [];
    for (const pod of PODS) {
      for (let m = 180; m >= 1; m--) {
        if (pod === 'c' && m > 60 && m <= 90) continue;
        points.push({ name: 'app_heap_bytes', labels: { pod }, value: (50 + m + PODS.indexOf(pod) * 20) * 1024 * 1024, tsMs: NOW - m * MINUTE });
      }
    }
    points.push({ name: 'app_requests_total', labels: { pod: 'a' }, value: 1, tsMs: NOW - MINUTE });
    tl.metrics.writeBatch(points);
    for (const batch of generateTraces({ spans: 300, seed: 11, fromMs: NOW - 20 * MINUTE, tracesPerSec: 0.5, errorRate: 0.2 })) spans.push(...batch);
    tl.traces.write(spans);
    await tl.flush();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('Metrics draws the series, filters by label and zooms the URL range by dragging', async () => {
    const d = await openDashboard(browser, server, 'metrics');
    try {
      await d.open('metrics?name=app_heap_bytes&from=now-6h');
      const status = d.page.locator('.metric-main .status');
      await status.filter({ hasText: '3 series' }).waitFor();
      expect(await status.textContent()).toContain(`${3 * 180 - 30} points`);
      expect(await d.page.locator('.chart-box canvas').count()).toBe(1);
      const legend = (await d.page.locator('.chart-box .u-legend').textContent()) ?? '';
      for (const pod of PODS) expect(legend).toContain(`pod=${pod}`);
      // avg is the default for a gauge; the unit comes from the _bytes suffix (legend values on hover).
      expect(await d.page.locator('select[name=agg]').inputValue()).toBe('avg');

      // The list filter narrows the metric names.
      expect(await d.page.locator('.metric-list a[data-metric]').count()).toBe(2);
      await d.page.locator('input.metric-filter').fill('requests');
      expect(await d.page.locator('.metric-list a[data-metric]').allTextContents()).toEqual(['app_requests_total']);
      await d.page.locator('input.metric-filter').fill('');

      // A label filter: pod = b → one series, and the matcher is in the URL.
      await d.page.locator('select[name=label]').selectOption('pod');
      await d.page.locator('input[name=value]').fill('b');
      await d.page.getByRole('button', { name: 'Add filter' }).click();
      await status.filter({ hasText: '1 series' }).waitFor();
      expect(JSON.parse((await hashParams(d.page)).get('matchers')!)).toEqual([{ label: 'pod', op: '=', value: 'b' }]);
      expect(await d.page.locator('.chart-box .u-legend').textContent()).not.toContain('pod=a');
      await d.page.locator('select[name=agg]').selectOption('max');
      await d.page.waitForFunction(() => location.hash.includes('agg=max'));
      await d.screenshot('filtered');

      // Dragging across the middle of the plot sets an absolute window inside the old range.
      const over = d.page.locator('.chart-box .u-over');
      const box = (await over.boundingBox())!;
      await d.page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
      await d.page.mouse.down();
      await d.page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
      await d.page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
      await d.page.mouse.up();
      await d.page.waitForFunction(() => /[?&]to=\d+/.test(location.hash));
      const p = await hashParams(d.page);
      const from = Number(p.get('from'));
      const to = Number(p.get('to'));
      expect(from).toBeGreaterThan(NOW - 6 * 60 * MINUTE);
      expect(to).toBeGreaterThan(from);
      expect(to).toBeLessThan(Date.now());
      expect(p.get('name')).toBe('app_heap_bytes');
      // The cross-signal jump: logs and traces of exactly that window.
      expect(await d.page.locator('a.logs-link').getAttribute('href')).toBe(`#/logs?from=${from}&to=${to}`);
      expect(await d.page.locator('a.traces-link').getAttribute('href')).toBe(`#/traces?from=${from}&to=${to}`);
      await status.filter({ hasText: '1 series' }).waitFor();
      await d.screenshot('zoomed');
      // A theme switch redraws the chart in the new colors: still exactly one plot.
      await d.page.locator('button.theme-toggle').click();
      expect(await d.page.locator('.chart-box canvas').count()).toBe(1);
      expect(await d.page.locator('.chart-box .u-legend').textContent()).toContain('pod=b');
      await d.screenshot('dark');
      expect(d.errors).toEqual([]);
    } finally {
      await d.close();
    }
  });

  it('Traces lists the results; a row opens the waterfall and a span its details', async () => {
    const d = await openDashboard(browser, server, 'traces');
    try {
      await d.open('traces?from=now-1h');
      const rows = d.page.locator('table.trace-results tbody tr[data-trace-id]');
      await rows.first().waitFor();
      const traceIds = new Set(spans.map((s) => s.traceId));
      // 300 spans at 200 a page: the first page holds the newest 200, grouped by trace.
      const shown = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-trace-id')!));
      expect(shown.length).toBeGreaterThan(0);
      for (const id of shown) expect(traceIds.has(id)).toBe(true);
      expect(await d.page.locator('.chart-box canvas').count()).toBe(1);
      await d.page.getByRole('button', { name: 'Load more' }).click();
      await d.page.locator('.status', { hasText: `${spans.length} spans` }).waitFor();
      expect(await rows.count()).toBe(traceIds.size);
      await d.screenshot('results');

      // A service filter from the URL: every listed trace has a span of that service.
      await d.page.goto(`${server.url}#/traces?service=payments&from=now-1h`);
      await d.page.reload();
      await d.page.locator('.status', { hasText: 'spans' }).waitFor();
      expect(await d.page.locator('select[name=service]').inputValue()).toBe('payments');
      const paymentTraces = new Set(spans.filter((s) => s.resource.attributes['service.name'] === 'payments').map((s) => s.traceId));
      const listed = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-trace-id')!));
      expect(new Set(listed)).toEqual(paymentTraces);

      // Open the trace with the most spans.
      const counts = new Map<string, number>();
      for (const s of spans) counts.set(s.traceId, (counts.get(s.traceId) ?? 0) + 1);
      const [bigId, bigCount] = [...counts].sort((a, b) => b[1] - a[1])[0];
      await d.page.goto(`${server.url}#/traces?from=now-1h`);
      await d.page.reload();
      await rows.first().waitFor();
      await d.page.getByRole('button', { name: 'Load more' }).click();
      await d.page.locator(`tr[data-trace-id="${bigId}"]`).click();
      await d.page.waitForFunction((id) => location.hash === `#/trace?id=${id}`, bigId);
      const wfRows = d.page.locator('.waterfall .wf-row[data-span-id]');
      await wfRows.first().waitFor();
      expect(await wfRows.count()).toBe(bigCount);
      expect(await d.page.locator('a.trace-logs-link').getAttribute('href')).toBe(`#/logs?traceId=${bigId}`);

      // A span with attributes: its keys and values are in the details panel, and the URL names it.
      const span = spans.find((s) => s.traceId === bigId && s.parentSpanId !== undefined && Object.keys(s.attributes).length > 0)!;
      await d.page.locator(`.wf-row[data-span-id="${span.spanId}"]`).click();
      const details = d.page.locator(`.span-details[data-span-id="${span.spanId}"]`);
      await details.waitFor();
      expect(await details.locator('h3').textContent()).toBe(span.name);
      const text = (await details.textContent()) ?? '';
      for (const [k, v] of Object.entries(span.attributes)) {
        expect(text).toContain(k);
        expect(text).toContain(typeof v === 'string' ? v : JSON.stringify(v));
      }
      expect(text).toContain(String(span.resource.attributes['service.name']));
      expect((await hashParams(d.page)).get('span')).toBe(span.spanId);
      await d.screenshot('waterfall');
      expect(d.errors).toEqual([]);
    } finally {
      await d.close();
    }
  });

  it('an unknown trace id shows "trace not found"', async () => {
    const d = await openDashboard(browser, server, 'trace-missing');
    try {
      const id = 'f'.repeat(32);
      await d.open(`trace?id=${id}`);
      await d.page.locator('p.error', { hasText: 'Trace not found' }).waitFor();
      await d.screenshot('page');
      expect(d.errors).toEqual([]);
    } finally {
      await d.close();
    }
  });

  it('Traces: a click on the duration scatter opens the trace of the point; a drag moves the URL range and the window links', async () => {
    const d = await openDashboard(browser, server, 'traces-scatter');
    try {
      // An absolute window around the generated spans, so a pixel maps to a known time.
      const startMsOf = (s: Span) => Number(s.startNs / 1_000_000n);
      const starts = spans.map(startMsOf);
      const from0 = Math.min(...starts) - 5_000;
      const to0 = Math.max(...starts) + 5_000;
      await d.open(`traces?from=${from0}&to=${to0}`);
      await d.page.locator('.status', { hasText: 'spans (more available)' }).waitFor();
      const over = d.page.locator('.chart-box .u-over');
      const box = (await over.boundingBox())!;
      const px = (x: number, from: number, to: number) => ((x - from) / (to - from)) * box.width;

      // Off every point (the 5 s margin before the first span): nothing opens.
      await d.page.mouse.click(box.x + 2, box.y + box.height / 2);
      expect(pageOf(await d.page.evaluate(() => location.hash))).toBe('traces');

      // On a point: the scatter holds the newest 200 spans (one page); pick one whose nearest span of
      // another trace is more than 6 px away and click at its x.
      const shown = [...spans].sort((a, b) => (b.startNs > a.startNs ? 1 : -1)).slice(0, 200);
      const target = shown.find((s) => spans.every((o) => o.traceId === s.traceId || Math.abs(px(startMsOf(o), from0, to0) - px(startMsOf(s), from0, to0)) > 6));
      expect(target).toBeDefined();
      await d.page.mouse.click(box.x + px(startMsOf(target!), from0, to0), box.y + box.height / 2);
      await d.page.waitForFunction((id) => location.hash === `#/trace?id=${id}`, target!.traceId);
      await d.page.locator('.waterfall .wf-row[data-span-id]').first().waitFor();

      // A drag across the middle half (with a service filter) sets an absolute window inside the old one.
      await d.page.goto(`${server.url}#/traces?service=payments&from=${from0}&to=${to0}`);
      await d.page.locator('.status', { hasText: 'spans' }).waitFor();
      const box2 = (await over.boundingBox())!;
      await d.page.mouse.move(box2.x + box2.width * 0.25, box2.y + box2.height / 2);
      await d.page.mouse.down();
      await d.page.mouse.move(box2.x + box2.width * 0.5, box2.y + box2.height / 2, { steps: 5 });
      await d.page.mouse.move(box2.x + box2.width * 0.75, box2.y + box2.height / 2, { steps: 5 });
      await d.page.mouse.up();
      await d.page.waitForFunction((f) => new URLSearchParams(location.hash.split('?')[1]).get('from') !== f, String(from0));
      const p = await hashParams(d.page);
      const from = Number(p.get('from'));
      const to = Number(p.get('to'));
      // About the middle half of the old window (uPlot snaps the selection to whole pixels).
      const width = to0 - from0;
      expect(Math.abs(from - (from0 + width * 0.25))).toBeLessThan(width * 0.02);
      expect(Math.abs(to - (from0 + width * 0.75))).toBeLessThan(width * 0.02);
      // The filters stay, the drag's mouseup did not open a trace, and the window links follow.
      expect(p.get('service')).toBe('payments');
      expect(pageOf(await d.page.evaluate(() => location.hash))).toBe('traces');
      expect(await d.page.locator('a.logs-link').getAttribute('href')).toBe(`#/logs?from=${from}&to=${to}`);
      expect(await d.page.locator('a.traces-link').getAttribute('href')).toBe(`#/traces?from=${from}&to=${to}`);
      expect(await d.page.locator('a.metrics-link').getAttribute('href')).toBe(`#/metrics?from=${from}&to=${to}`);
      await d.page.locator('.status', { hasText: 'spans' }).waitFor();
      await d.screenshot('zoomed');
      expect(d.errors).toEqual([]);
    } finally {
      await d.close();
    }
  });
});

/** The page name of a hash like '#/traces?…'. */
function pageOf(hash: string): string {
  return hash.replace(/^#\//, '').split('?')[0]!;
}
