// The block's row tuples (signature.ts), each behind its byte length so a reader jumps from tuple
// to tuple and decodes only those its rows use: a trace look-up touches a few hundred of the
// block's thousands. Measured alternatives on the shop workload (32 k spans, 3.1 k tuples), both
// dropped: front coding (each tuple as its difference from the previous one in sorted order: 122 ->
// 66 KB raw, 0.07 bytes/span smaller, but the dictionaries did not decompress faster and a look-up
// decoded more); tuples that only one page uses stored in that page (half of them: a cold look-up
// 8% faster, 0.4 bytes/span larger - scattered, they compress worse).
//
//   section = varint n | n × section (the tuple's values as varints), tuple id = index
import { ByteReader, ByteWriter, corrupt, truncated } from '../../codec/columns/bytes.js';

/** Writes the tuples (index = tuple id) as the section above. */
export function writeTuples(out: ByteWriter, tuples: readonly Int32Array[]): void {
  const w = new ByteWriter(64 + tuples.length * 40);
  const one = new ByteWriter(64);
  w.varint(tuples.length);
  for (const t of tuples) {
    one.reset();
    for (let i = 0; i < t.length; i++) one.varint(t[i]);
    w.section(one);
  }
  out.section(w);
}

/** Decodes the varints of buf[start, end) as an Int32Array (CORRUPT for values >= 2^31). */
function decodeValues(buf: Uint8Array, start: number, end: number): Int32Array {
  let n = 0;
  for (let p = start; p < end; p++) if (buf[p] < 0x80) n++;
  if (end > start && buf[end - 1] >= 0x80) throw truncated('a tuple');
  const out = new Int32Array(n);
  let p = start;
  for (let j = 0; j < n; j++) {
    let b = buf[p++];
    let v = b & 0x7f;
    let mul = 128;
    while (b >= 0x80) {
      if (mul > 2 ** 28) throw corrupt('tuple value is out of range');
      b = buf[p++];
      v += (b & 0x7f) * mul;
      mul *= 128;
    }
    if (v > 0x7fffffff) throw corrupt('tuple value is out of range');
    out[j] = v;
  }
  return out;
}

/** The tuples, decoded on demand. */
export class TupleTable {
  private readonly at: Int32Array;
  private readonly end: Int32Array;
  private readonly tuples: (Int32Array | undefined)[];

  constructor(private readonly r: ByteReader) {
    const n = r.bounded('tuple count', r.remaining);
    this.at = new Int32Array(n);
    this.end = new Int32Array(n);
    this.tuples = new Array<Int32Array | undefined>(n);
    for (let i = 0; i < n; i++) {
      const len = r.varint('tuple length');
      this.at[i] = r.skip(len, 'a tuple');
      this.end[i] = r.pos;
    }
  }

  get count(): number {
    return this.at.length;
  }

  /**
   * The first values of tuple `id` into `out` (up to out.length of them, without decoding the rest:
   * a filter looks at the head, name and resource of every tuple); returns how many there were.
   * Throws CORRUPT for an id out of range or a malformed value.
   */
  prefix(id: number, out: Int32Array): number {
    if (!(id >= 0 && id < this.at.length)) throw corrupt(`tuple id ${id} is out of range`);
    const cached = this.tuples[id];
    if (cached !== undefined) {
      const n = Math.min(out.length, cached.length);
      out.set(cached.subarray(0, n));
      return n;
    }
    const buf = this.r.buf;
    const end = this.end[id];
    let p = this.at[id];
    let j = 0;
    for (; j < out.length && p < end; j++) {
      let b = buf[p++];
      let v = b & 0x7f;
      let mul = 128;
      while (b >= 0x80) {
        if (mul > 2 ** 28 || p >= end) throw corrupt('tuple value is out of range');
        b = buf[p++];
        v += (b & 0x7f) * mul;
        mul *= 128;
      }
      if (v > 0x7fffffff) throw corrupt('tuple value is out of range');
      out[j] = v;
    }
    return j;
  }

  /** Tuple `id`, or undefined when id is out of range. Throws CORRUPT for a malformed tuple. */
  get(id: number): Int32Array | undefined {
    const cached = this.tuples[id];
    if (cached !== undefined || !(id >= 0 && id < this.at.length)) return cached;
    const out = decodeValues(this.r.buf, this.at[id], this.end[id]);
    this.tuples[id] = out;
    return out;
  }
}
