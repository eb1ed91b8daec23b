// A block's trace-id filter (a Bloom filter, stored in blocks.filter): tl.traces.trace(id) probes
// every block's filter and decodes only the blocks that may hold the trace, so the look-up needs no
// per-trace index rows (which would cost a main-thread SQLite insert per trace at every seal and
// compaction commit: thousands per second at 200 k spans/s). 16 bits per trace and 11 probes: a
// false positive ~0.05% of the time, 2 bytes per trace (~0.2 bytes per span at 10 spans a trace).
//
//   filter = [u8 version = 1][u8 probes][u32 LE bit count m][ceil(m / 8) bytes of bits]
//
// Ids are hashed (not used as they are): W3C asks for random trace ids, but some tracers put a time
// in the first bytes (AWS X-Ray), so every byte goes through the mix.
import { CodecError } from '../../codec/errors.js';

const VERSION = 1;
const HEADER_BYTES = 6;
const BITS_PER_TRACE = 16;
const PROBES = 11;
/** Bounds the filter of a huge block (2^27 bits = 16 MiB) and keeps m a valid u32. */
const MAX_BITS = 1 << 27;

function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function word(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}

/** The two hashes of the 16 id bytes at `p` (double hashing gives the probes). */
function hashes(b: Uint8Array, p: number, out: Uint32Array): void {
  const w0 = word(b, p);
  const w1 = word(b, p + 4);
  const w2 = word(b, p + 8);
  const w3 = word(b, p + 12);
  out[0] = mix(w0 ^ mix(w2 ^ 0x9e3779b9));
  out[1] = (mix(w1 ^ mix(w3 ^ 0x7f4a7c15)) | 1) >>> 0;
}

const H = new Uint32Array(2);

/** 16 id bytes from 32 hex chars (no validation beyond length: ids are checked on the write path). */
export function traceIdBytes(hex: string, out = new Uint8Array(16)): Uint8Array {
  if (hex.length !== 32) throw new CodecError('INVALID_INPUT', `trace id must be 32 hex chars, got ${hex.length}`);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

export class TraceFilterBuilder {
  private readonly bits: Uint8Array;
  private readonly m: number;

  /** `expectedTraces`: distinct traces the block holds (at most; more raise the false-positive rate). */
  constructor(expectedTraces: number) {
    this.m = Math.min(MAX_BITS, Math.max(64, Math.ceil((Math.max(1, expectedTraces) * BITS_PER_TRACE) / 8) * 8));
    this.bits = new Uint8Array(HEADER_BYTES + this.m / 8);
  }

  /** Adds the 16 id bytes at bytes[offset]. */
  addBytes(bytes: Uint8Array, offset: number): void {
    hashes(bytes, offset, H);
    const m = this.m;
    let h = H[0];
    for (let i = 0; i < PROBES; i++) {
      const bit = h % m;
      this.bits[HEADER_BYTES + (bit >>> 3)] |= 1 << (bit & 7);
      h = (h + H[1]) >>> 0;
    }
  }

  addHex(hex: string): void {
    this.addBytes(traceIdBytes(hex), 0);
  }

  finish(): Uint8Array {
    const b = this.bits;
    b[0] = VERSION;
    b[1] = PROBES;
    new DataView(b.buffer, b.byteOffset).setUint32(2, this.m, true);
    return b;
  }
}

/**
 * False when the block cannot hold the trace; true when it may. An empty filter (a row without one)
 * may hold anything. A filter this build cannot read is treated as "may" (never a missed trace).
 */
export function traceFilterMayContain(filter: Uint8Array, id: Uint8Array): boolean {
  if (filter.length < HEADER_BYTES || filter[0] !== VERSION) return true;
  const probes = filter[1];
  const m = new DataView(filter.buffer, filter.byteOffset, filter.byteLength).getUint32(2, true);
  if (m === 0 || HEADER_BYTES + Math.ceil(m / 8) > filter.length) return true;
  hashes(id, 0, H);
  let h = H[0];
  for (let i = 0; i < probes; i++) {
    const bit = h % m;
    if ((filter[HEADER_BYTES + (bit >>> 3)] & (1 << (bit & 7))) === 0) return false;
    h = (h + H[1]) >>> 0;
  }
  return true;
}
