import { describe, expect, it } from 'vitest';
import { Prng } from '../../../bench/gen/prng.js';
import { TraceFilterBuilder, traceFilterMayContain, traceIdBytes } from './trace-filter.js';

describe('trace-id filter', () => {
  it('never misses an added id and rejects almost every other one', () => {
    const rng = new Prng(7);
    const added = Array.from({ length: 5000 }, () => rng.hex(32));
    const b = new TraceFilterBuilder(added.length);
    for (const id of added) b.addHex(id);
    const f = b.finish();
    expect(f.length).toBe(6 + (5000 * 16) / 8);
    for (const id of added) expect(traceFilterMayContain(f, traceIdBytes(id))).toBe(true);
    let fp = 0;
    const probes = 100_000;
    for (let i = 0; i < probes; i++) if (traceFilterMayContain(f, traceIdBytes(rng.hex(32)))) fp++;
    // 16 bits per id and 11 probes: ~0.05% expected; 0.3% would mean the hashing is broken.
    expect(fp / probes).toBeLessThan(0.003);
  });

  it('hashes every byte: ids sharing their first 8 bytes (time-prefixed tracers) still separate', () => {
    const rng = new Prng(8);
    const prefix = rng.hex(16);
    const added = Array.from({ length: 1000 }, () => prefix + rng.hex(16));
    const b = new TraceFilterBuilder(added.length);
    for (const id of added) b.addHex(id);
    const f = b.finish();
    let fp = 0;
    for (let i = 0; i < 20_000; i++) if (traceFilterMayContain(f, traceIdBytes(prefix + rng.hex(16)))) fp++;
    expect(fp).toBeLessThan(60);
  });

  it('reads ids in place from a record buffer, and treats unknown or empty filters as "may hold"', () => {
    const buf = new Uint8Array(40);
    const id = traceIdBytes('0af7651916cd43dd8448eb211c80319c');
    buf.set(id, 12);
    const b = new TraceFilterBuilder(1);
    b.addBytes(buf, 12);
    const f = b.finish();
    expect(traceFilterMayContain(f, id)).toBe(true);
    expect(traceFilterMayContain(new Uint8Array(0), id)).toBe(true);
    const future = f.slice();
    future[0] = 9;
    expect(traceFilterMayContain(future, traceIdBytes('ffffffffffffffffffffffffffffffff'))).toBe(true);
    const cut = f.subarray(0, 7);
    expect(traceFilterMayContain(cut, id)).toBe(true);
  });

  it('rejects a malformed hex id with a typed error', () => {
    expect(() => traceIdBytes('abc')).toThrow(/32 hex chars/);
  });
});
