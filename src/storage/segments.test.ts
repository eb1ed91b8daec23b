import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { frameBlock, scanSegment } from './block.js';
import { StorageError } from './errors.js';
import { dayKeyOf, readAt, SegmentAllocator, SegmentReader, writeAt } from './segments.js';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-seg-'));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('dayKeyOf', () => {
  it('gives the UTC day', () => {
    expect(dayKeyOf(Date.UTC(2026, 10, 27, 0, 0, 0))).toBe('2026-11-27');
    expect(dayKeyOf(Date.UTC(2026, 10, 27, 23, 59, 59, 999))).toBe('2026-11-27');
    expect(dayKeyOf(Date.UTC(2026, 10, 28))).toBe('2026-11-28');
    expect(dayKeyOf(0)).toBe('1970-01-01');
    expect(() => dayKeyOf(NaN)).toThrow(RangeError);
  });
});

describe('SegmentAllocator', () => {
  it('hands out consecutive offsets, rotates at maxSegmentBytes, gives an oversize run its own file', async () => {
    const a = await SegmentAllocator.open(root, { maxSegmentBytes: 100 });
    expect(a.allocate('2026-11-27', 40)).toEqual({ file: 'segments/2026-11-27/2026-11-27-000001.seg', offset: 0 });
    expect(a.allocate('2026-11-27', 60)).toEqual({ file: 'segments/2026-11-27/2026-11-27-000001.seg', offset: 40 });
    expect(a.allocate('2026-11-27', 1)).toEqual({ file: 'segments/2026-11-27/2026-11-27-000002.seg', offset: 0 });
    expect(a.allocate('2026-11-27', 500)).toEqual({ file: 'segments/2026-11-27/2026-11-27-000003.seg', offset: 0 });
    expect(a.allocate('2026-11-28', 10)).toEqual({ file: 'segments/2026-11-28/2026-11-28-000001.seg', offset: 0 });
    expect(a.allocate('2026-11-27', 10)).toEqual({ file: 'segments/2026-11-27/2026-11-27-000004.seg', offset: 0 });
    expect(a.files().map((f) => [f.file.slice(-13), f.bytes, f.sealed])).toEqual([
      ['27-000001.seg', 100, true],
      ['27-000002.seg', 1, true],
      ['27-000003.seg', 500, true],
      ['27-000004.seg', 10, false],
      ['28-000001.seg', 10, false],
    ]);
    expect(() => a.allocate('27-11-2026', 1)).toThrow(RangeError);
    expect(() => a.allocate('2026-11-27', 0)).toThrow(RangeError);
  });

  it('workers write framed blocks at allocated offsets; a reopened allocator continues from the file sizes', async () => {
    const a = await SegmentAllocator.open(root);
    const day = dayKeyOf(Date.UTC(2026, 0, 5));
    const blocks = [10, 0, 300].map((n, i) => frameBlock({ kind: 0, ownerId: i, count: n, tMinMs: 0, tMaxMs: 0 }, new Uint8Array(n).fill(i + 1)));
    const spots = blocks.map((b) => a.allocate(day, b.length));
    // Out of order on purpose: positional writes must not depend on completion order.
    for (const i of [2, 0, 1]) writeAt(a.absPath(spots[i].file), spots[i].offset, blocks[i], { sync: i !== 1 });
    const abs = a.absPath(spots[0].file);
    expect(fs.existsSync(abs)).toBe(true);
    for (let i = 0; i < 3; i++) {
      expect(Buffer.from(readAt(abs, spots[i].offset, blocks[i].length)).equals(Buffer.from(blocks[i]))).toBe(true);
    }
    const scanned = scanSegment(fs.readFileSync(abs));
    expect(scanned.blocks.map((b) => b.header.ownerId)).toEqual([0, 1, 2]);

    const b = SegmentAllocator.openSync(root);
    const c = await SegmentAllocator.open(root);
    const total = blocks.reduce((n, x) => n + x.length, 0);
    expect(b.files()).toEqual([{ file: spots[0].file, day, seq: 1, bytes: total, sealed: false }]);
    expect(c.files()).toEqual(b.files());
    expect(c.allocate(day, 7)).toEqual({ file: spots[0].file, offset: total });
  });

  it('truncate() cuts the file on disk and the next allocation reuses the space', async () => {
    const a = await SegmentAllocator.open(root);
    const s1 = a.allocate('2026-01-01', 100);
    const s2 = a.allocate('2026-01-01', 50);
    writeAt(a.absPath(s1.file), s1.offset, new Uint8Array(100).fill(1));
    writeAt(a.absPath(s2.file), s2.offset, new Uint8Array(50).fill(2));
    await a.truncate(s1.file, 100);
    expect(fs.statSync(a.absPath(s1.file)).size).toBe(100);
    expect(a.sizeOf(s1.file)).toBe(100);
    expect(a.allocate('2026-01-01', 10).offset).toBe(100);
    await expect(a.truncate(s1.file, 1000)).rejects.toThrow(RangeError);
    await expect(a.truncate('segments/2026-01-01/2026-01-01-000009.seg', 0)).rejects.toThrow(RangeError);
  });

  it('deleteFile() unlinks, removes the empty day directory, and never reuses the file name', async () => {
    const a = await SegmentAllocator.open(root);
    const s = a.allocate('2026-02-02', 10);
    writeAt(a.absPath(s.file), s.offset, new Uint8Array(10));
    await a.deleteFile(s.file);
    expect(fs.existsSync(a.absPath(s.file))).toBe(false);
    expect(fs.existsSync(path.join(root, 'segments', '2026-02-02'))).toBe(false);
    expect(a.files()).toEqual([]);
    expect(a.allocate('2026-02-02', 10).file).toBe('segments/2026-02-02/2026-02-02-000002.seg');
  });

  it('readAt past the end of the file is CORRUPT_BLOCK; a missing file is IO', async () => {
    const a = await SegmentAllocator.open(root);
    const s = a.allocate('2026-03-03', 10);
    writeAt(a.absPath(s.file), 0, new Uint8Array(10));
    const err = (() => {
      try {
        readAt(a.absPath(s.file), 5, 10);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).code).toBe('CORRUPT_BLOCK');
    expect(() => readAt(path.join(root, 'nope.seg'), 0, 1)).toThrowError(expect.objectContaining({ code: 'IO' }));
  });

  it('SegmentReader reads many blocks of several files through one open handle each, and reports short files', async () => {
    const a = await SegmentAllocator.open(root);
    const files = ['2026-03-04', '2026-03-05'].map((day) => a.allocate(day, 300));
    files.forEach((f, k) => writeAt(a.absPath(f.file), 0, Uint8Array.from({ length: 300 }, (_, i) => (i * 7 + k) & 0xff)));
    const reader = new SegmentReader();
    try {
      for (let i = 0; i < 20; i++) {
        const k = i % 2;
        const offset = (i * 13) % 250;
        const got = reader.read(a.absPath(files[k].file), offset, 40);
        expect(Array.from(got)).toEqual(Array.from({ length: 40 }, (_, j) => ((offset + j) * 7 + k) & 0xff));
      }
      expect(() => reader.read(a.absPath(files[0].file), 290, 20)).toThrowError(expect.objectContaining({ code: 'CORRUPT_BLOCK' }));
    } finally {
      reader.close();
    }
  });
});
