// Compaction work inside pool workers, as a plain synchronous function over files: read + check the
// blocks of each group (RAW seal blocks and columnar ones) as indexed entry records
// (compact-records.ts), split the entries by severity class, sort each class by (tsNs, seq) and
// encode it from its records as columnar blocks of about the class's target size, framed. No SQLite and no engine state: the main thread plans groups and writes rows.
import path from 'node:path';
import type { LzLevel } from '../codec/lz.js';
import { frameBlock, parseBlock } from '../storage/block.js';
import { SegmentReader } from '../storage/segments.js';
import { encodeLogBlockFromRecords, type LogBlockMeta } from './codec/block.js';
import { decodeEntryRecords } from './codec/entry-record.js';
import { indexColumnarAsRecords, RecordGather } from './compact-records.js';
import { indexRawRecords, type RawRecordIndex } from './query/raw-records.js';
import { ceilMs, floorMs } from './query/time.js';
import { CODEC_LOG_RAW_V1, KIND_LOG_BLOCK } from './schema.js';
import type { Resource } from './types.js';

/**
 * Severity classes, as level masks (bit i = LOG_LEVELS[i]): A = trace/debug/info, B = warn,
 * C = error/fatal. Compaction output never mixes classes, so a minLevel=warn/error query reads only
 * B/C blocks (a few % of the entries) instead of decoding the info noise around them.
 */
export const SEVERITY_CLASS_MASKS: readonly number[] = [0b000111, 0b001000, 0b110000];

/** The class of a severity number (1..24). */
export function severityClass(severityNumber: number): number {
  return severityNumber <= 12 ? 0 : severityNumber <= 16 ? 1 : 2;
}

/** The class whose mask holds all of `mask`, or -1 when it spans several (or none). */
export function classOfMask(mask: number): number {
  if (mask === 0) return -1;
  for (let k = 0; k < SEVERITY_CLASS_MASKS.length; k++) if ((mask & ~SEVERITY_CLASS_MASKS[k]) === 0) return k;
  return -1;
}

export interface CompactLogRef {
  id: number;
  /** Relative to the engine root. */
  file: string;
  offset: number;
  length: number;
  /** blocks.codec (schema.ts). */
  codec: number;
}

export interface CompactLogBlocksInput {
  /** Absolute engine root (logs/). */
  root: string;
  /** Each group's blocks merge, class by class, into blocks of about classEntries[class] entries. */
  groups: Array<{ blocks: CompactLogRef[] }>;
  level: LzLevel;
  indexedAttributes: string[];
  /** Target entries per output block, per severity class (a class's n entries make ceil(n / target) balanced blocks). */
  classEntries: readonly number[];
  /**
   * Entries at or after this time are "recent": they go to blocks of about `recentEntries` instead
   * (newest-first pages then decode a small block; a later run merges them once they are older).
   */
  recentFromNs?: bigint;
  recentEntries: number;
}

export interface CompactedLogBlock {
  group: number;
  /** Byte range of its frame in the output's `bytes`. */
  start: number;
  length: number;
  meta: LogBlockMeta;
  minSeq: number;
  maxSeq: number;
}

export interface CompactLogBlocksOutput {
  /** Framed blocks back to back. */
  bytes: Uint8Array;
  blocks: CompactedLogBlock[];
  /** Groups left untouched because one of their blocks failed its check or decode. */
  failed: Array<{ group: number; blockId: number; code: string; message: string }>;
}

class CorruptBlock extends Error {
  readonly code = 'CORRUPT_BLOCK';
}

/**
 * A block's entries as indexed records (compact-records.ts), checked against its frame header: a
 * RAW block's own records, a columnar block decoded and written as records. Throws on any damage.
 */
function readBlock(reader: SegmentReader, root: string, ref: CompactLogRef): RawRecordIndex {
  const { header, payload } = parseBlock(reader.read(path.join(root, ref.file), ref.offset, ref.length));
  const ix = ref.codec === CODEC_LOG_RAW_V1 ? indexRawRecords(payload, header.count) : indexColumnarAsRecords(payload);
  if (ix.n !== header.count) throw new CorruptBlock(`block decodes to ${ix.n} entries but its header says ${header.count}`);
  return ix;
}

