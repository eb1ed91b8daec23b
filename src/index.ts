// Public API of timeless-node (DESIGN.md §6).
export { Timeless } from './store.js';
export type { TimelessOptions, TimelessMetrics, TimelessLogs, TimelessRetention, TimelessStats, StoreRetentionOptions } from './store.js';
export { MetricsError } from './metrics/errors.js';
export type { MetricsErrorCode } from './metrics/errors.js';
export { StorageError } from './storage/errors.js';
export type { StorageErrorCode } from './storage/errors.js';
export { CodecError } from './codec/errors.js';
export { createPool } from './pool/pool.js';
export type { Pool, PoolOptions } from './pool/pool.js';
export type * from './metrics/types.js';
export { LogsError } from './logs/errors.js';
export type { LogsErrorCode } from './logs/errors.js';
export type {
  LogLevel, AttrValue, Attributes, Resource, LogEntry, LogInput, LogQuery, LogQueryResult, LogCountResult, LogFilter,
  LogsRetentionOptions, LogsOptions, LogsStats, LogsRetentionReport, SkippedBlock as LogSkippedBlock,
} from './logs/types.js';
export { LOG_LEVELS } from './logs/types.js';
export type { LogsEngineOptions } from './logs/engine.js';
export type { LogCompactionReport } from './logs/compaction.js';
