// The logs index schema (logs/index.db), applied by migrate() in user_version steps. Never edit a
// shipped step: append a new one. Step 1 is the shared event block index (storage/event-index.ts):
// blocks (with exact ns ranges and `mask` = the levels present, bit i = LOG_LEVELS[i]), segments,
// terms, keys, meta (sealed_seq) and corrupt.
import { EVENT_INDEX_SCHEMA_V1 } from '../storage/event-index.js';

/** blocks.codec of a logs columnar block (src/logs/codec/block.ts). */
export const CODEC_LOG_BLOCK_V1 = 1;
/**
 * blocks.codec of a RAW logs block: the payload is a hot chunk's entry records as-is
 * (codec/entry-record.ts, seq order, not time-sorted), no compression. The seal path writes these
 * (cheap: a crc and a write); compaction converts them into columnar blocks. Their index row has
 * filter NULL ("may match anything").
 */
export const CODEC_LOG_RAW_V1 = 2;
/** storage/block.ts header `kind` of a logs block. */
export const KIND_LOG_BLOCK = 16;

export const LOGS_MIGRATIONS: string[] = [EVENT_INDEX_SCHEMA_V1];
