// Query time bounds -> bigint ns. Epoch ns do not fit a double exactly (2^53 ns is ~104 days), so
// milliseconds are split into a whole part (exact as a bigint) and a sub-millisecond fraction
// rounded to the nearest ns: fromMs 1000.5 is exactly 1_000_500_000 ns, as written entries are.
import { LogsError } from '../errors.js';

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const NS_PER_MS = 1_000_000n;

/** Epoch milliseconds (may be fractional) -> ns. Throws INVALID_QUERY naming `field`. */
export function msToNs(ms: unknown, field: string): bigint {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new LogsError('INVALID_QUERY', `${field} must be a finite number of epoch milliseconds, got ${show(ms)}`);
  }
  const whole = Math.floor(ms);
  const ns = BigInt(whole) * NS_PER_MS + BigInt(Math.round((ms - whole) * 1e6));
  return inRange(ns, field);
}

/** Epoch ns as a bigint or a decimal integer string -> bigint. Throws INVALID_QUERY naming `field`. */
export function parseNs(v: unknown, field: string): bigint {
  if (typeof v === 'bigint') return inRange(v, field);
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) return inRange(BigInt(v), field);
  if (typeof v === 'number' && Number.isSafeInteger(v)) return inRange(BigInt(v), field);
  throw new LogsError('INVALID_QUERY', `${field} must be epoch nanoseconds as a bigint or a decimal integer string, got ${show(v)}`);
}

/** The millisecond a ns timestamp falls in (floor), as the index stores t_min_ms. */
export function floorMs(ns: bigint): number {
  const q = ns / NS_PER_MS;
  return Number(ns < 0n && q * NS_PER_MS !== ns ? q - 1n : q);
}

/** The smallest whole millisecond >= ns (ceil), as the index stores t_max_ms. */
export function ceilMs(ns: bigint): number {
  const q = ns / NS_PER_MS;
  return Number(ns > 0n && q * NS_PER_MS !== ns ? q + 1n : q);
}

function inRange(ns: bigint, field: string): bigint {
  if (ns < I64_MIN || ns > I64_MAX) throw new LogsError('INVALID_QUERY', `${field} (${ns} ns) is outside the signed 64-bit range`);
  return ns;
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : `${typeof v} ${String(v)}`;
}
