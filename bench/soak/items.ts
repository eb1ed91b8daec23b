// What the soak sends: every item carries a unique sequence number, and its whole content is a pure
// function of (signal, seq, tsMs), so the oracle stores only those and rebuilds what was sent.
import type { LogInput, SpanInput, WritePoint } from '../../src/index.js';

export type Signal = 'metrics' | 'logs' | 'spans';
export const SIGNALS: readonly Signal[] = ['metrics', 'logs', 'spans'];

export const METRIC_NAME = 'soak_value';
/** Series the metric points rotate over (label `s`). */
export const METRIC_SERIES = 16;
const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
const KINDS = ['server', 'client', 'internal'] as const;

/** One point per series per batch: a point is (series, tsMs), its value is derived from seq. */
export function metricPoint(seq: number, tsMs: number, phase: string): WritePoint {
  return { name: METRIC_NAME, labels: { s: String(seq % METRIC_SERIES), phase }, value: metricValue(seq), tsMs };
}

/** Not an integer, varied exponent: a codec that loses bits shows up as a mismatch. */
export function metricValue(seq: number): number {
  return seq * 1.25 + 0.1 + (seq % 7) * 1e-9;
}

export function logEntry(seq: number, tsMs: number, phase: string): LogInput {
  return {
    tsMs,
    level: LEVELS[seq % LEVELS.length],
    message: `soak entry ${seq} user=${(seq * 7919) % 1000} path=/api/items/${seq % 97} took ${(seq % 500) + 1}ms`,
    attributes: { seq: String(seq), phase, route: `/api/items/${seq % 97}` },
  };
}

export function spanId(seq: number): string {
  return (seq + 1).toString(16).padStart(16, '0');
}

/** Ten spans share a trace, so trace ids repeat and the span id is what identifies a span. */
export function traceIdOf(seq: number, runId: string): string {
  return (runId + Math.floor(seq / 10).toString(16).padStart(24, '0')).slice(0, 32);
}

export function spanStartNs(seq: number, tsMs: number): bigint {
  return BigInt(tsMs) * 1_000_000n + BigInt(seq % 1000);
}

export function spanInput(seq: number, tsMs: number, phase: string, runId: string): SpanInput & { startNs: string; endNs: string } {
  const startNs = spanStartNs(seq, tsMs);
  return {
    traceId: traceIdOf(seq, runId),
    spanId: spanId(seq),
    name: `soak-op-${seq % 5}`,
    kind: KINDS[seq % KINDS.length],
    startNs: String(startNs),
    endNs: String(startNs + BigInt(((seq * 104_729) % 900_000_000) + 1000)),
    status: { code: seq % 10 === 0 ? 'error' : 'ok' },
    attributes: { seq: String(seq), phase, 'http.route': `/api/items/${seq % 97}` },
  };
}
