// Entropy stage of the lz encoder (twin of src/codec/reference/lz-encode.ts): one block's sequences
// become the block payload. Table history (for "reuse previous table") and encode tables are static;
// the per-block literal/code arrays live in the caller's scratch.
import {
  byteClass, highbit, LIT_CODES, LIT_CONTEXTS, LIT_MAX_LOG, LL_DIRECT_LOG, lenCode, lenCodeBase, lenCodeBits,
  MIN_MATCH, ML_DIRECT_LOG, SLOT_LL, SLOT_ML, SLOT_OF, SLOTS, slotAlphabet, slotMaxLog, TABLE_NEW, TABLE_REUSE,
  TABLE_UNUSED,
} from './format';
import {
  buildEncodeTable, chooseTableLog, countsHeaderBytes, encodeSym, initState, normalize, symbolCost, writeCounts,
} from './fse';
import { wBitsPut, wCloseStream, wPos, wStart, wU8, wVarint } from './bits';
import { seqCount } from './match';

const SLOT_BYTES: usize = 256 * 4;
const ALL_SLOTS_BYTES: usize = <usize>SLOTS * SLOT_BYTES;
// Tables live in the caller's scratch (set by encodeInit): static data must fit the first wasm page.
let HIST_NORM: usize = 0;
let HIST_LOG: usize = 0;
let SAVED_NORM: usize = 0;
let SAVED_LOG: usize = 0;
let COUNTS: usize = 0;
let NORM_TMP: usize = 0;
let ENC_START: usize = 0;
let ENC_STATES: usize = 0;
/** Scratch bytes the encoder's tables need (16-byte aligned start). */
export const ENCODE_TABLE_BYTES: i32 = <i32>(ALL_SLOTS_BYTES * 4 + 64 + 1024 + SLOTS * (1 << 11) * 2);

// @ts-ignore: decorator
@inline function histNorm(slot: i32): usize {
  return HIST_NORM + <usize>slot * SLOT_BYTES;
}
// @ts-ignore: decorator
@inline function histLog(slot: i32): i32 {
  return load<i32>(HIST_LOG + (<usize>slot << 2));
}
// @ts-ignore: decorator
@inline function counts(slot: i32): usize {
  return COUNTS + <usize>slot * SLOT_BYTES;
}
// @ts-ignore: decorator
@inline function encStart(slot: i32): usize {
  return ENC_START + <usize>slot * SLOT_BYTES;
}
// @ts-ignore: decorator
@inline function encStates(slot: i32): usize {
  return ENC_STATES + <usize>slot * ((1 << 11) * 2);
}

export function histReset(): void {
  memory.fill(HIST_NORM, 0, ALL_SLOTS_BYTES);
  memory.fill(HIST_LOG, 0, <usize>SLOTS * 4);
}
export function histSave(): void {
  memory.copy(SAVED_NORM, HIST_NORM, ALL_SLOTS_BYTES);
  memory.copy(SAVED_LOG, HIST_LOG, <usize>SLOTS * 4);
}
export function histRestore(): void {
  memory.copy(HIST_NORM, SAVED_NORM, ALL_SLOTS_BYTES);
  memory.copy(HIST_LOG, SAVED_LOG, <usize>SLOTS * 4);
}

function distinctOf(c: usize, alphabet: i32): i32 {
  let d = 0;
  for (let s = 0; s < alphabet; s++) if (load<i32>(c + (<usize>s << 2)) > 0) d++;
  return d;
}

/** New table vs previous block's table, cheaper wins; leaves the chosen norm in the history. Returns the mode. */
function chooseTable(slot: i32, total: i32, log: i32, sameLogOnly: bool): u8 {
  const alphabet = slotAlphabet(slot);
  const cnt = counts(slot);
  normalize(cnt, alphabet, total, log, NORM_TMP);
  let costNew: i64 = <i64>countsHeaderBytes(NORM_TMP, alphabet, log) * 8 * 256 + (sameLogOnly ? 0 : 8 * 256);
  for (let s = 0; s < alphabet; s++) {
    const c = load<i32>(cnt + (<usize>s << 2));
    if (c > 0) costNew += <i64>c * <i64>symbolCost(load<i32>(NORM_TMP + (<usize>s << 2)), log);
  }
  const plog = histLog(slot);
  if (plog > 0 && (!sameLogOnly || plog == log)) {
    const pn = histNorm(slot);
    let costOld: i64 = 0;
    let ok = true;
    for (let s = 0; s < alphabet; s++) {
      const c = load<i32>(cnt + (<usize>s << 2));
      if (c == 0) continue;
      const pv = load<i32>(pn + (<usize>s << 2));
      if (pv == 0) {
        ok = false;
        break;
      }
      costOld += <i64>c * <i64>symbolCost(pv, plog);
    }
    if (ok && costOld <= costNew) return TABLE_REUSE;
  }
  memory.copy(histNorm(slot), NORM_TMP, <usize>alphabet << 2);
  store<i32>(HIST_LOG + (<usize>slot << 2), log);
  return TABLE_NEW;
}

