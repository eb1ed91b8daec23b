// `npm run bench` entry: runs the selected suites (or `--metrics-csv` mode), prints progress on
// stderr, a summary table on stdout and, with --json, one JSON object as the last stdout line.
import os from 'node:os';
import { parseArgs, USAGE, type BenchArgs } from './lib/args.js';
import { defaultDataRoot } from './lib/data.js';
import { UserError, errorText } from './lib/errors.js';
import { measureMetricsCsv, metricsCsvRows } from './lib/metrics-csv.js';
import { formatTable, type Suite, type SummaryRow } from './lib/report.js';
import { SUITES } from './suites/index.js';
import { checkLogsFiles } from './suites/logs-files.js';

/** Suites DESIGN.md §8 names that later issues add; asking for one early gets a clear message. */
const PLANNED = ['metrics', 'logs', 'traces', 'ingest', 'query'];

const t0 = performance.now();
function progress(message: string): void {
  const s = ((performance.now() - t0) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[${s}s] ${message}\n`);
}

function meta(args: BenchArgs) {
  return {
    node: process.version,
    cpus: os.availableParallelism(),
    quick: args.quick,
    startedAt: new Date(Date.now() - (performance.now() - t0)).toISOString(),
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}

/** Resolves `codec` / `codec.nab` selectors to suites and their selected parts. */
function selectSuites(selectors: readonly string[]): Array<{ suite: Suite; parts: Set<string> | null }> {
  if (selectors.length === 0) return SUITES.map((suite) => ({ suite, parts: null }));
  const chosen = new Map<Suite, Set<string> | null>();
  for (const sel of selectors) {
    const [name, part] = sel.split('.', 2);
    const suite = SUITES.find((s) => s.name === name);
    if (!suite) {
      const available = SUITES.map((s) => s.name).join(', ');
      if (PLANNED.includes(name)) throw new UserError(`suite "${name}" does not exist yet (available: ${available})`);
      throw new UserError(`unknown suite "${name}" (available: ${available})`);
    }
    if (part !== undefined && !suite.parts.includes(part)) {
      throw new UserError(`suite "${name}" has no part "${part}" (parts: ${suite.parts.join(', ')})`);
    }
    const prev = chosen.get(suite);
    if (part === undefined || prev === null) chosen.set(suite, null);
    else chosen.set(suite, new Set([...(prev ?? []), part]));
  }
  return [...chosen].map(([suite, parts]) => ({ suite, parts }));
}

async function main(args: BenchArgs): Promise<number> {
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (args.metricsCsv) {
    const report = measureMetricsCsv(args.metricsCsv, progress);
    process.stdout.write(formatTable(metricsCsvRows(report)) + '\n');
    if (args.json) process.stdout.write(JSON.stringify({ ...report, meta: meta(args) }) + '\n');
    return 0;
  }
  const selected = selectSuites(args.selectors);
  // An unreadable --logs-file is the user's mistake: one error line, before minutes of other work.
  if (args.logsFiles) checkLogsFiles(args.logsFiles);
  const dataRoot = args.dataRoot ?? defaultDataRoot();
  const json: Record<string, unknown> = {};
  const rows: SummaryRow[] = [];
  const failures: string[] = [];
  for (const { suite, parts } of selected) {
    progress(`suite ${suite.name}${parts ? ` (${[...parts].join(', ')})` : ''}`);
    const out = await suite.run({ dataRoot, parts, quick: args.quick, progress, ...(args.logsFiles ? { logsFiles: args.logsFiles } : {}) });
    json[suite.name] = out.json;
    rows.push(...out.rows);
    failures.push(...out.failures);
  }
  process.stdout.write('\n' + formatTable(rows) + '\n');
  if (args.quick) process.stdout.write('(--quick: smaller workloads; numbers are not comparable to the targets)\n');
  for (const f of failures) process.stderr.write(`FAILED: ${f}\n`);
  if (args.json) process.stdout.write(JSON.stringify({ ...json, failures, meta: meta(args) }) + '\n');
  return failures.length ? 1 : 0;
}

let debug = process.argv.includes('--debug');
try {
  const args = parseArgs(process.argv.slice(2));
  debug = args.debug;
  process.exitCode = await main(args);
} catch (err) {
  if (err instanceof UserError) {
    process.stderr.write(`error: ${err.message}\n`);
  } else {
    const message = errorText(err);
    process.stderr.write(`error: the bench failed: ${message}${debug ? '' : ' (run with --debug for the stack trace)'}\n`);
    if (debug && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  }
  process.exitCode = 1;
}
