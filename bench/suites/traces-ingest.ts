// traces.ingest: sustained library ingest for ~10 s (2 s with --quick): tl.traces.write(batch) of one
// export batch (512 spans) at a time, one event-loop turn between batches, a durable flush() started
// every 100 ms (awaited concurrently, as an app's periodic flush would), while the main thread
// measures its own event-loop delay. The spans are generated before the window (10,000 "microservice
// shop" spans, replayed with advancing times and fresh ids: bench/lib/traces-replay.ts), so the
// number is the engine's cost.
import type { Span } from '../../src/traces/types.js';
import { generateTraces } from '../gen/traces.js';
import { round } from '../lib/stats.js';
import { eventLoopRow, measureSustainedIngest, warmUpIngest, windowFigures } from '../lib/sustained-ingest.js';
import { makeTempDir, removeTempDir } from '../lib/temp-dirs.js';
import { EXPORT_BATCH_SPANS } from '../lib/traces-dataset.js';
import { SpanReplay } from '../lib/traces-replay.js';
import { openTracesStore, writeSpans, type SpanWriteCounters } from '../lib/traces-store.js';
import type { SuiteContext, SuiteOutput } from '../lib/report.js';

const SEED = 56;
const FLUSH_EVERY_MS = 100;
const DAY_MS = 86_400_000;
/**
 * Distinct spans replayed. As in logs.ingest: an app writes spans it has just built (their strings
 * sit in the CPU caches), so the replayed window must not be far bigger than the caches, or the
 * bench measures memory latency more than the engine. 10,000 spans (~1,000 traces) hold every
 * route, query and failure shape of the generator many times over.
 */
const WINDOW_SPANS = 10_000;

export async function runTracesIngest(ctx: SuiteContext): Promise<SuiteOutput> {
  const durationMs = ctx.quick ? 2_000 : 10_000;
  // A day ago, at the generator's default 50 traces/s (~485 spans/s): at 200,000 spans/s the
  // replayed times advance ~7 min per wall second, so 10 s stay well inside the past day.
  const fromMs = Date.now() - DAY_MS;
  ctx.progress(`traces.ingest: pre-generating ${WINDOW_SPANS.toLocaleString('en-US')} spans`);
  const window: Span[] = [];
  for (const batch of generateTraces({ spans: WINDOW_SPANS, seed: SEED, fromMs })) window.push(...batch);
  const replay = new SpanReplay(window);

  const dataDir = makeTempDir('traces-ingest');
  const store = await openTracesStore(dataDir);
  try {
    // Warm-up outside the window: JIT, WAL file, pool threads, a first seal.
    const warm: SpanWriteCounters = { spans: 0, backpressure: 0 };
    const flush = () => store.traces.flush();
    await warmUpIngest(20, () => writeSpans(store, replay.next(EXPORT_BATCH_SPANS), warm), flush);

    ctx.progress(`traces.ingest: writing for ${durationMs / 1000} s, ${EXPORT_BATCH_SPANS} spans per write() and turn, flush() every ${FLUSH_EVERY_MS} ms`);
    const counters: SpanWriteCounters = { spans: 0, backpressure: 0 };
    const w = await measureSustainedIngest({
      durationMs,
      flushEveryMs: FLUSH_EVERY_MS,
      writeSlice: () => writeSpans(store, replay.next(EXPORT_BATCH_SPANS), counters),
      flush,
    });

    const stats = await store.traces.stats();
    // Compaction (RAW -> columnar, in the pool) runs behind ingest and may fall behind at these
    // rates; its catch-up time says what the window left to do.
    const compactStart = performance.now();
    await store.traces.compactNow();
    const compactNowSeconds = (performance.now() - compactStart) / 1000;
    const failures: string[] = [];
    const written = warm.spans + counters.spans;
    if (stats.spans !== written) failures.push(`traces.ingest: the engine reports ${stats.spans} spans, ${written} were acknowledged`);
    const json = {
      seconds: round(w.seconds, 2),
      spans: counters.spans,
      spansPerSec: Math.round(counters.spans / w.seconds),
      writeOnlySpansPerSec: Math.round(counters.spans / w.writeSeconds),
      spansPerWrite: EXPORT_BATCH_SPANS,
      windowSpans: WINDOW_SPANS,
      ...windowFigures(w),
      backpressureRetries: counters.backpressure,
      compactNowSeconds: round(compactNowSeconds, 2),
      withCompactionSpansPerSec: Math.round(counters.spans / (w.seconds + compactNowSeconds)),
      simulatedMinutes: round(replay.simulatedSeconds() / 60, 1),
      hotSpans: stats.hotSpans,
      blocks: stats.blocks,
    };
    ctx.progress(`traces.ingest: ${json.spansPerSec.toLocaleString('en-US')} spans/s, event-loop p99 ${json.eventLoopP99Ms} ms, flush p99 ${json.flushP99Ms} ms`);
    return {
      json,
      failures,
      rows: [
        {
          key: 'traces.ingest.spansPerSec',
          label: 'traces: sustained ingest, flush every 100 ms',
          value: json.spansPerSec,
          unit: 'spans/s',
          target: { op: '>=', value: 200_000 },
          note: `${json.seconds} s, ${json.flushes} flushes (p99 ${json.flushP99Ms} ms), ${json.backpressureRetries} backpressure waits; compaction caught up ${json.compactNowSeconds} s later (${json.withCompactionSpansPerSec.toLocaleString('en-US')}/s with it)`,
        },
        eventLoopRow('traces.ingest.eventLoopP99Ms', 'traces: event-loop p99 while ingesting', json),
      ],
    };
  } finally {
    await store.close();
    removeTempDir(dataDir);
  }
}
