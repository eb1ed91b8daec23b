// Time columns of a page. Encoding: TimeColumn (narrow values over a common divisor, as varints or
// classes + raw bits; wide u64 values when one does not fit a double). Decoding: unsigned 64-bit ns
// timestamps as (hi, lo) 32-bit halves in doubles, so the decoder adds offsets exactly without
// bigint arithmetic and makes ONE bigint per timestamp (through a shared 64-bit cell): two bigint
// operations per time would be a good part of a block decode.
import { ByteWriter, zigzag } from '../../codec/columns/bytes.js';
import { BitWriter, writeClassed } from './block-bits.js';
import { spanCorrupt } from './block-layout.js';

const TWO_32 = 4294967296;
const cell = new BigUint64Array(1);
const halves = new Uint32Array(cell.buffer);

/** A u64 as halves; `hi`/`lo` are set by add() and from(). */
export class Ns {
  hi = 0;
  lo = 0;

  from(v: bigint): this {
    cell[0] = v;
    this.lo = halves[0];
    this.hi = halves[1];
    return this;
  }

  set(o: Ns): this {
    this.hi = o.hi;
    this.lo = o.lo;
    return this;
  }

  /** this = base + off (off an integer, |off| < 2^53); CORRUPT when the result leaves [0, 2^64). */
  add(base: Ns, off: number, what: string): this {
    const offHi = Math.floor(off / TWO_32);
    let lo = base.lo + (off - offHi * TWO_32);
    let hi = base.hi + offHi;
    if (lo >= TWO_32) {
      lo -= TWO_32;
      hi++;
    }
    if (hi < 0 || hi >= TWO_32) throw spanCorrupt(`${what} leaves the 64-bit range`);
    this.hi = hi;
    this.lo = lo;
    return this;
  }

  big(): bigint {
    halves[0] = this.lo;
    halves[1] = this.hi;
    return cell[0];
  }
}

export function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

const TWO_53N = 1n << 53n;
const TWO_52N = 1n << 52n;
const NO_BYTES = new Uint8Array(0);

/**
 * Time values of one page column: narrow (over a common divisor: varints, or classes + raw bits
 * with `classed`) unless some value is too large for a double, then wide (u64 each).
 */
export class TimeColumn {
  readonly values: bigint[] = [];
  /** Wide form of each value (u64), used when the column is wide. */
  readonly wide: bigint[] = [];
  /** Whether each value is signed (zigzagged once divided). */
  private readonly signs: boolean[] = [];
  narrow = true;

  constructor(
    private readonly signed: boolean,
    private readonly classed = false,
  ) {}

  add(v: bigint, wide: bigint, signed = this.signed): void {
    this.values.push(v);
    this.wide.push(wide);
    this.signs.push(signed);
    if (this.narrow && (signed ? v >= TWO_52N || v <= -TWO_52N : v >= TWO_53N)) this.narrow = false;
  }

  /** The divisor (0: wide), the column section and (classed, narrow) its raw bits. */
  write(): { div: number; w: ByteWriter; bits: Uint8Array } {
    const n = this.values.length;
    const w = new ByteWriter(n * 4 + 16);
    if (!this.narrow) {
      w.ensure(n * 8);
      for (const v of this.wide) {
        w.buf.writeBigUInt64LE(v, w.pos);
        w.pos += 8;
      }
      return { div: 0, w, bits: NO_BYTES };
    }
    const nums = this.values.map(Number);
    let div = 0;
    for (const v of nums) div = gcd(Math.abs(v), div);
    if (div === 0) div = 1;
    const signs = this.signs;
    if (!this.classed) {
      for (let i = 0; i < n; i++) w.varint(signs[i] ? zigzag(nums[i] / div) : nums[i] / div);
      return { div, w, bits: NO_BYTES };
    }
    const bits = new BitWriter(n * 3);
    for (let i = 0; i < n; i++) writeClassed(w, bits, signs[i] ? zigzag(nums[i] / div) : nums[i] / div);
    return { div, w, bits: bits.finish() };
  }
}
