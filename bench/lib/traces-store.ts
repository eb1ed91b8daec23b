// Opening a store for a traces bench and writing spans into it through the public API (DESIGN.md §6),
// the way an exporter does: tl.traces.write(batch) per export batch, and on BACKPRESSURE an awaited
// flush() and a retry.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Timeless } from '../../src/index.js';
import type { SpanInput, TracesOptions } from '../../src/traces/types.js';
import { isBackpressure } from './bench-store.js';

export type TracesBenchStore = Awaited<ReturnType<typeof Timeless.open>>;

/**
 * A store as an app runs it: the engine's defaults, background compaction included (sealing writes
 * RAW blocks; compaction turns them into columnar ones in the pool while ingest goes on, so ingest
 * numbers include its cost). The benches call compactNow() before measuring bytes or queries, so
 * those see data at rest. Only retention never runs (the bench decides what the clock says).
 */
export function openTracesStore(dataDir: string, traces: TracesOptions = {}): Promise<TracesBenchStore> {
  return Timeless.open({ dataDir, traces, runtimeMetrics: false, retention: { intervalSec: 0 } });
}

export interface SpanWriteCounters {
  spans: number;
  /** write() calls refused with BACKPRESSURE (each retried after an awaited flush()). */
  backpressure: number;
}

/**
 * One write(batch) call. A batch is all or nothing (the engine checks pressure before it appends),
 * so a refused batch is retried whole after flush(); the span count is checked against stats().
 */
export async function writeSpans(store: TracesBenchStore, batch: readonly SpanInput[], counters: SpanWriteCounters): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      store.traces.write(batch as SpanInput[]);
      counters.spans += batch.length;
      return;
    } catch (err) {
      if (!isBackpressure(err) || attempt >= 1000) throw err;
      counters.backpressure++;
      await store.traces.flush();
      await nextTurn();
    }
  }
}
