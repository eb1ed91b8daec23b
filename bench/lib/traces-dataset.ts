// The synthetic traces dataset (issue #5): 1,000,000 "microservice shop" spans (50,000 with --quick)
// from bench/gen/traces.ts, arriving at a rate that makes them cover one day ending at the build's
// wall clock (measured by a dry run), so "the last hour" holds a realistic share (~1/24). Written
// through tl.traces.write() in export batches as fast as it goes, then flush(), sealNow() (the tail
// an app would seal within a second: bytes are measured on data at rest) and compactNow(). Built once
// per bench process: traces.synthetic measures its bytes, traces.query reopens it. While generating,
// each batch is rendered as the OTLP/JSON request an exporter would POST (the raw the ratio is
// measured on; written to a file for the peer compressors when traces.synthetic is selected) and
// every span is seen by the query oracle's collectors.
import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { generateTraces, toOtlpJson } from '../gen/traces.js';
import type { TracesStats } from '../../src/traces/types.js';
import { dirBytes, topLevelBytes } from './disk.js';
import type { SuiteContext } from './report.js';
import { sqlitePageUsage, type SqlitePageUsage } from './sqlite-pages.js';
import { makeTempDir } from './temp-dirs.js';
import { anySpan, durationAtLeast, NewestSpans, serviceStatus, TraceShapes } from './traces-oracle.js';
import { openTracesStore, writeSpans, type SpanWriteCounters } from './traces-store.js';

export const TRACES_SEED = 55;
const DAY_MS = 86_400_000;
/**
 * Spans per write() and per OTLP/JSON request: the OTel JS BatchSpanProcessor's default
 * maxExportBatchSize, so each batch is one export an app would send.
 */
export const EXPORT_BATCH_SPANS = 512;
/** Page size of the timed queries (TraceQuery's default). */
export const PAGE = 100;
/** The errors query's service: the front door, the service with the most failing spans. */
export const ERRORS_SERVICE = 'frontend';
/** The duration query's bound: ~0.44 % of the spans (timeouts and the slow tail). */
export const SLOW_MS = 1000;

export interface TracesOracle {
  traces: TraceShapes;
  /** Every error span of ERRORS_SERVICE (the time window is applied once the data's end is known). */
  serviceErrors: NewestSpans;
  /** Every span lasting at least SLOW_MS. */
  slow: NewestSpans;
  newest: NewestSpans;
}

export interface TracesDataset {
  dataDir: string;
  spans: number;
  fromMs: number;
  tracesPerSec: number;
  firstStartNs: bigint;
  /** The newest span start: the queries' "now" is one ms after it. */
  lastStartNs: bigint;
  /** OTLP/JSON bytes of every export batch (+ one '\n' each), when rendered (traces.synthetic selected). */
  otlpBytes?: number;
  /** That text, one request per line, for the peer compressors; traces.synthetic deletes it. */
  otlpPath?: string;
  oracle: TracesOracle;
  build: {
    writeSeconds: number;
    flushSeconds: number;
    compactSeconds: number;
    backpressure: number;
    stats: TracesStats;
    /** Walk of <dataDir>/spans after compaction, store open. */
    diskBytes: number;
    diskFiles: number;
    diskBreakdown: Record<string, number>;
    /** The same walk after close(), and index.db's pages then. */
    closedDiskBytes: number;
    closedBreakdown: Record<string, number>;
    index: SqlitePageUsage;
    /** The clock when the build started (the day's planned end) minus the newest span start, s: how close to "now" the data ends. */
    endLagSeconds: number;
  };
}

let cached: Promise<TracesDataset> | undefined;

/**
 * The trace rate at which `spans` spans of this seed cover one day. The generator's rate counts
 * front-door requests (queue-worker traces come on top) and spans per request vary with the seed,
 * so a dry run at 1 request/s measures the seconds the stream covers (arrival gaps scale with
 * 1/rate, the contents do not depend on it): ~3 s of generation for 1 M spans, nothing kept.
 */
function tracesPerSecForOneDay(spans: number): number {
  const fromMs = 0;
  let lastStartNs = 0n;
  for (const batch of generateTraces({ spans, seed: TRACES_SEED, fromMs, tracesPerSec: 1, batch: 10_000 })) {
    for (const s of batch) if (s.startNs > lastStartNs) lastStartNs = s.startNs;
  }
  return Number(lastStartNs) / 1e9 / (DAY_MS / 1000);
}

