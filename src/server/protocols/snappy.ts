// Snappy, block format (not the framed/stream format): what Prometheus remote_write bodies use.
// Written from the format description (github.com/google/snappy, format_description.txt):
//   preamble: the uncompressed length as a little-endian base-128 varint (at most 32 bits);
//   then elements, each starting with a tag byte whose low 2 bits pick the kind:
//     00 literal: length-1 in the upper 6 bits (0..59), or 60..63 = 1..4 more bytes of length-1;
//     01 copy, length 4..11 in 3 bits, offset 11 bits (3 high bits in the tag + 1 byte);
//     10 copy, length 1..64 in 6 bits, offset 2 bytes LE;  11 copy, length 1..64, offset 4 bytes LE.
// Decoding is bounds-checked everywhere: a corrupt body throws SnappyError (HTTP 400), never reads
// or writes out of range; a declared size above the caller's limit throws SnappyTooLargeError (413)
// before anything is allocated.

export class SnappyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnappyError';
  }
}

/** The declared uncompressed size is above the limit the caller allows. */
export class SnappyTooLargeError extends SnappyError {
  readonly declaredBytes: number;
  readonly maxBytes: number;
  constructor(declaredBytes: number, maxBytes: number) {
    super(`snappy body declares ${declaredBytes} uncompressed bytes, above the limit of ${maxBytes}`);
    this.name = 'SnappyTooLargeError';
    this.declaredBytes = declaredBytes;
    this.maxBytes = maxBytes;
  }
}

const TAG_LITERAL = 0;
const TAG_COPY1 = 1;
const TAG_COPY2 = 2;

/** The uncompressed length from the preamble, and where the elements start. */
export function snappyDecodedLength(src: Uint8Array): { length: number; headerBytes: number } {
  let result = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= src.length) throw new SnappyError('truncated snappy length preamble');
    const b = src[i];
    // The 5th byte may only carry the top 4 bits of a 32-bit length.
    if (i === 4 && b > 0x0f) throw new SnappyError('snappy length preamble exceeds 32 bits');
    result += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return { length: result, headerBytes: i + 1 };
  }
  throw new SnappyError('snappy length preamble exceeds 32 bits');
}

export function snappyDecompress(bytes: Uint8Array, maxBytes: number): Uint8Array {
  const src = bytes;
  const { length, headerBytes } = snappyDecodedLength(src);
  if (length > maxBytes) throw new SnappyTooLargeError(length, maxBytes);
  // Every element yields ≥ 1 byte per ~5 input bytes at worst and a copy yields at most 64 bytes
  // per 2 input bytes, so a tiny body cannot honestly declare gigabytes: refuse before allocating.
  if (length > (src.length - headerBytes) * 32 + 64) {
    throw new SnappyError(`snappy body of ${src.length} bytes cannot expand to the declared ${length} bytes`);
  }
  const out = new Uint8Array(length);
  const n = src.length;
  let ip = headerBytes;
  let op = 0;
  while (ip < n) {
    const tag = src[ip++];
    const kind = tag & 3;
    if (kind === TAG_LITERAL) {
      let len = tag >>> 2;
      if (len >= 60) {
        const extra = len - 59; // 1..4 bytes of length-1
        if (ip + extra > n) throw new SnappyError(`truncated literal length at byte ${ip - 1}`);
        len = 0;
        for (let k = 0; k < extra; k++) len += src[ip + k] * 2 ** (8 * k);
        ip += extra;
      }
      len += 1;
      if (ip + len > n) throw new SnappyError(`literal of ${len} bytes runs past the end of the input at byte ${ip}`);
      if (op + len > length) throw new SnappyError(`literal overflows the declared length ${length}`);
      if (len < 16) {
        for (let k = 0; k < len; k++) out[op + k] = src[ip + k];
      } else {
        out.set(src.subarray(ip, ip + len), op);
      }
      ip += len;
      op += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === TAG_COPY1) {
      if (ip >= n) throw new SnappyError(`truncated copy at byte ${ip - 1}`);
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | src[ip++];
    } else if (kind === TAG_COPY2) {
      if (ip + 2 > n) throw new SnappyError(`truncated copy at byte ${ip - 1}`);
      len = (tag >>> 2) + 1;
      offset = src[ip] | (src[ip + 1] << 8);
      ip += 2;
    } else {
      if (ip + 4 > n) throw new SnappyError(`truncated copy at byte ${ip - 1}`);
      len = (tag >>> 2) + 1;
      offset = (src[ip] | (src[ip + 1] << 8) | (src[ip + 2] << 16)) + src[ip + 3] * 16777216;
      ip += 4;
    }
    if (offset === 0 || offset > op) throw new SnappyError(`copy offset ${offset} at output byte ${op} points outside the output`);
    if (op + len > length) throw new SnappyError(`copy overflows the declared length ${length}`);
    let from = op - offset;
    if (offset >= len && len >= 16) {
      out.copyWithin(op, from, from + len);
      op += len;
    } else {
      // Overlapping copies repeat the last `offset` bytes: byte by byte is the definition.
      const end = op + len;
      while (op < end) out[op++] = out[from++];
    }
  }
  if (op !== length) throw new SnappyError(`snappy body decodes to ${op} bytes, not the declared ${length}`);
  return out;
}

// ------------------------------------------------------------------ compression

/** Inputs are compressed in blocks of this size: offsets fit 2 bytes and the hash table stays small. */
const BLOCK_BYTES = 1 << 16;
const HASH_BITS = 14;
/** No match search within this many bytes of a block's end (4-byte loads stay in range). */
const INPUT_MARGIN = 15;

