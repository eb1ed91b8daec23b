// String interning with reference counts: every distinct metric name, label name and label value
// is stored once and referred to by a small integer ("symbol"). Symbols are reused after their
// last reference goes, so series churn does not grow the table forever.

export class Interner {
  private readonly bySymbol: (string | undefined)[] = [];
  private readonly byString = new Map<string, number>();
  private refs = new Int32Array(1024);
  private readonly free: number[] = [];

  /** Symbol for `s`, adding one reference (create it if new). */
  intern(s: string): number {
    let sym = this.byString.get(s);
    if (sym === undefined) {
      sym = this.free.length > 0 ? (this.free.pop() as number) : this.bySymbol.length;
      this.bySymbol[sym] = s;
      this.byString.set(s, sym);
      if (sym >= this.refs.length) {
        const grown = new Int32Array(this.refs.length * 2);
        grown.set(this.refs);
        this.refs = grown;
      }
    }
    this.refs[sym]++;
    return sym;
  }

  /** Drops one reference; the symbol is freed at zero. */
  release(sym: number): void {
    if (--this.refs[sym] > 0) return;
    const s = this.bySymbol[sym];
    if (s !== undefined) this.byString.delete(s);
    this.bySymbol[sym] = undefined;
    this.refs[sym] = 0;
    this.free.push(sym);
  }

  /** Symbol of `s` if it is interned (no reference taken). */
  lookup(s: string): number | undefined {
    return this.byString.get(s);
  }

  str(sym: number): string {
    return this.bySymbol[sym] as string;
  }

  get size(): number {
    return this.byString.size;
  }
}
