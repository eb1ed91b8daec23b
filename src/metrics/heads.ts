// Per-series in-memory heads: the points written since the series' last cut, interleaved
// (tsMs, value). Points are kept in arrival order; sorting and duplicate resolution (last write
// wins) happen when the head is sealed in a worker, or on read.
//
// Memory: 100 k mostly idle series must cost little each, and one ArrayBuffer per series costs
// ~200 B of wrapper objects plus allocator slack on top of its data (measured: ~3.1 kB RSS per
// series at 30 points). So heads live in shared slabs: per size class (capacities ~√2 apart), big
// Float64Array chunks cut into equal slots with a free list; a head owns one slot and moves to the
// next class when full. Only heads past the largest class get an array of their own.

const INITIAL_POINTS = 4;
/** Slot capacities in points, ~√2 apart (≤ 30 % slack, few copies while growing). */
const CLASS_POINTS = [4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384];
const LARGEST_CLASS_POINTS = CLASS_POINTS[CLASS_POINTS.length - 1];
/** Doubles per slab chunk (128 KiB): small classes get many slots per chunk, the largest one. */
const CHUNK_DOUBLES = 16_384;

interface SizeClass {
  points: number;
  slotsPerChunk: number;
  chunks: Array<Float64Array | undefined>;
  /** Live slots per chunk (a chunk with none is given back once enough free slots remain). */
  used: number[];
  /** Free global slot numbers (chunk * slotsPerChunk + index). */
  free: number[];
  /** Chunk numbers given back, reused before new ones. */
  deadChunks: number[];
}

/** The slab allocator behind an engine's heads (one per engine: closing it frees everything). */
export class HeadSlabs {
  private readonly classes: SizeClass[] = CLASS_POINTS.map((points) => ({
    points,
    slotsPerChunk: Math.max(1, Math.floor(CHUNK_DOUBLES / (2 * points))),
    chunks: [],
    used: [],
    free: [],
    deadChunks: [],
  }));

  /** Slab chunks allocated. */
  get chunkCount(): number {
    let n = 0;
    for (const c of this.classes) for (const chunk of c.chunks) if (chunk) n++;
    return n;
  }

  /** Bytes of slab chunks allocated (live and free slots). */
  get chunkBytes(): number {
    let bytes = 0;
    for (const c of this.classes) for (const chunk of c.chunks) if (chunk) bytes += chunk.byteLength;
    return bytes;
  }

  /** Gives `head` storage for at least `points` points (its previous storage is not touched). */
  place(head: Head, points: number): void {
    const cls = classOf(points);
    if (cls < 0) {
      head.buf = new Float64Array(2 * points);
      head.off = 0;
      head.cap = points;
      head.cls = -1;
      head.slot = -1;
      return;
    }
    const c = this.classes[cls];
    if (c.free.length === 0) this.addChunk(c);
    const slot = c.free.pop() as number;
    const chunk = Math.floor(slot / c.slotsPerChunk);
    c.used[chunk]++;
    head.buf = c.chunks[chunk] as Float64Array;
    head.off = (slot - chunk * c.slotsPerChunk) * 2 * c.points;
    head.cap = c.points;
    head.cls = cls;
    head.slot = slot;
  }

  /** Returns `head`'s slot to its class (the head must not use it afterwards). */
  release(head: Head): void {
    if (head.cls >= 0) this.releaseSlot(head.cls, head.slot);
    head.cls = -1;
    head.slot = -1;
  }

  releaseSlot(cls: number, slot: number): void {
    const c = this.classes[cls];
    const chunk = Math.floor(slot / c.slotsPerChunk);
    c.free.push(slot);
    // An emptied chunk goes back unless it holds the class's only free slots (keeps one spare chunk).
    if (--c.used[chunk] === 0 && c.free.length > c.slotsPerChunk) this.dropChunk(c, chunk);
  }

