// The synthetic logs dataset (issue #4): 1,000,000 "Node web app" entries (50,000 with --quick) from
// bench/gen/nodelogs.ts, written through tl.logs.write() as fast as it goes, then flush(), sealNow()
// (the hot tail an app would seal within a second: bytes are measured on data at rest) and
// compactNow(). Built once per bench process: logs.synthetic measures its bytes, logs.query reopens
// it. While generating, the same entries are rendered as pino NDJSON lines (the raw the ratio is
// measured on; kept in a file for the peer compressors when logs.synthetic is selected) and seen by
// the query oracle's collectors.
import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { generateNodeLogs, toNdjsonLine } from '../gen/nodelogs.js';
import type { LogInput, LogsStats } from '../../src/logs/types.js';
import { dirBytes, topLevelBytes } from './disk.js';
import { atLeast, attributeEquals, MatchCollector, messageContains } from './logs-oracle.js';
import { openLogsStore, writeLogs, type LogWriteCounters } from './logs-store.js';
import type { SuiteContext } from './report.js';
import { makeTempDir } from './temp-dirs.js';

export const LOGS_SEED = 44;
export const LOGS_RATE_PER_SEC = 200;
const DAY_MS = 86_400_000;
/** Entries per generated batch and per write loop turn. */
const BATCH = 1_000;
/** The attribute-equality query's filter: one route among 14, ~8.5% of entries. */
export const QUERY_ROUTE = '/api/orders/:id';
/** A word no generated message contains (checked while generating). */
export const ABSENT_NEEDLE = 'Xylophone-Quokka-7731';
export const SUBSTRING_NEEDLE = 'ECONNREFUSED';
/** Page size of every timed query. */
export const PAGE = 100;

export interface LogsOracle {
  /** Every error/fatal entry (the time filter is applied once the dataset's end is known). */
  errors: MatchCollector;
  route: MatchCollector;
  /** A user id seen in the first minutes: its entries are spread over the whole dataset. */
  user: MatchCollector;
  userId: string;
  substring: MatchCollector;
  absent: MatchCollector;
  newest: MatchCollector;
}

export interface LogsDataset {
  dataDir: string;
  entries: number;
  fromMs: number;
  firstNs: bigint;
  lastNs: bigint;
  /** Bytes of the pino NDJSON lines (each + '\n'). */
  ndjsonBytes: number;
  /** The NDJSON file (beside logs/), when logs.synthetic is selected; it deletes the file. */
  ndjsonPath?: string;
  oracle: LogsOracle;
  build: {
    writeSeconds: number;
    flushSeconds: number;
    compactSeconds: number;
    backpressure: number;
    stats: LogsStats;
    /** Walk of <dataDir>/logs after compaction, store open. */
    diskBytes: number;
    diskFiles: number;
    diskBreakdown: Record<string, number>;
    /** The same walk after close(). */
    closedDiskBytes: number;
  };
}

let cached: Promise<LogsDataset> | undefined;

/** The user id of the last entry carrying one among the first 5,000 entries of the same stream. */
function pickUserId(fromMs: number): string {
  let id = '';
  for (const batch of generateNodeLogs({ entries: 5_000, seed: LOGS_SEED, fromMs, ratePerSec: LOGS_RATE_PER_SEC })) {
    for (const e of batch) if (typeof e.attributes?.['user.id'] === 'string') id = e.attributes['user.id'];
  }
  if (!id) throw new Error('logs dataset: no user.id in the first 5,000 generated entries');
  return id;
}

export function logsDataset(ctx: SuiteContext): Promise<LogsDataset> {
  cached ??= build(ctx);
  return cached;
}