// Block scratch arrays (set by the frame encoder).
let litSym: usize = 0;
let litCtx: usize = 0;
let codeLL: usize = 0;
let codeML: usize = 0;
let codeOF: usize = 0;

export function encodeInit(tables: usize, litSymPtr: usize, litCtxPtr: usize, llc: usize, mlc: usize, ofc: usize): void {
  HIST_NORM = tables;
  SAVED_NORM = HIST_NORM + ALL_SLOTS_BYTES;
  COUNTS = SAVED_NORM + ALL_SLOTS_BYTES;
  ENC_START = COUNTS + ALL_SLOTS_BYTES;
  HIST_LOG = ENC_START + ALL_SLOTS_BYTES;
  SAVED_LOG = HIST_LOG + 32;
  NORM_TMP = SAVED_LOG + 32;
  ENC_STATES = NORM_TMP + 1024;
  litSym = litSymPtr;
  litCtx = litCtxPtr;
  codeLL = llc;
  codeML = mlc;
  codeOF = ofc;
}

// @ts-ignore: decorator
@inline function bumpCount(slot: i32, s: i32): void {
  const p = counts(slot) + (<usize>s << 2);
  store<i32>(p, load<i32>(p) + 1);
}

/**
 * Encodes block [start, end) of src (parsed into the sequence arrays) to `out`; returns the payload
 * length. Updates the table history (the frame rolls it back if it stores the block raw).
 */
