// Suite registry: adding a suite is one file in bench/suites/ and one line here.
import type { Suite } from '../lib/report.js';
import { codecSuite } from './codec.js';

export const SUITES: readonly Suite[] = [codecSuite];
