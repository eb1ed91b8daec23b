import { describe, expect, it } from 'vitest';
import { Prng } from '../../bench/gen/prng.js';
import { crc32c as refCrc32c } from '../codec/reference/crc32c.js';
import {
  BLOCK_HEADER_BYTES,
  blockHeaderBytes,
  frameBlock,
  parseBlock,
  parseBlockHeader,
  scanBlocks,
  scanSegment,
  type BlockHeaderInput,
} from './block.js';
import { StorageError } from './errors.js';

const HEADER: BlockHeaderInput = { kind: 1, flags: 2, ownerId: 0x01020304, count: 5, tMinMs: 1000, tMaxMs: 2000 };
const PAYLOAD = Uint8Array.from([0xaa, 0xbb, 0xcc]);
// Written out by hand from the layout in block.ts; the crc is checked against the reference crc32c below.
const GOLDEN =
  '54424c4b' + '01' + '01' + '0200' + '04030201' + '05000000' + '0000000000408f40' + '0000000000409f40' +
  '03000000' + '088137c7' + 'aabbcc';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof StorageError ? err.code : `not a StorageError: ${String(err)}`;
  }
  return 'no error';
};

describe('block framing', () => {
  it('frames the golden bytes (40-byte LE header, crc32c over header 0..35 + payload)', () => {
    const bytes = frameBlock(HEADER, PAYLOAD);
    expect(hex(bytes)).toBe(GOLDEN);
    const covered = new Uint8Array(36 + PAYLOAD.length);
    covered.set(bytes.subarray(0, 36));
    covered.set(PAYLOAD, 36);
    expect(refCrc32c(covered)).toBe(0xc7378108);
  });

  it('blockHeaderBytes gives the golden header alone: written before the payload in place, the same block', () => {
    const header = blockHeaderBytes(HEADER, PAYLOAD);
    expect(header.length).toBe(BLOCK_HEADER_BYTES);
    expect(hex(header)).toBe(GOLDEN.slice(0, BLOCK_HEADER_BYTES * 2));
    const big = new Prng(7).bytes(100_000);
    const joined = new Uint8Array(BLOCK_HEADER_BYTES + big.length);
    joined.set(blockHeaderBytes(HEADER, big));
    joined.set(big, BLOCK_HEADER_BYTES);
    expect(hex(joined)).toBe(hex(frameBlock(HEADER, big)));
    expect(() => blockHeaderBytes({ ...HEADER, kind: 256 }, PAYLOAD)).toThrow();
  });

  it('parses what it framed (header fields, payload view), including an empty payload', () => {
    const { header, payload } = parseBlock(frameBlock(HEADER, PAYLOAD));
    expect(header).toEqual({ ...HEADER, version: 1, payloadBytes: 3, crc: 0xc7378108 });
    expect(Array.from(payload)).toEqual([0xaa, 0xbb, 0xcc]);
    const empty = parseBlock(frameBlock({ ...HEADER, flags: undefined, count: 0 }, new Uint8Array(0)));
    expect(empty.payload.length).toBe(0);
    expect(empty.header.flags).toBe(0);
  });

  it('detects every single flipped byte as CORRUPT_BLOCK', () => {
    const rng = new Prng(5);
    const good = frameBlock({ ...HEADER, tMinMs: 1.7e12, tMaxMs: 1.7e12 + 3.6e6 }, rng.bytes(200));
    for (let i = 0; i < good.length; i++) {
      const bad = good.slice();
      bad[i] ^= 1 << rng.int(0, 7);
      expect(code(() => parseBlock(bad))).toBe('CORRUPT_BLOCK');
    }
  });

  it('rejects short input, wrong length, bad magic and unknown version with CORRUPT_BLOCK', () => {
    const good = frameBlock(HEADER, PAYLOAD);
    expect(code(() => parseBlock(good.subarray(0, 39)))).toBe('CORRUPT_BLOCK');
    expect(code(() => parseBlock(good.subarray(0, good.length - 1)))).toBe('CORRUPT_BLOCK');
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    expect(code(() => parseBlock(longer))).toBe('CORRUPT_BLOCK');
    const v2 = good.slice();
    v2[4] = 2;
    expect(code(() => parseBlockHeader(v2))).toBe('CORRUPT_BLOCK');
    const magic = good.slice();
    magic[0] = 0;
    expect(code(() => parseBlockHeader(magic))).toBe('CORRUPT_BLOCK');
  });

  it('parseBlockHeader reads the header without needing the payload', () => {
    const h = parseBlockHeader(frameBlock(HEADER, new Uint8Array(5000)).subarray(0, BLOCK_HEADER_BYTES));
    expect(h.payloadBytes).toBe(5000);
    expect(h.ownerId).toBe(0x01020304);
  });

  it('refuses header values that do not fit their fields', () => {
    expect(() => frameBlock({ ...HEADER, kind: 256 }, PAYLOAD)).toThrow(RangeError);
    expect(() => frameBlock({ ...HEADER, ownerId: -1 }, PAYLOAD)).toThrow(RangeError);
    expect(() => frameBlock({ ...HEADER, count: 1.5 }, PAYLOAD)).toThrow(RangeError);
  });

  it('scanBlocks walks a segment and stops at the first invalid block', () => {
    const rng = new Prng(9);
    const blocks = Array.from({ length: 6 }, (_, i) => frameBlock({ ...HEADER, ownerId: i }, rng.bytes(rng.int(0, 300))));
    const total = blocks.reduce((n, b) => n + b.length, 0);
    const file = new Uint8Array(total + 25);
    let off = 0;
    for (const b of blocks) {
      file.set(b, off);
      off += b.length;
    }
    file.set(rng.bytes(25), total); // torn tail
    const all = scanSegment(file);
    expect(all.blocks.map((b) => b.header.ownerId)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(all.validBytes).toBe(total);
    expect(all.blocks[3].offset).toBe(blocks[0].length + blocks[1].length + blocks[2].length);

    // Corrupt block 2: blocks 0 and 1 remain, nothing after is trusted.
    const bad = file.slice();
    bad[all.blocks[2].offset + BLOCK_HEADER_BYTES - 1] ^= 0x10;
    expect([...scanBlocks(bad)].map((b) => b.header.ownerId)).toEqual([0, 1]);
    expect(scanSegment(bad).validBytes).toBe(all.blocks[2].offset);
    // A block whose payload runs past the end is incomplete.
    expect(scanSegment(file.subarray(0, total - 1)).blocks.length).toBe(5);
    expect(scanSegment(new Uint8Array(0))).toEqual({ blocks: [], validBytes: 0 });
  });
});
