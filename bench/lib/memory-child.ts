// Child process of metrics.memory (run as `node --expose-gc dist/bench/lib/memory-child.js DIR SERIES
// POINTS`): a clean process opens a store, writes SERIES telemetry series x POINTS points through the
// API, flushes, and reports the RSS growth over the baseline taken after open. One JSON line on stdout.
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { generateTelemetry, telemetryCatalog, TELEMETRY_STEP_MS } from '../gen/telemetry.js';
import { openBenchStore, writeWithBackpressure } from './bench-store.js';
import { batchPoints } from './telemetry-points.js';

const WRITE_SLICE_SERIES = 10_000;

async function settle(gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(50);
  }
  return process.memoryUsage().rss;
}

async function main(): Promise<void> {
  const [dataDir, seriesArg, pointsArg] = process.argv.slice(2);
  const series = Number(seriesArg);
  const pointsPerSeries = Number(pointsArg);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!dataDir || !(series > 0) || !(pointsPerSeries > 0)) throw new Error('usage: memory-child.js DIR SERIES POINTS');
  if (!gc) throw new Error('memory-child.js needs node --expose-gc');

  // The catalog (the app's own label objects) exists before the baseline: it is the app's memory.
  const catalog = telemetryCatalog(series);
  // A WAL limit above what this run writes: no checkpoint seals the heads, so every series stays
  // active (its head in memory) when RSS is read.
  const store = await openBenchStore(dataDir, { metrics: { walMaxBytes: 2 ** 31 } });
  const rssBefore = await settle(gc);
  const heapBefore = process.memoryUsage().heapUsed;

  const fromMs = Math.floor(Date.now() / 3_600_000) * 3_600_000 - pointsPerSeries * TELEMETRY_STEP_MS;
  const counters = { points: 0, backpressure: 0 };
  for (const batch of generateTelemetry({ series, fromMs, points: pointsPerSeries, seed: 11, batchSteps: 1 })) {
    for (let from = 0; from < series; from += WRITE_SLICE_SERIES) {
      const to = Math.min(series, from + WRITE_SLICE_SERIES);
      const points = batchPoints(catalog.slice(from, to), { ...batch, series: to - from, values: batch.values.subarray(from, to) });
      await writeWithBackpressure(store, points, counters);
      await nextTurn();
    }
  }
  await store.metrics.flush();
  const rssAfter = await settle(gc);
  const heapAfter = process.memoryUsage().heapUsed;
  const stats = await store.metrics.stats();
  await store.close();
  process.stdout.write(
    JSON.stringify({
      series,
      pointsPerSeries,
      points: counters.points,
      engineSeries: stats.series,
      headPoints: stats.headPoints,
      blocks: stats.blocks,
      rssBeforeBytes: rssBefore,
      rssAfterBytes: rssAfter,
      heapUsedDeltaBytes: heapAfter - heapBefore,
      bytesPerSeries: (rssAfter - rssBefore) / series,
    }) + '\n',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`memory-child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
