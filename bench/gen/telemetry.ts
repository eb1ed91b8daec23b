// Seeded "Node app telemetry": the series a modest production Node.js service (tens of requests per
// second) exports through prom-client, scraped every 10 s. It is the metrics engine's standard
// workload, so it aims to be honest rather than flattering: every value comes from one simulated
// request stream (a histogram's buckets, _sum and _count agree; bucket counters are cumulative and
// monotone; _count equals the +Inf bucket), values carry the precision prom-client really prints
// (CPU seconds in µs, memory in bytes or 4 KiB pages, latencies in ns as seconds, HDR-quantized
// event-loop percentiles), load follows a day/week cycle with noise, and the process restarts every
// few days (counters reset to zero, as after a deploy). Constant series are only those a real
// service has (start time between restarts, max fds, version info).
//
// Two precision profiles (`precision`), same request stream:
// - 'ms' (the standard workload of issue #3: "realistic precision such as bytes, %, ms latencies"):
//   the app times requests, queries, jobs and GC pauses with millisecond clocks (Date.now() deltas,
//   as hand-written Express/Hono middleware does), so every observation is a whole number of ms, and
//   its event-loop exporter prints delay statistics in ms with 3 decimals (µs).
// - 'ns' (prom-client's own startTimer()): observations carry hrtime's nanoseconds, so histogram
//   _sum counters are ~30 bits of noise per scrape, and event-loop mean/stddev are full doubles.
//   Reported by the bench next to the standard number (metrics.standardNs), never instead of it.
//
// More than 200 series = more instances of the same service (label `instance`), each with its own
// load share; a count that is not a multiple of 200 truncates the last instance.
import { Prng } from './prng.js';

export type MetricType = 'counter' | 'gauge' | 'histogram';
export type TelemetryPrecision = 'ms' | 'ns';

export interface TelemetrySeries {
  name: string;
  labels: Record<string, string>;
  type: MetricType;
  /** The prom-client family, e.g. `http_request_duration_seconds` for its `_bucket` series. */
  family: string;
  unit: string;
  help: string;
}

export interface TelemetryOptions {
  /** Number of series (default 200 = one service instance). */
  series?: number;
  fromMs: number;
  /** Scrape interval (default 10 s). Rates are per second, so any step gives consistent counters. */
  stepMs?: number;
  /** Scrapes per series. */
  points: number;
  seed: number;
  /** Scrapes per yielded batch (default 64). */
  batchSteps?: number;
  /**
   * Scrape timestamp jitter, ± ms (default 0: exact multiples of stepMs, as a sampler aligned to the
   * interval writes them). A real Prometheus scrape lands a few ms off; this makes that measurable.
   */
  jitterMs?: number;
  /** Duration precision profile (see the top of this file); default 'ns'. */
  precision?: TelemetryPrecision;
}

/** `steps` scrapes: `values` is row-major, `values[s * series + i]` = series i at `tsMs[s]`. */
export interface TelemetryBatch {
  /** Index of the first scrape of this batch since `fromMs`. */
  firstStep: number;
  steps: number;
  series: number;
  tsMs: Float64Array;
  values: Float64Array;
}

export const SERIES_PER_INSTANCE = 200;
export const TELEMETRY_STEP_MS = 10_000;

const DAY_SEC = 86_400;
const MB = 2 ** 20;

// prom-client default buckets and the ones a service typically configures.
const GC_BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const DB_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1];
const CLIENT_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const JOB_BUCKETS = [0.5, 1, 5, 10, 30, 60];

interface Route {
  method: string;
  route: string;
  /** Requests per second at load 1. */
  ratePerSec: number;
  /** Own handler latency (DB and external calls come on top): lognormal median and sigma. */
  medianMs: number;
  sigma: number;
  statuses: Array<[string, number]>;
  /** Heap bytes allocated per request (drives the GC model). */
  allocBytes: number;
}