async function build(ctx: SuiteContext): Promise<LogsDataset> {
  const entries = ctx.quick ? 50_000 : 1_000_000;
  // Starts 2 h before the last UTC midnight: 1 M entries at 200/s last ~83 min, so the data is recent
  // (inside the default 7-day retention) and lies in one UTC day on every run.
  const fromMs = Math.floor(Date.now() / DAY_MS) * DAY_MS - 2 * 3_600_000;
  const dataDir = makeTempDir('logs-synthetic');
  // Beside logs/, not inside it; only logs.synthetic's peers read it (minutes of brotli and zstd).
  const ndjsonPath = !ctx.parts || ctx.parts.has('synthetic') ? path.join(dataDir, 'raw.ndjson') : undefined;
  const userId = pickUserId(fromMs);
  const oracle: LogsOracle = {
    errors: new MatchCollector(atLeast('error'), Infinity),
    route: new MatchCollector(attributeEquals('http.route', QUERY_ROUTE), PAGE),
    user: new MatchCollector(attributeEquals('user.id', userId), PAGE),
    userId,
    substring: new MatchCollector(messageContains(SUBSTRING_NEEDLE), PAGE),
    absent: new MatchCollector(messageContains(ABSENT_NEEDLE), PAGE),
    newest: new MatchCollector(() => true, PAGE),
  };
  const collectors = [oracle.errors, oracle.route, oracle.user, oracle.substring, oracle.absent, oracle.newest];
  ctx.progress(`logs dataset: ${entries.toLocaleString('en-US')} entries (seed ${LOGS_SEED}, ${LOGS_RATE_PER_SEC}/s) into ${dataDir}`);

  const store = await openLogsStore(dataDir);
  let closed = false;
  let fd: number | undefined = ndjsonPath ? openSync(ndjsonPath, 'w') : undefined;
  try {
    const counters: LogWriteCounters = { entries: 0, backpressure: 0 };
    let ndjsonBytes = 0;
    let firstNs: bigint | undefined;
    let lastNs = 0n;
    const t0 = performance.now();
    let nextReport = t0 + 5_000;
    for (const batch of generateNodeLogs({ entries, seed: LOGS_SEED, fromMs, ratePerSec: LOGS_RATE_PER_SEC, batch: BATCH })) {
      let text = '';
      for (const e of batch) {
        text += toNdjsonLine(e) + '\n';
        for (const c of collectors) c.observe(e);
      }
      ndjsonBytes += fd !== undefined ? writeSync(fd, text) : Buffer.byteLength(text);
      firstNs ??= batch[0].tsNs as bigint;
      lastNs = (batch[batch.length - 1] as LogInput).tsNs as bigint;
      await writeLogs(store, batch, counters);
      // One loop turn per batch: sealed blocks come back from the pool on this thread.
      await nextTurn();
      if (performance.now() > nextReport) {
        nextReport += 5_000;
        ctx.progress(`logs dataset: ${counters.entries.toLocaleString('en-US')} entries written`);
      }
    }
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    const t1 = performance.now();
    await store.logs.flush();
    // The tail younger than sealIntervalMs would seal within a second anyway: measure data at rest.
    await store.logs.sealNow();
    const t2 = performance.now();
    await store.logs.compactNow();
    const t3 = performance.now();
    const stats = await store.logs.stats();
    const logsDir = path.join(dataDir, 'logs');
    const walk = dirBytes(logsDir);
    const breakdown = topLevelBytes(logsDir);
    await store.close();
    closed = true;
    const closedWalk = dirBytes(logsDir);
    ctx.progress(`logs dataset: written in ${((t1 - t0) / 1000).toFixed(1)} s, compaction ${((t3 - t2) / 1000).toFixed(1)} s`);
    return {
      dataDir,
      entries,
      fromMs,
      firstNs: firstNs ?? 0n,
      lastNs,
      ndjsonBytes,
      ...(ndjsonPath ? { ndjsonPath } : {}),
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
      },
    };
  } finally {
    // Only on the error path (a closed fd number may already belong to another file).
    if (fd !== undefined) closeSync(fd);
    if (!closed) await store.close();
  }
}
