// The parser fuzz loop: round-robin over the targets, every input a valid seed damaged one or two
// ways (parser-fuzz-mutate.ts), the oracle "a sane result or the route's typed error". Anything
// else, or a case slower than `slowMs`, is a failure; failures with the same error at the same
// place are counted together and the first input of each is kept (hex) with its seed and case
// index, from which `fuzzInputAt` rebuilds the exact input. Runs in a worker (bench) or in-process
// (the seeded CI subset, test/parser-fuzz.test.ts).
import { Prng } from '../gen/prng.js';
import { snappyCompress, snappyDecompress } from '../../src/server/protocols/snappy.js';
import { parserMutation, type MutationContext, type ParserMutation } from './parser-fuzz-mutate.js';
import { PARSER_TARGETS, type ParserTargetName } from './parser-fuzz-targets.js';

export type ParserCorpora = Partial<Record<ParserTargetName, Uint8Array[]>>;

export interface ParserFuzzCounts {
  cases: number;
  /** Inputs the parser returned a sane result for. */
  parsed: number;
  /** Inputs refused with the route's typed error. */
  typedErrors: number;
  /** Untyped exceptions, inconsistent results and slow cases. */
  failures: number;
  /** Cases that took longer than slowMs (counted in failures too). */
  slow: number;
  maxCaseMs: number;
  /** Typed errors by class (and HTTP code). */
  errorTypes: Record<string, number>;
}

export interface ParserFuzzFailure {
  target: ParserTargetName;
  /** PRNG seed of the run (shard) and the case index in it: `fuzzInputAt(seed, corpora, caseIndex)`. */
  seed: number;
  caseIndex: number;
  mutations: ParserMutation[];
  /** Same target + error + first stack frame = same signature; `count` cases had it. */
  signature: string;
  count: number;
  error: string;
  stack: string;
  inputBytes: number;
  /** The input, hex (the first 512 bytes when longer). */
  inputHex: string;
}

export interface ParserFuzzReport {
  seed: number;
  perTarget: Partial<Record<ParserTargetName, ParserFuzzCounts>>;
  failures: ParserFuzzFailure[];
}

export interface ParserFuzzOptions {
  seed: number;
  corpora: ParserCorpora;
  casesPerTarget: number;
  /** A case taking longer than this is a failure (the parsers take microseconds per small input). */
  slowMs: number;
  /** Before each case: the watchdog's heartbeat. */
  onCase?(index: number, bytes: Uint8Array): void;
  onProgress?(done: number): void;
  progressEvery?: number;
}

const HEX_BYTES = 512;

function emptyCounts(): ParserFuzzCounts {
  return { cases: 0, parsed: 0, typedErrors: 0, failures: 0, slow: 0, maxCaseMs: 0, errorTypes: {} };
}

function contexts(corpora: ParserCorpora): Array<{ name: ParserTargetName; ctx: MutationContext }> {
  const names = (Object.keys(corpora) as ParserTargetName[]).filter((n) => (corpora[n]?.length ?? 0) > 0);
  return names.map((name) => ({
    name,
    ctx: {
      format: PARSER_TARGETS[name].format,
      corpus: corpora[name]!,
      ...(PARSER_TARGETS[name].format === 'snappy-proto' ? { snappy: { decompress: (b: Uint8Array) => snappyDecompress(b, 1 << 26), compress: snappyCompress } } : {}),
    },
  }));
}

/** Case `index` of the run: the target and the input, without parsing anything. */
export function* fuzzInputs(seed: number, corpora: ParserCorpora, cases: number) {
  const prng = new Prng(seed);
  const targets = contexts(corpora);
  if (targets.length === 0) return;
  for (let i = 0; i < cases; i++) {
    const t = targets[i % targets.length];
    const { bytes, kinds } = parserMutation(prng, prng.pick(t.ctx.corpus), t.ctx);
    yield { index: i, target: t.name, bytes, kinds };
  }
}

/** Rebuilds the input of one case (to turn a reported failure into a regression test). */
export function fuzzInputAt(seed: number, corpora: ParserCorpora, caseIndex: number): { target: ParserTargetName; bytes: Uint8Array } {
  for (const c of fuzzInputs(seed, corpora, caseIndex + 1)) if (c.index === caseIndex) return { target: c.target, bytes: c.bytes };
  throw new RangeError(`fuzzInputAt: no case ${caseIndex}`);
}