export function tracesDataset(ctx: SuiteContext): Promise<TracesDataset> {
  cached ??= build(ctx);
  return cached;
}

async function build(ctx: SuiteContext): Promise<TracesDataset> {
  const spans = ctx.quick ? 50_000 : 1_000_000;
  const tracesPerSec = tracesPerSecForOneDay(spans);
  const fromMs = Date.now() - DAY_MS;
  const dataDir = makeTempDir('traces-synthetic');
  // Beside spans/, not inside it; only traces.synthetic needs the text (peers, ratio).
  const otlpPath = !ctx.parts || ctx.parts.has('synthetic') ? path.join(dataDir, 'otlp.jsonl') : undefined;
  const oracle: TracesOracle = {
    traces: new TraceShapes(),
    serviceErrors: new NewestSpans(serviceStatus(ERRORS_SERVICE, 'error'), Infinity),
    slow: new NewestSpans(durationAtLeast(SLOW_MS), Infinity),
    newest: new NewestSpans(anySpan, PAGE),
  };
  const collectors = [oracle.serviceErrors, oracle.slow, oracle.newest];
  ctx.progress(`traces dataset: ${spans.toLocaleString('en-US')} spans (seed ${TRACES_SEED}, ${tracesPerSec.toFixed(3)} traces/s: ~1 day) into ${dataDir}`);

  const store = await openTracesStore(dataDir);
  let closed = false;
  let fd: number | undefined = otlpPath ? openSync(otlpPath, 'w') : undefined;
  try {
    const counters: SpanWriteCounters = { spans: 0, backpressure: 0 };
    let otlpBytes = 0;
    let firstStartNs: bigint | undefined;
    let lastStartNs = 0n;
    const t0 = performance.now();
    let nextReport = t0 + 5_000;
    for (const batch of generateTraces({ spans, seed: TRACES_SEED, fromMs, tracesPerSec, batch: EXPORT_BATCH_SPANS })) {
      if (fd !== undefined) otlpBytes += writeSync(fd, toOtlpJson(batch) + '\n');
      for (const s of batch) {
        oracle.traces.observe(s);
        for (const c of collectors) c.observe(s);
        if (firstStartNs === undefined || s.startNs < firstStartNs) firstStartNs = s.startNs;
        if (s.startNs > lastStartNs) lastStartNs = s.startNs;
      }
      await writeSpans(store, batch, counters);
      // One loop turn per batch: sealed blocks come back from the pool on this thread.
      await nextTurn();
      if (performance.now() > nextReport) {
        nextReport += 5_000;
        ctx.progress(`traces dataset: ${counters.spans.toLocaleString('en-US')} spans written`);
      }
    }
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    const t1 = performance.now();
    await store.traces.flush();
    // The tail younger than sealIntervalMs would seal within a second anyway: measure data at rest.
    await store.traces.sealNow();
    const t2 = performance.now();
    await store.traces.compactNow();
    const t3 = performance.now();
    const stats = await store.traces.stats();
    const spansDir = path.join(dataDir, 'spans');
    const walk = dirBytes(spansDir);
    const breakdown = topLevelBytes(spansDir);
    await store.close();
    closed = true;
    const closedWalk = dirBytes(spansDir);
    const closedBreakdown = topLevelBytes(spansDir);
    const index = sqlitePageUsage(path.join(spansDir, 'index.db'));
    ctx.progress(`traces dataset: written in ${((t1 - t0) / 1000).toFixed(1)} s, compaction ${((t3 - t2) / 1000).toFixed(1)} s`);
    return {
      dataDir,
      spans: counters.spans,
      fromMs,
      tracesPerSec,
      firstStartNs: firstStartNs ?? 0n,
      lastStartNs,
      ...(otlpPath ? { otlpPath, otlpBytes } : {}),
      oracle,
      build: {
        writeSeconds: (t1 - t0) / 1000,
        flushSeconds: (t2 - t1) / 1000,
        compactSeconds: (t3 - t2) / 1000,
        backpressure: counters.backpressure,
        stats,
        diskBytes: walk.bytes,
        diskFiles: walk.files,
        diskBreakdown: breakdown,
        closedDiskBytes: closedWalk.bytes,
        closedBreakdown,
        index,
        endLagSeconds: (fromMs + DAY_MS - Number(lastStartNs / 1_000_000n)) / 1000,
      },
    };
  } finally {
    // Only on the error path (a closed fd number may already belong to another file).
    if (fd !== undefined) closeSync(fd);
    if (!closed) await store.close();
  }
}
