// tANS / FSE tables for the lz reference codec: count normalization, the compact count header,
// and the encode/decode tables. Integer-only so the wasm twin (assembly/lz/fse.ts) is bit-identical.
import { ByteOut, ForwardBits } from './lz-bits.js';
import { highbit, log2Fixed, MIN_TABLE_LOG } from './lz-format.js';

/** Smallest table log that gives every present symbol a slot, capped by maxLog; small inputs get small tables. */
export function chooseTableLog(total: number, distinct: number, maxLog: number): number {
  let log = total > 1 ? highbit(total - 1) : 0;
  if (log > maxLog) log = maxLog;
  const need = distinct > 1 ? highbit(distinct - 1) + 1 : 0;
  if (log < need) log = need;
  if (log < MIN_TABLE_LOG) log = MIN_TABLE_LOG;
  return log;
}

/** Scales counts to sum 1 << tableLog, every present symbol >= 1 (deterministic tie-breaking). */
export function normalize(counts: Int32Array, alphabet: number, total: number, tableLog: number, norm: Int32Array): void {
  const size = 1 << tableLog;
  let sum = 0;
  let maxCountSym = 0;
  for (let s = 0; s < alphabet; s++) {
    const c = counts[s];
    if (c === 0) {
      norm[s] = 0;
      continue;
    }
    let n = Math.floor((c * size + (total >>> 1)) / total);
    if (n < 1) n = 1;
    norm[s] = n;
    sum += n;
    if (c > counts[maxCountSym]) maxCountSym = s;
  }
  let diff = size - sum;
  if (diff > 0) norm[maxCountSym] += diff;
  while (diff < 0) {
    // Take from the symbol with the largest share: its relative loss (and so the cost) is smallest.
    let best = -1;
    for (let s = 0; s < alphabet; s++) if (norm[s] > 1 && (best < 0 || norm[s] > norm[best])) best = s;
    norm[best]--;
    diff++;
  }
}

/** Cost in 1/256 bits of coding a symbol with normalized count n (> 0) in a table of 1 << tableLog. */
export function symbolCost(n: number, tableLog: number): number {
  return (tableLog << 8) - log2Fixed(n);
}

/**
 * Count header: counts in symbol order, each in bitlen(remaining) bits, stopping when the counts sum
 * to the table size; after a zero, a run of further zeros in 2-bit chunks (3 = "3 more, continue").
 */
export function writeCounts(out: ByteOut, norm: Int32Array, alphabet: number, tableLog: number): void {
  let remaining = 1 << tableLog;
  let s = 0;
  while (remaining > 0) {
    out.bits(norm[s], highbit(remaining) + 1);
    remaining -= norm[s];
    if (norm[s] === 0) {
      let run = 0;
      while (s + 1 + run < alphabet && norm[s + 1 + run] === 0) run++;
      s += run;
      while (run >= 3) {
        out.bits(3, 2);
        run -= 3;
      }
      out.bits(run, 2);
    }
    s++;
  }
  out.alignBits();
}

/** Reads a count header; returns false on a malformed one (symbol beyond the alphabet, overrun). */
export function readCounts(r: ForwardBits, norm: Int32Array, alphabet: number, tableLog: number): boolean {
  norm.fill(0, 0, alphabet);
  let remaining = 1 << tableLog;
  let s = 0;
  while (remaining > 0) {
    if (s >= alphabet) return false;
    const c = r.read(highbit(remaining) + 1);
    if (r.overflow || c > remaining) return false;
    norm[s] = c;
    remaining -= c;
    if (c === 0) {
      for (;;) {
        const run = r.read(2);
        if (r.overflow) return false;
        s += run;
        if (run < 3) break;
        if (s >= alphabet) return false;
      }
    }
    s++;
  }
  return true;
}

/** Symbol of every table slot: each symbol's slots are scattered with an odd step (coprime with the size). */
function spread(norm: Int32Array, alphabet: number, tableLog: number, slots: Uint8Array): void {
  const size = 1 << tableLog;
  const mask = size - 1;
  const step = (size >>> 1) + (size >>> 3) + 3;
  let pos = 0;
  for (let s = 0; s < alphabet; s++) {
    for (let i = 0; i < norm[s]; i++) {
      slots[pos] = s;
      pos = (pos + step) & mask;
    }
  }
}

/** Decode table: entry = symbol | nbBits << 8 | baseline << 16; next state = baseline + read(nbBits). */
export function buildDecodeTable(norm: Int32Array, alphabet: number, tableLog: number, table: Uint32Array): void {
  const size = 1 << tableLog;
  const slots = new Uint8Array(size);
  spread(norm, alphabet, tableLog, slots);
  const next = Int32Array.from(norm.subarray(0, alphabet));
  for (let u = 0; u < size; u++) {
    const s = slots[u];
    const x = next[s]++;
    const nb = tableLog - highbit(x);
    table[u] = s | (nb << 8) | (((x << nb) - size) << 16);
  }
}

/** Encoder view of one table: per symbol its slot list start, and the state transition table. */
export class EncodeTable {
  tableLog = 0;
  readonly start: Int32Array;
  readonly norm: Int32Array;
  /** Encoder states (size + slot index), grouped by symbol in slot order. */
  readonly states: Uint16Array;

  constructor(alphabet: number, maxLog: number) {
    this.start = new Int32Array(alphabet);
    this.norm = new Int32Array(alphabet);
    this.states = new Uint16Array(1 << maxLog);
  }

  build(norm: Int32Array, alphabet: number, tableLog: number): void {
    this.tableLog = tableLog;
    const size = 1 << tableLog;
    let cum = 0;
    for (let s = 0; s < alphabet; s++) {
      this.norm[s] = norm[s];
      this.start[s] = cum;
      cum += norm[s];
    }
    const slots = new Uint8Array(size);
    spread(norm, alphabet, tableLog, slots);
    const fill = Int32Array.from(this.start);
    for (let u = 0; u < size; u++) this.states[fill[slots[u]]++] = size + u;
  }

  /** A state that decodes to `s` without consuming bits: where the encoder starts (the last symbol). */
  initState(s: number): number {
    return this.states[this.start[s]];
  }

  /** Encodes `s` from `state`: writes the low bits, returns the new state. */
  encode(out: ByteOut, state: number, s: number): number {
    const c = this.norm[s];
    let nb: number;
    if (c === 1) nb = this.tableLog;
    else {
      const m = this.tableLog - highbit(c - 1);
      nb = state >= c << m ? m : m - 1;
    }
    out.bits(state, nb);
    return this.states[this.start[s] + (state >>> nb) - c];
  }
}
