// The logs engine's block work inside pool workers, as plain synchronous functions over bytes and
// files: sealing (entry records -> columnar block -> TBLK frame) and compaction (read + check + decode
// small blocks, merge, re-encode at a stronger level). No SQLite and no engine state: the main thread
// decides offsets and rows; positional writes + fdatasync reuse the pool's writeBlocks task, backup
// copies its copyFiles task, and query reads are query/read-blocks.ts.
import path from 'node:path';
import type { LzLevel } from '../codec/lz.js';
import { frameBlock, parseBlock } from '../storage/block.js';
import { SegmentReader } from '../storage/segments.js';
import { decodeLogBlock, encodeLogBlock, type LogBlockMeta } from './codec/block.js';
import { decodeEntryRecords } from './codec/entry-record.js';
import { ceilMs, floorMs } from './query/time.js';
import { KIND_LOG_BLOCK } from './schema.js';
import type { LogEntry } from './types.js';

export interface SealLogBlockInput {
  /** Concatenated entry records (codec/entry-record.ts) of one hot chunk, in seq order. */
  records: Uint8Array;
  level: LzLevel;
  indexedAttributes: string[];
}

export interface SealedLogBlock {
  /** The framed block (storage/block.ts header + payload), ready for a segment write. */
  framed: Uint8Array;
  meta: LogBlockMeta;
  minSeq: number;
  maxSeq: number;
}

export function sealLogBlock(input: SealLogBlockInput): SealedLogBlock {
  const { entries, seqs } = decodeEntryRecords(input.records);
  // The records' length is the block's raw size: no need to re-serialize entries to measure it.
  return encodeFramed(entries, seqs, input.level, input.indexedAttributes, input.records.length);
}

function encodeFramed(entries: LogEntry[], seqs: Float64Array, level: LzLevel, indexedAttributes: string[], rawBytes?: number): SealedLogBlock {
  const { payload, meta } = encodeLogBlock(entries, seqs, level, { indexedAttributes, rawBytes });
  const framed = frameBlock(
    {
      kind: KIND_LOG_BLOCK,
      ownerId: 0,
      count: meta.count,
      tMinMs: floorMs(meta.tMinNs),
      tMaxMs: ceilMs(meta.tMaxNs),
    },
    payload,
  );
  let minSeq = Infinity;
  let maxSeq = -Infinity;
  for (let i = 0; i < seqs.length; i++) {
    if (seqs[i] < minSeq) minSeq = seqs[i];
    if (seqs[i] > maxSeq) maxSeq = seqs[i];
  }
  return { framed, meta, minSeq, maxSeq };
}

// ---------------------------------------------------------------- compaction

export interface CompactLogRef {
  id: number;
  /** Relative to the engine root. */
  file: string;
  offset: number;
  length: number;
}

export interface CompactLogBlocksInput {
  /** Absolute engine root (logs/). */
  root: string;
  /** Each group's blocks merge into blocks of at most maxEntries entries. */
  groups: Array<{ blocks: CompactLogRef[] }>;
  level: LzLevel;
  indexedAttributes: string[];
  maxEntries: number;
}

export interface CompactedLogBlock extends Omit<SealedLogBlock, 'framed'> {
  group: number;
  /** Byte range of its frame in the output's `bytes`. */
  start: number;
  length: number;
}

export interface CompactLogBlocksOutput {
  /** Framed blocks back to back. */
  bytes: Uint8Array;
  blocks: CompactedLogBlock[];
  /** Groups left untouched because one of their blocks failed its check or decode. */
  failed: Array<{ group: number; blockId: number; code: string; message: string }>;
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
      for (const ref of g.blocks) {
        try {
          const { header, payload } = parseBlock(reader.read(path.join(input.root, ref.file), ref.offset, ref.length));
          const d = decodeLogBlock(payload);
          if (d.entries.length !== header.count) throw new Error(`block decodes to ${d.entries.length} entries but its header says ${header.count}`);
          for (let i = 0; i < d.entries.length; i++) {
            entries.push(d.entries[i]);
            seqList.push(d.seqs[i]);
          }
        } catch (err) {
          const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'CORRUPT_BLOCK';
          failed.push({ group: gi, blockId: ref.id, code, message: err instanceof Error ? err.message : String(err) });
          return;
        }
      }
      // Time order, so each output block covers a narrow time range (better pruning) when split.
      const order = entries.map((_, i) => i);
      order.sort((a, b) => (entries[a].tsNs < entries[b].tsNs ? -1 : entries[a].tsNs > entries[b].tsNs ? 1 : seqList[a] - seqList[b]));
      const per = Math.ceil(order.length / Math.max(1, Math.ceil(order.length / input.maxEntries)));
      for (let from = 0; from < order.length; from += per) {
        const idx = order.slice(from, from + per);
        const out = encodeFramed(
          idx.map((i) => entries[i]),
          Float64Array.from(idx, (i) => seqList[i]),
          input.level,
          input.indexedAttributes,
        );
        blocks.push({ group: gi, start: total, length: out.framed.length, meta: out.meta, minSeq: out.minSeq, maxSeq: out.maxSeq });
        parts.push(out.framed);
        total += out.framed.length;
      }
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

/** Buffers of an output a worker transfers back (filters included). */
export function transferablesOf(blocks: ReadonlyArray<{ meta: LogBlockMeta }>, extra: Uint8Array[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const u of extra) out.add(u.buffer as ArrayBuffer);
  for (const b of blocks) {
    const f = b.meta.filter;
    // Only a filter that owns its whole buffer moves; a view into a bigger one is cloned instead.
    if (f.byteOffset === 0 && f.byteLength === f.buffer.byteLength && f.buffer instanceof ArrayBuffer) out.add(f.buffer);
  }
  return [...out];
}
