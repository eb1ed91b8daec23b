// Row signatures: everything categorical about an entry - severity, which ids it has, its message
// template, its attribute keys (shape), each attribute's type and, for strings, its template - as
// one tuple of small ints, stored once per block; each entry then stores just the tuple's id. These
// fields are strongly correlated (a route fixes the method, the message template, the keys...), so
// one id costs far less than each field coded on its own.
import { ByteReader, ByteWriter, corrupt } from './bytes.js';

/** What attribute columns push a row's tuple parts into (a SignatureEncoder, or a caller's scratch). */
export interface SignatureSink {
  push(v: number): void;
  push2(a: number, b: number): void;
}

export class SignatureEncoder implements SignatureSink {
  /** The tuple being built for the current entry. */
  private cur = new Int32Array(64);
  private len = 0;
  /** FNV-1a of the tuple so far. */
  private hash = 0x811c9dc5;
  private readonly byHash = new Map<number, number | number[]>();
  private readonly tuples: Int32Array[] = [];
  /** Each entry's tuple id in first-seen order (renumbered by frequency when written). */
  private entryIds: Int32Array;
  private nEntries = 0;
  /** Tuple id (first-seen) -> written id (order()). */
  private rank = new Int32Array(0);
  /** Entries the current rank was computed over (-1: none yet). */
  private rankedEntries = -1;

  constructor(entries: number) {
    this.entryIds = new Int32Array(Math.max(16, entries));
  }

  push(v: number): void {
    if (this.len === this.cur.length) this.grow();
    this.cur[this.len++] = v;
    this.hash = Math.imul(this.hash ^ v, 0x01000193);
  }

  push2(a: number, b: number): void {
    this.push(a);
    this.push(b);
  }

  private grow(): void {
    const a = new Int32Array(this.len * 2);
    a.set(this.cur);
    this.cur = a;
  }

  /** Ends the current entry's tuple: writes its id (new tuples join the dictionary). */
  end(): void {
    const { cur, len } = this;
    const h = this.hash ^ len; // int32: a Smi key, cheaper in the Map than a heap number
    this.hash = 0x811c9dc5;
    const known = this.byHash.get(h);
    let id = -1;
    if (typeof known === 'number') {
      if (this.same(this.tuples[known])) id = known;
    } else if (known !== undefined) {
      for (const k of known) {
        if (this.same(this.tuples[k])) {
          id = k;
          break;
        }
      }
    }
    if (id < 0) {
      id = this.tuples.length;
      this.tuples.push(cur.slice(0, len));
      if (known === undefined) this.byHash.set(h, id);
      else if (typeof known === 'number') this.byHash.set(h, [known, id]);
      else known.push(id);
    }
    if (this.nEntries === this.entryIds.length) {
      const a = new Int32Array(this.nEntries * 2);
      a.set(this.entryIds);
      this.entryIds = a;
    }
    this.entryIds[this.nEntries++] = id;
    this.len = 0;
  }

  private same(t: Int32Array): boolean {
    if (t.length !== this.len) return false;
    for (let i = 0; i < t.length; i++) if (t[i] !== this.cur[i]) return false;
    return true;
  }

  get count(): number {
    return this.tuples.length;
  }

  /**
   * The dictionary section (then writeIds). Tuples are numbered by frequency (most frequent
   * first, ties in first-seen order), so the common ones have one-byte ids: a block has hundreds
   * of tuples, and first-seen numbering gave two-byte ids to frequent late-comers.
   */
  writeDict(out: ByteWriter): void {
    const nT = this.tuples.length;
    const order = this.order();
    const w = new ByteWriter(64 + nT * 16);
    w.varint(nT);
    for (const k of order) {
      const t = this.tuples[k];
      w.varint(t.length);
      for (let i = 0; i < t.length; i++) w.varint(t[i]);
    }
    out.section(w);
  }

  /** The tuples in writeDict's order (index = the id writtenId() gives), for callers that store them their own way. */
  rankedTuples(): Int32Array[] {
    return this.order().map((k) => this.tuples[k]);
  }

  /** Tuple ids (first-seen) by frequency; sets rank (the inverse). */
  private order(): number[] {
    const nT = this.tuples.length;
    const counts = new Int32Array(nT);
    const ids = this.entryIds;
    for (let i = 0; i < this.nEntries; i++) counts[ids[i]]++;
    const order = Array.from({ length: nT }, (_, i) => i).sort((a, b) => counts[b] - counts[a] || a - b);
    this.rank = new Int32Array(nT);
    for (let r = 0; r < nT; r++) this.rank[order[r]] = r;
    this.rankedEntries = this.nEntries;
    return order;
  }

  /** Entry i's tuple id as writeDict numbers them (for callers that code ids their own way). */
  writtenId(i: number): number {
    if (this.rankedEntries !== this.nEntries || this.rank.length !== this.tuples.length) this.order();
    return this.rank[this.entryIds[i]];
  }

  /** The ids section: each entry's tuple id, as numbered by writeDict. */
  writeIds(out: ByteWriter): void {
    this.order();
    const { rank, entryIds: ids, nEntries: n } = this;
    const w = new ByteWriter(n + 16);
    for (let i = 0; i < n; i++) w.varint(rank[ids[i]]);
    out.section(w);
  }
}

/** The signature dictionary: each tuple as an Int32Array (values are checked where they are used). */
export function readSignatures(r: ByteReader): Int32Array[] {
  const n = r.bounded('signature count', r.remaining);
  const out: Int32Array[] = [];
  for (let i = 0; i < n; i++) {
    const len = r.bounded('signature length', r.remaining);
    const t = new Int32Array(len);
    for (let j = 0; j < len; j++) {
      const v = r.varint('signature value');
      if (v > 0x7fffffff) throw corrupt('signature value is out of range');
      t[j] = v;
    }
    out.push(t);
  }
  return out;
}
