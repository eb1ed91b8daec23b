// codec.nab: data bytes/point on the real NAB CloudWatch series, our wasm codec beside plain Gorilla
// and brotli/deflate over the plain column layout.
import path from 'node:path';
import { encodeSeries, decodeSeries } from '../../src/codec/series.js';
import { encodeGorillaSeries } from '../../src/codec/reference/series.js';
import { BLOCK_POINTS, encodeBlocks, totalBytes, verifyRoundTrip } from '../lib/blocks.js';
import { brotliBytes, columnLayout, deflateBytes } from '../lib/columns.js';
import { loadMetricSet } from '../lib/data.js';
import { median, round } from '../lib/stats.js';
import type { SuiteContext, SuiteOutput } from '../lib/report.js';

export function runNab(ctx: SuiteContext): SuiteOutput {
  const files = loadMetricSet(ctx.dataRoot, 'nab');
  if (!files) {
    const dir = path.join(ctx.dataRoot, 'metrics', 'nab');
    ctx.progress(`codec.nab: ${dir} is missing, skipping the NAB part`);
    return { json: { skipped: `${dir} is missing` }, rows: [], failures: [] };
  }
  const failures: string[] = [];
  const perFile = files.map((f) => {
    const n = f.values.length;
    const ours = encodeBlocks(f.tsMs, f.values, encodeSeries);
    const mismatch = verifyRoundTrip(ours, f.tsMs, f.values, decodeSeries);
    if (mismatch) failures.push(`codec.nab ${f.name}: round trip not bit-exact: ${mismatch}`);
    const gorilla = totalBytes(encodeBlocks(f.tsMs, f.values, encodeGorillaSeries));
    const columns = columnLayout(f.tsMs, f.values);
    const row = {
      file: f.name,
      points: n,
      duplicatesDropped: f.duplicatesDropped,
      dataBytes: totalBytes(ours),
      dataBytesPerPoint: round(totalBytes(ours) / n),
      gorillaBytesPerPoint: round(gorilla / n),
      brotliBytesPerPoint: round(brotliBytes(columns, 9) / n),
      deflateBytesPerPoint: round(deflateBytes(columns, 9) / n),
      roundTrip: mismatch ? 'FAILED' : 'bit-exact',
    };
    ctx.progress(`codec.nab: ${f.name} ${row.dataBytesPerPoint} B/pt (gorilla ${row.gorillaBytesPerPoint}, brotli ${row.brotliBytesPerPoint}, deflate ${row.deflateBytesPerPoint})`);
    return row;
  });
  const medianOf = (k: 'dataBytesPerPoint' | 'gorillaBytesPerPoint' | 'brotliBytesPerPoint' | 'deflateBytesPerPoint') => round(median(perFile.map((r) => r[k])));
  const json = {
    blockPoints: BLOCK_POINTS,
    medianDataBytesPerPoint: medianOf('dataBytesPerPoint'),
    gorillaMedianBytesPerPoint: medianOf('gorillaBytesPerPoint'),
    brotliMedianBytesPerPoint: medianOf('brotliBytesPerPoint'),
    deflateMedianBytesPerPoint: medianOf('deflateBytesPerPoint'),
    files: perFile,
  };
  return {
    json,
    failures,
    rows: [
      {
        key: 'codec.nab.medianDataBytesPerPoint',
        label: 'NAB median data bytes/point',
        value: json.medianDataBytesPerPoint,
        unit: 'B/pt',
        target: { op: '<=', value: 1.5 },
        note: `gorilla ${json.gorillaMedianBytesPerPoint}, brotli-9 ${json.brotliMedianBytesPerPoint}, deflate-9 ${json.deflateMedianBytesPerPoint} (${files.length} files)`,
      },
    ],
  };
}
