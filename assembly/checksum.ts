// crc32c (Castagnoli, reflected polynomial 0x82F63B78), slicing-by-8. Twin of
// src/codec/reference/crc32c.ts. Tables live in static memory and are filled once at instantiation
// (8 KiB; computing them costs ~microseconds, cheaper than shipping them in the binary).

const POLY_REFLECTED: u32 = 0x82f63b78;
const TABLES: usize = memory.data(8 * 256 * 4, 16);

function buildTables(): void {
  for (let b: u32 = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ POLY_REFLECTED : c >> 1;
    store<u32>(TABLES + (<usize>b << 2), c);
  }
  for (let k: usize = 1; k < 8; k++) {
    for (let b: usize = 0; b < 256; b++) {
      const prev = load<u32>(TABLES + (((k - 1) * 256 + b) << 2));
      store<u32>(TABLES + ((k * 256 + b) << 2), (prev >> 8) ^ load<u32>(TABLES + ((prev & 0xff) << 2)));
    }
  }
}
buildTables();

// @ts-ignore: decorator
@inline function tab(k: usize, b: u32): u32 {
  return load<u32>(TABLES + ((k << 10) + (<usize>b << 2)));
}

/** crc32c of [ptr, ptr + len); `seed` is a previous result (chaining), 0 to start. */
export function crc32cUpdate(ptr: usize, len: usize, seed: u32): u32 {
  let crc = ~seed;
  let p = ptr;
  const end = ptr + len;
  while (p + 8 <= end) {
    const lo = crc ^ load<u32>(p);
    const hi = load<u32>(p, 4);
    crc =
      tab(7, lo & 0xff) ^ tab(6, (lo >> 8) & 0xff) ^ tab(5, (lo >> 16) & 0xff) ^ tab(4, lo >> 24) ^
      tab(3, hi & 0xff) ^ tab(2, (hi >> 8) & 0xff) ^ tab(1, (hi >> 16) & 0xff) ^ tab(0, hi >> 24);
    p += 8;
  }
  while (p < end) {
    crc = (crc >> 8) ^ tab(0, (crc ^ <u32>load<u8>(p)) & 0xff);
    p++;
  }
  return ~crc;
}
