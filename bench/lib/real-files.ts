// What the nab and alp parts of the codec suite do for every real file: load the set (or say why it is
// skipped), encode with our wasm codec, check the round trip bit for bit, and encode the Gorilla peer.
import path from 'node:path';
import { decodeSeries, encodeSeries } from '../../src/codec/series.js';
import { encodeGorillaSeries } from '../../src/codec/reference/series.js';
import { encodeBlocks, totalBytes, verifyRoundTrip } from './blocks.js';
import { loadMetricSet, type DataFile } from './data.js';
import type { SuiteContext, SuiteOutput } from './report.js';

/** The set's files, or the part's output saying the folder is missing. */
export function loadSetOrSkip(ctx: SuiteContext, set: 'nab' | 'alp'): DataFile[] | SuiteOutput {
  const files = loadMetricSet(ctx.dataRoot, set);
  if (files) return files;
  const dir = path.join(ctx.dataRoot, 'metrics', set);
  ctx.progress(`codec.${set}: ${dir} is missing, skipping the ${set.toUpperCase()} part`);
  return { json: { skipped: `${dir} is missing` }, rows: [], failures: [] };
}

export interface RealFileBytes {
  points: number;
  dataBytes: number;
  gorillaBytes: number;
  roundTrip: 'bit-exact' | 'FAILED';
}

/** Our blocks and the Gorilla peer's for one file; a round-trip mismatch is added to `failures`. */
export function encodeRealFile(part: string, f: DataFile, failures: string[]): RealFileBytes {
  const ours = encodeBlocks(f.tsMs, f.values, encodeSeries);
  const mismatch = verifyRoundTrip(ours, f.tsMs, f.values, decodeSeries);
  if (mismatch) failures.push(`${part} ${f.name}: round trip not bit-exact: ${mismatch}`);
  return {
    points: f.values.length,
    dataBytes: totalBytes(ours),
    gorillaBytes: totalBytes(encodeBlocks(f.tsMs, f.values, encodeGorillaSeries)),
    roundTrip: mismatch ? 'FAILED' : 'bit-exact',
  };
}
