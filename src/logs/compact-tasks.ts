// Compaction work inside pool workers, as a plain synchronous function over files: read + check +
// decode the blocks of each group (RAW seal blocks and columnar ones), split the entries by severity
// class, sort each class by (tsNs, seq) and re-encode it as columnar blocks of about the class's
// target size, framed. No SQLite and no engine state: the main thread plans groups and writes rows.
import path from 'node:path';
import type { LzLevel } from '../codec/lz.js';
import { frameBlock, parseBlock } from '../storage/block.js';
import { SegmentReader } from '../storage/segments.js';
import { decodeLogBlock, encodeLogBlock, type LogBlockMeta } from './codec/block.js';
import { decodeEntryRecords } from './codec/entry-record.js';
import { indexRawRecords } from './query/raw-records.js';
import { ceilMs, floorMs } from './query/time.js';
import { CODEC_LOG_RAW_V1, KIND_LOG_BLOCK } from './schema.js';
import type { LogEntry } from './types.js';

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
 * A block's entries and seqs, checked against its frame header, and for a RAW block each entry's
 * record length (the raw size a new block's meta reports, known without re-serializing the entry).
 * Throws on any damage.
 */
function readBlock(reader: SegmentReader, root: string, ref: CompactLogRef): { entries: LogEntry[]; seqs: ArrayLike<number>; recordBytes?: Uint32Array } {
  const { header, payload } = parseBlock(reader.read(path.join(root, ref.file), ref.offset, ref.length));
  if (ref.codec === CODEC_LOG_RAW_V1) {
    const ix = indexRawRecords(payload, header.count);
    const d = decodeEntryRecords(payload);
    if (d.entries.length !== header.count) throw new CorruptBlock(`block decodes to ${d.entries.length} entries but its header says ${header.count}`);
    const recordBytes = new Uint32Array(ix.n);
    for (let i = 0; i < ix.n; i++) recordBytes[i] = ix.starts[i + 1] - ix.starts[i];
    return { ...d, recordBytes };
  }
  const d = decodeLogBlock(payload);
  if (d.entries.length !== header.count) throw new CorruptBlock(`block decodes to ${d.entries.length} entries but its header says ${header.count}`);
  return d;
}

export function compactLogBlocks(input: CompactLogBlocksInput): CompactLogBlocksOutput {
  const parts: Uint8Array[] = [];
  const blocks: CompactedLogBlock[] = [];
  const failed: CompactLogBlocksOutput['failed'] = [];
  let total = 0;
  const reader = new SegmentReader();
  try {
    input.groups.forEach((g, gi) => {
      const entries: LogEntry[] = [];
      const seqList: number[] = [];
      // Record length per entry, -1 when unknown (from a columnar block: the encoder measures it).
      const sizes: number[] = [];
      for (const ref of g.blocks) {
        try {
          const d = readBlock(reader, input.root, ref);
          for (let i = 0; i < d.entries.length; i++) {
            entries.push(d.entries[i]);
            seqList.push(d.seqs[i]);
            sizes.push(d.recordBytes ? d.recordBytes[i] : -1);
          }
        } catch (err) {
          const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'CORRUPT_BLOCK';
          failed.push({ group: gi, blockId: ref.id, code, message: err instanceof Error ? err.message : String(err) });
          return;
        }
      }
      const byClass: number[][] = SEVERITY_CLASS_MASKS.map(() => []);
      for (let i = 0; i < entries.length; i++) byClass[severityClass(entries[i].severityNumber)].push(i);
      byClass.forEach((order, k) => {
        if (order.length === 0) return;
        // Time order, so each output block covers a narrow time range (better pruning) when split.
        order.sort((a, b) => (entries[a].tsNs < entries[b].tsNs ? -1 : entries[a].tsNs > entries[b].tsNs ? 1 : seqList[a] - seqList[b]));
        let cut = order.length;
        const recent = input.recentFromNs;
        if (recent !== undefined) while (cut > 0 && entries[order[cut - 1]].tsNs >= recent) cut--;
        const emit = (from: number, to: number, target: number) => {
          const n = to - from;
          if (n <= 0) return;
          const per = Math.ceil(n / Math.ceil(n / Math.max(1, target)));
          for (let at = from; at < to; at += per) {
            const idx = order.slice(at, Math.min(to, at + per));
            let rawBytes: number | undefined = 0;
            for (const i of idx) rawBytes = sizes[i] < 0 || rawBytes === undefined ? undefined : rawBytes + sizes[i];
            const out = encodeFramed(idx.map((i) => entries[i]), Float64Array.from(idx, (i) => seqList[i]), input, rawBytes);
            blocks.push({ group: gi, start: total, length: out.framed.length, meta: out.meta, minSeq: out.minSeq, maxSeq: out.maxSeq });
            parts.push(out.framed);
            total += out.framed.length;
          }
        };
        emit(0, cut, input.classEntries[k]);
        emit(cut, order.length, input.recentEntries);
      });
    });
  } finally {
    reader.close();
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { bytes, blocks, failed };
}

/** Sorted entries -> columnar payload -> TBLK frame, with the row's meta and seq range. */
function encodeFramed(entries: LogEntry[], seqs: Float64Array, input: CompactLogBlocksInput, rawBytes: number | undefined) {
  const { payload, meta } = encodeLogBlock(entries, seqs, input.level, { indexedAttributes: input.indexedAttributes, rawBytes });
  const framed = frameBlock({ kind: KIND_LOG_BLOCK, ownerId: 0, count: meta.count, tMinMs: floorMs(meta.tMinNs), tMaxMs: ceilMs(meta.tMaxNs) }, payload);
  let minSeq = Infinity;
  let maxSeq = -Infinity;
  for (const s of seqs) {
    if (s < minSeq) minSeq = s;
    if (s > maxSeq) maxSeq = s;
  }
  return { framed, meta, minSeq, maxSeq };
}