function errorText(err: unknown): { text: string; stack: string; frame: string } {
  if (!(err instanceof Error)) return { text: `non-Error thrown: ${String(err)}`, stack: '', frame: '' };
  const frames = (err.stack ?? '').split('\n').filter((l) => l.trimStart().startsWith('at '));
  const text = `${err.name}: ${err.message.slice(0, 200)}`;
  return { text, stack: frames.slice(0, 8).map((l) => l.trim()).join('\n'), frame: (frames[0] ?? '').trim().replace(/:\d+\)?$/, '') };
}

export function runParserFuzz(opts: ParserFuzzOptions): ParserFuzzReport {
  const perTarget: Partial<Record<ParserTargetName, ParserFuzzCounts>> = {};
  const bySignature = new Map<string, ParserFuzzFailure>();
  const every = opts.progressEvery ?? 50_000;
  const total = opts.casesPerTarget * contexts(opts.corpora).length;
  for (const c of fuzzInputs(opts.seed, opts.corpora, total)) {
    const target = PARSER_TARGETS[c.target];
    const counts = (perTarget[c.target] ??= emptyCounts());
    opts.onCase?.(c.index, c.bytes);
    let failure: { text: string; stack: string; frame: string } | undefined;
    const t0 = performance.now();
    try {
      const bad = target.parse(c.bytes);
      if (bad === null) counts.parsed++;
      else failure = { text: `inconsistent result: ${bad}`, stack: '', frame: '' };
    } catch (err) {
      const typed = target.typed(err);
      if (typed !== undefined) {
        counts.typedErrors++;
        counts.errorTypes[typed] = (counts.errorTypes[typed] ?? 0) + 1;
      } else failure = errorText(err);
    }
    const ms = performance.now() - t0;
    if (ms > counts.maxCaseMs) counts.maxCaseMs = ms;
    if (ms > opts.slowMs) {
      counts.slow++;
      failure ??= { text: `slow: one input took ${Math.round(ms)} ms (limit ${opts.slowMs} ms)`, stack: '', frame: 'slow' };
    }
    counts.cases++;
    if (failure) {
      counts.failures++;
      const signature = `${c.target} | ${failure.text.replace(/\d+/g, 'N').slice(0, 120)} | ${failure.frame}`;
      const seen = bySignature.get(signature);
      if (seen) seen.count++;
      else {
        bySignature.set(signature, {
          target: c.target,
          seed: opts.seed,
          caseIndex: c.index,
          mutations: c.kinds,
          signature,
          count: 1,
          error: failure.text,
          stack: failure.stack,
          inputBytes: c.bytes.length,
          inputHex: Buffer.from(c.bytes.subarray(0, HEX_BYTES)).toString('hex'),
        });
      }
    }
    if (opts.onProgress && (c.index + 1) % every === 0) opts.onProgress(c.index + 1);
  }
  return { seed: opts.seed, perTarget, failures: [...bySignature.values()] };
}

/** Sums shard reports; failures with the same signature merge (the first example kept). */
export function mergeParserFuzzReports(reports: readonly ParserFuzzReport[]): Omit<ParserFuzzReport, 'seed'> {
  const perTarget: Partial<Record<ParserTargetName, ParserFuzzCounts>> = {};
  const bySignature = new Map<string, ParserFuzzFailure>();
  for (const r of reports) {
    for (const [name, c] of Object.entries(r.perTarget) as Array<[ParserTargetName, ParserFuzzCounts]>) {
      const into = (perTarget[name] ??= emptyCounts());
      into.cases += c.cases;
      into.parsed += c.parsed;
      into.typedErrors += c.typedErrors;
      into.failures += c.failures;
      into.slow += c.slow;
      into.maxCaseMs = Math.max(into.maxCaseMs, c.maxCaseMs);
      for (const [k, n] of Object.entries(c.errorTypes)) into.errorTypes[k] = (into.errorTypes[k] ?? 0) + n;
    }
    for (const f of r.failures) {
      const seen = bySignature.get(f.signature);
      if (seen) seen.count += f.count;
      else bySignature.set(f.signature, { ...f });
    }
  }
  return { perTarget, failures: [...bySignature.values()] };
}
