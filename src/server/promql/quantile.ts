// Numeric kernels shared by functions and aggregations: compensated summation, the φ-quantile of a
// set of values, and the φ-quantile of classic histogram buckets, each with Prometheus' edge cases.

/** One step of Kahan-Babuška (Neumaier) summation: returns [new sum, new compensation]. */
export function kahanSumInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  return [t, c];
}

/** Ascending with NaN first (Prometheus' vectorByValueHeap order). */
function nanFirstAscending(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
  if (Number.isNaN(b)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * φ-quantile by linear interpolation between the closest ranks (rank = φ·(n−1)); −Inf for φ < 0,
 * +Inf for φ > 1, NaN for no values. Sorts `values` in place.
 */
export function quantile(q: number, values: number[]): number {
  if (values.length === 0) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (Number.isNaN(q)) return NaN;
  values.sort(nanFirstAscending);
  const n = values.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return values[lower] * (1 - weight) + values[upper] * weight;
}

export interface Bucket {
  upperBound: number;
  count: number;
}

/**
 * histogram_quantile over classic cumulative buckets: NaN without a +Inf bucket or with fewer than
 * two distinct bounds or no observations; buckets with equal bounds are merged and counts forced
 * monotonic; linear interpolation inside the bucket holding the rank, the lowest bucket starting at
 * 0 (or returning its bound when that is ≤ 0), and the +Inf bucket answering the second-highest bound.
 */
export function bucketQuantile(q: number, buckets: Bucket[]): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  buckets.sort((a, b) => (a.upperBound < b.upperBound ? -1 : a.upperBound > b.upperBound ? 1 : 0));
  if (buckets[buckets.length - 1].upperBound !== Infinity) return NaN;
  const merged = coalesce(buckets);
  ensureMonotonic(merged);
  if (merged.length < 2) return NaN;
  const observations = merged[merged.length - 1].count;
  if (observations === 0) return NaN;
  let rank = q * observations;
  // First bucket (among all but +Inf) whose cumulative count reaches the rank.
  let b = merged.length - 1;
  for (let i = 0; i < merged.length - 1; i++) {
    if (merged[i].count >= rank) {
      b = i;
      break;
    }
  }
  if (b === merged.length - 1) return merged[merged.length - 2].upperBound;
  if (b === 0 && merged[0].upperBound <= 0) return merged[0].upperBound;
  let bucketStart = 0;
  const bucketEnd = merged[b].upperBound;
  let count = merged[b].count;
  if (b > 0) {
    bucketStart = merged[b - 1].upperBound;
    count -= merged[b - 1].count;
    rank -= merged[b - 1].count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

function coalesce(buckets: Bucket[]): Bucket[] {
  const out: Bucket[] = [{ ...buckets[0] }];
  for (let i = 1; i < buckets.length; i++) {
    const last = out[out.length - 1];
    if (buckets[i].upperBound === last.upperBound) last.count += buckets[i].count;
    else out.push({ ...buckets[i] });
  }
  return out;
}

function ensureMonotonic(buckets: Bucket[]): void {
  let max = -Infinity;
  for (const b of buckets) {
    if (b.count > max) max = b.count;
    else if (b.count < max) b.count = max;
  }
}
