// The `fuzz` suite, part `parsers`: >= 1,000,000 seeded mutated inputs per HTTP ingest parser (OTLP
// protobuf/JSON for traces, logs and metrics, remote write with and without snappy, Prometheus text
// and OpenMetrics, VictoriaMetrics import, VictoriaLogs jsonline) and the PromQL parser. The oracle:
// a sane result or the route's typed error (a 4xx); any other exception (a 500), an inconsistent
// result, a case slower than 1 s or a hang is a failure printed with its seed, case and input.
// The codec decoders' fuzz run stays `codec.fuzz`; test/parser-fuzz.test.ts is the seeded CI subset.
import os from 'node:os';
import { runParts } from '../lib/parts.js';
import type { Suite, SuiteContext, SuiteOutput } from '../lib/report.js';
import { buildParserCorpora } from '../lib/parser-fuzz-seeds.js';
import { mergeParserFuzzReports } from '../lib/parser-fuzz-run.js';
import { runParserFuzzSharded } from '../lib/parser-fuzz-shards.js';

const SEED = 20261127;
const SLOW_MS = 1000;
/** A case without progress this long is a hang (slow-but-finished cases are caught at SLOW_MS). */
const HANG_MS = 10_000;

export async function runParserFuzzPart(ctx: SuiteContext): Promise<SuiteOutput> {
  const casesPerTarget = ctx.quick ? 20_000 : 1_000_000;
  const corpora = await buildParserCorpora();
  const names = Object.keys(corpora);
  const total = casesPerTarget * names.length;
  const shards = Math.max(1, Math.min(4, os.availableParallelism()));
  ctx.progress(`fuzz.parsers: ${names.length} parsers, ${Object.values(corpora).reduce((n, c) => n + c.length, 0)} seeds; ${casesPerTarget.toLocaleString('en-US')} cases each in ${shards} worker threads`);
  const t0 = performance.now();
  let nextReport = 1_000_000;
  const { reports, crashes } = await runParserFuzzSharded({
    seed: SEED,
    casesPerTarget,
    shards,
    slowMs: SLOW_MS,
    hangMs: HANG_MS,
    corpora,
    progress: (done) => {
      if (done >= nextReport) {
        ctx.progress(`fuzz.parsers: ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} cases`);
        nextReport += 1_000_000;
      }
    },
  });
  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  const report = mergeParserFuzzReports(reports);
  const failures = report.failures.map(
    (f) => `fuzz.parsers.${f.target}: ${f.count} case(s) ${f.error} [seed ${f.seed} case ${f.caseIndex}, ${f.mutations.join('+')}, ${f.inputBytes} bytes] at ${f.stack.split('\n')[0] ?? '?'}; input ${f.inputHex}${f.inputBytes > f.inputHex.length / 2 ? '…' : ''}`,
  );
  failures.push(...crashes.map((c) => `fuzz.parsers: ${c}`));
  const perTarget = Object.fromEntries(
    Object.entries(report.perTarget).map(([name, c]) => [name, { ...c, maxCaseMs: Math.round(c.maxCaseMs * 10) / 10 }]),
  );
  const totalFailures = Object.values(report.perTarget).reduce((n, c) => n + c.failures, 0) + crashes.length;
  const minCases = Math.min(...Object.values(report.perTarget).map((c) => c.cases));
  return {
    json: { seed: SEED, shards, casesPerTarget, seconds, slowMs: SLOW_MS, hangMs: HANG_MS, seeds: Object.fromEntries(Object.entries(corpora).map(([k, v]) => [k, v.length])), ...perTarget, failureList: report.failures, crashes },
    failures,
    rows: [
      {
        key: 'fuzz.parsers.failures',
        label: 'parser fuzz: crashes, hangs, slow cases',
        value: totalFailures,
        unit: '',
        target: { op: '<=', value: 0 },
        note: `${names.length} parsers x ${minCases.toLocaleString('en-US')}+ cases in ${seconds} s`,
      },
      ...Object.entries(report.perTarget).map(([name, c]) => ({
        key: `fuzz.parsers.${name}.failures`,
        label: `  ${name}`,
        value: c.failures,
        unit: '',
        target: { op: '<=' as const, value: 0 },
        note: `${c.cases.toLocaleString('en-US')} cases: ${c.typedErrors.toLocaleString('en-US')} typed errors, ${c.parsed.toLocaleString('en-US')} parsed, max ${Math.round(c.maxCaseMs)} ms`,
      })),
    ],
  };
}

export const fuzzSuite: Suite = {
  name: 'fuzz',
  parts: ['parsers'],
  run: (ctx) => runParts('fuzz', { parsers: runParserFuzzPart }, ctx),
};
