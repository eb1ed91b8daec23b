// Block decoder (twin of src/codec/reference/lz-decode.ts). Every count, length and offset is checked
// before use; a hostile payload returns a negative error code. Readers may look up to 3 bytes past a
// stream's end: the bridge pads the input with 8 zero bytes.
import {
  byteClass, E_CORRUPT, E_TRUNCATED, LIT_CODES, LIT_CONTEXTS, LIT_MAX_LOG, LL_DIRECT_LOG, lenCodeBase, lenCodeBits,
  MIN_MATCH, MIN_TABLE_LOG, ML_DIRECT_LOG, SLOT_LL, SLOT_ML, SLOT_OF, SLOTS, slotAlphabet, slotMaxLog, TABLE_NEW,
  TABLE_REUSE, TABLE_UNUSED,
} from './format';
import { buildDecodeTable, readCounts } from './fse';
import { aFinished, aRead, aStart, bFinished, bRead, bStart, fBytePos, fStart } from './bits';

const TABLE_BYTES: usize = (1 << 11) * 4;
// Decode tables live in the caller's scratch (set by decoderReset): static data must fit one page.
let DEC_TABLES: usize = 0;
/** Scratch bytes the decoder's tables need. */
export const DECODE_TABLE_BYTES: i32 = SLOTS * (1 << 11) * 4;
const DEC_LOG: usize = memory.data(SLOTS * 4, 16);
const NORM: usize = memory.data(256 * 4, 16);
const PRESENT: usize = memory.data(LIT_CONTEXTS);

export let drep0: i32 = 1;
export let drep1: i32 = 4;
export let drep2: i32 = 8;

export function decoderReset(tables: usize): void {
  DEC_TABLES = tables;
  memory.fill(DEC_LOG, 0, SLOTS * 4);
  drep0 = 1;
  drep1 = 4;
  drep2 = 8;
}

// @ts-ignore: decorator
@inline function decLog(slot: i32): i32 {
  return load<i32>(DEC_LOG + (<usize>slot << 2));
}

function readTable(slot: i32, mode: u8, log: i32): bool {
  if (mode == TABLE_REUSE) return decLog(slot) > 0 && (log == 0 || decLog(slot) == log);
  if (mode != TABLE_NEW || log < MIN_TABLE_LOG || log > slotMaxLog(slot)) return false;
  if (!readCounts(NORM, slotAlphabet(slot), log)) return false;
  buildDecodeTable(NORM, slotAlphabet(slot), log, DEC_TABLES + <usize>slot * TABLE_BYTES);
  store<i32>(DEC_LOG + (<usize>slot << 2), log);
  return true;
}

// Varint reader result.
let vValue: i32 = 0;
let vPos: usize = 0;

export function varintValue(): i32 {
  return vValue;
}
export function varintPos(): usize {
  return vPos;
}

/** LEB128 u32 at [pos, end): returns 0 and sets vValue/vPos, or a negative error. */
export function readVarint(pos: usize, end: usize): i32 {
  let v: u32 = 0;
  for (let shift: u32 = 0; shift < 35; shift += 7) {
    if (pos >= end) return E_TRUNCATED;
    const b = <u32>load<u8>(pos);
    pos++;
    if (shift == 28 && b > 15) return E_CORRUPT;
    v |= (b & 0x7f) << shift;
    if (b < 0x80) {
      if (v > 0x7fffffff) return E_CORRUPT;
      vValue = <i32>v;
      vPos = pos;
      return 0;
    }
  }
  return E_CORRUPT;
}

// Literal decoder state for the current block.
let litState: u32 = 0;
let litLeft: i32 = 0;

/** Decodes `count` literals to out[op..]; returns the new op or -1. */
// @ts-ignore: decorator
@inline function decodeLiterals(out: usize, op: i32, opEnd: i32, count: i32): i32 {
  if (count > litLeft || count > opEnd - op) return -1;
  let state = litState;
  let left = litLeft;
  for (let k = 0; k < count; k++) {
    const c = byteClass(op > 0 ? <u32>load<u8>(out + <usize>(op - 1)) : 0);
    if (load<u8>(PRESENT + <usize>c) == 0) return -1;
    const e = load<u32>(DEC_TABLES + <usize>c * TABLE_BYTES + (<usize>state << 2));
    store<u8>(out + <usize>op, <u8>e);
    op++;
    left--;
    if (left > 0) state = (e >> 16) + aRead(<i32>((e >> 8) & 0xff));
  }
  litState = state;
  litLeft = left;
  return op;
}

