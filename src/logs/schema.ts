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

/**
 * SQLite page size of a new logs index.db (sqlite/open.ts `pageSizeBytes`; an existing file keeps
 * its own). Every table and index of the event index takes at least one page: its 13 b-trees cost
 * 53 KB at SQLite's default 4096, most of a small store (a 4,891-line dpkg.log: index.db 70 KB at
 * 4096, 29 KB at 1024, 22 KB at 512). The 1 M-entry bench dataset's rows copied into each size:
 * 786 / 731 / 721 KB at 4096 / 1024 / 512; its queries timed interleaved on them: the targeted ones
 * alike at 1024, ~0.5 ms slower at 512; a search no block filter can match (every row's filter read
 * through overflow pages) 0.38 / 0.65 / 0.99 ms. So 1024.
 */
export const LOGS_INDEX_PAGE_BYTES = 1024;
