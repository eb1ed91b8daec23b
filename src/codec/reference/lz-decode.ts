// Block decoder of the lz reference codec. Every count, length and offset read from the input is
// checked before use: a hostile block yields an error code, never an out-of-range access.
import { BackwardBits, ForwardBits } from './lz-bits.js';
import { buildDecodeTable, readCounts } from './lz-fse.js';
import {
  byteClass, LIT_CODES, LIT_CONTEXTS, LIT_MAX_LOG, LL_CODES, LL_DIRECT_LOG, LL_MAX_LOG, lenCodeBase, lenCodeBits,
  MIN_MATCH, MIN_TABLE_LOG, ML_CODES, ML_DIRECT_LOG, ML_MAX_LOG, OF_CODES, OF_MAX_LOG, TABLE_NEW, TABLE_REUSE,
  TABLE_UNUSED,
} from './lz-format.js';
import { CODEC_ERROR_CODES } from '../errors.js';

const CORRUPT = CODEC_ERROR_CODES.CORRUPT;
const TRUNCATED = CODEC_ERROR_CODES.TRUNCATED;
const ALPHABET = [LIT_CODES, LIT_CODES, LIT_CODES, LIT_CODES, LL_CODES, OF_CODES, ML_CODES];
const MAX_LOG = [LIT_MAX_LOG, LIT_MAX_LOG, LIT_MAX_LOG, LIT_MAX_LOG, LL_MAX_LOG, OF_MAX_LOG, ML_MAX_LOG];

/** Per-frame decoder state: decode tables by slot (as the encoder's TableHistory) and repeat offsets. */
export class DecoderState {
  readonly tables: Uint32Array[] = MAX_LOG.map((l) => new Uint32Array(1 << l));
  readonly log = new Int32Array(LIT_CONTEXTS + 3);
  readonly reps = Int32Array.of(1, 4, 8);
  private readonly norm = new Int32Array(LIT_CODES);

  /** Reads one table description (mode already read); returns false if invalid. */
  readTable(r: ForwardBits, slot: number, mode: number, log: number): boolean {
    if (mode === TABLE_REUSE) return this.log[slot] > 0 && (log === 0 || this.log[slot] === log);
    if (mode !== TABLE_NEW || log < MIN_TABLE_LOG || log > MAX_LOG[slot]) return false;
    if (!readCounts(r, this.norm, ALPHABET[slot], log)) return false;
    buildDecodeTable(this.norm, ALPHABET[slot], log, this.tables[slot]);
    this.log[slot] = log;
    return true;
  }
}

/** LEB128 u32 at src[pos..end): returns [value, nextPos] or a negative error in [0]. */
export function readVarint(src: Uint8Array, pos: number, end: number): [number, number] {
  let v = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= end) return [TRUNCATED, pos];
    const b = src[pos++];
    if (shift === 28 && b > 15) return [CORRUPT, pos];
    v += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [v, pos];
  }
  return [CORRUPT, pos];
}

/**
 * Decodes the payload src[start, end) into out[op, opEnd) (positions are frame-absolute: matches
 * may reach back into earlier blocks). Returns 0 or a negative error code.
 */
