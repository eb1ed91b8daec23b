// Paging cursors: the (tsNs, seq) key of the last entry a page returned, plus the order it was read
// in, as an opaque base64url string. (tsNs, seq) is a total order over stored entries (seq is the
// engine's unique write sequence), so "strictly after the cursor" never repeats nor drops an entry,
// even when many entries share one timestamp.
//
// Bytes (little-endian, 18): [u8 version=1][u8 order: 0 desc, 1 asc][i64 tsNs][u64 seq]
import { Buffer } from 'node:buffer';
import { LogsError } from '../errors.js';

export type LogOrder = 'desc' | 'asc';

/** A decoded cursor: the key of the last entry already returned. Plain data (structured-clone safe). */
export interface LogCursor {
  tsNs: bigint;
  seq: number;
  order: LogOrder;
}

const CURSOR_VERSION = 1;
const CURSOR_BYTES = 18;
/** base64url without padding of 18 bytes. */
const CURSOR_CHARS = 24;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

export function encodeCursor(cursor: LogCursor): string {
  const { tsNs, seq, order } = cursor;
  if (typeof tsNs !== 'bigint' || tsNs < I64_MIN || tsNs > I64_MAX) throw new RangeError(`cursor tsNs ${String(tsNs)} is not an i64`);
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`cursor seq ${seq} is not a safe non-negative integer`);
  const buf = Buffer.alloc(CURSOR_BYTES);
  buf.writeUInt8(CURSOR_VERSION, 0);
  buf.writeUInt8(order === 'asc' ? 1 : 0, 1);
  buf.writeBigInt64LE(tsNs, 2);
  buf.writeBigUInt64LE(BigInt(seq), 10);
  return buf.toString('base64url');
}

/** Throws LogsError INVALID_CURSOR for anything encodeCursor did not produce. */
export function decodeCursor(text: unknown): LogCursor {
  if (typeof text !== 'string') throw bad(`cursor must be a string, got ${typeof text}`);
  // Node's base64url decoder skips characters it does not know, so check the alphabet and length first.
  if (text.length !== CURSOR_CHARS || !BASE64URL.test(text)) {
    throw bad('cursor is not one this engine produced (pass back the cursor of the previous answer unchanged)');
  }
  const buf = Buffer.from(text, 'base64url');
  if (buf.length !== CURSOR_BYTES) throw bad('cursor has the wrong length');
  const version = buf.readUInt8(0);
  if (version !== CURSOR_VERSION) throw bad(`cursor version ${version} is unknown to this build`);
  const orderByte = buf.readUInt8(1);
  if (orderByte > 1) throw bad(`cursor order byte ${orderByte} is invalid`);
  const seq = buf.readBigUInt64LE(10);
  if (seq > BigInt(Number.MAX_SAFE_INTEGER)) throw bad('cursor seq is out of range');
  // 18 bytes are exactly 24 base64 chars with no spare bits, so each cursor has one spelling.
  return { tsNs: buf.readBigInt64LE(2), seq: Number(seq), order: orderByte === 1 ? 'asc' : 'desc' };
}

/** -1, 0, 1 as (aTs, aSeq) sorts before, equal to, after (bTs, bSeq) in ascending order. */
export function compareKeys(aTsNs: bigint, aSeq: number, bTsNs: bigint, bSeq: number): number {
  if (aTsNs !== bTsNs) return aTsNs < bTsNs ? -1 : 1;
  return aSeq === bSeq ? 0 : aSeq < bSeq ? -1 : 1;
}

/**
 * True when the entry keyed (tsNs, seq) comes strictly after the cursor in the cursor's order:
 * desc = older, or the same ns with a smaller seq; asc = the reverse.
 */
export function isAfterCursor(cursor: LogCursor, tsNs: bigint, seq: number): boolean {
  const c = compareKeys(tsNs, seq, cursor.tsNs, cursor.seq);
  return cursor.order === 'desc' ? c < 0 : c > 0;
}

function bad(message: string): LogsError {
  return new LogsError('INVALID_CURSOR', message);
}
