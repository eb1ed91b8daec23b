// Typed codec errors. Every decoder either returns data or throws a CodecError with one of these
// stable codes; the wasm modules report failures as negative return values that map 1:1 onto them.

export const CODEC_ERROR_CODES = {
  /** Input ended before the structure it announced was complete. */
  TRUNCATED: -1,
  /** Bytes are structurally invalid (bad magic, impossible header value, invalid Huffman/ANS table...). */
  CORRUPT: -2,
  /** Known magic but a codec id or format version this build does not know. */
  UNSUPPORTED: -3,
  /** The block claims more output than the decoder's hard limits allow. */
  TOO_LARGE: -4,
  /** A checksum did not match. */
  CHECKSUM_MISMATCH: -5,
  /** Caller input is invalid (length mismatch, non-integer timestamp, bad level...). */
  INVALID_INPUT: -6,
} as const;

export type CodecErrorCode = keyof typeof CODEC_ERROR_CODES;

const BY_NUMBER = new Map<number, CodecErrorCode>(
  Object.entries(CODEC_ERROR_CODES).map(([k, v]) => [v, k as CodecErrorCode]),
);

export class CodecError extends Error {
  readonly code: CodecErrorCode;
  constructor(code: CodecErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'CodecError';
    this.code = code;
  }
}

/** Turns a negative wasm return value into a CodecError (unknown values count as CORRUPT). */
export function codecErrorFromWasm(rc: number, what: string): CodecError {
  const code = BY_NUMBER.get(rc) ?? 'CORRUPT';
  return new CodecError(code, `${what} failed (wasm rc ${rc})`);
}
