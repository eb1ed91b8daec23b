// The `logs` suite (issue #4): compression ratio on the synthetic "Node web app" logs against peers,
// sustained ingest, query latency checked against an oracle, and the ratio on the user's own files
// (`--logs-file`). One part per file; a part that throws is reported and the others run.
import { runParts, type Part } from '../lib/parts.js';
import type { Suite } from '../lib/report.js';
import { runLogsFiles } from './logs-files.js';
import { runLogsIngest } from './logs-ingest.js';
import { runLogsQuery } from './logs-query.js';
import { runLogsSynthetic } from './logs-synthetic.js';

// synthetic first: query reopens its data directory instead of building the dataset again.
const PARTS: Record<string, Part> = {
  synthetic: runLogsSynthetic,
  query: runLogsQuery,
  ingest: runLogsIngest,
  files: runLogsFiles,
};

export const logsSuite: Suite = {
  name: 'logs',
  parts: Object.keys(PARTS),
  run: async (ctx) => {
    const out = await runParts('logs', PARTS, ctx);
    // The files part reports logs.files[] and logs.medianRatio (not logs.files.files[]).
    const files = out.json.files as { files?: unknown; medianRatio?: number } | undefined;
    if (files?.files) {
      out.json.files = files.files;
      out.json.medianRatio = files.medianRatio;
    }
    return out;
  },
};
