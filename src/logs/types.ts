// The logs engine's public shapes (issue #4, DESIGN.md §6). Timestamps are OpenTelemetry
// nanoseconds as bigint (a ns epoch timestamp does not fit a double exactly); the write side also
// takes milliseconds.

/** OpenTelemetry severity ranges: trace 1-4, debug 5-8, info 9-12, warn 13-16, error 17-20, fatal 21-24. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

import type { AttrValue, Attributes } from '../codec/columns/attr-types.js';
import type { WriteErrorStats } from '../storage/write-errors.js';

/** JSON-like attribute values (OTel AnyValue without bytes), shared with the spans' codecs. */
export type { AttrValue, Attributes };
/** Resource attributes: flat scalars (service.name, host.name, service.version, ...). */
export type Resource = Record<string, string | number | boolean>;

/** One stored entry, as queries return it. */
export interface LogEntry {
  tsNs: bigint;
  level: LogLevel;
  /** OTel severity number 1..24 (level is its range's name). */
  severityNumber: number;
  message: string;
  attributes: Attributes;
  /** 32 lowercase hex chars, when the entry belongs to a trace. */
  traceId?: string;
  /** 16 lowercase hex chars. */
  spanId?: string;
  resource: Resource;
}

/** What tl.logs.write() accepts. */
export interface LogInput {
  /** Epoch milliseconds (may be fractional). Ignored when tsNs is given. Default: now. */
  tsMs?: number;
  /** Epoch nanoseconds: bigint or a decimal string. */
  tsNs?: bigint | string;
  /** Level name or OTel severity number 1..24. Default 'info'. */
  level?: LogLevel | number;
  message: string;
  attributes?: Attributes;
  traceId?: string;
  spanId?: string;
  /** Merged over the engine's default resource (service.name, host.name). */
  resource?: Resource;
}

export interface LogQuery {
  /** Entries at or above this level (name or severity number). */
  minLevel?: LogLevel | number;
  /** Time range, inclusive from, exclusive to; ns takes precedence over ms. */
  fromMs?: number;
  toMs?: number;
  fromNs?: bigint;
  toNs?: bigint;
  /** Case-insensitive substring of the message. */
  search?: string;
  /** Whole tokens (case-insensitive) that must all appear in the message. */
  tokens?: string[];
  /** Attribute equality (attributes first, then resource keys); values compared as strings. */
  attributes?: Record<string, string | number | boolean>;
  service?: string;
  host?: string;
  traceId?: string;
  spanId?: string;
  /** Page size, default 100, at most 10,000. */
  limit?: number;
  /** Opaque cursor from a previous answer: continues after its last entry. */
  cursor?: string;
  /** Default 'desc' (newest first). */
  order?: 'desc' | 'asc';
}

export interface SkippedBlock {
  /** Segment file (relative to logs/) and offset of the block that could not be read. */
  file: string;
  offset: number;
  code: string;
  message: string;
}

export interface LogQueryResult {
  entries: LogEntry[];
  /** Present when more entries may follow. */
  cursor?: string;
  /** Corrupt or unreadable blocks this query skipped (never silently). */
  skipped: SkippedBlock[];
  /** Sealed blocks decoded to answer (bloom filters and the index skip the rest). */
  blocksScanned: number;
}

export interface LogCountResult {
  total: number;
  byLevel: Record<LogLevel, number>;
  skipped: SkippedBlock[];
}

export interface LogsRetentionOptions {
  /** Entries older than this are dropped. Default 7 days. */
  maxAgeSec?: number;
  /** Oldest blocks are dropped until logs/ fits. Default 512 MiB. */
  maxBytes?: number;
}

export interface LogsOptions {
  /** Resource attributes stamped on entries that do not set them (service.name, host.name). */
  resource?: Resource;
  /** Attribute keys indexed as terms (equality queries use the index instead of scanning). */
  indexedAttributes?: string[];
  /** Seal the hot tail after this many entries (default 32,768) or this long (default 1,000 ms). */
  sealEntries?: number;
  sealIntervalMs?: number;
  /** Bound on unsealed entries' memory (hot tail + WAL buffer); past it write() throws BACKPRESSURE. */
  maxPendingBytes?: number;
  /** Merge small blocks in the background (default on). */
  compaction?: boolean;
}

export interface LogsStats {
  entries: number;
  blocks: number;
  hotEntries: number;
  /** Bytes of stored blocks (segments). */
  dataBytes: number;
  /** Everything under logs/ (segments + index + WAL). */
  diskBytes: number;
  /** Bytes of the stored entries in their WAL record form (uncompressed, self-describing), for the ratio. */
  rawBytes: number;
  /** rawBytes / diskBytes. */
  compressionRatio: number;
  bytesPerEntry: number;
  oldestNs?: bigint;
  newestNs?: bigint;
  walBytes: number;
  pendingBytes: number;
  corruptBlocks: number;
  /** Failed disk writes (WAL frames, seals, compaction) since open, and the last one. */
  writeErrors: WriteErrorStats;
}

export interface LogsRetentionReport {
  blocksDeleted: number;
  entriesDeleted: number;
  filesDeleted: number;
  bytesFreed: number;
}

/** A live-tail filter: the query's filtering fields (no paging). */
export type LogFilter = Omit<LogQuery, 'limit' | 'cursor' | 'order'>;
