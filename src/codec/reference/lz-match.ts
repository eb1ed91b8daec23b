// Match finding and greedy/lazy parsing for the lz reference encoder. Twin of assembly/lz/match.ts:
// same hash, same candidate order, same tie-breaking, so both produce the same sequences.
import { highbit, MIN_MATCH } from './lz-format.js';

export type LzLevel = 'fast' | 'default' | 'max';

export interface LevelParams {
  /** Upper bound of the hash table size (log2 of entries); smaller inputs get smaller tables. */
  hashLogMax: number;
  /** Chain candidates examined per search. */
  depth: number;
  /** 0 = greedy, 1..2 = positions ahead tried before committing to a match. */
  lazy: number;
  /** Step past unmatched bytes faster the longer the literal run (cheap on incompressible data). */
  skipLiterals: boolean;
}

export const LEVELS: Record<LzLevel, LevelParams> = {
  fast: { hashLogMax: 16, depth: 2, lazy: 0, skipLiterals: true },
  default: { hashLogMax: 20, depth: 32, lazy: 2, skipLiterals: false },
  max: { hashLogMax: 20, depth: 256, lazy: 2, skipLiterals: false },
};

/** Largest window the encoder uses (chain table entries); the format allows offsets up to 2^25 - 4. */
export const WINDOW_LOG_MAX = 22;

export function hashLogFor(n: number, p: LevelParams): number {
  const want = n > 1 ? highbit(n - 1) + 1 : 1;
  return Math.max(10, Math.min(p.hashLogMax, want));
}

export function windowLogFor(n: number): number {
  const want = n > 1 ? highbit(n - 1) + 1 : 1;
  return Math.max(10, Math.min(WINDOW_LOG_MAX, want));
}

/**
 * Bytes hashed per position. 6, not 4: the min-gain rule rejects nearly every 4-5 byte match at a
 * non-repeat offset anyway, and in random hex ids 4-byte hashes fill the chains with useless
 * candidates (measured: better ratio at every level and shorter chain walks).
 */
export const HASH_BYTES = 6;

/** Hash chains over the whole frame: head[hash] = newest position, chain[pos & mask] = previous one. */
export class MatchFinder {
  readonly head: Int32Array;
  readonly chain: Int32Array;
  readonly hashShift: number;
  readonly windowSize: number;
  readonly mask: number;
  nextToUpdate = 0;
  /** Result of the last search. */
  bestLen = 0;
  bestOff = 0;

  constructor(private readonly src: Uint8Array, hashLog: number, windowLog: number) {
    this.head = new Int32Array(1 << hashLog).fill(-1);
    this.windowSize = 1 << windowLog;
    this.mask = this.windowSize - 1;
    this.chain = new Int32Array(this.windowSize);
    this.hashShift = 32 - hashLog;
  }

  hash(p: number): number {
    const s = this.src;
    const v = s[p] | (s[p + 1] << 8) | (s[p + 2] << 16) | (s[p + 3] << 24);
    const extra = s[p + 4] | (s[p + 5] << 8);
    return Math.imul(v ^ Math.imul(extra, 0x01000193), 0x9e3779b1) >>> this.hashShift;
  }

  /** Inserts every position before `ip` not yet in the chains (each needs hashBytes readable bytes). */
  insertUpTo(ip: number): void {
    for (let p = this.nextToUpdate; p < ip; p++) {
      const h = this.hash(p);
      this.chain[p & this.mask] = this.head[h];
      this.head[h] = p;
    }
    if (ip > this.nextToUpdate) this.nextToUpdate = ip;
  }

  /** Longest match (>= 4; usually >= 6 since the hash covers 6 bytes) for ip among `depth` chain candidates, ending at or before `end`. */
  find(ip: number, end: number, depth: number): void {
    this.insertUpTo(ip);
    const s = this.src;
    const maxLen = end - ip;
    const low = ip - this.windowSize + 1;
    let bestLen = 3;
    let bestOff = 0;
    let cand = this.head[this.hash(ip)];
    while (cand >= 0 && cand >= low && depth-- > 0) {
      if (s[cand + bestLen] === s[ip + bestLen] && bestLen < maxLen) {
        const len = matchLength(s, cand, ip, maxLen);
        if (len > bestLen) {
          bestLen = len;
          bestOff = ip - cand;
          if (len === maxLen) break;
        }
      }
      cand = this.chain[cand & this.mask];
    }
    this.bestLen = bestOff === 0 ? 0 : bestLen;
    this.bestOff = bestOff;
  }
}

/** Number of equal bytes at a and b (a < b), at most maxLen. */
export function matchLength(s: Uint8Array, a: number, b: number, maxLen: number): number {
  let n = 0;
  while (n < maxLen && s[a + n] === s[b + n]) n++;
  return n;
}

