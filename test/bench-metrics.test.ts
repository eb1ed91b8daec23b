// The metrics bench: the "Node app telemetry" generator's promises (seeded, streaming, consistent
// histograms, honest precision), the ingest replay loop, and a --quick smoke run of the built CLI's
// metrics suites (every issue #3 key present and a number, no correctness failure).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateTelemetry, telemetryCatalog, type TelemetryBatch } from '../bench/gen/telemetry.js';
import { TelemetryLoop } from '../bench/lib/telemetry-points.js';
import { lastJson, useBuiltBenchCli } from './bench-cli-harness.js';

const FROM_MS = Date.UTC(2024, 2, 4); // a Monday
const key = (s: { name: string; labels: Record<string, string> }) => JSON.stringify([s.name, Object.entries(s.labels).sort()]);

/** Every scrape of `points` scrapes as one matrix (small sizes only). */
function collect(options: Parameters<typeof generateTelemetry>[0]): { tsMs: number[]; rows: Float64Array[] } {
  const tsMs: number[] = [];
  const rows: Float64Array[] = [];
  for (const b of generateTelemetry(options)) {
    for (let s = 0; s < b.steps; s++) {
      tsMs.push(b.tsMs[s]);
      rows.push(b.values.slice(s * b.series, (s + 1) * b.series));
    }
  }
  return { tsMs, rows };
}

