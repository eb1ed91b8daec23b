// codec.speed: encode/decode M points/s on the main thread (one core), wasm beside the plain-TS
// reference, on the regular gauge series from bench/gen/series.ts in blocks of 8,192.
import * as wasmSeries from '../../src/codec/series.js';
import * as refSeries from '../../src/codec/reference/series.js';
import { generateGaugeSeries } from '../gen/series.js';
import { BLOCK_POINTS, encodeBlocks, totalBytes, verifyRoundTrip, type SeriesDecoder, type SeriesEncoder } from '../lib/blocks.js';
import { bestOfMs, round } from '../lib/stats.js';
import type { SuiteContext, SuiteOutput } from '../lib/report.js';

const SEED = 42;
const REFERENCE_POINTS = 1 << 20;

export function runSpeed(ctx: SuiteContext): SuiteOutput {
  const points = ctx.quick ? 1 << 20 : 8 << 20;
  const reps = ctx.quick ? 1 : 3;
  ctx.progress(`codec.speed: generating ${points.toLocaleString('en-US')} points`);
  const { tsMs, values } = generateGaugeSeries(points, SEED);
  const failures: string[] = [];

  const measure = (name: string, n: number, reps: number, encode: SeriesEncoder, decode: SeriesDecoder) => {
    const ts = tsMs.subarray(0, n);
    const vs = values.subarray(0, n);
    // Warm-up on the first 32 blocks only: tier-up needs far less than the whole series.
    const warmPoints = Math.min(n, BLOCK_POINTS * 32);
    const encodeMs = bestOfMs(reps, () => encodeBlocks(ts, vs, encode), () => encodeBlocks(ts.subarray(0, warmPoints), vs.subarray(0, warmPoints), encode));
    const blocks = encodeBlocks(ts, vs, encode);
    const mismatch = verifyRoundTrip(blocks, ts, vs, decode);
    if (mismatch) failures.push(`codec.speed ${name}: round trip not bit-exact: ${mismatch}`);
    const decodeAll = () => {
      for (const b of blocks) decode(b);
    };
    const decodeMs = bestOfMs(reps, decodeAll, () => {
      for (let i = 0; i < 32; i++) decode(blocks[i % blocks.length]);
    });
    const r = {
      encodeMptsPerSec: round(n / 1e3 / encodeMs, 1),
      decodeMptsPerSec: round(n / 1e3 / decodeMs, 1),
      dataBytesPerPoint: round(totalBytes(blocks) / n),
    };
    ctx.progress(`codec.speed: ${name} encode ${r.encodeMptsPerSec} M pts/s, decode ${r.decodeMptsPerSec} M pts/s (${n.toLocaleString('en-US')} points)`);
    return r;
  };

  const ours = measure('wasm', points, reps, wasmSeries.encodeSeries, wasmSeries.decodeSeries);
  // The reference is the oracle, not the product: a 1 M point sample, timed once, keeps the whole
  // bench within minutes (it runs an order of magnitude slower than the wasm).
  const refPoints = Math.min(points, REFERENCE_POINTS);
  const ref = measure('reference', refPoints, 1, refSeries.encodeSeries, refSeries.decodeSeries);
  const json = {
    points,
    blockPoints: BLOCK_POINTS,
    repetitions: reps,
    encodeMptsPerSec: ours.encodeMptsPerSec,
    decodeMptsPerSec: ours.decodeMptsPerSec,
    referenceEncodeMptsPerSec: ref.encodeMptsPerSec,
    referenceDecodeMptsPerSec: ref.decodeMptsPerSec,
    referencePoints: refPoints,
    dataBytesPerPoint: ours.dataBytesPerPoint,
  };
  return {
    json,
    failures,
    rows: [
      { key: 'codec.speed.encodeMptsPerSec', label: 'series encode (wasm, 1 core)', value: json.encodeMptsPerSec, unit: 'M pts/s', target: { op: '>=', value: 30 }, note: `reference ${json.referenceEncodeMptsPerSec}` },
      { key: 'codec.speed.decodeMptsPerSec', label: 'series decode (wasm, 1 core)', value: json.decodeMptsPerSec, unit: 'M pts/s', target: { op: '>=', value: 60 }, note: `reference ${json.referenceDecodeMptsPerSec}` },
    ],
  };
}
