// The `dashboard` suite's store: a Node app's runtime + HTTP history at a 10 s scrape interval, under
// the metric names of the runtime collector's contract (prom-client's), ending now so the overview's
// default "last hour" is full. Values move like a real process: lag of ~10 ms with spikes, a heap that
// saws between major GCs, monotonic CPU / GC / request counters, a cumulative latency histogram on
// three route × status series. Written through tl.metrics.writeBatch a step slice at a time (backpressure
// handled as the other benches do), then flushed, checkpointed (heads sealed) and compacted.
import { Prng } from '../gen/prng.js';
import { openBenchStore, writeWithBackpressure, type WriteCounters } from './bench-store.js';
import type { BenchPoint } from './telemetry-points.js';

export const SCRAPE_MS = 10_000;
const HTTP = 'http_server_request_duration_seconds';
const BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '+Inf'];
const GC_KINDS = ['minor', 'major', 'incremental', 'weakcb'] as const;
/** route, status, requests per scrape, typical latency (s). */
const ROUTES = [
  ['/api/orders/:id', '200', 120, 0.03],
  ['/api/orders/:id', '500', 2, 0.25],
  ['/health', '200', 10, 0.002],
] as const;
const MiB = 2 ** 20;

export interface HistoryResult {
  points: number;
  series: number;
  steps: number;
  backpressure: number;
  writeSeconds: number;
  compactSeconds: number;
  /** compactNow()'s report: what the compaction merged. */
  compaction: { groups: number; blocksIn: number; blocksOut: number };
}

/** Fills `dataDir` with `days` of history ending at `endMs`; the store is closed afterwards. */
export async function writeDashboardHistory(dataDir: string, days: number, endMs: number): Promise<HistoryResult> {
  const store = await openBenchStore(dataDir);
  const prng = new Prng(7);
  const rnd = (): number => prng.float();
  const steps = Math.floor((days * 86_400_000) / SCRAPE_MS);
  const end = Math.floor(endMs / SCRAPE_MS) * SCRAPE_MS;
  const counters: WriteCounters = { points: 0, backpressure: 0 };
  let cpuUser = 0;
  let cpuSys = 0;
  const gcRuns = { minor: 0, major: 0, incremental: 0, weakcb: 0 };
  const gcSecs = { minor: 0, major: 0, incremental: 0, weakcb: 0 };
  const acc = ROUTES.map(() => new Array<number>(BUCKETS.length + 1).fill(0)); // cumulative buckets + sum
  const seriesKeys = new Set<string>();
  const t0 = performance.now();
  let batch: BenchPoint[] = [];
  const add = (name: string, value: number, tsMs: number, labels: Record<string, string> = {}): void => {
    batch.push({ name, labels, value, tsMs });
  };
  for (let i = 0; i < steps; i++) {
    const t = end - (steps - 1 - i) * SCRAPE_MS;
    const day = Math.sin((2 * Math.PI * (t % 86_400_000)) / 86_400_000); // daily traffic cycle
    const load = 0.6 + 0.4 * day;
    const spike = rnd() < 0.01 ? 0.05 + rnd() * 0.2 : 0;
    add('nodejs_eventloop_lag_p50_seconds', 0.0101 + 0.0005 * rnd(), t);
    add('nodejs_eventloop_lag_p99_seconds', 0.012 + 0.01 * load * rnd() + spike, t);
    add('nodejs_eventloop_lag_mean_seconds', 0.0104 + 0.001 * rnd(), t);
    add('nodejs_eventloop_lag_max_seconds', 0.015 + 0.02 * rnd() + spike * 2, t);
    add('nodejs_eventloop_utilization_ratio', Math.min(1, 0.15 + 0.45 * load * (0.8 + 0.4 * rnd())), t);
    const heapUsed = (45 + (i % 90) * 0.4 + rnd() * 2) * MiB;
    add('nodejs_heap_size_used_bytes', heapUsed, t);
    add('nodejs_heap_size_total_bytes', 96 * MiB, t);
    add('process_resident_memory_bytes', 160 * MiB + heapUsed * 0.6, t);
    add('nodejs_external_memory_bytes', (3 + rnd() * 0.2) * MiB, t);
    add('nodejs_array_buffers_bytes', (1.1 + rnd() * 0.3) * MiB, t);
    add('nodejs_active_handles', 20 + Math.floor(rnd() * 8), t);
    cpuUser += 10 * 0.35 * load * (0.8 + 0.4 * rnd());
    cpuSys += 10 * 0.06 * load;
    add('process_cpu_user_seconds_total', cpuUser, t);
    add('process_cpu_system_seconds_total', cpuSys, t);
    gcRuns.minor += Math.round(15 * load);
    gcSecs.minor += 0.0012 * Math.round(15 * load);
    if (i % 90 === 89) (gcRuns.major += 1), (gcSecs.major += 0.04 + 0.02 * rnd());
    gcRuns.incremental += 1;
    gcSecs.incremental += 0.002;
    gcRuns.weakcb += rnd() < 0.3 ? 1 : 0;
    for (const kind of GC_KINDS) {
      add('nodejs_gc_runs_total', gcRuns[kind], t, { kind });
      add('nodejs_gc_duration_seconds_total', gcSecs[kind], t, { kind });
    }
    ROUTES.forEach(([route, status, perScrape, latency], r) => {
      const a = acc[r];
      const n = Math.round(perScrape * load);
      for (let k = 0; k < n; k++) {
        const d = latency * (0.3 + rnd() * 1.4 + (rnd() < 0.02 ? 5 : 0));
        for (let b = 0; b < BUCKETS.length; b++) if (BUCKETS[b] === '+Inf' || d <= Number(BUCKETS[b])) a[b]++;
        a[BUCKETS.length] += d;
      }
      const labels = { http_request_method: 'GET', http_route: route, http_response_status_code: status };
      BUCKETS.forEach((le, b) => add(`${HTTP}_bucket`, a[b], t, { ...labels, le }));
      add(`${HTTP}_count`, a[BUCKETS.length - 1], t, labels);
      add(`${HTTP}_sum`, a[BUCKETS.length], t, labels);
    });
    if (i === 0) for (const p of batch) seriesKeys.add(`${p.name}${JSON.stringify(p.labels)}`);
    if (batch.length >= 50_000 || i === steps - 1) {
      await writeWithBackpressure(store, batch, counters);
      batch = [];
    }
  }
  await store.flush();
  // Seals the heads into blocks, so compaction sees the whole history (as engine-series.ts does).
  await store.metrics.checkpoint();
  const writeSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const { groups, blocksIn, blocksOut } = await store.metrics.compactNow();
  const compactSeconds = (performance.now() - t1) / 1000;
  await store.close();
  return { points: counters.points, series: seriesKeys.size, steps, backpressure: counters.backpressure, writeSeconds, compactSeconds, compaction: { groups, blocksIn, blocksOut } };
}