describe('telemetry generator', () => {
  const catalog = telemetryCatalog();
  // Three days: GC cycles, slow-DB episodes, load changes; seed 3 has two restarts in them.
  const days3 = collect({ fromMs: FROM_MS, points: 3 * 8640, seed: 3, batchSteps: 500 });
  const col = (name: string, labels: Record<string, string> = {}) => {
    const i = catalog.findIndex((s) => key(s) === key({ name, labels }));
    if (i < 0) throw new Error(`no series ${name} ${JSON.stringify(labels)}`);
    return days3.rows.map((r) => r[i]);
  };

  it('has exactly 200 distinct series per instance, more instances past 200, truncation below', () => {
    expect(catalog).toHaveLength(200);
    expect(new Set(catalog.map(key)).size).toBe(200);
    const three = telemetryCatalog(450);
    expect(three).toHaveLength(450);
    expect(new Set(three.map(key)).size).toBe(450);
    expect(three[0].labels.instance).toBe('app-1');
    expect(three[449].labels.instance).toBe('app-3');
    expect(telemetryCatalog(7).map(key)).toEqual(catalog.slice(0, 7).map(key));
    expect(() => telemetryCatalog(0)).toThrow(RangeError);
  });

  it('streams batches of fresh arrays with regular timestamps, and jitter when asked', () => {
    const batches: TelemetryBatch[] = [...generateTelemetry({ fromMs: FROM_MS, points: 100, seed: 1, batchSteps: 32, series: 10 })];
    expect(batches.map((b) => b.steps)).toEqual([32, 32, 32, 4]);
    expect(batches.map((b) => b.firstStep)).toEqual([0, 32, 64, 96]);
    expect(batches[1].values.buffer).not.toBe(batches[0].values.buffer);
    expect(batches[3].values).toHaveLength(40);
    const ts = batches.flatMap((b) => Array.from(b.tsMs));
    expect(ts.every((t, i) => t === FROM_MS + i * 10_000)).toBe(true);
    const jittered = [...generateTelemetry({ fromMs: FROM_MS, points: 200, seed: 1, series: 10, jitterMs: 5 })].flatMap((b) => Array.from(b.tsMs));
    const offsets = jittered.map((t, i) => t - (FROM_MS + i * 10_000));
    expect(offsets.every((o) => Number.isInteger(o) && Math.abs(o) <= 5)).toBe(true);
    expect(new Set(offsets).size).toBeGreaterThan(5);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const a = collect({ fromMs: FROM_MS, points: 300, seed: 9, batchSteps: 7 });
    const b = collect({ fromMs: FROM_MS, points: 300, seed: 9, batchSteps: 64 });
    const c = collect({ fromMs: FROM_MS, points: 300, seed: 10 });
    expect(a.rows.map((r) => Array.from(r))).toEqual(b.rows.map((r) => Array.from(r)));
    expect(a.rows.map((r) => Array.from(r))).not.toEqual(c.rows.map((r) => Array.from(r)));
  });

  it('keeps every histogram consistent: cumulative monotone buckets, _count = +Inf, _sum from the same observations', () => {
    const groups = new Map<string, { buckets: Array<[number, number]>; sum: number; count: number }>();
    catalog.forEach((s, i) => {
      if (s.type !== 'histogram') return;
      const { le, ...rest } = s.labels;
      const g = groups.get(s.family + JSON.stringify(rest)) ?? { buckets: [], sum: -1, count: -1 };
      if (s.name.endsWith('_bucket')) g.buckets.push([le === '+Inf' ? Infinity : Number(le), i]);
      else if (s.name.endsWith('_sum')) g.sum = i;
      else g.count = i;
      groups.set(s.family + JSON.stringify(rest), g);
    });
    expect(groups.size).toBe(3 + 4 + 2 + 2 + 2);
    // Plain loops collecting violations: ~5 M comparisons, too many for one expect() each.
    const bad: string[] = [];
    for (const [name, g] of groups) {
      g.buckets.sort((x, y) => x[0] - y[0]);
      if (g.buckets[g.buckets.length - 1][0] !== Infinity) bad.push(`${name}: no +Inf bucket`);
      days3.rows.forEach((row, s) => {
        for (let b = 1; b < g.buckets.length; b++) if (row[g.buckets[b][1]] < row[g.buckets[b - 1][1]]) bad.push(`${name}: bucket ${b} < ${b - 1} at ${s}`);
        if (row[g.count] !== row[g.buckets[g.buckets.length - 1][1]]) bad.push(`${name}: _count != +Inf at ${s}`);
        if (row[g.count] === 0 ? row[g.sum] !== 0 : !(row[g.sum] > 0)) bad.push(`${name}: _sum ${row[g.sum]} with _count ${row[g.count]} at ${s}`);
      });
    }
    expect(bad.slice(0, 5)).toEqual([]);
    // A histogram that saw requests in the window.
    expect(col('http_request_duration_seconds_count', { method: 'GET', route: '/api/items' }).at(-1)).toBeGreaterThan(1000);
  });

  it('counters only go down when the process restarts, and it does restart', () => {
    const start = col('process_start_time_seconds');
    const restarts = new Set<number>();
    for (let s = 1; s < start.length; s++) if (start[s] !== start[s - 1]) restarts.add(s);
    expect(restarts.size).toBeGreaterThan(0);
    const bad: string[] = [];
    catalog.forEach((series, i) => {
      if (series.type === 'gauge') return;
      for (let s = 1; s < days3.rows.length; s++) {
        if (days3.rows[s][i] < days3.rows[s - 1][i] && !restarts.has(s)) bad.push(`${key(series)} fell at scrape ${s}`);
      }
    });
    expect(bad.slice(0, 5)).toEqual([]);
    // ...and a restart resets them (a request counter drops).
    const requests = col('http_requests_total', { method: 'GET', route: '/api/items', status: '200' });
    const r = [...restarts][0];
    expect(requests[r]).toBeLessThan(requests[r - 1]);
  });

  it('prints values with the precision prom-client has', () => {
    const micro = (v: number) => Math.abs(v * 1e6 - Math.round(v * 1e6)) < 1e-3;
    expect(col('process_cpu_user_seconds_total').every(micro)).toBe(true);
    expect(col('process_resident_memory_bytes').every((v) => v % 4096 === 0)).toBe(true);
    expect(col('nodejs_heap_size_total_bytes').every((v) => v % 262_144 === 0)).toBe(true);
    for (const name of ['nodejs_heap_size_used_bytes', 'nodejs_external_memory_bytes', 'process_open_fds', 'nodejs_active_handles_total']) {
      expect(col(name).every(Number.isInteger), name).toBe(true);
    }
    const lag = col('nodejs_eventloop_lag_seconds');
    expect(lag.every((v) => v > 0 && v < 1 && Math.abs(v * 1e9 - Math.round(v * 1e9)) < 1e-3)).toBe(true);
    // Heap used is a sawtooth: it drops (GC) many times a day.
    const used = col('nodejs_heap_size_used_bytes');
    let drops = 0;
    for (let s = 1; s < used.length; s++) if (used[s] < used[s - 1]) drops++;
    expect(drops).toBeGreaterThan(100);
  });

  it("'ms' precision: whole-ms observations and µs loop statistics from the same stream as 'ns'", () => {
    const ms = collect({ fromMs: FROM_MS, points: 2000, seed: 3, batchSteps: 500, precision: 'ms' });
    const ns = collect({ fromMs: FROM_MS, points: 2000, seed: 3, batchSteps: 500, precision: 'ns' });
    const idx = (name: string, labels: Record<string, string> = {}) => catalog.findIndex((s) => key(s) === key({ name, labels }));
    const near = (v: number, scale: number) => Math.abs(v * scale - Math.round(v * scale)) < 1e-3;
    const sum = idx('http_request_duration_seconds_sum', { method: 'GET', route: '/api/items' });
    const mean = idx('nodejs_eventloop_lag_mean_seconds');
    // A _sum of whole-ms observations is a multiple of 1 ms (up to float accumulation); ns sums are not.
    expect(ms.rows.every((r) => near(r[sum], 1e3))).toBe(true);
    expect(ns.rows.filter((r) => near(r[sum], 1e3)).length).toBeLessThan(ns.rows.length / 10);
    expect(ms.rows.every((r) => near(r[mean], 1e6))).toBe(true);
    expect(ns.rows.filter((r) => near(r[mean], 1e6)).length).toBeLessThan(ns.rows.length / 10);
    // Counts, memory and CPU do not depend on the profile: the request stream is the same.
    for (const name of ['http_request_duration_seconds_count', 'nodejs_heap_size_used_bytes', 'process_cpu_user_seconds_total']) {
      const i = name.endsWith('_count') ? idx(name, { method: 'GET', route: '/api/items' }) : idx(name);
      expect(ms.rows.map((r) => r[i]), name).toEqual(ns.rows.map((r) => r[i]));
    }
    expect(() => [...generateTelemetry({ fromMs: FROM_MS, points: 1, seed: 1, precision: 'us' as 'ms' })]).toThrow(RangeError);
  });

  it('has no constant series beyond what a real service has', () => {
    const constant = catalog.filter((_, i) => days3.rows.every((r) => r[i] === days3.rows[0][i])).map((s) => key(s));
    // Always constant: max fds, version info. The rest are buckets no observation ever reaches
    // (a major GC under 1 ms, a report job under 5 s), the rare 503 of a healthy dependency, etc.
    expect(constant).toContain(key({ name: 'process_max_fds', labels: {} }));
    expect(constant).toContain(key(catalog.find((s) => s.name === 'nodejs_version_info')!));
    expect(constant.length).toBeLessThanOrEqual(12);
  });
});

