// Entropy stage of the lz reference encoder: turns one block's sequences into the block payload
// (literal section with per-context FSE tables, sequence section with LL/OF/ML tables).
import { ByteOut } from './lz-bits.js';
import { chooseTableLog, EncodeTable, normalize, symbolCost, writeCounts } from './lz-fse.js';
import {
  byteClass, LIT_CODES, LIT_CONTEXTS, LIT_MAX_LOG, LL_CODES, LL_DIRECT_LOG, LL_MAX_LOG, lenCode, lenCodeBase,
  lenCodeBits, MIN_MATCH, ML_CODES, ML_DIRECT_LOG, ML_MAX_LOG, OF_CODES, OF_MAX_LOG, TABLE_NEW, TABLE_REUSE,
  TABLE_UNUSED, highbit,
} from './lz-format.js';
import type { Sequences } from './lz-match.js';

/** Table slots: literal contexts 0..3, then LL, OF, ML. */
export const SLOT_LL = LIT_CONTEXTS;
export const SLOT_OF = LIT_CONTEXTS + 1;
export const SLOT_ML = LIT_CONTEXTS + 2;
export const SLOTS = LIT_CONTEXTS + 3;
const ALPHABET = [LIT_CODES, LIT_CODES, LIT_CODES, LIT_CODES, LL_CODES, OF_CODES, ML_CODES];
const MAX_LOG = [LIT_MAX_LOG, LIT_MAX_LOG, LIT_MAX_LOG, LIT_MAX_LOG, LL_MAX_LOG, OF_MAX_LOG, ML_MAX_LOG];

/** Tables carried from block to block (a block may reuse the previous one instead of sending counts). */
export class TableHistory {
  readonly norm: Int32Array[] = ALPHABET.map((a) => new Int32Array(a));
  readonly log = new Int32Array(SLOTS); // 0 = none yet

  copyFrom(o: TableHistory): void {
    for (let i = 0; i < SLOTS; i++) this.norm[i].set(o.norm[i]);
    this.log.set(o.log);
  }
}

interface Choice {
  mode: number;
  log: number;
  norm: Int32Array;
}

/** New table vs the previous block's: whichever costs fewer bits including the count header. */
function chooseTable(counts: Int32Array, slot: number, total: number, log: number, hist: TableHistory, sameLogOnly: boolean): Choice {
  const alphabet = ALPHABET[slot];
  const norm = new Int32Array(alphabet);
  normalize(counts, alphabet, total, log, norm);
  const hdr = new ByteOut(64);
  writeCounts(hdr, norm, alphabet, log);
  let costNew = hdr.pos * 8 * 256 + (sameLogOnly ? 0 : 8 * 256);
  for (let s = 0; s < alphabet; s++) if (counts[s] > 0) costNew += counts[s] * symbolCost(norm[s], log);
  const plog = hist.log[slot];
  if (plog > 0 && (!sameLogOnly || plog === log)) {
    const pn = hist.norm[slot];
    let costOld = 0;
    let ok = true;
    for (let s = 0; s < alphabet; s++) {
      if (counts[s] === 0) continue;
      if (pn[s] === 0) {
        ok = false;
        break;
      }
      costOld += counts[s] * symbolCost(pn[s], plog);
    }
    if (ok && costOld <= costNew) return { mode: TABLE_REUSE, log: plog, norm: pn.slice() };
  }
  return { mode: TABLE_NEW, log, norm };
}

function distinctOf(counts: Int32Array, alphabet: number): number {
  let d = 0;
  for (let s = 0; s < alphabet; s++) if (counts[s] > 0) d++;
  return d;
}

/**
 * Encodes the block [start, end) of `src` parsed into `seqs`. Reads and updates `hist` (the caller
 * keeps a copy to roll back if it stores the block raw instead). Returns the payload.
 */
