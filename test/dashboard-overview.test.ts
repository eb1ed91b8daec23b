// The Overview page in a real browser (harness: test/browser-helpers.ts). Two hours of runtime series
// at 10 s (values shaped like a real Node process: lag in ms, a sawing heap, monotonic CPU and GC
// counters) and an HTTP duration histogram are written through tl; the page (the dashboard's default)
// draws every panel from that history — a canvas and a legend each — except event-loop utilization,
// which has no data and says "no data yet". Points written after the load then appear live over the
// SSE stream: a heap gauge value, a CPU counter step (a derived rate panel) and the first utilization
// point (the empty panel becomes a chart). No console errors; screenshots in test-artifacts/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { WritePoint } from '../src/metrics/types.js';
import { browserSkipReason, buildWeb, launchBrowser, openDashboard, startDashboardServer, type DashboardServer } from './browser-helpers.js';

const skip = browserSkipReason();
if (skip) console.warn(skip);

const NOW = Date.now();
const STEP = 10_000;
const N = 720; // 2 h at 10 s
const BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '+Inf'];
const HTTP = 'http_server_request_duration_seconds';
const GC_KINDS = ['minor', 'major', 'incremental', 'weakcb'];

/** Runtime + HTTP history, oldest first; no event-loop utilization (that panel must say "no data yet"). */
function history(): WritePoint[] {
  const pts: WritePoint[] = [];
  const add = (name: string, value: number, tsMs: number, labels: Record<string, string> = {}) => pts.push({ name, labels, value, tsMs });
  let cpuUser = 100;
  let cpuSys = 20;
  const gcRuns: Record<string, number> = { minor: 0, major: 0, incremental: 0, weakcb: 0 };
  const gcSecs: Record<string, number> = { minor: 0, major: 0, incremental: 0, weakcb: 0 };
  const reqs = new Map<string, number[]>(); // per route/status: cumulative bucket counts + sum
  for (let i = 0; i < N; i++) {
    const t = NOW - (N - i) * STEP;
    const wave = Math.sin(i / 30);
    add('nodejs_eventloop_lag_p50_seconds', 0.0105 + 0.001 * wave, t);
    add('nodejs_eventloop_lag_p99_seconds', 0.02 + 0.008 * Math.abs(wave), t);
    const heapUsed = (40 + (i % 60) * 0.5) * 2 ** 20; // grows, then a major GC drops it
    add('nodejs_heap_size_used_bytes', heapUsed, t);
    add('nodejs_heap_size_total_bytes', 80 * 2 ** 20, t);
    add('process_resident_memory_bytes', 150 * 2 ** 20 + heapUsed * 0.5, t);
    add('nodejs_external_memory_bytes', 3 * 2 ** 20, t);
    add('nodejs_array_buffers_bytes', 1.2 * 2 ** 20, t);
    cpuUser += 10 * (0.3 + 0.1 * wave); // ~30 % of a core over 10 s
    cpuSys += 10 * 0.05;
    add('process_cpu_user_seconds_total', cpuUser, t);
    add('process_cpu_system_seconds_total', cpuSys, t);
    gcRuns.minor += 12;
    gcSecs.minor += 0.012;
    if (i % 60 === 59) (gcRuns.major += 1), (gcSecs.major += 0.045);
    gcRuns.incremental += 1;
    gcSecs.incremental += 0.002;
    gcRuns.weakcb += i % 2;
    for (const kind of GC_KINDS) {
      add('nodejs_gc_runs_total', gcRuns[kind], t, { kind });
      add('nodejs_gc_duration_seconds_total', gcSecs[kind], t, { kind });
    }
    for (const [route, status, perScrape, latency] of [['/api/orders', '200', 50, 0.04], ['/api/orders', '500', 1, 0.3], ['/health', '200', 10, 0.002]] as const) {
      const key = `${route} ${status}`;
      const acc = reqs.get(key) ?? new Array<number>(BUCKETS.length + 1).fill(0);
      reqs.set(key, acc);
      for (let r = 0; r < perScrape; r++) {
        const d = latency * (0.5 + ((i * 7 + r * 13) % 10) / 10);
        BUCKETS.forEach((le, b) => (acc[b] += le === '+Inf' || d <= Number(le) ? 1 : 0));
        acc[BUCKETS.length] += d;
      }
      const labels = { http_request_method: 'GET', http_route: route, http_response_status_code: status };
      BUCKETS.forEach((le, b) => add(`${HTTP}_bucket`, acc[b], t, { ...labels, le }));
      add(`${HTTP}_count`, acc[BUCKETS.length - 1], t, labels);
      add(`${HTTP}_sum`, acc[BUCKETS.length], t, labels);
    }
  }
  return pts;
}

