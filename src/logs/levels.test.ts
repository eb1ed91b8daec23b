import { describe, expect, it } from 'vitest';
import { LogsError } from './errors.js';
import { LOG_LEVELS, levelIndex, levelOfSeverity, parseLevel, severityOfLevel } from './levels.js';

describe('levels', () => {
  it('orders levels and maps each to the first number of its OTel range', () => {
    expect(LOG_LEVELS).toEqual(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
    expect(LOG_LEVELS.map(severityOfLevel)).toEqual([1, 5, 9, 13, 17, 21]);
    expect(LOG_LEVELS.map(levelIndex)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('maps every severity number to the level of its range', () => {
    for (let s = 1; s <= 24; s++) {
      expect(levelOfSeverity(s)).toBe(LOG_LEVELS[Math.floor((s - 1) / 4)]);
      expect(parseLevel(s)).toEqual({ level: LOG_LEVELS[Math.floor((s - 1) / 4)], severityNumber: s });
    }
    expect(parseLevel(12)).toEqual({ level: 'info', severityNumber: 12 });
  });

  it('parses names case-insensitively', () => {
    expect(parseLevel('warn')).toEqual({ level: 'warn', severityNumber: 13 });
    expect(parseLevel(' ERROR ')).toEqual({ level: 'error', severityNumber: 17 });
  });

  it('rejects anything else with INVALID_LEVEL', () => {
    for (const bad of [0, 25, 1.5, -1, NaN, Infinity, '', 'warning', 'constructor', '__proto__', '9', null, undefined, {}]) {
      let err: unknown;
      try {
        parseLevel(bad as string);
      } catch (e) {
        err = e;
      }
      expect(err, String(bad)).toBeInstanceOf(LogsError);
      expect((err as LogsError).code).toBe('INVALID_LEVEL');
    }
  });
});
