// logs.files (`--logs-file FILE...`): the compression ratio on the user's own plain-text logs. Each
// file goes into a fresh store: one entry per non-empty line (message = the line, level info, tsNs =
// a synthetic regular clock, 10 ms apart), flush + sealNow + compactNow; stored bytes = a walk of
// <dataDir>/logs. ratio = file bytes ÷ stored bytes, with brotli q9, gzip 6 (and zstd -19 when
// installed) on the same file bytes beside it. The entries are read back in order and compared with the lines (failure if
// not identical). A FILE ending in `.gz` is decompressed first (node:zlib): the lines, `bytes`, the
// ratio and the peers are all on the UNCOMPRESSED bytes (the .gz's own size is only reported).
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import type { LogInput } from '../../src/logs/types.js';
import { openDatabase } from '../../src/sqlite/open.js';
import { dirBytes, topLevelBytes } from '../lib/disk.js';
import { UserError } from '../lib/errors.js';
import { peerSizes } from '../lib/logs-peers.js';
import { sqlitePageUsage, type SqlitePageUsage } from '../lib/sqlite-pages.js';
import { openLogsStore, writeLogs, type LogsBenchStore, type LogWriteCounters } from '../lib/logs-store.js';
import { median, round } from '../lib/stats.js';
import { makeTempDir, removeTempDir } from '../lib/temp-dirs.js';
import type { SuiteContext, SuiteOutput, SummaryRow } from '../lib/report.js';

const STEP_NS = 10_000_000n;
const SLICE_ENTRIES = 1_000;
const READ_PAGE = 10_000;

/** Blocks of one segment tier (the first directory of their file: segments, compacted, staging). */
export interface LogsTierBlocks {
  blocks: number;
  entries: number;
  /** Framed block bytes in segment files (their live part). */
  frameBytes: number;
  /** Their text filters' bytes (stored in index.db's blocks rows). */
  filterBytes: number;
}

export interface LogsFileResult {
  file: string;
  /** Uncompressed bytes (what the lines, the ratio and the peers are measured on). */
  bytes: number;
  /** For a `.gz` FILE: its own size on disk (not used in any ratio). */
  gzipFileBytes?: number;
  lines: number;
  storedBytes: number;
  /** storedBytes per top-level entry of <dataDir>/logs. */
  storedBreakdown: Record<string, number>;
  /** index.db after close(): page size, pages, free pages, bytes per table/index. */
  index: SqlitePageUsage;
  /** Live blocks per segment tier after close(). */
  blocksByTier: Record<string, LogsTierBlocks>;
  ratio: number;
  /** The same walk after close() (SQLite folds its -wal into index.db and removes it). */
  closedStoredBytes: number;
  closedRatio: number;
  brotliRatio: number;
  gzipRatio: number;
  zstdRatio?: number;
  roundTrip: string;
}

const isGzipName = (file: string) => file.toLowerCase().endsWith('.gz');

/**
 * Every file readable and non-empty (and a `.gz` one starting with the gzip magic bytes), or one
 * UserError line naming the file (before any work).
 */
