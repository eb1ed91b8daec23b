// traces.query: p50 latency of the typical trace look-ups on the synthetic dataset (1 M spans over
// ~a day; 50,000 with --quick), reopened from disk after compactNow() (the one traces.synthetic
// built in this process, else built here). The cases run in interleaved rounds
// (bench/lib/interleaved-runs.ts); trace() gets a different random trace id in every call. Every
// answer is checked against the in-memory oracle filled while the dataset was generated
// (bench/lib/traces-oracle.ts): trace() by span and root counts, the query pages span by span, and
// once before timing the filtered queries are paged to the end against the oracle's full list.
import type { TraceQuery, TraceQueryResult, TraceResult } from '../../src/traces/types.js';
import { Prng } from '../gen/prng.js';
import { timeInterleaved, type TimedCase } from '../lib/interleaved-runs.js';
import { round } from '../lib/stats.js';
import { WARM_UP_RUNS } from '../lib/timed-runs.js';
import { ERRORS_SERVICE, PAGE, SLOW_MS, tracesDataset, type TracesDataset } from '../lib/traces-dataset.js';
import { firstKeyMismatch, type SpanKey } from '../lib/traces-oracle.js';
import { openTracesStore, type TracesBenchStore } from '../lib/traces-store.js';
import type { SuiteContext, SuiteOutput, SummaryRow } from '../lib/report.js';

const HOUR_MS = 3_600_000;
const NS_PER_MS = 1_000_000n;
/** The engine's largest page: the completeness check pages with it. */
const MAX_PAGE = 10_000;
const SEED = 57;
/** Timed calls per case (full run; --quick: a tenth, at least 10), and the time budget of each case. */
const TRACE_RUNS = 200;
const QUERY_RUNS = 100;
const BUDGET_MS = 20_000;

interface QueryCase {
  key: string;
  label: string;
  query: TraceQuery;
  /** The matches in result order: all of them when `complete`, else at least the first page. */
  want: SpanKey[];
  /** How many spans match in the whole dataset. */
  total: number;
  /** The whole match list is known: page to the end once and compare. */
  complete: boolean;
  target?: number;
  note: string;
}

function queryCases(ds: TracesDataset): { cases: QueryCase[]; nowMs: number } {
  const o = ds.oracle;
  // "Now" is the data's: one ms past the newest span start (the dataset ends at about the wall clock).
  const nowMs = Number(ds.lastStartNs / NS_PER_MS) + 1;
  const fromMs = nowMs - HOUR_MS;
  const errors = o.serviceErrors.newestFirst(BigInt(fromMs) * NS_PER_MS, BigInt(nowMs) * NS_PER_MS);
  const slow = o.slow.newestFirst();
  return {
    nowMs,
    cases: [
      { key: 'serviceErrorsLastHourMs', label: `service ${ERRORS_SERVICE}, status error, last hour`, query: { service: ERRORS_SERVICE, status: 'error', fromMs, toMs: nowMs }, want: errors, total: errors.length, complete: true, target: 10, note: 'page of 100' },
      { key: 'newestPageMs', label: 'newest page of 100, no filter', query: { limit: PAGE }, want: o.newest.newestFirst(), total: ds.spans, complete: false, note: '' },
      { key: 'slowSpansMs', label: `duration >= ${SLOW_MS} ms, whole dataset`, query: { minDurationMs: SLOW_MS, limit: PAGE }, want: slow, total: slow.length, complete: true, note: 'page of 100' },
    ],
  };
}

/** Pages the query to its end (largest pages) and compares every span with the oracle's list. */
async function checkComplete(store: TracesBenchStore, c: QueryCase): Promise<string | null> {
  const got: SpanKey[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.traces.query({ ...c.query, limit: MAX_PAGE, ...(cursor ? { cursor } : {}) });
    if (page.skipped.length) return `${page.skipped.length} blocks skipped (${page.skipped[0].code})`;
    got.push(...page.spans);
    cursor = page.cursor;
  } while (cursor !== undefined);
  const mismatch = firstKeyMismatch(got, c.want);
  return mismatch ? `paged to the end, differs from the oracle: ${mismatch}` : null;
}

function pageCase(store: TracesBenchStore, c: QueryCase, runs: number, budgetMs: number): TimedCase<TraceQueryResult> {
  const want = c.want.slice(0, c.query.limit ?? PAGE);
  return {
    runs,
    budgetMs,
    call: () => store.traces.query(c.query),
    check: (page) => (page.skipped.length ? `${page.skipped.length} blocks skipped (${page.skipped[0].code})` : firstKeyMismatch(page.spans, want)),
  };
}

/** `n` distinct trace ids drawn at random from the dataset's. */
function sampleTraceIds(ds: TracesDataset, n: number): string[] {
  const all = ds.oracle.traces.ids();
  const rng = new Prng(SEED);
  const picked = new Set<string>();
  while (picked.size < Math.min(n, all.length)) picked.add(all[rng.int(0, all.length - 1)]);
  return [...picked];
}