const ROUTES: Route[] = [
  { method: 'GET', route: '/api/items', ratePerSec: 14, medianMs: 9, sigma: 0.55, statuses: [['200', 0.998], ['500', 0.002]], allocBytes: 120_000 },
  { method: 'GET', route: '/api/items/:id', ratePerSec: 10, medianMs: 2.5, sigma: 0.5, statuses: [['200', 0.97], ['404', 0.03]], allocBytes: 30_000 },
  { method: 'POST', route: '/api/orders', ratePerSec: 1.6, medianMs: 14, sigma: 0.5, statuses: [['201', 0.975], ['400', 0.02], ['500', 0.005]], allocBytes: 200_000 },
  // Kubernetes liveness + readiness probes: a fixed 2 requests per 10 s whatever the load.
  { method: 'GET', route: '/health', ratePerSec: 0.2, medianMs: 0.35, sigma: 0.4, statuses: [['200', 1]], allocBytes: 2_000 },
];
const GC_KINDS = ['minor', 'major', 'incremental'] as const;
const HEAP_SPACES = ['new', 'old', 'code', 'large_object'] as const;
const CLIENT_HOSTS = ['payments.internal', 'auth.internal'] as const;
const QUEUES = ['email', 'report'] as const;
const RESOURCE_TYPES = ['TCPSocketWrap', 'Timeout', 'FSReqCallback'] as const;

/** A histogram's state: non-cumulative bucket counts (last = +Inf), sum and count. */
class Histogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(v: number): void {
    let i = 0;
    while (i < this.bounds.length && v > this.bounds[i]) i++;
    this.counts[i]++;
    this.sum += v;
    this.count++;
  }
  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
  /** Writes cumulative buckets, then _sum, then _count, from `at`. */
  emit(out: Float64Array, at: number): void {
    let cum = 0;
    for (let i = 0; i < this.counts.length; i++) out[at + i] = cum += this.counts[i];
    out[at + this.counts.length] = this.sum;
    out[at + this.counts.length + 1] = this.count;
  }
}

