// Validation and canonical keys for (metric name, labels). The canonical key is only computed on
// the slow path (a labels object seen for the first time); the write path's fast path is a WeakMap
// keyed by the caller's labels object (see catalog.ts).
import { MetricsError } from './errors.js';
import type { Labels } from './types.js';

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:.]*$/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_.]*$/;
export const MAX_NAME_CHARS = 255;
export const MAX_LABELS = 64;
export const MAX_LABEL_VALUE_CHARS = 4096;

export function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_CHARS || !NAME_RE.test(name)) {
    throw new MetricsError(
      'INVALID_NAME',
      `metric name ${safe(name)} is invalid: use 1-${MAX_NAME_CHARS} characters matching [a-zA-Z_:][a-zA-Z0-9_:.]*`,
    );
  }
}

/**
 * Validates labels and returns them sorted by name, without empty values (an empty value means
 * "label absent", as in Prometheus, so {a:""} and {} are the same series) and without `__name__`.
 */
export function canonicalLabels(labels: unknown): Labels {
  if (labels === undefined || labels === null) return {};
  if (typeof labels !== 'object' || Array.isArray(labels)) {
    throw new MetricsError('INVALID_LABELS', `labels must be a plain object of string values, got ${safe(labels)}`);
  }
  const names = Object.keys(labels);
  if (names.length > MAX_LABELS) {
    throw new MetricsError('INVALID_LABELS', `${names.length} labels > ${MAX_LABELS}: drop high-cardinality or redundant labels`);
  }
  names.sort();
  const out: Labels = {};
  for (const k of names) {
    const v = (labels as Record<string, unknown>)[k];
    if (!LABEL_NAME_RE.test(k) || k.length > MAX_NAME_CHARS) {
      throw new MetricsError('INVALID_LABELS', `label name ${safe(k)} is invalid: use [a-zA-Z_][a-zA-Z0-9_.]*`);
    }
    if (typeof v !== 'string') {
      throw new MetricsError('INVALID_LABELS', `label "${k}" must be a string, got ${safe(v)}: convert it with String()`);
    }
    if (v.length > MAX_LABEL_VALUE_CHARS) {
      throw new MetricsError('INVALID_LABELS', `label "${k}" value is ${v.length} characters > ${MAX_LABEL_VALUE_CHARS}`);
    }
    // `__name__` is the metric name's own label in Prometheus terms, never a separate label: the
    // postings ignore it, so the series identity must too.
    if (v !== '' && k !== '__name__') out[k] = v;
  }
  return out;
}

/** Unambiguous key of a series: JSON of [name, sorted label pairs...]. */
export function seriesKey(name: string, sortedLabels: Labels): string {
  return JSON.stringify([name, sortedLabels]);
}

/** Total order on label sets used to sort query answers (by sorted label pairs). */
export function compareLabels(a: Labels, b: Labels): number {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  const n = Math.min(ka.length, kb.length);
  for (let i = 0; i < n; i++) {
    if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    const va = a[ka[i]];
    const vb = b[kb[i]];
    if (va !== vb) return va < vb ? -1 : 1;
  }
  return ka.length - kb.length;
}

export function checkValue(value: unknown): asserts value is number {
  if (typeof value !== 'number') {
    throw new MetricsError('INVALID_VALUE', `value must be a number, got ${safe(value)}`);
  }
}

/** Validates tsMs (default now) and floors fractional milliseconds (the codec stores integers). */
export function checkTime(tsMs: unknown): number {
  if (tsMs === undefined) return Date.now();
  if (typeof tsMs !== 'number' || !Number.isFinite(tsMs) || tsMs < 0 || tsMs >= 2 ** 53) {
    throw new MetricsError('INVALID_TIME', `tsMs must be milliseconds since the epoch in [0, 2^53), got ${safe(tsMs)}`);
  }
  return Math.floor(tsMs);
}

function safe(v: unknown): string {
  try {
    const s = typeof v === 'string' ? JSON.stringify(v) : typeof v === 'bigint' ? `${v}n` : JSON.stringify(v) ?? String(v);
    return s.length > 80 ? s.slice(0, 77) + '...' : s;
  } catch {
    return String(v);
  }
}
