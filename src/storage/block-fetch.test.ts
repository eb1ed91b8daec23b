// BlockFetcher: coalesced reads return each block's exact bytes, in fewer reads, and a range that
// cannot be read falls back to per-block reads so the error lands on the block it belongs to. Span
// files are relative to a root (metrics) or absolute (logs).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlockFetcher, COALESCE_GAP_BYTES, type BlockSpan } from './block-fetch.js';
import { StorageError } from './errors.js';
import { SegmentReader } from './segments.js';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-fetch-'));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** A SegmentReader that counts its reads. */
class CountingReader extends SegmentReader {
  reads = 0;
  override read(absPath: string, offset: number, length: number): Uint8Array {
    this.reads++;
    return super.read(absPath, offset, length);
  }
}

function writeFile(rel: string, bytes: number): Uint8Array {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 131 + 7) & 255;
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), data);
  return data;
}

describe('BlockFetcher', () => {
  it('reads neighbouring blocks of a file together and returns each block exactly', () => {
    const a = writeFile('segments/a.seg', 200_000);
    const b = writeFile('segments/b.seg', 1000);
    const refs: BlockSpan[] = [
      // Given out of order: the fetcher sorts by file and offset.
      { file: 'segments/a.seg', offset: 300, length: 50 },
      { file: 'segments/a.seg', offset: 0, length: 100 },
      { file: 'segments/a.seg', offset: 100, length: 200 }, // back to back with the first
      { file: 'segments/a.seg', offset: 350 + COALESCE_GAP_BYTES, length: 10 }, // gap = the limit: joined
      { file: 'segments/a.seg', offset: 100_000, length: 64 }, // far away: its own read
      { file: 'segments/b.seg', offset: 10, length: 90 },
      { file: 'segments/b.seg', offset: 5, length: 20 }, // overlapping another ref
    ];
    const reader = new CountingReader();
    try {
      const f = new BlockFetcher(reader, refs, root);
      expect(reader.reads).toBe(2); // a.seg 0..~8.5 KiB and b.seg 5..100; singles are read on demand
      for (const r of refs) {
        const src = r.file.endsWith('a.seg') ? a : b;
        expect(Array.from(f.get(r))).toEqual(Array.from(src.subarray(r.offset, r.offset + r.length)));
      }
      expect(reader.reads).toBe(3); // + the far block of a.seg
    } finally {
      reader.close();
    }
  });

  it('a range past the end of its file falls back: good blocks still read, the bad one throws CORRUPT_BLOCK', () => {
    const a = writeFile('segments/a.seg', 500);
    const good = { file: 'segments/a.seg', offset: 0, length: 100 };
    const bad = { file: 'segments/a.seg', offset: 450, length: 100 }; // index points past the data
    const missing = { file: 'segments/gone.seg', offset: 0, length: 10 };
    const reader = new SegmentReader();
    try {
      const f = new BlockFetcher(reader, [good, bad, missing], root);
      expect(Array.from(f.get(good))).toEqual(Array.from(a.subarray(0, 100)));
      expect(() => f.get(bad)).toThrow(StorageError);
      expect(() => f.get(bad)).toThrow(/CORRUPT_BLOCK/);
      expect(() => f.get(missing)).toThrow(StorageError);
    } finally {
      reader.close();
    }
  });

  it('without a root, span files are absolute paths', () => {
    const a = writeFile('segments/a.seg', 1000);
    const abs = path.join(root, 'segments/a.seg');
    const spans: BlockSpan[] = [
      { file: abs, offset: 0, length: 100 },
      { file: abs, offset: 100, length: 300 },
      { file: abs, offset: 900, length: 50 },
    ];
    const reader = new CountingReader();
    try {
      const f = new BlockFetcher(reader, spans);
      expect(reader.reads).toBe(1);
      for (const s of spans) expect(Array.from(f.get(s))).toEqual(Array.from(a.subarray(s.offset, s.offset + s.length)));
      expect(reader.reads).toBe(1); // the third is within the gap limit of the second: same range
    } finally {
      reader.close();
    }
  });
});
