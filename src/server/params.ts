// Query-string parsing shared by the native routes: every bad parameter is a 400 that names it.
import type { Context } from 'hono';
import { HttpError } from './errors.js';

function bad(name: string, why: string): HttpError {
  return new HttpError(400, 'INVALID_PARAM', `query parameter '${name}' ${why}`);
}

export function str(c: Context, name: string): string | undefined {
  const v = c.req.query(name);
  return v === undefined || v === '' ? undefined : v;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A duration like 15m, 1.5h, 500ms → milliseconds. */
export function parseDurationMs(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2]] : undefined;
}

/**
 * A time: epoch milliseconds, RFC 3339, `now`, or `now-<duration>` (what the dashboard's presets and
 * shareable links use).
 */
export function timeMs(c: Context, name: string, nowMs = Date.now()): number | undefined {
  const v = str(c, name);
  if (v === undefined) return undefined;
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  if (v === 'now') return nowMs;
  const rel = /^now-(.+)$/.exec(v);
  if (rel) {
    const d = parseDurationMs(rel[1]);
    if (d === undefined) throw bad(name, `has a bad duration '${rel[1]}'; use e.g. now-15m, now-1h, now-7d`);
    return nowMs - d;
  }
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw bad(name, `is not a time: '${v}'; use epoch milliseconds, RFC 3339, or now-<duration>`);
  return t;
}

export function int(c: Context, name: string, opts: { min?: number; max?: number } = {}): number | undefined {
  const v = str(c, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw bad(name, `must be an integer, got '${v}'`);
  if (opts.min !== undefined && n < opts.min) throw bad(name, `must be at least ${opts.min}`);
  if (opts.max !== undefined && n > opts.max) throw bad(name, `must be at most ${opts.max}`);
  return n;
}

export function num(c: Context, name: string): number | undefined {
  const v = str(c, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw bad(name, `must be a number, got '${v}'`);
  return n;
}

export function oneOf<T extends string>(c: Context, name: string, values: readonly T[]): T | undefined {
  const v = str(c, name);
  if (v === undefined) return undefined;
  if (!(values as readonly string[]).includes(v)) throw bad(name, `must be one of ${values.join(', ')}; got '${v}'`);
  return v as T;
}

export function list(c: Context, name: string): string[] | undefined {
  const v = str(c, name);
  return v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * Attribute filters: `attr.<key>=<value>` parameters (repeatable keys), or one `attributes` parameter
 * holding a JSON object. Values are compared as strings by the engines.
 */
export function attributes(c: Context): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let any = false;
  const json = str(c, 'attributes');
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw bad('attributes', 'must be a JSON object like {"http.route":"/api"}');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw bad('attributes', 'must be a JSON object');
    for (const [k, v] of Object.entries(parsed)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw bad('attributes', `value of '${k}' must be a string, number or boolean`);
      out[k] = String(v);
      any = true;
    }
  }
  for (const [k, v] of Object.entries(c.req.queries())) {
    if (!k.startsWith('attr.') || k.length === 5) continue;
    out[k.slice(5)] = v[v.length - 1];
    any = true;
  }
  return any ? out : undefined;
}
