// metrics.query (also the `query` suite): p50 query latency on the standard dataset, reopened from
// disk (the metrics suite's directory when it ran in this process, else built here):
//   rawSeries7dMs      one series, raw, the whole 7 days (60,480 points)
//   agg200Series24hMs  every one of the 200 series, last 24 h, avg over 300 steps: ONE query
//                      selecting every metric by a `__name__` matcher (a dashboard showing everything)
//   groupBy24hMs       rate of the 4 per-route request counters, sum by route, 24 h to 300 steps
//   daily365dMs        one series holding a year at 5 min (written beforehand), stepMs = 1 day: the
//                      daily rollup tier; its answer is checked against the raw values
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Prng } from '../gen/prng.js';
import { openBenchStore, writeWithBackpressure, type BenchStore } from '../lib/bench-store.js';
import { runSharedAsSuite, sharedPart } from '../lib/parts.js';
import { round } from '../lib/stats.js';
import { timeRuns } from '../lib/timed-runs.js';
import { standardDataset, type StandardDataset } from '../lib/standard-dataset.js';
import type { BenchPoint } from '../lib/telemetry-points.js';
import type { Suite, SuiteContext, SuiteOutput } from '../lib/report.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const YEAR_NAME = 'bench_checkout_latency_p95_ms';
const YEAR_STEP_MS = 300_000;

/**
 * A year of a p95 latency gauge at 5 min ending at `endMs`: a daily cycle, a slow drift, noise and
 * rare incidents, in ms with 1 decimal (what a dashboard panel shows). Returns the values written.
 */
async function writeYear(store: BenchStore, endMs: number, days: number): Promise<{ fromMs: number; tsMs: Float64Array; values: Float64Array }> {
  const n = (days * DAY_MS) / YEAR_STEP_MS;
  const fromMs = endMs - days * DAY_MS;
  const p = new Prng(365);
  const tsMs = new Float64Array(n);
  const values = new Float64Array(n);
  let drift = 0;
  let incident = 0;
  for (let i = 0; i < n; i++) {
    tsMs[i] = fromMs + i * YEAR_STEP_MS;
    const hour = ((tsMs[i] % DAY_MS) / HOUR_MS) % 24;
    drift += p.normal() * 0.05;
    if (incident > 0) incident--;
    else if (p.float() < 0.0005) incident = p.int(3, 30);
    const v = (140 + drift + 35 * Math.sin((2 * Math.PI * (hour - 9)) / 24)) * Math.exp(0.08 * p.normal()) * (incident > 0 ? 3 : 1);
    values[i] = Math.round(v * 10) / 10;
  }
  const counters = { points: 0, backpressure: 0 };
  for (let from = 0; from < n; from += 4_096) {
    const points: BenchPoint[] = [];
    for (let i = from; i < Math.min(n, from + 4_096); i++) points.push({ name: YEAR_NAME, labels: { route: '/api/orders' }, value: values[i], tsMs: tsMs[i] });
    await writeWithBackpressure(store, points, counters);
    await nextTurn();
  }
  await store.metrics.flush();
  await store.metrics.checkpoint();
  await store.metrics.compactNow();
  return { fromMs, tsMs, values };
}

/** Daily averages computed from the raw values: what the rollup answer must equal. */
function dailyAverages(fromMs: number, tsMs: Float64Array, values: Float64Array): Map<number, number> {
  const sums = new Map<number, [number, number]>();
  for (let i = 0; i < tsMs.length; i++) {
    const day = fromMs + Math.floor((tsMs[i] - fromMs) / DAY_MS) * DAY_MS;
    const s = sums.get(day) ?? [0, 0];
    s[0] += values[i];
    s[1]++;
    sums.set(day, s);
  }
  return new Map([...sums].map(([day, [sum, count]]) => [day, sum / count]));
}

