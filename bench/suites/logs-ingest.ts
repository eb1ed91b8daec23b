// logs.ingest: sustained library ingest for ~10 s (2 s with --quick): tl.logs.write() per entry in
// slices of 1,000 with one event-loop turn between slices, a durable flush() started every 100 ms
// (awaited concurrently, as an app's periodic flush would), while the main thread measures its own
// event-loop delay. The entries are generated before the window (100,000 "Node web app" entries,
// replayed with advancing timestamps: bench/lib/logs-replay.ts), so the number is the engine's cost.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { LogInput } from '../../src/logs/types.js';
import { generateNodeLogs } from '../gen/nodelogs.js';
import { EventLoopMonitor } from '../lib/event-loop.js';
import { LogReplay } from '../lib/logs-replay.js';
import { openLogsStore, writeLogs, type LogWriteCounters } from '../lib/logs-store.js';
import { percentile } from '../lib/percentile.js';
import { round } from '../lib/stats.js';
import { makeTempDir, removeTempDir } from '../lib/temp-dirs.js';
import type { SuiteContext, SuiteOutput } from '../lib/report.js';

const SEED = 45;
const FLUSH_EVERY_MS = 100;
const SLICE_ENTRIES = 1_000;
const DAY_MS = 86_400_000;

export async function runLogsIngest(ctx: SuiteContext): Promise<SuiteOutput> {
  const durationMs = ctx.quick ? 2_000 : 10_000;
  const windowEntries = ctx.quick ? 10_000 : 100_000;
  // A day ago: at 300,000 entries/s the 200/s timestamps advance ~25 min per wall second.
  const fromMs = Date.now() - DAY_MS;
  ctx.progress(`logs.ingest: pre-generating ${windowEntries.toLocaleString('en-US')} entries`);
  const window: LogInput[] = [];
  for (const batch of generateNodeLogs({ entries: windowEntries, seed: SEED, fromMs, batch: 10_000 })) window.push(...batch);
  const replay = new LogReplay(window);

  const dataDir = makeTempDir('logs-ingest');
  const store = await openLogsStore(dataDir);
  try {
    // Warm-up outside the window: JIT, WAL file, pool threads, a first seal.
    const warm: LogWriteCounters = { entries: 0, backpressure: 0 };
    for (let i = 0; i < 20; i++) {
      await writeLogs(store, replay.next(SLICE_ENTRIES), warm);
      await nextTurn();
    }
    await store.logs.flush();

    ctx.progress(`logs.ingest: writing for ${durationMs / 1000} s, ${SLICE_ENTRIES} entries per turn, flush() every ${FLUSH_EVERY_MS} ms`);
    const counters: LogWriteCounters = { entries: 0, backpressure: 0 };
    const flushMs: number[] = [];
    const pending = new Set<Promise<void>>();
    let flushError: unknown;
    const monitor = new EventLoopMonitor();
    monitor.start();
    const t0 = performance.now();
    const timer = setInterval(() => {
      const started = performance.now();
      const p: Promise<void> = store.logs.flush().then(
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
    }, FLUSH_EVERY_MS);
    try {
      while (performance.now() - t0 < durationMs && flushError === undefined) {
        await writeLogs(store, replay.next(SLICE_ENTRIES), counters);
        await nextTurn();
      }
    } finally {
      clearInterval(timer);
    }
    const writeEnd = performance.now();
    await Promise.all(pending);
    await store.logs.flush(); // every entry counted is durable before the clock stops
    const t1 = performance.now();
    const delay = monitor.stop();
    if (flushError !== undefined) throw flushError;

    const stats = await store.logs.stats();
    const failures: string[] = [];
    const written = warm.entries + counters.entries;
    if (stats.entries !== written) failures.push(`logs.ingest: the engine reports ${stats.entries} entries, ${written} were acknowledged`);
    const seconds = (t1 - t0) / 1000;
    const json = {
      seconds: round(seconds, 2),
      entries: counters.entries,
      entriesPerSec: Math.round(counters.entries / seconds),
      writeOnlyEntriesPerSec: Math.round(counters.entries / ((writeEnd - t0) / 1000)),
      entriesPerTurn: SLICE_ENTRIES,
      windowEntries,
      eventLoopP50Ms: round(delay.p50Ms, 2),
      eventLoopP99Ms: round(delay.p99Ms, 2),
      eventLoopMaxMs: round(delay.maxMs, 2),
      flushes: flushMs.length,
      flushP50Ms: round(percentile(flushMs, 50), 2),
      flushP99Ms: round(percentile(flushMs, 99), 2),
      flushMaxMs: round(flushMs.length ? Math.max(...flushMs) : NaN, 2),
      backpressureRetries: counters.backpressure,
      simulatedMinutes: round(replay.simulatedSeconds() / 60, 1),
      hotEntries: stats.hotEntries,
      blocks: stats.blocks,
    };
    ctx.progress(`logs.ingest: ${json.entriesPerSec.toLocaleString('en-US')} entries/s, event-loop p99 ${json.eventLoopP99Ms} ms, flush p99 ${json.flushP99Ms} ms`);
    return {
      json,
      failures,
      rows: [
        {
          key: 'logs.ingest.entriesPerSec',
          label: 'logs: sustained ingest, flush every 100 ms',
          value: json.entriesPerSec,
          unit: 'entries/s',
          target: { op: '>=', value: 300_000 },
          note: `${json.seconds} s, ${json.flushes} flushes (p99 ${json.flushP99Ms} ms), ${json.backpressureRetries} backpressure waits`,
        },
        {
          key: 'logs.ingest.eventLoopP99Ms',
          label: 'logs: event-loop p99 while ingesting',
          value: json.eventLoopP99Ms,
          unit: 'ms',
          target: { op: '<=', value: 10 },
          note: `p50 ${json.eventLoopP50Ms} ms, max ${json.eventLoopMaxMs} ms`,
        },
      ],
    };
  } finally {
    await store.close();
    removeTempDir(dataDir);
  }
}
