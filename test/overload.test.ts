// Overload: ingest offered at 3× the measured capacity, through the library (every engine) and over
// HTTP (a server child, so the load generator does not share its thread). Backpressure must engage
// (BACKPRESSURE / 429 refusals, flush() promises that wait for sealing), resident memory must stay
// within the bound the pending-bytes limits give (below), and every acknowledged item must be there.
//
// Two bounds are checked. The engines' maxPendingBytes (hot data + unsynced WAL): "the configured
// limit" there is RSS measured at the end of a warm-up at full capacity (V8 heap, pool worker, SQLite
// caches and in-flight batches at their working size) + the sum of the engines' maxPendingBytes.
// And the store's memory limit (memoryLimitBytes / --memory-limit-mb, refusing above its soft limit,
// memorySpikeBytes below it) with pending bounds so large that only it can bound the store: L = the
// working set at full capacity + a margin. Either way the peak RSS of the overload phase must stay
// under 1.2 × the limit. Without the bounds, 3× the capacity for a few seconds piles up hundreds of
// MB of unsealed data.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Timeless } from '../src/store.js';
import { tempDir } from './metrics-helpers.js';
import { readRssBytes } from '../bench/lib/http-child.js';
import { defaultSpikeBytes } from '../src/storage/memory-guard.js';

const T0_MS = Date.UTC(2024, 0, 1);
const T0_NS = BigInt(T0_MS) * 1_000_000n;
/** The engines' maxPendingBytes in the library cases. */
const PENDING_BYTES = 1024 * 1024;
/** The server's: 8 concurrent batches (32 KB of points each) reach it. */
const HTTP_PENDING_BYTES = 256 * 1024;
const WARMUP_MS = 400;
const OVERLOAD_MS = 800;
const LOAD_FACTOR = 3;
const IN_FLIGHT = 32;
const HTTP_CLIENTS = 64;
/** Pending bounds of the memory-limit case: so large that only the memory limit can bound the server. */
const HUGE_PENDING_BYTES = 512 * 1024 * 1024;
/** The memory limit over the RSS a warm-up at full capacity reaches. */
const MEMORY_MARGIN_BYTES = 48 * 1024 * 1024;
/** Longer than the library's: a fresh server child's heap and JIT grow in its first second. */
const HTTP_WARMUP_MS = 1200;
/**
 * How long RSS is still sampled after the load: the compaction the load's seals asked for runs 1 s
 * after them, in the background thread, and its working set (that thread's heap and wasm memory)
 * is part of a logs or spans store's working set at capacity.
 */
const SETTLE_MS = 3000;
/** More than any engine holds for one batch of BATCH items (metrics 16 B, logs/spans a few hundred B each). */
const MAX_BATCH_BYTES = 2 * 1024 * 1024;

type Outcome = 'acked' | 'refused';

interface DriveResult {
  sent: number;
  acked: number[];
  refused: number;
  peakRssBytes: number;
  elapsedMs: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The store's memory refusal, as BACKPRESSURE errors and 429s carry it. */
const MEMORY_REFUSAL = /process RSS \d+ MiB is above the soft memory limit \d+ MiB \(memoryLimitBytes \d+ MiB - memorySpikeBytes\)/;

/** The highest RSS `rss()` reports over the next `ms`. */
async function peakOver(ms: number, rss: () => number): Promise<number> {
  let peak = rss();
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await sleep(20);
    peak = Math.max(peak, rss());
  }
  return peak;
}

/**
 * Sends batch first, first + 1, ...: closed loop (maxInFlight at a time, each sent as soon as one is
 * answered) without a rate, or open loop at `batchesPerSec` (each sent when due; when maxInFlight
 * are unanswered, due batches wait, as a fixed fleet of clients would). Samples RSS.
 */