function traceCase(store: TracesBenchStore, ds: TracesDataset, ids: string[], budgetMs: number): TimedCase<TraceResult> {
  return {
    runs: ids.length - WARM_UP_RUNS,
    budgetMs,
    call: (i) => store.traces.trace(ids[i]),
    check: (t, i) => {
      const want = ds.oracle.traces.get(ids[i])!;
      if (t.skipped.length) return `${ids[i]}: ${t.skipped.length} blocks skipped (${t.skipped[0].code})`;
      if (t.spans.length !== want.spans) return `${ids[i]}: ${t.spans.length} spans, ${want.spans} were written`;
      if (t.roots.length !== want.roots) return `${ids[i]}: ${t.roots.length} roots, expected ${want.roots}`;
      for (let k = 0; k < t.spans.length; k++) {
        if (t.spans[k].traceId !== ids[i]) return `${ids[i]}: span ${k} belongs to trace ${t.spans[k].traceId}`;
        if (k > 0 && t.spans[k].startNs < t.spans[k - 1].startNs) return `${ids[i]}: spans not in start order at ${k}`;
      }
      return null;
    },
  };
}

export async function runTracesQuery(ctx: SuiteContext): Promise<SuiteOutput> {
  const ds = await tracesDataset(ctx);
  const scale = (n: number) => (ctx.quick ? Math.max(10, n / 10) : n);
  const traceRuns = scale(TRACE_RUNS);
  const queryRuns = scale(QUERY_RUNS);
  const budgetMs = ctx.quick ? BUDGET_MS / 4 : BUDGET_MS;
  const failures: string[] = [];
  const { cases, nowMs } = queryCases(ds);
  // Every call (warm-ups included) looks up a trace id no earlier call asked for.
  const ids = sampleTraceIds(ds, WARM_UP_RUNS + traceRuns);
  if (ids.length < WARM_UP_RUNS + traceRuns) throw new Error(`traces.query: only ${ids.length} traces in the dataset`);
  const store = await openTracesStore(ds.dataDir);
  try {
    for (const c of cases.filter((x) => x.complete)) {
      const problem = await checkComplete(store, c);
      if (problem) failures.push(`traces.query.${c.key}: ${problem}`);
    }
    // Blocks a page reads, from the answer itself (not timed).
    const blocksScanned = await Promise.all(cases.map(async (c) => (await store.traces.query(c.query)).blocksScanned));
    ctx.progress(`traces.query: interleaved rounds of trace(id) (a new random id each, ${traceRuns} runs) and ${cases.length} queries (${queryRuns} runs), ${budgetMs / 1000} s budget each`);
    const timings = await timeInterleaved([traceCase(store, ds, ids, budgetMs), ...cases.map((c) => pageCase(store, c, queryRuns, budgetMs))]);

    const json: Record<string, unknown> = { spans: ds.spans, traces: ds.oracle.traces.size, nowMs, now: new Date(nowMs).toISOString(), errorsService: ERRORS_SERVICE, slowMs: SLOW_MS };
    const rows: SummaryRow[] = [];
    const t = timings[0];
    json.traceByIdMs = round(t.p50Ms, 3);
    json.traceByIdP90Ms = round(t.p90Ms, 3);
    json.traceByIdP95Ms = round(t.p95Ms, 3);
    json.traceByIdMaxMs = round(t.maxMs, 3);
    json.traceByIdRuns = t.runs;
    // The ids actually looked up (warm-ups included): a budget may stop the case early.
    const looked = ids.slice(0, WARM_UP_RUNS + t.runs);
    json.traceByIdTraces = looked.length;
    json.traceByIdMeanSpans = round(looked.reduce((n, id) => n + ds.oracle.traces.get(id)!.spans, 0) / looked.length, 1);
    if (t.problem) failures.push(`traces.query.traceByIdMs: ${t.badAnswers} wrong answers; ${t.problem}`);
    ctx.progress(`traces.query: trace by id: p50 ${json.traceByIdMs} ms, p95 ${json.traceByIdP95Ms} ms (${looked.length} ids, ${json.traceByIdMeanSpans} spans each on average)`);
    rows.push({
      key: 'traces.query.traceByIdMs',
      label: 'traces query: trace(id), random ids (p50)',
      value: json.traceByIdMs as number,
      unit: 'ms',
      target: { op: '<=', value: 2 },
      note: `${t.runs} runs on distinct random ids of ${ds.oracle.traces.size.toLocaleString('en-US')} traces, ${json.traceByIdMeanSpans} spans each; p95 ${json.traceByIdP95Ms} ms`,
    });
    cases.forEach((c, i) => {
      const ct = timings[i + 1];
      const base = c.key.replace(/Ms$/, '');
      json[c.key] = round(ct.p50Ms, 2);
      json[`${base}P90Ms`] = round(ct.p90Ms, 2);
      json[`${base}P95Ms`] = round(ct.p95Ms, 2);
      json[`${base}Runs`] = ct.runs;
      json[`${base}Matches`] = c.total;
      json[`${base}BlocksScanned`] = blocksScanned[i];
      if (ct.problem) failures.push(`traces.query.${c.key}: ${ct.badAnswers} wrong answers; ${ct.problem}`);
      ctx.progress(`traces.query: ${c.label}: p50 ${json[c.key]} ms, p95 ${json[`${base}P95Ms`]} ms, ${c.total} matches, ${blocksScanned[i]} blocks scanned`);
      rows.push({
        key: `traces.query.${c.key}`,
        label: `traces query: ${c.label} (p50)`,
        value: json[c.key] as number,
        unit: 'ms',
        ...(c.target !== undefined ? { target: { op: '<=' as const, value: c.target } } : {}),
        note: `${c.total.toLocaleString('en-US')} matches, ${blocksScanned[i]} blocks read, ${ct.runs} runs, p95 ${json[`${base}P95Ms`]} ms${c.note ? `; ${c.note}` : ''}`,
      });
    });
    return { json, rows, failures };
  } finally {
    await store.close();
  }
}
