import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateTraces } from '../../bench/gen/traces.js';
import { frameBlock } from '../storage/block.js';
import { SegmentReader } from '../storage/segments.js';
import { BLOCK_CACHE_IDLE_MS, openSpanBlock, spanBlockCacheSize } from './block-cache.js';
import { encodeSpanBlock } from './codec/block.js';
import { KIND_SPAN_BLOCK } from './schema.js';
import type { Span } from './types.js';

function framed(seed: number): { bytes: Uint8Array; spans: Span[] } {
  const spans: Span[] = [];
  for (const b of generateTraces({ spans: 300, seed, fromMs: Date.UTC(2024, 0, 1) })) spans.push(...b);
  const { bytes } = encodeSpanBlock(spans, 'fast');
  return { bytes: frameBlock({ kind: KIND_SPAN_BLOCK, ownerId: 0, count: spans.length, tMinMs: 0, tMaxMs: 1 }, bytes), spans };
}

describe('span block cache', () => {
  it('keeps an opened block, and never serves it once the bytes at its place changed', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'span-cache-'));
    const file = path.join(dir, 'a.seg');
    const reader = new SegmentReader();
    try {
      const a = framed(1);
      fs.writeFileSync(file, a.bytes);
      const first = openSpanBlock(reader, file, 0, a.bytes.length);
      expect(openSpanBlock(reader, file, 0, a.bytes.length)).toBe(first);
      const before = spanBlockCacheSize();
      expect(before.entries).toBeGreaterThan(0);
      const id = a.spans[0].traceId;
      expect(first.trace(id)).toEqual(expect.arrayContaining([expect.objectContaining({ traceId: id })]));
      // Another block of the same length at the same place (a reused file name): a miss, its own reader.
      let b = framed(2);
      for (let seed = 3; b.bytes.length !== a.bytes.length && seed < 200; seed++) {
        const c = framed(seed);
        if (c.bytes.length === a.bytes.length) b = c;
      }
      const same = b.bytes.length === a.bytes.length;
      reader.close();
      fs.writeFileSync(file, b.bytes);
      const second = openSpanBlock(reader, file, 0, b.bytes.length);
      expect(second).not.toBe(first);
      if (same) expect(second.trace(id)).toEqual([]);
      expect(second.trace(b.spans[0].traceId).length).toBeGreaterThan(0);
      // A damaged block that was not opened before is refused (its crc is checked when it is cached).
      // (Bytes damaged on disk AFTER a block was cached are still served from the copy checked
      // then: correct data; any read from disk - queries, compaction - reports the damage.)
      const bad = framed(999).bytes;
      bad[bad.length - 3] ^= 0xff;
      reader.close();
      fs.writeFileSync(file, bad);
      expect(() => openSpanBlock(reader, file, 0, bad.length)).toThrow(/crc/i);
    } finally {
      reader.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('drops entries idle for BLOCK_CACHE_IDLE_MS (dead blocks must not pile up until the byte bound)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'span-cache-idle-'));
    const reader = new SegmentReader();
    try {
      const files = [1, 2, 3].map((seed) => {
        const f = path.join(dir, `${seed}.seg`);
        const { bytes } = framed(100 + seed);
        fs.writeFileSync(f, bytes);
        return { f, length: bytes.length };
      });
      // Far past any earlier test's entries: they expire first.
      const t0 = performance.now() + 10 * BLOCK_CACHE_IDLE_MS;
      const a = openSpanBlock(reader, files[0].f, 0, files[0].length, t0);
      openSpanBlock(reader, files[1].f, 0, files[1].length, t0 + 1000);
      expect(spanBlockCacheSize().entries).toBe(2);
      // Used again just before it would expire: a hit, and its idle time starts over.
      expect(openSpanBlock(reader, files[0].f, 0, files[0].length, t0 + BLOCK_CACHE_IDLE_MS - 1)).toBe(a);
      // Block 2 (last used at t0 + 1 s) is now idle past the limit; block 1 is not.
      openSpanBlock(reader, files[2].f, 0, files[2].length, t0 + BLOCK_CACHE_IDLE_MS + 1000);
      expect(spanBlockCacheSize().entries).toBe(2);
      expect(openSpanBlock(reader, files[0].f, 0, files[0].length, t0 + BLOCK_CACHE_IDLE_MS + 1001)).toBe(a);
      // Everything idle: the next open leaves only itself.
      const late = t0 + 5 * BLOCK_CACHE_IDLE_MS;
      const c = openSpanBlock(reader, files[2].f, 0, files[2].length, late);
      expect(spanBlockCacheSize().entries).toBe(1);
      expect(openSpanBlock(reader, files[2].f, 0, files[2].length, late + 1)).not.toBe(a);
      expect(openSpanBlock(reader, files[2].f, 0, files[2].length, late + 2)).toBe(c);
    } finally {
      reader.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
