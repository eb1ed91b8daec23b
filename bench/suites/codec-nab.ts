// codec.nab: data bytes/point on the real NAB CloudWatch series, our wasm codec beside plain Gorilla
// and brotli/deflate over the plain column layout.
import { BLOCK_POINTS } from '../lib/blocks.js';
import { brotliBytes, columnLayout, deflateBytes } from '../lib/columns.js';
import { encodeRealFile, loadSetOrSkip } from '../lib/real-files.js';
import { median, round } from '../lib/stats.js';
import type { SuiteContext, SuiteOutput } from '../lib/report.js';

export function runNab(ctx: SuiteContext): SuiteOutput {
  const files = loadSetOrSkip(ctx, 'nab');
  if (!Array.isArray(files)) return files;
  const failures: string[] = [];
  const perFile = files.map((f) => {
    const { points: n, dataBytes, gorillaBytes: gorilla, roundTrip } = encodeRealFile('codec.nab', f, failures);
    const columns = columnLayout(f.tsMs, f.values);
    const row = {
      file: f.name,
      points: n,
      duplicatesDropped: f.duplicatesDropped,
      dataBytes,
      dataBytesPerPoint: round(dataBytes / n),
      gorillaBytesPerPoint: round(gorilla / n),
      brotliBytesPerPoint: round(brotliBytes(columns, 9) / n),
      deflateBytesPerPoint: round(deflateBytes(columns, 9) / n),
      roundTrip,
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
