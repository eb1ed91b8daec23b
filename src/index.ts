// Public API of timeless-node (DESIGN.md §6).
export { Timeless } from './store.js';
export type { TimelessOptions, TimelessMetrics, TimelessRetention, TimelessStats } from './store.js';
export { MetricsError } from './metrics/errors.js';
export type { MetricsErrorCode } from './metrics/errors.js';
export { StorageError } from './storage/errors.js';
export type { StorageErrorCode } from './storage/errors.js';
export { CodecError } from './codec/errors.js';
export { createPool } from './pool/pool.js';
export type { Pool, PoolOptions } from './pool/pool.js';
export type * from './metrics/types.js';
