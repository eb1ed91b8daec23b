// The `metrics` suite (issue #3): bytes on the standard workload and on NAB, query latency, sustained
// ingest, memory per active series. One part per file; a part that throws is reported and the others
// run. `ingest` and `query` are also suites of their own (same code, run once per process).
import { runParts, type Part } from '../lib/parts.js';
import type { Suite } from '../lib/report.js';
import { ingestPart } from './ingest.js';
import { runMetricsMemory } from './metrics-memory.js';
import { runMetricsNab } from './metrics-nab.js';
import { runMetricsStandard, runMetricsStandardNs } from './metrics-standard.js';
import { queryPart } from './query.js';

// standard first: query reuses its data directory instead of building the dataset again.
const PARTS: Record<string, Part> = {
  standard: runMetricsStandard,
  standardNs: runMetricsStandardNs,
  nab: runMetricsNab,
  query: queryPart,
  ingest: ingestPart,
  memory: runMetricsMemory,
};

export const metricsSuite: Suite = {
  name: 'metrics',
  parts: Object.keys(PARTS),
  run: (ctx) => runParts('metrics', PARTS, ctx),
};