const PANELS = ['eventloop-lag', 'heap', 'memory', 'cpu', 'gc-runs', 'gc-time', 'http-rate', 'http-latency', 'http-errors'];
const LEGENDS: Record<string, string[]> = {
  'eventloop-lag': ['p50', 'p99'],
  heap: ['used', 'total'],
  memory: ['rss', 'external', 'array buffers'],
  cpu: ['user', 'system'],
  'gc-runs': GC_KINDS,
  'gc-time': GC_KINDS,
  'http-rate': ['requests/s'],
  'http-latency': ['p50', 'p90', 'p99'],
  'http-errors': ['5xx share'],
};

describe.skipIf(skip !== undefined)('dashboard Overview page', () => {
  let server: DashboardServer;
  let browser: Browser;

  beforeAll(async () => {
    buildWeb();
    server = await startDashboardServer();
    browser = await launchBrowser();
    server.tl.metrics.writeBatch(history());
    await server.tl.flush();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('is the default page, draws every panel from history and updates live', async () => {
    const d = await openDashboard(browser, server, 'overview');
    try {
      await d.page.goto(server.url);
      await d.page.waitForFunction(() => window.__TIMELESS_OVERVIEW_READY__ !== undefined);
      expect(await d.page.evaluate(() => location.hash)).toMatch(/^#\/overview/);
      for (const id of PANELS) {
        const panel = d.page.locator(`.overview-panel[data-panel="${id}"]`);
        expect(await panel.locator('canvas').count(), id).toBe(1);
        const legend = (await panel.locator('.u-legend').textContent()) ?? '';
        for (const name of LEGENDS[id]) expect(legend, id).toContain(name);
        expect(await panel.locator('.error').count(), id).toBe(0);
        // The last step of the history is in the window (derived panels: its last full step).
        expect(Number(await panel.getAttribute('data-last-ts')), id).toBeGreaterThan(NOW - 5 * 60_000);
      }
      // Values read as what they are: the heap's latest value in MiB, the CPU rate as a share of a core.
      expect(await d.page.locator('[data-panel="heap"] .panel-latest').textContent()).toMatch(/used \d+(\.\d+)? MiB · total 80\.0 MiB/);
      expect(await d.page.locator('[data-panel="cpu"] .panel-latest').textContent()).toMatch(/user \d+(\.\d)?% · system 5(\.0)?%/);
      const elu = d.page.locator('.overview-panel[data-panel="eventloop-utilization"]');
      expect(await elu.locator('.no-data').textContent()).toBe('no data yet');
      expect(await elu.locator('canvas').count()).toBe(0);
      await d.screenshot('history');

      // Written after the load: a gauge point, a counter step and the first utilization point.
      const t = Date.now();
      server.tl.metrics.writeBatch([
        { name: 'nodejs_heap_size_used_bytes', labels: {}, value: 777 * 2 ** 20, tsMs: t },
        { name: 'process_cpu_user_seconds_total', labels: {}, value: 1e6, tsMs: t },
        { name: 'nodejs_eventloop_utilization_ratio', labels: {}, value: 0.42, tsMs: t },
      ]);
      await d.page.locator('[data-panel="heap"] .panel-latest', { hasText: 'used 777 MiB' }).waitFor();
      await d.page.locator('[data-panel="eventloop-utilization"] canvas').waitFor();
      expect(await elu.locator('.panel-latest').textContent()).toBe('utilization 42%');
      // The CPU panel re-read its tail: its newest step now holds the jump (a huge rate).
      await d.page.locator('[data-panel="cpu"] .panel-latest', { hasText: /user \d{5,}/ }).waitFor();
      await d.screenshot('live');
      expect(d.errors).toEqual([]);
    } finally {
      await d.close();
    }
  });

  it('dragging on a panel zooms the URL range and offers logs/traces of that window', async () => {
    const d = await openDashboard(browser, server, 'overview-zoom');
    try {
      await d.open('overview?from=now-2h');
      await d.page.waitForFunction(() => window.__TIMELESS_OVERVIEW_READY__ !== undefined);
      const over = d.page.locator('[data-panel="heap"] .u-over');
      const box = (await over.boundingBox())!;
      await d.page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
      await d.page.mouse.down();
      await d.page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 8 });
      await d.page.mouse.up();
      await d.page.waitForFunction(() => /[?&]to=\d+/.test(location.hash));
      const p = new URLSearchParams((await d.page.evaluate(() => location.hash)).split('?')[1]);
      const from = Number(p.get('from'));
      const to = Number(p.get('to'));
      expect(from).toBeGreaterThan(NOW - 2 * 3_600_000);
      expect(to).toBeGreaterThan(from);
      expect(await d.page.locator('a.logs-link').getAttribute('href')).toBe(`#/logs?from=${from}&to=${to}`);
      expect(await d.page.locator('a.traces-link').getAttribute('href')).toBe(`#/traces?from=${from}&to=${to}`);
      await d.page.locator('[data-panel="heap"] canvas').waitFor();
      expect(d.errors).toEqual([]);
    } finally {
      await d.close();
    }
  });
});
