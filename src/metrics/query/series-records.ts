// Per-series label records, packed into one flat Uint32Array instead of one object per series
// (an object or array per series would cost more than the whole per-series budget of the index).
//
// Record layout: [metricSym, pairCount, labelSym0, valueSym0, labelSym1, valueSym1, ...], pairs in
// ascending label-name order. `offsetById` maps a series id to its record (dense Int32Array for
// the usual small dense ids; a Map for ids beyond DENSE_MAX_ID, which would waste a dense table).
// Removal leaves a hole; the store compacts itself when holes outweigh live records.

const DENSE_MAX_ID = 1 << 24;

export class SeriesRecords {
  private data = new Uint32Array(4096);
  private end = 0;
  private holes = 0;
  private offsetById = new Int32Array(1024).fill(-1);
  private readonly sparse = new Map<number, number>();
  private live = 0;

  get count(): number {
    return this.live;
  }

  offsetOf(id: number): number {
    if (id < DENSE_MAX_ID) return id < this.offsetById.length ? this.offsetById[id] : -1;
    return this.sparse.get(id) ?? -1;
  }

  /** Appends a record for `id` (which must not have one). `pairs` = [labelSym, valueSym, ...] in label order. */
  put(id: number, metricSym: number, pairs: ArrayLike<number>): void {
    const len = 2 + pairs.length;
    if (this.end + len > this.data.length) this.growData(len);
    const at = this.end;
    this.data[at] = metricSym;
    this.data[at + 1] = pairs.length >>> 1;
    for (let i = 0; i < pairs.length; i++) this.data[at + 2 + i] = pairs[i];
    this.end += len;
    this.setOffset(id, at);
    this.live++;
  }

  /** Forgets `id`'s record; returns a copy of it (so the caller can release its symbols) or undefined. */
  delete(id: number): Uint32Array | undefined {
    const at = this.offsetOf(id);
    if (at < 0) return undefined;
    const len = 2 + 2 * this.data[at + 1];
    const copy = this.data.slice(at, at + len);
    this.setOffset(id, -1);
    this.live--;
    this.holes += len;
    if (this.holes > 4096 && this.holes * 2 > this.end) this.compact();
    return copy;
  }

  /** The raw record array and offset, for allocation-free reads (valid until the next put/delete). */
  get raw(): Uint32Array {
    return this.data;
  }

  /** Value symbol of `labelSym` in the record at `at`, or -1 if the series lacks that label. */
  valueSym(at: number, labelSym: number): number {
    const d = this.data;
    const n = d[at + 1];
    for (let i = 0, p = at + 2; i < n; i++, p += 2) if (d[p] === labelSym) return d[p + 1];
    return -1;
  }

  private setOffset(id: number, at: number): void {
    if (id >= DENSE_MAX_ID) {
      if (at < 0) this.sparse.delete(id);
      else this.sparse.set(id, at);
      return;
    }
    if (id >= this.offsetById.length) {
      if (at < 0) return;
      let cap = this.offsetById.length * 2;
      while (cap <= id) cap *= 2;
      const grown = new Int32Array(cap).fill(-1);
      grown.set(this.offsetById);
      this.offsetById = grown;
    }
    this.offsetById[id] = at;
  }

  private growData(extra: number): void {
    // 1.5× rather than 2×: this array is most of the index's per-series bytes, so slack counts.
    let cap = Math.ceil(this.data.length * 1.5);
    while (cap < this.end + extra) cap = Math.ceil(cap * 1.5);
    const grown = new Uint32Array(cap);
    grown.set(this.data.subarray(0, this.end));
    this.data = grown;
  }

  private compact(): void {
    const out = new Uint32Array(Math.max(4096, (this.end - this.holes) * 2));
    let w = 0;
    const move = (id: number, at: number): number => {
      const len = 2 + 2 * this.data[at + 1];
      out.set(this.data.subarray(at, at + len), w);
      w += len;
      return w - len;
    };
    for (let id = 0; id < this.offsetById.length; id++) {
      const at = this.offsetById[id];
      if (at >= 0) this.offsetById[id] = move(id, at);
    }
    for (const [id, at] of this.sparse) this.sparse.set(id, move(id, at));
    this.data = out;
    this.end = w;
    this.holes = 0;
  }
}
