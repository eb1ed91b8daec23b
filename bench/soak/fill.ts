// The warm-up burst each store process gets before its RSS is judged: enough logs and spans, sent
// as fast as the store acknowledges them, for compaction to run groups of its largest size
// (logs GROUP_ENTRIES, spans GROUP_SPANS), and a couple of thousand points per metric series.
//
// Why: a compaction task's memory (decoded entries in the worker, block buffers, wasm scratch) grows
// with its group, and a process keeps what its largest task needed (V8 heaps and malloc arenas do not
// give pages back while a pool thread waits for work). At the soak's steady 200 entries/s the small
// class-A block that compaction rewrites each run only reaches its bound (~32-65 k entries) minutes
// into a process, so without this burst a bounded working set shows up as "growth" long after any
// fixed warm-up time (measured: 10-23 % over 2-5 minute processes; flat after this burst).
import { setTimeout as sleep } from 'node:timers/promises';
import { GROUP_ENTRIES } from '../../src/logs/compaction.js';
import { GROUP_SPANS } from '../../src/traces/compaction.js';
import { METRIC_SERIES, type Signal } from './items.js';
import { sendBatch, type IngestCounters } from './ingest.js';
import type { Oracle } from './oracle.js';

/**
 * Items per burst. Logs: the soak's levels rotate debug/info/warn/error, so class A (≤ info) is half
 * of them; 2.2 × GROUP_ENTRIES gives class A more than one full group. Spans: 1.25 full groups.
 */
export const FILL_ITEMS: Record<Signal, number> = {
  metrics: METRIC_SERIES * 2048,
  logs: Math.ceil(2.2 * GROUP_ENTRIES),
  spans: Math.ceil(1.25 * GROUP_SPANS),
};
/** Items per request: large batches, as a bulk loader would send (well under the body limit). */
const FILL_BATCH: Record<Signal, number> = { metrics: METRIC_SERIES * 128, logs: 2000, spans: 1000 };
/** A refused batch (429 while sealing catches up) is retried with new items after this pause. */
const RETRY_PAUSE_MS = 200;
/** Gives up when this many batches in a row fail: the store is not taking anything. */
const MAX_FAILURES_IN_A_ROW = 100;

export interface FillResult {
  acknowledged: Record<Signal, number>;
  elapsedMs: number;
  /** Where the next burst's stamps start (past every stamp this one issued, failed batches included). */
  nextFromMs: number;
}

/**
 * Sends FILL_ITEMS of each signal (phase 'fill'). Stamps: one millisecond apart from `fromMs` per
 * signal (metric points: one round of the series per millisecond), which the caller puts well before
 * any live-query window (a window holding 100 k fill entries would crowd its soak items out of the
 * answer's page) and, for a later burst, at the previous result's `nextFromMs`. Acknowledged items go
 * into the oracle like any other and are judged by the read-back.
 */
export async function fillBurst(url: string, oracle: Oracle, c: Record<Signal, IngestCounters>, fromMs: number): Promise<FillResult> {
  const t0 = Date.now();
  const acknowledged: Record<Signal, number> = { metrics: 0, logs: 0, spans: 0 };
  let lastMs = fromMs;
  for (const s of ['logs', 'spans', 'metrics'] as const) {
    // Items (metrics: rounds) issued so far, failed batches included: stamps never repeat.
    let issued = 0;
    for (let failures = 0; acknowledged[s] < FILL_ITEMS[s]; ) {
      const n = Math.min(FILL_BATCH[s], FILL_ITEMS[s] - acknowledged[s]);
      const first = issued;
      const per = s === 'metrics' ? METRIC_SERIES : 1;
      issued += n / per;
      lastMs = Math.max(lastMs, fromMs + issued);
      if (await sendBatch(url, oracle, s, n, (i) => fromMs + first + Math.floor(i / per), 'fill', c[s])) {
        acknowledged[s] += n;
        failures = 0;
      } else {
        if (++failures >= MAX_FAILURES_IN_A_ROW) throw new Error(`soak: the store refused ${failures} ${s} fill batches in a row`);
        await sleep(RETRY_PAUSE_MS);
      }
    }
  }
  return { acknowledged, elapsedMs: Date.now() - t0, nextFromMs: lastMs + 1 };
}
