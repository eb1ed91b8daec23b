import { describe, expect, it } from 'vitest';
import { Prng } from '../../../bench/gen/prng.js';
import { nastyMessage, randomEntry } from '../../../test/logs-random-entries.js';
import type { LogEntry } from '../types.js';
import { buildBlockFilter, filterMayContainSubstring, filterMayContainToken, filterMayContainTraceId } from './filters.js';

function hex(rng: Prng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[rng.u32() & 15];
  return s;
}

describe('block filter', () => {
  it('never gives a false negative (substrings, tokens, trace ids)', () => {
    const rng = new Prng(3);
    for (let round = 0; round < 20; round++) {
      const entries: LogEntry[] = Array.from({ length: rng.int(1, 400) }, () => randomEntry(rng));
      const f = buildBlockFilter(entries);
      for (const e of entries) {
        const lower = e.message.toLowerCase();
        for (let k = 0; k < 5 && lower.length > 0; k++) {
          const a = rng.int(0, lower.length - 1);
          const needle = lower.slice(a, a + rng.int(1, 12));
          expect(filterMayContainSubstring(f, needle), JSON.stringify(needle)).toBe(true);
        }
        for (const token of lower.split(/[^a-z0-9]+/).filter(Boolean)) expect(filterMayContainToken(f, token)).toBe(true);
        if (e.traceId) expect(filterMayContainTraceId(f, e.traceId)).toBe(true);
      }
    }
  });

  it('prunes absent needles and ids most of the time', () => {
    const rng = new Prng(4);
    const entries: LogEntry[] = Array.from({ length: 2000 }, (_, i) => ({
      tsNs: BigInt(i), level: 'info', severityNumber: 9, message: `GET /api/items/${i} 200 ${i % 50}ms`, attributes: {}, resource: {},
      traceId: hex(rng, 32),
    }));
    const f = buildBlockFilter(entries);
    expect(filterMayContainSubstring(f, 'timeout')).toBe(false);
    expect(filterMayContainSubstring(f, 'post /api')).toBe(false);
    expect(filterMayContainToken(f, 'econnrefused')).toBe(false);
    let hits = 0;
    for (let i = 0; i < 1000; i++) if (filterMayContainTraceId(f, hex(rng, 32))) hits++;
    expect(hits).toBeLessThan(100); // ~3.5% expected
    // ~7 bits per distinct trace id (all distinct here) plus a small trigram part.
    expect(f.length).toBeLessThan((2000 * 7) / 8 + 1500);
  });

  it('answers "may" for what it cannot judge', () => {
    const f = buildBlockFilter([{ tsNs: 1n, level: 'info', severityNumber: 9, message: 'hello world', attributes: {}, resource: {} }]);
    expect(filterMayContainSubstring(f, 'zz')).toBe(true); // < 3 chars
    expect(filterMayContainSubstring(f, '')).toBe(true);
    expect(filterMayContainTraceId(f, 'not-an-id')).toBe(true);
    expect(filterMayContainTraceId(f, 'A'.repeat(32))).toBe(true);
    for (const bad of [new Uint8Array(0), Uint8Array.of(9, 1, 1, 0), Uint8Array.of(1, 0, 0, 0), Uint8Array.of(1, 3, 3, 0x80)]) {
      expect(filterMayContainSubstring(bad, 'hello')).toBe(true);
      expect(filterMayContainTraceId(bad, 'a'.repeat(32))).toBe(true);
    }
    // No trace ids at all: every id is absent.
    expect(filterMayContainTraceId(f, 'a'.repeat(32))).toBe(false);
    expect(filterMayContainSubstring(f, 'hello')).toBe(true);
    expect(filterMayContainSubstring(f, 'help')).toBe(false);
  });

  it('lowercases non-ASCII messages as the query does', () => {
    const rng = new Prng(8);
    const msgs = ['ÉCHEC de connexion', 'İstanbul', 'ΣΊΣΥΦΟΣ', nastyMessage(rng), 'Straße'];
    const f = buildBlockFilter(msgs.map((message, i) => ({ tsNs: BigInt(i), level: 'info', severityNumber: 9, message, attributes: {}, resource: {} })));
    for (const m of msgs) {
      const lower = m.toLowerCase();
      for (let a = 0; a + 3 <= lower.length; a++) expect(filterMayContainSubstring(f, lower.slice(a, a + 3))).toBe(true);
    }
    expect(filterMayContainSubstring(f, 'échec')).toBe(true);
  });
});
