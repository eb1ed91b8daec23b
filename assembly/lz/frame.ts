// lz frame encode/decode on raw memory (twin of src/codec/reference/lz.ts). The bridge lays out input,
// output and work regions in the scratch area and passes pointers; sizes come from lzWorkBytes() and
// lzCompressBound().
import {
  BLOCK_BYTES, BLOCK_LZ, BLOCK_RAW, E_CHECKSUM, E_CORRUPT, E_INVALID, E_TOO_LARGE, E_TRUNCATED, E_UNSUPPORTED,
  FRAME_HEADER_BYTES, LZ_MAGIC0, LZ_MAGIC1, LZ_MAGIC2, LZ_MAX_OUTPUT_BYTES, LZ_VERSION, MAX_BLOCK_BYTES,
} from './format';
import { hashLogFor, mfInit, parseLazy, rep0, rep1, rep2, repsReset, repsSet, seqInit, windowLogFor } from './match';
import { ENCODE_TABLE_BYTES, encodeBlock, encodeInit, histReset, histRestore, histSave } from './encode';
import { DECODE_TABLE_BYTES, decodeBlock, decoderReset, readVarint } from './decode';
import { wStart, wU8, wVarint, wPos } from './bits';
import { crc32cUpdate } from '../checksum';

const SEQ_CAP: i32 = (BLOCK_BYTES >> 1) + 1;
/** Worst-case payload of one block before the raw fallback kicks in (11-bit literals, 11-byte sequences). */
const PAYLOAD_CAP: i32 = BLOCK_BYTES * 6 + 65536;

/** Largest frame compress() can produce for n input bytes. */
export function lzCompressBound(n: i32): i32 {
  const blocks = (n + BLOCK_BYTES - 1) / BLOCK_BYTES;
  return FRAME_HEADER_BYTES + n + blocks * 11 + 16;
}

/** Scratch the compressor needs beyond input and output (match finder tables + block arrays). */
export function lzWorkBytes(n: i32, level: i32): i32 {
  return (4 << hashLogFor(n, level)) + (4 << windowLogFor(n)) + SEQ_CAP * 12 + BLOCK_BYTES * 2 + SEQ_CAP * 3 + PAYLOAD_CAP + ENCODE_TABLE_BYTES + 128;
}

/** Scratch the decompressor needs beyond input and output. */
export function lzDecodeWorkBytes(): i32 {
  return DECODE_TABLE_BYTES + 16;
}

// @ts-ignore: decorator
@inline function align16(p: usize): usize {
  return (p + 15) & ~(<usize>15);
}

/**
 * Compresses [inPtr, inPtr + n) (followed by at least 8 readable bytes) to outPtr; returns the frame
 * length or a negative error. level: 0 fast, 1 default, 2 max.
 */
