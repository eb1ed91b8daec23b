// The `dashboard` suite (issue #7): what the browser pays for the dashboard.
// - overviewFirstPaint: a store with 7 days of runtime + HTTP history at 10 s (1 day with --quick;
//   bench/lib/dashboard-history.ts), served by a child process (bench/lib/http-child.ts, `ingest`
//   mode: the engines' defaults) with the built dashboard; chromium loads #/overview (default range:
//   the last hour) in a fresh context each time, one warm-up load then 5 measured; the number is the
//   median time from navigation start to every panel drawn (the page's own mark).
// - logTail: the logs page with the live tail on; an entry is POSTed to the server (durable answer),
//   and the time until its row shows in the page is measured, 10 times; the median (target ≤ 2 s,
//   the "a log written after load appears within 2 s", measured here, not in a test).
// - shippedJs: gzip -9 of build/web/*.js, the whole script a browser downloads.
// Headline numbers are also stored flat under the suite (`dashboard.overviewFirstPaintMs`), as in
// the http suite. Needs `npm run build:web` (part of `npm run build`).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromiumMissing, openBrowser, type LoadTiming } from '../lib/dashboard-browser.js';
import { writeDashboardHistory } from '../lib/dashboard-history.js';
import { startServerChild } from '../lib/http-child.js';
import { runParts, type Part } from '../lib/parts.js';
import { median, round } from '../lib/stats.js';
import { makeTempDir, removeTempDir } from '../lib/temp-dirs.js';
import type { Suite, SuiteContext, SuiteOutput } from '../lib/report.js';

const LOADS = 5;

/** build/web of the package (bench/suites → package root; from dist/bench/suites as well). */
function webDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return path.join(dir, 'build', 'web');
}

function requireBuild(): string {
  const dir = webDir();
  if (!existsSync(path.join(dir, 'index.html')) || !readdirSync(dir).some((n) => n.endsWith('.js'))) throw new Error(`${dir} holds no built dashboard: run npm run build:web`);
  return dir;
}

async function runShippedJs(): Promise<SuiteOutput> {
  const dir = requireBuild();
  const files = readdirSync(dir).filter((n) => n.endsWith('.js')).sort();
  let raw = 0;
  let gz = 0;
  for (const name of files) {
    const bytes = readFileSync(path.join(dir, name));
    raw += bytes.length;
    gz += gzipSync(bytes, { level: 9 }).length;
  }
  const kb = round(gz / 1024, 1);
  return {
    json: { gzipKB: kb, rawKB: round(raw / 1024, 1), files },
    rows: [{ key: 'dashboard.shippedJsGzipKB', label: 'dashboard: shipped JS, gzip -9', value: kb, unit: 'KB', target: { op: '<=', value: 150 }, note: `${files.join(', ')}, ${round(raw / 1024, 1)} KB raw` }],
    failures: [],
  };
}

