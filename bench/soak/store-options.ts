// The soak store's options, shared by the child (which serves it) and the driver (which opens the
// same directory, and the last backup, for the final read-back).
import type { TimelessOptions } from '../../src/index.js';

/**
 * Every signal keeps one day. The driver backdates its pre-soak batch by two days, so retention has
 * something real to drop each run, while acknowledged soak data (stamped "now") is never eligible.
 * Size caps stay at their defaults (512 MiB): a cap small enough to bite within a minute would drop
 * acknowledged soak data, which the oracle could not tell from a loss.
 */
export const SOAK_MAX_AGE_SEC = 86_400;

export function storeOptions(dataDir: string, o: { retentionIntervalSec: number; runtimeMetrics: boolean }): TimelessOptions {
  return {
    dataDir,
    runtimeMetrics: o.runtimeMetrics ? { intervalMs: 1000 } : false,
    retention: {
      rawMaxAgeSec: SOAK_MAX_AGE_SEC,
      intervalSec: o.retentionIntervalSec,
      logs: { maxAgeSec: SOAK_MAX_AGE_SEC },
      traces: { maxAgeSec: SOAK_MAX_AGE_SEC },
    },
    // Small blocks, WAL checkpoints and seals every second or so, compaction every 5 s: within a
    // minute every path (cut, checkpoint, seal, compaction, retention) runs many times.
    metrics: { blockPoints: 256, walMaxBytes: 64 << 10, autoFlushMs: 500, compactIntervalMs: 5000 },
    logs: { sealEntries: 2048, sealIntervalMs: 1000, compactIntervalMs: 5000 },
    traces: { sealSpans: 1024, sealIntervalMs: 1000, compactIntervalMs: 5000 },
  };
}
