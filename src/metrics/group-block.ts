// Histogram group blocks. The `_bucket` series of one histogram (same name, same labels but `le`)
// are cumulative: bucket j counts everything bucket j-1 does plus its own band, so they are highly
// redundant with each other. Compaction stores such a group's cell as ONE block whose columns are
// the lowest bucket's values and then each bucket's difference to the one below (measured on the
// standard telemetry: the bucket series went from 90.8 KB to 25.9 KB per 6 h cell). Each member
// series keeps its own index row (col = its column); a read decodes columns 0..col and prefix-sums.
//
// Payload (inside the storage block frame, kind KIND_RAW_GROUP):
//   u8 version (1) | u8 reserved | u16 columns N | N × u32 column byte lengths | N series-codec blocks
// Every column is a normal encodeSeries block over the same timestamps.
import { CodecError } from '../codec/errors.js';
import { decodeSeries, decodeSeriesView, encodeSeries } from '../codec/series.js';
import { parseBlock, type BlockHeader } from '../storage/block.js';
import type { PointRun } from './points.js';

/** Storage block kind of a group block (KIND_RAW = 1 and KIND_ROLLUP = 2 live in block-tasks.ts). */
export const KIND_RAW_GROUP = 3;
const GROUP_VERSION = 1;
const GROUP_HEADER_BYTES = 4;
/** A histogram with more buckets than this is not grouped (keeps the header and decode cost bounded). */
export const MAX_GROUP_COLUMNS = 1024;

/**
 * The columns to store for `values` (members ordered by le, all over the same timestamps): column 0
 * as is, column j = values[j] − values[j−1]. Undefined when some difference does not give the
 * value back bit-exactly (`prev + diff`, compared with Object.is so NaN, -0 and rounding fall back).
 */
export function diffColumns(values: readonly Float64Array[]): Float64Array[] | undefined {
  if (values.length < 2 || values.length > MAX_GROUP_COLUMNS) return undefined;
  const out: Float64Array[] = [values[0]];
  for (let j = 1; j < values.length; j++) {
    const prev = values[j - 1];
    const cur = values[j];
    if (cur.length !== prev.length) return undefined;
    const d = new Float64Array(cur.length);
    for (let i = 0; i < cur.length; i++) {
      d[i] = cur[i] - prev[i];
      if (!Object.is(prev[i] + d[i], cur[i])) return undefined;
    }
    out.push(d);
  }
  return out;
}

/** The group payload for columns over the timestamps `tsMs`. */
export function encodeGroupPayload(tsMs: Float64Array, columns: readonly Float64Array[]): Uint8Array {
  const blocks = columns.map((c) => encodeSeries(tsMs, c));
  const headerBytes = GROUP_HEADER_BYTES + 4 * blocks.length;
  let total = headerBytes;
  for (const b of blocks) total += b.length;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint8(0, GROUP_VERSION);
  dv.setUint16(2, blocks.length, true);
  let at = headerBytes;
  blocks.forEach((b, j) => {
    dv.setUint32(GROUP_HEADER_BYTES + 4 * j, b.length, true);
    out.set(b, at);
    at += b.length;
  });
  return out;
}

/**
 * One group block's payload, decoded column by column as members ask for them: the prefix sums
 * are built once and shared, so reading every member of an N-bucket histogram costs N column
 * decodes, not N²/2.
 */
export class GroupBlockReader {
  private readonly view: DataView;
  private readonly columns: number;
  private readonly starts: number[] = [];
  private readonly sums: Float64Array[] = [];
  private tsMs: Float64Array | undefined;

  constructor(private readonly payload: Uint8Array) {
    if (payload.length < GROUP_HEADER_BYTES) throw new CodecError('TRUNCATED', 'group block shorter than its header');
    this.view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const version = this.view.getUint8(0);
    if (version !== GROUP_VERSION) throw new CodecError('UNSUPPORTED', `group block version ${version}`);
    this.columns = this.view.getUint16(2, true);
    let at = GROUP_HEADER_BYTES + 4 * this.columns;
    if (at > payload.length) throw new CodecError('TRUNCATED', 'group block column table cut short');
    for (let j = 0; j < this.columns; j++) {
      this.starts.push(at);
      at += this.view.getUint32(GROUP_HEADER_BYTES + 4 * j, true);
      if (at > payload.length) throw new CodecError('TRUNCATED', `group block column ${j} runs past the payload`);
    }
  }

