// The spans index schema (spans/index.db), applied by migrate() in user_version steps. Never edit a
// shipped step: append a new one. Step 1 is the shared event block index (storage/event-index.ts):
// blocks (exact ns ranges of span START times; `mask` = kinds and status codes present, bits below;
// `filter` = the block's trace-id filter, codec/trace-filter.ts), segments, terms, keys, meta
// (sealed_seq) and corrupt.
import { EVENT_INDEX_SCHEMA_V1 } from '../storage/event-index.js';
import { SPAN_KINDS, STATUS_CODES, type SpanKind, type StatusCode } from './types.js';

/** blocks.codec of a columnar span block (codec/block.ts). */
export const CODEC_SPAN_BLOCK_V1 = 1;
/**
 * blocks.codec of a RAW span block: a hot chunk's span records as they are (codec/span-record.ts,
 * seq order), no compression. Sealing writes these (a crc, a trace-id filter and a write);
 * compaction converts them into columnar blocks.
 */
export const CODEC_SPAN_RAW_V1 = 2;
/** storage/block.ts header `kind` of a span block. */
export const KIND_SPAN_BLOCK = 17;

/**
 * Step 2: the operations seen, for services() / operations() (Jaeger's service and operation
 * lists): one row per (service, span name, kind), with the newest start seen (ms), written in the
 * seal commit (a chunk holds a few dozen distinct ones) and dropped by age retention.
 */
export const TRACES_SCHEMA_V2 = `
  CREATE TABLE operations (
    service TEXT NOT NULL,
    name TEXT NOT NULL,
    kind INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    PRIMARY KEY (service, name, kind)
  ) WITHOUT ROWID;
`;

export const TRACES_MIGRATIONS: string[] = [EVENT_INDEX_SCHEMA_V1, TRACES_SCHEMA_V2];

/** Page size of a new spans index.db: as logs (schema.ts there has the measurements). */
export const SPANS_INDEX_PAGE_BYTES = 1024;

/** blocks.mask bit of a kind: bits 0-5, SPAN_KINDS order. */
export function kindBit(kind: SpanKind): number {
  return 1 << SPAN_KINDS.indexOf(kind);
}

/** blocks.mask bit of a status code: bits 6-8, STATUS_CODES order. */
export function statusBit(code: StatusCode): number {
  return 1 << (6 + STATUS_CODES.indexOf(code));
}

/** Every kind and status bit: a query without kind/status matches any block. */
export const ALL_SPAN_MASK = 0x1ff;
