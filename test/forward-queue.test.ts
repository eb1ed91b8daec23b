// The forward queue (src/server/forward/queue.ts): FIFO order, commit and reopen, the in-flight
// batch coming back after a stop, torn tails, corrupt frames, and the byte bound dropping the
// oldest data with exact counts.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskQueue, FRAME_HEADER_BYTES, type QueueBatch } from '../src/server/forward/queue.js';
import { tempDir } from './metrics-helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function dir(): string {
  const t = tempDir('fwdq');
  cleanups.push(t.remove);
  return t.dir;
}

/** A payload naming frame `i`, padded to `bytes`. */
function payload(i: number, bytes = 100): Uint8Array {
  const head = `{"i":${i},"pad":"`;
  return Buffer.from(head + 'x'.repeat(Math.max(0, bytes - head.length - 2)) + '"}');
}

function ids(batch: QueueBatch | undefined): number[] {
  return batch === undefined ? [] : batch.payloads.map((p) => JSON.parse(Buffer.from(p).toString()).i as number);
}

/** Reads everything left (committing as it goes) and returns the frame ids in order. */
function drain(q: DiskQueue): number[] {
  const out: number[] = [];
  for (let b = q.peek(3, 1 << 20); b !== undefined; b = q.peek(3, 1 << 20)) {
    out.push(...ids(b));
    q.commit(b);
  }
  return out;
}

function segmentFiles(d: string): string[] {
  return fs.readdirSync(d).filter((f) => f.endsWith('.seg')).sort();
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, k) => from + k);

