// Constants and small pure functions of the lz frame format (spec: assembly/README.md, "Byte
// compressor"). Mirrored by assembly/lz/format.ts; anything changed here changes the format.

export const LZ_MAGIC = [0x54, 0x4c, 0x5a] as const; // "TLZ"
export const LZ_VERSION = 1;
export const FRAME_HEADER_BYTES = 12; // magic(3) version(1) rawLength u32 crc32c u32
/** Hard decoder limit on the declared raw length: a hostile header cannot demand more. */
export const LZ_MAX_OUTPUT_BYTES = 256 * 1024 * 1024;
/** Largest raw block a decoder accepts (the encoder uses BLOCK_BYTES). */
export const MAX_BLOCK_BYTES = 1 << 20;
export const BLOCK_BYTES = 1 << 18;
export const BLOCK_RAW = 0;
export const BLOCK_LZ = 1;

export const MIN_MATCH = 3;
/** Literal/match length codes: values below 2^directLog are their own code, then 2 codes per power of 2. */
export const LL_DIRECT_LOG = 4;
export const ML_DIRECT_LOG = 5;
export const LL_CODES = 50; // lengths < 2^21
export const ML_CODES = 64; // lengths - 3 < 2^21
/** Offset codes: ofv = offset + 3 (1..3 are the repeat offsets); code = floor(log2(ofv)), so ofv < 2^25. */
export const OF_CODES = 25;
export const LIT_CODES = 256;

export const LIT_MAX_LOG = 11;
export const LL_MAX_LOG = 9;
export const ML_MAX_LOG = 9;
export const OF_MAX_LOG = 8;
export const MIN_TABLE_LOG = 5;

export const TABLE_UNUSED = 0;
export const TABLE_NEW = 1;
export const TABLE_REUSE = 2;

/** Number of literal contexts (each with its own FSE table, all sharing one table log). */
export const LIT_CONTEXTS = 4;
/**
 * Literal context = class of the previous output byte. Logs are JSON/text full of hex ids and
 * numbers: what follows a digit or a letter differs from what follows punctuation.
 */
export function byteClass(b: number): number {
  if (b >= 0x30 && b <= 0x39) return 1; // digit
  if ((b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || b >= 0x80) return 0; // letter
  if (b === 0x20) return 2; // space
  return 3; // punctuation, control
}

export function highbit(v: number): number {
  return 31 - Math.clz32(v);
}

export function lenCode(v: number, directLog: number): number {
  if (v < 1 << directLog) return v;
  const nb = highbit(v);
  return (1 << directLog) + ((nb - directLog) << 1) + ((v >>> (nb - 1)) & 1);
}

export function lenCodeBits(code: number, directLog: number): number {
  const d = 1 << directLog;
  return code < d ? 0 : ((code - d) >> 1) + directLog - 1;
}

export function lenCodeBase(code: number, directLog: number): number {
  const d = 1 << directLog;
  if (code < d) return code;
  const nb = ((code - d) >> 1) + directLog;
  return (1 << nb) | (((code - d) & 1) << (nb - 1));
}

/** round(256 * log2(1 + i/256)): fractional part of fixed-point log2 (integer math keeps wasm and TS identical). */
export const LOG2_FRAC = new Uint8Array([
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
  244, 245, 246, 247, 247, 248, 249, 249, 250, 251, 252, 252, 253, 254, 255, 255,
]);

/** log2(v) in 1/256 bit units, v >= 1. */
export function log2Fixed(v: number): number {
  const h = highbit(v);
  const frac = h >= 8 ? (v >>> (h - 8)) & 255 : (v << (8 - h)) & 255;
  return (h << 8) + LOG2_FRAC[frac];
}