  /** Member `col`'s points: the prefix sum of columns 0..col (owned arrays; tsMs is shared by all members). */
  member(col: number): PointRun {
    if (!(Number.isInteger(col) && col >= 0 && col < this.columns)) {
      throw new CodecError('CORRUPT', `group block has ${this.columns} columns, index asks for column ${col}`);
    }
    for (let j = this.sums.length; j <= col; j++) {
      const len = this.view.getUint32(GROUP_HEADER_BYTES + 4 * j, true);
      // A view of the codec scratch: consumed (copied or added) before the next decode.
      const d = decodeSeriesView(this.payload.subarray(this.starts[j], this.starts[j] + len));
      if (j === 0) {
        this.tsMs = d.tsMs.slice();
        this.sums.push(d.values.slice());
        continue;
      }
      const ts = this.tsMs as Float64Array;
      if (d.tsMs.length !== ts.length) throw new CodecError('CORRUPT', `group block column ${j} has ${d.tsMs.length} points, column 0 ${ts.length}`);
      const prev = this.sums[j - 1];
      const sum = new Float64Array(prev.length);
      // Same additions as the check in diffColumns, so the sums are the stored values exactly.
      for (let i = 0; i < sum.length; i++) sum[i] = prev[i] + d.values[i];
      this.sums.push(sum);
    }
    return { tsMs: this.tsMs as Float64Array, values: this.sums[col] };
  }
}

/** The prefix sum of columns 0..col: the member's own values (with the shared timestamps). */
export function decodeGroupMember(payload: Uint8Array, col: number): PointRun {
  return new GroupBlockReader(payload).member(col);
}

/**
 * Group blocks opened during one read task, by file and offset: the members of a histogram are
 * usually read by the same task, and then each block is checked (crc) and decoded once.
 */
export class GroupBlockCache {
  private readonly open = new Map<string, { header: BlockHeader; reader: GroupBlockReader }>();

  /** The header and member points of `col`; `framed` is called only on the block's first use. */
  member(file: string, offset: number, col: number, framed: () => Uint8Array): { header: BlockHeader; run: PointRun } {
    const key = `${file}@${offset}`;
    let g = this.open.get(key);
    if (g === undefined) {
      const { header, payload } = parseBlock(framed());
      if (header.kind !== KIND_RAW_GROUP) throw new CodecError('CORRUPT', `block kind ${header.kind} indexed as a group block column`);
      g = { header, reader: new GroupBlockReader(payload) };
      this.open.set(key, g);
    }
    const run = g.reader.member(col);
    if (run.tsMs.length !== g.header.count) throw new CodecError('CORRUPT', `group block holds ${run.tsMs.length} points, header says ${g.header.count}`);
    return { header: g.header, run };
  }
}

/**
 * The points of one raw index row from its framed block bytes: an ordinary block (col < 0) or one
 * member of a group block. A kind that does not match the row's col is corruption.
 */
export function decodeRawRow(framed: Uint8Array, col: number | undefined): PointRun {
  const { header, payload } = parseBlock(framed);
  if (col === undefined || col < 0) {
    if (header.kind === KIND_RAW_GROUP) throw new CodecError('CORRUPT', 'a group block indexed as an ordinary raw block');
    return decodeSeries(payload);
  }
  if (header.kind !== KIND_RAW_GROUP) throw new CodecError('CORRUPT', `block kind ${header.kind} indexed as a group block column`);
  const run = decodeGroupMember(payload, col);
  if (run.tsMs.length !== header.count) throw new CodecError('CORRUPT', `group block holds ${run.tsMs.length} points, header says ${header.count}`);
  return run;
}