export function compactLogBlocks(input: CompactLogBlocksInput): CompactLogBlocksOutput {
  const parts: Uint8Array[] = [];
  const blocks: CompactedLogBlock[] = [];
  const failed: CompactLogBlocksOutput['failed'] = [];
  let total = 0;
  const reader = new SegmentReader();
  const gather = new RecordGather();
  try {
    input.groups.forEach((g, gi) => {
      // Entry k of the group is record at[k] of sources[src[k]].
      const sources: RawRecordIndex[] = [];
      const src: number[] = [];
      const at: number[] = [];
      for (const ref of g.blocks) {
        try {
          const ix = readBlock(reader, input.root, ref);
          sources.push(ix);
          for (let i = 0; i < ix.n; i++) {
            src.push(sources.length - 1);
            at.push(i);
          }
        } catch (err) {
          const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'CORRUPT_BLOCK';
          failed.push({ group: gi, blockId: ref.id, code, message: err instanceof Error ? err.message : String(err) });
          return;
        }
      }
      const mark = { blocks: blocks.length, parts: parts.length, total };
      try {
        encodeGroup();
      } catch (err) {
        // A RAW record's message and attributes are first decoded by the encoder (the frame's crc
        // held, so this is rare): drop the group's output, and name the block(s) that do not decode.
        blocks.length = mark.blocks;
        parts.length = mark.parts;
        total = mark.total;
        let named = false;
        sources.forEach((ix, k) => {
          try {
            checkRecords(ix);
          } catch (bad) {
            named = true;
            failed.push({ group: gi, blockId: g.blocks[k].id, code: (bad as { code?: string }).code ?? 'CORRUPT_BLOCK', message: (bad as Error).message });
          }
        });
        if (!named) throw err;
      }
      function encodeGroup(): void {
        const tsOf = (k: number) => sources[src[k]].tsNs[at[k]];
        const seqOf = (k: number) => sources[src[k]].seqs[at[k]];
        const byClass: number[][] = SEVERITY_CLASS_MASKS.map(() => []);
        for (let k = 0; k < src.length; k++) byClass[severityClass(sources[src[k]].severity[at[k]])].push(k);
        byClass.forEach((order, c) => {
          if (order.length === 0) return;
          // Time order, so each output block covers a narrow time range (better pruning) when split.
          order.sort((a, b) => {
            const ta = tsOf(a);
            const tb = tsOf(b);
            return ta < tb ? -1 : ta > tb ? 1 : seqOf(a) - seqOf(b);
          });
          let cut = order.length;
          const recent = input.recentFromNs;
          if (recent !== undefined) while (cut > 0 && tsOf(order[cut - 1]) >= recent) cut--;
          const emit = (from: number, to: number, target: number) => {
            const n = to - from;
            if (n <= 0) return;
            const per = Math.ceil(n / Math.ceil(n / Math.max(1, target)));
            for (let k = from; k < to; k += per) {
              gather.reset();
              for (let j = k; j < Math.min(to, k + per); j++) gather.add(sources[src[order[j]]], at[order[j]]);
              const out = encodeFramed(gather.bytes(), input);
              blocks.push({ group: gi, start: total, length: out.framed.length, meta: out.meta, minSeq: out.minSeq, maxSeq: out.maxSeq });
              parts.push(out.framed);
              total += out.framed.length;
            }
          };
          emit(0, cut, input.classEntries[c]);
          emit(cut, order.length, input.recentEntries);
        });
      }
    });
  } finally {
    reader.close();
  }
  const bytes = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    bytes.set(p, pos);
    pos += p.length;
  }
  return { bytes, blocks, failed };
}

/** Decodes every record of a block, in slices (throws CodecError on a bad one; keeps nothing). */
function checkRecords(ix: RawRecordIndex): void {
  const SLICE = 1024;
  let prev: Resource | undefined;
  for (let i = 0; i < ix.n; i += SLICE) {
    const end = Math.min(ix.n, i + SLICE);
    prev = decodeEntryRecords(ix.buf.subarray(ix.starts[i], ix.starts[end]), prev).lastResource;
  }
}

/** Records -> columnar payload (the encoder orders them) -> TBLK frame, with the row's meta and seq range. */
function encodeFramed(records: Uint8Array, input: CompactLogBlocksInput) {
  const { payload, meta, minSeq, maxSeq } = encodeLogBlockFromRecords(records, input.level, { indexedAttributes: input.indexedAttributes });
  const framed = frameBlock({ kind: KIND_LOG_BLOCK, ownerId: 0, count: meta.count, tMinMs: floorMs(meta.tMinNs), tMaxMs: ceilMs(meta.tMaxNs) }, payload);
  return { framed, meta, minSeq, maxSeq };
}
