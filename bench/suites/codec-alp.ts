// codec.alp: bits/value on the ALP sample columns (1,024 values each, regular 10 s timestamps), from
// the whole encoded block: header and timestamps included, as the data README asks.
import { encodeRealFile, loadSetOrSkip } from '../lib/real-files.js';
import { mean, round } from '../lib/stats.js';
import type { SuiteContext, SuiteOutput } from '../lib/report.js';

export function runAlp(ctx: SuiteContext): SuiteOutput {
  const files = loadSetOrSkip(ctx, 'alp');
  if (!Array.isArray(files)) return files;
  const failures: string[] = [];
  const perFile = files.map((f) => {
    const { points: n, dataBytes, gorillaBytes: gorilla, roundTrip } = encodeRealFile('codec.alp', f, failures);
    return {
      file: f.name,
      points: n,
      dataBytes,
      bitsPerValue: round((dataBytes * 8) / n, 2),
      gorillaBitsPerValue: round((gorilla * 8) / n, 2),
      roundTrip,
    };
  });
  for (const r of perFile) ctx.progress(`codec.alp: ${r.file} ${r.bitsPerValue} bits/value (gorilla ${r.gorillaBitsPerValue})`);
  const json = {
    avgBitsPerValue: round(mean(perFile.map((r) => r.bitsPerValue)), 2),
    gorillaAvgBitsPerValue: round(mean(perFile.map((r) => r.gorillaBitsPerValue)), 2),
    files: perFile,
  };
  return {
    json,
    failures,
    rows: [
      {
        key: 'codec.alp.avgBitsPerValue',
        label: 'ALP avg bits/value',
        value: json.avgBitsPerValue,
        unit: 'bits',
        target: { op: '<=', value: 20 },
        note: `gorilla ${json.gorillaAvgBitsPerValue} (${files.length} files, block header + timestamps included)`,
      },
    ],
  };
}
