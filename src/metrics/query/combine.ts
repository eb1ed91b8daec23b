// Cross-series aggregation for groupBy: per-series step outputs → one series per group.
//
// Every input series must come from aggregateSteps/aggregateRollups with the same fromMs and
// stepMs, so equal timestamps mean the same bucket. A timestamp present in some series only is
// combined over the series that have it. How the per-series agg combines across series:
//   sum, rate, increase → sum (a group's rate is the sum of its series' rates)
//   count               → sum (points in the group per step, not the number of series)
//   avg                 → mean of the series' averages (each series weighs the same)
//   min / max           → min / max
//   last                → the value of the last series in list order that has the bucket
//                          (callers pass series sorted by labels, so the choice is stable)

import { checkAgg } from './validate.js';
import type { Labels, StepAgg, StepSeries, TimeSeries } from './types.js';

export function combineSeries(list: readonly TimeSeries[], agg: StepAgg): StepSeries {
  checkAgg(agg);
  const k = list.length;
  let cap = 0;
  for (const s of list) cap = Math.max(cap, s.tsMs.length);
  const pos = new Int32Array(k);
  let outTs: Float64Array = new Float64Array(cap);
  let outV: Float64Array = new Float64Array(cap);
  let w = 0;
  // k-way merge: each output timestamp costs one pass over the k cursors. Outputs are few (≤ a few
  // hundred steps), so this beats hashing every point into a map and sorting.
  for (;;) {
    let t = Infinity;
    for (let j = 0; j < k; j++) {
      const ts = list[j].tsMs;
      if (pos[j] < ts.length && ts[pos[j]] < t) t = ts[pos[j]];
    }
    if (t === Infinity) break;
    let acc = agg === 'min' ? Infinity : agg === 'max' ? -Infinity : 0;
    let n = 0;
    let last = NaN;
    for (let j = 0; j < k; j++) {
      const s = list[j];
      if (pos[j] >= s.tsMs.length || s.tsMs[pos[j]] !== t) continue;
      const v = s.values[pos[j]++];
      if (Number.isNaN(v)) continue;
      n++;
      last = v;
      if (agg === 'min') acc = v < acc ? v : acc;
      else if (agg === 'max') acc = v > acc ? v : acc;
      else acc += v;
    }
    if (n === 0) continue;
    if (w === outTs.length) {
      outTs = grow(outTs);
      outV = grow(outV);
    }
    outTs[w] = t;
    outV[w] = agg === 'avg' ? acc / n : agg === 'last' ? last : acc;
    w++;
  }
  return { tsMs: outTs.slice(0, w), values: outV.slice(0, w) };
}

function grow(a: Float64Array): Float64Array {
  const b = new Float64Array(Math.max(16, a.length * 2));
  b.set(a);
  return b;
}

/** The labels of `labels` named in `groupBy` (absent/empty ones omitted): the group's own labels. */
export function groupLabels(labels: Labels, groupBy: readonly string[]): Labels {
  const out: Labels = {};
  for (const l of [...groupBy].sort()) {
    const v = labels[l];
    if (v !== undefined && v !== '') out[l] = v;
  }
  return out;
}

/** A stable string key for the group of `labels` under `groupBy` (absent label = ""). */
export function groupKey(labels: Labels, groupBy: readonly string[]): string {
  return JSON.stringify([...groupBy].sort().map((l) => labels[l] ?? ''));
}

/** Orders label sets the way query results are sorted: by sorted label names, then values. */
export function compareLabels(a: Labels, b: Labels): number {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
    if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    const va = a[ka[i]];
    const vb = b[kb[i]];
    if (va !== vb) return va < vb ? -1 : 1;
  }
  return ka.length - kb.length;
}

export interface LabeledSeries extends TimeSeries {
  labels: Labels;
}

/**
 * groupBy in one call: groups per-series step outputs by `groupBy` labels, combines each group
 * with `combineSeries`, and returns the groups sorted by their labels. Within a group, series are
 * combined in label order (that is what "last" picks from).
 */
export function groupSeries(
  list: readonly LabeledSeries[],
  groupBy: readonly string[],
  agg: StepAgg,
): Array<{ labels: Labels; tsMs: Float64Array; values: Float64Array }> {
  checkAgg(agg);
  const groups = new Map<string, { labels: Labels; members: LabeledSeries[] }>();
  for (const s of list) {
    const key = groupKey(s.labels, groupBy);
    let g = groups.get(key);
    if (!g) {
      g = { labels: groupLabels(s.labels, groupBy), members: [] };
      groups.set(key, g);
    }
    g.members.push(s);
  }
  const out: Array<{ labels: Labels; tsMs: Float64Array; values: Float64Array }> = [];
  for (const g of groups.values()) {
    g.members.sort((a, b) => compareLabels(a.labels, b.labels));
    const combined = combineSeries(g.members, agg);
    out.push({ labels: g.labels, ...combined });
  }
  return out.sort((a, b) => compareLabels(a.labels, b.labels));
}
