// The `overhead` suite (issue #8): what full instrumentation (Timeless.open with defaults + the Hono
// middleware: histogram for every request, server spans through the sampler) costs a Hono hello-world's throughput, measured
// from a loopback client. Variants alternate none/full/none/full... (fresh processes each run) so
// drift on a shared machine lands on both alike; medians of the runs are reported. Correctness:
// every answer's body is checked, the full server's stored histogram must count every request it
// answered, and it must have stored spans (at most one per request). Method and keys: bench/README.md.
import { OVERHEAD_VARIANTS, type OverheadVariant, type ServerVariant } from '../lib/overhead-app.js';
import { runOverheadOnce, type OverheadRun } from '../lib/overhead-run.js';
import type { Suite, SuiteContext, SuiteOutput, SummaryRow } from '../lib/report.js';
import { median, round } from '../lib/stats.js';

export const OVERHEAD_TARGET_LOSS_PCT = 10;

/** The steps between none and full, one run each after the rounds (not with --quick): where the cost goes. */
const BREAKDOWN: readonly ServerVariant[] = ['passthrough', 'store', 'nospans', 'allspans'];

interface Plan {
  rounds: number;
  breakdown: boolean;
  connections: number;
  warmupMs: number;
  durationMs: number;
}

const plan = (quick: boolean): Plan => (quick ? { rounds: 2, breakdown: false, connections: 4, warmupMs: 300, durationMs: 700 } : { rounds: 5, breakdown: true, connections: 8, warmupMs: 1_500, durationMs: 5_000 });

function summarize(runs: OverheadRun[]) {
  return {
    medianReqPerSec: round(median(runs.map((r) => r.reqPerSec)), 0),
    medianP50Ms: round(median(runs.map((r) => r.p50Ms))),
    medianP99Ms: round(median(runs.map((r) => r.p99Ms))),
    medianServerCpuUsPerRequest: round(median(runs.map((r) => r.serverCpuUsPerRequest)), 1),
    medianServerMainCpuUsPerRequest: round(median(runs.map((r) => r.serverMainCpuUsPerRequest)), 1),
    requestsAnswered: runs.reduce((n, r) => n + r.answered, 0),
    badAnswers: runs.reduce((n, r) => n + r.badAnswers, 0),
    runs: runs.map((r) => ({
      reqPerSec: round(r.reqPerSec, 0),
      requests: r.requests,
      answered: r.answered,
      p50Ms: round(r.p50Ms),
      p99Ms: round(r.p99Ms),
      serverCpuUsPerRequest: round(r.serverCpuUsPerRequest, 1),
      serverMainCpuUsPerRequest: round(r.serverMainCpuUsPerRequest, 1),
      ...(r.spansStored !== null ? { spansStored: r.spansStored, requestsCounted: r.requestsCounted } : {}),
    })),
  };
}

