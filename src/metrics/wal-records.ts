// Metrics WAL record format (the payload inside the storage WAL's crc'd frames). A frame payload
// is a run of records back to back, each self-delimiting, little-endian, 8-byte aligned:
//   define: u8 1 | u8 0 | u16 0 | u32 seriesId | u32 jsonBytes | u32 0 | json([name, labels]) | pad to 8
//   points: u8 3 | u8 0 | u16 0 | u32 count | f64 seq | f64 baseTsMs |
//           count × (u32 seriesId, i32 tsMs - baseTsMs, f64 value)            (16 bytes a point)
// (type 2, the same with f64 triples, is still read.) The points record is the staging buffer
// itself, header included, so the write path encodes nothing per point beyond three stores.
import { StorageError } from '../storage/errors.js';
import type { Labels } from './types.js';

export const REC_DEFINE = 1;
export const REC_POINTS_F64 = 2;
export const REC_POINTS = 3;
/** Bytes before the first point in a points record. */
export const POINTS_HEADER_BYTES = 24;
export const POINT_BYTES = 16;
export const MAX_TS_OFFSET = 2 ** 31 - 1;

/** Staging area of one points record: views over one buffer (see the layout above). */
export class PointStaging {
  readonly capacity: number;
  readonly f64: Float64Array;
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
  count = 0;
  baseTsMs = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    const buf = new ArrayBuffer(POINTS_HEADER_BYTES + POINT_BYTES * capacity);
    this.f64 = new Float64Array(buf);
    this.u32 = new Uint32Array(buf);
    this.i32 = new Int32Array(buf);
  }

  /** False when full or when tsMs is too far from this record's base (close the record first). */
  push(id: number, tsMs: number, value: number): boolean {
    const k = this.count;
    if (k === 0) this.baseTsMs = tsMs;
    else if (k === this.capacity) return false;
    const dt = tsMs - this.baseTsMs;
    if (dt > MAX_TS_OFFSET || dt < -MAX_TS_OFFSET) return false;
    this.u32[6 + 4 * k] = id;
    this.i32[7 + 4 * k] = dt;
    this.f64[4 + 2 * k] = value;
    this.count = k + 1;
    return true;
  }

  /** The record bytes (a view: the WAL copies them) for write sequence `seq`; then reset. */
  seal(seq: number): Uint8Array {
    this.u32[0] = REC_POINTS; // byte 0 = type, bytes 1..3 = 0
    this.u32[1] = this.count;
    this.f64[1] = seq;
    this.f64[2] = this.baseTsMs;
    const bytes = new Uint8Array(this.f64.buffer, 0, POINTS_HEADER_BYTES + POINT_BYTES * this.count);
    this.count = 0;
    return bytes;
  }
}

export function encodeDefine(id: number, name: string, labels: Labels): Uint8Array {
  const json = Buffer.from(JSON.stringify([name, labels]), 'utf8');
  const total = 16 + ((json.length + 7) & ~7);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint8(0, REC_DEFINE);
  dv.setUint32(4, id, true);
  dv.setUint32(8, json.length, true);
  out.set(json, 16);
  return out;
}


export type WalRecord =
  | { type: 'define'; id: number; name: string; labels: Labels }
  | { type: 'points'; seq: number; triples: Float64Array };

/** Parses one frame payload into records. Throws on a malformed payload (crc-valid frames never are). */
export function decodeRecords(payload: Uint8Array): WalRecord[] {
  const out: WalRecord[] = [];
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  let off = 0;
  while (off < payload.length) {
    if (off + 16 > payload.length) throw new StorageError('WAL_CORRUPT', `metrics WAL record header truncated at ${off}`);
    const type = dv.getUint8(off);
    if (type === REC_DEFINE) {
      const id = dv.getUint32(off + 4, true);
      const len = dv.getUint32(off + 8, true);
      if (off + 16 + len > payload.length) throw new StorageError('WAL_CORRUPT', `metrics WAL define record truncated at ${off}`);
      const [name, labels] = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset + off + 16, len).toString('utf8'));
      out.push({ type: 'define', id, name, labels });
      off += 16 + ((len + 7) & ~7);
    } else if (type === REC_POINTS) {
      const count = dv.getUint32(off + 4, true);
      const seq = dv.getFloat64(off + 8, true);
      const base = dv.getFloat64(off + 16, true);
      const end = off + POINTS_HEADER_BYTES + POINT_BYTES * count;
      if (end > payload.length) throw new StorageError('WAL_CORRUPT', `metrics WAL points record truncated at ${off}`);
      const triples = new Float64Array(3 * count);
      for (let k = 0, p = off + POINTS_HEADER_BYTES; k < count; k++, p += POINT_BYTES) {
        triples[3 * k] = dv.getUint32(p, true);
        triples[3 * k + 1] = base + dv.getInt32(p + 4, true);
        triples[3 * k + 2] = dv.getFloat64(p + 8, true);
      }
      out.push({ type: 'points', seq, triples });
      off = end;
    } else if (type === REC_POINTS_F64) {
      const count = dv.getUint32(off + 4, true);
      const seq = dv.getFloat64(off + 8, true);
      const end = off + 16 + 24 * count;
      if (end > payload.length) throw new StorageError('WAL_CORRUPT', `metrics WAL points record truncated at ${off}`);
      const start = payload.byteOffset + off + 16;
      const triples = new Float64Array(payload.buffer.slice(start, start + 24 * count));
      out.push({ type: 'points', seq, triples });
      off = end;
    } else {
      throw new StorageError('WAL_CORRUPT', `unknown metrics WAL record type ${type} at ${off}`);
    }
  }
  return out;
}
