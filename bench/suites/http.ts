// The `http` suite (issue #6): the HTTP server measured from a loopback client, the server in a
// child process (bench/lib/http-server-child.ts) so its memory and CPU are its own. One part per
// file; a part that throws is reported and the others run.
// The headline numbers are also stored flat under the suite (`http.remoteWritePointsPerSec`, ...):
// every summary row's key is where its value sits in the JSON, next to the part's details.
import { runParts, type Part } from '../lib/parts.js';
import type { Suite, SuiteContext, SuiteOutput } from '../lib/report.js';
import { runHttpBackupDownload } from './http-backup-download.js';
import { runHttpOtlpLogs, runHttpOtlpTraces, runHttpRemoteWrite, runHttpVmImport } from './http-ingest.js';

const PARTS: Record<string, Part> = {
  backupDownload: runHttpBackupDownload,
  remoteWrite: runHttpRemoteWrite,
  vmImport: runHttpVmImport,
  otlpTraces: runHttpOtlpTraces,
  otlpLogs: runHttpOtlpLogs,
};

async function run(ctx: SuiteContext): Promise<SuiteOutput> {
  const out = await runParts('http', PARTS, ctx);
  const flat: Record<string, unknown> = {};
  for (const row of out.rows) if (row.key.startsWith('http.')) flat[row.key.slice('http.'.length)] = row.value;
  return { ...out, json: { ...flat, ...out.json } };
}

export const httpSuite: Suite = {
  name: 'http',
  parts: Object.keys(PARTS),
  run,
};
