// Coalesced block reads for one read task (runs in a pool worker, or on the main thread for small
// reads), for every engine. Sealing and compaction write the blocks a query wants back to back (a
// series' blocks, a time window's blocks), so most blocks of a task sit in a handful of contiguous
// file ranges: one positional read per range instead of one per block (a 200-series metrics day
// read went from ~1,000 reads to ~200, and the syscalls had cost as much as the step aggregation).
import path from 'node:path';
import type { SegmentReader } from './segments.js';

/** What a fetch needs of a block row: its segment file and byte span. */
export interface BlockSpan {
  /** Relative to the fetcher's root when it has one, else an absolute path. */
  file: string;
  offset: number;
  length: number;
}

/** Two blocks this close in one file are read together (the gap bytes are read and dropped). */
export const COALESCE_GAP_BYTES = 8 * 1024;
/** Largest single read: bounds the memory a range holds beyond its blocks. */
export const MAX_READ_BYTES = 4 * 1024 * 1024;

export class BlockFetcher {
  private readonly bytes = new Map<BlockSpan, Uint8Array>();

  /**
   * Reads the ranges of `spans` that hold two or more blocks now, in as few reads as the layout
   * allows. A range that fails to read (a file shorter than the index says, an I/O error) is left
   * out: get() then reads its blocks one by one, so the error is reported against the block it
   * belongs to. `root`: the directory span files are relative to (omitted: they are absolute).
   */
  constructor(
    private readonly reader: SegmentReader,
    spans: readonly BlockSpan[],
    private readonly root?: string,
  ) {
    const sorted = [...spans].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.offset - b.offset));
    let i = 0;
    while (i < sorted.length) {
      const first = sorted[i];
      let end = first.offset + first.length;
      let j = i + 1;
      while (j < sorted.length) {
        const next = sorted[j];
        const nextEnd = Math.max(end, next.offset + next.length);
        if (next.file !== first.file || next.offset - end > COALESCE_GAP_BYTES || nextEnd - first.offset > MAX_READ_BYTES) break;
        end = nextEnd;
        j++;
      }
      if (j - i > 1) this.readRange(sorted, i, j, end);
      i = j;
    }
  }

  /** The framed bytes of `span` (the same object given to the constructor: prefetched, or read now). Throws StorageError as SegmentReader.read. */
  get(span: BlockSpan): Uint8Array {
    return this.bytes.get(span) ?? this.reader.read(this.abs(span.file), span.offset, span.length);
  }

  private abs(file: string): string {
    return this.root === undefined ? file : path.join(this.root, file);
  }

  private readRange(sorted: readonly BlockSpan[], i: number, j: number, end: number): void {
    const start = sorted[i].offset;
    let range: Uint8Array;
    try {
      range = this.reader.read(this.abs(sorted[i].file), start, end - start);
    } catch {
      return;
    }
    for (let k = i; k < j; k++) {
      const s = sorted[k];
      this.bytes.set(s, range.subarray(s.offset - start, s.offset - start + s.length));
    }
  }
}
