// What a suite hands back to the runner, and how the runner prints it. Suites never print to
// stdout themselves: progress goes to stderr, numbers come back as JSON + summary rows.

export interface Target {
  op: '<=' | '>=';
  value: number;
}

export interface SummaryRow {
  /** The JSON key this number is stored under, e.g. `codec.nab.medianDataBytesPerPoint`. */
  key: string;
  label: string;
  value: number;
  unit: string;
  target?: Target;
  /** Short context printed beside the number (peers, sizes). */
  note?: string;
}

export interface SuiteOutput {
  /** Nested report object for this suite (stored under the suite's name in --json). */
  json: Record<string, unknown>;
  rows: SummaryRow[];
  /** Correctness failures (round-trip mismatch, untyped decoder error): any one makes exit code 1. */
  failures: string[];
}

export interface SuiteContext {
  /** Root of the shared real data (`<packageRoot>/../shared/data`). */
  dataRoot: string;
  /** Parts to run (e.g. `nab`), or null for all of them. */
  parts: ReadonlySet<string> | null;
  /** Smaller workloads for a fast smoke run (numbers are then not comparable to targets). */
  quick: boolean;
  /** `--logs-file` arguments (the logs suite's `files` part). */
  logsFiles?: readonly string[];
  progress(message: string): void;
}

export interface Suite {
  name: string;
  /** Sub-benchmarks selectable as `<suite>.<part>` on the command line. */
  parts: readonly string[];
  run(ctx: SuiteContext): Promise<SuiteOutput>;
}

export function meets(row: SummaryRow): boolean | undefined {
  if (!row.target || !Number.isFinite(row.value)) return row.target ? false : undefined;
  return row.target.op === '<=' ? row.value <= row.target.value : row.value >= row.target.value;
}

export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x)) return x.toLocaleString('en-US');
  const abs = Math.abs(x);
  return x.toFixed(abs >= 100 ? 1 : abs >= 1 ? 2 : 3);
}

/** Plain-text table: metric, value, target, verdict, note. */
export function formatTable(rows: readonly SummaryRow[]): string {
  const cells = rows.map((r) => {
    const ok = meets(r);
    return [
      r.label,
      `${formatNumber(r.value)} ${r.unit}`.trim(),
      r.target ? `${r.target.op} ${formatNumber(r.target.value)}` : '',
      ok === undefined ? '' : ok ? 'ok' : 'MISS',
      r.note ?? '',
    ];
  });
  const header = ['metric', 'value', 'target', '', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((s, i) => (i === 1 ? s.padStart(widths[i]) : s.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
