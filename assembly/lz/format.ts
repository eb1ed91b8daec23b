// Constants and small pure functions of the lz frame format. Twin of src/codec/reference/lz-format.ts
// (the spec is assembly/README.md, "Byte compressor"); changing anything here changes the format.

export const LZ_MAGIC0: u8 = 0x54; // "TLZ"
export const LZ_MAGIC1: u8 = 0x4c;
export const LZ_MAGIC2: u8 = 0x5a;
export const LZ_VERSION: u8 = 1;
export const FRAME_HEADER_BYTES: i32 = 12;
export const LZ_MAX_OUTPUT_BYTES: i32 = 256 * 1024 * 1024;
export const MAX_BLOCK_BYTES: i32 = 1 << 20;
export const BLOCK_BYTES: i32 = 1 << 18;
export const BLOCK_RAW: u8 = 0;
export const BLOCK_LZ: u8 = 1;

export const MIN_MATCH: i32 = 3;
export const LL_DIRECT_LOG: i32 = 4;
export const ML_DIRECT_LOG: i32 = 5;
export const LL_CODES: i32 = 50;
export const ML_CODES: i32 = 64;
export const OF_CODES: i32 = 25;
export const LIT_CODES: i32 = 256;

export const LIT_MAX_LOG: i32 = 11;
export const LL_MAX_LOG: i32 = 9;
export const ML_MAX_LOG: i32 = 9;
export const OF_MAX_LOG: i32 = 8;
export const MIN_TABLE_LOG: i32 = 5;

export const TABLE_UNUSED: u8 = 0;
export const TABLE_NEW: u8 = 1;
export const TABLE_REUSE: u8 = 2;

export const LIT_CONTEXTS: i32 = 4;
/** Table slots: literal contexts 0..3, then LL, OF, ML. */
export const SLOT_LL: i32 = 4;
export const SLOT_OF: i32 = 5;
export const SLOT_ML: i32 = 6;
export const SLOTS: i32 = 7;

export const E_TRUNCATED: i32 = -1;
export const E_CORRUPT: i32 = -2;
export const E_UNSUPPORTED: i32 = -3;
export const E_TOO_LARGE: i32 = -4;
export const E_CHECKSUM: i32 = -5;
export const E_INVALID: i32 = -6;

// @ts-ignore: decorator
@inline export function slotAlphabet(slot: i32): i32 {
  return slot < LIT_CONTEXTS ? LIT_CODES : slot == SLOT_LL ? LL_CODES : slot == SLOT_OF ? OF_CODES : ML_CODES;
}

// @ts-ignore: decorator
@inline export function slotMaxLog(slot: i32): i32 {
  return slot < LIT_CONTEXTS ? LIT_MAX_LOG : slot == SLOT_LL ? LL_MAX_LOG : slot == SLOT_OF ? OF_MAX_LOG : ML_MAX_LOG;
}

/** Literal context of the byte before a literal: 0 letter, 1 digit, 2 space, 3 punctuation/control. */
const CLASS: usize = memory.data(256);
function buildClasses(): void {
  for (let b: i32 = 0; b < 256; b++) {
    let c: u8 = 3;
    if (b >= 0x30 && b <= 0x39) c = 1;
    else if ((b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || b >= 0x80) c = 0;
    else if (b == 0x20) c = 2;
    store<u8>(CLASS + <usize>b, c);
  }
}
buildClasses();

// @ts-ignore: decorator
@inline export function byteClass(b: u32): i32 {
  return <i32>load<u8>(CLASS + <usize>b);
}

// @ts-ignore: decorator
@inline export function highbit(v: u32): i32 {
  return 31 - <i32>clz<u32>(v);
}

export function lenCode(v: i32, directLog: i32): i32 {
  if (v < (1 << directLog)) return v;
  const nb = highbit(<u32>v);
  return (1 << directLog) + ((nb - directLog) << 1) + ((v >>> (nb - 1)) & 1);
}

// @ts-ignore: decorator
@inline export function lenCodeBits(code: i32, directLog: i32): i32 {
  const d = 1 << directLog;
  return code < d ? 0 : ((code - d) >> 1) + directLog - 1;
}

export function lenCodeBase(code: i32, directLog: i32): i32 {
  const d = 1 << directLog;
  if (code < d) return code;
  const nb = ((code - d) >> 1) + directLog;
  return (1 << nb) | (((code - d) & 1) << (nb - 1));
}

/** round(256 * log2(1 + i/256)) */
const LOG2_FRAC: usize = memory.data<u8>([
0, 1, 3, 4, 6, 7, 9, 10, 11, 13, 14, 16, 17, 18, 20, 21,
  22, 24, 25, 26, 28, 29, 30, 32, 33, 34, 36, 37, 38, 40, 41, 42,
  44, 45, 46, 47, 49, 50, 51, 52, 54, 55, 56, 57, 59, 60, 61, 62,
  63, 65, 66, 67, 68, 69, 71, 72, 73, 74, 75, 77, 78, 79, 80, 81,
  82, 84, 85, 86, 87, 88, 89, 90, 92, 93, 94, 95, 96, 97, 98, 99,
  100, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 116, 117,
  118, 119, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129, 130, 131, 132, 133,
  134, 135, 136, 137, 138, 139, 140, 141, 142, 143, 144, 145, 146, 147, 148, 149,
  150, 151, 152, 153, 154, 155, 155, 156, 157, 158, 159, 160, 161, 162, 163, 164,
  165, 166, 167, 168, 169, 169, 170, 171, 172, 173, 174, 175, 176, 177, 178, 178,
  179, 180, 181, 182, 183, 184, 185, 185, 186, 187, 188, 189, 190, 191, 192, 192,
  193, 194, 195, 196, 197, 198, 198, 199, 200, 201, 202, 203, 203, 204, 205, 206,
  207, 208, 208, 209, 210, 211, 212, 212, 213, 214, 215, 216, 216, 217, 218, 219,
  220, 220, 221, 222, 223, 224, 224, 225, 226, 227, 228, 228, 229, 230, 231, 231,
  232, 233, 234, 234, 235, 236, 237, 238, 238, 239, 240, 241, 241, 242, 243, 244,
  244, 245, 246, 247, 247, 248, 249, 249, 250, 251, 252, 252, 253, 254, 255, 255
]);

/** log2(v) in 1/256 bit units, v >= 1 (integer-only, identical to the TS reference). */
export function log2Fixed(v: u32): i32 {
  const h = highbit(v);
  const frac = h >= 8 ? (v >> <u32>(h - 8)) & 255 : (v << <u32>(8 - h)) & 255;
  return (h << 8) + <i32>load<u8>(LOG2_FRAC + <usize>frac);
}
