// Metrics for a Prometheus remote_write receiver (VictoriaMetrics, Mimir, Thanos receive, Prometheus
// itself). Queue frames hold accepted points as JSON ([name, labels, value, tsMs] each, NaN and
// ±Infinity as strings since JSON has no spelling for them, time already resolved); a batch of
// frames becomes one WriteRequest: points grouped by series, labels sorted by name with __name__,
// samples in time order (receivers refuse out-of-order samples within a series), protobuf, snappy.
import type { WritePoint } from '../../metrics/types.js';
import { encodeWriteRequest } from '../protocols/remote-write.js';
import { snappyCompress } from '../protocols/snappy.js';
import type { SendRequest } from './sender.js';

type QueuedPoint = [name: string, labels: Record<string, string>, value: number | string, tsMs: number];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Queue payloads for `points`, at most `perFrame` points each. A point without tsMs gets `nowMs`
 * (the store stamped its own "now" a moment earlier); times are floored to whole ms as stored.
 */
export function encodeMetricsFrames(points: readonly WritePoint[], nowMs: number, perFrame: number): Array<{ payload: Uint8Array; records: number }> {
  const frames: Array<{ payload: Uint8Array; records: number }> = [];
  for (let start = 0; start < points.length; start += perFrame) {
    const chunk: QueuedPoint[] = [];
    const end = Math.min(points.length, start + perFrame);
    for (let i = start; i < end; i++) {
      const p = points[i];
      const v = Number.isFinite(p.value) ? p.value : String(p.value);
      chunk.push([p.name, p.labels, v, p.tsMs === undefined ? nowMs : Math.floor(p.tsMs)]);
    }
    frames.push({ payload: encoder.encode(JSON.stringify(chunk)), records: chunk.length });
  }
  return frames;
}

/** The series of a batch of queue payloads, as encodeWriteRequest takes them. */
export function seriesOfFrames(payloads: readonly Uint8Array[]): Array<{ labels: Record<string, string>; samples: Array<{ tsMs: number; value: number }> }> {
  const bySeries = new Map<string, { labels: Record<string, string>; samples: Array<{ tsMs: number; value: number }> }>();
  for (const payload of payloads) {
    for (const [name, labels, v, tsMs] of JSON.parse(decoder.decode(payload)) as QueuedPoint[]) {
      const sorted = promLabels(name, labels);
      const key = JSON.stringify(sorted);
      let s = bySeries.get(key);
      if (s === undefined) {
        s = { labels: Object.fromEntries(sorted), samples: [] };
        bySeries.set(key, s);
      }
      s.samples.push({ tsMs, value: typeof v === 'number' ? v : Number(v) });
    }
  }
  const series = [...bySeries.values()];
  for (const s of series) s.samples.sort((a, b) => a.tsMs - b.tsMs);
  return series;
}

/** One remote_write request (protocol 0.1.0) of a batch of queue payloads. */
export function remoteWriteRequest(url: string, headers: Record<string, string>, payloads: readonly Uint8Array[]): SendRequest {
  return {
    url,
    body: snappyCompress(encodeWriteRequest(seriesOfFrames(payloads))),
    headers: {
      ...headers,
      'Content-Encoding': 'snappy',
      'Content-Type': 'application/x-protobuf',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
    },
  };
}

/** __name__ plus the labels, sorted by name (the spec requires it), empty values left out (= absent). */
function promLabels(name: string, labels: Record<string, string>): Array<[string, string]> {
  const out: Array<[string, string]> = [['__name__', name]];
  for (const k of Object.keys(labels)) {
    const v = labels[k];
    if (k !== '__name__' && typeof v === 'string' && v !== '') out.push([k, v]);
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
