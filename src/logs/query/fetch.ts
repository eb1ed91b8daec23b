// Coalesced block reads for one worker read task. Sealing appends a query's candidate blocks back
// to back in a few segment files (and compaction rewrites neighbours together), so the blocks of a
// batch mostly form a handful of contiguous ranges: one positional read per range instead of one
// per block. The same idea as the metrics engine's fetcher; logs may not import metrics (layout
// rule), and this one takes absolute paths.
import type { SegmentReader } from '../../storage/segments.js';

/** What a fetch needs of a block: its segment file (absolute path) and byte span. */
export interface BlockSpan {
  file: string;
  offset: number;
  length: number;
}

/** Two blocks this close in one file are read together (the gap bytes are read and dropped). */
export const COALESCE_GAP_BYTES = 8 * 1024;
/** Largest single read: bounds the memory one range holds beyond its blocks. */
export const MAX_READ_BYTES = 4 * 1024 * 1024;

export class BlockFetcher {
  private readonly bytes = new Map<BlockSpan, Uint8Array>();

  /**
   * Reads the ranges of `spans` that hold two or more blocks now. A range that fails to read (a file
   * shorter than the index says, an I/O error) is dropped: get() then reads its blocks one by one,
   * so the error is reported against the block it belongs to.
   */
  constructor(private readonly reader: SegmentReader, spans: readonly BlockSpan[]) {
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

  /** The framed bytes of `span` (prefetched, or read now). Throws StorageError as SegmentReader.read. */
  get(span: BlockSpan): Uint8Array {
    return this.bytes.get(span) ?? this.reader.read(span.file, span.offset, span.length);
  }

  private readRange(sorted: readonly BlockSpan[], i: number, j: number, end: number): void {
    const start = sorted[i].offset;
    let range: Uint8Array;
    try {
      range = this.reader.read(sorted[i].file, start, end - start);
    } catch {
      return;
    }
    for (let k = i; k < j; k++) {
      const s = sorted[k];
      this.bytes.set(s, range.subarray(s.offset - start, s.offset - start + s.length));
    }
  }
}