export function encodeBlock(src: usize, start: i32, end: i32, seqLL: usize, seqML: usize, seqOF: usize, out: usize): i32 {
  const n = seqCount;
  let nLit = end - start;
  for (let i = 0; i < n; i++) nLit -= load<i32>(seqML + (<usize>i << 2));
  memory.fill(COUNTS, 0, ALL_SLOTS_BYTES);
  {
    let pos = start;
    let k = 0;
    for (let i = 0; i <= n; i++) {
      const ll = i < n ? load<i32>(seqLL + (<usize>i << 2)) : nLit - k;
      for (let j = 0; j < ll; j++) {
        const c = byteClass(pos > 0 ? <u32>load<u8>(src + <usize>(pos - 1)) : 0);
        const b = load<u8>(src + <usize>pos);
        store<u8>(litSym + <usize>k, b);
        store<u8>(litCtx + <usize>k, <u8>c);
        bumpCount(c, <i32>b);
        pos++;
        k++;
      }
      if (i < n) pos += load<i32>(seqML + (<usize>i << 2));
    }
  }
  wStart(out);
  wVarint(<u32>nLit);
  wVarint(<u32>n);

  if (nLit > 0) {
    let maxDistinct = 0;
    for (let c = 0; c < LIT_CONTEXTS; c++) maxDistinct = max(maxDistinct, distinctOf(counts(c), LIT_CODES));
    const litLog = chooseTableLog(nLit, maxDistinct, LIT_MAX_LOG);
    wU8(<u32>litLog);
    for (let c = 0; c < LIT_CONTEXTS; c++) {
      let total = 0;
      const cnt = counts(c);
      for (let s = 0; s < LIT_CODES; s++) total += load<i32>(cnt + (<usize>s << 2));
      if (total == 0) {
        wU8(TABLE_UNUSED);
        continue;
      }
      const mode = chooseTable(c, total, litLog, true);
      wU8(mode);
      if (mode == TABLE_NEW) writeCounts(histNorm(c), LIT_CODES, litLog);
      buildEncodeTable(histNorm(c), LIT_CODES, litLog, encStart(c), encStates(c));
    }
    // The literal stream goes after its varint length; literals need at most 11 bits each, so
    // reserve a 5-byte varint slot, write the stream after it, then move it into place.
    const lenAt = wPos();
    const streamAt = lenAt + 5;
    wStart(streamAt);
    const last = nLit - 1;
    let c = <i32>load<u8>(litCtx + <usize>last);
    let state = initState(<i32>load<u8>(litSym + <usize>last), encStart(c), encStates(c));
    for (let i = last - 1; i >= 0; i--) {
      c = <i32>load<u8>(litCtx + <usize>i);
      state = encodeSym(state, <i32>load<u8>(litSym + <usize>i), litLog, histNorm(c), encStart(c), encStates(c));
    }
    wBitsPut(state - (<u32>1 << <u32>litLog), <u32>litLog);
    wCloseStream();
    const streamLen = <i32>(wPos() - streamAt);
    wStart(lenAt);
    wVarint(<u32>streamLen);
    const dst = wPos();
    memory.copy(dst, streamAt, <usize>streamLen);
    wStart(dst + <usize>streamLen);
  }

  if (n > 0) {
    for (let i = 0; i < n; i++) {
      const o = <usize>i << 2;
      const llc = lenCode(load<i32>(seqLL + o), LL_DIRECT_LOG);
      const mlc = lenCode(load<i32>(seqML + o) - MIN_MATCH, ML_DIRECT_LOG);
      const ofc = highbit(<u32>load<i32>(seqOF + o));
      store<u8>(codeLL + <usize>i, <u8>llc);
      store<u8>(codeML + <usize>i, <u8>mlc);
      store<u8>(codeOF + <usize>i, <u8>ofc);
      bumpCount(SLOT_LL, llc);
      bumpCount(SLOT_OF, ofc);
      bumpCount(SLOT_ML, mlc);
    }
    for (let k = 0; k < 3; k++) {
      const slot = k == 0 ? SLOT_LL : k == 1 ? SLOT_OF : SLOT_ML;
      const alphabet = slotAlphabet(slot);
      const log = chooseTableLog(n, distinctOf(counts(slot), alphabet), slotMaxLog(slot));
      const mode = chooseTable(slot, n, log, false);
      wU8(mode);
      if (mode == TABLE_NEW) {
        wU8(<u32>log);
        writeCounts(histNorm(slot), alphabet, log);
      }
      buildEncodeTable(histNorm(slot), alphabet, histLog(slot), encStart(slot), encStates(slot));
    }
    const gLL = histLog(SLOT_LL);
    const gOF = histLog(SLOT_OF);
    const gML = histLog(SLOT_ML);
    const nLL = histNorm(SLOT_LL), sLLp = encStart(SLOT_LL), tLL = encStates(SLOT_LL);
    const nOF = histNorm(SLOT_OF), sOFp = encStart(SLOT_OF), tOF = encStates(SLOT_OF);
    const nML = histNorm(SLOT_ML), sMLp = encStart(SLOT_ML), tML = encStates(SLOT_ML);
    const last = n - 1;
    let sLL = initState(<i32>load<u8>(codeLL + <usize>last), sLLp, tLL);
    let sOF = initState(<i32>load<u8>(codeOF + <usize>last), sOFp, tOF);
    let sML = initState(<i32>load<u8>(codeML + <usize>last), sMLp, tML);
    writeExtras(last, seqLL, seqML, seqOF);
    for (let i = last - 1; i >= 0; i--) {
      sOF = encodeSym(sOF, <i32>load<u8>(codeOF + <usize>i), gOF, nOF, sOFp, tOF);
      sML = encodeSym(sML, <i32>load<u8>(codeML + <usize>i), gML, nML, sMLp, tML);
      sLL = encodeSym(sLL, <i32>load<u8>(codeLL + <usize>i), gLL, nLL, sLLp, tLL);
      writeExtras(i, seqLL, seqML, seqOF);
    }
    wBitsPut(sML - (<u32>1 << <u32>gML), <u32>gML);
    wBitsPut(sOF - (<u32>1 << <u32>gOF), <u32>gOF);
    wBitsPut(sLL - (<u32>1 << <u32>gLL), <u32>gLL);
    wCloseStream();
  }
  return <i32>(wPos() - out);
}

// @ts-ignore: decorator
@inline function writeExtras(i: i32, seqLL: usize, seqML: usize, seqOF: usize): void {
  const o = <usize>i << 2;
  const llc = <i32>load<u8>(codeLL + <usize>i);
  const mlc = <i32>load<u8>(codeML + <usize>i);
  const ofc = <i32>load<u8>(codeOF + <usize>i);
  wBitsPut(<u32>(load<i32>(seqLL + o) - lenCodeBase(llc, LL_DIRECT_LOG)), <u32>lenCodeBits(llc, LL_DIRECT_LOG));
  wBitsPut(<u32>(load<i32>(seqML + o) - MIN_MATCH - lenCodeBase(mlc, ML_DIRECT_LOG)), <u32>lenCodeBits(mlc, ML_DIRECT_LOG));
  wBitsPut(<u32>load<i32>(seqOF + o) - (<u32>1 << <u32>ofc), <u32>ofc);
}
