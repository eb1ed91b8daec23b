// Opening a store for a logs bench and writing entries into it through the public API (DESIGN.md §6),
// the way an app does: tl.logs.write() per entry, and on BACKPRESSURE an awaited flush() and a retry.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Timeless } from '../../src/index.js';
import type { LogInput, LogsOptions } from '../../src/logs/types.js';
import { isBackpressure } from './bench-store.js';

export type LogsBenchStore = Awaited<ReturnType<typeof Timeless.open>>;

/**
 * A store as an app runs it: the engine's defaults, background compaction included (sealing writes
 * RAW blocks; compaction turns them into columnar ones in the pool while ingest goes on, so ingest
 * numbers include its cost). The benches still call compactNow() before measuring bytes or queries,
 * so those see data at rest (no RAW block left). Only retention never runs (the data is synthetic
 * and its clock may be old).
 */
export function openLogsStore(dataDir: string, logs: LogsOptions = {}): Promise<LogsBenchStore> {
  return Timeless.open({ dataDir, logs, runtimeMetrics: false, retention: { intervalSec: 0 } });
}

export interface LogWriteCounters {
  entries: number;
  /** write() calls refused with BACKPRESSURE (each retried after an awaited flush()). */
  backpressure: number;
}

/**
 * Writes entries[from, to) one write() each. A refused entry is not applied (the engine checks before
 * it appends), so it is retried after flush(); the entry count is checked against stats() afterwards.
 */
export async function writeLogs(store: LogsBenchStore, entries: readonly LogInput[], counters: LogWriteCounters, from = 0, to = entries.length): Promise<void> {
  const logs = store.logs;
  let i = from;
  let retries = 0;
  while (i < to) {
    try {
      for (; i < to; i++) logs.write(entries[i]);
    } catch (err) {
      if (!isBackpressure(err) || ++retries > 1000) throw err;
      counters.backpressure++;
      await logs.flush();
      await nextTurn();
    }
  }
  counters.entries += to - from;
}
