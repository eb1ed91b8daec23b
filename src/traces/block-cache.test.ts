import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateTraces } from '../../bench/gen/traces.js';
import { frameBlock } from '../storage/block.js';
import { SegmentReader } from '../storage/segments.js';
import { openSpanBlock, spanBlockCacheSize } from './block-cache.js';
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
});