export function lzCompress(inPtr: usize, n: i32, outPtr: usize, work: usize, level: i32): i32 {
  if (level < 0 || level > 2 || n < 0) return E_INVALID;
  if (n > LZ_MAX_OUTPUT_BYTES) return E_TOO_LARGE;
  const hashLog = hashLogFor(n, level);
  const windowLog = windowLogFor(n);
  let p = align16(work);
  const head = p;
  p = align16(p + (<usize>4 << hashLog));
  const chain = p;
  p = align16(p + (<usize>4 << windowLog));
  const seqLL = p;
  const seqML = seqLL + <usize>SEQ_CAP * 4;
  const seqOF = seqML + <usize>SEQ_CAP * 4;
  p = align16(seqOF + <usize>SEQ_CAP * 4);
  const litSym = p;
  const litCtx = litSym + <usize>BLOCK_BYTES;
  const codes = litCtx + <usize>BLOCK_BYTES;
  const payload = align16(codes + <usize>SEQ_CAP * 3);
  const tables = align16(payload + <usize>PAYLOAD_CAP);
  mfInit(inPtr, head, hashLog, chain, windowLog);
  seqInit(seqLL, seqML, seqOF);
  encodeInit(tables, litSym, litCtx, codes, codes + <usize>SEQ_CAP, codes + <usize>SEQ_CAP * 2);
  repsReset();
  histReset();

  wStart(outPtr);
  wU8(LZ_MAGIC0);
  wU8(LZ_MAGIC1);
  wU8(LZ_MAGIC2);
  wU8(LZ_VERSION);
  store<u32>(outPtr + 4, <u32>n);
  store<u32>(outPtr + 8, crc32cUpdate(inPtr, <usize>n, 0));
  let op = outPtr + <usize>FRAME_HEADER_BYTES;
  for (let start = 0; start < n; start += BLOCK_BYTES) {
    const end = min(n, start + BLOCK_BYTES);
    const s0 = rep0, s1 = rep1, s2 = rep2;
    histSave();
    parseLazy(start, end, level);
    const plen = encodeBlock(inPtr, start, end, seqLL, seqML, seqOF, payload);
    wStart(op);
    if (plen < end - start) {
      wU8(BLOCK_LZ);
      wVarint(<u32>(end - start));
      wVarint(<u32>plen);
      memory.copy(wPos(), payload, <usize>plen);
      op = wPos() + <usize>plen;
    } else {
      repsSet(s0, s1, s2);
      histRestore();
      wU8(BLOCK_RAW);
      wVarint(<u32>(end - start));
      memory.copy(wPos(), inPtr + <usize>start, <usize>(end - start));
      op = wPos() + <usize>(end - start);
    }
  }
  return <i32>(op - outPtr);
}

/** Raw length declared by the frame header, or a negative error (bad magic/version, over the limit). */
export function lzFrameRawLength(inPtr: usize, len: i32): i32 {
  if (len < FRAME_HEADER_BYTES) return E_TRUNCATED;
  if (load<u8>(inPtr) != LZ_MAGIC0 || load<u8>(inPtr, 1) != LZ_MAGIC1 || load<u8>(inPtr, 2) != LZ_MAGIC2) return E_CORRUPT;
  if (load<u8>(inPtr, 3) != LZ_VERSION) return E_UNSUPPORTED;
  const n = load<u32>(inPtr, 4);
  if (n > <u32>LZ_MAX_OUTPUT_BYTES) return E_TOO_LARGE;
  return <i32>n;
}

/**
 * Decompresses the frame [inPtr, inPtr + len) (followed by 8 readable padding bytes) into outPtr,
 * which has room for exactly lzFrameRawLength() bytes; `work` has lzDecodeWorkBytes(). Returns 0 or
 * a negative error.
 */
export function lzDecompress(inPtr: usize, len: i32, outPtr: usize, work: usize): i32 {
  const n = lzFrameRawLength(inPtr, len);
  if (n < 0) return n;
  decoderReset(align16(work));
  const end = inPtr + <usize>len;
  let pos = inPtr + <usize>FRAME_HEADER_BYTES;
  let op = 0;
  while (op < n) {
    if (pos >= end) return E_TRUNCATED;
    const type = load<u8>(pos);
    pos++;
    let rc = readVarint(pos, end);
    if (rc < 0) return rc;
    const size = readVarintValue();
    pos = readVarintPos();
    if (size == 0 || size > MAX_BLOCK_BYTES || size > n - op) return E_CORRUPT;
    if (type == BLOCK_RAW) {
      if (<usize>size > end - pos) return E_TRUNCATED;
      memory.copy(outPtr + <usize>op, pos, <usize>size);
      pos += <usize>size;
    } else if (type == BLOCK_LZ) {
      rc = readVarint(pos, end);
      if (rc < 0) return rc;
      const plen = <usize>readVarintValue();
      pos = readVarintPos();
      if (plen > end - pos) return E_TRUNCATED;
      rc = decodeBlock(pos, pos + plen, outPtr, op, op + size);
      if (rc < 0) return rc;
      pos += plen;
    } else return E_CORRUPT;
    op += size;
  }
  if (pos != end) return E_CORRUPT;
  if (crc32cUpdate(outPtr, <usize>n, 0) != load<u32>(inPtr, 8)) return E_CHECKSUM;
  return 0;
}

import { varintValue as readVarintValue, varintPos as readVarintPos } from './decode';
