// `--metrics-csv FILE...`: bytes/point of the user's own series with the wasm codec, in blocks of
// 8,192 points, with a bit-exact round-trip check. Problems are reported as UserError (one clear
// line naming the file), never a stack trace.
import { readFileSync } from 'node:fs';
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
}

export interface MetricsCsvReport {
  files: MetricsCsvFile[];
  medianDataBytesPerPoint: number;
  blockPoints: number;
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
  return { files, medianDataBytesPerPoint: round(median(files.map((f) => f.dataBytesPerPoint))), blockPoints: BLOCK_POINTS };
}

export function metricsCsvRows(report: MetricsCsvReport): SummaryRow[] {
  const rows: SummaryRow[] = report.files.map((f) => ({
    key: 'files[].dataBytesPerPoint',
    label: f.file,
    value: f.dataBytesPerPoint,
    unit: 'B/pt',
    note: `${f.points.toLocaleString('en-US')} points, ${f.dataBytes.toLocaleString('en-US')} bytes${f.duplicatesDropped ? `, ${f.duplicatesDropped} duplicate timestamps dropped` : ''}`,
  }));
  rows.push({ key: 'medianDataBytesPerPoint', label: 'median', value: report.medianDataBytesPerPoint, unit: 'B/pt', note: `${report.files.length} file(s)` });
  return rows;
}
