// Public shapes of the metrics API (DESIGN.md §6). The bench and the HTTP layer code against these
// names; they may grow, never shrink.
import type { WriteErrorStats } from '../storage/write-errors.js';

export type Labels = Record<string, string>;
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'unknown';
export type MatchOp = '=' | '!=' | '=~' | '!~';
export interface LabelMatcher {
  label: string;
  op: MatchOp;
  value: string;
}
/** Either `{ label: value }` (all `=`) or a list of matchers. */
export type Matchers = Record<string, string> | LabelMatcher[];
export type Agg = 'avg' | 'min' | 'max' | 'sum' | 'count' | 'last' | 'rate' | 'increase';

export interface MetricsOptions {
  /** Head points per series before it is cut into a block (default 8,192). */
  blockPoints?: number;
  /** Time span of one head before it is cut (default 2 h). */
  blockSpanMs?: number;
  /** WAL size that triggers a checkpoint: seal every head, drop covered WAL files (default 64 MiB). */
  walMaxBytes?: number;
  /** Bound on head + unsynced WAL bytes; past it write() throws BACKPRESSURE (default 256 MiB). */
  maxPendingBytes?: number;
  /** Unflushed writes are synced in the background this often (default 1000 ms). */
  autoFlushMs?: number;
  /** Background compaction period (default 60 s; 0 = only compactNow()). */
  compactIntervalMs?: number;
  /** A segment file is rotated past this size (default 64 MiB). */
  maxSegmentBytes?: number;
  /** Query block bytes above which decoding runs in the pool (default 64 KiB). */
  poolDecodeBytes?: number;
  /** Where a corrupt block is logged once (default console.warn). */
  log?: (message: string) => void;
}

export interface RetentionOptions {
  rawMaxAgeSec?: number;
  hourlyMaxAgeSec?: number;
  dailyMaxAgeSec?: number;
  /** Scheduler period; 0 disables the schedule (runNow() still works). Default 3600. */
  intervalSec?: number;
}

export interface WritePoint {
  name: string;
  labels: Labels;
  value: number;
  tsMs?: number;
}

export interface MetricMeta {
  type: MetricType;
  unit?: string;
  help?: string;
}

/**
 * A query selects series by metric name and label matchers, Prometheus-style:
 * - `name: 'http_requests_total'` — one metric (the usual case);
 * - no `name`, and `__name__` matchers select the metrics, e.g. every metric:
 *   `{ matchers: [{ label: '__name__', op: '=~', value: '.+' }], ... }`, or a family:
 *   `[{ label: '__name__', op: '=~', value: 'nodejs_.*' }]` (regexes fully anchored).
 * `name` and `__name__` matchers may be combined (both must hold). Without `name` at least one
 * `__name__` matcher is required (a query never scans every series by accident: `INVALID_QUERY`).
 * Each result series carries its own metric name; a groupBy group carries the name its members
 * share, or '' when they come from several metrics.
 */
export interface QueryOptions {
  name?: string;
  matchers?: Matchers;
  fromMs: number;
  toMs: number;
  stepMs?: number;
  agg?: Agg;
  groupBy?: string[];
}

export interface SkippedBlock {
  seriesId: number;
  file: string;
  offset: number;
  reason: string;
}

export interface SeriesResult {
  name: string;
  labels: Labels;
  tsMs: Float64Array;
  values: Float64Array;
}

export type QueryResult = SeriesResult[] & { skipped: SkippedBlock[] };

export interface LatestPoint {
  name: string;
  labels: Labels;
  tsMs: number;
  value: number;
}

export interface MetricsStats {
  series: number;
  /** Sealed raw points + head points. */
  points: number;
  headPoints: number;
  /** Raw (tier 0) blocks. */
  blocks: number;
  rollupBlocks: number;
  /** Hourly + daily rollup buckets stored (rows of the rollup columns). */
  rollupRows: number;
  /** Framed raw block bytes (headers included). */
  dataBytes: number;
  /** Everything under <dataDir>/metrics: segments + index.db (+ its -wal) + WAL. */
  diskBytes: number;
  dataBytesPerPoint: number;
  diskBytesPerPoint: number;
  /** 16 B/point (a raw f64 timestamp + f64 value) ÷ diskBytesPerPoint. */
  compressionRatio: number;
  oldestMs: number | null;
  newestMs: number | null;
  walBytes: number;
  pendingBytes: number;
  corruptBlocks: number;
  /** Failed disk writes (WAL frames, seals, checkpoints, compaction) since open, and the last one. */
  writeErrors: WriteErrorStats;
}

export interface RetentionTierReport {
  tier: 'raw' | 'hourly' | 'daily';
  maxAgeSec: number;
  blocksDeleted: number;
}

export interface RetentionReport {
  nowMs: number;
  tiers: RetentionTierReport[];
  segmentFilesDeleted: number;
  bytesFreed: number;
}

export interface BackupReport {
  path: string;
  files: number;
  bytes: number;
}
