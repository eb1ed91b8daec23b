// The spans side of storage/seal-pipeline.ts: a cut hot chunk is sealed as a RAW block - (main) a
// segment offset (the frame's length is known: header + records) and the row meta the chunk
// collected while spans arrived; (pool) ONE task frames the records (crc), computes the block's
// trace-id filter from the records' fixed headers, writes and fdatasyncs. Then ready runs of chunks
// commit in seq order, in one transaction each: block rows + terms + the sealed_seq watermark.
// Compaction later turns RAW blocks into columnar ones.
import type Database from 'better-sqlite3';
import type { Pool } from '../pool/pool.js';
import type { EventBlockIndex, NewEventBlock } from '../storage/event-index.js';
import type { FilePins } from '../storage/mutex.js';
import { sealRawChunk } from '../storage/raw-seal.js';
import { SealPipeline } from '../storage/seal-pipeline.js';
import type { SegmentSet } from '../storage/segment-set.js';
import type { SpanHotChunk, SpanHotTail } from './hot.js';
import type { OperationsTable } from './operations.js';
import { CODEC_SPAN_RAW_V1 } from './schema.js';

export interface SpanSealerDeps {
  pool: Pool;
  db: Database.Database;
  index: EventBlockIndex;
  segments: SegmentSet;
  hot: SpanHotTail;
  pins: FilePins;
  root: string;
  /** The operations table: the chunk's (service, name, kind) rows go in its seal commit. */
  operations: OperationsTable;
  onCommit: () => void;
  onError: (err: unknown) => void;
  /** Wall clock (ms) for the day directory of new blocks. */
  nowMs?: () => number;
}

interface Prepared {
  row: NewEventBlock;
  file: string;
}

/** RAW seals queued in the pool at once (bounds the work a stalled disk piles up). */
const MAX_IN_FLIGHT = 16;

export class SpanSealer {
  private readonly pipeline: SealPipeline<SpanHotChunk, Prepared>;

  constructor(private readonly d: SpanSealerDeps) {
    this.pipeline = new SealPipeline<SpanHotChunk, Prepared>({
      prepare: (chunk) => this.prepare(chunk),
      commit: (run) =>
        d.db.transaction(() => {
          d.index.insert(run.map((r) => r.prepared.row));
          for (const r of run) d.operations.add(r.chunk.meta.operations());
          d.index.setSealedSeq(run[run.length - 1].chunk.lastSeq);
        })(),
      committed: (chunk, prepared) => {
        d.pins.unpin(prepared.file);
        d.hot.release(chunk);
      },
      maxInFlight: MAX_IN_FLIGHT,
      onCommit: d.onCommit,
      onError: d.onError,
    });
  }

  push(chunk: SpanHotChunk): void {
    this.pipeline.push(chunk);
  }

  get queued(): number {
    return this.pipeline.queued;
  }

  drain(): Promise<void> {
    return this.pipeline.drain();
  }

  idle(): Promise<void> {
    return this.pipeline.idle();
  }

  private async prepare(c: SpanHotChunk): Promise<Prepared> {
    const { pool, root } = this.d;
    const { row, result } = await sealRawChunk(this.d, c, (t) => pool.sealRawSpanBlock({ root, ...t }));
    const full: NewEventBlock = { ...row, mask: c.meta.mask, codec: CODEC_SPAN_RAW_V1, filter: result.filter, terms: c.meta.terms(), keys: [] };
    return { row: full, file: row.file };
  }
}
