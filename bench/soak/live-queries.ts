// Queries while the soak runs: every few seconds, each signal over its HTTP query route for a recent
// window, checked against the oracle: every item acknowledged before the query was sent and stamped
// inside the window must be in the answer, once.
import { METRIC_NAME, SIGNALS, type Signal } from './items.js';
import type { Oracle } from './oracle.js';
import { call } from './http.js';

export interface QueryCounters {
  checks: number;
  /** Acknowledged items a live query did not return. */
  misses: number;
  /** Items a live query returned twice. */
  duplicates: number;
  /** Queries that failed (the kill window): not a data problem, reported for context. */
  errors: number;
  examples: string[];
}

function seqsOf(signal: Signal, body: unknown, oracle: Oracle): number[] {
  if (signal === 'metrics') {
    const out: number[] = [];
    for (const s of body as Array<{ labels: Record<string, string>; tsMs: number[] }>) {
      for (const t of s.tsMs) {
        const seq = oracle.metricSeq(s.labels.phase ?? '', s.labels.s ?? '', t);
        if (seq !== undefined) out.push(seq);
      }
    }
    return out;
  }
  const rows = signal === 'logs' ? (body as { entries: Array<{ attributes: Record<string, unknown> }> }).entries : (body as { spans: Array<{ attributes: Record<string, unknown> }> }).spans;
  return rows.filter((r) => typeof r.attributes.seq === 'string').map((r) => Number(r.attributes.seq));
}

function queryPath(signal: Signal, fromMs: number, toMs: number): string {
  if (signal === 'metrics') return `/api/v1/metrics/query?name=${METRIC_NAME}&from=${fromMs}&to=${toMs}`;
  if (signal === 'logs') return `/api/v1/logs/query?from=${fromMs}&to=${toMs}&limit=10000`;
  return `/api/v1/traces/query?from=${fromMs}&to=${toMs}&limit=10000`;
}

/** One round: the window [now-8 s, now-3 s) of each signal. */
export async function queryRound(url: string, oracle: Oracle, c: QueryCounters): Promise<void> {
  const sentAtMs = Date.now();
  const fromMs = sentAtMs - 8000;
  const toMs = sentAtMs - 3000;
  await Promise.all(
    SIGNALS.map(async (signal) => {
      const expected: number[] = [];
      for (const [seq, s] of oracle.sent[signal]) {
        if (s.phase === 'soak' && s.ackedAtMs !== undefined && s.ackedAtMs < sentAtMs && s.tsMs >= fromMs && s.tsMs < toMs) expected.push(seq);
      }
      let got: number[];
      try {
        const a = await call(url + queryPath(signal, fromMs, toMs), 'GET');
        if (!a.ok) throw new Error(`HTTP ${a.status}`);
        got = seqsOf(signal, a.body, oracle);
      } catch {
        c.errors++;
        return;
      }
      c.checks++;
      const seen = new Set<number>();
      for (const seq of got) {
        if (seen.has(seq)) {
          c.duplicates++;
          if (c.examples.length < 5) c.examples.push(`${signal}: live query returned seq ${seq} twice`);
        }
        seen.add(seq);
      }
      for (const seq of expected) {
        if (!seen.has(seq)) {
          c.misses++;
          if (c.examples.length < 5) c.examples.push(`${signal}: live query [${fromMs}, ${toMs}) missed acknowledged seq ${seq}`);
        }
      }
    }),
  );
}
