// Latency of several repeated async calls (queries) measured in interleaved rounds: each round times
// every case once, so slow drift on a shared machine (page cache, a neighbour's job, background
// work) lands on all cases alike instead of on whichever ran last. As bench/lib/timed-runs.ts: a few
// untimed warm-up calls per case first, one event-loop turn between calls. Each call gets its index
// (warm-ups included), so a case can vary its argument (a different trace id per call); its answer
// is handed to `check` after the clock stops, so checking every answer costs no measured time.
// A case leaves the rounds after its `runs` calls, or once its timed calls add up to `budgetMs`
// (at least MIN_RUNS): a slow query must not stretch the bench to many minutes.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { percentile } from './percentile.js';
import { WARM_UP_RUNS } from './timed-runs.js';

/** Timed calls a case gets even past its budget: a p50 of fewer says little. */
export const MIN_RUNS = 10;

// Methods, not function properties: a TimedCase<TraceResult> is then usable as a TimedCase<unknown>.
export interface TimedCase<T = unknown> {
  /** Timed calls wanted. */
  runs: number;
  /** Stop after this much timed time (ms) once MIN_RUNS calls are done; default no limit. */
  budgetMs?: number;
  call(index: number): Promise<T>;
  /** A problem with this answer, or null. */
  check?(answer: T, index: number): string | null;
}

export interface CaseTimings {
  /** Timed calls made. */
  runs: number;
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  minMs: number;
  maxMs: number;
  /** Calls whose answer failed its check (warm-ups included). */
  badAnswers: number;
  /** The first failed check, if any. */
  problem: string | null;
}

export async function timeInterleaved(cases: readonly TimedCase[]): Promise<CaseTimings[]> {
  const ms: number[][] = cases.map(() => []);
  const spentMs = cases.map(() => 0);
  const bad = cases.map(() => 0);
  const problems: Array<string | null> = cases.map(() => null);
  const checked = (c: number, answer: unknown, index: number) => {
    const problem = cases[c].check?.(answer, index) ?? null;
    if (problem === null) return;
    bad[c]++;
    problems[c] ??= `call ${index}: ${problem}`;
  };
  const wantsMore = (c: number) => {
    const n = ms[c].length;
    if (n >= cases[c].runs) return false;
    return n < MIN_RUNS || spentMs[c] < (cases[c].budgetMs ?? Infinity);
  };
  for (let i = 0; i < WARM_UP_RUNS; i++) {
    for (let c = 0; c < cases.length; c++) checked(c, await cases[c].call(i), i);
  }
  while (cases.some((_, c) => wantsMore(c))) {
    for (let c = 0; c < cases.length; c++) {
      if (!wantsMore(c)) continue;
      const index = WARM_UP_RUNS + ms[c].length;
      const t0 = performance.now();
      const answer = await cases[c].call(index);
      const elapsed = performance.now() - t0;
      ms[c].push(elapsed);
      spentMs[c] += elapsed;
      checked(c, answer, index);
      await nextTurn();
    }
  }
  return ms.map((xs, c) => ({
    runs: xs.length,
    p50Ms: percentile(xs, 50),
    p90Ms: percentile(xs, 90),
    p95Ms: percentile(xs, 95),
    minMs: Math.min(...xs),
    maxMs: Math.max(...xs),
    badAnswers: bad[c],
    problem: problems[c],
  }));
}
