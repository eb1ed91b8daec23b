// tANS / FSE tables on raw memory (twin of src/codec/reference/lz-fse.ts; integer-only so both
// produce identical tables and bytes). Counts and norms are i32 arrays, decode tables u32 entries
// (symbol | nbBits << 8 | baseline << 16), encoder state lists u16.
import { highbit, log2Fixed, MIN_TABLE_LOG } from './format';
import { wBitsPut, wAlign, fRead, fOverflow } from './bits';

const SLOTS_TMP: usize = memory.data(1 << 11);
const NEXT_TMP: usize = memory.data(256 * 4, 16);

export function chooseTableLog(total: i32, distinct: i32, maxLog: i32): i32 {
  let log = total > 1 ? highbit(<u32>(total - 1)) : 0;
  if (log > maxLog) log = maxLog;
  const need = distinct > 1 ? highbit(<u32>(distinct - 1)) + 1 : 0;
  if (log < need) log = need;
  if (log < MIN_TABLE_LOG) log = MIN_TABLE_LOG;
  return log;
}

// @ts-ignore: decorator
@inline function i32At(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline function setI32(p: usize, i: i32, v: i32): void {
  store<i32>(p + (<usize>i << 2), v);
}

export function normalize(counts: usize, alphabet: i32, total: i32, log: i32, norm: usize): void {
  const size = 1 << log;
  let sum = 0;
  let maxCountSym = 0;
  for (let s = 0; s < alphabet; s++) {
    const c = i32At(counts, s);
    if (c == 0) {
      setI32(norm, s, 0);
      continue;
    }
    let n = <i32>((<u64>c * <u64>size + <u64>(<u32>total >> 1)) / <u64>total);
    if (n < 1) n = 1;
    setI32(norm, s, n);
    sum += n;
    if (c > i32At(counts, maxCountSym)) maxCountSym = s;
  }
  let diff = size - sum;
  if (diff > 0) setI32(norm, maxCountSym, i32At(norm, maxCountSym) + diff);
  while (diff < 0) {
    let best = -1;
    for (let s = 0; s < alphabet; s++) {
      const v = i32At(norm, s);
      if (v > 1 && (best < 0 || v > i32At(norm, best))) best = s;
    }
    setI32(norm, best, i32At(norm, best) - 1);
    diff++;
  }
}

// @ts-ignore: decorator
@inline export function symbolCost(n: i32, log: i32): i32 {
  return (log << 8) - log2Fixed(<u32>n);
}

/** Bytes writeCounts() would produce (for the new-table vs reuse decision). */
export function countsHeaderBytes(norm: usize, alphabet: i32, log: i32): i32 {
  let remaining = 1 << log;
  let s = 0;
  let bits = 0;
  while (remaining > 0) {
    const c = i32At(norm, s);
    bits += highbit(<u32>remaining) + 1;
    remaining -= c;
    if (c == 0) {
      let run = 0;
      while (s + 1 + run < alphabet && i32At(norm, s + 1 + run) == 0) run++;
      s += run;
      bits += (run / 3 + 1) * 2;
    }
    s++;
  }
  return (bits + 7) >> 3;
}

export function writeCounts(norm: usize, alphabet: i32, log: i32): void {
  let remaining = 1 << log;
  let s = 0;
  while (remaining > 0) {
    const c = i32At(norm, s);
    wBitsPut(<u32>c, <u32>(highbit(<u32>remaining) + 1));
    remaining -= c;
    if (c == 0) {
      let run = 0;
      while (s + 1 + run < alphabet && i32At(norm, s + 1 + run) == 0) run++;
      s += run;
      while (run >= 3) {
        wBitsPut(3, 2);
        run -= 3;
      }
      wBitsPut(<u32>run, 2);
    }
    s++;
  }
  wAlign();
}

/** Reads a count header with the forward reader; false when malformed. */
export function readCounts(norm: usize, alphabet: i32, log: i32): bool {
  memory.fill(norm, 0, <usize>alphabet << 2);
  let remaining = 1 << log;
  let s = 0;
  while (remaining > 0) {
    if (s >= alphabet) return false;
    const c = <i32>fRead(<u32>(highbit(<u32>remaining) + 1));
    if (fOverflow || c > remaining) return false;
    setI32(norm, s, c);
    remaining -= c;
    if (c == 0) {
      while (true) {
        const run = <i32>fRead(2);
        if (fOverflow) return false;
        s += run;
        if (run < 3) break;
        if (s >= alphabet) return false;
      }
    }
    s++;
  }
  return true;
}

function spread(norm: usize, alphabet: i32, log: i32): void {
  const size = 1 << log;
  const mask = size - 1;
  const step = (size >> 1) + (size >> 3) + 3;
  let pos = 0;
  for (let s = 0; s < alphabet; s++) {
    const n = i32At(norm, s);
    for (let i = 0; i < n; i++) {
      store<u8>(SLOTS_TMP + <usize>pos, <u8>s);
      pos = (pos + step) & mask;
    }
  }
}

export function buildDecodeTable(norm: usize, alphabet: i32, log: i32, table: usize): void {
  const size = 1 << log;
  spread(norm, alphabet, log);
  memory.copy(NEXT_TMP, norm, <usize>alphabet << 2);
  for (let u = 0; u < size; u++) {
    const s = <i32>load<u8>(SLOTS_TMP + <usize>u);
    const x = i32At(NEXT_TMP, s);
    setI32(NEXT_TMP, s, x + 1);
    const nb = log - highbit(<u32>x);
    store<u32>(table + (<usize>u << 2), <u32>s | (<u32>nb << 8) | (<u32>((x << nb) - size) << 16));
  }
}

/** Encoder: start[s] = first index of s's states; states[] = size + slot, grouped by symbol. */
export function buildEncodeTable(norm: usize, alphabet: i32, log: i32, start: usize, states: usize): void {
  const size = 1 << log;
  let cum = 0;
  for (let s = 0; s < alphabet; s++) {
    setI32(start, s, cum);
    setI32(NEXT_TMP, s, cum);
    cum += i32At(norm, s);
  }
  spread(norm, alphabet, log);
  for (let u = 0; u < size; u++) {
    const s = <i32>load<u8>(SLOTS_TMP + <usize>u);
    const k = i32At(NEXT_TMP, s);
    setI32(NEXT_TMP, s, k + 1);
    store<u16>(states + (<usize>k << 1), <u16>(size + u));
  }
}

// @ts-ignore: decorator
@inline export function initState(s: i32, start: usize, states: usize): u32 {
  return <u32>load<u16>(states + (<usize>i32At(start, s) << 1));
}

// @ts-ignore: decorator
@inline export function encodeSym(state: u32, s: i32, log: i32, norm: usize, start: usize, states: usize): u32 {
  const c = i32At(norm, s);
  let nb: i32;
  if (c == 1) nb = log;
  else {
    const m = log - highbit(<u32>(c - 1));
    nb = state >= (<u32>c << <u32>m) ? m : m - 1;
  }
  wBitsPut(state, <u32>nb);
  return <u32>load<u16>(states + (<usize>(i32At(start, s) + <i32>(state >> <u32>nb) - c) << 1));
}