/** Sequences of one block: literal run, match length, offset value (1..3 = repeat offsets, else offset + 3). */
export class Sequences {
  ll: Int32Array;
  ml: Int32Array;
  ofv: Int32Array;
  count = 0;

  constructor(capacity: number) {
    this.ll = new Int32Array(capacity);
    this.ml = new Int32Array(capacity);
    this.ofv = new Int32Array(capacity);
  }

  push(ll: number, ml: number, ofv: number): void {
    this.ll[this.count] = ll;
    this.ml[this.count] = ml;
    this.ofv[this.count] = ofv;
    this.count++;
  }
}

/** Offset value for `off` given the repeat offsets, and the repeat-offset update the decoder will do. */
export function codeOffset(reps: Int32Array, off: number): number {
  if (off === reps[0]) return 1;
  if (off === reps[1]) {
    reps[1] = reps[0];
    reps[0] = off;
    return 2;
  }
  if (off === reps[2]) {
    reps[2] = reps[1];
    reps[1] = reps[0];
    reps[0] = off;
    return 3;
  }
  reps[2] = reps[1];
  reps[1] = reps[0];
  reps[0] = off;
  return off + 3;
}

/** Matches with less gain than this cost more bits than their literals (short, far matches into random ids). */
export const MIN_GAIN = 12;

/** zstd-style gain: 4 per matched byte minus the offset's bit cost. */
function gain(len: number, off: number, reps: Int32Array): number {
  const ofv = off === reps[0] ? 1 : off === reps[1] ? 2 : off === reps[2] ? 3 : off + 3;
  return len * 4 - highbit(ofv);
}

/**
 * Greedy (lazy = 0) or lazy parse of [start, end). Positions before `start` are history. Updates
 * `reps` as the decoder will. Returns nothing; trailing literals are end - (last match end).
 */
export function parseLazy(
  src: Uint8Array, start: number, end: number, mf: MatchFinder, p: LevelParams, reps: Int32Array, seqs: Sequences,
): void {
  seqs.count = 0;
  let ip = start;
  let anchor = start;
  // Hashing reads up to 6 bytes at a position: the last 8 bytes of a block are always literals.
  const ilimit = end - 8;
  while (ip <= ilimit) {
    // Candidate at ip: the best of the repeat offsets and the chain.
    let len = 0;
    let off = 0;
    let g = 0;
    for (let k = 0; k < 3; k++) {
      const r = reps[k];
      if (r > ip) continue;
      const l = matchLength(src, ip - r, ip, end - ip);
      if (l >= MIN_MATCH) {
        const gk = l * 4 - k;
        if (len === 0 || gk > g) {
          len = l;
          off = r;
          g = gk;
        }
      }
    }
    mf.find(ip, end, p.depth);
    if (mf.bestLen > 0) {
      const gc = gain(mf.bestLen, mf.bestOff, reps);
      if (len === 0 || gc > g) {
        len = mf.bestLen;
        off = mf.bestOff;
        g = gc;
      }
    }
    if (len === 0 || g < MIN_GAIN) {
      ip += p.skipLiterals ? 1 + ((ip - anchor) >> 6) : 1;
      continue;
    }
    // Lazy: a better match one byte later is worth the extra literal (bonus 4 then 7, as zstd).
    for (let k = 1; k <= p.lazy && ip + 1 <= ilimit; k++) {
      const nip = ip + 1;
      let nlen = 0;
      let noff = 0;
      let ng = 0;
      for (let j = 0; j < 3; j++) {
        const r = reps[j];
        if (r > nip) continue;
        const l = matchLength(src, nip - r, nip, end - nip);
        if (l >= MIN_MATCH) {
          const gj = l * 4 - j;
          if (nlen === 0 || gj > ng) {
            nlen = l;
            noff = r;
            ng = gj;
          }
        }
      }
      mf.find(nip, end, p.depth);
      if (mf.bestLen > 0) {
        const gc = gain(mf.bestLen, mf.bestOff, reps);
        if (nlen === 0 || gc > ng) {
          nlen = mf.bestLen;
          noff = mf.bestOff;
          ng = gc;
        }
      }
      if (nlen > 0 && ng >= MIN_GAIN && ng > g + (k === 1 ? 4 : 7)) {
        ip = nip;
        len = nlen;
        off = noff;
        g = ng;
      } else break;
    }
    // Extend backwards over literals that also match (the hash only saw the match's start).
    while (ip > anchor && ip - off > 0 && src[ip - 1] === src[ip - 1 - off]) {
      ip--;
      len++;
    }
    seqs.push(ip - anchor, len, codeOffset(reps, off));
    ip += len;
    anchor = ip;
  }
}
