import { describe, expect, it } from 'vitest';
import { Prng } from '../../bench/gen/prng.js';
import { firstEntryMismatch, jsonCanonical, randomEntry } from '../../test/logs-random-entries.js';
import { decodeEntryRecords } from './codec/entry-record.js';
import { HotTail } from './hot.js';
import type { LogEntry } from './types.js';

function fill(hot: HotTail, entries: LogEntry[], firstSeq: number): void {
  entries.forEach((e, i) => hot.append(e, firstSeq + i));
}

describe('hot tail', () => {
  it('reuses a released chunk buffer unless a query snapshot saw the chunk', () => {
    const rng = new Prng(31);
    const hot = new HotTail();
    const batch = () => Array.from({ length: 200 }, () => randomEntry(rng));
    fill(hot, batch(), 0);
    const first = hot.cut()!;
    const firstBuf = first.writer.buf;
    hot.release(first);
    // The next chunk is cut from the active one: the one after that starts in the released buffer.
    const second = batch();
    fill(hot, second, 200);
    const c2 = hot.cut()!;
    expect(hot.active.writer.buf).toBe(firstBuf);
    // It holds only the new chunk's records.
    const third = batch();
    fill(hot, third, 400);
    const c3 = hot.cut()!;
    expect(firstBuf.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(firstEntryMismatch(decodeEntryRecords(c3.writer.bytes()).entries, third.map(jsonCanonical))).toBeUndefined();
    expect(firstEntryMismatch(c2.entries, second.map(jsonCanonical))).toBeUndefined();
    // A snapshotted chunk keeps its buffer to itself.
    c2.snapshotted = true;
    hot.release(c2);
    hot.release(c3);
    fill(hot, batch(), 600);
    hot.cut();
    expect(hot.active.writer.buf).toBe(c3.writer.buf);
    expect(hot.active.writer.buf).not.toBe(c2.writer.buf);
    expect(firstEntryMismatch(c2.entries, second.map(jsonCanonical))).toBeUndefined();
  });

  it('keeps consecutive seqs as a range and any others as a list', () => {
    const rng = new Prng(32);
    const hot = new HotTail();
    fill(hot, Array.from({ length: 5 }, () => randomEntry(rng)), 10);
    const a = hot.active;
    expect([a.count, a.firstSeq, a.lastSeq]).toEqual([5, 10, 14]);
    expect(a.seqs).toEqual([10, 11, 12, 13, 14]);
    hot.append(randomEntry(rng), 15);
    expect(a.seqs).toEqual([10, 11, 12, 13, 14, 15]);
    // A gap (WAL replay skips sealed seqs): a list from here on.
    hot.append(randomEntry(rng), 40);
    hot.append(randomEntry(rng), 41);
    expect([a.count, a.firstSeq, a.lastSeq]).toEqual([8, 10, 41]);
    expect(a.seqs).toEqual([10, 11, 12, 13, 14, 15, 40, 41]);
    expect(Array.from(decodeEntryRecords(a.writer.bytes()).seqs)).toEqual([10, 11, 12, 13, 14, 15, 40, 41]);
  });

  it('keeps more spare buffers while seals lag, and only two once a seal tick finds the store idle', () => {
    const rng = new Prng(33);
    const hot = new HotTail();
    // Fills the active chunk and cuts it; returns whether the new active chunk got one of `pool`.
    const cutOne = (seq: number, pool: Set<unknown>) => {
      fill(hot, Array.from({ length: 20 }, () => randomEntry(rng)), seq);
      hot.cut();
      return pool.has(hot.active.writer.buf);
    };
    const none = new Set<unknown>();
    for (let k = 0; k < 6; k++) cutOne(k * 20, none);
    const lagging = [...hot.sealing];
    expect(lagging).toHaveLength(6);
    const first = new Set<unknown>(lagging.map((c) => c.writer.buf));
    // Four commit while two still wait: all four buffers are kept, and the next four cuts use them.
    for (const c of lagging.slice(0, 4)) hot.release(c);
    const reused = [0, 1, 2, 3].map((k) => cutOne(200 + k * 20, first));
    expect(reused).toEqual([true, true, true, true]);
    // Everything committed, but chunks were cut since the last seal tick: the buffers stay.
    const all = new Set<unknown>(hot.sealing.map((c) => c.writer.buf));
    for (const c of [...hot.sealing]) hot.release(c);
    const kept = hot.spareBuffers;
    expect(kept).toBeGreaterThan(2);
    hot.idleTick();
    expect(hot.spareBuffers).toBe(kept);
    // A tick with no cut since the previous one and nothing sealing: two stay.
    hot.idleTick();
    expect(hot.spareBuffers).toBe(2);
    const next = [0, 1, 2, 3].map((k) => cutOne(400 + k * 20, all));
    expect(next).toEqual([true, true, false, false]);
  });

  it('under steady load, reuses the same buffers although every chunk is committed between bursts of cuts', () => {
    const rng = new Prng(34);
    const hot = new HotTail();
    const seen = new Set<unknown>([hot.active.writer.buf]);
    let seq = 0;
    // Each round: three chunks cut while the previous ones seal, then all three committed (the
    // moment the store holds nothing sealing), then the seal tick, which saw cuts.
    for (let round = 0; round < 12; round++) {
      for (let k = 0; k < 3; k++) {
        fill(hot, Array.from({ length: 20 }, () => randomEntry(rng)), seq);
        seq += 20;
        hot.cut();
        seen.add(hot.active.writer.buf);
      }
      for (const c of [...hot.sealing]) hot.release(c);
      hot.idleTick();
    }
    // Three sealing + the active one: four buffers in all. Trimming to two whenever nothing was
    // sealing dropped one each round and allocated another (15 here).
    expect(seen.size).toBe(4);
  });
});
