import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Prng } from '../../bench/gen/prng.js';
import { crc32c as refCrc32c } from '../codec/reference/crc32c.js';
import { StorageError } from './errors.js';
import { Wal, WAL_CHUNK_BYTES, WAL_FRAME_HEADER_BYTES, walFilePath, type WalCorruption } from './wal.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-wal-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const payloads = (recs: { payload: Uint8Array }[]) => recs.map((r) => Array.from(r.payload));
const u8 = (...b: number[]) => Uint8Array.from(b);

describe('Wal', () => {
  it('writes the documented frame layout: TWAL | payloadBytes | crc32c(payload) | [u32 len][record]…', async () => {
    const { wal } = await Wal.open({ dir });
    wal.append(u8(1, 2, 3));
    wal.append(u8());
    await wal.sync();
    await wal.close();
    const file = fs.readFileSync(walFilePath(dir, 1));
    const payload = u8(3, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0);
    const crc = refCrc32c(payload);
    expect(Array.from(file)).toEqual([
      ...[0x54, 0x57, 0x41, 0x4c], // 'TWAL'
      ...[payload.length, 0, 0, 0],
      ...[crc & 255, (crc >>> 8) & 255, (crc >>> 16) & 255, crc >>> 24],
      ...payload,
    ]);
  });

  it('round-trips many records of every size (empty, small, 5 MB) in append order across reopen', async () => {
    const rng = new Prng(101);
    const expected: Uint8Array[] = [];
    const { wal, records } = await Wal.open({ dir });
    expect(records).toEqual([]);
    for (let i = 0; i < 3000; i++) {
      const size = i === 1234 ? 5 * 1024 * 1024 : rng.int(0, 4) === 0 ? 0 : rng.int(1, 700);
      const p = rng.bytes(size);
      expected.push(p);
      wal.append(p);
      if (rng.int(0, 40) === 0) await wal.sync();
    }
    await wal.close();
    const again = await Wal.open({ dir });
    expect(again.records.length).toBe(expected.length);
    again.records.forEach((r, i) => {
      expect(r.seq).toBe(1);
      expect(Buffer.from(r.payload).equals(Buffer.from(expected[i]))).toBe(true);
    });
    expect(again.tornTail).toBeUndefined();
    // New appends go to a new file, so replayed records are exactly those with seq < wal.seq.
    expect(again.wal.seq).toBe(2);
    again.wal.append(u8(9));
    await again.wal.close();
    const third = await Wal.open({ dir });
    expect(third.records.length).toBe(expected.length + 1);
    expect(third.records[expected.length]).toEqual({ seq: 2, payload: u8(9) });
    await third.wal.close();
  });

  it('frames spanning many buffer chunks (records and length prefixes cut at chunk edges) keep an exact crc', async () => {
    const rng = new Prng(7);
    const { wal } = await Wal.open({ dir });
    const expected: Uint8Array[] = [];
    // Sizes walk the running offset across the 64 KiB first-chunk edge and several 1 MiB chunk edges,
    // so some length prefixes and many payloads are split between two chunks.
    const sizes = [65_510, 3, 17, WAL_CHUNK_BYTES - 2, 1, 0, 2 * WAL_CHUNK_BYTES + 5, ...Array.from({ length: 300 }, () => rng.int(0, 9000))];
    for (const size of sizes) {
      const p = rng.bytes(size);
      expected.push(p);
      wal.append(p);
    }
    expect(wal.pendingBytes).toBe(sizes.reduce((a, n) => a + 4 + n, 0));
    await wal.sync();
    expect(wal.pendingBytes).toBe(0);
    // A second frame reuses the recycled chunks: its crc must start from zero again.
    wal.append(u8(5, 6, 7));
    await wal.close();
    const file = fs.readFileSync(walFilePath(dir, 1));
    const first = file.readUInt32LE(4);
    expect(first).toBe(sizes.reduce((a, n) => a + 4 + n, 0));
    expect(file.readUInt32LE(8)).toBe(refCrc32c(file.subarray(WAL_FRAME_HEADER_BYTES, WAL_FRAME_HEADER_BYTES + first)));
    const second = WAL_FRAME_HEADER_BYTES + first;
    expect(file.readUInt32LE(second + 8)).toBe(refCrc32c(u8(3, 0, 0, 0, 5, 6, 7)));
    const again = await Wal.open({ dir });
    expect(again.records.length).toBe(expected.length + 1);
    expected.forEach((p, i) => expect(Buffer.from(again.records[i].payload).equals(Buffer.from(p))).toBe(true));
    await again.wal.close();
  });

  it('group commit: 200 concurrent sync() calls share at most two fdatasyncs and every record replays once', async () => {
    const { wal } = await Wal.open({ dir });
    for (let i = 0; i < 100; i++) wal.append(u8(i));
    expect(wal.pendingBytes).toBe(100 * 5);
    await Promise.all(Array.from({ length: 100 }, () => wal.sync()));
    expect(wal.stats.fdatasyncs).toBe(1);
    expect(wal.pendingBytes).toBe(0);

    // Appends interleaved with syncs while a frame is in flight: they all join the next frame.
    const before = wal.stats.fdatasyncs;
    const acks: number[] = [];
    const syncs: Promise<void>[] = [];
    for (let i = 100; i < 200; i++) {
      wal.append(u8(i));
      syncs.push(wal.sync().then(() => void acks.push(i)));
    }
    await Promise.all(syncs);
    expect(acks.length).toBe(100);
    expect(wal.stats.fdatasyncs - before).toBeLessThanOrEqual(2);
    await wal.close();

    const { records, wal: w2 } = await Wal.open({ dir });
    expect(records.map((r) => r.payload[0])).toEqual(Array.from({ length: 200 }, (_, i) => i));
    await w2.close();
  });

  it('a steady stream reuses its frame chunks: one frame filling while the previous one is written', async () => {
    const { wal } = await Wal.open({ dir });
    const record = new Uint8Array(256 * 1024).fill(7);
    let previous: Promise<void> = Promise.resolve();
    let afterWarmUp = 0;
    let framesAtWarmUp = 0;
    for (let round = 0; round < 40; round++) {
      // Frames of 3 and 6 MiB in turn (flush timing varies a real stream's frame sizes).
      const records = round % 2 === 0 ? 12 : 24;
      for (let i = 0; i < records; i++) wal.append(record);
      const sync = wal.sync();
      await previous; // this round's frame is written while the next round fills
      previous = sync;
      if (round === 9) {
        afterWarmUp = wal.stats.chunksAllocated;
        framesAtWarmUp = wal.stats.frames;
      }
    }
    await previous;
    expect(afterWarmUp).toBeGreaterThan(0);
    expect(wal.stats.chunksAllocated).toBe(afterWarmUp);
    expect(wal.stats.frames - framesAtWarmUp).toBeGreaterThanOrEqual(10); // group commit joins some rounds
    await wal.close();
  });

  it('sync() with nothing appended resolves without touching the disk', async () => {
    const { wal } = await Wal.open({ dir });
    await wal.sync();
    await wal.sync();
    expect(wal.stats.fdatasyncs).toBe(0);
    await wal.close();
  });

  it('truncates a torn last frame (cut mid-frame + garbage) and replays the valid prefix', async () => {
    const { wal } = await Wal.open({ dir });
    wal.append(u8(1));
    await wal.sync();
    wal.append(u8(2, 2));
    await wal.sync();
    const goodBytes = fs.statSync(walFilePath(dir, 1)).size;
    wal.append(new Uint8Array(1000).fill(3));
    await wal.close();
    const file = walFilePath(dir, 1);
    // Keep half of the third frame, then garbage as a crash might leave it.
    const whole = fs.readFileSync(file);
    fs.writeFileSync(file, Buffer.concat([whole.subarray(0, goodBytes + 500), Buffer.from('garbage!garbage!')]));

    const { wal: w2, records, tornTail } = await Wal.open({ dir });
    expect(payloads(records)).toEqual([[1], [2, 2]]);
    expect(tornTail).toEqual({ seq: 1, file, validBytes: goodBytes, droppedBytes: 516 });
    expect(fs.statSync(file).size).toBe(goodBytes);
    await w2.close();
    // After truncation the directory is clean: nothing torn the second time.
    const third = await Wal.open({ dir });
    expect(third.tornTail).toBeUndefined();
    expect(payloads(third.records)).toEqual([[1], [2, 2]]);
    await third.wal.close();
  });

  it('truncates garbage after complete frames and a tail shorter than a frame header', async () => {
    const { wal } = await Wal.open({ dir });
    wal.append(u8(7));
    await wal.close();
    const file = walFilePath(dir, 1);
    const size = fs.statSync(file).size;
    fs.appendFileSync(file, Buffer.from([0x54, 0x57, 0x41])); // 3 bytes of a header
    const r = await Wal.open({ dir });
    expect(payloads(r.records)).toEqual([[7]]);
    expect(fs.statSync(file).size).toBe(size);
    await r.wal.close();
  });

  it('reports a corrupt frame in an older file, skips that file’s rest, and still replays later files', async () => {
    const { wal } = await Wal.open({ dir });
    wal.append(u8(1));
    await wal.sync();
    const firstFrameBytes = fs.statSync(walFilePath(dir, 1)).size;
    wal.append(u8(2));
    await wal.sync();
    wal.append(u8(3));
    expect(await wal.rotate()).toBe(2);
    wal.append(u8(4));
    await wal.close();
    // Flip the record byte of the second frame in file 1.
    const f1 = walFilePath(dir, 1);
    const bytes = fs.readFileSync(f1);
    bytes[firstFrameBytes + WAL_FRAME_HEADER_BYTES + 4] ^= 0xff;
    fs.writeFileSync(f1, bytes);

    const seen: WalCorruption[] = [];
    const r = await Wal.open({ dir, onCorrupt: (c) => seen.push(c) });
    expect(payloads(r.records)).toEqual([[1], [4]]);
    expect(r.records.map((x) => x.seq)).toEqual([1, 2]);
    expect(seen.length).toBe(1);
    expect(seen[0].seq).toBe(1);
    expect(seen[0].offset).toBe(firstFrameBytes);
    expect(seen[0].error).toBeInstanceOf(StorageError);
    expect(seen[0].error.code).toBe('WAL_CORRUPT');
    expect(r.corrupt).toEqual(seen);
    // The older file is evidence, not a tail: left as it was.
    expect(fs.readFileSync(f1).equals(bytes)).toBe(true);
    await r.wal.close();
  });

  it('rotate() syncs and starts seq+1; files() lists durable lengths; dropBefore() deletes older files', async () => {
    const { wal } = await Wal.open({ dir });
    wal.append(u8(1));
    expect(await wal.rotate()).toBe(2);
    wal.append(u8(2));
    await wal.sync();
    expect(await wal.rotate()).toBe(3);
    expect(wal.seq).toBe(3);
    const files = wal.files();
    expect(files.map((f) => f.seq)).toEqual([1, 2, 3]);
    expect(files.map((f) => f.bytes)).toEqual([17, 17, 0]);
    for (const f of files) expect(fs.statSync(f.path).size).toBe(f.bytes);
    wal.append(u8(3));
    expect(await wal.dropBefore(3)).toBe(2);
    expect(fs.existsSync(walFilePath(dir, 1))).toBe(false);
    expect(fs.existsSync(walFilePath(dir, 2))).toBe(false);
    // dropBefore never deletes the file being written, whatever seq it is given.
    expect(await wal.dropBefore(100)).toBe(0);
    await wal.close();
    const r = await Wal.open({ dir });
    expect(r.records).toEqual([{ seq: 3, payload: u8(3) }]);
    await r.wal.close();
  });

  it('continues in a new file once a frame ends past maxFileBytes', async () => {
    const { wal } = await Wal.open({ dir, maxFileBytes: 1000 });
    for (let i = 0; i < 30; i++) {
      wal.append(new Uint8Array(300).fill(i));
      await wal.sync();
    }
    expect(wal.seq).toBeGreaterThan(5);
    await wal.close();
    const r = await Wal.open({ dir, maxFileBytes: 1000 });
    expect(r.records.map((x) => x.payload[0])).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(r.records[29].seq).toBeGreaterThan(r.records[0].seq);
    await r.wal.close();
  });

  it('after close(): pending records are durable, and every call throws StorageError CLOSED', async () => {
    const { wal } = await Wal.open({ dir });
    wal.append(u8(5));
    const pending = wal.sync();
    await wal.close();
    await pending;
    await wal.close(); // idempotent
    expect(() => wal.append(u8(1))).toThrowError(expect.objectContaining({ code: 'CLOSED' }));
    await expect(wal.sync()).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(wal.rotate()).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(wal.dropBefore(1)).rejects.toMatchObject({ code: 'CLOSED' });
    const r = await Wal.open({ dir });
    expect(payloads(r.records)).toEqual([[5]]);
    await r.wal.close();
  });

  it('keeps the records of a frame whose write failed: a later sync() writes them, never resolves over them', async () => {
    const { wal } = await Wal.open({ dir });
    wal.append(u8(1));
    await wal.sync();
    // The disk fills: every write fails until space returns.
    const handle = (wal as unknown as { handle: { writev: (...a: unknown[]) => Promise<unknown> } }).handle;
    const writev = handle.writev.bind(handle);
    let full = true;
    handle.writev = (...a: unknown[]) => (full ? Promise.reject(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })) : writev(...a));
    wal.append(u8(2, 2));
    // A background frame: nobody waits on it, so nobody would hear that its records were dropped.
    await expect(wal.sync()).rejects.toThrow(StorageError);
    wal.append(u8(3, 3, 3));
    // Still full: the retry fails too, instead of resolving over record 2.
    await expect(wal.sync()).rejects.toMatchObject({ code: 'IO' });
    expect(wal.pendingBytes).toBe(4 + 2 + 4 + 3);
    full = false;
    wal.append(u8(4));
    await wal.sync();
    expect(wal.pendingBytes).toBe(0);
    await wal.close();
    const { wal: again, records, corrupt } = await Wal.open({ dir });
    expect(corrupt).toEqual([]);
    expect(payloads(records)).toEqual([[1], [2, 2], [3, 3, 3], [4]]);
    await again.close();
  });
});
