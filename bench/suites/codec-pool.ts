// codec.pool: 64 MB of series data (4 M points x 16 bytes) encoded through the worker pool while the
// main thread measures its own event-loop delay. The main thread only generates and transfers;
// a bounded number of tasks is in flight, as the metrics engine will do when it seals blocks.
import { setImmediate } from 'node:timers/promises';
import { decodeSeries } from '../../src/codec/series.js';
import { createPool } from '../../src/pool/pool.js';
import { GaugeSeriesGenerator } from '../gen/series.js';
import { BLOCK_POINTS } from '../lib/blocks.js';
import { sameBits } from '../lib/bits.js';
import { EventLoopMonitor } from '../lib/event-loop.js';
import { round } from '../lib/stats.js';
import type { SuiteContext, SuiteOutput } from '../lib/report.js';

const SEED = 7;
const GEN_SLICE_POINTS = 1024;

export async function runPool(ctx: SuiteContext): Promise<SuiteOutput> {
  const points = ctx.quick ? 1 << 19 : 4 << 20;
  const pool = createPool();
  const inFlightMax = pool.threads * 2;
  const blocks = Math.ceil(points / BLOCK_POINTS);
  ctx.progress(`codec.pool: ${blocks} blocks of ${BLOCK_POINTS} through ${pool.threads} worker thread(s), <= ${inFlightMax} in flight`);
  try {
    // Warm the workers (thread start + wasm instantiation) outside the measured window.
    const warm = new GaugeSeriesGenerator(SEED + 1).next(BLOCK_POINTS);
    await Promise.all(Array.from({ length: pool.threads }, () => pool.encodeSeries(warm.tsMs.slice(), warm.values.slice())));

    const gen = new GaugeSeriesGenerator(SEED);
    const firstBlock = new GaugeSeriesGenerator(SEED).next(BLOCK_POINTS); // kept to verify one block
    const inFlight = new Set<Promise<void>>();
    let encodedBytes = 0;
    let firstEncoded: Uint8Array | undefined;
    const monitor = new EventLoopMonitor();
    monitor.start();
    const t0 = performance.now();
    for (let b = 0; b < blocks; b++) {
      const n = Math.min(BLOCK_POINTS, points - b * BLOCK_POINTS);
      const tsMs = new Float64Array(n);
      const values = new Float64Array(n);
      // Produce the block in slices with a loop turn between them, as an app's points arrive over
      // time: what is measured is the pool's cost to the host, not one long generator loop.
      for (let from = 0; from < n; from += GEN_SLICE_POINTS) {
        gen.fill(tsMs, values, from, Math.min(n, from + GEN_SLICE_POINTS));
        await setImmediate();
      }
      const task = pool.encodeSeries(tsMs, values).then((block) => {
        encodedBytes += block.length;
        if (b === 0) firstEncoded = block;
        inFlight.delete(task);
      });
      inFlight.add(task);
      if (inFlight.size >= inFlightMax) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    const seconds = (performance.now() - t0) / 1000;
    const delay = monitor.stop();

    const failures: string[] = [];
    const check = firstEncoded && decodeSeries(firstEncoded);
    if (!check || !sameBits(check.tsMs, firstBlock.tsMs) || !sameBits(check.values, firstBlock.values)) {
      failures.push('codec.pool: the first block encoded by the pool does not decode to its input');
    }
    const json = {
      threads: pool.threads,
      points,
      inputBytes: points * 16,
      blocks,
      maxInFlight: inFlightMax,
      seconds: round(seconds, 2),
      mptsPerSec: round(points / 1e6 / seconds, 1),
      inputMBps: round((points * 16) / 2 ** 20 / seconds, 1),
      dataBytesPerPoint: round(encodedBytes / points),
      eventLoopP50Ms: round(delay.p50Ms, 2),
      eventLoopP99Ms: round(delay.p99Ms, 2),
      eventLoopMaxMs: round(delay.maxMs, 2),
    };
    ctx.progress(`codec.pool: ${json.mptsPerSec} M pts/s, event-loop p99 ${json.eventLoopP99Ms} ms`);
    return {
      json,
      failures,
      rows: [
        { key: 'codec.pool.eventLoopP99Ms', label: 'event-loop p99 while pool encodes', value: json.eventLoopP99Ms, unit: 'ms', target: { op: '<=', value: 10 }, note: `max ${json.eventLoopMaxMs} ms` },
        { key: 'codec.pool.mptsPerSec', label: 'pool encode throughput', value: json.mptsPerSec, unit: 'M pts/s', note: `${json.inputMBps} MB/s input, ${pool.threads} thread(s)` },
      ],
    };
  } finally {
    await pool.close();
  }
}