  private addChunk(c: SizeClass): void {
    const chunk = c.deadChunks.pop() ?? c.chunks.length;
    c.chunks[chunk] = new Float64Array(c.slotsPerChunk * 2 * c.points);
    c.used[chunk] = 0;
    // Pushed high to low so slots are handed out in address order.
    for (let i = c.slotsPerChunk - 1; i >= 0; i--) c.free.push(chunk * c.slotsPerChunk + i);
  }

  /** Gives an empty chunk back (its slots leave the free list) so memory follows the live heads. */
  private dropChunk(c: SizeClass, chunk: number): void {
    const lo = chunk * c.slotsPerChunk;
    const hi = lo + c.slotsPerChunk;
    let k = 0;
    for (let i = 0; i < c.free.length; i++) {
      const s = c.free[i];
      if (s < lo || s >= hi) c.free[k++] = s;
    }
    c.free.length = k;
    c.chunks[chunk] = undefined;
    c.deadChunks.push(chunk);
  }
}

/** Smallest class holding `points`, or -1 past the largest class. */
function classOf(points: number): number {
  for (let i = 0; i < CLASS_POINTS.length; i++) if (CLASS_POINTS[i] >= points) return i;
  return -1;
}

export class Head {
  /** Storage: a slab chunk shared with other heads (points at [off, off + 2 * cap)) or its own array. */
  buf!: Float64Array;
  off = 0;
  cap = 0;
  cls = -1;
  slot = -1;
  n = 0;
  minTsMs = Infinity;
  maxTsMs = -Infinity;
  /** WAL write sequence of the newest point here. */
  lastSeq = 0;
  private readonly slabs: HeadSlabs;

  constructor(capacityPoints = INITIAL_POINTS, slabs = new HeadSlabs()) {
    this.slabs = slabs;
    slabs.place(this, Math.max(1, capacityPoints));
  }

  append(tsMs: number, value: number, seq: number, maxPoints: number): void {
    if (this.n === this.cap) this.grow(maxPoints);
    const i = this.off + 2 * this.n++;
    this.buf[i] = tsMs;
    this.buf[i + 1] = value;
    if (tsMs < this.minTsMs) this.minTsMs = tsMs;
    if (tsMs > this.maxTsMs) this.maxTsMs = tsMs;
    this.lastSeq = seq;
  }

  private grow(maxPoints: number): void {
    const n = this.n;
    // Next size class up (classes are ~√2 apart); past the largest class, double up to maxPoints.
    const points = n + 1 <= LARGEST_CLASS_POINTS ? n + 1 : Math.min(Math.max(maxPoints, n + 1), 2 * n);
    const oldBuf = this.buf;
    const oldOff = this.off;
    const oldCls = this.cls;
    const oldSlot = this.slot;
    this.slabs.place(this, points);
    this.buf.set(oldBuf.subarray(oldOff, oldOff + 2 * n), this.off);
    if (oldCls >= 0) this.slabs.releaseSlot(oldCls, oldSlot);
  }

  /** Bytes of storage this head holds. */
  get bytes(): number {
    return 16 * this.cap;
  }

  /** The points as a view (valid until the next append or take). */
  pairs(): Float64Array {
    return this.buf.subarray(this.off, this.off + 2 * this.n);
  }

  /** The points in an array of their own, and the storage given back: the head is empty after. */
  take(): Float64Array {
    const out = this.cls < 0 && this.off === 0 && this.buf.length === 2 * this.n ? this.buf : this.pairs().slice();
    this.slabs.release(this);
    this.buf = EMPTY;
    this.off = 0;
    this.cap = 0;
    this.n = 0;
    return out;
  }

  /** Gives the storage back without reading it (the engine is closing). */
  discard(): void {
    this.slabs.release(this);
    this.buf = EMPTY;
    this.cap = 0;
    this.n = 0;
  }

  /** Sorted copy (by time, last write wins for equal timestamps) — for reads on the main thread. */
  sortedCopy(): { tsMs: Float64Array; values: Float64Array } {
    return sortDedupe(this.pairs(), this.n);
  }
}

const EMPTY = new Float64Array(0);

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
