import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { frameBlock, parseBlock } from '../storage/block.js';
import { compactLogBlocks } from './compact-tasks.js';
import { CODEC_LOG_BLOCK_V1, CODEC_LOG_RAW_V1, KIND_LOG_BLOCK } from './schema.js';
import { decodeLogBlock } from './codec/block.js';
import { Prng } from '../../bench/gen/prng.js';
import { firstEntryMismatch, jsonCanonical, randomEntry } from '../../test/logs-random-entries.js';
import { encodeLogBlock } from './codec/block.js';
import { decodeEntryRecords, EntryRecordWriter, FLAG_RESOURCE_PREV } from './codec/entry-record.js';
import { indexColumnarAsRecords, RecordGather } from './compact-records.js';
import { CodecError } from '../codec/errors.js';
import { encodeLogBlockFromRecords } from './codec/block.js';
import { attributeKeysOfRecords } from './codec/record-keys.js';
import { rawEntries, rawEntry } from './query/raw-records.js';
import { indexRawRecords } from './query/raw-records.js';
import type { LogEntry } from './types.js';

function chainedEntries(seed: number, n: number): LogEntry[] {
  const rng = new Prng(seed);
  const resources = [{ 'service.name': 'a', 'host.name': 'h1' }, { 'service.name': 'b' }, {}];
  let r = resources[0];
  return Array.from({ length: n }, () => {
    if (rng.float() < 0.1) r = rng.pick(resources);
    return { ...randomEntry(rng), resource: r };
  });
}

describe('compaction records', () => {
  it('gathers records in any order, unchaining chained resources', () => {
    const entries = chainedEntries(3, 500);
    const w = new EntryRecordWriter(64, false, true);
    entries.forEach((e, i) => w.append(e, i));
    const ix = indexRawRecords(w.bytes(), entries.length);
    let chained = 0;
    for (let i = 0; i < ix.n; i++) if (ix.buf[ix.starts[i] + 17] & FLAG_RESOURCE_PREV) chained++;
    expect(chained).toBeGreaterThan(300);
    const rng = new Prng(4);
    const order = entries.map((_, i) => i).sort(() => rng.float() - 0.5).slice(0, 300);
    const g = new RecordGather(16);
    for (const i of order) g.add(ix, i);
    expect(g.count).toBe(300);
    const back = decodeEntryRecords(g.bytes());
    expect(Array.from(back.seqs)).toEqual(order);
    expect(firstEntryMismatch(back.entries, order.map((i) => jsonCanonical(entries[i])))).toBeUndefined();
    g.reset();
    expect(g.bytes().length).toBe(0);
  });

  it('indexes a columnar block as records of the same entries', () => {
    const entries = chainedEntries(5, 200);
    const seqs = Float64Array.from(entries, (_, i) => 1000 + i);
    const ix = indexColumnarAsRecords(encodeLogBlock(entries, seqs, 'fast').payload);
    expect(ix.n).toBe(200);
    const back = decodeEntryRecords(ix.buf.subarray(0, ix.starts[ix.n]));
    // A block holds its entries in (tsNs, seq) order.
    const want = entries.map((e, i) => ({ e, s: seqs[i] })).sort((a, b) => (a.e.tsNs < b.e.tsNs ? -1 : a.e.tsNs > b.e.tsNs ? 1 : a.s - b.s));
    expect(Array.from(back.seqs)).toEqual(want.map((x) => x.s));
    expect(firstEntryMismatch(back.entries, want.map((x) => jsonCanonical(x.e)))).toBeUndefined();
  });
});

describe('fuzz: chained records', () => {
  it('every reader of mutated chained records decodes or throws CodecError, nothing else', () => {
    const entries = chainedEntries(21, 60);
    const w = new EntryRecordWriter(64, false, true);
    entries.forEach((e, i) => w.append(e, i));
    const base = Buffer.from(w.bytes());
    const rng = new Prng(22);
    const readers: Array<(b: Uint8Array) => unknown> = [
      (b) => decodeEntryRecords(b),
      (b) => encodeLogBlockFromRecords(b, 'fast'),
      (b) => attributeKeysOfRecords(b),
      (b) => {
        const ix = indexRawRecords(b, entries.length);
        rawEntries(ix);
        for (let i = 0; i < ix.n; i += 7) rawEntry(ix, i);
        const g = new RecordGather();
        for (let i = ix.n - 1; i >= 0; i -= 3) g.add(ix, i);
        return decodeEntryRecords(g.bytes());
      },
    ];
    for (let c = 0; c < 1500; c++) {
      const b = Buffer.from(base.subarray(0, rng.float() < 0.3 ? rng.int(1, base.length) : base.length));
      for (let k = rng.int(1, 3); k > 0; k--) b[rng.int(0, b.length - 1)] = rng.u32() & 0xff;
      for (const read of readers) {
        try {
          read(b);
        } catch (err) {
          if (!(err instanceof CodecError)) throw err;
        }
      }
    }
  });
});

