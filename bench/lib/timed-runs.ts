// Latency of a repeated async call (a query), as the query suites report it: a few untimed warm-up
// calls (JIT, page cache, pool threads), then `runs` sequential timed calls with one event-loop turn
// between them so background work (seals, checkpoints) runs outside the timed span.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { percentile } from './percentile.js';

export const WARM_UP_RUNS = 3;

export interface TimedRuns {
  p50Ms: number;
  p90Ms: number;
  minMs: number;
}

export async function timeRuns(runs: number, call: () => Promise<unknown>): Promise<TimedRuns> {
  for (let i = 0; i < WARM_UP_RUNS; i++) await call();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await call();
    ms.push(performance.now() - t0);
    await nextTurn();
  }
  return { p50Ms: percentile(ms, 50), p90Ms: percentile(ms, 90), minMs: Math.min(...ms) };
}
