// Sorted series-id lists ("postings") in a compact form, and set operations over them.
//
// Memory matters here (the label index counts toward the engine's per-series budget), and most
// postings in real label sets are tiny: a label with one value per series (pod, instance, path)
// has ~100 k postings of one id each. So a posting is either
//   - a plain number: exactly one id, no allocation at all; or
//   - a Uint32Array whose slot 0 holds the length and slots 1..n the ids, ascending, grown by
//     doubling (one object per posting, no separate length field or wrapper object).

import { lowerBound } from './sorted.js';

export type Posting = number | Uint32Array;

const MIN_CAPACITY = 4;

export function postingSize(p: Posting | undefined): number {
  if (p === undefined) return 0;
  return typeof p === 'number' ? 1 : p[0];
}

/** The ids of a posting as a sorted Uint32Array (a view for the array form: do not keep it across mutations). */
export function postingIds(p: Posting | undefined): Uint32Array {
  if (p === undefined) return EMPTY;
  if (typeof p === 'number') return Uint32Array.of(p);
  return p.subarray(1, 1 + p[0]);
}

export const EMPTY: Uint32Array = new Uint32Array(0);

/** Adds `id` (no-op if present). Returns the posting to store (may be a new object). */
export function postingAdd(p: Posting | undefined, id: number): Posting {
  if (p === undefined) return id;
  if (typeof p === 'number') {
    if (p === id) return p;
    const arr = new Uint32Array(1 + MIN_CAPACITY);
    arr[0] = 2;
    if (p < id) {
      arr[1] = p;
      arr[2] = id;
    } else {
      arr[1] = id;
      arr[2] = p;
    }
    return arr;
  }
  const n = p[0];
  // Ids usually arrive ascending (the engine allocates them in order): append without a search.
  let pos: number;
  if (p[n] < id) pos = n + 1;
  else {
    pos = lowerBound(p, 1, n + 1, id);
    if (pos <= n && p[pos] === id) return p;
  }
  let arr = p;
  if (n + 1 >= arr.length) {
    arr = new Uint32Array(Math.max(1 + MIN_CAPACITY, (arr.length - 1) * 2 + 1));
    arr.set(p.subarray(0, pos), 0);
    arr.set(p.subarray(pos, n + 1), pos + 1);
  } else if (pos <= n) {
    arr.copyWithin(pos + 1, pos, n + 1);
  }
  arr[pos] = id;
  arr[0] = n + 1;
  return arr;
}

/** Removes `id`. Returns the posting to store, or undefined when it became empty. */
export function postingRemove(p: Posting | undefined, id: number): Posting | undefined {
  if (p === undefined) return undefined;
  if (typeof p === 'number') return p === id ? undefined : p;
  const n = p[0];
  const pos = lowerBound(p, 1, n + 1, id);
  if (pos > n || p[pos] !== id) return p;
  if (n === 2) return p[pos === 1 ? 2 : 1];
  p.copyWithin(pos, pos + 1, n + 1);
  p[0] = n - 1;
  // Shrink when mostly empty so churned postings do not pin their peak size.
  if (p.length > 1 + MIN_CAPACITY && (n - 1) * 4 < p.length - 1) {
    const arr = new Uint32Array(Math.max(1 + MIN_CAPACITY, (n - 1) * 2 + 1));
    arr.set(p.subarray(0, n), 0);
    return arr;
  }
  return p;
}

export function intersect(a: Uint32Array, b: Uint32Array): Uint32Array {
  if (a.length > b.length) [a, b] = [b, a];
  const out = new Uint32Array(a.length);
  let n = 0;
  // Galloping on the larger list when sizes differ a lot (e.g. one pod's id vs all ids of a job).
  if (a.length * 16 < b.length) {
    let lo = 0;
    for (let i = 0; i < a.length; i++) {
      lo = lowerBound(b, lo, b.length, a[i]);
      if (lo === b.length) break;
      if (b[lo] === a[i]) out[n++] = a[i];
    }
    return out.subarray(0, n);
  }
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x === y) {
      out[n++] = x;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return out.subarray(0, n);
}

/** a minus b. */
export function difference(a: Uint32Array, b: Uint32Array): Uint32Array {
  if (b.length === 0) return a;
  const out = new Uint32Array(a.length);
  let n = 0;
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    while (j < b.length && b[j] < x) j++;
    if (j < b.length && b[j] === x) continue;
    out[n++] = x;
  }
  return out.subarray(0, n);
}

/** Union of many sorted lists. */
export function unionAll(lists: Uint32Array[]): Uint32Array {
  if (lists.length === 0) return EMPTY;
  if (lists.length === 1) return lists[0];
  let total = 0;
  for (const l of lists) total += l.length;
  const out = new Uint32Array(total);
  let n = 0;
  for (const l of lists) {
    out.set(l, n);
    n += l.length;
  }
  out.sort();
  // Dedupe in place (value postings of one label are disjoint, but callers may mix labels).
  let w = 0;
  for (let i = 0; i < n; i++) if (i === 0 || out[i] !== out[w - 1]) out[w++] = out[i];
  return out.subarray(0, w);
}
