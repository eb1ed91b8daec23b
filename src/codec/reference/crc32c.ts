// crc32c (Castagnoli, reflected polynomial 0x82F63B78): the checksum of every block on disk and of
// every lz frame's content. Plain-TS twin of assembly/checksum.ts, slicing-by-8 so the reference is
// fast enough to check multi-megabyte buffers in tests.

const POLY_REFLECTED = 0x82f63b78;

/** TABLES[k * 256 + b] = crc of byte b followed by k zero bytes (slicing-by-8 tables). */
const TABLES = buildTables();

function buildTables(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY_REFLECTED : c >>> 1;
    t[b] = c >>> 0;
  }
  for (let k = 1; k < 8; k++) {
    for (let b = 0; b < 256; b++) {
      const prev = t[(k - 1) * 256 + b];
      t[k * 256 + b] = (prev >>> 8) ^ t[prev & 0xff];
    }
  }
  return t;
}

/**
 * crc32c of `bytes`. `seed` is a previous result, so crc32c(b, crc32c(a)) === crc32c(a ++ b).
 * Check value: crc32c(ascii "123456789") === 0xE3069283.
 */
export function crc32c(bytes: Uint8Array, seed = 0): number {
  let crc = ~seed >>> 0;
  const n = bytes.length;
  let i = 0;
  const t = TABLES;
  for (; i + 8 <= n; i += 8) {
    const lo = (crc ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24))) >>> 0;
    crc =
      t[7 * 256 + (lo & 0xff)] ^
      t[6 * 256 + ((lo >>> 8) & 0xff)] ^
      t[5 * 256 + ((lo >>> 16) & 0xff)] ^
      t[4 * 256 + (lo >>> 24)] ^
      t[3 * 256 + bytes[i + 4]] ^
      t[2 * 256 + bytes[i + 5]] ^
      t[1 * 256 + bytes[i + 6]] ^
      t[bytes[i + 7]];
  }
  for (; i < n; i++) crc = (crc >>> 8) ^ t[(crc ^ bytes[i]) & 0xff];
  return ~crc >>> 0;
}
