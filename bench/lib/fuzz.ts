// Seeded mutation fuzzing of decoders: every input is a valid encoding damaged one or two ways; the
// decoder must either return data or throw a CodecError. Anything else (a RangeError from a wasm
// trap, a TypeError, an inconsistent result) is a failure, kept with enough detail to reproduce.
import { CodecError } from '../../src/codec/errors.js';
import type { Prng } from '../gen/prng.js';

export type MutationKind = 'truncate' | 'overwrite' | 'bitflip' | 'insert' | 'remove';
const KINDS: readonly MutationKind[] = ['truncate', 'overwrite', 'bitflip', 'insert', 'remove'];

export function mutate(prng: Prng, input: Uint8Array, kind: MutationKind): Uint8Array {
  const n = input.length;
  switch (kind) {
    case 'truncate':
      return input.slice(0, n === 0 ? 0 : prng.int(0, n - 1));
    case 'overwrite': {
      const out = input.slice();
      const count = prng.int(1, 4);
      for (let i = 0; i < count && n > 0; i++) out[prng.int(0, n - 1)] = prng.u32() & 0xff;
      return out;
    }
    case 'bitflip': {
      const out = input.slice();
      const count = prng.int(1, 3);
      for (let i = 0; i < count && n > 0; i++) out[prng.int(0, n - 1)] ^= 1 << prng.int(0, 7);
      return out;
    }
    case 'insert': {
      const at = prng.int(0, n);
      const extra = prng.bytes(prng.int(1, 8));
      const out = new Uint8Array(n + extra.length);
      out.set(input.subarray(0, at), 0);
      out.set(extra, at);
      out.set(input.subarray(at), at + extra.length);
      return out;
    }
    case 'remove': {
      if (n === 0) return input.slice();
      const at = prng.int(0, n - 1);
      const count = Math.min(prng.int(1, 8), n - at);
      const out = new Uint8Array(n - count);
      out.set(input.subarray(0, at), 0);
      out.set(input.subarray(at + count), at);
      return out;
    }
  }
}

/** One or (one time in four) two random mutations. */
export function randomMutation(prng: Prng, input: Uint8Array): { bytes: Uint8Array; kinds: MutationKind[] } {
  const kinds = [prng.pick(KINDS)];
  if ((prng.u32() & 3) === 0) kinds.push(prng.pick(KINDS));
  let bytes = input;
  for (const k of kinds) bytes = mutate(prng, bytes, k);
  return { bytes, kinds };
}

export interface FuzzTarget {
  name: string;
  corpus: readonly Uint8Array[];
  /** Decodes; returns a description of an inconsistent result, or null when the result is sane. */
  decode(bytes: Uint8Array): string | null;
}

export interface FuzzFailure {
  target: string;
  caseIndex: number;
  mutations: MutationKind[];
  error: string;
  /** The failing input, hex (first 256 bytes), to turn into a regression test. */
  inputHex: string;
}

export interface FuzzCounts {
  cases: number;
  decoded: number;
  typedErrors: number;
  otherErrors: number;
  errorCodes: Record<string, number>;
}

export interface FuzzReport extends FuzzCounts {
  perTarget: Record<string, FuzzCounts>;
  failures: FuzzFailure[];
}

const KEEP_FAILURES = 20;

function emptyCounts(): FuzzCounts {
  return { cases: 0, decoded: 0, typedErrors: 0, otherErrors: 0, errorCodes: {} };
}

export interface FuzzHooks {
  /** Called with each input just before it is decoded (the hang watchdog records it). */
  onCase?(index: number, bytes: Uint8Array): void;
  /** Called every `progressEvery` cases. */
  onProgress?(done: number): void;
  progressEvery?: number;
}

/** Runs `cases` mutated inputs, round-robin over the targets. */
export function runFuzz(prng: Prng, targets: readonly FuzzTarget[], cases: number, hooks: FuzzHooks = {}): FuzzReport {
  const every = hooks.progressEvery ?? 50_000;
  const total = emptyCounts();
  const perTarget: Record<string, FuzzCounts> = Object.fromEntries(targets.map((t) => [t.name, emptyCounts()]));
  const failures: FuzzFailure[] = [];
  for (let i = 0; i < cases; i++) {
    const target = targets[i % targets.length];
    const counts = perTarget[target.name];
    const { bytes, kinds } = randomMutation(prng, prng.pick(target.corpus));
    let failure: string | null = null;
    hooks.onCase?.(i, bytes);
    try {
      failure = target.decode(bytes);
      if (!failure) {
        counts.decoded++;
        total.decoded++;
      }
    } catch (err) {
      if (err instanceof CodecError) {
        counts.typedErrors++;
        total.typedErrors++;
        counts.errorCodes[err.code] = (counts.errorCodes[err.code] ?? 0) + 1;
        total.errorCodes[err.code] = (total.errorCodes[err.code] ?? 0) + 1;
      } else {
        failure = err instanceof Error ? `${err.name}: ${err.message}` : `non-Error thrown: ${String(err)}`;
      }
    }
    if (failure) {
      counts.otherErrors++;
      total.otherErrors++;
      if (failures.length < KEEP_FAILURES) {
        failures.push({ target: target.name, caseIndex: i, mutations: kinds, error: failure, inputHex: Buffer.from(bytes.subarray(0, 256)).toString('hex') });
      }
    }
    counts.cases++;
    total.cases++;
    if (hooks.onProgress && (i + 1) % every === 0) hooks.onProgress(i + 1);
  }
  return { ...total, perTarget, failures };
}

/** Sums shard reports (failures concatenated, capped as in one run). */
export function mergeFuzzReports(reports: readonly FuzzReport[]): FuzzReport {
  const total: FuzzReport = { ...emptyCounts(), perTarget: {}, failures: [] };
  const add = (into: FuzzCounts, from: FuzzCounts) => {
    into.cases += from.cases;
    into.decoded += from.decoded;
    into.typedErrors += from.typedErrors;
    into.otherErrors += from.otherErrors;
    for (const [code, n] of Object.entries(from.errorCodes)) into.errorCodes[code] = (into.errorCodes[code] ?? 0) + n;
  };
  for (const r of reports) {
    add(total, r);
    for (const [name, counts] of Object.entries(r.perTarget)) add((total.perTarget[name] ??= emptyCounts()), counts);
    total.failures.push(...r.failures.slice(0, KEEP_FAILURES - total.failures.length));
  }
  return total;
}