describe('TelemetryLoop (ingest replay)', () => {
  it('continues counters across the wrap and keeps timestamps advancing', () => {
    const catalog = telemetryCatalog(200);
    const [window] = [...generateTelemetry({ fromMs: FROM_MS, points: 50, seed: 3, batchSteps: 50 })];
    const loop = new TelemetryLoop(catalog, window, FROM_MS, 10_000);
    const points = loop.next(120); // wraps twice
    expect(points).toHaveLength(120 * 200);
    expect(loop.scrapes).toBe(120);
    const i = catalog.findIndex((s) => s.name === 'http_requests_total');
    const series = points.filter((_, k) => k % 200 === i);
    expect(series.map((p) => p.tsMs)).toEqual(series.map((_, s) => FROM_MS + s * 10_000));
    // No restart inside this short window, so the replayed counter never goes down.
    for (let s = 1; s < series.length; s++) expect(series[s].value).toBeGreaterThanOrEqual(series[s - 1].value);
    expect(series[50].value).toBeGreaterThan(series[0].value);
    expect(points[i].labels).toBe(catalog[i].labels);
  });
});

describe('npm run bench -- metrics --quick (built CLI)', () => {
  const cli = useBuiltBenchCli({ tmpPrefix: 'timeless-bench-metrics-', timeoutMs: 280_000 });
  const run = cli.run;

  it('reports every issue #3 key as a number, with no correctness failure', { timeout: 300_000 }, () => {
    const r = run('metrics', '--quick', '--json');
    expect(r.stderr).not.toMatch(/FAILED|error:/);
    expect(r.status).toBe(0);
    const report = lastJson(r.stdout);
    expect(report.failures).toEqual([]);
    const m = report.metrics;
    for (const [part, keys] of Object.entries({
      standard: ['diskBytesPerPoint', 'dataBytesPerPoint', 'points', 'series', 'blocks', 'seconds'],
      standardNs: ['diskBytesPerPoint', 'dataBytesPerPoint', 'points'],
      nab: ['medianDataBytesPerPoint'],
      ingest: ['pointsPerSec', 'eventLoopP99Ms', 'flushes', 'flushP99Ms'],
      query: ['rawSeries7dMs', 'agg200Series24hMs', 'daily365dMs'],
      memory: ['bytesPerSeries'],
    })) {
      for (const k of keys) expect(typeof m[part]?.[k], `metrics.${part}.${k}`).toBe('number');
    }
    expect(m.standard.points).toBe(200 * 2160);
    expect([m.standard.precision, m.standardNs.precision]).toEqual(['ms', 'ns']);
    // Same stream, coarser durations: the ms profile can only be smaller.
    expect(m.standard.dataBytesPerPoint).toBeLessThan(m.standardNs.dataBytesPerPoint);
    expect(m.standard.diskBytesPerPoint).toBeGreaterThan(0);
    expect(m.nab.files.every((f: { roundTrip: string }) => f.roundTrip === 'bit-exact')).toBe(true);
    expect(m.query.aggSeries).toBe(200);
    expect(m.ingest.points).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/standard workload disk bytes\/point/);
  });

  it('runs ingest as a suite of its own, under ingest.*', { timeout: 120_000 }, () => {
    const r = run('ingest', '--quick', '--json');
    expect(r.status).toBe(0);
    const report = lastJson(r.stdout);
    expect(typeof report.ingest.pointsPerSec).toBe('number');
    expect(report.metrics).toBeUndefined();
  });

  it('--metrics-csv also measures each file through the engine', { timeout: 120_000 }, () => {
    const file = path.join(cli.dir(), 'gauge.csv');
    const rows = Array.from({ length: 5000 }, (_, i) => `${1_700_000_000 + i * 60},${((i * 7) % 101) / 4}`);
    writeFileSync(file, 'timestamp,value\n' + rows.join('\n') + '\n');
    const r = run('--metrics-csv', file, '--json');
    expect(r.status).toBe(0);
    const report = lastJson(r.stdout);
    expect(report.engineSkipped).toBeUndefined();
    expect(report.files[0].engine.roundTrip).toBe('bit-exact');
    expect(report.files[0].engine.dataBytesPerPoint).toBeGreaterThan(0);
    expect(report.engineMedianDataBytesPerPoint).toBe(report.files[0].engine.dataBytesPerPoint);
    expect(r.stdout).toMatch(/median through the engine/);
  });
});
