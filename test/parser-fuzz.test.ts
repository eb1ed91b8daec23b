// The seeded CI subset of the `fuzz.parsers` bench part: a few thousand mutated inputs per HTTP
// ingest parser and the PromQL parser, fixed seed, in-process. Each must give a sane result or the
// route's typed error (a 4xx); an untyped exception (a 500: stack overflow, TypeError, ...) or an
// inconsistent result fails the test with the seed, case index and input hex to reproduce it.
// No timing here (CI machines vary): the bench part also fails cases slower than 1 s.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildParserCorpora } from '../bench/lib/parser-fuzz-seeds.js';
import { fuzzInputAt, fuzzInputs, runParserFuzz, type ParserFuzzReport } from '../bench/lib/parser-fuzz-run.js';
import { PARSER_TARGET_NAMES, PARSER_TARGETS, type ParserTargetName } from '../bench/lib/parser-fuzz-targets.js';

const SEED = 9_2026;
const CASES_PER_TARGET = Number(process.env.PARSER_FUZZ_CASES ?? 5000);

let corpora: Record<ParserTargetName, Uint8Array[]>;
let report: ParserFuzzReport;

beforeAll(async () => {
  corpora = await buildParserCorpora();
  report = runParserFuzz({ seed: SEED, corpora, casesPerTarget: CASES_PER_TARGET, slowMs: Infinity });
}, 120_000);

describe('parser fuzz (seeded CI subset)', () => {
  it('every seed is valid input: each parser accepts its own seeds', () => {
    for (const name of PARSER_TARGET_NAMES) {
      expect(corpora[name].length, name).toBeGreaterThan(0);
      for (const [i, seed] of corpora[name].entries()) expect(PARSER_TARGETS[name].parse(seed), `${name} seed ${i}`).toBeNull();
    }
  });

  it('no parser throws anything but its typed error, on any mutated input', () => {
    const lines = report.failures.map((f) => `${f.target}: ${f.count}x ${f.error} [seed ${f.seed} case ${f.caseIndex} ${f.mutations.join('+')} ${f.inputBytes} B]\n  ${f.stack.split('\n').slice(0, 3).join('\n  ')}\n  input ${f.inputHex.slice(0, 400)}`);
    expect(lines.join('\n')).toBe('');
  });

  it('the mutations reach both outcomes of every parser (the run is not vacuous)', () => {
    for (const name of PARSER_TARGET_NAMES) {
      const c = report.perTarget[name]!;
      expect(c.cases, name).toBe(CASES_PER_TARGET);
      expect(c.parsed, name).toBeGreaterThan(0);
      // jsonline counts bad lines instead of throwing.
      if (name !== 'jsonline') expect(c.typedErrors, name).toBeGreaterThan(0);
    }
  });

  it('a case is reproducible from (seed, case index)', () => {
    const picks = [0, 7, 12 * 13 + 5];
    const seen = new Map<number, Uint8Array>();
    for (const c of fuzzInputs(SEED, corpora, picks[2] + 1)) if (picks.includes(c.index)) seen.set(c.index, c.bytes);
    for (const i of picks) expect(Buffer.from(fuzzInputAt(SEED, corpora, i).bytes).equals(Buffer.from(seen.get(i)!)), `case ${i}`).toBe(true);
  });
});