export function decodeBlock(src: Uint8Array, start: number, end: number, out: Uint8Array, op: number, opEnd: number, st: DecoderState): number {
  let pos = start;
  let nLit: number;
  let nSeq: number;
  [nLit, pos] = readVarint(src, pos, end);
  if (nLit < 0) return nLit;
  [nSeq, pos] = readVarint(src, pos, end);
  if (nSeq < 0) return nSeq;
  const rawSize = opEnd - op;
  if (nLit > rawSize || nSeq * MIN_MATCH > rawSize - nLit) return CORRUPT;

  const litPresent = new Uint8Array(LIT_CONTEXTS);
  let litLog = 0;
  let lit: BackwardBits | null = null;
  if (nLit > 0) {
    if (pos >= end) return TRUNCATED;
    litLog = src[pos++];
    if (litLog < MIN_TABLE_LOG || litLog > LIT_MAX_LOG) return CORRUPT;
    for (let c = 0; c < LIT_CONTEXTS; c++) {
      if (pos >= end) return TRUNCATED;
      const mode = src[pos++];
      if (mode === TABLE_UNUSED) continue;
      const r = new ForwardBits(src, pos, end);
      if (!st.readTable(r, c, mode, litLog)) return CORRUPT;
      pos = r.bytePos();
      litPresent[c] = 1;
    }
    let len: number;
    [len, pos] = readVarint(src, pos, end);
    if (len < 0) return len;
    if (len > end - pos) return TRUNCATED;
    lit = new BackwardBits(src, pos, pos + len);
    pos += len;
  }

  let seq: BackwardBits | null = null;
  const seqSlots = [LIT_CONTEXTS, LIT_CONTEXTS + 1, LIT_CONTEXTS + 2];
  if (nSeq > 0) {
    for (const slot of seqSlots) {
      if (pos >= end) return TRUNCATED;
      const mode = src[pos++];
      let log = 0;
      if (mode === TABLE_NEW) {
        if (pos >= end) return TRUNCATED;
        log = src[pos++];
      }
      const r = new ForwardBits(src, pos, end);
      if (!st.readTable(r, slot, mode, log)) return CORRUPT;
      pos = r.bytePos();
    }
    seq = new BackwardBits(src, pos, end);
  } else if (pos !== end) return CORRUPT;

  const litTables = st.tables;
  let litState = lit ? lit.read(litLog) : 0;
  let litLeft = nLit;
  const reps = st.reps;
  const decodeLiterals = (count: number): boolean => {
    if (count > litLeft || count > opEnd - op) return false;
    for (let k = 0; k < count; k++) {
      const c = byteClass(op > 0 ? out[op - 1] : 0);
      if (!litPresent[c]) return false;
      const e = litTables[c][litState];
      out[op++] = e & 0xff;
      if (--litLeft > 0) litState = (e >>> 16) + lit!.read((e >>> 8) & 0xff);
    }
    return true;
  };

  if (seq) {
    const [dLL, dOF, dML] = seqSlots.map((s) => st.tables[s]);
    const [gLL, gOF, gML] = seqSlots.map((s) => st.log[s]);
    let sLL = seq.read(gLL);
    let sOF = seq.read(gOF);
    let sML = seq.read(gML);
    for (let i = 0; i < nSeq; i++) {
      const eLL = dLL[sLL];
      const eOF = dOF[sOF];
      const eML = dML[sML];
      const ofCode = eOF & 0xff;
      const mlCode = eML & 0xff;
      const llCode = eLL & 0xff;
      const ofv = (1 << ofCode) + seq.read(ofCode);
      const ml = lenCodeBase(mlCode, ML_DIRECT_LOG) + seq.read(lenCodeBits(mlCode, ML_DIRECT_LOG)) + MIN_MATCH;
      const ll = lenCodeBase(llCode, LL_DIRECT_LOG) + seq.read(lenCodeBits(llCode, LL_DIRECT_LOG));
      if (i < nSeq - 1) {
        sLL = (eLL >>> 16) + seq.read((eLL >>> 8) & 0xff);
        sML = (eML >>> 16) + seq.read((eML >>> 8) & 0xff);
        sOF = (eOF >>> 16) + seq.read((eOF >>> 8) & 0xff);
      }
      if (!decodeLiterals(ll)) return CORRUPT;
      let off: number;
      if (ofv > 3) {
        off = ofv - 3;
        reps[2] = reps[1];
        reps[1] = reps[0];
        reps[0] = off;
      } else if (ofv === 1) off = reps[0];
      else if (ofv === 2) {
        off = reps[1];
        reps[1] = reps[0];
        reps[0] = off;
      } else {
        off = reps[2];
        reps[2] = reps[1];
        reps[1] = reps[0];
        reps[0] = off;
      }
      if (off > op || ml > opEnd - op) return CORRUPT;
      for (let k = 0; k < ml; k++, op++) out[op] = out[op - off];
    }
    if (!seq.finished()) return CORRUPT;
  }
  if (litLeft !== opEnd - op || !decodeLiterals(litLeft)) return CORRUPT;
  if (lit && !lit.finished()) return CORRUPT;
  return 0;
}
