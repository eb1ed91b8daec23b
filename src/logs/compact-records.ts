// Compaction input as entry records, never as LogEntry objects: RAW blocks are indexed where they lie
// (query/raw-records.ts: fixed fields only), the records an output block needs are copied into one
// buffer, and the block encoder reads that buffer lazily (encodeLogBlockFromRecords). Materializing
// a RAW block's 32k entries at once made every scavenge promote all of them (measured: decode ~3.8
// µs per entry, most of it GC). Columnar inputs (recent blocks a later run merges) are decoded and
// written back as records, so one path serves both.
import { Buffer } from 'node:buffer';
import { decodeLogBlock } from './codec/block.js';
import { EntryRecordWriter, FLAG_RESOURCE_PREV } from './codec/entry-record.js';
import { indexRawRecords, type RawRecordIndex } from './query/raw-records.js';

/** A columnar block's entries as a RawRecordIndex over records written for them. */
export function indexColumnarAsRecords(payload: Uint8Array): RawRecordIndex {
  const { entries, seqs } = decodeLogBlock(payload);
  const w = new EntryRecordWriter(Math.max(64 * 1024, entries.length * 256));
  for (let i = 0; i < entries.length; i++) w.append(entries[i], seqs[i]);
  return indexRawRecords(w.bytes(), entries.length);
}

/**
 * Records picked from indexed sources into one buffer, each self-contained: a record that chains
 * its resource to the previous one in its source (FLAG_RESOURCE_PREV) gets that resource's bytes
 * and loses the flag, since its neighbour here is another record.
 */
export class RecordGather {
  private buf: Buffer;
  private pos = 0;
  count = 0;

  constructor(capacity = 1 << 20) {
    this.buf = Buffer.allocUnsafeSlow(Math.max(1024, capacity));
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + extra) cap *= 2;
    const next = Buffer.allocUnsafeSlow(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  add(ix: RawRecordIndex, i: number): void {
    const start = ix.starts[i];
    const end = ix.starts[i + 1];
    const src = ix.buf;
    const flags = src[start + 17];
    // TypedArray.set of a view: Buffer.copy's argument handling cost more than the bytes here.
    if (!(flags & FLAG_RESOURCE_PREV)) {
      this.ensure(end - start);
      this.buf.set(src.subarray(start, end), this.pos);
      this.pos += end - start;
    } else {
      const resStart = ix.resourceAt[i];
      const resEnd = ix.starts[ix.resourceOf[i] + 1];
      this.ensure(end - start + resEnd - resStart);
      this.buf.set(src.subarray(start, end), this.pos);
      this.buf[this.pos + 17] = flags & ~FLAG_RESOURCE_PREV;
      this.pos += end - start;
      this.buf.set(src.subarray(resStart, resEnd), this.pos);
      this.pos += resEnd - resStart;
    }
    this.count++;
  }

  /** The records gathered since the last reset (a view: valid until the next add). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  reset(): void {
    this.pos = 0;
    this.count = 0;
  }
}
