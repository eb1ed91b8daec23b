// Plain-TypeScript series block codec: the oracle for build/series.wasm (same bytes) and the
// textbook Gorilla peer for the bench. Byte format: assembly/README.md, "Series block".
//
// Block = one LSB-first bitstream:
//   8 bits magic 0x53 ('S'), 8 bits version 1, varint point count n,
//   if n > 0: 4 bits timestamp codec, 4 bits value codec, timestamp section, value section,
//   zero padding to the next byte. No checksum: the storage layer adds crc32c around blocks.
import { CodecError } from '../errors.js';
import { BitReader, BitWriter } from './series-bits.js';
import {
  TS_CODEC_NAMES, TS_RAW, chooseTsCodec, readTimestamps, validateTimestamps, writeTimestamps,
} from './series-timestamps.js';
import {
  VALUE_CODEC_NAMES, V_DECIMAL, V_GORILLA, gorillaBits, planDecimal, readDecimal, readGorilla, writeDecimal,
  writeGorilla,
} from './series-values.js';

export const SERIES_MAGIC = 0x53;
export const SERIES_VERSION = 1;
/** Hard decoder limit: a block never claims more points than this (16 MiB of output). */
export const SERIES_MAX_BLOCK_POINTS = 1 << 20;

export interface SeriesEncodeOptions {
  values?: 'auto' | 'gorilla' | 'decimal';
}

export interface DecodedSeries {
  tsMs: Float64Array;
  values: Float64Array;
}

export interface SeriesBlockInfo {
  points: number;
  firstTsMs: number;
  tsCodec: string;
  valueCodec: string;
}

function checkInput(tsMs: ArrayLike<number>, values: ArrayLike<number>): number {
  if (tsMs.length !== values.length) {
    throw new CodecError('INVALID_INPUT', `tsMs has ${tsMs.length} points, values ${values.length}`);
  }
  if (tsMs.length > SERIES_MAX_BLOCK_POINTS) {
    throw new CodecError('TOO_LARGE', `${tsMs.length} points > ${SERIES_MAX_BLOCK_POINTS} per block`);
  }
  validateTimestamps(tsMs);
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== 'number') throw new CodecError('INVALID_INPUT', `values[${i}] is not a number`);
  }
  return tsMs.length;
}

function encode(tsMs: ArrayLike<number>, values: ArrayLike<number>, mode: 'auto' | 'gorilla' | 'decimal', gorillaTs: boolean): Uint8Array {
  const n = checkInput(tsMs, values);
  const w = new BitWriter();
  w.bits(SERIES_MAGIC, 8);
  w.bits(SERIES_VERSION, 8);
  w.varint(n);
  if (n === 0) return w.finish();
  const tsCodec = chooseTsCodec(tsMs, gorillaTs);
  const plan = mode === 'gorilla' ? null : planDecimal(values);
  let valueCodec = mode === 'gorilla' ? V_GORILLA : V_DECIMAL;
  if (mode === 'auto' && gorillaBits(values) < plan!.bits) valueCodec = V_GORILLA;
  w.bits(tsCodec | (valueCodec << 4), 8);
  writeTimestamps(w, tsMs, tsCodec);
  if (valueCodec === V_DECIMAL) writeDecimal(w, values, plan!);
  else writeGorilla(w, values);
  return w.finish();
}

export function encodeSeries(tsMs: ArrayLike<number>, values: ArrayLike<number>, opts: SeriesEncodeOptions = {}): Uint8Array {
  const mode = opts.values ?? 'auto';
  if (mode !== 'auto' && mode !== 'gorilla' && mode !== 'decimal') {
    throw new CodecError('INVALID_INPUT', `unknown values mode ${String(mode)}`);
  }
  return encode(tsMs, values, mode, false);
}

/** The textbook baseline: Gorilla delta-of-delta timestamps + Gorilla XOR values, same container. */
export function encodeGorillaSeries(tsMs: ArrayLike<number>, values: ArrayLike<number>): Uint8Array {
  return encode(tsMs, values, 'gorilla', true);
}

interface Header {
  n: number;
  tsCodec: number;
  valueCodec: number;
}

function readHeader(r: BitReader): Header {
  if (r.bitLimit < 16) throw new CodecError('TRUNCATED', 'series block shorter than its header');
  if (r.bits(8) !== SERIES_MAGIC) throw new CodecError('CORRUPT', 'not a series block (bad magic)');
  const version = r.bits(8);
  if (version !== SERIES_VERSION) throw new CodecError('UNSUPPORTED', `series block version ${version}`);
  const n = r.varint();
  if (n > SERIES_MAX_BLOCK_POINTS) throw new CodecError('TOO_LARGE', `block claims ${n} points`);
  if (n === 0) return { n, tsCodec: -1, valueCodec: -1 };
  const codecs = r.bits(8);
  const tsCodec = codecs & 15;
  const valueCodec = codecs >> 4;
  if (tsCodec > TS_RAW) throw new CodecError('UNSUPPORTED', `timestamp codec ${tsCodec}`);
  if (valueCodec > V_GORILLA) throw new CodecError('UNSUPPORTED', `value codec ${valueCodec}`);
  return { n, tsCodec, valueCodec };
}

export function decodeSeries(block: Uint8Array): DecodedSeries {
  const r = new BitReader(block);
  const { n, tsCodec, valueCodec } = readHeader(r);
  const bits = new Uint32Array(2 * n);
  const tsMs = n === 0 ? new Float64Array(0) : readTimestamps(r, n, tsCodec);
  if (n > 0) {
    if (valueCodec === V_DECIMAL) readDecimal(r, n, bits);
    else readGorilla(r, n, bits);
  }
  if (Math.ceil(r.bitPos / 8) !== block.length) throw new CodecError('CORRUPT', 'trailing bytes after series block');
  return { tsMs, values: new Float64Array(bits.buffer) };
}

export function seriesBlockInfo(block: Uint8Array): SeriesBlockInfo {
  const r = new BitReader(block);
  const { n, tsCodec, valueCodec } = readHeader(r);
  if (n === 0) return { points: 0, firstTsMs: Number.NaN, tsCodec: 'none', valueCodec: 'none' };
  const firstTsMs = tsCodec === TS_RAW ? readTimestamps(r, 1, TS_RAW)[0] : r.svarint();
  return { points: n, firstTsMs, tsCodec: TS_CODEC_NAMES[tsCodec], valueCodec: VALUE_CODEC_NAMES[valueCodec] };
}

