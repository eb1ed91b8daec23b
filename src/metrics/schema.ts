// The metrics index schema (metrics/index.db), applied by migrate() in user_version steps. Never
// edit a shipped step: append a new one.
//
// Deviations from docs/metrics-engine.md, on purpose:
// - blocks.segment_id → segments(path) instead of a file path per row (smaller index);
// - blocks.max_seq: the highest WAL write sequence in the block (for audits), and
//   series.sealed_seq: the highest sequence of that series already in committed blocks. WAL replay
//   skips points with seq ≤ sealed_seq, so a crash between "blocks committed" and "WAL dropped"
//   never duplicates points (and retention deleting blocks never resurrects them from the WAL).
export const TIER_RAW = 0;
export const TIER_HOURLY = 1;
export const TIER_DAILY = 2;
export const TIER_NAMES = ['raw', 'hourly', 'daily'] as const;
/** Segment directory of each tier under metrics/ (index = tier; each has a compacted/ twin). */
export const TIER_SEGMENT_DIRS = ['', 'hourly/', 'daily/'] as const;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** Rollup bucket width per tier (index = tier). */
export const TIER_BUCKET_MS = [0, HOUR_MS, DAY_MS] as const;

/** blocks.codec values. */
export const CODEC_SERIES_V1 = 1;
export const CODEC_ROLLUP_V1 = 2;
/** A histogram group block (group-block.ts); the row's `col` says which member it is. */
export const CODEC_RAW_GROUP_V1 = 3;

export const METRICS_MIGRATIONS: string[] = [
  `
  CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    labels_json TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    created_ms INTEGER NOT NULL,
    sealed_seq INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE metric_meta (
    name TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    unit TEXT,
    help TEXT
  );
  CREATE TABLE segments (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE
  );
  CREATE TABLE blocks (
    id INTEGER PRIMARY KEY,
    series_id INTEGER NOT NULL REFERENCES series(id),
    tier INTEGER NOT NULL,
    segment_id INTEGER NOT NULL REFERENCES segments(id),
    offset INTEGER NOT NULL,
    length INTEGER NOT NULL,
    t_min INTEGER NOT NULL,
    t_max INTEGER NOT NULL,
    count INTEGER NOT NULL,
    codec INTEGER NOT NULL,
    max_seq INTEGER NOT NULL
  );
  CREATE INDEX blocks_by_series ON blocks(series_id, tier, t_min);
  CREATE INDEX blocks_by_segment ON blocks(segment_id);
  `,
  // Histogram group blocks (group-block.ts): the members of one shared block each have a row with
  // the column they read; -1 = an ordinary block of its own.
  `
  ALTER TABLE blocks ADD COLUMN col INTEGER NOT NULL DEFAULT -1;
  `,
  // Blocks found corrupt, so a restart still knows them (stats, compaction skipping their series,
  // one log line per block ever). A row goes with its block (retention), by the trigger.
  `
  CREATE TABLE corrupt (
    block_id INTEGER PRIMARY KEY,
    series_id INTEGER NOT NULL,
    file TEXT NOT NULL,
    offset INTEGER NOT NULL,
    reason TEXT NOT NULL,
    found_ms INTEGER NOT NULL
  );
  CREATE TRIGGER corrupt_block_deleted AFTER DELETE ON blocks BEGIN DELETE FROM corrupt WHERE block_id = OLD.id; END;
  `,
];
