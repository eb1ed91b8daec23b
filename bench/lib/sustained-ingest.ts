// The measured window of the sustained-ingest benches (metrics.ingest, logs.ingest): write one slice,
// give the event loop one turn, repeat for `durationMs`, while a durable flush() starts every
// `flushEveryMs` (awaited concurrently, as an app's periodic flush or an HTTP ingest handler would)
// and the main thread measures its own event-loop delay. The clock stops only after a last flush(),
// so everything the window wrote is durable when it is counted.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { EventLoopMonitor, type EventLoopDelay } from './event-loop.js';
import { percentile } from './percentile.js';
import type { SummaryRow } from './report.js';
import { round } from './stats.js';

/** Untimed warm-up (JIT, WAL file, pool threads, first seal): `slices` slices, then one flush(). */
export async function warmUpIngest(slices: number, writeSlice: () => Promise<void>, flush: () => Promise<void>): Promise<void> {
  for (let i = 0; i < slices; i++) {
    await writeSlice();
    await nextTurn();
  }
  await flush();
}

export interface SustainedIngestWindow {
  /** Window start to the end of the last flush. */
  seconds: number;
  /** Window start to the last slice written (before the final flushes). */
  writeSeconds: number;
  /** Duration of every periodic flush that completed. */
  flushMs: number[];
  delay: EventLoopDelay;
}

export async function measureSustainedIngest(o: {
  durationMs: number;
  flushEveryMs: number;
  writeSlice: () => Promise<void>;
  flush: () => Promise<void>;
}): Promise<SustainedIngestWindow> {
  const flushMs: number[] = [];
  const pending = new Set<Promise<void>>();
  let flushError: unknown;
  const monitor = new EventLoopMonitor();
  monitor.start();
  const t0 = performance.now();
  const timer = setInterval(() => {
    const started = performance.now();
    const p: Promise<void> = o.flush().then(
      () => {
        flushMs.push(performance.now() - started);
        pending.delete(p);
      },
      (err: unknown) => {
        flushError ??= err;
        pending.delete(p);
      },
    );
    pending.add(p);
  }, o.flushEveryMs);
  try {
    while (performance.now() - t0 < o.durationMs && flushError === undefined) {
      await o.writeSlice();
      await nextTurn();
    }
  } finally {
    clearInterval(timer);
  }
  const writeEnd = performance.now();
  await Promise.all(pending);
  await o.flush(); // every slice counted is durable before the clock stops
  const t1 = performance.now();
  const delay = monitor.stop();
  if (flushError !== undefined) throw flushError;
  return { seconds: (t1 - t0) / 1000, writeSeconds: (writeEnd - t0) / 1000, flushMs, delay };
}

/** The window's latency figures for the report JSON (ms, 2 decimals; flush figures NaN without a flush). */
export function windowFigures(w: SustainedIngestWindow) {
  return {
    eventLoopP50Ms: round(w.delay.p50Ms, 2),
    eventLoopP99Ms: round(w.delay.p99Ms, 2),
    eventLoopMaxMs: round(w.delay.maxMs, 2),
    flushes: w.flushMs.length,
    flushP50Ms: round(percentile(w.flushMs, 50), 2),
    flushP99Ms: round(percentile(w.flushMs, 99), 2),
    flushMaxMs: round(w.flushMs.length ? Math.max(...w.flushMs) : NaN, 2),
  };
}

/** The summary row of the host's event-loop p99 while ingesting (target: 10 ms, as every ingest bench). */
export function eventLoopRow(key: string, label: string, f: ReturnType<typeof windowFigures>): SummaryRow {
  return { key, label, value: f.eventLoopP99Ms, unit: 'ms', target: { op: '<=', value: 10 }, note: `p50 ${f.eventLoopP50Ms} ms, max ${f.eventLoopMaxMs} ms` };
}
