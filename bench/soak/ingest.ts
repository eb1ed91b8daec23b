// One signal's ingest loop: a batch every tick over the native write route, recorded in the oracle
// first (sent), then acknowledged only on a 2xx that accepted the whole batch.
import { setTimeout as sleep } from 'node:timers/promises';
import { logEntry, metricPoint, spanInput, type Signal } from './items.js';
import type { Oracle, Phase } from './oracle.js';
import { call } from './http.js';

const ROUTES: Record<Signal, { path: string; key: string }> = {
  metrics: { path: '/api/v1/metrics/write', key: 'points' },
  logs: { path: '/api/v1/logs/write', key: 'entries' },
  spans: { path: '/api/v1/traces/write', key: 'spans' },
};

export interface IngestCounters {
  requests: number;
  failed: number;
  /** 2xx answers that still rejected items (never expected: the soak sends valid items). */
  partial: number;
}

/** Sends one batch; true when acknowledged. */
export async function sendBatch(url: string, oracle: Oracle, signal: Signal, count: number, tsMs: number | ((i: number) => number), phase: Phase, c: IngestCounters): Promise<boolean> {
  const seqs = oracle.issue(signal, count, tsMs, phase);
  const items = seqs.map((seq) => {
    const t = oracle.sent[signal].get(seq)!.tsMs;
    if (signal === 'metrics') return metricPoint(seq, t, phase);
    if (signal === 'logs') return logEntry(seq, t, phase);
    return spanInput(seq, t, phase, oracle.runId);
  });
  c.requests++;
  try {
    const a = await call(url + ROUTES[signal].path, 'POST', { [ROUTES[signal].key]: items });
    const rejected = (a.body as { rejected?: number } | undefined)?.rejected ?? 0;
    if (a.ok && rejected === 0) {
      oracle.ack(signal, seqs, Date.now());
      return true;
    }
    if (a.ok) c.partial++;
    else c.failed++;
  } catch {
    c.failed++; // connection refused or reset: the kill, or the restart not listening yet
  }
  return false;
}

/**
 * Runs until `stop()` says so: a batch every `tickMs`. Metric points of one batch share a timestamp
 * (one point per series), strictly increasing across batches, so a point is identified by (series, tsMs).
 */
export async function ingestLoop(signal: Signal, batch: number, tickMs: number, url: () => string, oracle: Oracle, c: IngestCounters, stop: () => boolean): Promise<void> {
  let lastTsMs = 0;
  while (!stop()) {
    const t0 = Date.now();
    const tsMs = Math.max(lastTsMs + 1, t0);
    lastTsMs = tsMs;
    await sendBatch(url(), oracle, signal, batch, tsMs, 'soak', c);
    const waitMs = tickMs - (Date.now() - t0);
    if (waitMs > 0) await sleep(waitMs);
  }
}