async function run(ctx: SuiteContext): Promise<SuiteOutput> {
  const p = plan(ctx.quick);
  const runs: Record<OverheadVariant, OverheadRun[]> = { none: [], full: [] };
  const failures: string[] = [];
  for (let round_ = 0; round_ < p.rounds; round_++) {
    for (const variant of OVERHEAD_VARIANTS) {
      const r = await runOverheadOnce(variant, { connections: p.connections, warmupMs: p.warmupMs, durationMs: p.durationMs });
      ctx.progress(`overhead: ${variant} run ${round_ + 1}/${p.rounds}: ${Math.round(r.reqPerSec)} req/s, p99 ${r.p99Ms.toFixed(2)} ms, ${r.serverCpuUsPerRequest.toFixed(1)} µs CPU/request (${r.serverMainCpuUsPerRequest.toFixed(1)} main thread)`);
      runs[variant].push(r);
      if (r.badAnswers > 0) failures.push(`overhead: ${variant} server gave ${r.badAnswers} wrong answers (${r.problem})`);
      if (r.requests === 0) failures.push(`overhead: ${variant} server answered no request inside the window`);
      if (variant === 'full') {
        if (r.requestsCounted !== r.answered) failures.push(`overhead: the full server's histogram counted ${r.requestsCounted} requests for ${r.answered} answered`);
        if (r.spansStored === null || r.spansStored < 1 || r.spansStored > r.answered) failures.push(`overhead: the full server stored ${r.spansStored} spans for ${r.answered} requests answered`);
      }
    }
  }
  const breakdown: Record<string, unknown> = {};
  for (const variant of p.breakdown ? BREAKDOWN : []) {
    const r = await runOverheadOnce(variant, { connections: p.connections, warmupMs: p.warmupMs, durationMs: p.durationMs });
    ctx.progress(`overhead: breakdown ${variant}: ${Math.round(r.reqPerSec)} req/s, ${r.serverCpuUsPerRequest.toFixed(1)} µs CPU/request (${r.serverMainCpuUsPerRequest.toFixed(1)} main thread)`);
    if (r.badAnswers > 0) failures.push(`overhead: ${variant} server gave ${r.badAnswers} wrong answers (${r.problem})`);
    breakdown[variant] = { reqPerSec: round(r.reqPerSec, 0), serverCpuUsPerRequest: round(r.serverCpuUsPerRequest, 1), serverMainCpuUsPerRequest: round(r.serverMainCpuUsPerRequest, 1) };
  }
  const none = summarize(runs.none);
  const full = summarize(runs.full);
  const spansStored = runs.full.reduce((n, r) => n + (r.spansStored ?? 0), 0);
  const throughputLossPct = round((1 - full.medianReqPerSec / none.medianReqPerSec) * 100, 2);
  const cpuOverheadPct = round((full.medianServerCpuUsPerRequest / none.medianServerCpuUsPerRequest - 1) * 100, 1);
  const json = {
    throughputLossPct,
    noneReqPerSec: none.medianReqPerSec,
    fullReqPerSec: full.medianReqPerSec,
    noneP99Ms: none.medianP99Ms,
    fullP99Ms: full.medianP99Ms,
    serverCpuOverheadPct: cpuOverheadPct,
    spansStored,
    requestsAnswered: full.requestsAnswered,
    method: { ...p, order: 'none/full alternating, a fresh server and client process per run' },
    none,
    full: { ...full, spansStored },
    ...(p.breakdown ? { breakdown } : {}),
  };
  const n = `median of ${p.rounds} runs, ${p.connections} keep-alive connections`;
  const rows: SummaryRow[] = [
    { key: 'overhead.throughputLossPct', label: 'overhead: throughput lost to full instrumentation', value: throughputLossPct, unit: '%', target: { op: '<=', value: OVERHEAD_TARGET_LOSS_PCT }, note: `${full.medianReqPerSec} vs ${none.medianReqPerSec} req/s` },
    { key: 'overhead.noneReqPerSec', label: 'overhead: hello-world, no instrumentation', value: none.medianReqPerSec, unit: 'req/s', note: n },
    { key: 'overhead.fullReqPerSec', label: 'overhead: hello-world, full instrumentation', value: full.medianReqPerSec, unit: 'req/s', note: n },
    { key: 'overhead.noneP99Ms', label: 'overhead: p99 latency, no instrumentation', value: none.medianP99Ms, unit: 'ms' },
    { key: 'overhead.fullP99Ms', label: 'overhead: p99 latency, full instrumentation', value: full.medianP99Ms, unit: 'ms' },
    { key: 'overhead.serverCpuOverheadPct', label: 'overhead: server CPU per request, full vs none', value: cpuOverheadPct, unit: '%', note: `${full.medianServerCpuUsPerRequest} vs ${none.medianServerCpuUsPerRequest} µs` },
    { key: 'overhead.spansStored', label: 'overhead: spans stored by the full server', value: spansStored, unit: '', note: `${full.requestsAnswered} requests answered and counted; spans sampled to 100/s` },
  ];
  return { json, rows, failures };
}

export const overheadSuite: Suite = { name: 'overhead', parts: [], run };