/** Builds the catalog of one instance; the simulator writes its values in the same order. */
function instanceCatalog(instance: string | undefined): TelemetrySeries[] {
  const out: TelemetrySeries[] = [];
  const add = (name: string, labels: Record<string, string>, type: MetricType, unit: string, help: string, family = name) => {
    // Every series gets its own labels object (an app's label sets are distinct objects too).
    out.push({ name, labels: instance ? { ...labels, instance } : { ...labels }, type, family, unit, help });
  };
  const histogram = (family: string, labels: Record<string, string>, bounds: readonly number[], unit: string, help: string) => {
    for (const le of [...bounds.map(String), '+Inf']) add(`${family}_bucket`, { ...labels, le }, 'histogram', unit, help, family);
    add(`${family}_sum`, labels, 'histogram', unit, help, family);
    add(`${family}_count`, labels, 'histogram', '', help, family);
  };
  add('process_cpu_user_seconds_total', {}, 'counter', 'seconds', 'Total user CPU time spent in seconds.');
  add('process_cpu_system_seconds_total', {}, 'counter', 'seconds', 'Total system CPU time spent in seconds.');
  add('process_cpu_seconds_total', {}, 'counter', 'seconds', 'Total user and system CPU time spent in seconds.');
  add('process_start_time_seconds', {}, 'gauge', 'seconds', 'Start time of the process since unix epoch in seconds.');
  add('process_resident_memory_bytes', {}, 'gauge', 'bytes', 'Resident memory size in bytes.');
  add('process_heap_bytes', {}, 'gauge', 'bytes', 'Process heap size in bytes.');
  add('process_open_fds', {}, 'gauge', '', 'Number of open file descriptors.');
  add('process_max_fds', {}, 'gauge', '', 'Maximum number of open file descriptors.');
  add('nodejs_eventloop_lag_seconds', {}, 'gauge', 'seconds', 'Lag of event loop in seconds.');
  for (const s of ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99']) {
    add(`nodejs_eventloop_lag_${s}_seconds`, {}, 'gauge', 'seconds', `The ${s} of the recorded event loop delays.`);
  }
  add('nodejs_active_handles_total', {}, 'gauge', '', 'Total number of active handles.');
  add('nodejs_active_requests_total', {}, 'gauge', '', 'Total number of active requests.');
  for (const type of RESOURCE_TYPES) add('nodejs_active_resources', { type }, 'gauge', '', 'Active resources keeping the event loop alive, by type.');
  add('nodejs_heap_size_total_bytes', {}, 'gauge', 'bytes', 'Process heap size from Node.js in bytes.');
  add('nodejs_heap_size_used_bytes', {}, 'gauge', 'bytes', 'Process heap size used from Node.js in bytes.');
  add('nodejs_external_memory_bytes', {}, 'gauge', 'bytes', 'Node.js external memory size in bytes.');
  for (const space of HEAP_SPACES) add('nodejs_heap_space_size_used_bytes', { space }, 'gauge', 'bytes', 'Process heap space size used from Node.js in bytes.');
  add('nodejs_version_info', { version: 'v20.20.0', major: '20', minor: '20', patch: '0' }, 'gauge', '', 'Node.js version info.');
  for (const kind of GC_KINDS) histogram('nodejs_gc_duration_seconds', { kind }, GC_BUCKETS, 'seconds', 'Garbage collection duration by kind.');
  for (const r of ROUTES) {
    for (const [status] of r.statuses) add('http_requests_total', { method: r.method, route: r.route, status }, 'counter', '', 'HTTP requests served.');
  }
  for (const r of ROUTES) histogram('http_request_duration_seconds', { method: r.method, route: r.route }, HTTP_BUCKETS, 'seconds', 'HTTP request duration.');
  add('http_requests_in_flight', {}, 'gauge', '', 'HTTP requests being served.');
  for (const state of ['open', 'idle', 'in_use']) add(`db_pool_connections_${state}`, {}, 'gauge', '', `Database pool connections (${state}).`);
  add('db_pool_waiting_requests', {}, 'gauge', '', 'Queries waiting for a pool connection.');
  for (const operation of ['select', 'insert']) histogram('db_query_duration_seconds', { operation }, DB_BUCKETS, 'seconds', 'Database query duration.');
  for (const host of CLIENT_HOSTS) histogram('http_client_request_duration_seconds', { host }, CLIENT_BUCKETS, 'seconds', 'Outgoing HTTP request duration.');
  for (const host of CLIENT_HOSTS) for (const status of ['200', '503']) add('http_client_requests_total', { host, status }, 'counter', '', 'Outgoing HTTP requests.');
  add('cache_hits_total', { cache: 'items' }, 'counter', '', 'Cache hits.');
  add('cache_misses_total', { cache: 'items' }, 'counter', '', 'Cache misses.');
  add('cache_entries', { cache: 'items' }, 'gauge', '', 'Entries in the cache.');
  for (const queue of QUEUES) for (const result of ['ok', 'failed']) add('jobs_processed_total', { queue, result }, 'counter', '', 'Background jobs processed.');
  for (const queue of QUEUES) histogram('job_duration_seconds', { queue }, JOB_BUCKETS, 'seconds', 'Background job duration.');
  for (const queue of QUEUES) add('job_queue_depth', { queue }, 'gauge', '', 'Jobs waiting in the queue.');
  if (out.length !== SERIES_PER_INSTANCE) throw new Error(`telemetry catalog has ${out.length} series, expected ${SERIES_PER_INSTANCE}`);
  return out;
}

/** The series `generateTelemetry({ series })` produces, in column order. */
export function telemetryCatalog(series = SERIES_PER_INSTANCE): TelemetrySeries[] {
  checkSeries(series);
  const instances = Math.ceil(series / SERIES_PER_INSTANCE);
  const out: TelemetrySeries[] = [];
  for (let k = 0; k < instances; k++) out.push(...instanceCatalog(instances > 1 ? `app-${k + 1}` : undefined));
  return out.slice(0, series);
}

