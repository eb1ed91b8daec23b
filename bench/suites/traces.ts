// The `traces` suite (issue #5): compression ratio of the synthetic "microservice shop" traces
// against OTLP/JSON and its peers, sustained ingest, and query latency checked against an oracle.
// One part per file; a part that throws is reported and the others run.
import { runParts, type Part } from '../lib/parts.js';
import type { Suite } from '../lib/report.js';
import { runTracesIngest } from './traces-ingest.js';
import { runTracesQuery } from './traces-query.js';
import { runTracesSynthetic } from './traces-synthetic.js';

// synthetic first: query reopens its data directory instead of building the dataset again.
const PARTS: Record<string, Part> = {
  synthetic: runTracesSynthetic,
  query: runTracesQuery,
  ingest: runTracesIngest,
};

export const tracesSuite: Suite = {
  name: 'traces',
  parts: Object.keys(PARTS),
  run: (ctx) => runParts('traces', PARTS, ctx),
};
