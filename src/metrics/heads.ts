// Per-series in-memory heads: the points written since the series' last cut, interleaved
// (tsMs, value) in one Float64Array that starts tiny and grows geometrically, so 100 k mostly idle
// series cost a few hundred bytes each. Points are kept in arrival order; sorting and duplicate
// resolution (last write wins) happen when the head is sealed in a worker, or on read.

const INITIAL_POINTS = 4;

export class Head {
  buf: Float64Array;
  n = 0;
  minTsMs = Infinity;
  maxTsMs = -Infinity;
  /** WAL write sequence of the newest point here. */
  lastSeq = 0;

  constructor(capacityPoints = INITIAL_POINTS) {
    this.buf = new Float64Array(2 * capacityPoints);
  }

  append(tsMs: number, value: number, seq: number, maxPoints: number): void {
    if (2 * this.n === this.buf.length) this.grow(maxPoints);
    const i = 2 * this.n++;
    this.buf[i] = tsMs;
    this.buf[i + 1] = value;
    if (tsMs < this.minTsMs) this.minTsMs = tsMs;
    if (tsMs > this.maxTsMs) this.maxTsMs = tsMs;
    this.lastSeq = seq;
  }

  private grow(maxPoints: number): void {
    const points = Math.max(INITIAL_POINTS, Math.min(Math.max(maxPoints, this.n + 1), this.n * 2));
    const next = new Float64Array(2 * points);
    next.set(this.buf);
    this.buf = next;
  }

  /** Bytes this head holds (what backpressure counts). */
  get bytes(): number {
    return this.buf.byteLength;
  }

  /** Sorted copy (by time, last write wins for equal timestamps) — for reads on the main thread. */
  sortedCopy(): { tsMs: Float64Array; values: Float64Array } {
    return sortDedupe(this.buf, this.n);
  }
}

/**
 * Sorts interleaved (tsMs, value) pairs by time; for equal timestamps the later pair (in input
 * order) wins. Stable: indexes sorted by (ts, original position).
 */
export function sortDedupe(pairs: Float64Array, n: number): { tsMs: Float64Array; values: Float64Array } {
  let sorted = true;
  for (let i = 1; i < n; i++) {
    if (pairs[2 * i] <= pairs[2 * i - 2]) {
      sorted = false;
      break;
    }
  }
  if (sorted) {
    const tsMs = new Float64Array(n);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      tsMs[i] = pairs[2 * i];
      values[i] = pairs[2 * i + 1];
    }
    return { tsMs, values };
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => pairs[2 * a] - pairs[2 * b] || a - b);
  let m = 0;
  const tsMs = new Float64Array(n);
  const values = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const i = order[k];
    const t = pairs[2 * i];
    if (m > 0 && tsMs[m - 1] === t) {
      values[m - 1] = pairs[2 * i + 1];
    } else {
      tsMs[m] = t;
      values[m] = pairs[2 * i + 1];
      m++;
    }
  }
  return { tsMs: tsMs.slice(0, m), values: values.slice(0, m) };
}