async function drive(send: (k: number) => Promise<Outcome>, first: number, durationMs: number, maxInFlight: number, rss: () => number, batchesPerSec?: number, onTick?: () => void): Promise<DriveResult> {
  const r: DriveResult = { sent: 0, acked: [], refused: 0, peakRssBytes: rss(), elapsedMs: 0 };
  let inFlight = 0;
  let failure: unknown;
  const start = performance.now();
  const fire = (k: number) => {
    inFlight++;
    r.sent++;
    send(k).then(
      (o) => {
        inFlight--;
        if (o === 'acked') r.acked.push(k);
        else r.refused++;
      },
      (err) => {
        inFlight--;
        failure ??= err;
      },
    );
  };
  let next = first;
  for (;;) {
    const elapsed = performance.now() - start;
    if (elapsed >= durationMs || failure) break;
    const due = batchesPerSec === undefined ? Infinity : Math.floor((elapsed / 1000) * batchesPerSec);
    while (next - first < due && inFlight < maxInFlight) fire(next++);
    r.peakRssBytes = Math.max(r.peakRssBytes, rss());
    onTick?.();
    await sleep(2);
  }
  r.elapsedMs = performance.now() - start;
  const deadline = Date.now() + 30_000;
  while (inFlight > 0 && Date.now() < deadline) {
    r.peakRssBytes = Math.max(r.peakRssBytes, rss());
    await sleep(5);
  }
  if (failure) throw failure;
  expect(inFlight, 'requests still unanswered 30 s after the load stopped').toBe(0);
  return r;
}

function isBackpressure(err: unknown): boolean {
  return (err as { code?: string } | undefined)?.code === 'BACKPRESSURE';
}

// ---------------------------------------------------------------- library

const BATCH = 2000;

/** One engine's batch writer and the check that reads every acknowledged batch back. */
interface LibraryTarget {
  write(k: number): void;
  flush(): Promise<void>;
  pendingBytes(): Promise<number>;
  /** Batches (of `acked`) whose items are not all there, exactly. */
  missing(acked: number[]): Promise<number[]>;
}

function metricsTarget(tl: Timeless): LibraryTarget {
  // Reused objects: writeBatch copies what it keeps before it returns.
  const labels = Array.from({ length: 16 }, (_, w) => ({ w: String(w) }));
  const points = Array.from({ length: BATCH }, () => ({ name: 'ov', labels: labels[0], value: 0, tsMs: 0 }));
  return {
    write(k) {
      const l = labels[k % 16];
      for (let i = 0; i < BATCH; i++) {
        const p = points[i];
        p.labels = l;
        p.tsMs = T0_MS + k * BATCH + i;
        p.value = k * BATCH + i;
      }
      tl.metrics.writeBatch(points);
    },
    flush: () => tl.metrics.flush(),
    pendingBytes: async () => (await tl.metrics.stats()).pendingBytes,
    async missing(acked) {
      // Per series (w = k % 16): the stored points whose value matches their time, sorted by time.
      const stored = new Map<string, Float64Array>();
      for (const s of await tl.metrics.query({ name: 'ov', fromMs: T0_MS, toMs: T0_MS + 1e12 })) {
        const ok = Array.from(s.tsMs).filter((t, i) => t - T0_MS === s.values[i]);
        stored.set(s.labels.w, Float64Array.from(ok).sort());
      }
      const countIn = (a: Float64Array, from: number, to: number) => lowerBound(a, to) - lowerBound(a, from);
      return acked.filter((k) => countIn(stored.get(String(k % 16)) ?? new Float64Array(), T0_MS + k * BATCH, T0_MS + (k + 1) * BATCH) !== BATCH);
    },
  };
}

function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function logsTarget(tl: Timeless): LibraryTarget {
  return {
    write(k) {
      tl.logs.writeBatch(Array.from({ length: BATCH }, (_, i) => ({ tsMs: T0_MS + k * BATCH + i, message: `overload entry ${k} ${i}`, attributes: { k, i } })));
    },
    flush: () => tl.logs.flush(),
    pendingBytes: async () => (await tl.logs.stats()).pendingBytes,
    async missing(acked) {
      const seen = new Set<number>();
      for await (const page of tl.logs.stream({ fromMs: T0_MS, toMs: T0_MS + 1e12, limit: 10_000 })) {
        for (const e of page.entries) {
          const n = Number(e.tsNs / 1_000_000n) - T0_MS;
          const { k, i } = e.attributes as { k: number; i: number };
          if (e.message === `overload entry ${k} ${i}` && k * BATCH + i === n) seen.add(n);
        }
      }
      return acked.filter((k) => {
        for (let i = 0; i < BATCH; i++) if (!seen.has(k * BATCH + i)) return true;
        return false;
      });
    },
  };
}

