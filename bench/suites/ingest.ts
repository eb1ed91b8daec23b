// metrics.ingest (also the `ingest` suite): sustained library ingest through writeBatch for ~10 s
// (1 s with --quick), with a durable flush() started every 100 ms (awaited concurrently, as an app's
// periodic flush or an HTTP ingest handler would), while the main thread measures its own
// event-loop delay.
//
// The telemetry is generated before the measured window (a pre-generated window of scrapes replayed
// with advancing timestamps, see TelemetryLoop), so the number is the engine's cost, not the
// generator's. Timestamps are synthetic 10 s scrapes: at 1.5 M points/s over 1,000 series, a wall
// second covers ~4 h of data, so real-time timestamps would collide.
import { generateTelemetry, telemetryCatalog, TELEMETRY_STEP_MS } from '../gen/telemetry.js';
import { openBenchStore, writeWithBackpressure, type WriteCounters } from '../lib/bench-store.js';
import { round } from '../lib/stats.js';
import { eventLoopRow, measureSustainedIngest, warmUpIngest, windowFigures } from '../lib/sustained-ingest.js';
import { TelemetryLoop } from '../lib/telemetry-points.js';
import { makeTempDir, removeTempDir } from '../lib/temp-dirs.js';
import { runSharedAsSuite, sharedPart } from '../lib/parts.js';
import type { Suite, SuiteContext, SuiteOutput } from '../lib/report.js';

const SEED = 21;
const FLUSH_EVERY_MS = 100;
/** Points per writeBatch call; one event-loop turn between calls so timers and I/O run. */
const SLICE_POINTS = 2_000;
const DAY_MS = 86_400_000;

async function runSustained(ctx: SuiteContext): Promise<SuiteOutput> {
  const durationMs = ctx.quick ? 1_000 : 10_000;
  const series = ctx.quick ? 200 : 1_000;
  const windowScrapes = ctx.quick ? 200 : 4_000;
  const stepMs = TELEMETRY_STEP_MS;
  const fromMs = Math.floor(Date.now() / DAY_MS) * DAY_MS - 2 * DAY_MS;
  const catalog = telemetryCatalog(series);
  ctx.progress(`ingest: pre-generating ${windowScrapes} scrapes of ${series} series`);
  const [window] = [...generateTelemetry({ series, fromMs, points: windowScrapes, seed: SEED, batchSteps: windowScrapes })];
  const loop = new TelemetryLoop(catalog, window, fromMs, stepMs);
  const scrapesPerSlice = Math.max(1, Math.round(SLICE_POINTS / series));

  const dataDir = makeTempDir('ingest');
  const store = await openBenchStore(dataDir);
  try {
    // Warm-up outside the window: defines every series (the slow path, once per series) and warms
    // the JIT, the WAL file and the pool threads.
    const warm: WriteCounters = { points: 0, backpressure: 0 };
    const flush = () => store.metrics.flush();
    await warmUpIngest(20, () => writeWithBackpressure(store, loop.next(scrapesPerSlice), warm), flush);

    ctx.progress(`ingest: writing for ${durationMs / 1000} s, ${scrapesPerSlice * series} points per writeBatch, flush() every ${FLUSH_EVERY_MS} ms`);
    const counters: WriteCounters = { points: 0, backpressure: 0 };
    const w = await measureSustainedIngest({
      durationMs,
      flushEveryMs: FLUSH_EVERY_MS,
      writeSlice: () => writeWithBackpressure(store, loop.next(scrapesPerSlice), counters),
      flush,
    });

    const stats = await store.metrics.stats();
    const failures: string[] = [];
    const written = warm.points + counters.points;
    if (stats.points !== written) failures.push(`ingest: the engine reports ${stats.points} points, ${written} were acknowledged`);
    const json = {
      series,
      seconds: round(w.seconds, 2),
      points: counters.points,
      pointsPerSec: Math.round(counters.points / w.seconds),
      writeOnlyPointsPerSec: Math.round(counters.points / w.writeSeconds),
      pointsPerWriteBatch: scrapesPerSlice * series,
      ...windowFigures(w),
      backpressureRetries: counters.backpressure,
      simulatedHours: round((loop.scrapes * stepMs) / 3_600_000, 1),
      headPoints: stats.headPoints,
      blocks: stats.blocks,
    };
    ctx.progress(`ingest: ${(json.pointsPerSec / 1e6).toFixed(2)} M pts/s, event-loop p99 ${json.eventLoopP99Ms} ms, flush p99 ${json.flushP99Ms} ms`);
    return {
      json,
      failures,
      rows: [
        {
          key: 'metrics.ingest.pointsPerSec',
          label: 'sustained ingest, durable flush every 100 ms',
          value: json.pointsPerSec,
          unit: 'pts/s',
          target: { op: '>=', value: 1_500_000 },
          note: `${series} series, ${json.seconds} s, ${json.flushes} flushes (p99 ${json.flushP99Ms} ms), ${json.backpressureRetries} backpressure waits`,
        },
        eventLoopRow('metrics.ingest.eventLoopP99Ms', 'event-loop p99 while ingesting', json),
      ],
    };
  } finally {
    await store.close();
    removeTempDir(dataDir);
  }
}

/** `metrics.ingest` (JSON under metrics.ingest.*), run once per process. */
export const ingestPart = sharedPart(runSustained);

/** `npm run bench -- ingest`: the same part as a suite (JSON under ingest.*). */
export const ingestSuite: Suite = {
  name: 'ingest',
  parts: [],
  run: (ctx) => runSharedAsSuite('ingest', ingestPart, ctx),
};
