// codec.alp: bits/value on the ALP sample columns (1,024 values each, regular 10 s timestamps), from
// the whole encoded block: header and timestamps included, as the data README asks.
import path from 'node:path';
import { encodeSeries, decodeSeries } from '../../src/codec/series.js';
import { encodeGorillaSeries } from '../../src/codec/reference/series.js';
import { encodeBlocks, totalBytes, verifyRoundTrip } from '../lib/blocks.js';
import { loadMetricSet } from '../lib/data.js';
import { mean, round } from '../lib/stats.js';
import type { SuiteContext, SuiteOutput } from '../lib/report.js';

export function runAlp(ctx: SuiteContext): SuiteOutput {
  const files = loadMetricSet(ctx.dataRoot, 'alp');
  if (!files) {
    const dir = path.join(ctx.dataRoot, 'metrics', 'alp');
    ctx.progress(`codec.alp: ${dir} is missing, skipping the ALP part`);
    return { json: { skipped: `${dir} is missing` }, rows: [], failures: [] };
  }
  const failures: string[] = [];
  const perFile = files.map((f) => {
    const n = f.values.length;
    const ours = encodeBlocks(f.tsMs, f.values, encodeSeries);
    const mismatch = verifyRoundTrip(ours, f.tsMs, f.values, decodeSeries);
    if (mismatch) failures.push(`codec.alp ${f.name}: round trip not bit-exact: ${mismatch}`);
    const gorilla = totalBytes(encodeBlocks(f.tsMs, f.values, encodeGorillaSeries));
    return {
      file: f.name,
      points: n,
      dataBytes: totalBytes(ours),
      bitsPerValue: round((totalBytes(ours) * 8) / n, 2),
      gorillaBitsPerValue: round((gorilla * 8) / n, 2),
      roundTrip: mismatch ? 'FAILED' : 'bit-exact',
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
