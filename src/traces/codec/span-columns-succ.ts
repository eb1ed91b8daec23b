// Signature ids coded by the parent's signature: an operation calls the same few operations (a
// route's server span has the same DB and cache children every time), so given the parent row's
// tuple, the child's tuple is nearly determined. Each row stores its tuple's rank among the tuples
// that followed that parent tuple in the block (a per-context list, most frequent first, stored once
// in the dictionaries). Measured on the shop workload: signature ids 1.29 -> ~0.6 bytes/span, for
// ~0.15 bytes/span of lists.
//
// Context of row r: 1 + the tuple id of its parent row when that row is earlier in the same page
// (already decoded), else 0 (roots, parents elsewhere, parents that start later).
//   section = varint nContexts, nContexts × section (varint tuple ids, most frequent first)
import { ByteReader, ByteWriter, corrupt } from '../../codec/columns/bytes.js';

/** The context of a row (see the top comment); tupleOf gives an earlier row's tuple id. */
export function contextOf(parentRow: number, row: number, pageFrom: number, tupleOf: (row: number) => number): number {
  return parentRow >= pageFrom && parentRow < row ? 1 + tupleOf(parentRow) : 0;
}

export class SuccessorEncoder {
  private readonly counts = new Map<number, number>();
  private ranks: Map<number, number> | undefined;
  private lists: number[][] = [];

  constructor(private readonly nTuples: number) {}

  add(ctx: number, tuple: number): void {
    const k = ctx * this.nTuples + tuple;
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }

  /** Builds the lists (after every add). */
  finish(): void {
    const n = this.nTuples;
    const byCtx: [number, number][][] = Array.from({ length: n + 1 }, () => []);
    for (const [k, c] of this.counts) byCtx[Math.floor(k / n)].push([k % n, c]);
    this.ranks = new Map();
    this.lists = byCtx.map((l, ctx) => {
      l.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
      l.forEach(([t], i) => this.ranks!.set(ctx * n + t, i));
      return l.map(([t]) => t);
    });
  }

  code(ctx: number, tuple: number): number {
    return this.ranks!.get(ctx * this.nTuples + tuple)!;
  }

  write(out: ByteWriter): void {
    const w = new ByteWriter(this.counts.size * 2 + this.lists.length + 16);
    const l1 = new ByteWriter(64);
    w.varint(this.lists.length);
    for (const l of this.lists) {
      l1.reset();
      for (const t of l) l1.varint(t);
      w.section(l1);
    }
    out.section(w);
  }
}

/** The lists, read lazily (a look-up touches a few contexts). */
export class SuccessorLists {
  private readonly at: Int32Array;
  private readonly end: Int32Array;
  private readonly lists: (Int32Array | undefined)[];

  constructor(
    private readonly r: ByteReader,
    nTuples: number,
  ) {
    const n = r.varint('successor context count');
    if (n !== nTuples + 1) throw corrupt(`successor lists cover ${n} contexts, not ${nTuples + 1}`);
    this.at = new Int32Array(n);
    this.end = new Int32Array(n);
    this.lists = new Array<Int32Array | undefined>(n);
    for (let i = 0; i < n; i++) {
      const len = r.varint('a successor list');
      this.at[i] = r.skip(len, 'a successor list');
      this.end[i] = r.pos;
    }
  }

  /** The tuple id coded `code` in context `ctx` (CORRUPT when there is none). */
  tuple(ctx: number, code: number): number {
    let l = this.lists[ctx];
    if (l === undefined) {
      if (!(ctx >= 0 && ctx < this.at.length)) throw corrupt(`successor context ${ctx} is out of range`);
      const r = new ByteReader(this.r.buf, this.at[ctx], this.end[ctx]);
      const vals: number[] = [];
      while (r.remaining > 0) vals.push(r.varint('a successor'));
      l = Int32Array.from(vals);
      this.lists[ctx] = l;
    }
    const t = l[code];
    if (t === undefined) throw corrupt(`successor code ${code} is out of range`);
    return t;
  }
}
