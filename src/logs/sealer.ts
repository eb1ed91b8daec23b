// The seal pipeline of cut hot chunks. RAW (the default): (main) a segment offset in today's file
// (the frame's length is known: header + records) and the row meta the chunk collected while entries
// arrived; (pool) ONE task frames the records as they are (crc) + positional write + fdatasync.
// Columnar (sealFormat 'columnar'): (pool) entry records -> columnar block -> TBLK frame; (main) an
// offset; (pool) write + fdatasync. Then (main) ONE transaction per ready run of chunks: block rows +
// terms + keys + the sealed_seq watermark. Compaction later turns RAW blocks into columnar ones.
// The ordering, batching and retry are storage/seal-pipeline.ts's (shared with the spans engine):
// chunks prepare concurrently but commit strictly in seq order, so sealed_seq only ever covers
// entries in committed blocks; a chunk stays in the hot tail (queryable) until its commit.
import type Database from 'better-sqlite3';
import type { LzLevel } from '../codec/lz.js';
import type { Pool } from '../pool/pool.js';
import type { EventBlockIndex, NewEventBlock } from '../storage/event-index.js';
import type { FilePins } from '../storage/mutex.js';
import type { SegmentSet } from '../storage/segment-set.js';
import { sealRawChunk } from '../storage/raw-seal.js';
import { SealPipeline } from '../storage/seal-pipeline.js';
import { dayKeyOf } from '../storage/segments.js';
import type { HotChunk, HotTail } from './hot.js';
import { CODEC_LOG_BLOCK_V1, CODEC_LOG_RAW_V1 } from './schema.js';

/** 'raw': records framed as they are (compaction encodes them later); 'columnar': encoded at seal. */
export type LogSealFormat = 'raw' | 'columnar';

export interface LogSealerDeps {
  pool: Pool;
  db: Database.Database;
  index: EventBlockIndex;
  segments: SegmentSet;
  hot: HotTail;
  pins: FilePins;
  root: string;
  level: LzLevel;
  indexedAttributes: string[];
  format: LogSealFormat;
  /** After each commit (the engine drops covered WAL files, checkpoints the index). */
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
const RAW_MAX_IN_FLIGHT = 16;

/** The logs side of storage/seal-pipeline.ts: how a chunk is prepared (RAW or columnar) and committed. */
export class LogSealer {
  private readonly pipeline: SealPipeline<HotChunk, Prepared>;

  constructor(private readonly d: LogSealerDeps) {
    // RAW seals hold no memory beyond their chunk's records (already there) and are cheap: let every
    // cut chunk queue in the pool, where compaction never holds them up (it runs on the pool's
    // background thread, or behind them in task-queue.ts lanes). With 2 in flight, seals alternated
    // with ~1 s compaction tasks on one thread, sealing fell behind ingest and flush() waited
    // seconds for it.
    const maxInFlight = d.format === 'raw' ? RAW_MAX_IN_FLIGHT : Math.max(2, d.pool.threads);
    this.pipeline = new SealPipeline<HotChunk, Prepared>({
      prepare: (chunk) => (d.format === 'raw' ? this.prepareRaw(chunk) : this.prepareColumnar(chunk)),
      commit: (run) =>
        d.db.transaction(() => {
          d.index.insert(run.map((r) => r.prepared.row));
          d.index.setSealedSeq(run[run.length - 1].chunk.lastSeq);
        })(),
      committed: (chunk, prepared) => {
        d.pins.unpin(prepared.file);
        d.hot.release(chunk);
      },
      maxInFlight,
      onCommit: d.onCommit,
      onError: d.onError,
    });
  }

  push(chunk: HotChunk): void {
    this.pipeline.push(chunk);
  }

  get queued(): number {
    return this.pipeline.queued;
  }

  get blocksSealed(): number {
    return this.pipeline.blocksSealed;
  }

  /** Resolves once every chunk pushed before is committed; rejects if sealing fails meanwhile. */
  drain(): Promise<void> {
    return this.pipeline.drain();
  }

  /** Stops starting work and waits for the running commit loop (close()). */
  idle(): Promise<void> {
    return this.pipeline.idle();
  }

  private async prepareRaw(c: HotChunk): Promise<Prepared> {
    const { pool, root } = this.d;
    const { row, result } = await sealRawChunk(this.d, c, (t) => pool.sealRawLogBlock({ root, ...t }));
    const full: NewEventBlock = {
      ...row,
      mask: c.levelMask,
      codec: CODEC_LOG_RAW_V1,
      // No filter: a RAW block may match any text query (compaction gives it one).
      filter: null,
      terms: c.meta.terms(),
      keys: c.meta.keys(result.attributeKeys),
    };
    return { row: full, file: row.file };
  }

  private async prepareColumnar(chunk: HotChunk): Promise<Prepared> {
    const { pool, segments, pins, root, level, indexedAttributes } = this.d;
    const r = chunk.records();
    // A view of a shared buffer: the pool sends a private copy.
    const records = new Uint8Array(r.buffer, 0, r.length);
    const sealed = await pool.sealLogBlock({ records, level, indexedAttributes });
    const length = sealed.framed.length;
    const day = dayKeyOf((this.d.nowMs ?? Date.now)());
    const { file, offset } = segments.allocate(day, length);
    // Pinned until committed: a file with no committed block yet must not look dead to segment GC.
    pins.pin(file);
    try {
      await pool.writeBlocks({ root, bytes: sealed.framed, writes: [{ file, offset, start: 0, length }] });
    } catch (err) {
      pins.unpin(file);
      throw err;
    }
    const m = sealed.meta;
    const row: NewEventBlock = {
      file,
      offset,
      length,
      tMinNs: m.tMinNs,
      tMaxNs: m.tMaxNs,
      count: m.count,
      mask: m.levelMask,
      rawBytes: m.rawBytes,
      minSeq: sealed.minSeq,
      maxSeq: sealed.maxSeq,
      codec: CODEC_LOG_BLOCK_V1,
      day,
      filter: m.filter,
      terms: m.terms,
      keys: m.keys,
    };
    if (m.count !== chunk.count) throw new Error(`sealed block holds ${m.count} entries, its chunk ${chunk.count}`);
    return { row, file };
  }
}
