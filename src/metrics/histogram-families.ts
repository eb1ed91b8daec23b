// Which raw compaction groups form one histogram's buckets (packed together as group blocks, see
// group-block.ts): groups of `<name>_bucket` series whose labels are equal except `le`, covering the
// same cell, ordered by numeric `le` (`+Inf` last). Runs on the main thread, from catalog names.
import type { Labels } from './types.js';

export interface FamilyCandidate {
  seriesId: number;
  /** The packing cell the group starts in: only groups of one cell are packed together. */
  cell: number;
}

const BUCKET_SUFFIX = '_bucket';

/** The numeric bound of an `le` label value; undefined when it is not one (such a series is not grouped). */
export function leBound(le: string | undefined): number | undefined {
  if (le === undefined) return undefined;
  if (le === '+Inf' || le === 'Inf') return Infinity;
  const v = Number(le);
  return le.trim() !== '' && Number.isFinite(v) ? v : undefined;
}

/**
 * Families of ≥ 2 candidates (indexes into `candidates`), each ordered by `le`. A family with two
 * series of the same bound is left out: its cumulative order would be ambiguous.
 */
export function histogramFamilies(candidates: readonly FamilyCandidate[], nameOf: (id: number) => string, labelsOf: (id: number) => Labels): number[][] {
  const byKey = new Map<string, Array<{ i: number; le: number }>>();
  candidates.forEach((c, i) => {
    const name = nameOf(c.seriesId);
    if (!name.endsWith(BUCKET_SUFFIX)) return;
    const { le, ...rest } = labelsOf(c.seriesId);
    const bound = leBound(le);
    if (bound === undefined) return;
    const key = JSON.stringify([name, c.cell, Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push({ i, le: bound });
  });
  const out: number[][] = [];
  for (const list of byKey.values()) {
    if (list.length < 2) continue;
    list.sort((a, b) => a.le - b.le);
    if (list.some((m, k) => k > 0 && m.le === list[k - 1].le)) continue;
    out.push(list.map((m) => m.i));
  }
  return out;
}
