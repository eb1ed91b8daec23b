// The bench's synthetic log must be reproducible and honest (the lz ratio target is measured on it).
import { describe, expect, it } from 'vitest';
import { generateAppLog } from '../../bench/gen/applog.js';
import { crc32c } from './reference/crc32c.js';

describe('generateAppLog', () => {
  it('is exactly the requested size and a pure function of the seed', () => {
    const a = generateAppLog(200_000, 9);
    expect(a.length).toBe(200_000);
    expect(crc32c(generateAppLog(200_000, 9))).toBe(crc32c(a));
    expect(crc32c(generateAppLog(200_000, 10))).not.toBe(crc32c(a));
    expect(generateAppLog(0, 1).length).toBe(0);
  });

  it('mixes pino JSON, plain text, SQL and stack traces with increasing time and random ids', () => {
    const lines = new TextDecoder().decode(generateAppLog(500_000, 3)).split('\n').slice(0, -1);
    const json = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(json.length).toBeGreaterThan(lines.length * 0.7);
    expect(lines.length - json.length).toBeGreaterThan(lines.length * 0.03); // plain-text lines
    expect(json.some((j) => j.sql)).toBe(true);
    expect(json.some((j) => j.err?.stack?.includes('\n    at '))).toBe(true);
    const times = json.map((j) => j.time as number);
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]);
    const traceIds = json.filter((j) => j.traceId).map((j) => j.traceId as string);
    expect(new Set(traceIds).size).toBe(traceIds.length); // ids are random, never repeated
    expect(traceIds.every((t) => /^[0-9a-f]{32}$/.test(t))).toBe(true);
    expect(json.some((j) => typeof j.responseTime === 'number' && !Number.isInteger(j.responseTime))).toBe(true);
  });
});
