// The `codec` suite: every codec number in one run (DESIGN.md §8), one part per file.
import { runParts, type AnyPart } from '../lib/parts.js';
import type { Suite } from '../lib/report.js';
import { runAlp } from './codec-alp.js';
import { runFuzzPart } from './codec-fuzz.js';
import { runLz } from './codec-lz.js';
import { runNab } from './codec-nab.js';
import { runPool } from './codec-pool.js';
import { runSpeed } from './codec-speed.js';

const PARTS: Record<string, AnyPart> = {
  nab: runNab,
  alp: runAlp,
  speed: runSpeed,
  lz: runLz,
  fuzz: runFuzzPart,
  pool: runPool,
};

export const codecSuite: Suite = {
  name: 'codec',
  parts: Object.keys(PARTS),
  run: (ctx) => runParts('codec', PARTS, ctx),
};
