// One user series (a NAB file, a --metrics-csv file) through the engine: written with writeBatch,
// flushed, checkpointed and compacted, then read back with a raw query and compared bit for bit.
// Its data bytes are the growth of stats().dataBytes, so several series can share one store.
import { firstBitMismatch } from './bits.js';
import { writeWithBackpressure, type BenchStore } from './bench-store.js';
import type { BenchPoint } from './telemetry-points.js';

export interface EngineSeriesResult {
  points: number;
  dataBytes: number;
  dataBytesPerPoint: number;
  blocks: number;
  /** `bit-exact`, or what differs between the input and the engine's raw query answer. */
  roundTrip: string;
}

const WRITE_SLICE = 4_096;

export async function measureSeriesInEngine(
  store: BenchStore,
  name: string,
  labels: Record<string, string>,
  tsMs: Float64Array,
  values: Float64Array,
): Promise<EngineSeriesResult> {
  const before = await store.metrics.stats();
  const counters = { points: 0, backpressure: 0 };
  for (let from = 0; from < tsMs.length; from += WRITE_SLICE) {
    const to = Math.min(tsMs.length, from + WRITE_SLICE);
    const points: BenchPoint[] = [];
    for (let i = from; i < to; i++) points.push({ name, labels, value: values[i], tsMs: tsMs[i] });
    await writeWithBackpressure(store, points, counters);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await store.metrics.flush();
  await store.metrics.checkpoint();
  await store.metrics.compactNow();
  const after = await store.metrics.stats();
  const dataBytes = after.dataBytes - before.dataBytes;
  const points = after.points - before.points;
  return {
    points,
    dataBytes,
    dataBytesPerPoint: dataBytes / tsMs.length,
    blocks: after.blocks - before.blocks,
    roundTrip: await compareWithQuery(store, name, labels, tsMs, values),
  };
}

/** The engine answers in time order; compare against the input sorted the same way. */
async function compareWithQuery(store: BenchStore, name: string, labels: Record<string, string>, tsMs: Float64Array, values: Float64Array): Promise<string> {
  const order = Array.from(tsMs.keys()).sort((a, b) => tsMs[a] - tsMs[b]);
  const wantTs = Float64Array.from(order, (i) => tsMs[i]);
  const wantValues = Float64Array.from(order, (i) => values[i]);
  const result = await store.metrics.query({ name, matchers: labels, fromMs: wantTs[0], toMs: wantTs[wantTs.length - 1] });
  if (result.length !== 1) return `query returned ${result.length} series, expected 1`;
  const got = result[0];
  if (got.tsMs.length !== wantTs.length) return `query returned ${got.tsMs.length} points, expected ${wantTs.length}`;
  const ts = firstBitMismatch(Float64Array.from(got.tsMs), wantTs);
  if (ts >= 0) return `timestamp ${ts} differs: ${got.tsMs[ts]} != ${wantTs[ts]}`;
  const v = firstBitMismatch(Float64Array.from(got.values), wantValues);
  if (v >= 0) return `value ${v} differs: ${got.values[v]} != ${wantValues[v]}`;
  return 'bit-exact';
}
