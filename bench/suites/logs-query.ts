// logs.query: p50 latency of the typical log searches on the synthetic dataset, reopened from disk
// (the one logs.synthetic built in this process, else built here). Every answer is checked once
// against the in-memory oracle filled while the dataset was generated (bench/lib/logs-oracle.ts):
// the page entry by entry, and count() against the oracle's total.
import type { LogInput, LogQuery } from '../../src/logs/types.js';
import { ABSENT_NEEDLE, logsDataset, PAGE, QUERY_ROUTE, SUBSTRING_NEEDLE, type LogsDataset } from '../lib/logs-dataset.js';
import { firstMismatch } from '../lib/logs-oracle.js';
import { openLogsStore, type LogsBenchStore } from '../lib/logs-store.js';
import { round } from '../lib/stats.js';
import { timeRuns } from '../lib/timed-runs.js';
import type { SuiteContext, SuiteOutput, SummaryRow } from '../lib/report.js';

const HOUR_NS = 3_600_000_000_000n;

interface Case {
  key: string;
  label: string;
  query: LogQuery;
  want: LogInput[];
  total: number;
  target?: number;
  note: string;
}

function cases(ds: LogsDataset): Case[] {
  const o = ds.oracle;
  const toNs = ds.lastNs + 1n;
  const fromNs = toNs - HOUR_NS;
  const lastHourErrors = o.errors.newestFirst().filter((e) => (e.tsNs as bigint) >= fromNs && (e.tsNs as bigint) < toNs);
  return [
    { key: 'lastHourErrorsMs', label: 'last hour, minLevel error', query: { minLevel: 'error', fromNs, toNs, limit: PAGE }, want: lastHourErrors.slice(0, PAGE), total: lastHourErrors.length, target: 5, note: 'error + fatal' },
    { key: 'attributeEqMs', label: `attribute http.route = ${QUERY_ROUTE}`, query: { attributes: { 'http.route': QUERY_ROUTE }, limit: PAGE }, want: o.route.newestFirst(), total: o.route.total, target: 10, note: 'whole dataset' },
    { key: 'attributeEqRareMs', label: 'attribute user.id = one user', query: { attributes: { 'user.id': o.userId }, limit: PAGE }, want: o.user.newestFirst(), total: o.user.total, note: `user ${o.userId}` },
    { key: 'substringAllMs', label: `search "${SUBSTRING_NEEDLE}"`, query: { search: SUBSTRING_NEEDLE, limit: PAGE }, want: o.substring.newestFirst(), total: o.substring.total, target: 300, note: 'whole dataset' },
    { key: 'substringAbsentMs', label: 'search an absent word', query: { search: ABSENT_NEEDLE, limit: PAGE }, want: o.absent.newestFirst(), total: o.absent.total, note: 'no match: every block ruled out or scanned' },
    { key: 'newestPageMs', label: 'newest page, no filter', query: { limit: PAGE }, want: o.newest.newestFirst(), total: ds.entries, target: 5, note: '' },
  ];
}

/** The page and count() checked against the oracle; a failure message or null. */
async function check(store: LogsBenchStore, c: Case): Promise<{ problem: string | null; blocksScanned: number; returned: number }> {
  const page = await store.logs.query(c.query);
  if (page.skipped.length) return { problem: `${page.skipped.length} blocks skipped (${page.skipped[0].code})`, blocksScanned: page.blocksScanned, returned: page.entries.length };
  const mismatch = firstMismatch(page.entries, c.want);
  if (mismatch) return { problem: `page differs from the oracle: ${mismatch}`, blocksScanned: page.blocksScanned, returned: page.entries.length };
  const { limit: _limit, ...filter } = c.query;
  const count = await store.logs.count(filter);
  if (count.total !== c.total) return { problem: `count() ${count.total}, oracle ${c.total}`, blocksScanned: page.blocksScanned, returned: page.entries.length };
  return { problem: null, blocksScanned: page.blocksScanned, returned: page.entries.length };
}

export async function runLogsQuery(ctx: SuiteContext): Promise<SuiteOutput> {
  const ds = await logsDataset(ctx);
  const runs = ctx.quick ? 5 : 20;
  const failures: string[] = [];
  if (ds.oracle.absent.total !== 0) failures.push(`logs.query: "${ABSENT_NEEDLE}" appears in ${ds.oracle.absent.total} generated messages; pick another absent word`);
  const store = await openLogsStore(ds.dataDir);
  try {
    const json: Record<string, unknown> = { runs, entries: ds.entries, userId: ds.oracle.userId };
    const rows: SummaryRow[] = [];
    for (const c of cases(ds)) {
      const checked = await check(store, c);
      if (checked.problem) failures.push(`logs.query.${c.key}: ${checked.problem}`);
      const t = await timeRuns(runs, () => store.logs.query(c.query));
      const base = c.key.replace(/Ms$/, '');
      json[c.key] = round(t.p50Ms, 2);
      json[`${base}P90Ms`] = round(t.p90Ms, 2);
      json[`${base}Matches`] = c.total;
      json[`${base}BlocksScanned`] = checked.blocksScanned;
      ctx.progress(`logs.query: ${c.label}: p50 ${json[c.key]} ms, ${checked.returned} returned of ${c.total}, ${checked.blocksScanned} blocks scanned`);
      rows.push({
        key: `logs.query.${c.key}`,
        label: `logs query: ${c.label} (p50)`,
        value: json[c.key] as number,
        unit: 'ms',
        ...(c.target !== undefined ? { target: { op: '<=' as const, value: c.target } } : {}),
        note: `${c.total.toLocaleString('en-US')} matches, ${checked.blocksScanned} blocks read, p90 ${json[`${base}P90Ms`]} ms${c.note ? `; ${c.note}` : ''}`,
      });
    }
    return { json, rows, failures };
  } finally {
    await store.close();
  }
}