function tracesTarget(tl: Timeless): LibraryTarget {
  return {
    write(k) {
      tl.traces.write(
        Array.from({ length: BATCH }, (_, i) => {
          const n = k * BATCH + i;
          const startNs = T0_NS + BigInt(n) * 1_000_000n;
          return { traceId: (n + 1).toString(16).padStart(32, '0'), spanId: (n + 1).toString(16).padStart(16, '0'), name: 'overload', startNs, endNs: startNs + 500n, attributes: { n } };
        }),
      );
    },
    flush: () => tl.traces.flush(),
    pendingBytes: async () => (await tl.traces.stats()).pendingBytes,
    async missing(acked) {
      const out: number[] = [];
      for (const k of acked) {
        const fromMs = T0_MS + k * BATCH;
        const r = await tl.traces.query({ fromMs, toMs: fromMs + BATCH, limit: BATCH + 1 });
        const seen = new Set<number>();
        for (const s of r.spans) {
          const n = Number((s.startNs - T0_NS) / 1_000_000n);
          if (s.attributes.n === n && s.spanId === (n + 1).toString(16).padStart(16, '0') && s.endNs - s.startNs === 500n) seen.add(n);
        }
        if (r.spans.length !== BATCH || seen.size !== BATCH) out.push(k);
      }
      return out;
    },
  };
}

