// Which raw compaction groups form one histogram's buckets (packed together as group blocks, see
// group-block.ts): groups of `<name>_bucket` series whose labels are equal except `le`, covering the
// same cell, ordered by numeric `le` (`+Inf` last), followed by the histogram's `<name>_count` (same
// labels, no `le`): it equals the `+Inf` bucket, so as a difference column it costs almost nothing
// (measured −0.03 B/pt on the standard telemetry). Runs on the main thread, from catalog names.
import type { Labels } from './types.js';

export interface FamilyCandidate {
  seriesId: number;
  /** The packing cell the group starts in: only groups of one cell are packed together. */
  cell: number;
}

const BUCKET_SUFFIX = '_bucket';
const COUNT_SUFFIX = '_count';

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
  // rank 0 = a bucket (ordered by le), 1 = the family's _count (after every bucket).
  const byKey = new Map<string, Array<{ i: number; le: number; rank: number }>>();
  const familyKey = (base: string, cell: number, rest: Labels) =>
    JSON.stringify([base, cell, Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
  candidates.forEach((c, i) => {
    const name = nameOf(c.seriesId);
    const { le, ...rest } = labelsOf(c.seriesId);
    let key: string;
    let member: { i: number; le: number; rank: number };
    if (name.endsWith(BUCKET_SUFFIX)) {
      const bound = leBound(le);
      if (bound === undefined) return;
      key = familyKey(name.slice(0, -BUCKET_SUFFIX.length), c.cell, rest);
      member = { i, le: bound, rank: 0 };
    } else if (name.endsWith(COUNT_SUFFIX) && le === undefined) {
      key = familyKey(name.slice(0, -COUNT_SUFFIX.length), c.cell, rest);
      member = { i, le: Infinity, rank: 1 };
    } else {
      return;
    }
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push(member);
  });
  const out: number[][] = [];
  for (const list of byKey.values()) {
    const buckets = list.filter((m) => m.rank === 0);
    if (buckets.length < 2) continue;
    buckets.sort((a, b) => a.le - b.le);
    if (buckets.some((m, k) => k > 0 && m.le === buckets[k - 1].le)) continue;
    const counts = list.filter((m) => m.rank === 1);
    out.push([...buckets, ...counts].map((m) => m.i));
  }
  return out;
}
