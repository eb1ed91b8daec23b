// codec.lz: the block compressor on generated application logs: ratio per level beside brotli q9 on
// the same bytes, compression and decompression speed (wasm, plus the reference's decompression).
// MB here is 2^20 bytes, the unit the input size is given in.
import { compress, decompress, type LzLevel } from '../../src/codec/lz.js';
import * as refLz from '../../src/codec/reference/lz.js';
import { generateAppLog } from '../gen/applog.js';
import { brotliBytes } from '../lib/columns.js';
import { bestOfMs, round } from '../lib/stats.js';
import type { SuiteContext, SuiteOutput } from '../lib/report.js';

const LEVELS: readonly LzLevel[] = ['fast', 'default', 'max'];
const MB = 2 ** 20;

export function runLz(ctx: SuiteContext): SuiteOutput {
  const inputBytes = (ctx.quick ? 2 : 10) * MB;
  ctx.progress(`codec.lz: generating ${inputBytes / MB} MB of application logs`);
  const input = generateAppLog(inputBytes, 1);
  const mb = input.length / MB;
  const warmSlice = input.subarray(0, Math.min(input.length, MB));
  const failures: string[] = [];
  const levels: Record<string, { ratio: number; compressedBytes: number; compressMBps: number }> = {};
  const frames = new Map<LzLevel, Uint8Array>();

  for (const level of LEVELS) {
    let frame: Uint8Array = new Uint8Array(0);
    const ms = bestOfMs(1, () => { frame = compress(input, level); }, () => compress(warmSlice, level));
    frames.set(level, frame);
    if (!Buffer.from(decompress(frame)).equals(input)) failures.push(`codec.lz ${level}: decompress(compress(x)) differs from x`);
    levels[level] = { ratio: round(input.length / frame.length), compressedBytes: frame.length, compressMBps: round(mb / (ms / 1000), 1) };
    ctx.progress(`codec.lz: ${level} ratio ${levels[level].ratio}, compress ${levels[level].compressMBps} MB/s`);
  }

  ctx.progress('codec.lz: brotli q9 on the same bytes');
  const brotliRatio = round(input.length / brotliBytes(input, 9));
  const frame = frames.get('default')!;
  const reps = ctx.quick ? 1 : 3;
  const wasmMs = bestOfMs(reps, () => decompress(frame));
  const refMs = bestOfMs(ctx.quick ? 1 : 2, () => refLz.decompress(frame));
  const ratio = levels.default.ratio;
  const json = {
    inputBytes: input.length,
    ratio,
    brotliRatio,
    ratioVsBrotli: round(ratio / brotliRatio),
    decompressMBps: round(mb / (wasmMs / 1000), 1),
    referenceDecompressMBps: round(mb / (refMs / 1000), 1),
    compressMBps: levels.default.compressMBps,
    levels,
  };
  ctx.progress(`codec.lz: decompress ${json.decompressMBps} MB/s (reference ${json.referenceDecompressMBps}), brotli q9 ratio ${brotliRatio}`);
  return {
    json,
    failures,
    rows: [
      { key: 'codec.lz.ratio', label: 'LZ ratio (default level)', value: ratio, unit: 'x', note: `brotli q9 ${brotliRatio}, fast ${levels.fast.ratio}, max ${levels.max.ratio}` },
      { key: 'codec.lz.ratioVsBrotli', label: 'LZ ratio / brotli q9 ratio', value: json.ratioVsBrotli, unit: '', target: { op: '>=', value: 0.9 } },
      { key: 'codec.lz.decompressMBps', label: 'LZ decompress (wasm)', value: json.decompressMBps, unit: 'MB/s', target: { op: '>=', value: 50 }, note: `reference ${json.referenceDecompressMBps}` },
      { key: 'codec.lz.compressMBps', label: 'LZ compress (wasm, default)', value: json.compressMBps, unit: 'MB/s', note: `fast ${levels.fast.compressMBps}, max ${levels.max.compressMBps}` },
    ],
  };
}