describe('overload through the library', () => {
  let tmp: { dir: string; remove: () => void };
  beforeEach(() => {
    tmp = tempDir('overload');
  });
  afterEach(() => tmp.remove());

  const cases: Array<[string, (tl: Timeless) => LibraryTarget]> = [
    ['metrics', metricsTarget],
    ['logs', logsTarget],
    ['traces', tracesTarget],
  ];
  it.each(cases)('%s: 3× capacity: BACKPRESSURE refusals and waiting flush() promises, pending bytes within maxPendingBytes, every acknowledged batch stored', async (engine, make) => {
    const opts = { maxPendingBytes: PENDING_BYTES, log: () => undefined };
    let tl = await Timeless.open({ dataDir: tmp.dir, runtimeMetrics: false, pool: { threads: 1 }, metrics: opts, logs: opts, traces: opts });
    let target = make(tl);
    const rss = () => process.memoryUsage().rss;
    let waited = 0;
    const send = async (k: number): Promise<Outcome> => {
      try {
        target.write(k);
      } catch (err) {
        if (!isBackpressure(err)) throw err;
        // The library's answer to BACKPRESSURE: await flush() (it waits until sealing catches up).
        waited++;
        await target.flush();
        return 'refused';
      }
      await target.flush();
      return 'acked';
    };
    // The store's own account of what it holds unsealed/unsynced, sampled (one stats() at a time).
    let peakPending = 0;
    let sampling = false;
    const samplePending = () => {
      if (sampling) return;
      sampling = true;
      void target.pendingBytes().then(
        (b) => {
          peakPending = Math.max(peakPending, b);
          sampling = false;
        },
        () => (sampling = false),
      );
    };
    const warm = await drive(send, 0, WARMUP_MS, IN_FLIGHT, rss);
    const capacityPerSec = (warm.acked.length / warm.elapsedMs) * 1000;
    const warmRss = rss();
    const over = await drive(send, warm.sent, OVERLOAD_MS, IN_FLIGHT * 4, rss, LOAD_FACTOR * capacityPerSec, samplePending);
    console.log(
      `overload ${engine}: capacity ${Math.round(capacityPerSec * BATCH)} items/s; offered ${Math.round((over.sent / over.elapsedMs) * 1000 * BATCH)}/s, ` +
        `acked ${over.acked.length}/${over.sent} batches, refused ${over.refused} (warm-up: ${warm.refused} of ${warm.sent}; flush waits ${waited}); peak pendingBytes ${peakPending}; ` +
        `RSS after warm-up ${(warmRss / 2 ** 20).toFixed(0)} MiB, peak ${(over.peakRssBytes / 2 ** 20).toFixed(0)} MiB (not asserted in-process, see the report)`,
    );
    expect(warm.refused + over.refused).toBeGreaterThan(0);
    expect(peakPending).toBeGreaterThan(0);
    // A batch is checked against the bound before it is added: one batch past it at most.
    expect(peakPending).toBeLessThanOrEqual(PENDING_BYTES + MAX_BATCH_BYTES);

    const acked = [...warm.acked, ...over.acked];
    await tl.close();
    tl = await Timeless.open({ dataDir: tmp.dir, runtimeMetrics: false, pool: { threads: 1 } });
    target = make(tl);
    try {
      expect(await target.missing(acked)).toEqual([]);
    } finally {
      await tl.close();
    }
  });

  // The memory limit where the store is what grows: in-process writes outrun sealing (over HTTP the
  // server's JSON parsing is slower than sealing, see the HTTP case). RSS is this process's, the
  // load generator's garbage included (the logs and spans targets allocate every batch anew).
  // Measured (2 CPUs, 3 runs each): peak 1.00-1.01 × the limit for metrics, 1.00-1.05 × for logs,
  // 1.01-1.02 × for spans; the soft limit (20 % below) refuses from the warm-up on.
  it.each(cases)('%s with memoryLimitBytes and huge pending bounds: BACKPRESSURE for memory, peak RSS under 1.2 × the limit, every acknowledged batch stored', async (engine, make) => {
    const opts = { maxPendingBytes: HUGE_PENDING_BYTES, log: () => undefined };
    const rss = () => process.memoryUsage().rss;
    let memoryRefusal: string | undefined;
    const sender = (target: LibraryTarget) => async (k: number): Promise<Outcome> => {
      try {
        target.write(k);
      } catch (err) {
        if (!isBackpressure(err)) throw err;
        memoryRefusal ??= MEMORY_REFUSAL.exec((err as Error).message)?.[0];
        await target.flush();
        return 'refused';
      }
      await target.flush();
      return 'acked';
    };
    // 1. The working set at full capacity, without a limit.
    let tl = await Timeless.open({ dataDir: tmp.dir, runtimeMetrics: false, pool: { threads: 1 }, metrics: opts, logs: opts, traces: opts });
    const warm = await drive(sender(make(tl)), 0, WARMUP_MS, IN_FLIGHT, rss);
    await tl.close();
    const capacityPerSec = (warm.acked.length / warm.elapsedMs) * 1000;
    const limitBytes = Math.ceil((warm.peakRssBytes + MEMORY_MARGIN_BYTES) / 2 ** 20) * 2 ** 20;
    // 2. With the limit: warm-up at capacity, then 3× capacity; the pending bounds never refuse.
    tl = await Timeless.open({ dataDir: tmp.dir, runtimeMetrics: false, pool: { threads: 1 }, metrics: opts, logs: opts, traces: opts, memoryLimitBytes: limitBytes });
    const send = sender(make(tl));
    const warm2 = await drive(send, warm.sent, WARMUP_MS, IN_FLIGHT, rss);
    const over = await drive(send, warm.sent + warm2.sent, OVERLOAD_MS * 2, IN_FLIGHT * 4, rss, LOAD_FACTOR * capacityPerSec);
    // On a loaded machine (CI: two test files at a time) RSS may take longer to reach the limit:
    // keep offering 3× capacity, a bounded number of rounds, until the limit has refused something.
    // A limit that never engages still fails below; the RSS bound holds over every round.
    for (let round = 0; over.refused === 0 && round < 4; round++) {
      const more = await drive(send, warm.sent + warm2.sent + over.sent, OVERLOAD_MS * 2, IN_FLIGHT * 4, rss, LOAD_FACTOR * capacityPerSec);
      over.sent += more.sent;
      over.acked.push(...more.acked);
      over.refused += more.refused;
      over.peakRssBytes = Math.max(over.peakRssBytes, more.peakRssBytes);
    }
    const peakRssBytes = Math.max(warm2.peakRssBytes, over.peakRssBytes);
    const memory = (await tl.stats()).memory!;
    console.log(
      `overload ${engine}, memory limit: capacity ${Math.round(capacityPerSec * BATCH)} items/s (RSS at capacity ${(warm.peakRssBytes / 2 ** 20).toFixed(0)} MiB); ` +
        `limit ${(limitBytes / 2 ** 20).toFixed(0)} MiB; acked ${warm2.acked.length + over.acked.length}/${warm2.sent + over.sent} batches, refused ${warm2.refused + over.refused}; ` +
        `peak RSS ${(peakRssBytes / 2 ** 20).toFixed(0)} MiB; store: refused ${memory.refusedWrites}, admitted over the limit ${memory.admittedOverLimit}`,
    );
    expect(warm2.refused + over.refused).toBeGreaterThan(0);
    expect(memory.refusedWrites).toBe(warm2.refused + over.refused);
    expect(memoryRefusal).toBeDefined();
    // Measured on a 2-CPU box: ~1.05 × the limit with it, ~1.3 × without it.
    expect(peakRssBytes).toBeLessThan(limitBytes * 1.2);

    const acked = [...warm.acked, ...warm2.acked, ...over.acked];
    await tl.close();
    tl = await Timeless.open({ dataDir: tmp.dir, runtimeMetrics: false, pool: { threads: 1 } });
    try {
      expect(await make(tl).missing(acked)).toEqual([]);
    } finally {
      await tl.close();
    }
  });
});

