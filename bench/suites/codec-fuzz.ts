// codec.fuzz: >= 1,000,000 seeded mutated/truncated inputs fed to the wasm decoders (series blocks
// from NAB/ALP/synthetic encodings, LZ frames of log slices). Inputs stay small (<= 512 points,
// <= 4 KB frames) so the run takes seconds, not minutes.
import os from 'node:os';
import { encodeSeries } from '../../src/codec/series.js';
import { compress, type LzLevel } from '../../src/codec/lz.js';
import { generateAppLog } from '../gen/applog.js';
import { Prng } from '../gen/prng.js';
import { generateGaugeSeries } from '../gen/series.js';
import { loadMetricSet } from '../lib/data.js';
import { mergeFuzzReports } from '../lib/fuzz.js';
import { runFuzzSharded } from '../lib/fuzz-shards.js';
import type { SuiteContext, SuiteOutput } from '../lib/report.js';

const SEED = 20240917;
const MAX_POINTS = 512;
const MAX_FRAME_INPUT = 4096;
/** No input should take more than microseconds; 30 s without progress on a case is a hang. */
const HANG_MS = 30_000;

export async function runFuzzPart(ctx: SuiteContext): Promise<SuiteOutput> {
  const cases = ctx.quick ? 50_000 : 1_000_000;
  const prng = new Prng(SEED);
  const seriesCorpus = buildSeriesCorpus(ctx, prng);
  const lzCorpus = buildLzCorpus(prng);
  ctx.progress(`codec.fuzz: ${seriesCorpus.length} series blocks, ${lzCorpus.length} LZ frames; ${cases.toLocaleString('en-US')} cases in worker threads`);
  const t0 = performance.now();
  const { reports, crashes } = await runFuzzSharded({
    seed: SEED,
    cases,
    shards: Math.max(1, Math.min(4, os.availableParallelism())),
    corpora: { decodeSeries: seriesCorpus, decompress: lzCorpus },
    hangMs: HANG_MS,
    progress: (done) => {
      if (done % 250_000 === 0) ctx.progress(`codec.fuzz: ${done.toLocaleString('en-US')} / ${cases.toLocaleString('en-US')} cases`);
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const report = mergeFuzzReports(reports);
  // A hung or dead shard is an untyped failure too; its unfinished cases are not counted.
  report.otherErrors += crashes.length;
  const failures = report.failures.map((f) => `codec.fuzz ${f.target} case ${f.caseIndex} (${f.mutations.join('+')}): ${f.error}; input ${f.inputHex}`);
  const listed = report.failures.length;
  if (report.otherErrors - crashes.length > listed) failures.push(`codec.fuzz: ${report.otherErrors - crashes.length - listed} more untyped failures not listed`);
  failures.push(...crashes.map((c) => `codec.fuzz: ${c}`));
  const json = {
    seed: SEED,
    cases: report.cases,
    decoded: report.decoded,
    typedErrors: report.typedErrors,
    otherErrors: report.otherErrors,
    errorCodes: report.errorCodes,
    seconds: Math.round(seconds * 10) / 10,
    corpus: { seriesBlocks: seriesCorpus.length, lzFrames: lzCorpus.length },
    perTarget: report.perTarget,
    failures: report.failures,
    crashes,
  };
  return {
    json,
    failures,
    rows: [
      {
        key: 'codec.fuzz.otherErrors',
        label: 'fuzz: untyped decoder failures',
        value: report.otherErrors,
        unit: '',
        target: { op: '<=', value: 0 },
        note: `${report.cases.toLocaleString('en-US')} cases: ${report.typedErrors.toLocaleString('en-US')} CodecError, ${report.decoded.toLocaleString('en-US')} decoded`,
      },
    ],
  };
}

/** Valid blocks of <= 512 points: windows of the real data, synthetic gauges, and nasty values. */
function buildSeriesCorpus(ctx: SuiteContext, prng: Prng): Uint8Array[] {
  const series: Array<{ tsMs: Float64Array; values: Float64Array }> = [];
  for (const set of ['nab', 'alp'] as const) {
    for (const f of loadMetricSet(ctx.dataRoot, set) ?? []) {
      for (let w = 0; w < 4; w++) {
        const len = prng.int(1, Math.min(MAX_POINTS, f.values.length));
        const start = prng.int(0, f.values.length - len);
        series.push({ tsMs: f.tsMs.slice(start, start + len), values: f.values.slice(start, start + len) });
      }
    }
  }
  for (let s = 0; s < 8; s++) series.push(generateGaugeSeries(prng.int(1, MAX_POINTS), s));
  series.push(...nastySeries(prng));
  const blocks: Uint8Array[] = [];
  for (const s of series) {
    for (const values of ['auto', 'gorilla', 'decimal'] as const) {
      try {
        blocks.push(encodeSeries(s.tsMs, s.values, { values }));
      } catch {
        // A codec may refuse a forced path (e.g. decimal for non-decimal values): not a corpus entry.
      }
    }
  }
  if (blocks.length === 0) throw new Error('codec.fuzz: the series encoder accepted none of the corpus series');
  return blocks;
}

function nastySeries(prng: Prng): Array<{ tsMs: Float64Array; values: Float64Array }> {
  const make = (n: number, ts: (i: number) => number, v: (i: number) => number) => ({
    tsMs: Float64Array.from({ length: n }, (_, i) => ts(i)),
    values: Float64Array.from({ length: n }, (_, i) => v(i)),
  });
  const regular = (i: number) => 1.7e12 + i * 10_000;
  const specials = [NaN, Infinity, -Infinity, -0, 0, 5e-324, Number.MAX_VALUE, -Number.MIN_VALUE];
  let t = 1.6e12;
  return [
    make(1, regular, () => 42.5),
    make(MAX_POINTS, regular, () => 7),
    make(MAX_POINTS, regular, (i) => i),
    make(MAX_POINTS, regular, () => prng.float() * 1e6 - 5e5),
    make(MAX_POINTS, regular, (i) => specials[i % specials.length]),
    make(MAX_POINTS, () => (t += prng.int(0, 3_600_000)), (i) => i * 0.001),
    make(MAX_POINTS, (i) => 1.7e12 + (i % 7) * 1000 - i, (i) => Math.round(prng.normal() * 1e4) / 100),
    make(MAX_POINTS, (i) => i * 2 ** 40, (i) => 2 ** (i % 60)),
  ];
}

/** LZ frames of log slices (<= 4 KB) at every level, plus incompressible and all-zero inputs. */
function buildLzCorpus(prng: Prng): Uint8Array[] {
  const logs = generateAppLog(256 * 1024, 2);
  const frames: Uint8Array[] = [];
  const levels: readonly LzLevel[] = ['fast', 'default', 'max'];
  for (let i = 0; i < 60; i++) {
    const len = prng.int(1, MAX_FRAME_INPUT);
    const start = prng.int(0, logs.length - len);
    frames.push(compress(logs.slice(start, start + len), levels[i % levels.length]));
  }
  frames.push(compress(new Uint8Array(0)));
  frames.push(compress(prng.bytes(MAX_FRAME_INPUT)));
  frames.push(compress(new Uint8Array(MAX_FRAME_INPUT)));
  return frames;
}
