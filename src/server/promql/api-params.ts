// Prometheus HTTP API parameters: times are Unix seconds with decimals or RFC 3339; durations
// (step, timeout) are float seconds or duration strings. Parsed exactly as Prometheus parses them,
// to integer milliseconds; errors carry Prometheus' wording.
import { parseDurationMs } from './durations.js';
import { parseGoFloat } from './functions.js';

/** An invalid request parameter: Prometheus answers 400 bad_data with this message. */
export class BadParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadParamError';
  }
}

/** Prometheus' formatted min/max times (what clients send for "unbounded"). */
const MIN_TIME_TEXT = '-292273086-05-16T16:47:06Z';
const MAX_TIME_TEXT = '292277025-08-18T07:12:54.999999999Z';
/** Far beyond any stored sample, and still exact in float64 milliseconds. */
export const MIN_TIME_MS = -8.64e15;
export const MAX_TIME_MS = 8.64e15;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Go's math.Round: halves away from zero. */
function goRound(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/** A time parameter in milliseconds; throws Error("cannot parse ...") when invalid. */
export function parseTimeMs(s: string): number {
  const f = parseGoFloat(s);
  if (f !== undefined) {
    if (!Number.isFinite(f)) throw new Error(`cannot parse ${JSON.stringify(s)} to a valid timestamp`);
    const whole = Math.trunc(f);
    return whole * 1000 + goRound((f - whole) * 1000);
  }
  const m = RFC3339.exec(s);
  if (m !== null) {
    const [, y, mo, d, h, mi, sec, frac, zone] = m;
    const month = Number(mo);
    const day = Number(d);
    if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) {
      throw new Error(`cannot parse ${JSON.stringify(s)} to a valid timestamp`);
    }
    let ms = Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(sec));
    if (new Date(ms).getUTCDate() !== day) throw new Error(`cannot parse ${JSON.stringify(s)} to a valid timestamp`);
    if (frac !== undefined) ms += Math.trunc(Number(`0${frac}`) * 1000);
    if (zone !== 'Z' && zone !== 'z') {
      const sign = zone[0] === '-' ? -1 : 1;
      ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
    }
    return ms;
  }
  if (s === MIN_TIME_TEXT) return MIN_TIME_MS;
  if (s === MAX_TIME_TEXT) return MAX_TIME_MS;
  throw new Error(`cannot parse ${JSON.stringify(s)} to a valid timestamp`);
}

/** A duration parameter in milliseconds (truncated, as Prometheus); throws when invalid. */
export function parseDurationParamMs(s: string): number {
  const f = parseGoFloat(s);
  if (f !== undefined) {
    const ns = f * 1e9;
    if (!(ns <= 9.223372036854776e18 && ns >= -9.223372036854776e18)) throw new Error(`cannot parse ${JSON.stringify(s)} to a valid duration. It overflows int64`);
    return Math.trunc(Math.trunc(ns) / 1e6);
  }
  try {
    return parseDurationMs(s);
  } catch {
    throw new Error(`cannot parse ${JSON.stringify(s)} to a valid duration`);
  }
}

/** Wraps a parse failure the way Prometheus reports it: `invalid parameter "name": reason`. */
export function invalidParam(name: string, err: unknown): BadParamError {
  return new BadParamError(`invalid parameter ${JSON.stringify(name)}: ${err instanceof Error ? err.message : String(err)}`);
}