// ---------------------------------------------------------------- HTTP

/** The server child: the built store behind tl.routes() with small pending bounds; SIGTERM closes it. */
const SERVER_CHILD = `
import { serve } from '@hono/node-server';
import { Timeless } from ${JSON.stringify(path.resolve('dist/src/index.js'))};
const [dataDir, pending, memoryLimitMb] = process.argv.slice(1);
const opts = { maxPendingBytes: Number(pending), log: () => undefined };
const memory = memoryLimitMb ? { memoryLimitBytes: Number(memoryLimitMb) * 1024 * 1024 } : {};
const tl = await Timeless.open({ dataDir, runtimeMetrics: false, pool: { threads: 1 }, metrics: opts, logs: opts, traces: opts, ...memory });
const app = tl.routes();
const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => console.log(JSON.stringify({ port: info.port })));
process.on('SIGTERM', () => {
  server.closeAllConnections?.();
  server.close(() => tl.close().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); }));
});
`;

async function startChild(dataDir: string, pendingBytes = HTTP_PENDING_BYTES, memoryLimitMb?: number): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const args = [dataDir, String(pendingBytes), ...(memoryLimitMb === undefined ? [] : [String(memoryLimitMb)])];
  const child = spawn(process.execPath, ['--input-type=module', '-e', SERVER_CHILD, ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /\{"port":(\d+)\}/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`server child exited ${code} before listening: ${err}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) throw new Error(`server child exited ${code}: ${err}`);
    },
  };
}

/** Batch k in the native JSON format, the same items metricsTarget writes. */
function metricsBody(k: number): string {
  const parts: string[] = new Array(BATCH);
  const w = k % 16;
  for (let i = 0; i < BATCH; i++) {
    const n = k * BATCH + i;
    parts[i] = `{"name":"ov","labels":{"w":"${w}"},"value":${n},"tsMs":${T0_MS + n}}`;
  }
  return `[${parts.join(',')}]`;
}

/** Batch k in the native JSON format, the same entries logsTarget writes. */
function logsBody(k: number): string {
  const parts: string[] = new Array(BATCH);
  for (let i = 0; i < BATCH; i++) parts[i] = `{"tsMs":${T0_MS + k * BATCH + i},"message":"overload entry ${k} ${i}","attributes":{"k":${k},"i":${i}}}`;
  return `[${parts.join(',')}]`;
}

/** Batch k in the native JSON format (ns times as decimal strings), the same spans tracesTarget writes. */
function spansBody(k: number): string {
  const parts: string[] = new Array(BATCH);
  for (let i = 0; i < BATCH; i++) {
    const n = k * BATCH + i;
    const startNs = T0_NS + BigInt(n) * 1_000_000n;
    parts[i] =
      `{"traceId":"${(n + 1).toString(16).padStart(32, '0')}","spanId":"${(n + 1).toString(16).padStart(16, '0')}","name":"overload",` +
      `"startNs":"${startNs}","endNs":"${startNs + 500n}","attributes":{"n":${n}}}`;
  }
  return `[${parts.join(',')}]`;
}

/** One signal over HTTP: its native write route, batch k's body, and the library target that reads it back. */
interface HttpSignal {
  route: string;
  body: (k: number) => string;
  target: (tl: Timeless) => LibraryTarget;
}

const HTTP_METRICS: HttpSignal = { route: '/api/v1/metrics/write', body: metricsBody, target: metricsTarget };
const HTTP_SIGNALS: Array<[string, HttpSignal]> = [
  ['metrics', HTTP_METRICS],
  ['logs', { route: '/api/v1/logs/write', body: logsBody, target: logsTarget }],
  ['traces', { route: '/api/v1/traces/write', body: spansBody, target: tracesTarget }],
];


/**
 * POSTs batch k to the server: 'acked' on 200 with every item accepted, 'refused' on 429 BACKPRESSURE
 * (its Retry-After kept, and how many of them were memory refusals counted).
 */
function httpSender(url: string, signal: HttpSignal = HTTP_METRICS): { send: (k: number) => Promise<Outcome>; retryAfter: () => string | null; memoryRefusals: () => number } {
  let retryAfter: string | null = null;
  let memoryRefusals = 0;
  const send = async (k: number): Promise<Outcome> => {
    const res = await fetch(`${url}${signal.route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: signal.body(k) });
    const body = (await res.json()) as { accepted?: number; error?: { code: string; message?: string } };
    if (res.status === 429 && body.error?.code === 'BACKPRESSURE') {
      retryAfter = res.headers.get('retry-after');
      if (MEMORY_REFUSAL.test(body.error.message ?? '')) memoryRefusals++;
      return 'refused';
    }
    if (res.status !== 200 || body.accepted !== BATCH) throw new Error(`batch ${k}: ${res.status} ${JSON.stringify(body)}`);
    return 'acked';
  };
  return { send, retryAfter: () => retryAfter, memoryRefusals: () => memoryRefusals };
}