function checkSeries(series: number): void {
  if (!Number.isInteger(series) || series < 1) throw new RangeError(`telemetry: series must be a positive integer, got ${series}`);
}

function poisson(p: Prng, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * p.normal()));
  const limit = Math.exp(-lambda);
  let k = 0;
  let prod = p.float();
  while (prod > limit) {
    k++;
    prod *= p.float();
  }
  return k;
}

function lognormal(p: Prng, median: number, sigma: number): number {
  return median * Math.exp(sigma * p.normal());
}

/** A measured duration in seconds: hrtime's whole ns ('ns') or a ms clock's whole ms ('ms'). */
function measuredSeconds(ns: number, precision: TelemetryPrecision): number {
  return precision === 'ns' ? Math.round(ns) / 1e9 : Math.round(ns / 1e6) / 1e3;
}

/** An event-loop statistic computed exactly from the histogram: full double ('ns') or µs ('ms'). */
function statSeconds(ns: number, precision: TelemetryPrecision): number {
  return precision === 'ns' ? ns / 1e9 : Math.round(ns / 1e3) / 1e6;
}

/** What Node's HDR histogram reports for a value in ns (3 significant digits: highest equivalent value). */
function hdrNs(ns: number): number {
  const v = Math.max(1, Math.round(ns));
  const shift = Math.max(0, Math.floor(Math.log2(v)) - 10);
  return (Math.floor(v / 2 ** shift) + 1) * 2 ** shift - 1;
}

/** One service instance: its request stream and the process state prom-client reads from. */
class ServiceSim {
  private readonly loadShare: number;
  private noise = 0;
  private slowUntilSec = -1;
  private slowFactor = 1;
  private startSec = 0;
  // Process state (reset on restart).
  private cpuUserUs = 0;
  private cpuSystemUs = 0;
  private youngBytes = 0;
  private oldBytes = 0;
  private oldLiveBytes = 0;
  private oldLimitBytes = 0;
  private codeBytes = 0;
  private largeObjectBytes = 0;
  private externalBytes = 0;
  private rssPages = 0;
  private heapPages = 0;
  private dbOpen = 2;
  private cacheEntries = 0;
  private readonly requests: Float64Array;
  private readonly httpHist = ROUTES.map(() => new Histogram(HTTP_BUCKETS));
  private readonly gcHist = GC_KINDS.map(() => new Histogram(GC_BUCKETS));
  private readonly dbHist = [new Histogram(DB_BUCKETS), new Histogram(DB_BUCKETS)];
  private readonly clientHist = CLIENT_HOSTS.map(() => new Histogram(CLIENT_BUCKETS));
  private readonly clientRequests = new Float64Array(4);
  private readonly jobHist = QUEUES.map(() => new Histogram(JOB_BUCKETS));
  private readonly jobsProcessed = new Float64Array(4);
  private cacheHits = 0;
  private cacheMisses = 0;

  constructor(
    private readonly p: Prng,
    private readonly precision: TelemetryPrecision,
    instanceIndex: number,
    startMs: number,
  ) {
    this.loadShare = instanceIndex === 0 ? 1 : 0.7 + 0.6 * p.float();
    this.requests = new Float64Array(ROUTES.reduce((n, r) => n + r.statuses.length, 0));
    // The process has been up for a while when the window starts.
    this.restart(startMs / 1000 - p.int(3_600, 2 * DAY_SEC));
  }

  private restart(atSec: number): void {
    this.startSec = Math.floor(atSec);
    this.cpuUserUs = this.p.int(600_000, 900_000); // startup: module loading and JIT
    this.cpuSystemUs = this.p.int(150_000, 260_000);
    this.youngBytes = this.p.int(1, 8) * MB;
    this.oldLiveBytes = 26 * MB + this.p.int(0, 4 * MB);
    this.oldBytes = this.oldLiveBytes;
    this.oldLimitBytes = this.oldLiveBytes * 2;
    this.codeBytes = Math.round(2.6 * MB) + this.p.int(0, 300_000);
    this.largeObjectBytes = 0;
    this.externalBytes = Math.round(1.9 * MB) + this.p.int(0, 200_000);
    this.rssPages = Math.round((48 * MB) / 4096);
    this.heapPages = 0;
    this.dbOpen = 2;
    this.cacheEntries = 0;
    this.requests.fill(0);
    for (const h of [...this.httpHist, ...this.gcHist, ...this.dbHist, ...this.clientHist, ...this.jobHist]) h.reset();
    this.clientRequests.fill(0);
    this.jobsProcessed.fill(0);
    this.cacheHits = 0;
    this.cacheMisses = 0;
  }