describe('compactLogBlocks over records', () => {
  function rawFrame(entries: LogEntry[], firstSeq: number): Uint8Array {
    const w = new EntryRecordWriter(64, false, true);
    entries.forEach((e, i) => w.append(e, firstSeq + i));
    return frameBlock({ kind: KIND_LOG_BLOCK, ownerId: 0, count: entries.length, tMinMs: 0, tMaxMs: 1 }, w.bytes());
  }

  it('merges RAW and columnar blocks by class; a RAW block whose record only the encoder can reject is named, the rest kept', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compact-records-'));
    try {
      const a = chainedEntries(11, 300);
      const b = chainedEntries(12, 200);
      const c = chainedEntries(13, 100);
      const rawA = rawFrame(a, 0);
      const col = encodeLogBlock(b, Float64Array.from(b, (_, i) => 300 + i), 'fast').payload;
      const colB = frameBlock({ kind: KIND_LOG_BLOCK, ownerId: 0, count: b.length, tMinMs: 0, tMaxMs: 1 }, col);
      // Block C: valid structure and crc, but one record's attributes form byte is unknown.
      const w = new EntryRecordWriter(64, false, true);
      c.forEach((e, i) => w.append({ ...e, attributes: { k: 1 } }, 500 + i));
      const bad = Buffer.from(w.bytes());
      const ix = indexRawRecords(bad, c.length);
      let p = ix.messageAt[7];
      let len = 0;
      for (let shift = 0; ; shift += 7) {
        const byte = bad[p++];
        len += (byte & 0x7f) * 2 ** shift;
        if (byte < 0x80) break;
      }
      p += len; // the attributes length varint (2 bytes, padded), then the form byte
      bad[p + 2] = 9;
      const rawC = frameBlock({ kind: KIND_LOG_BLOCK, ownerId: 0, count: c.length, tMinMs: 0, tMaxMs: 1 }, bad);
      fs.writeFileSync(path.join(dir, 'seg'), Buffer.concat([rawA, colB, rawC]));
      const ref = (id: number, offset: number, length: number, codec: number) => ({ id, file: 'seg', offset, length, codec });
      const out = compactLogBlocks({
        root: dir,
        groups: [
          { blocks: [ref(1, 0, rawA.length, CODEC_LOG_RAW_V1), ref(2, rawA.length, colB.length, CODEC_LOG_BLOCK_V1)] },
          { blocks: [ref(3, rawA.length + colB.length, rawC.length, CODEC_LOG_RAW_V1)] },
        ],
        level: 'fast',
        indexedAttributes: [],
        classEntries: [1000, 1000, 1000],
        recentEntries: 256,
      });
      expect(out.failed.map((f) => [f.group, f.blockId, f.code])).toEqual([[1, 3, 'CORRUPT']]);
      expect(out.blocks.every((x) => x.group === 0)).toBe(true);
      const got: Array<{ seq: number; e: LogEntry }> = [];
      for (const blk of out.blocks) {
        const d = decodeLogBlock(parseBlock(out.bytes.subarray(blk.start, blk.start + blk.length)).payload);
        d.entries.forEach((e, i) => got.push({ seq: d.seqs[i], e }));
        // One severity class per block.
        expect(new Set(d.entries.map((e) => (e.severityNumber <= 12 ? 0 : e.severityNumber <= 16 ? 1 : 2))).size).toBe(1);
      }
      got.sort((x, y) => x.seq - y.seq);
      expect(got.map((x) => x.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i));
      expect(firstEntryMismatch(got.map((x) => x.e), [...a, ...b].map(jsonCanonical))).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
