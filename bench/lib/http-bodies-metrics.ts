// Pre-encoded metrics request bodies for the `http` suite's ingest parts: Prometheus remote_write
// (protobuf WriteRequest, snappy) and VictoriaMetrics /api/v1/import (JSON lines), from the "Node
// app telemetry" generator (bench/gen/telemetry.ts). Built before the timed window so the bench
// client costs the server's core as little as possible.
//
// Requests are split into lanes (concurrent senders) the way Prometheus shards remote_write: each
// lane owns its own series (SERIES_PER_LANE of them) and sends them in time order, so every series
// sees increasing timestamps however the lanes interleave. A request carries STEPS_PER_REQUEST
// consecutive scrapes of the lane's series (1,000 series x 10 scrapes = 10,000 samples), what a
// remote_write shard sends when it batches, and what a VictoriaMetrics import line naturally holds.
import { encodeWriteRequest } from '../../src/server/protocols/remote-write.js';
import { snappyCompress } from '../../src/server/protocols/snappy.js';
import { serializeVmLine } from '../../src/server/protocols/vm-import.js';
import { generateTelemetry, telemetryCatalog, TELEMETRY_STEP_MS, type TelemetrySeries } from '../gen/telemetry.js';

export const SERIES_PER_LANE = 1_000;
export const STEPS_PER_REQUEST = 10;
export const POINTS_PER_REQUEST = SERIES_PER_LANE * STEPS_PER_REQUEST;

export interface LoadRequest {
  body: Uint8Array;
  /** Points, spans or log records in the body. */
  items: number;
}

/** One scrape window of one lane: its series' values at STEPS_PER_REQUEST timestamps. */
interface LaneWindow {
  series: readonly TelemetrySeries[];
  tsMs: Float64Array;
  /** Row-major: values[step * series.length + i]. */
  values: Float64Array;
}

/**
 * Walks `requestsPerLane` windows of every lane, in time order, calling `encode` on each. The data
 * sits in the past (ending about now) so no engine treats it as future.
 */
function forEachWindow(lanes: number, requestsPerLane: number, seed: number, encode: (lane: number, w: LaneWindow) => void): void {
  const series = lanes * SERIES_PER_LANE;
  const catalog = telemetryCatalog(series);
  const steps = requestsPerLane * STEPS_PER_REQUEST;
  const fromMs = Math.floor(Date.now() / TELEMETRY_STEP_MS) * TELEMETRY_STEP_MS - steps * TELEMETRY_STEP_MS;
  for (const batch of generateTelemetry({ series, fromMs, points: steps, seed, batchSteps: STEPS_PER_REQUEST, precision: 'ms' })) {
    for (let lane = 0; lane < lanes; lane++) {
      const from = lane * SERIES_PER_LANE;
      const values = new Float64Array(batch.steps * SERIES_PER_LANE);
      for (let s = 0; s < batch.steps; s++) values.set(batch.values.subarray(s * series + from, s * series + from + SERIES_PER_LANE), s * SERIES_PER_LANE);
      encode(lane, { series: catalog.slice(from, from + SERIES_PER_LANE), tsMs: batch.tsMs, values });
    }
  }
}

/** remote_write bodies: snappy(WriteRequest), one series entry per series with its 10 samples. */
export function remoteWriteBodies(lanes: number, requestsPerLane: number, seed = 61): LoadRequest[][] {
  const out: LoadRequest[][] = Array.from({ length: lanes }, () => []);
  forEachWindow(lanes, requestsPerLane, seed, (lane, w) => {
    const n = w.series.length;
    const series = w.series.map((s, i) => ({
      labels: { __name__: s.name, ...s.labels },
      samples: Array.from({ length: w.tsMs.length }, (_, step) => ({ tsMs: w.tsMs[step], value: w.values[step * n + i] })),
    }));
    out[lane].push({ body: snappyCompress(encodeWriteRequest(series)), items: n * w.tsMs.length });
  });
  return out;
}

/** VictoriaMetrics import bodies: one JSON line per series with its 10 samples. */
export function vmImportBodies(lanes: number, requestsPerLane: number, seed = 62): LoadRequest[][] {
  const out: LoadRequest[][] = Array.from({ length: lanes }, () => []);
  forEachWindow(lanes, requestsPerLane, seed, (lane, w) => {
    const n = w.series.length;
    const lines: string[] = new Array(n);
    const values = new Float64Array(w.tsMs.length);
    for (let i = 0; i < n; i++) {
      for (let step = 0; step < w.tsMs.length; step++) values[step] = w.values[step * n + i];
      lines[i] = serializeVmLine(w.series[i].name, w.series[i].labels, w.tsMs, values);
    }
    out[lane].push({ body: Buffer.from(lines.join(''), 'utf8'), items: n * w.tsMs.length }); // each line ends in \n
  });
  return out;
}
