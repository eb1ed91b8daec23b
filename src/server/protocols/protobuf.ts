// A minimal protobuf wire-format reader (proto3): the OTLP and Prometheus remote_write decoders walk
// their messages field by field with it. Hand-written instead of protobufjs because the ingest paths
// decode millions of small messages per second and need no reflection. Every read is bounds-checked;
// a malformed message throws ProtobufError, which the routes answer with 400.

export class ProtobufError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufError';
  }
}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

const utf8 = new TextDecoder('utf-8', { fatal: false });

export class ProtoReader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;
  private view: DataView | undefined;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Next field tag as (field number << 3 | wire type); the caller splits it. */
  tag(): number {
    const t = this.varint32();
    if (t >>> 3 === 0) throw new ProtobufError(`field number 0 at byte ${this.pos}`);
    return t;
  }

  /** A varint that fits 32 bits (tags, lengths, enums); longer ones are an error. */
  varint32(): number {
    let result = 0;
    let shift = 0;
    const buf = this.buf;
    while (true) {
      if (this.pos >= this.end) throw new ProtobufError('truncated varint');
      const b = buf[this.pos++];
      if (shift < 28) result |= (b & 0x7f) << shift;
      else if (shift < 63) result += (b & 0x7f) * 2 ** shift;
      else throw new ProtobufError('varint longer than 10 bytes');
      if ((b & 0x80) === 0) break;
      shift += 7;
    }
    return result; // lengths beyond the buffer fail the bounds checks of the caller
  }

  /** A uint64/int64 varint as a Number (exact below 2^53; int64 negatives as two's complement). */
  varint64(): number {
    let lo = 0;
    let hi = 0;
    let shift = 0;
    const buf = this.buf;
    let i = 0;
    for (; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError('truncated varint');
      const b = buf[this.pos++];
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (shift - 32);
      if ((b & 0x80) === 0) break;
      shift += 7;
    }
    if (i === 10) throw new ProtobufError('varint longer than 10 bytes');
    lo >>>= 0;
    if (hi & 0x80000000) {
      // negative int64: -(~x + 1)
      const nlo = (~lo + 1) >>> 0;
      const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
      return -(nhi * 4294967296 + nlo);
    }
    return (hi >>> 0) * 4294967296 + lo;
  }

  /** A uint64 varint as a BigInt (nanosecond timestamps need all 64 bits). */
  varintBig(): bigint {
    let result = 0n;
    let shift = 0n;
    const buf = this.buf;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError('truncated varint');
      const b = buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new ProtobufError('varint longer than 10 bytes');
  }

  bool(): boolean {
    return this.varint32() !== 0;
  }

  private dv(): DataView {
    return (this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength));
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new ProtobufError('truncated double');
    const v = this.dv().getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** fixed64 as a Number (exact below 2^53). */
  fixed64(): number {
    if (this.pos + 8 > this.end) throw new ProtobufError('truncated fixed64');
    const dv = this.dv();
    const lo = dv.getUint32(this.pos, true);
    const hi = dv.getUint32(this.pos + 4, true);
    this.pos += 8;
    return hi * 4294967296 + lo;
  }

  /** fixed64 as a BigInt (exact). */
  fixed64Big(): bigint {
    if (this.pos + 8 > this.end) throw new ProtobufError('truncated fixed64');
    const v = this.dv().getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  sfixed64(): number {
    if (this.pos + 8 > this.end) throw new ProtobufError('truncated sfixed64');
    const v = this.dv().getBigInt64(this.pos, true);
    this.pos += 8;
    return Number(v);
  }

  fixed32(): number {
    if (this.pos + 4 > this.end) throw new ProtobufError('truncated fixed32');
    const v = this.dv().getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** Length of a length-delimited field, checked against the message end. */
  len(): number {
    const n = this.varint32();
    if (n < 0 || this.pos + n > this.end) throw new ProtobufError(`length ${n} runs past the end of the message`);
    return n;
  }

  bytes(): Uint8Array {
    const n = this.len();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(): string {
    const n = this.len();
    const start = this.pos;
    this.pos += n;
    if (n < 24) {
      // Short ASCII strings (label names, attribute keys) decode faster by hand than via TextDecoder.
      let s = '';
      const buf = this.buf;
      for (let i = start; i < start + n; i++) {
        const c = buf[i];
        if (c >= 0x80) return utf8.decode(buf.subarray(start, start + n));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return utf8.decode(this.buf.subarray(start, start + n));
  }

  /** A sub-reader over an embedded message (the field's bytes); advances past it. */
  message(): ProtoReader {
    const n = this.len();
    const r = new ProtoReader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  /** Skips a field of the given wire type (unknown fields are legal and ignored). */
  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint64();
        return;
      case WIRE_FIXED64:
        if (this.pos + 8 > this.end) throw new ProtobufError('truncated fixed64');
        this.pos += 8;
        return;
      case WIRE_LEN: {
        // Not `this.pos += this.len()`: that reads pos before len() moves it past the length varint.
        const n = this.len();
        this.pos += n;
        return;
      }
      case WIRE_FIXED32:
        if (this.pos + 4 > this.end) throw new ProtobufError('truncated fixed32');
        this.pos += 4;
        return;
      default:
        throw new ProtobufError(`unsupported wire type ${wireType} at byte ${this.pos}`);
    }
  }

  /** Packed repeated doubles (or a single unpacked one when the wire type is fixed64). */
  packedDoubles(wireType: number, out: number[]): void {
    if (wireType === WIRE_FIXED64) {
      out.push(this.double());
      return;
    }
    const n = this.len();
    if (n % 8 !== 0) throw new ProtobufError('packed doubles length is not a multiple of 8');
    const end = this.pos + n;
    while (this.pos < end) out.push(this.double());
  }

  /** Packed repeated uint64 fixed (or one unpacked). */
  packedFixed64(wireType: number, out: number[]): void {
    if (wireType === WIRE_FIXED64) {
      out.push(this.fixed64());
      return;
    }
    const n = this.len();
    if (n % 8 !== 0) throw new ProtobufError('packed fixed64 length is not a multiple of 8');
    const end = this.pos + n;
    while (this.pos < end) out.push(this.fixed64());
  }

  /** Packed repeated varints (or one unpacked). */
  packedVarints(wireType: number, out: number[]): void {
    if (wireType === WIRE_VARINT) {
      out.push(this.varint64());
      return;
    }
    const n = this.len();
    const end = this.pos + n;
    while (this.pos < end) out.push(this.varint64());
    if (this.pos !== end) throw new ProtobufError('packed varints overrun their length');
  }
}
