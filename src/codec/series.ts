// Bridge to build/series.wasm: same API and bytes as ./reference/series.ts. Scratch layout per call
// (all inside [base, base + ensure(...)), reused across calls, never shrinking):
//   encode: [tsMs f64 × n][values f64 × n][output, worst case][work]
//   decode: [block bytes][tsMs f64 × n][values f64 × n][work]
// Results are copied out with slice() before returning, so the next call may reuse the memory
// (decodeSeriesView is the exception: it returns views of the scratch, valid until the next call).
import { CodecError, codecErrorFromWasm } from './errors.js';
import { wasm, type WasmHandle } from './wasm.js';
import {
  SERIES_MAX_BLOCK_POINTS, seriesBlockInfo, type DecodedSeries, type SeriesEncodeOptions,
} from './reference/series.js';

export { SERIES_MAX_BLOCK_POINTS, seriesBlockInfo };
export type { DecodedSeries, SeriesBlockInfo, SeriesEncodeOptions } from './reference/series.js';

const MODE = { auto: 0, gorilla: 1, decimal: 2 } as const;

let handle: WasmHandle | undefined;
function series(): WasmHandle {
  handle ??= wasm('series');
  return handle;
}

const align8 = (v: number) => (v + 7) & ~7;

function copyIn(mem: ArrayBuffer, ptr: number, src: ArrayLike<number>, what: string): void {
  const dst = new Float64Array(mem, ptr, src.length);
  if (src instanceof Float64Array) {
    dst.set(src); // byte copy: keeps NaN payloads
    return;
  }
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (typeof v !== 'number') throw new CodecError('INVALID_INPUT', `${what}[${i}] is not a number`);
    dst[i] = v;
  }
}

export function encodeSeries(tsMs: ArrayLike<number>, values: ArrayLike<number>, opts: SeriesEncodeOptions = {}): Uint8Array {
  const mode = MODE[opts.values ?? 'auto'];
  if (mode === undefined) throw new CodecError('INVALID_INPUT', `unknown values mode ${String(opts.values)}`);
  return encode(tsMs, values, mode);
}

/** Gorilla timestamps + Gorilla values (the textbook baseline), byte-identical to the reference. */
export function encodeGorillaSeries(tsMs: ArrayLike<number>, values: ArrayLike<number>): Uint8Array {
  return encode(tsMs, values, 3);
}

function encode(tsMs: ArrayLike<number>, values: ArrayLike<number>, mode: number): Uint8Array {
  const n = tsMs.length;
  if (values.length !== n) throw new CodecError('INVALID_INPUT', `tsMs has ${n} points, values ${values.length}`);
  if (n > SERIES_MAX_BLOCK_POINTS) throw new CodecError('TOO_LARGE', `${n} points > ${SERIES_MAX_BLOCK_POINTS} per block`);
  const h = series();
  const ex = h.exports;
  const outBytes = ex.encodeOutBytes(n) as number;
  const tsOff = 0;
  const valOff = 8 * n;
  const outOff = 16 * n;
  const workOff = align8(outOff + outBytes);
  const base = h.ensure(workOff + (ex.encodeWorkBytes(n) as number));
  const mem = h.memory.buffer;
  copyIn(mem, base + tsOff, tsMs, 'tsMs');
  copyIn(mem, base + valOff, values, 'values');
  const len = ex.encode(base + tsOff, base + valOff, n, mode, base + outOff, base + workOff) as number;
  if (len < 0) {
    if (len === -6) throw new CodecError('INVALID_INPUT', 'tsMs must hold safe integers (milliseconds)');
    throw codecErrorFromWasm(len, 'series encode');
  }
  return new Uint8Array(h.memory.buffer, base + outOff, len).slice();
}

/** Point count from the header (for sizing only; the wasm re-validates everything). */
function headerPoints(block: Uint8Array): number {
  let v = 0;
  for (let i = 2, shift = 1; i < block.length && i < 10; i++, shift *= 128) {
    v += (block[i] & 127) * shift;
    if (block[i] < 128) return v;
  }
  return 0;
}

export function decodeSeries(block: Uint8Array): DecodedSeries {
  const d = decodeToScratch(block);
  return {
    tsMs: new Float64Array(d.mem.slice(d.tsPtr, d.tsPtr + 8 * d.n)),
    values: new Float64Array(d.mem.slice(d.valPtr, d.valPtr + 8 * d.n)),
  };
}

/**
 * decodeSeries without the two copies: the columns are views of this thread's wasm memory, valid
 * only until the next call into this bridge (an encode or decode reuses that scratch, and a memory
 * grow detaches the views). For callers that consume the points at once — the query read path
 * aggregates them or copies the clipped range it needs — where the copies cost as much as a third
 * of the decode itself. Never transfer or keep these views.
 */
export function decodeSeriesView(block: Uint8Array): DecodedSeries {
  const d = decodeToScratch(block);
  return { tsMs: new Float64Array(d.mem, d.tsPtr, d.n), values: new Float64Array(d.mem, d.valPtr, d.n) };
}

/** Decodes into the scratch memory: [block bytes][tsMs f64 × n][values f64 × n][work]. */
function decodeToScratch(block: Uint8Array): { mem: ArrayBuffer; tsPtr: number; valPtr: number; n: number } {
  const n = headerPoints(block);
  if (n > SERIES_MAX_BLOCK_POINTS) throw new CodecError('TOO_LARGE', `block claims ${n} points`);
  const h = series();
  const ex = h.exports;
  const inOff = 0;
  const tsOff = align8(block.length);
  const valOff = tsOff + 8 * n;
  const workOff = valOff + 8 * n;
  const base = h.ensure(workOff + (ex.decodeWorkBytes(n) as number));
  new Uint8Array(h.memory.buffer, base + inOff, block.length).set(block);
  const rc = ex.decode(base + inOff, block.length, base + tsOff, base + valOff, n, base + workOff) as number;
  if (rc < 0) throw codecErrorFromWasm(rc, 'series decode');
  return { mem: h.memory.buffer, tsPtr: base + tsOff, valPtr: base + valOff, n: rc };
}