export function checkLogsFiles(files: readonly string[]): void {
  for (const file of files) {
    let size: number;
    const head = Buffer.alloc(2);
    let headBytes = 0;
    try {
      const st = statSync(file);
      if (st.isDirectory()) throw new UserError(`${file}: cannot read file (is a directory)`);
      size = st.size;
      const fd = openSync(file, 'r');
      try {
        headBytes = readSync(fd, head, 0, 2, 0);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      if (err instanceof UserError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new UserError(`${file}: cannot read file (${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? String(err))})`);
    }
    if (size === 0) throw new UserError(`${file}: the file is empty`);
    if (isGzipName(file) && (headBytes < 2 || head[0] !== 0x1f || head[1] !== 0x8b)) throw new UserError(`${file}: not a gzip file (the name ends in .gz)`);
  }
}

/** The file's bytes, decompressed when its name ends in `.gz` (then also the .gz's own size). */
export function readLogsFile(file: string): { bytes: Buffer; gzipFileBytes?: number } {
  const raw = readFileSync(file);
  if (!isGzipName(file)) return { bytes: raw };
  try {
    return { bytes: gunzipSync(raw), gzipFileBytes: raw.length };
  } catch (err) {
    throw new UserError(`${file}: cannot decompress (${(err as Error).message})`);
  }
}

/** Live blocks per segment tier (the first directory of the block's file), from index.db. */
function blocksByTier(indexFile: string): Record<string, LogsTierBlocks> {
  const db = openDatabase(indexFile, { readonly: true });
  try {
    const rows = db
      .prepare('SELECT s.path AS file, b.count AS entries, b.length AS frameBytes, COALESCE(LENGTH(b.filter), 0) AS filterBytes FROM blocks b JOIN segments s ON s.id = b.segment_id')
      .all() as Array<{ file: string; entries: number; frameBytes: number; filterBytes: number }>;
    const out: Record<string, LogsTierBlocks> = {};
    for (const r of rows) {
      const tier = r.file.split('/')[0];
      const t = (out[tier] ??= { blocks: 0, entries: 0, frameBytes: 0, filterBytes: 0 });
      t.blocks++;
      t.entries += r.entries;
      t.frameBytes += r.frameBytes;
      t.filterBytes += r.filterBytes;
    }
    return out;
  } finally {
    db.close();
  }
}

/** Non-empty lines (a trailing '\r' is part of the line: the bytes are what they are). */
function fileLines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}

/** Reads every entry back, oldest first, and compares the messages with the lines. */
async function readBack(store: LogsBenchStore, lines: readonly string[]): Promise<string> {
  let cursor: string | undefined;
  let i = 0;
  for (;;) {
    const page = await store.logs.query({ order: 'asc', limit: READ_PAGE, ...(cursor ? { cursor } : {}) });
    if (page.skipped.length) return `FAILED: ${page.skipped.length} blocks skipped (${page.skipped[0].code})`;
    for (const e of page.entries) {
      if (i >= lines.length) return `FAILED: more entries than lines (${i + 1})`;
      if (e.message !== lines[i]) return `FAILED: entry ${i} is ${JSON.stringify(e.message.slice(0, 80))}, line is ${JSON.stringify(lines[i].slice(0, 80))}`;
      i++;
    }
    if (!page.cursor || page.entries.length === 0) break;
    cursor = page.cursor;
  }
  return i === lines.length ? 'exact' : `FAILED: ${i} entries read back, ${lines.length} lines written`;
}

async function measureFile(ctx: SuiteContext, file: string): Promise<LogsFileResult> {
  const { bytes: buf, gzipFileBytes } = readLogsFile(file);
  const lines = fileLines(buf.toString('utf8'));
  if (lines.length === 0) throw new UserError(`${file}: no non-empty lines`);
  const startNs = BigInt(Date.now() - 86_400_000) * 1_000_000n;
  const dataDir = makeTempDir('logs-file');
  const store = await openLogsStore(dataDir);
  const logsDir = path.join(dataDir, 'logs');
  let storedBytes: number;
  let storedBreakdown: Record<string, number>;
  let roundTrip: string;
  let closedStoredBytes = NaN;
  let index: SqlitePageUsage;
  let tiers: Record<string, LogsTierBlocks>;
  try {
    const counters: LogWriteCounters = { entries: 0, backpressure: 0 };
    for (let from = 0; from < lines.length; from += SLICE_ENTRIES) {
      const slice: LogInput[] = [];
      for (let i = from; i < Math.min(lines.length, from + SLICE_ENTRIES); i++) slice.push({ tsNs: startNs + BigInt(i) * STEP_NS, level: 'info', message: lines[i] });
      await writeLogs(store, slice, counters);
      await nextTurn();
    }
    await store.logs.flush();
    await store.logs.sealNow();
    await store.logs.compactNow();
    storedBytes = dirBytes(logsDir).bytes;
    storedBreakdown = topLevelBytes(logsDir);
    roundTrip = await readBack(store, lines);
    await store.close();
    closedStoredBytes = dirBytes(logsDir).bytes;
    index = sqlitePageUsage(path.join(logsDir, 'index.db'));
    tiers = blocksByTier(path.join(logsDir, 'index.db'));
  } finally {
    await store.close(); // no-op after the close above; closes on the error path
    removeTempDir(dataDir);
  }
  // The uncompressed bytes themselves for a .gz (what the engine stored), else the file, streamed.
  const peers = await peerSizes(gzipFileBytes !== undefined ? buf : file);
  const out: LogsFileResult = {
    file,
    bytes: buf.length,
    ...(gzipFileBytes !== undefined ? { gzipFileBytes } : {}),
    lines: lines.length,
    storedBytes,
    storedBreakdown,
    index,
    blocksByTier: tiers,
    ratio: round(buf.length / storedBytes, 2),
    closedStoredBytes,
    closedRatio: round(buf.length / closedStoredBytes, 2),
    brotliRatio: round(buf.length / peers.brotliBytes, 2),
    gzipRatio: round(buf.length / peers.gzipBytes, 2),
    roundTrip,
  };
  if (peers.zstdBytes !== undefined) out.zstdRatio = round(buf.length / peers.zstdBytes, 2);
  ctx.progress(
    `logs.files: ${file}: ${out.lines} lines${gzipFileBytes !== undefined ? `, ${out.bytes} bytes uncompressed` : ''}, ratio ${out.ratio} ` +
      `(brotli q9 ${out.brotliRatio}${out.zstdRatio !== undefined ? `, zstd -19 ${out.zstdRatio}` : ''}), read back ${roundTrip}`,
  );
  return out;
}

export async function runLogsFiles(ctx: SuiteContext): Promise<SuiteOutput> {
  const files = ctx.logsFiles ?? [];
  if (files.length === 0) {
    ctx.progress('logs.files: no --logs-file given, skipped');
    return { json: { skipped: 'no --logs-file given' }, rows: [], failures: [] };
  }
  checkLogsFiles(files);
  const results: LogsFileResult[] = [];
  for (const file of files) results.push(await measureFile(ctx, file));
  const failures = results.filter((r) => r.roundTrip !== 'exact').map((r) => `logs.files: ${r.file}: read back ${r.roundTrip}`);
  const medianRatio = round(median(results.map((r) => r.ratio)), 2);
  const rows: SummaryRow[] = results.map((r) => ({
    key: 'logs.files[].ratio',
    label: `logs: ${r.file}`,
    value: r.ratio,
    unit: 'x',
    note:
      `${r.lines.toLocaleString('en-US')} lines, ${r.bytes.toLocaleString('en-US')}${r.gzipFileBytes !== undefined ? ' uncompressed (.gz: all ratios on these bytes)' : ''} -> ` +
      `${r.storedBytes.toLocaleString('en-US')} bytes (closed: ${r.closedRatio}x); brotli q9 ${r.brotliRatio}, gzip 6 ${r.gzipRatio}${r.zstdRatio !== undefined ? `, zstd -19 ${r.zstdRatio}` : ''}`,
  }));
  rows.push({ key: 'logs.medianRatio', label: 'logs: median ratio of your files', value: medianRatio, unit: 'x', note: `${results.length} file(s); brotli q9 median ${round(median(results.map((r) => r.brotliRatio)), 2)}` });
  return { json: { files: results, medianRatio }, rows, failures };
}
