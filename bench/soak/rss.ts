// Resident memory over time and its growth after warm-up, per store process (a restart starts a
// new process, so each incarnation is judged on its own).
import { median } from '../lib/stats.js';

export interface RssSample {
  /** Seconds since the soak started. */
  tSec: number;
  incarnation: number;
  rssMb: number;
  /** The child's JS heap in use at its last report (MB): tells heap growth from native growth. */
  heapUsedMb?: number;
}

export interface RssGrowth {
  incarnation: number;
  /** Median RSS just after warm-up, and over the last 10 % of the incarnation. */
  afterWarmupMb: number;
  endMb: number;
  growthPct: number;
}

/**
 * Warm-up of an incarnation ends at `warmEndSec.get(incarnation)` (the driver's: its fill burst sent
 * and compaction given time to run over it, fill.ts) and never before 10 s into its life (heaps, JIT
 * and the pool's workers reach their working size). "Just after warm-up" and "end" are each 10 % of
 * the incarnation's samples (at least 3), so one GC's swing does not decide the figure. An
 * incarnation with too few samples after its warm-up is not judged (the CI run's 30 s processes).
 */
export function rssGrowth(samples: RssSample[], warmEndSec: ReadonlyMap<number, number>): RssGrowth[] {
  const out: RssGrowth[] = [];
  const incarnations = [...new Set(samples.map((s) => s.incarnation))];
  for (const inc of incarnations) {
    const own = samples.filter((s) => s.incarnation === inc);
    if (own.length < 10) continue;
    const warmEnd = Math.max(own[0].tSec + 10, warmEndSec.get(inc) ?? Infinity);
    const afterWarm = own.filter((s) => s.tSec >= warmEnd);
    const n = Math.max(3, Math.round(own.length / 10));
    if (afterWarm.length < 2 * n) continue;
    const a = median(afterWarm.slice(0, n).map((s) => s.rssMb));
    const b = median(own.slice(-n).map((s) => s.rssMb));
    out.push({ incarnation: inc, afterWarmupMb: round1(a), endMb: round1(b), growthPct: round1(((b - a) / a) * 100) });
  }
  return out;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
