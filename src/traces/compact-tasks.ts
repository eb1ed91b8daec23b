// Compaction work inside pool workers: read + check the blocks of each group (RAW seal blocks and
// small columnar ones), decode their spans, and encode them as columnar span blocks of about
// `blockSpans` spans each, framed, with each block's index meta (start-time range, mask, terms,
// trace-id filter). The encoder orders spans by trace, so the group's spans are cut into blocks at
// trace boundaries: a trace of the group lands in one block (a look-up decodes one page of it).
// No SQLite and no engine state: the main thread plans groups and writes rows.
import { frameBlock, parseBlock } from '../storage/block.js';
import { SegmentReader } from '../storage/segments.js';
import type { LzLevel } from '../codec/lz.js';
import { decodeSpanBlock, encodeSpanBlock } from './codec/block.js';
import { decodeSpanRecords } from './codec/span-record.js';
import { ceilMs, floorMs, traceFilterOf } from './block-tasks.js';
import { CODEC_SPAN_RAW_V1, KIND_SPAN_BLOCK } from './schema.js';
import { SpanMetaCollector } from './span-meta.js';
import type { Span } from './types.js';

export interface CompactSpanRef {
  id: number;
  /** Absolute segment path. */
  file: string;
  offset: number;
  length: number;
  codec: number;
  /** blocks.raw_bytes (record bytes of its spans). */
  rawBytes: number;
}

export interface CompactSpanBlocksInput {
  groups: Array<{ blocks: CompactSpanRef[] }>;
  level: LzLevel;
  indexedAttributes: string[];
  /** Target spans per output block (a trace is never split, so blocks may be a little bigger). */
  blockSpans: number;
}

export interface CompactedSpanBlock {
  group: number;
  /** Byte range of its frame in the output's `bytes`. */
  start: number;
  length: number;
  count: number;
  tMinNs: bigint;
  tMaxNs: bigint;
  mask: number;
  terms: string[];
  filter: Uint8Array;
  /** Record bytes of its spans (the ratio's raw side): the group's, shared by span count. */
  rawBytes: number;
}

export interface CompactSpanBlocksOutput {
  /** Framed blocks back to back. */
  bytes: Uint8Array;
  blocks: CompactedSpanBlock[];
  /** Groups left untouched because one of their blocks failed its check or decode. */
  failed: Array<{ group: number; blockId: number; code: string; message: string }>;
}

function readSpans(reader: SegmentReader, ref: CompactSpanRef): Span[] {
  const { header, payload } = parseBlock(reader.read(ref.file, ref.offset, ref.length));
  const spans = ref.codec === CODEC_SPAN_RAW_V1 ? decodeSpanRecords(payload).spans : decodeSpanBlock(payload);
  if (spans.length !== header.count) throw Object.assign(new Error(`block decodes to ${spans.length} spans but its header says ${header.count}`), { code: 'CORRUPT_BLOCK' });
  return spans;
}

/** Trace-id order, start time within a trace: the order cuts are made in (the encoder sorts the same way). */
function byTrace(a: Span, b: Span): number {
  if (a.traceId !== b.traceId) return a.traceId < b.traceId ? -1 : 1;
  return a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0;
}

export function compactSpanBlocks(input: CompactSpanBlocksInput): CompactSpanBlocksOutput {
  const parts: Uint8Array[] = [];
  const blocks: CompactedSpanBlock[] = [];
  const failed: CompactSpanBlocksOutput['failed'] = [];
  let total = 0;
  const reader = new SegmentReader();
  try {
    input.groups.forEach((g, gi) => {
      const spans: Span[] = [];
      let groupRawBytes = 0;
      for (const ref of g.blocks) {
        try {
          for (const s of readSpans(reader, ref)) spans.push(s);
          groupRawBytes += ref.rawBytes;
        } catch (err) {
          const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'CORRUPT_BLOCK';
          failed.push({ group: gi, blockId: ref.id, code, message: err instanceof Error ? err.message : String(err) });
          return;
        }
      }
      spans.sort(byTrace);
      const n = spans.length;
      const target = Math.max(1, Math.ceil(n / Math.ceil(n / Math.max(1, input.blockSpans))));
      for (let from = 0; from < n; ) {
        let to = Math.min(n, from + target);
        // Never split a trace: extend the cut to the end of the trace it falls in.
        while (to < n && spans[to].traceId === spans[to - 1].traceId) to++;
        const slice = spans.slice(from, to);
        from = to;
        const { bytes } = encodeSpanBlock(slice, input.level);
        const index = new SpanMetaCollector(input.indexedAttributes);
        const traceIds = new Set<string>();
        let tMinNs = slice[0].startNs;
        let tMaxNs = slice[0].startNs;
        for (const s of slice) {
          index.add(s);
          traceIds.add(s.traceId);
          if (s.startNs < tMinNs) tMinNs = s.startNs;
          if (s.startNs > tMaxNs) tMaxNs = s.startNs;
        }
        const framed = frameBlock({ kind: KIND_SPAN_BLOCK, ownerId: 0, count: slice.length, tMinMs: floorMs(tMinNs), tMaxMs: ceilMs(tMaxNs) }, bytes);
        blocks.push({
          group: gi,
          start: total,
          length: framed.length,
          count: slice.length,
          tMinNs,
          tMaxNs,
          mask: index.mask,
          terms: index.terms(),
          filter: traceFilterOf(traceIds, traceIds.size),
          rawBytes: Math.round((groupRawBytes * slice.length) / n),
        });
        parts.push(framed);
        total += framed.length;
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