  private seconds(ns: number): number {
    return measuredSeconds(ns, this.precision);
  }

  /** Load factor: day/week cycle (peak mid-afternoon UTC, quieter weekends), AR(1) noise, rare spikes. */
  private load(tSec: number): number {
    const day = tSec / DAY_SEC;
    const hour = (day % 1) * 24;
    const weekday = (Math.floor(day) + 4) % 7; // 1970-01-01 was a Thursday; 5, 6 = Sat, Sun
    const diurnal = 0.55 + 0.45 * Math.sin((2 * Math.PI * (hour - 9)) / 24);
    this.noise = 0.9 * this.noise + 0.05 * this.p.normal();
    const spike = this.p.float() < 0.002 ? 1.5 + this.p.float() : 1;
    return Math.max(0.05, diurnal * (weekday >= 5 ? 0.6 : 1) * (1 + this.noise) * spike * this.loadShare);
  }

  /** Advances the service by dtSec ending at tSec, then writes one scrape (200 values) at out[at..]. */
  step(tSec: number, dtSec: number, out: Float64Array, at: number): void {
    const p = this.p;
    if (p.float() < dtSec / (2.5 * DAY_SEC)) this.restart(tSec - p.float() * dtSec); // a deploy
    if (tSec > this.slowUntilSec && p.float() < dtSec / (1.5 * DAY_SEC)) {
      // A slow-database episode (a vacuum, a noisy neighbour): 5-40 min of 2-8x query latency.
      this.slowUntilSec = tSec + p.int(300, 2_400);
      this.slowFactor = 2 + 6 * p.float();
    }
    const dbSlow = tSec <= this.slowUntilSec ? this.slowFactor : 1;
    const load = this.load(tSec);

    // The request stream.
    let allocBytes = 50_000 * dtSec;
    let busySec = 0;
    let dbBusySec = 0;
    let orders = 0;
    let reqIndex = 0;
    for (let r = 0; r < ROUTES.length; r++) {
      const route = ROUTES[r];
      const n = route.route === '/health' ? Math.round(route.ratePerSec * dtSec) : poisson(p, route.ratePerSec * load * dtSec);
      for (let i = 0; i < n; i++) {
        let latency = lognormal(p, route.medianMs, route.sigma) / 1000;
        if (r === 0 || (r === 1 && p.float() < 0.15)) {
          // items list always queries; item by id only on a cache miss
          const q = lognormal(p, r === 0 ? 4 : 1.2, 0.6) * dbSlow / 1000;
          this.dbHist[0].observe(this.seconds(q * 1e9));
          latency += q;
          dbBusySec += q;
          if (r === 1) {
            this.cacheMisses++;
            this.cacheEntries = Math.min(10_000, this.cacheEntries + 1);
          }
        } else if (r === 1) {
          this.cacheHits++;
        }
        let status = route.statuses[0][0];
        let u = p.float();
        let s = 0;
        for (; s < route.statuses.length - 1 && u >= route.statuses[s][1]; s++) u -= route.statuses[s][1];
        status = route.statuses[s][0];
        if (r === 2 && status !== '400') {
          // an order: token check, payment, two inserts
          for (let h = 0; h < CLIENT_HOSTS.length; h++) {
            const c = lognormal(p, h === 0 ? 160 : 22, 0.45) / 1000;
            const failed = p.float() < 0.003;
            this.clientHist[h].observe(this.seconds(c * 1e9));
            this.clientRequests[h * 2 + (failed ? 1 : 0)]++;
            latency += c;
          }
          for (let k = 0; k < 2; k++) {
            const q = lognormal(p, 2.2, 0.5) * dbSlow / 1000;
            this.dbHist[1].observe(this.seconds(q * 1e9));
            latency += q;
            dbBusySec += q;
          }
          if (status === '201') orders++;
        }
        this.httpHist[r].observe(this.seconds(latency * 1e9));
        this.requests[reqIndex + s]++;
        busySec += latency;
        allocBytes += Math.round(route.allocBytes * (0.5 + p.float()));
      }
      reqIndex += route.statuses.length;
    }

    // Background jobs: one email per order, an hourly report.
    const hourTicked = Math.floor(tSec / 3600) !== Math.floor((tSec - dtSec) / 3600);
    const jobs = [orders, hourTicked ? 1 : 0];
    for (let q = 0; q < QUEUES.length; q++) {
      for (let j = 0; j < jobs[q]; j++) {
        const d = q === 0 ? lognormal(p, 0.35, 0.5) : lognormal(p, 12, 0.4) * dbSlow;
        this.jobHist[q].observe(this.seconds(d * 1e9));
        this.jobsProcessed[q * 2 + (p.float() < 0.01 ? 1 : 0)]++;
        allocBytes += q === 0 ? 40_000 : 6 * MB;
      }
    }

    // V8: scavenges every 16 MB of allocation promote a little; a mark-compact (preceded by a few
    // incremental marking steps) when old space reaches its limit; the live set drifts slowly.
    let maxPauseNs = 0;
    this.youngBytes += allocBytes;
    while (this.youngBytes >= 16 * MB) {
      this.youngBytes -= 16 * MB;
      const pause = lognormal(p, 1.3e-3, 0.45);
      this.gcHist[0].observe(this.seconds(pause * 1e9));
      maxPauseNs = Math.max(maxPauseNs, pause * 1e9);
      this.oldBytes += Math.round(16 * MB * (0.01 + 0.04 * p.float()));
    }
    if (this.oldBytes >= this.oldLimitBytes) {
      const steps = p.int(2, 6);
      for (let i = 0; i < steps; i++) this.gcHist[2].observe(this.seconds(lognormal(p, 3e-3, 0.5) * 1e9));
      const pause = lognormal(p, 28e-3, 0.35) * (this.oldLiveBytes / (30 * MB));
      this.gcHist[1].observe(this.seconds(pause * 1e9));
      maxPauseNs = Math.max(maxPauseNs, pause * 1e9);
      this.oldLiveBytes = Math.max(22 * MB, this.oldLiveBytes + Math.round(p.normal() * 300_000 + 60_000));
      this.oldBytes = this.oldLiveBytes + p.int(0, 1 * MB);
      this.oldLimitBytes = Math.round(this.oldLiveBytes * (1.8 + 0.4 * p.float()));
    }
    if (p.float() < 0.02) this.codeBytes += p.int(4_000, 60_000); // lazy compilation, OSR
    if (p.float() < 0.05) this.largeObjectBytes = p.float() < 0.5 ? 0 : p.int(1, 12) * 131_072 + p.int(0, 4096);
    this.externalBytes = Math.max(1 * MB, this.externalBytes + Math.round(p.normal() * 40_000 * load));
    const heapUsed = this.youngBytes + this.oldBytes + this.codeBytes + this.largeObjectBytes + 180_000;
    // Heap committed in 256 KiB pages: grows with use, shrinks lazily after a mark-compact.
    const wantPages = Math.ceil((heapUsed + 16 * MB + this.oldBytes * 0.08) / 262_144);
    if (wantPages > this.heapPages || p.float() < 0.01) this.heapPages = wantPages;
    const heapTotal = this.heapPages * 262_144;
    // RSS in 4 KiB pages: heap committed + external + ~45 MB of binary, libs and native allocations.
    const wantRss = Math.round((heapTotal + this.externalBytes + 45 * MB) / 4096);
    this.rssPages += Math.round((wantRss - this.rssPages) * 0.3 + p.normal() * 8);

    // CPU: idle baseline plus per-request work plus GC, counted in µs as process.cpuUsage().
    const cpuSec = 0.012 * dtSec + busySec * 0.35 + maxPauseNs / 1e9;
    this.cpuUserUs += Math.max(0, Math.round(cpuSec * 0.78e6 * (1 + 0.05 * p.normal())));
    this.cpuSystemUs += Math.max(0, Math.round(cpuSec * 0.22e6 * (1 + 0.1 * p.normal())));

    // Instantaneous gauges sampled at scrape time.
    const rps = ROUTES.reduce((n, r) => n + r.ratePerSec, 0) * load;
    const inFlight = poisson(p, (busySec / dtSec) * 0.9);
    const dbInUse = Math.min(10, poisson(p, dbBusySec / dtSec));
    const want = Math.min(10, Math.max(2, dbInUse + poisson(p, 1)));
    if (want > this.dbOpen) this.dbOpen = want;
    else if (this.dbOpen > want && p.float() < 0.3) this.dbOpen--; // idle timeout
    const sockets = poisson(p, 3 + rps * 0.25);

    // Event loop: prom-client's setImmediate lag, and monitorEventLoopDelay (resolution 10 ms,
    // reset each scrape) whose percentiles come out of an HDR histogram.
    const baseNs = 10e6;
    const p50Ns = baseNs + lognormal(p, 90e3, 0.3) * (0.7 + 0.3 * load);
    const p90Ns = p50Ns + lognormal(p, 350e3, 0.4) * load;
    const p99Ns = p90Ns + lognormal(p, 1.2e6, 0.5) * load;
    const maxNs = Math.max(p99Ns + lognormal(p, 1.5e6, 0.7), baseNs + maxPauseNs);
    const minNs = baseNs + p.int(1_000, 60_000);
    const meanNs = p50Ns + (p90Ns - p50Ns) * (0.3 + 0.1 * p.float()) + (maxNs - p99Ns) * 0.01;
    const stddevNs = (p99Ns - p50Ns) / 2.33 + p.float() * 20e3;

    let o = at;
    out[o++] = this.cpuUserUs / 1e6;
    out[o++] = this.cpuSystemUs / 1e6;
    out[o++] = (this.cpuUserUs + this.cpuSystemUs) / 1e6;
    out[o++] = this.startSec;
    out[o++] = this.rssPages * 4096;
    out[o++] = (this.rssPages + 20_480 + Math.round(this.oldBytes / 65_536)) * 4096; // VmData: heap reservations on top
    out[o++] = 21 + sockets + this.dbOpen + (p.float() < 0.1 ? 1 : 0);
    out[o++] = 1_048_576;
    // setImmediate lag: hrtime ns ('ns'), or ms with 3 decimals like the other loop statistics ('ms').
    const lagNs = lognormal(p, 420e3, 0.6) * (0.6 + 0.4 * load) + maxPauseNs * p.float() * 0.2;
    out[o++] = this.precision === 'ns' ? this.seconds(lagNs) : statSeconds(lagNs, 'ms');
    out[o++] = hdrNs(minNs) / 1e9;
    out[o++] = hdrNs(maxNs) / 1e9;
    out[o++] = statSeconds(meanNs, this.precision); // mean and stddev are computed, not HDR-quantized
    out[o++] = statSeconds(stddevNs, this.precision);
    out[o++] = hdrNs(p50Ns) / 1e9;
    out[o++] = hdrNs(p90Ns) / 1e9;
    out[o++] = hdrNs(p99Ns) / 1e9;
    const timeouts = 4 + poisson(p, 2);
    const fsReqs = poisson(p, 0.2);
    out[o++] = sockets + this.dbOpen + timeouts + 3;
    out[o++] = inFlight > 0 ? poisson(p, 0.4) : 0;
    out[o++] = sockets + this.dbOpen;
    out[o++] = timeouts;
    out[o++] = fsReqs;
    out[o++] = heapTotal;
    out[o++] = heapUsed;
    out[o++] = this.externalBytes;
    out[o++] = this.youngBytes;
    out[o++] = this.oldBytes;
    out[o++] = this.codeBytes;
    out[o++] = this.largeObjectBytes;
    out[o++] = 1;
    for (const h of this.gcHist) {
      h.emit(out, o);
      o += h.counts.length + 2;
    }
    for (let i = 0; i < this.requests.length; i++) out[o++] = this.requests[i];
    for (const h of this.httpHist) {
      h.emit(out, o);
      o += h.counts.length + 2;
    }
    out[o++] = inFlight;
    out[o++] = this.dbOpen;
    out[o++] = this.dbOpen - dbInUse > 0 ? this.dbOpen - dbInUse : 0;
    out[o++] = dbInUse;
    out[o++] = dbInUse >= 10 ? poisson(p, 1.5) : 0;
    for (const h of this.dbHist) {
      h.emit(out, o);
      o += h.counts.length + 2;
    }
    for (const h of this.clientHist) {
      h.emit(out, o);
      o += h.counts.length + 2;
    }
    for (let i = 0; i < this.clientRequests.length; i++) out[o++] = this.clientRequests[i];
    out[o++] = this.cacheHits;
    out[o++] = this.cacheMisses;
    out[o++] = this.cacheEntries;
    for (let i = 0; i < this.jobsProcessed.length; i++) out[o++] = this.jobsProcessed[i];
    for (const h of this.jobHist) {
      h.emit(out, o);
      o += h.counts.length + 2;
    }
    out[o++] = poisson(p, orders / Math.max(1, dtSec) * 0.3);
    out[o++] = hourTicked && p.float() < 0.3 ? 1 : 0;
    if (o - at !== SERIES_PER_INSTANCE) throw new Error(`telemetry: wrote ${o - at} values, expected ${SERIES_PER_INSTANCE}`);
  }
}

