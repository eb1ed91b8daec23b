// Canonical series key → series id, without keeping the key strings: at 100 k series the JSON keys
// alone cost ~120 B per series, a twentieth of the whole per-series memory budget. Keys are hashed to
// 30-bit integers (V8 small integers: no allocation per Map entry); the rare collisions keep a short
// id list, and every hit is confirmed by the caller (the catalog rebuilds the candidate's key from
// the label postings), so a collision can never merge two series.

export class SeriesKeyMap {
  private readonly map = new Map<number, number | number[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The id stored under `key`, if `matches(id)` confirms it. */
  get(key: string, matches: (id: number) => boolean): number | undefined {
    const hit = this.map.get(hash30(key));
    if (hit === undefined) return undefined;
    if (typeof hit === 'number') return matches(hit) ? hit : undefined;
    for (const id of hit) if (matches(id)) return id;
    return undefined;
  }

  /** Adds `id` under `key` (the caller checked with get() that the key is not there yet). */
  set(key: string, id: number): void {
    const h = hash30(key);
    const hit = this.map.get(h);
    if (hit === undefined) this.map.set(h, id);
    else if (typeof hit === 'number') this.map.set(h, [hit, id]);
    else hit.push(id);
    this.count++;
  }
}

/** FNV-1a over UTF-16 code units with a final avalanche, cut to 30 bits (a Smi on every V8 build). */
export function hash30(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & 0x3fffffff;
}
