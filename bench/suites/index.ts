// Suite registry: adding a suite is one file in bench/suites/ and one line here.
import type { Suite } from '../lib/report.js';
import { codecSuite } from './codec.js';
import { dashboardSuite } from './dashboard.js';
import { httpSuite } from './http.js';
import { ingestSuite } from './ingest.js';
import { logsSuite } from './logs.js';
import { metricsSuite } from './metrics.js';
import { overheadSuite } from './overhead.js';
import { fuzzSuite } from './parser-fuzz.js';
import { querySuite } from './query.js';
import { tracesSuite } from './traces.js';

export const SUITES: readonly Suite[] = [codecSuite, metricsSuite, ingestSuite, querySuite, logsSuite, tracesSuite, httpSuite, dashboardSuite, overheadSuite, fuzzSuite];