function load32(src: Uint8Array, i: number): number {
  return src[i] | (src[i + 1] << 8) | (src[i + 2] << 16) | (src[i + 3] << 24);
}

function hash32(x: number): number {
  return Math.imul(x, 0x1e35a7bd) >>> (32 - HASH_BITS);
}

/** Worst case: a literal header per 60-ish bytes plus the preamble (the format's bound). */
export function snappyMaxCompressedLength(n: number): number {
  return 32 + n + Math.ceil(n / 6);
}

class Writer {
  out: Uint8Array;
  pos = 0;
  constructor(size: number) {
    this.out = new Uint8Array(size);
  }

  literal(src: Uint8Array, from: number, to: number): void {
    const len = to - from;
    if (len === 0) return;
    const out = this.out;
    const n = len - 1;
    if (n < 60) out[this.pos++] = n << 2;
    else if (n < 1 << 8) {
      out[this.pos++] = 60 << 2;
      out[this.pos++] = n;
    } else if (n < 1 << 16) {
      out[this.pos++] = 61 << 2;
      out[this.pos++] = n & 0xff;
      out[this.pos++] = n >>> 8;
    } else if (n < 1 << 24) {
      out[this.pos++] = 62 << 2;
      out[this.pos++] = n & 0xff;
      out[this.pos++] = (n >>> 8) & 0xff;
      out[this.pos++] = n >>> 16;
    } else {
      out[this.pos++] = 63 << 2;
      out[this.pos++] = n & 0xff;
      out[this.pos++] = (n >>> 8) & 0xff;
      out[this.pos++] = (n >>> 16) & 0xff;
      out[this.pos++] = n >>> 24;
    }
    if (len < 16) {
      for (let k = 0; k < len; k++) out[this.pos + k] = src[from + k];
    } else {
      out.set(src.subarray(from, to), this.pos);
    }
    this.pos += len;
  }

  /** A copy of `len` (≥ 4) bytes from `offset` (< 65536) back. */
  copy(offset: number, len: number): void {
    const out = this.out;
    // Long matches become 64-byte copies; a remainder below 4 would not fit the 1-byte-offset form,
    // so the last long piece is 60 bytes when needed.
    while (len >= 68) {
      out[this.pos++] = (63 << 2) | TAG_COPY2;
      out[this.pos++] = offset & 0xff;
      out[this.pos++] = offset >>> 8;
      len -= 64;
    }
    if (len > 64) {
      out[this.pos++] = (59 << 2) | TAG_COPY2;
      out[this.pos++] = offset & 0xff;
      out[this.pos++] = offset >>> 8;
      len -= 60;
    }
    if (len < 12 && offset < 2048) {
      out[this.pos++] = ((offset >>> 8) << 5) | ((len - 4) << 2) | TAG_COPY1;
      out[this.pos++] = offset & 0xff;
    } else {
      out[this.pos++] = ((len - 1) << 2) | TAG_COPY2;
      out[this.pos++] = offset & 0xff;
      out[this.pos++] = offset >>> 8;
    }
  }
}

/**
 * Compresses into the snappy block format. Greedy LZ77 over 64 KiB blocks with a hash table of
 * 4-byte sequences; when no match is found for a while the search skips ahead faster, so
 * incompressible input costs little (the same heuristic the reference implementation describes).
 */
export function snappyCompress(bytes: Uint8Array): Uint8Array {
  const src = bytes;
  const n = src.length;
  const w = new Writer(snappyMaxCompressedLength(n));
  // Preamble: the uncompressed length.
  let len = n;
  while (len >= 0x80) {
    w.out[w.pos++] = (len & 0x7f) | 0x80;
    len = Math.floor(len / 128);
  }
  w.out[w.pos++] = len;
  const table = new Int32Array(1 << HASH_BITS);
  for (let start = 0; start < n; start += BLOCK_BYTES) {
    compressBlock(src, start, Math.min(start + BLOCK_BYTES, n), table, w);
  }
  return w.out.subarray(0, w.pos);
}

function compressBlock(src: Uint8Array, start: number, end: number, table: Int32Array, w: Writer): void {
  let nextEmit = start;
  if (end - start < INPUT_MARGIN + 2) {
    w.literal(src, start, end);
    return;
  }
  // Table entries hold absolute positions; anything below `start` is from an earlier block and is
  // treated as empty (filling with -1 once per block keeps that check to one comparison).
  table.fill(-1);
  const limit = end - INPUT_MARGIN;
  let ip = start + 1;
  table[hash32(load32(src, start))] = start;
  outer: while (ip < limit) {
    // Find a 4-byte match.
    let skip = 32;
    let candidate: number;
    let cur = load32(src, ip);
    for (;;) {
      const h = hash32(cur);
      candidate = table[h];
      table[h] = ip;
      if (candidate >= start && load32(src, candidate) === cur) break;
      ip += skip++ >>> 5;
      if (ip >= limit) break outer;
      cur = load32(src, ip);
    }
    w.literal(src, nextEmit, ip);
    // Emit copies while matches continue back to back.
    for (;;) {
      const base = ip;
      let m = ip + 4;
      let c = candidate + 4;
      while (m < end && src[m] === src[c]) {
        m++;
        c++;
      }
      w.copy(base - candidate, m - base);
      ip = m;
      nextEmit = ip;
      if (ip >= limit) break outer;
      // Index the position just before, then try a match right here.
      table[hash32(load32(src, ip - 1))] = ip - 1;
      cur = load32(src, ip);
      const h = hash32(cur);
      candidate = table[h];
      table[h] = ip;
      if (!(candidate >= start && load32(src, candidate) === cur)) {
        ip++;
        break;
      }
    }
  }
  w.literal(src, nextEmit, end);
}
