// The standard metrics workload (issue #3): 200 "Node app telemetry" series x 7 days at 10 s
// (60,480 points per series, ~12.1 M points), written through the library API as fast as it goes,
// then flush + checkpoint + compactNow. Built once per bench process: the metrics suite measures
// its bytes, the query suite queries it (reopening the directory) instead of building it again.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { generateTelemetry, telemetryCatalog, TELEMETRY_STEP_MS, type TelemetryPrecision, type TelemetrySeries } from '../gen/telemetry.js';
import { openBenchStore, writeWithBackpressure, type WriteCounters } from './bench-store.js';
import { dirBytes, topLevelBytes } from './disk.js';
import type { SuiteContext } from './report.js';
import { batchPoints } from './telemetry-points.js';
import { makeTempDir } from './temp-dirs.js';
import path from 'node:path';

export const STANDARD_SEED = 42;
const DAY_MS = 86_400_000;
/** Scrapes per writeBatch call: 16 x 200 series = 3,200 points. */
const SCRAPES_PER_WRITE = 16;

export interface StandardDataset {
  dataDir: string;
  /** 'ms' = the standard workload; 'ns' = the same stream at prom-client's hrtime precision. */
  precision: TelemetryPrecision;
  catalog: TelemetrySeries[];
  fromMs: number;
  /** Timestamp of the last scrape (inclusive). */
  toMs: number;
  stepMs: number;
  pointsPerSeries: number;
  points: number;
  build: {
    writeSeconds: number;
    flushSeconds: number;
    checkpointSeconds: number;
    compactSeconds: number;
    backpressure: number;
    /** stats() after compaction. */
    stats: Record<string, unknown> & { points: number; series: number; blocks: number; dataBytes: number; diskBytes: number };
    /** Independent walk of <dataDir>/metrics after compaction, store still open (WAL files included). */
    metricsDirBytes: number;
    metricsDirFiles: number;
    /** The same bytes by kind of file. */
    metricsDirBreakdown: Record<string, number>;
    /** The same walk after close(). */
    metricsDirBytesClosed: number;
  };
}

const cached = new Map<TelemetryPrecision, StandardDataset>();

/**
 * The dataset's timestamps end at the last UTC midnight, so they are "recent" (inside the default raw
 * retention), while the layout (days, segments) is the same on every run. Values depend on the seed only.
 */
export async function standardDataset(ctx: SuiteContext, precision: TelemetryPrecision = 'ms'): Promise<StandardDataset> {
  const hit = cached.get(precision);
  if (hit) return hit;
  const series = 200;
  const pointsPerSeries = ctx.quick ? 2_160 : 60_480; // quick: 6 h
  const stepMs = TELEMETRY_STEP_MS;
  const endMs = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const fromMs = endMs - pointsPerSeries * stepMs;
  const catalog = telemetryCatalog(series);
  const dataDir = makeTempDir(`standard-${precision}`);
  const points = series * pointsPerSeries;
  ctx.progress(`standard dataset (${precision}): ${series} series x ${pointsPerSeries.toLocaleString('en-US')} points (${(points / 1e6).toFixed(1)} M) into ${dataDir}`);

  const store = await openBenchStore(dataDir);
  let closed = false;
  try {
    // TYPE / UNIT / HELP as prom-client exposes them (histogram parts carry their family's type).
    for (const c of catalog) {
      if (!store.metrics.metricMeta(c.name)) store.metrics.defineMetric(c.name, { type: c.type, unit: c.unit, help: c.help });
    }
    const counters: WriteCounters = { points: 0, backpressure: 0 };
    const t0 = performance.now();
    let nextReport = t0 + 5_000;
    for (const batch of generateTelemetry({ series, fromMs, stepMs, points: pointsPerSeries, seed: STANDARD_SEED, batchSteps: SCRAPES_PER_WRITE, precision })) {
      await writeWithBackpressure(store, batchPoints(catalog, batch), counters);
      // One loop turn per batch: the engine's sealed blocks come back from the pool on this thread.
      await nextTurn();
      if (performance.now() > nextReport) {
        nextReport += 5_000;
        ctx.progress(`standard dataset (${precision}): ${(counters.points / 1e6).toFixed(1)} M points written`);
      }
    }
    const t1 = performance.now();
    await store.metrics.flush();
    const t2 = performance.now();
    await store.metrics.checkpoint();
    const t3 = performance.now();
    await store.metrics.compactNow();
    const t4 = performance.now();
    const stats = (await store.metrics.stats()) as unknown as StandardDataset['build']['stats'];
    const walk = dirBytes(path.join(dataDir, 'metrics'));
    const breakdown = topLevelBytes(path.join(dataDir, 'metrics'));
    await store.close();
    closed = true;
    const walkClosed = dirBytes(path.join(dataDir, 'metrics'));
    const ds: StandardDataset = {
      dataDir,
      precision,
      catalog,
      fromMs,
      toMs: fromMs + (pointsPerSeries - 1) * stepMs,
      stepMs,
      pointsPerSeries,
      points,
      build: {
        writeSeconds: (t1 - t0) / 1000,
        flushSeconds: (t2 - t1) / 1000,
        checkpointSeconds: (t3 - t2) / 1000,
        compactSeconds: (t4 - t3) / 1000,
        backpressure: counters.backpressure,
        stats,
        metricsDirBytes: walk.bytes,
        metricsDirFiles: walk.files,
        metricsDirBreakdown: breakdown,
        metricsDirBytesClosed: walkClosed.bytes,
      },
    };
    cached.set(precision, ds);
    ctx.progress(`standard dataset (${precision}): written in ${ds.build.writeSeconds.toFixed(1)} s, checkpoint ${ds.build.checkpointSeconds.toFixed(1)} s, compaction ${ds.build.compactSeconds.toFixed(1)} s`);
    return ds;
  } finally {
    if (!closed) await store.close();
  }
}
