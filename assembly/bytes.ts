// wasm entry build/bytes.wasm: the general byte compressor (lz) and crc32c. Bridges:
// src/codec/lz.ts and src/codec/crc32c.ts.
export { crc32cUpdate } from './checksum';
export { lzSetDepth } from './lz/match';
export { lzCompress, lzCompressBound, lzDecodeWorkBytes, lzDecompress, lzFrameRawLength, lzWorkBytes } from './lz/frame';

export function heapBase(): usize {
  return __heap_base;
}
