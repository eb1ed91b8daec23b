// Label objects reused across requests. The metrics engine resolves a series in one WeakMap look-up
// when it sees a labels object it was written with before (catalog.cached); a decoder that builds a
// fresh object per request pays for sorting, validating and hashing the labels of every series of
// every request instead. So each ingest protocol keeps one cache: key = the series' bytes or text as
// it arrived (equal keys always mean equal labels), value = the (name, labels) pair to write with.
import type { Labels } from '../../metrics/types.js';

export interface CachedSeries {
  name: string;
  /** Without `__name__`; frozen once cached (the engine keys on its identity; copy it to change it). */
  labels: Labels;
  /** Why every sample of this series is refused (e.g. no metric name); undefined when it is fine. */
  error?: string;
}

/** Default bound: ~256 k series per protocol; past it the cache starts over (generational, O(1)). */
export const DEFAULT_SERIES_CACHE_ENTRIES = 1 << 18;

/** A byte-keyed entry; entries whose keys hash alike are chained. */
interface ByteEntry {
  key: Uint8Array;
  value: CachedSeries;
  next: ByteEntry | undefined;
}

/**
 * 32-bit hash of buf[start, end), four bytes at a time (murmur3's mixing). Hashing the bytes in JS
 * beats making a string of them: a fresh string has to be copied and hashed again by the Map, and
 * that was half the decode time of a remote_write body with one sample per series.
 */
export function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = 0x9747b28c ^ (end - start);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    let k = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < end) {
    let k = 0;
    for (let shift = 0; i < end; i++, shift += 8) k |= buf[i] << shift;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function sameBytes(key: Uint8Array, buf: Uint8Array, start: number, end: number): boolean {
  if (key.length !== end - start) return false;
  for (let i = 0; i < key.length; i++) if (key[i] !== buf[start + i]) return false;
  return true;
}

export class SeriesCache {
  private byText = new Map<string, CachedSeries>();
  private byBytes = new Map<number, ByteEntry>();
  private entries = 0;
  readonly maxEntries: number;

  constructor(maxEntries = DEFAULT_SERIES_CACHE_ENTRIES) {
    this.maxEntries = maxEntries;
  }

  get(key: string): CachedSeries | undefined {
    return this.byText.get(key);
  }

  set(key: string, value: CachedSeries): void {
    this.makeRoom();
    if (!this.byText.has(key)) this.entries++;
    this.byText.set(key, value);
  }

  /** The entry whose key is exactly buf[start, end). */
  getBytes(buf: Uint8Array, start: number, end: number, hash = hashBytes(buf, start, end)): CachedSeries | undefined {
    for (let e = this.byBytes.get(hash); e !== undefined; e = e.next) if (sameBytes(e.key, buf, start, end)) return e.value;
    return undefined;
  }

  /** Stores a copy of buf[start, end) as the key (the request buffer is not kept alive). */
  setBytes(buf: Uint8Array, start: number, end: number, value: CachedSeries, hash = hashBytes(buf, start, end)): void {
    this.makeRoom();
    const head = this.byBytes.get(hash);
    for (let e = head; e !== undefined; e = e.next) {
      if (sameBytes(e.key, buf, start, end)) {
        e.value = value;
        return;
      }
    }
    // A copy, made explicitly: Buffer#slice would be a view into (and keep alive) the request body.
    const key = new Uint8Array(end - start);
    key.set(buf.subarray(start, end));
    this.byBytes.set(hash, { key, value, next: head });
    this.entries++;
  }

  get size(): number {
    return this.entries;
  }

  private makeRoom(): void {
    // Dropping everything at the bound keeps memory flat under unbounded cardinality; the hot
    // series come back on their next sample.
    if (this.entries < this.maxEntries) return;
    this.byText = new Map();
    this.byBytes = new Map();
    this.entries = 0;
  }
}
