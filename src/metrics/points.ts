// Merging point runs of one series (decoded blocks in write order, then the head) into one sorted
// run where, for equal timestamps, the later source wins. Pure; used on the main thread for small
// reads and inside workers for big ones and for compaction.
import { sortDedupe } from './heads.js';
import { lowerBound } from './query/sorted.js';

export interface PointRun {
  tsMs: Float64Array;
  values: Float64Array;
}

/** `runs` must be in write order (oldest first). Each run is sorted and duplicate-free. */
export function mergeRuns(runs: PointRun[]): PointRun {
  const live = runs.filter((r) => r.tsMs.length > 0);
  if (live.length === 0) return { tsMs: new Float64Array(0), values: new Float64Array(0) };
  if (live.length === 1) return live[0];
  // Common case: runs are disjoint and already in time order → plain concatenation.
  let ordered = true;
  for (let i = 1; i < live.length && ordered; i++) {
    if (live[i].tsMs[0] <= live[i - 1].tsMs[live[i - 1].tsMs.length - 1]) ordered = false;
  }
  let total = 0;
  for (const r of live) total += r.tsMs.length;
  if (ordered) {
    const tsMs = new Float64Array(total);
    const values = new Float64Array(total);
    let at = 0;
    for (const r of live) {
      tsMs.set(r.tsMs, at);
      values.set(r.values, at);
      at += r.tsMs.length;
    }
    return { tsMs, values };
  }
  const pairs = new Float64Array(2 * total);
  let k = 0;
  for (const r of live) {
    for (let i = 0; i < r.tsMs.length; i++) {
      pairs[k++] = r.tsMs[i];
      pairs[k++] = r.values[i];
    }
  }
  return sortDedupe(pairs, total);
}

/** The points of a run within [fromMs, toMs] (views, no copy). */
export function clipRun(run: PointRun, fromMs: number, toMs: number): PointRun {
  const lo = lowerBound(run.tsMs, 0, run.tsMs.length, fromMs);
  const hi = lowerBound(run.tsMs, 0, run.tsMs.length, toMs + 1);
  return { tsMs: run.tsMs.subarray(lo, hi), values: run.values.subarray(lo, hi) };
}

