// Running a suite's parts, and sharing a part between two suites: `ingest` and `query` are parts of
// the `metrics` suite (their JSON keys are metrics.ingest.*, metrics.query.*, as issue #3 names
// them) and also suites of their own (DESIGN.md §8: `npm run bench -- ingest`). A shared part runs
// once per process; the second suite to ask gets the same JSON and no duplicate rows.
import type { SuiteContext, SuiteOutput } from './report.js';
import { errorText } from './errors.js';

export type Part = (ctx: SuiteContext) => Promise<SuiteOutput>;
/** What runParts accepts: synchronous parts (the codec ones) as well as async ones. */
export type AnyPart = (ctx: SuiteContext) => SuiteOutput | Promise<SuiteOutput>;

/** Runs the selected parts; one broken part (an engine error) must not hide the others' numbers. */
export async function runParts(suite: string, parts: Record<string, AnyPart>, ctx: SuiteContext): Promise<SuiteOutput> {
  const out: SuiteOutput = { json: {}, rows: [], failures: [] };
  for (const [name, run] of Object.entries(parts)) {
    if (ctx.parts && !ctx.parts.has(name)) continue;
    try {
      const part = await run(ctx);
      out.json[name] = part.json;
      out.rows.push(...part.rows);
      out.failures.push(...part.failures);
    } catch (err) {
      const message = errorText(err);
      ctx.progress(`${suite}.${name}: failed: ${message}`);
      out.json[name] = { error: message };
      out.failures.push(`${suite}.${name}: ${message}`);
    }
  }
  return out;
}

/**
 * A part that runs at most once per process. Later callers get its JSON without rows or failures
 * (already reported), or, if it threw, `{ error }` without a second failure entry.
 */
export function sharedPart(run: Part): Part {
  let first: Promise<SuiteOutput> | undefined;
  return async (ctx) => {
    if (!first) {
      first = run(ctx);
      return first;
    }
    try {
      return { json: (await first).json, rows: [], failures: [] };
    } catch (err) {
      return { json: { error: errorText(err) }, rows: [], failures: [] };
    }
  };
}

/** A suite made of one shared part, with the part's JSON as the suite's JSON. */
export async function runSharedAsSuite(suite: string, part: Part, ctx: SuiteContext): Promise<SuiteOutput> {
  try {
    return await part(ctx);
  } catch (err) {
    const message = errorText(err);
    ctx.progress(`${suite}: failed: ${message}`);
    return { json: { error: message }, rows: [], failures: [`${suite}: ${message}`] };
  }
}
