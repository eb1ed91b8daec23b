// A worker's cache of opened columnar span blocks (codec/block.ts SpanBlockReader: the block's
// bytes plus the dictionaries and page bodies it decompressed), for trace look-ups and queries: a
// cold read fetches the whole block, checks its crc and decompresses its dictionaries before it
// decodes one page (~1 ms of the 2 ms look-up budget on an 8 k-span block); a kept reader decodes
// the page only. Like a database's block cache: bounded by bytes (payloads plus what their readers
// keep), least recently used out first, per worker thread (module state). An entry is keyed by
// place AND the frame's crc, read from the 40-byte header on every use: a block rewritten at the
// same place (a segment file deleted and its name reused) never hits a stale entry, and the bytes
// behind a hit were crc-checked when they were cached.
import { BLOCK_HEADER_BYTES, parseBlock, parseBlockHeader } from '../storage/block.js';
import type { SegmentReader } from '../storage/segments.js';
import { SpanBlockReader } from './codec/block.js';

/** Bytes of block payloads kept per worker thread. */
export const BLOCK_CACHE_BYTES = 64 * 1024 * 1024;
/**
 * An entry nobody used for this long is dropped (at the next open). Blocks die all the time -
 * compaction rewrites them, retention deletes them - and their entries are never hit again; a
 * byte bound alone kept them until the cache was full, so a store whose dashboard looks at recent
 * traces grew towards 64 MiB per worker over tens of minutes (the soak's RSS growth). A look-up
 * burst (a trace view, the bench) re-uses its blocks within milliseconds.
 */
export const BLOCK_CACHE_IDLE_MS = 60_000;

interface Entry {
  reader: SpanBlockReader;
  /** The block's payload bytes (its reader also keeps what it decompressed: reader.keptBytes). */
  bytes: number;
  /** performance.now() of its last use. */
  usedAtMs: number;
}

const cache = new Map<string, Entry>();

/** Bytes held: the payloads plus what their readers decompressed and kept (dictionaries, page bodies). */
function heldBytes(): number {
  let n = 0;
  for (const e of cache.values()) n += e.bytes + e.reader.keptBytes;
  return n;
}

/**
 * The opened block at (file, offset, length), from the cache when its header's crc still matches.
 * `nowMs` (performance.now() by default) is a parameter for the idle-expiry test.
 */
export function openSpanBlock(segments: SegmentReader, file: string, offset: number, length: number, nowMs = performance.now()): SpanBlockReader {
  // Least recently used first: the idle ones are a prefix.
  for (const [k, e] of cache) {
    if (nowMs - e.usedAtMs < BLOCK_CACHE_IDLE_MS) break;
    cache.delete(k);
  }
  const head = parseBlockHeader(segments.read(file, offset, BLOCK_HEADER_BYTES));
  const key = `${file}\u0000${offset}\u0000${length}\u0000${head.crc}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    // Most recently used last: Map keeps insertion order.
    cache.delete(key);
    hit.usedAtMs = nowMs;
    cache.set(key, hit);
    return hit.reader;
  }
  const { payload } = parseBlock(segments.read(file, offset, length));
  const reader = new SpanBlockReader(payload);
  const entry = { reader, bytes: payload.length, usedAtMs: nowMs };
  if (entry.bytes <= BLOCK_CACHE_BYTES / 8) {
    // Readers grow as pages are read, so the sum is taken afresh (a few hundred entries at most).
    let held = heldBytes() + entry.bytes;
    for (const [k, e] of cache) {
      if (held <= BLOCK_CACHE_BYTES) break;
      cache.delete(k);
      held -= e.bytes + e.reader.keptBytes;
    }
    cache.set(key, entry);
  }
  return reader;
}

/** Entries and bytes held (tests). */
export function spanBlockCacheSize(): { entries: number; bytes: number } {
  return { entries: cache.size, bytes: heldBytes() };
}
