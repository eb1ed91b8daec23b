// `--metrics-csv FILE...`: bytes/point of the user's own series with the wasm codec, in blocks of
// 8,192 points, with a bit-exact round-trip check, and then through the engine (one series per file,
// flushed, checkpointed and compacted, in a child process: see metrics-csv-engine-child.ts).
// Problems are reported as UserError (one clear line naming the file), never a stack trace.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CodecError } from '../../src/codec/errors.js';
import { decodeSeries, encodeSeries } from '../../src/codec/series.js';
import { BLOCK_POINTS, encodeBlocks, totalBytes, verifyRoundTrip } from './blocks.js';
import { CsvParseError, parseMetricsCsv } from './csv.js';
import { UserError } from './errors.js';
import type { SummaryRow } from './report.js';
import { median, round } from './stats.js';

export interface MetricsCsvFile {
  file: string;
  points: number;
  dataBytes: number;
  dataBytesPerPoint: number;
  duplicatesDropped: number;
  /** The same series through the engine (absent when the engine path could not run). */
  engine?: EngineCsvResult;
}

export interface EngineCsvResult {
  dataBytes: number;
  dataBytesPerPoint: number;
  blocks: number;
  roundTrip: string;
}

export interface MetricsCsvReport {
  files: MetricsCsvFile[];
  medianDataBytesPerPoint: number;
  blockPoints: number;
  /** Median of files[].engine.dataBytesPerPoint. */
  engineMedianDataBytesPerPoint?: number;
  /** Why the engine numbers are missing. */
  engineSkipped?: string;
}

export function measureMetricsCsv(paths: readonly string[], progress: (m: string) => void): MetricsCsvReport {
  if (paths.length === 0) throw new UserError('--metrics-csv needs at least one file');
  const files = paths.map((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UserError(`${file}: cannot read file (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? String(err))})`);
    }
    let parsed;
    try {
      parsed = parseMetricsCsv(text, file);
    } catch (err) {
      if (err instanceof CsvParseError) throw new UserError(err.message);
      throw err;
    }
    let blocks;
    try {
      blocks = encodeBlocks(parsed.tsMs, parsed.values, encodeSeries);
    } catch (err) {
      if (err instanceof CodecError) throw new UserError(`${file}: the series codec refused this data (${err.message})`);
      throw err;
    }
    const mismatch = verifyRoundTrip(blocks, parsed.tsMs, parsed.values, decodeSeries);
    if (mismatch) throw new UserError(`${file}: round trip is not bit-exact (a codec bug, please report it): ${mismatch}`);
    const dataBytes = totalBytes(blocks);
    const row = {
      file,
      points: parsed.values.length,
      dataBytes,
      dataBytesPerPoint: round(dataBytes / parsed.values.length),
      duplicatesDropped: parsed.duplicatesDropped,
    };
    progress(`${file}: ${row.points} points, ${row.dataBytesPerPoint} B/pt`);
    return row;
  });
  const report: MetricsCsvReport = { files, medianDataBytesPerPoint: round(median(files.map((f) => f.dataBytesPerPoint))), blockPoints: BLOCK_POINTS };
  addEngineResults(report, progress);
  return report;
}

/**
 * Runs every file through the engine in a child process (synchronously: the CLI's --metrics-csv
 * path is synchronous) and adds `engine` to each file. A round trip that is not bit-exact is a bug
 * and fails like the codec's; an engine that cannot run at all (not built) only skips the numbers.
 */
function addEngineResults(report: MetricsCsvReport, progress: (m: string) => void): void {
  const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'metrics-csv-engine-child.js');
  const r = spawnSync(process.execPath, [child, ...report.files.map((f) => f.file)], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const last = r.stdout?.trimEnd().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('[')) {
    const why = (r.error?.message ?? r.stderr?.trim().split('\n')[0]) || `exit code ${r.status}`;
    report.engineSkipped = why;
    progress(`engine path skipped: ${why}`);
    return;
  }
  const results = JSON.parse(last) as Array<EngineCsvResult & { file: string }>;
  results.forEach((e, i) => {
    const f = report.files[i];
    if (e.roundTrip !== 'bit-exact') throw new UserError(`${f.file}: the engine did not give the points back bit-exact (a bug, please report it): ${e.roundTrip}`);
    f.engine = { dataBytes: e.dataBytes, dataBytesPerPoint: round(e.dataBytes / f.points), blocks: e.blocks, roundTrip: e.roundTrip };
    progress(`${f.file}: engine ${f.engine.dataBytesPerPoint} B/pt in ${e.blocks} block(s)`);
  });
  report.engineMedianDataBytesPerPoint = round(median(report.files.map((f) => f.engine?.dataBytesPerPoint ?? NaN)));
}

export function metricsCsvRows(report: MetricsCsvReport): SummaryRow[] {
  const rows: SummaryRow[] = report.files.map((f) => ({
    key: 'files[].dataBytesPerPoint',
    label: f.file,
    value: f.dataBytesPerPoint,
    unit: 'B/pt',
    note: `${f.points.toLocaleString('en-US')} points, ${f.dataBytes.toLocaleString('en-US')} bytes${f.engine ? `; engine ${f.engine.dataBytesPerPoint} B/pt` : ''}${f.duplicatesDropped ? `, ${f.duplicatesDropped} duplicate timestamps dropped` : ''}`,
  }));
  rows.push({ key: 'medianDataBytesPerPoint', label: 'median', value: report.medianDataBytesPerPoint, unit: 'B/pt', note: `${report.files.length} file(s)` });
  if (report.engineMedianDataBytesPerPoint !== undefined) {
    rows.push({ key: 'engineMedianDataBytesPerPoint', label: 'median through the engine', value: report.engineMedianDataBytesPerPoint, unit: 'B/pt', note: 'one series per file, after checkpoint + compaction' });
  }
  return rows;
}
