// Byte and bit I/O for the lz reference codec. Bits are packed LSB-first. ANS streams are written
// forward and read backward (the decoder starts at the sentinel bit after the last written bit), so
// whatever the encoder writes last is read first.

/** Growable byte buffer with an LSB-first bit writer on top. */
export class ByteOut {
  buf: Uint8Array;
  pos = 0;
  private acc = 0;
  private nbits = 0;

  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(capacity, 64));
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.pos++] = v & 0xff;
  }

  u32(v: number): void {
    this.reserve(4);
    this.buf[this.pos++] = v & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = (v >>> 16) & 0xff;
    this.buf[this.pos++] = (v >>> 24) & 0xff;
  }

  varint(v: number): void {
    while (v >= 0x80) {
      this.u8((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    this.u8(v);
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Appends the low `n` bits of `v` (n <= 24). */
  bits(v: number, n: number): void {
    this.acc |= (v & ((1 << n) - 1)) << this.nbits;
    this.nbits += n;
    while (this.nbits >= 8) {
      this.u8(this.acc);
      this.acc >>>= 8;
      this.nbits -= 8;
    }
  }

  /** Pads the pending bits to a byte boundary with zeros. */
  alignBits(): void {
    if (this.nbits > 0) this.bits(0, 8 - this.nbits);
  }

  /** Ends a backward-read stream: a 1 sentinel bit, then zero padding to the byte boundary. */
  closeStream(): void {
    this.bits(1, 1);
    this.alignBits();
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Forward bit reader over [start, end) of a byte array; reading past end sets `overflow`. */
export class ForwardBits {
  bitPos: number;
  readonly endBit: number;
  overflow = false;

  constructor(private readonly src: Uint8Array, start: number, end: number) {
    this.bitPos = start * 8;
    this.endBit = end * 8;
  }

  read(n: number): number {
    if (this.bitPos + n > this.endBit) {
      this.overflow = true;
      return 0;
    }
    const v = readBitsAt(this.src, this.bitPos, n);
    this.bitPos += n;
    return v;
  }

  /** Byte index just after the bits consumed so far (headers are byte-aligned). */
  bytePos(): number {
    return (this.bitPos + 7) >>> 3;
  }
}

/** Backward bit reader over the stream [start, end): begins at the sentinel, must end at bit 0. */
export class BackwardBits {
  private bitPos = 0;
  private readonly startBit: number;
  /** Set when a read went below the start of the stream or the stream has no sentinel. */
  bad = false;

  constructor(private readonly src: Uint8Array, start: number, end: number) {
    this.startBit = start * 8;
    if (end <= start || src[end - 1] === 0) {
      this.bad = true;
      this.bitPos = this.startBit;
      return;
    }
    this.bitPos = (end - 1) * 8 + (31 - Math.clz32(src[end - 1]));
  }

  read(n: number): number {
    if (this.bitPos - n < this.startBit) {
      this.bad = true;
      this.bitPos = this.startBit;
      return 0;
    }
    this.bitPos -= n;
    return readBitsAt(this.src, this.bitPos, n);
  }

  /** True when every bit was consumed exactly. */
  finished(): boolean {
    return !this.bad && this.bitPos === this.startBit;
  }
}

/** n <= 24 bits at absolute bit position `bit` (bytes past the array read as 0; callers mask). */
function readBitsAt(src: Uint8Array, bit: number, n: number): number {
  const i = bit >>> 3;
  const w = (src[i] | (src[i + 1] << 8) | (src[i + 2] << 16) | (src[i + 3] << 24)) >>> 0;
  return (w >>> (bit & 7)) & ((1 << n) - 1);
}
