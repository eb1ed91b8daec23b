// Level names <-> OpenTelemetry severity numbers. OTel splits 1..24 into six ranges of four
// (trace 1-4, debug 5-8, info 9-12, warn 13-16, error 17-20, fatal 21-24); a level name maps to the
// first number of its range, and any number maps to the name of the range it falls in.

import { LogsError } from './errors.js';
import { LOG_LEVELS, type LogLevel } from './types.js';

export { LOG_LEVELS };
export type { LogLevel };

/** First severity number of each level's range, in LOG_LEVELS order. */
export const LEVEL_SEVERITY: Readonly<Record<LogLevel, number>> = {
  trace: 1,
  debug: 5,
  info: 9,
  warn: 13,
  error: 17,
  fatal: 21,
};

export const MIN_SEVERITY = 1;
export const MAX_SEVERITY = 24;

/** Index of a level in LOG_LEVELS (also its bit in a block's levelMask). */
export function levelIndex(level: LogLevel): number {
  return (LEVEL_SEVERITY[level] - 1) >> 2;
}

export function isLogLevel(v: unknown): v is LogLevel {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(LEVEL_SEVERITY, v);
}

export function isSeverityNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= MIN_SEVERITY && v <= MAX_SEVERITY;
}

/** Level of an OTel severity number (1..24). Throws INVALID_LEVEL outside that range. */
export function levelOfSeverity(severityNumber: number): LogLevel {
  if (!isSeverityNumber(severityNumber)) {
    throw new LogsError(
      'INVALID_LEVEL',
      `severity number ${String(severityNumber)} is not an integer in 1..24`,
    );
  }
  return LOG_LEVELS[(severityNumber - 1) >> 2]!;
}

/** Severity number of a level name (first of its range). */
export function severityOfLevel(level: LogLevel): number {
  return LEVEL_SEVERITY[level];
}

/**
 * A level name (case-insensitive, surrounding blanks ignored) or a severity number 1..24 ->
 * { level, severityNumber }. Anything else throws LogsError INVALID_LEVEL.
 */
export function parseLevel(level: string | number): { level: LogLevel; severityNumber: number } {
  if (typeof level === 'number') {
    return { level: levelOfSeverity(level), severityNumber: level };
  }
  if (typeof level === 'string') {
    const name = level.trim().toLowerCase();
    if (isLogLevel(name)) return { level: name, severityNumber: LEVEL_SEVERITY[name] };
    throw new LogsError(
      'INVALID_LEVEL',
      `unknown level ${JSON.stringify(level)}; use one of ${LOG_LEVELS.join(', ')} or a severity number 1..24`,
    );
  }
  throw new LogsError('INVALID_LEVEL', `level must be a string or a number, got ${typeof level}`);
}
