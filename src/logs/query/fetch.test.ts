import { describe, expect, it } from 'vitest';
import { StorageError } from '../../storage/errors.js';
import type { SegmentReader } from '../../storage/segments.js';
import { BlockFetcher, COALESCE_GAP_BYTES, MAX_READ_BYTES, type BlockSpan } from './fetch.js';

/** A reader over in-memory "files" (byte i of a file = i & 0xff) that records every read. */
function fakeReader(sizes: Record<string, number>) {
  const reads: Array<[string, number, number]> = [];
  const reader = {
    read(file: string, offset: number, length: number): Uint8Array {
      reads.push([file, offset, length]);
      const size = sizes[file];
      if (size === undefined) throw new StorageError('IO', `no such file ${file}`);
      if (offset + length > size) throw new StorageError('CORRUPT_BLOCK', `${file} ends before ${offset + length}`);
      return Uint8Array.from({ length }, (_, i) => (offset + i) & 0xff);
    },
    close() {},
  };
  return { reader: reader as unknown as SegmentReader, reads };
}

const expectBytes = (b: Uint8Array, span: BlockSpan) => {
  expect(b.length).toBe(span.length);
  for (let i = 0; i < b.length; i += 97) expect(b[i]).toBe((span.offset + i) & 0xff);
};

describe('BlockFetcher', () => {
  it('reads neighbouring blocks of a file in one read, other files apart', () => {
    const { reader, reads } = fakeReader({ a: 1 << 22, b: 1000 });
    const spans: BlockSpan[] = [
      { file: 'a', offset: 5000, length: 100 },
      { file: 'a', offset: 0, length: 1000 },
      { file: 'a', offset: 1000, length: 2000 }, // contiguous with the previous
      { file: 'a', offset: 3000 + COALESCE_GAP_BYTES + 1, length: 10 }, // within the gap of 5000..5100's end
      { file: 'b', offset: 0, length: 500 }, // alone in its file: read on demand
    ];
    const f = new BlockFetcher(reader, spans);
    for (const s of spans) expectBytes(f.get(s), s);
    const ranged = reads.filter(([file]) => file === 'a');
    expect(ranged.length).toBe(1);
    expect(ranged[0]).toEqual(['a', 0, 3000 + COALESCE_GAP_BYTES + 1 + 10]);
    expect(reads.filter(([file]) => file === 'b')).toEqual([['b', 0, 500]]);
  });

  it('splits ranges at the gap and size limits', () => {
    const { reader, reads } = fakeReader({ a: 1 << 24 });
    const gap: BlockSpan[] = [
      { file: 'a', offset: 0, length: 10 },
      { file: 'a', offset: 10, length: 10 },
      { file: 'a', offset: 20 + COALESCE_GAP_BYTES + 1, length: 10 },
      { file: 'a', offset: 30 + 2 * COALESCE_GAP_BYTES + 1, length: 10 },
    ];
    new BlockFetcher(reader, gap);
    expect(reads).toEqual([
      ['a', 0, 20],
      ['a', 20 + COALESCE_GAP_BYTES + 1, 10 + COALESCE_GAP_BYTES + 10],
    ]);
    reads.length = 0;
    const big: BlockSpan[] = [
      { file: 'a', offset: 0, length: MAX_READ_BYTES - 100 },
      { file: 'a', offset: MAX_READ_BYTES - 100, length: 200 },
    ];
    new BlockFetcher(reader, big);
    expect(reads).toEqual([]); // each would exceed MAX_READ_BYTES together: read on demand
  });

  it('falls back to per-block reads when a range fails, so the error lands on its block', () => {
    const { reader } = fakeReader({ a: 1500 });
    const ok: BlockSpan = { file: 'a', offset: 0, length: 1000 };
    const bad: BlockSpan = { file: 'a', offset: 1000, length: 1000 };
    const f = new BlockFetcher(reader, [ok, bad]);
    expectBytes(f.get(ok), ok);
    expect(() => f.get(bad)).toThrow(StorageError);
  });
});
