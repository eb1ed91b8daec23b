// Runtime values of the evaluator and label-set helpers. A label set is a plain object (metric name
// under `__name__`) that is never mutated once built, so derived facts (its canonical key, the set
// without the metric name) are cached by object identity: a series keeps the same label object at
// every step, so per-step work stays numeric and the label work is done once per series.

export type Labels = Readonly<Record<string, string>>;

export const METRIC_NAME = '__name__';

export interface Sample {
  labels: Labels;
  v: number;
  /** Timestamp (ms) of the stored sample, set by instant vector selectors (for timestamp()). */
  t?: number;
}

export type Vector = Sample[];

/** Per-step value of an expression: a scalar, a string, or an instant vector. */
export type StepValue = number | string | Vector;

export const EMPTY_LABELS: Labels = Object.freeze({});

const keyCache = new WeakMap<Labels, string>();

/** Label names in Prometheus order (byte order; `__name__` is just one of them). */
export function sortedNames(l: Labels): string[] {
  return Object.keys(l).sort(compareStrings);
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Canonical, collision-free key of a label set (sorted name/value pairs, 0xff separated). */
export function labelsKey(l: Labels): string {
  let k = keyCache.get(l);
  if (k === undefined) {
    k = '';
    for (const n of sortedNames(l)) k += n + '\xff' + l[n] + '\xff';
    keyCache.set(l, k);
  }
  return k;
}

const dropNameCache = new WeakMap<Labels, Labels>();

/** The label set without `__name__` (the same object when there is none). */
export function dropMetricName(l: Labels): Labels {
  if (l[METRIC_NAME] === undefined) return l;
  let d = dropNameCache.get(l);
  if (d === undefined) {
    const out: Record<string, string> = {};
    for (const n in l) if (n !== METRIC_NAME) out[n] = l[n];
    d = Object.freeze(out);
    dropNameCache.set(l, d);
  }
  return d;
}

/** A new frozen label set: `base` with `set` applied ('' deletes a label, as in Prometheus). */
export function withLabels(base: Labels, set: Record<string, string>, del: readonly string[] = []): Labels {
  const out: Record<string, string> = {};
  for (const n in base) if (!del.includes(n)) out[n] = base[n];
  for (const n in set) {
    if (set[n] === '') delete out[n];
    else out[n] = set[n];
  }
  return Object.freeze(out);
}

/** Only the listed labels (Prometheus' Keep). */
export function keepLabels(base: Labels, keep: readonly string[]): Labels {
  const out: Record<string, string> = {};
  for (const n of keep) if (base[n] !== undefined) out[n] = base[n];
  return Object.freeze(out);
}

/** Prometheus' labels.Compare: pairwise by sorted (name, value), then the shorter set first. */
export function compareLabels(a: Labels, b: Labels): number {
  const na = sortedNames(a);
  const nb = sortedNames(b);
  const n = Math.min(na.length, nb.length);
  for (let i = 0; i < n; i++) {
    if (na[i] !== nb[i]) return na[i] < nb[i] ? -1 : 1;
    const va = a[na[i]];
    const vb = b[nb[i]];
    if (va !== vb) return va < vb ? -1 : 1;
  }
  return na.length - nb.length;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Prometheus' staleness marker: the NaN 0x7ff0000000000002. It is a signalling NaN, which V8 may
 * quiet (0x7ff8000000000002) when the value passes through a JavaScript array, so both count.
 */
export function isStaleNaN(v: number): boolean {
  if (v === v) return false;
  f64[0] = v;
  const hi = u32[LITTLE_ENDIAN ? 1 : 0];
  const lo = u32[LITTLE_ENDIAN ? 0 : 1];
  return (hi === 0x7ff00000 || hi === 0x7ff80000) && lo === 2;
}

/** Prometheus label names (what label_replace/label_join/count_values accept). */
export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Small integer ids for label sets, equal ids for equal content; one per query, so duplicate
 * checks and series accumulation index arrays instead of hashing label keys at every step.
 */
export class LabelIds {
  private readonly byObject = new WeakMap<Labels, number>();
  private readonly byKey = new Map<string, number>();

  get size(): number {
    return this.byKey.size;
  }

  of(l: Labels): number {
    let id = this.byObject.get(l);
    if (id === undefined) {
      const k = labelsKey(l);
      id = this.byKey.get(k);
      if (id === undefined) this.byKey.set(k, (id = this.byKey.size));
      this.byObject.set(l, id);
    }
    return id;
  }
}

/** Per-step "seen" marks by label id: a generation counter instead of clearing a set each step. */
export class SeenStamps {
  private stamps = new Int32Array(64);
  private gen = 0;

  /** Starts a new round. */
  next(): void {
    this.gen++;
  }

  /** Marks id; false when it was already marked this round. */
  mark(id: number): boolean {
    if (id >= this.stamps.length) {
      const grown = new Int32Array(Math.max(id + 1, this.stamps.length * 2));
      grown.set(this.stamps);
      this.stamps = grown;
    }
    if (this.stamps[id] === this.gen) return false;
    this.stamps[id] = this.gen;
    return true;
  }
}
