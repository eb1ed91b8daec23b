// JSON answers: bigints (nanosecond times) become decimal strings, typed arrays plain arrays, and
// non-finite numbers their names, because JSON.stringify would throw or write null for them.
import type { Context } from 'hono';

export function jsonReplacer(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>, (x) => (Number.isFinite(x) ? x : String(x)));
  return v;
}

export function toJsonText(value: unknown): string {
  return JSON.stringify(value, jsonReplacer);
}

export function sendJson(c: Context, value: unknown, status = 200): Response {
  return c.body(toJsonText(value), status as 200, { 'Content-Type': 'application/json; charset=utf-8' });
}