/** Decodes payload [start, end) into out[op, opEnd) (frame-absolute positions). Returns 0 or an error. */
export function decodeBlock(start: usize, end: usize, out: usize, op: i32, opEnd: i32): i32 {
  let pos = start;
  let rc = readVarint(pos, end);
  if (rc < 0) return rc;
  const nLit = vValue;
  pos = vPos;
  rc = readVarint(pos, end);
  if (rc < 0) return rc;
  const nSeq = vValue;
  pos = vPos;
  const rawSize = opEnd - op;
  if (nLit > rawSize || <i64>nSeq * MIN_MATCH > <i64>(rawSize - nLit)) return E_CORRUPT;

  memory.fill(PRESENT, 0, LIT_CONTEXTS);
  let litLog = 0;
  if (nLit > 0) {
    if (pos >= end) return E_TRUNCATED;
    litLog = <i32>load<u8>(pos);
    pos++;
    if (litLog < MIN_TABLE_LOG || litLog > LIT_MAX_LOG) return E_CORRUPT;
    for (let c = 0; c < LIT_CONTEXTS; c++) {
      if (pos >= end) return E_TRUNCATED;
      const mode = load<u8>(pos);
      pos++;
      if (mode == TABLE_UNUSED) continue;
      fStart(pos, end);
      if (!readTable(c, mode, litLog)) return E_CORRUPT;
      pos = fBytePos();
      store<u8>(PRESENT + <usize>c, 1);
    }
    rc = readVarint(pos, end);
    if (rc < 0) return rc;
    pos = vPos;
    const len = <usize>vValue;
    if (len > end - pos) return E_TRUNCATED;
    aStart(pos, pos + len);
    pos += len;
    litState = aRead(litLog);
  } else {
    aStart(0, 0);
    litState = 0;
  }
  litLeft = nLit;

  if (nSeq > 0) {
    for (let k = 0; k < 3; k++) {
      const slot = k == 0 ? SLOT_LL : k == 1 ? SLOT_OF : SLOT_ML;
      if (pos >= end) return E_TRUNCATED;
      const mode = load<u8>(pos);
      pos++;
      let log = 0;
      if (mode == TABLE_NEW) {
        if (pos >= end) return E_TRUNCATED;
        log = <i32>load<u8>(pos);
        pos++;
      }
      fStart(pos, end);
      if (!readTable(slot, mode, log)) return E_CORRUPT;
      pos = fBytePos();
    }
    bStart(pos, end);
    const dLL = DEC_TABLES + <usize>SLOT_LL * TABLE_BYTES;
    const dOF = DEC_TABLES + <usize>SLOT_OF * TABLE_BYTES;
    const dML = DEC_TABLES + <usize>SLOT_ML * TABLE_BYTES;
    let sLL = bRead(decLog(SLOT_LL));
    let sOF = bRead(decLog(SLOT_OF));
    let sML = bRead(decLog(SLOT_ML));
    let r0 = drep0;
    let r1 = drep1;
    let r2 = drep2;
    for (let i = 0; i < nSeq; i++) {
      const eLL = load<u32>(dLL + (<usize>sLL << 2));
      const eOF = load<u32>(dOF + (<usize>sOF << 2));
      const eML = load<u32>(dML + (<usize>sML << 2));
      const ofCode = <i32>(eOF & 0xff);
      const mlCode = <i32>(eML & 0xff);
      const llCode = <i32>(eLL & 0xff);
      const ofv = (1 << ofCode) + <i32>bRead(ofCode);
      const ml = lenCodeBase(mlCode, ML_DIRECT_LOG) + <i32>bRead(lenCodeBits(mlCode, ML_DIRECT_LOG)) + MIN_MATCH;
      const ll = lenCodeBase(llCode, LL_DIRECT_LOG) + <i32>bRead(lenCodeBits(llCode, LL_DIRECT_LOG));
      if (i < nSeq - 1) {
        sLL = (eLL >> 16) + bRead(<i32>((eLL >> 8) & 0xff));
        sML = (eML >> 16) + bRead(<i32>((eML >> 8) & 0xff));
        sOF = (eOF >> 16) + bRead(<i32>((eOF >> 8) & 0xff));
      }
      if (ll > 0) {
        op = decodeLiterals(out, op, opEnd, ll);
        if (op < 0) return E_CORRUPT;
      }
      let off: i32;
      if (ofv > 3) {
        off = ofv - 3;
        r2 = r1;
        r1 = r0;
        r0 = off;
      } else if (ofv == 1) off = r0;
      else if (ofv == 2) {
        off = r1;
        r1 = r0;
        r0 = off;
      } else {
        off = r2;
        r2 = r1;
        r1 = r0;
        r0 = off;
      }
      if (off > op || ml > opEnd - op) return E_CORRUPT;
      const d = out + <usize>op;
      if (off >= ml) memory.copy(d, d - <usize>off, <usize>ml);
      else {
        // Overlapping: with off >= 8 an 8-byte chunk never reads bytes it is about to write.
        let k = 0;
        if (off >= 8) for (; k + 8 <= ml; k += 8) store<u64>(d + <usize>k, load<u64>(d + <usize>k - <usize>off));
        for (; k < ml; k++) store<u8>(d + <usize>k, load<u8>(d + <usize>k - <usize>off));
      }
      op += ml;
    }
    drep0 = r0;
    drep1 = r1;
    drep2 = r2;
    if (!bFinished()) return E_CORRUPT;
  } else if (pos != end) return E_CORRUPT;
  if (litLeft != opEnd - op) return E_CORRUPT;
  if (litLeft > 0) {
    op = decodeLiterals(out, op, opEnd, litLeft);
    if (op < 0) return E_CORRUPT;
  }
  if (nLit > 0 && !aFinished()) return E_CORRUPT;
  return 0;
}