async function runOverviewFirstPaint(ctx: SuiteContext): Promise<SuiteOutput> {
  requireBuild();
  const missing = chromiumMissing();
  if (missing) {
    ctx.progress(`dashboard.overviewFirstPaint: skipped: ${missing}`);
    return { json: { skipped: missing }, rows: [], failures: [] };
  }
  const days = ctx.quick ? 1 : 7;
  const dir = makeTempDir('dashboard');
  try {
    ctx.progress(`dashboard.overviewFirstPaint: writing ${days} d of runtime + HTTP history at 10 s`);
    const fill = await writeDashboardHistory(dir, days, Date.now());
    ctx.progress(`dashboard.overviewFirstPaint: ${fill.points.toLocaleString('en-US')} points in ${fill.writeSeconds.toFixed(1)} s (+${fill.compactSeconds.toFixed(1)} s compaction); loading the overview`);
    const server = await startServerChild(dir, 'ingest');
    const browser = await openBrowser();
    const loads: LoadTiming[] = [];
    let warmup: LoadTiming;
    try {
      const url = `${server.url}/#/overview`;
      warmup = await browser.load(url);
      for (let i = 0; i < LOADS; i++) loads.push(await browser.load(url));
    } finally {
      await browser.close();
      await server.stop();
    }
    const ms = round(median(loads.map((l) => l.readyMs)), 1);
    const failures: string[] = [];
    // Every panel must have drawn from the history: a "no data yet" here means a query found nothing.
    for (const l of [warmup, ...loads]) if (l.noData > 0) failures.push(`dashboard.overviewFirstPaint: ${l.noData} panel(s) showed "no data yet" on a filled store`);
    return {
      json: {
        medianMs: ms,
        loadsMs: loads.map((l) => round(l.readyMs, 1)),
        warmupMs: round(warmup.readyMs, 1),
        domContentLoadedMs: round(median(loads.map((l) => l.domContentLoadedMs)), 1),
        charts: loads[0].charts,
        days,
        points: fill.points,
        series: fill.series,
        writeSeconds: round(fill.writeSeconds, 2),
        compactSeconds: round(fill.compactSeconds, 2),
        compaction: fill.compaction,
        backpressure: fill.backpressure,
      },
      rows: [{ key: 'dashboard.overviewFirstPaintMs', label: 'dashboard: overview first paint (median of 5)', value: ms, unit: 'ms', target: { op: '<=', value: 500 }, note: `${loads[0].charts} charts, ${days} d × ${fill.series} series at 10 s` }],
      failures: [...new Set(failures)],
    };
  } finally {
    removeTempDir(dir);
  }
}

async function runLogTail(ctx: SuiteContext): Promise<SuiteOutput> {
  requireBuild();
  const missing = chromiumMissing();
  if (missing) {
    ctx.progress(`dashboard.logTail: skipped: ${missing}`);
    return { json: { skipped: missing }, rows: [], failures: [] };
  }
  const dir = makeTempDir('dashboard-tail');
  try {
    const server = await startServerChild(dir, 'ingest');
    const browser = await openBrowser();
    let latencies: number[];
    try {
      const messages = Array.from({ length: 10 }, (_, i) => `tail probe ${i} ${Date.now()}`);
      latencies = await browser.tailLatencies(`${server.url}/`, messages, async (message) => {
        const res = await fetch(`${server.url}/api/v1/logs/write`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ message, level: 'warn' }]) });
        if (res.status !== 200) throw new Error(`POST /api/v1/logs/write answered ${res.status}`);
      });
    } finally {
      await browser.close();
      await server.stop();
    }
    const ms = round(median(latencies), 1);
    return {
      json: { medianMs: ms, maxMs: round(Math.max(...latencies), 1), latenciesMs: latencies.map((x) => round(x, 1)) },
      rows: [{ key: 'dashboard.logTailLatencyMs', label: 'dashboard: log written -> shown in the live tail (median of 10)', value: ms, unit: 'ms', target: { op: '<=', value: 2000 }, note: `max ${round(Math.max(...latencies), 1)} ms; POST acknowledged (fdatasync) to the row in the page` }],
      failures: [],
    };
  } finally {
    removeTempDir(dir);
  }
}

const PARTS: Record<string, Part> = {
  overviewFirstPaint: runOverviewFirstPaint,
  logTail: runLogTail,
  shippedJs: runShippedJs,
};

async function run(ctx: SuiteContext): Promise<SuiteOutput> {
  const out = await runParts('dashboard', PARTS, ctx);
  const flat: Record<string, unknown> = {};
  for (const row of out.rows) if (row.key.startsWith('dashboard.')) flat[row.key.slice('dashboard.'.length)] = row.value;
  return { ...out, json: { ...flat, ...out.json } };
}

export const dashboardSuite: Suite = {
  name: 'dashboard',
  parts: Object.keys(PARTS),
  run,
};