async function runQueries(ctx: SuiteContext): Promise<SuiteOutput> {
  const ds: StandardDataset = await standardDataset(ctx);
  const runs = ctx.quick ? 5 : 25;
  const failures: string[] = [];
  // Reopening the directory (the dataset was closed after it was built) is part of what is checked.
  const store = await openBenchStore(ds.dataDir);
  try {
    const endMs = ds.toMs + ds.stepMs; // the UTC midnight the dataset ends at
    const yearDays = ctx.quick ? 30 : 365;
    ctx.progress(`metrics.query: writing ${yearDays} days of one series at 5 min for the daily-rollup query`);
    const year = await writeYear(store, endMs, yearDays);

    // 1. One series, raw, the whole dataset.
    const rawQuery = { name: 'process_resident_memory_bytes', fromMs: ds.fromMs, toMs: ds.toMs };
    const rawAnswer = await store.metrics.query(rawQuery);
    if (rawAnswer.length !== 1 || rawAnswer[0].tsMs.length !== ds.pointsPerSeries) {
      failures.push(`metrics.query: raw query returned ${rawAnswer.length} series / ${rawAnswer[0]?.tsMs.length ?? 0} points, expected 1 / ${ds.pointsPerSeries}`);
    }
    ctx.progress(`metrics.query: raw ${ds.pointsPerSeries} points x ${runs} runs`);
    const raw = await timeRuns(runs, () => store.metrics.query(rawQuery));

    // 2. All 200 series over the last 24 h (or the whole dataset with --quick), 300 steps.
    const spanMs = Math.min(DAY_MS, endMs - ds.fromMs);
    const stepMs = spanMs / 300;
    const names = [...new Set(ds.catalog.map((s) => s.name))];
    // Every metric but the year-long series this suite added (not part of the 200).
    const everyMetric = [
      { label: '__name__', op: '=~' as const, value: '.+' },
      { label: '__name__', op: '!=' as const, value: YEAR_NAME },
    ];
    const aggAll = () => store.metrics.query({ matchers: everyMetric, fromMs: endMs - spanMs, toMs: endMs - 1, stepMs, agg: 'avg' });
    const aggAnswer = await aggAll();
    const aggNames = new Set(aggAnswer.map((s) => s.name));
    if (names.some((n) => !aggNames.has(n))) failures.push(`metrics.query: the __name__ query answered ${aggNames.size} metric names, expected ${names.length}`);
    const maxSteps = Math.max(...aggAnswer.map((s) => s.tsMs.length));
    if (aggAnswer.length !== ds.catalog.length || maxSteps !== 300) {
      failures.push(`metrics.query: 24 h aggregation returned ${aggAnswer.length} series with up to ${maxSteps} steps, expected ${ds.catalog.length} with 300`);
    }
    ctx.progress(`metrics.query: 1 query (${aggAnswer.length} series of ${names.length} metrics) x ${runs} runs`);
    const agg = await timeRuns(runs, aggAll);
    // The same query over a window ending at 13:37 UTC: a "last 24 h" dashboard at an arbitrary time
    // of day, not aligned to any block boundary (compacted blocks are cut at 6 h UTC cells), so it
    // decodes partial blocks at both ends where the midnight-aligned window above decodes none.
    const offEndMs = endMs - Math.min(Math.floor(spanMs / 2), (10 * 60 + 23) * 60_000);
    const aggOffCell = () => store.metrics.query({ matchers: everyMetric, fromMs: offEndMs - spanMs, toMs: offEndMs - 1, stepMs, agg: 'avg' });
    const offAnswer = await aggOffCell();
    if (offAnswer.length !== ds.catalog.length) failures.push(`metrics.query: the unaligned 24 h aggregation returned ${offAnswer.length} series, expected ${ds.catalog.length}`);
    const aggUnaligned = await timeRuns(runs, aggOffCell);

    // 3. groupBy: per-route request rate, summed across status codes.
    const groupQuery = { name: 'http_requests_total', fromMs: endMs - spanMs, toMs: endMs - 1, stepMs, agg: 'rate' as const, groupBy: ['route'] };
    const groupAnswer = await store.metrics.query(groupQuery);
    if (groupAnswer.length !== 4) failures.push(`metrics.query: groupBy route returned ${groupAnswer.length} groups, expected 4`);
    const group = await timeRuns(runs, () => store.metrics.query(groupQuery));

    // 4. A year at 1-day steps: the daily rollups.
    const dailyQuery = { name: YEAR_NAME, fromMs: year.fromMs, toMs: endMs - 1, stepMs: DAY_MS, agg: 'avg' as const };
    const dailyAnswer = await store.metrics.query(dailyQuery);
    const want = dailyAverages(year.fromMs, year.tsMs, year.values);
    const got = dailyAnswer[0];
    let wrong = 0;
    if (!got || got.tsMs.length !== want.size) {
      failures.push(`metrics.query: daily query returned ${got?.tsMs.length ?? 0} days, expected ${want.size}`);
    } else {
      for (let i = 0; i < got.tsMs.length; i++) {
        const w = want.get(got.tsMs[i]);
        if (w === undefined || Math.abs(got.values[i] - w) > 1e-9 * Math.max(1, Math.abs(w))) wrong++;
      }
      if (wrong) failures.push(`metrics.query: ${wrong} of ${want.size} daily averages differ from the raw data`);
    }
    const daily = await timeRuns(runs, () => store.metrics.query(dailyQuery));

    const json = {
      runs,
      rawSeries7dMs: round(raw.p50Ms, 2),
      rawSeries7dP90Ms: round(raw.p90Ms, 2),
      rawPoints: ds.pointsPerSeries,
      agg200Series24hMs: round(agg.p50Ms, 2),
      agg200Series24hP90Ms: round(agg.p90Ms, 2),
      agg200Series24hUnalignedMs: round(aggUnaligned.p50Ms, 2),
      agg200Series24hUnalignedP90Ms: round(aggUnaligned.p90Ms, 2),
      aggSeries: aggAnswer.length,
      aggQueries: 1,
      aggMetrics: names.length,
      aggSpanHours: spanMs / HOUR_MS,
      groupBy24hMs: round(group.p50Ms, 2),
      daily365dMs: round(daily.p50Ms, 2),
      daily365dP90Ms: round(daily.p90Ms, 2),
      dailyDays: got?.tsMs.length ?? 0,
      dailyMismatches: wrong,
    };
    ctx.progress(`metrics.query: raw ${json.rawSeries7dMs} ms, 200 series ${json.agg200Series24hMs} ms, groupBy ${json.groupBy24hMs} ms, daily ${json.daily365dMs} ms (p50)`);
    return {
      json,
      failures,
      rows: [
        { key: 'metrics.query.rawSeries7dMs', label: 'query: 1 series raw 7 d (p50)', value: json.rawSeries7dMs, unit: 'ms', target: { op: '<=', value: 5 }, note: `${json.rawPoints.toLocaleString('en-US')} points, p90 ${json.rawSeries7dP90Ms} ms` },
        { key: 'metrics.query.agg200Series24hMs', label: 'query: 200 series 24 h to 300 steps (p50)', value: json.agg200Series24hMs, unit: 'ms', target: { op: '<=', value: 50 }, note: `1 query (__name__ matchers, ${json.aggMetrics} metrics), avg, p90 ${json.agg200Series24hP90Ms} ms` },
        { key: 'metrics.query.agg200Series24hUnalignedMs', label: 'query: same, window ending 13:37 (p50)', value: json.agg200Series24hUnalignedMs, unit: 'ms', target: { op: '<=', value: 50 }, note: `unaligned to block cells, p90 ${json.agg200Series24hUnalignedP90Ms} ms` },
        { key: 'metrics.query.groupBy24hMs', label: 'query: rate sum by route 24 h (p50)', value: json.groupBy24hMs, unit: 'ms', note: '8 series into 4 groups, 300 steps' },
        { key: 'metrics.query.daily365dMs', label: `query: daily rollup ${yearDays} d (p50)`, value: json.daily365dMs, unit: 'ms', target: { op: '<=', value: 5 }, note: `${json.dailyDays} days, checked against raw, p90 ${json.daily365dP90Ms} ms` },
      ],
    };
  } finally {
    await store.close();
  }
}

/** `metrics.query` (JSON under metrics.query.*), run once per process. */
export const queryPart = sharedPart(runQueries);

/** `npm run bench -- query`: the same part as a suite (JSON under query.*). */
export const querySuite: Suite = {
  name: 'query',
  parts: [],
  run: (ctx) => runSharedAsSuite('query', queryPart, ctx),
};
