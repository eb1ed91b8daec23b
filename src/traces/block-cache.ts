// A worker's cache of opened columnar span blocks (codec/block.ts SpanBlockReader: the block's
// bytes plus the dictionaries it parsed), for trace look-ups: a cold look-up reads the whole block,
// checks its crc and decompresses its dictionaries before it decodes one page (~1 ms of the 2 ms
// budget on an 8 k-span block); a kept reader decodes the page only. Like a database's block cache,
// bounded by bytes (least recently used out first), per worker thread (module state: each thread
// has its own). An entry is keyed by place AND the frame's crc, read from the 40-byte header on every
// use: a block rewritten at the same place (a segment file deleted and its name reused) never hits a
// stale entry, and the bytes behind a hit were crc-checked when they were cached.
import { BLOCK_HEADER_BYTES, parseBlock, parseBlockHeader } from '../storage/block.js';
import type { SegmentReader } from '../storage/segments.js';
import { SpanBlockReader } from './codec/block.js';

/** Bytes of block payloads kept per worker thread. */
export const BLOCK_CACHE_BYTES = 64 * 1024 * 1024;

interface Entry {
  reader: SpanBlockReader;
  bytes: number;
}

const cache = new Map<string, Entry>();
let cachedBytes = 0;

/** The opened block at (file, offset, length), from the cache when its header's crc still matches. */
export function openSpanBlock(segments: SegmentReader, file: string, offset: number, length: number): SpanBlockReader {
  const head = parseBlockHeader(segments.read(file, offset, BLOCK_HEADER_BYTES));
  const key = `${file}\u0000${offset}\u0000${length}\u0000${head.crc}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    // Most recently used last: Map keeps insertion order.
    cache.delete(key);
    cache.set(key, hit);
    return hit.reader;
  }
  const { payload } = parseBlock(segments.read(file, offset, length));
  const reader = new SpanBlockReader(payload);
  const entry = { reader, bytes: payload.length };
  if (entry.bytes <= BLOCK_CACHE_BYTES / 4) {
    cache.set(key, entry);
    cachedBytes += entry.bytes;
    for (const [k, e] of cache) {
      if (cachedBytes <= BLOCK_CACHE_BYTES) break;
      cache.delete(k);
      cachedBytes -= e.bytes;
    }
  }
  return reader;
}

/** Entries and bytes held (tests). */
export function spanBlockCacheSize(): { entries: number; bytes: number } {
  return { entries: cache.size, bytes: cachedBytes };
}