/**
 * Streams `points` scrapes of `series` series in batches of `batchSteps` scrapes; each batch owns
 * fresh arrays (the caller may keep or transfer them). Deterministic for a given seed and options.
 */
export function* generateTelemetry(options: TelemetryOptions): Generator<TelemetryBatch> {
  const series = options.series ?? SERIES_PER_INSTANCE;
  checkSeries(series);
  const stepMs = options.stepMs ?? TELEMETRY_STEP_MS;
  const batchSteps = options.batchSteps ?? 64;
  const jitterMs = options.jitterMs ?? 0;
  const precision = options.precision ?? 'ns';
  if (precision !== 'ms' && precision !== 'ns') throw new RangeError(`telemetry: precision must be 'ms' or 'ns', got ${String(precision)}`);
  if (!(stepMs > 0) || !Number.isInteger(options.points) || options.points < 0 || !(batchSteps >= 1)) {
    throw new RangeError('telemetry: stepMs must be > 0, points a non-negative integer, batchSteps >= 1');
  }
  const p = new Prng(options.seed);
  const instances = Math.ceil(series / SERIES_PER_INSTANCE);
  const sims = Array.from({ length: instances }, (_, k) => new ServiceSim(p, precision, k, options.fromMs));
  const row = new Float64Array(instances * SERIES_PER_INSTANCE);
  const dtSec = stepMs / 1000;
  for (let first = 0; first < options.points; first += batchSteps) {
    const steps = Math.min(batchSteps, options.points - first);
    const tsMs = new Float64Array(steps);
    const values = new Float64Array(steps * series);
    for (let s = 0; s < steps; s++) {
      const t = options.fromMs + (first + s) * stepMs;
      tsMs[s] = jitterMs > 0 ? t + Math.round((p.float() * 2 - 1) * jitterMs) : t;
      for (let k = 0; k < instances; k++) sims[k].step(t / 1000, dtSec, row, k * SERIES_PER_INSTANCE);
      values.set(row.subarray(0, series), s * series);
    }
    yield { firstStep: first, steps, series, tsMs, values };
  }
}