describe('forward queue', () => {
  it('hands frames out in order, commits, and resumes at the committed cursor after reopen', async () => {
    const d = dir();
    const q = DiskQueue.open({ dir: d, maxBytes: 1 << 20 });
    for (let i = 0; i < 5; i++) q.append(payload(i), 10 + i);
    expect(q.stats()).toMatchObject({ queuedRecords: 10 + 11 + 12 + 13 + 14, droppedRecords: 0 });
    const first = q.peek(25, 1 << 20)!;
    // Record limit: 10 + 11 fit, 12 more would pass 25.
    expect(ids(first)).toEqual([0, 1]);
    expect(first.records).toBe(21);
    q.commit(first);
    expect(q.stats().queuedRecords).toBe(12 + 13 + 14);
    // At least one frame even when it alone passes the limits.
    const second = q.peek(1, 1)!;
    expect(ids(second)).toEqual([2]);
    q.commit(second);
    await q.close();

    const q2 = DiskQueue.open({ dir: d, maxBytes: 1 << 20 });
    expect(q2.stats()).toMatchObject({ queuedRecords: 13 + 14, droppedRecords: 0, corruptBytes: 0 });
    q2.append(payload(5), 1);
    expect(drain(q2)).toEqual([3, 4, 5]);
    expect(q2.isEmpty).toBe(true);
    expect(q2.stats().queuedRecords).toBe(0);
    await q2.close();
    const q3 = DiskQueue.open({ dir: d, maxBytes: 1 << 20 });
    expect(q3.isEmpty).toBe(true);
    expect(q3.peek(100, 1 << 20)).toBeUndefined();
    await q3.close();
  });

  it('hands an uncommitted (in-flight) batch out again after a reopen, and nothing twice after a commit', async () => {
    const d = dir();
    const q = DiskQueue.open({ dir: d, maxBytes: 1 << 20 });
    for (let i = 0; i < 4; i++) q.append(payload(i), 1);
    q.commit(q.peek(1, 1 << 20)!); // frame 0 delivered
    expect(ids(q.peek(2, 1 << 20))).toEqual([1, 2]); // in flight when we "crash"
    await q.close();
    const q2 = DiskQueue.open({ dir: d, maxBytes: 1 << 20 });
    expect(drain(q2)).toEqual([1, 2, 3]);
    await q2.close();
  });

  it('refuses a second open of the same directory in one process', async () => {
    const d = dir();
    const q = DiskQueue.open({ dir: d, maxBytes: 1 << 20 });
    expect(() => DiskQueue.open({ dir: d, maxBytes: 1 << 20 })).toThrow(/already open/);
    await q.close();
    const q2 = DiskQueue.open({ dir: d, maxBytes: 1 << 20 });
    await q2.close();
  });

  it('truncates a torn tail on open and keeps every whole frame before it', async () => {
    const d = dir();
    const q = DiskQueue.open({ dir: d, maxBytes: 1 << 20 });
    for (let i = 0; i < 3; i++) q.append(payload(i), 2);
    await q.close();
    const [seg] = segmentFiles(d);
    const file = path.join(d, seg);
    const whole = fs.statSync(file).size;
    // A crash mid-append: the start of a fourth frame, cut short.
    const full = fs.readFileSync(file);
    fs.appendFileSync(file, full.subarray(0, FRAME_HEADER_BYTES + 40));
    const logs: string[] = [];
    const q2 = DiskQueue.open({ dir: d, maxBytes: 1 << 20, log: (m) => logs.push(m) });
    expect(fs.statSync(file).size).toBe(whole);
    expect(q2.stats()).toMatchObject({ queuedRecords: 6, corruptBytes: FRAME_HEADER_BYTES + 40 });
    expect(logs.join('\n')).toMatch(/torn or corrupt tail/);
    // Appends continue right after the last whole frame.
    q2.append(payload(3), 2);
    await q2.close();
    const q3 = DiskQueue.open({ dir: d, maxBytes: 1 << 20 });
    expect(q3.stats().corruptBytes).toBe(0);
    expect(drain(q3)).toEqual([0, 1, 2, 3]);
    await q3.close();
  });

  it('skips the rest of a segment whose frame fails its crc on open, and reads the next segments', async () => {
    const d = dir();
    // 4 KiB segments: 100-byte payloads make 34 frames per segment.
    const q = DiskQueue.open({ dir: d, maxBytes: 1 << 20, segmentBytes: 4096 });
    for (let i = 0; i < 60; i++) q.append(payload(i), 1);
    await q.close();
    const segs = segmentFiles(d);
    expect(segs.length).toBe(2);
    const frameBytes = FRAME_HEADER_BYTES + payload(0).length;
    const perSegment = Math.floor(4096 / frameBytes);
    // Flip one payload byte of frame 5 of the first segment.
    const file = path.join(d, segs[0]);
    const buf = fs.readFileSync(file);
    buf[5 * frameBytes + FRAME_HEADER_BYTES + 3] ^= 0x40;
    fs.writeFileSync(file, buf);
    const logs: string[] = [];
    const q2 = DiskQueue.open({ dir: d, maxBytes: 1 << 20, log: (m) => logs.push(m) });
    expect(q2.stats().corruptBytes).toBe((perSegment - 5) * frameBytes);
    expect(logs.join('\n')).toMatch(/fails its checksum/);
    expect(drain(q2)).toEqual([...range(0, 5), ...range(perSegment, 60)]);
    await q2.close();
  });

  it('drops a frame that fails its crc when read, counts its records, and goes on', async () => {
    const d = dir();
    const q = DiskQueue.open({ dir: d, maxBytes: 1 << 20 });
    for (let i = 0; i < 4; i++) q.append(payload(i), 7);
    const [seg] = segmentFiles(d);
    const file = path.join(d, seg);
    const frameBytes = FRAME_HEADER_BYTES + payload(0).length;
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from('#'), 0, 1, frameBytes + FRAME_HEADER_BYTES + 10); // inside frame 1
    fs.closeSync(fd);
    expect(drain(q)).toEqual([0, 2, 3]);
    expect(q.stats()).toMatchObject({ corruptRecords: 7, queuedRecords: 0 });
    await q.close();
  });

  it('resends from the oldest segment when the cursor file is corrupt (duplicates, never gaps)', async () => {
    const d = dir();
    const q = DiskQueue.open({ dir: d, maxBytes: 1 << 20 });
    for (let i = 0; i < 3; i++) q.append(payload(i), 1);
    q.commit(q.peek(1, 1 << 20)!);
    await q.close();
    fs.writeFileSync(path.join(d, 'cursor'), Buffer.alloc(20, 7));
    const logs: string[] = [];
    const q2 = DiskQueue.open({ dir: d, maxBytes: 1 << 20, log: (m) => logs.push(m) });
    expect(logs.join('\n')).toMatch(/cursor file is corrupt/);
    expect(drain(q2)).toEqual([0, 1, 2]);
    await q2.close();
  });

  it('stays within maxBytes by dropping the oldest segments, counting exactly the unread records lost', async () => {
    const d = dir();
    const maxBytes = 8192;
    const q = DiskQueue.open({ dir: d, maxBytes, segmentBytes: 2048 });
    const frameBytes = FRAME_HEADER_BYTES + payload(0).length;
    const total = 200;
    // Deliver the first 10 frames, so drops count only records that were still unread.
    for (let i = 0; i < 10; i++) q.append(payload(i), 3);
    expect(drain(q)).toEqual(range(0, 10));
    for (let i = 10; i < total; i++) {
      q.append(payload(i), 3);
      const files = segmentFiles(d).reduce((n, f) => n + fs.statSync(path.join(d, f)).size, 0);
      expect(files).toBeLessThanOrEqual(maxBytes);
      expect(q.stats().diskBytes).toBe(files);
    }
    const s = q.stats();
    expect(s.droppedRecords).toBeGreaterThan(0);
    // Every record appended after the drain is either still queued or counted as dropped.
    expect(s.droppedRecords + s.queuedRecords).toBe((total - 10) * 3);
    const left = drain(q);
    // What is left is the newest data, contiguous up to the last append.
    expect(left).toEqual(range(total - left.length, total));
    expect(left.length * 3).toBe(s.queuedRecords);
    expect(left.length * frameBytes).toBeLessThanOrEqual(maxBytes);
    // A frame that could never fit is dropped alone, counted.
    q.append(payload(999, maxBytes), 5);
    expect(q.stats().droppedRecords).toBe(s.droppedRecords + 5);
    await q.close();
  });

  it('does not count an in-flight batch as dropped when its segment is pushed out', async () => {
    const d = dir();
    const q = DiskQueue.open({ dir: d, maxBytes: 8192, segmentBytes: 2048 });
    for (let i = 0; i < 5; i++) q.append(payload(i), 1);
    const inflight = q.peek(2, 1 << 20)!;
    expect(ids(inflight)).toEqual([0, 1]);
    for (let i = 5; i < 100; i++) q.append(payload(i), 1);
    const s = q.stats();
    // Frames 2.. of the first segment were lost unread; 0 and 1 are the sender's to account for.
    expect(s.droppedRecords + s.queuedRecords).toBe(98);
    q.commit(inflight); // delivered after all: a no-op for the queue
    expect(q.stats().queuedRecords).toBe(s.queuedRecords);
    const left = drain(q);
    expect(left).toEqual(range(100 - left.length, 100));
    await q.close();
  });

  it('deletes delivered segments', async () => {
    const d = dir();
    const q = DiskQueue.open({ dir: d, maxBytes: 1 << 20, segmentBytes: 4096 });
    for (let i = 0; i < 200; i++) q.append(payload(i), 1);
    expect(segmentFiles(d).length).toBeGreaterThan(3);
    expect(drain(q)).toEqual(range(0, 200));
    expect(segmentFiles(d).length).toBeLessThanOrEqual(1);
    expect(q.stats().diskBytes).toBeLessThanOrEqual(4096);
    await q.close();
  });
});