export function encodeBlock(src: Uint8Array, start: number, end: number, seqs: Sequences, hist: TableHistory): Uint8Array {
  const n = seqs.count;
  // Literals in order with their context (class of the byte before each literal).
  let nLit = end - start;
  for (let i = 0; i < n; i++) nLit -= seqs.ml[i];
  const litSym = new Uint8Array(nLit);
  const litCtx = new Uint8Array(nLit);
  const litCounts = Array.from({ length: LIT_CONTEXTS }, () => new Int32Array(LIT_CODES));
  {
    let pos = start;
    let k = 0;
    for (let i = 0; i <= n; i++) {
      const ll = i < n ? seqs.ll[i] : nLit - k;
      for (let j = 0; j < ll; j++, pos++, k++) {
        const c = byteClass(pos > 0 ? src[pos - 1] : 0);
        litSym[k] = src[pos];
        litCtx[k] = c;
        litCounts[c][src[pos]]++;
      }
      if (i < n) pos += seqs.ml[i];
    }
  }
  const out = new ByteOut(((end - start) >> 1) + 256);
  out.varint(nLit);
  out.varint(n);

  if (nLit > 0) {
    let maxDistinct = 0;
    for (let c = 0; c < LIT_CONTEXTS; c++) maxDistinct = Math.max(maxDistinct, distinctOf(litCounts[c], LIT_CODES));
    const litLog = chooseTableLog(nLit, maxDistinct, LIT_MAX_LOG);
    out.u8(litLog);
    const tables: EncodeTable[] = [];
    for (let c = 0; c < LIT_CONTEXTS; c++) {
      let total = 0;
      for (let s = 0; s < LIT_CODES; s++) total += litCounts[c][s];
      const t = new EncodeTable(LIT_CODES, LIT_MAX_LOG);
      tables.push(t);
      if (total === 0) {
        out.u8(TABLE_UNUSED);
        continue;
      }
      const ch = chooseTable(litCounts[c], c, total, litLog, hist, true);
      out.u8(ch.mode);
      if (ch.mode === TABLE_NEW) writeCounts(out, ch.norm, LIT_CODES, litLog);
      hist.norm[c].set(ch.norm);
      hist.log[c] = litLog;
      t.build(ch.norm, LIT_CODES, litLog);
    }
    const s = new ByteOut(nLit + 16);
    let state = tables[litCtx[nLit - 1]].initState(litSym[nLit - 1]);
    for (let i = nLit - 2; i >= 0; i--) state = tables[litCtx[i]].encode(s, state, litSym[i]);
    s.bits(state - (1 << litLog), litLog);
    s.closeStream();
    out.varint(s.pos);
    out.bytes(s.result());
  }

  if (n > 0) {
    const llc = new Uint8Array(n);
    const mlc = new Uint8Array(n);
    const ofc = new Uint8Array(n);
    const counts = [new Int32Array(LL_CODES), new Int32Array(OF_CODES), new Int32Array(ML_CODES)];
    for (let i = 0; i < n; i++) {
      llc[i] = lenCode(seqs.ll[i], LL_DIRECT_LOG);
      mlc[i] = lenCode(seqs.ml[i] - MIN_MATCH, ML_DIRECT_LOG);
      ofc[i] = highbit(seqs.ofv[i]);
      counts[0][llc[i]]++;
      counts[1][ofc[i]]++;
      counts[2][mlc[i]]++;
    }
    const t: EncodeTable[] = [];
    const slots = [SLOT_LL, SLOT_OF, SLOT_ML];
    for (let k = 0; k < 3; k++) {
      const slot = slots[k];
      const alphabet = ALPHABET[slot];
      const log = chooseTableLog(n, distinctOf(counts[k], alphabet), MAX_LOG[slot]);
      const ch = chooseTable(counts[k], slot, n, log, hist, false);
      out.u8(ch.mode);
      if (ch.mode === TABLE_NEW) {
        out.u8(ch.log);
        writeCounts(out, ch.norm, alphabet, ch.log);
      }
      hist.norm[slot].set(ch.norm);
      hist.log[slot] = ch.log;
      const et = new EncodeTable(alphabet, MAX_LOG[slot]);
      et.build(ch.norm, alphabet, ch.log);
      t.push(et);
    }
    const [tLL, tOF, tML] = t;
    const extras = (i: number) => {
      out.bits(seqs.ll[i] - lenCodeBase(llc[i], LL_DIRECT_LOG), lenCodeBits(llc[i], LL_DIRECT_LOG));
      out.bits(seqs.ml[i] - MIN_MATCH - lenCodeBase(mlc[i], ML_DIRECT_LOG), lenCodeBits(mlc[i], ML_DIRECT_LOG));
      out.bits(seqs.ofv[i] - (1 << ofc[i]), ofc[i]);
    };
    let sLL = tLL.initState(llc[n - 1]);
    let sOF = tOF.initState(ofc[n - 1]);
    let sML = tML.initState(mlc[n - 1]);
    extras(n - 1);
    for (let i = n - 2; i >= 0; i--) {
      sOF = tOF.encode(out, sOF, ofc[i]);
      sML = tML.encode(out, sML, mlc[i]);
      sLL = tLL.encode(out, sLL, llc[i]);
      extras(i);
    }
    out.bits(sML - (1 << tML.tableLog), tML.tableLog);
    out.bits(sOF - (1 << tOF.tableLog), tOF.tableLog);
    out.bits(sLL - (1 << tLL.tableLog), tLL.tableLog);
    out.closeStream();
  }
  return out.result();
}
