// The `codec` suite: every codec number in one run (DESIGN.md §8), one part per file.
import type { Suite, SuiteContext, SuiteOutput } from '../lib/report.js';
import { runAlp } from './codec-alp.js';
import { runFuzzPart } from './codec-fuzz.js';
import { runLz } from './codec-lz.js';
import { runNab } from './codec-nab.js';
import { runPool } from './codec-pool.js';
import { runSpeed } from './codec-speed.js';

const PARTS: Record<string, (ctx: SuiteContext) => SuiteOutput | Promise<SuiteOutput>> = {
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
  async run(ctx) {
    const out: SuiteOutput = { json: {}, rows: [], failures: [] };
    for (const [name, run] of Object.entries(PARTS)) {
      if (ctx.parts && !ctx.parts.has(name)) continue;
      try {
        const part = await run(ctx);
        out.json[name] = part.json;
        out.rows.push(...part.rows);
        out.failures.push(...part.failures);
      } catch (err) {
        // One broken part (e.g. a codec throwing on valid input) must not hide the others' numbers.
        const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        ctx.progress(`codec.${name}: failed: ${message}`);
        out.json[name] = { error: message };
        out.failures.push(`codec.${name}: ${message}`);
      }
    }
    return out;
  },
};
