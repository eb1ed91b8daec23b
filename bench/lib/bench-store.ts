// Opening a store for a bench and writing generated points into it through the public API
// (DESIGN.md §6), the way an app would: writeBatch in slices with an event-loop turn between them.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Timeless } from '../../src/index.js';
import type { MetricsOptions } from '../../src/metrics/types.js';
import type { BenchPoint } from './telemetry-points.js';

export type BenchStore = Awaited<ReturnType<typeof Timeless.open>>;

export interface OpenBenchStoreOptions {
  metrics?: MetricsOptions;
  threads?: number;
}

/**
 * A store with the background schedules that would disturb a measurement turned off: compaction
 * runs only when the bench calls compactNow(), and retention never runs (the NAB files are from
 * 2014 and must not be aged out while they are being measured), and the store's own runtime metrics
 * are off (their points would count in the measured bytes and points).
 */
export function openBenchStore(dataDir: string, options: OpenBenchStoreOptions = {}): Promise<BenchStore> {
  return Timeless.open({
    dataDir,
    metrics: { compactIntervalMs: 0, ...options.metrics },
    retention: { intervalSec: 0 },
    runtimeMetrics: false,
    ...(options.threads ? { pool: { threads: options.threads } } : {}),
  });
}

export interface WriteCounters {
  points: number;
  /** writeBatch calls refused with BACKPRESSURE (each was retried after an awaited flush()). */
  backpressure: number;
}

/** True for the engine's typed "too much pending data" refusal. */
export function isBackpressure(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'BACKPRESSURE';
}

/**
 * writeBatch(points); on BACKPRESSURE waits for flush() (which waits for sealing to catch up, as the
 * engine documents) and retries. A refused batch is assumed not applied: the dataset's point count
 * is checked against stats() afterwards, so a partial apply would show up as a failure.
 */
export async function writeWithBackpressure(store: BenchStore, points: BenchPoint[], counters: WriteCounters): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      store.metrics.writeBatch(points);
      counters.points += points.length;
      return;
    } catch (err) {
      if (!isBackpressure(err) || attempt >= 1000) throw err;
      counters.backpressure++;
      await store.metrics.flush();
      await nextTurn();
    }
  }
}