describe('overload over HTTP (server child)', () => {
  let tmp: { dir: string; remove: () => void };
  beforeEach(() => {
    tmp = tempDir('overload-http');
  });
  afterEach(() => tmp.remove());

  it('3× capacity on /api/v1/metrics/write: 429 + Retry-After, bounded server memory, every 200 stored', async () => {
    const server = await startChild(tmp.dir);
    let stopped = false;
    try {
      const { send, retryAfter } = httpSender(server.url);
      const rss = () => readRssBytes(server.pid);
      // The same fleet of HTTP_CLIENTS connections in both phases: the warm-up's RSS includes the
      // request bodies they keep in flight (the server reads and parses a body before the store can
      // refuse it), so what the overload may add on top is the store's pending bytes.
      const warm = await drive(send, 0, HTTP_WARMUP_MS, HTTP_CLIENTS, rss);
      const capacityPerSec = (warm.acked.length / warm.elapsedMs) * 1000;
      const limitBytes = warm.peakRssBytes + 3 * HTTP_PENDING_BYTES;
      const over = await drive(send, warm.sent, OVERLOAD_MS, HTTP_CLIENTS, rss, LOAD_FACTOR * capacityPerSec);
      console.log(
        `overload http: capacity ${Math.round(capacityPerSec * BATCH)} points/s; offered ${Math.round((over.sent / over.elapsedMs) * 1000 * BATCH)}/s, ` +
          `acked ${over.acked.length}/${over.sent} batches, 429s ${over.refused} (warm-up: ${warm.refused} of ${warm.sent}); ` +
          `peak server RSS ${(over.peakRssBytes / 2 ** 20).toFixed(0)} MiB vs limit ${(limitBytes / 2 ** 20).toFixed(0)} MiB`,
      );
      expect(warm.refused + over.refused).toBeGreaterThan(0);
      expect(retryAfter()).toBe('1');
      expect(over.peakRssBytes).toBeLessThan(limitBytes * 1.2);
      stopped = true;
      await server.stop();

      const tl = await Timeless.open({ dataDir: tmp.dir, runtimeMetrics: false, pool: { threads: 1 } });
      try {
        expect(await metricsTarget(tl).missing([...warm.acked, ...over.acked])).toEqual([]);
      } finally {
        await tl.close();
      }
    } finally {
      if (!stopped) await server.stop().catch(() => undefined);
    }
  });

  // The acceptance over HTTP, for each signal's native write route: a server whose memory
  // limit (in MiB, as --memory-limit-mb) is above its working set at capacity keeps RSS under 1.2 ×
  // that limit at 3× capacity and loses nothing it acknowledged. The working set is measured on a
  // server without a limit: a warm-up at full capacity, then SETTLE_MS more while the compaction it
  // asked for runs (for logs and spans that thread's memory is ~1/3 of it). The limit refuses from
  // its soft limit (20 % below), which is below that working set, so 429s happen in most runs (they
  // must all be memory refusals, with Retry-After); RSS is sampled through the load and SETTLE_MS
  // after it (the compaction of what the load admitted).
  // Measured (2 CPUs): peak 0.89-0.95 × the limit for logs, 0.78-0.95 × for spans. Before the
  // pool threads released the hot chunk buffers a seal was lent (pool/shared-release.ts), logs and
  // spans reached 1.08-1.35 × a limit below their working set, and the buffers grew with every seal.
  it.each(HTTP_SIGNALS)('%s: 3× capacity with a memory limit (--memory-limit-mb) and huge pending bounds: every 429 a memory refusal, peak RSS under 1.2 × the limit, every 200 stored', async (signal, sig) => {
    // 1. The working set: a server without a memory limit, at full capacity, then its compaction.
    const probe = await startChild(tmp.dir, HUGE_PENDING_BYTES);
    let warm: DriveResult;
    let workingSetBytes: number;
    try {
      const rss = () => readRssBytes(probe.pid);
      warm = await drive(httpSender(probe.url, sig).send, 0, HTTP_WARMUP_MS, HTTP_CLIENTS, rss);
      workingSetBytes = Math.max(warm.peakRssBytes, await peakOver(SETTLE_MS, rss));
    } finally {
      await probe.stop();
    }
    const capacityPerSec = (warm.acked.length / warm.elapsedMs) * 1000;
    const limitMb = Math.ceil((workingSetBytes + MEMORY_MARGIN_BYTES) / 2 ** 20);
    const limitBytes = limitMb * 2 ** 20;

    // 2. The same server with the limit: warm-up at capacity, then 3× capacity, then the settle.
    // Nothing but the memory limit refuses here (the pending bounds are far above what it lets in).
    const server = await startChild(tmp.dir, HUGE_PENDING_BYTES, limitMb);
    let stopped = false;
    try {
      const { send, retryAfter, memoryRefusals } = httpSender(server.url, sig);
      const rss = () => readRssBytes(server.pid);
      const warm2 = await drive(send, warm.sent, HTTP_WARMUP_MS, HTTP_CLIENTS, rss);
      const over = await drive(send, warm.sent + warm2.sent, OVERLOAD_MS * 2, HTTP_CLIENTS, rss, LOAD_FACTOR * capacityPerSec);
      const settledPeakBytes = await peakOver(SETTLE_MS, rss);
      const peakRssBytes = Math.max(warm2.peakRssBytes, over.peakRssBytes, settledPeakBytes);
      const memory = (await (await fetch(`${server.url}/api/v1/stats`)).json()).memory as { limitBytes: number; softLimitBytes: number; refusedWrites: number; admittedOverLimit: number; forcedGcs: number };
      const refused = warm2.refused + over.refused;
      console.log(
        `overload http ${signal}, memory limit: capacity ${Math.round(capacityPerSec * BATCH)} items/s (working set ${(workingSetBytes / 2 ** 20).toFixed(0)} MiB); ` +
          `limit ${limitMb} MiB (soft ${(memory.softLimitBytes / 2 ** 20).toFixed(0)}); acked ${warm2.acked.length + over.acked.length}/${warm2.sent + over.sent} batches, 429s ${refused}; ` +
          `peak server RSS ${(peakRssBytes / 2 ** 20).toFixed(0)} MiB (${(peakRssBytes / limitBytes).toFixed(2)} × the limit; after the load ${(settledPeakBytes / 2 ** 20).toFixed(0)}); ` +
          `store: refused ${memory.refusedWrites}, admitted over the soft limit ${memory.admittedOverLimit}, forced GCs ${memory.forcedGcs}`,
      );
      expect(memory.limitBytes).toBe(limitBytes);
      expect(memory.softLimitBytes).toBe(limitBytes - defaultSpikeBytes(limitBytes));
      // The pending bounds never refuse here: every 429 says it is a memory refusal, and the store
      // counted exactly those.
      expect(memoryRefusals()).toBe(refused);
      expect(refused).toBe(memory.refusedWrites);
      if (refused > 0) expect(retryAfter()).toBe('1');
      expect(peakRssBytes).toBeLessThan(limitBytes * 1.2);
      stopped = true;
      await server.stop();

      const tl = await Timeless.open({ dataDir: tmp.dir, runtimeMetrics: false, pool: { threads: 1 } });
      try {
        expect(await sig.target(tl).missing([...warm.acked, ...warm2.acked, ...over.acked])).toEqual([]);
      } finally {
        await tl.close();
      }
    } finally {
      if (!stopped) await server.stop().catch(() => undefined);
    }
  });
});
