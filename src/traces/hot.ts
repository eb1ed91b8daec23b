// The spans hot tail: storage/hot-chunks.ts (records kept once, in a shared buffer per chunk, handed
// to the WAL in slices and to the sealing worker as they are; cut chunks queryable until their
// commit) with span records (codec/span-record.ts). A chunk collects its block's index meta while
// spans arrive: start-time range, kinds and status codes (blocks.mask), and terms (terms.ts), so a
// RAW block is indexed with no decode anywhere; its trace-id filter comes from the seal task (a scan
// of the records' fixed headers in the pool). Queries decode a chunk's records lazily, once each.
import type { Buffer } from 'node:buffer';
import { HotChunkBase, HotChunkList } from '../storage/hot-chunks.js';
import { decodeSpanRecords, SpanRecordWriter, type SpanChainState } from './codec/span-record.js';
import { SpanMetaCollector } from './span-meta.js';
import type { Span } from './types.js';

export class SpanHotChunk extends HotChunkBase<SpanRecordWriter> {
  /** Mask and terms of the spans so far (the RAW block's index row). */
  readonly meta: SpanMetaCollector;
  private readonly decoded: Span[] = [];
  private decodedBytes = 0;
  /** The full resource/scope parts the records after decodedBytes may refer to. */
  private chain: SpanChainState | undefined;

  constructor(capacity: number, indexed: readonly string[], reuse?: Buffer) {
    // Chained resources and scopes: a chunk's records repeat a few objects; each WAL slice restarts
    // the chain (takeUnlogged), so a WAL record decodes on its own, and a chunk from its start.
    super(new SpanRecordWriter(capacity, true, true, reuse));
    this.meta = new SpanMetaCollector(indexed);
  }

  /** The spans, decoded from the records on first use (only new ones on later calls): index i = seqs[i]. */
  get spans(): Span[] {
    const end = this.writer.byteLength;
    if (this.decodedBytes < end) {
      const d = decodeSpanRecords(this.writer.bytes().subarray(this.decodedBytes, end), this.chain);
      for (let i = 0; i < d.spans.length; i++) this.decoded.push(d.spans[i]);
      this.decodedBytes = end;
      this.chain = d.chain;
    }
    return this.decoded;
  }
}

export class SpanHotTail extends HotChunkList<SpanHotChunk> {
  constructor(indexed: readonly string[]) {
    super((capacity, reuse) => new SpanHotChunk(capacity, indexed, reuse));
  }

  /** Appends one span (its record is encoded here; throws the codec's error and keeps nothing on bad input). */
  append(span: Span, seq: number): void {
    const c = this.active;
    const w = c.writer;
    const before = w.byteLength;
    w.append(span, seq);
    c.track(seq, w.byteLength - before, span.startNs);
    c.meta.add(span);
  }

  /**
   * Appends spans[i] with seq firstSeq + i, all or none: they are encoded straight into the active
   * chunk (encoding into a scratch writer and copying each record into the chunk's SharedArrayBuffer
   * cost ~0.9 µs per span, and the copied records could not refer to the chunk's resources), and a
   * span the writer refuses truncates the chunk back to where the batch began before its error is
   * rethrown with the span's index (`err.index`). Tracking happens once all are in.
   */
  appendBatch(spans: readonly Span[], firstSeq: number): void {
    const c = this.active;
    const w = c.writer;
    const startBytes = w.byteLength;
    const startCount = w.count;
    const ends = this.ends.length >= spans.length ? this.ends : (this.ends = new Float64Array(spans.length * 2));
    for (let i = 0; i < spans.length; i++) {
      try {
        w.append(spans[i], firstSeq + i);
      } catch (err) {
        w.truncate(startBytes, startCount);
        throw Object.assign(err as object, { index: i });
      }
      ends[i] = w.byteLength;
    }
    let prev = startBytes;
    for (let i = 0; i < spans.length; i++) {
      c.track(firstSeq + i, ends[i] - prev, spans[i].startNs);
      c.meta.add(spans[i]);
      prev = ends[i];
    }
  }
  private ends = new Float64Array(1024);
}

