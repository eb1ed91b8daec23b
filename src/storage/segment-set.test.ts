import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SegmentSet, trimSegmentSet } from './segment-set.js';
import { writeAt } from './segments.js';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-segset-'));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

const DAY = '2026-11-27';

/** Allocates and writes `bytes` filler bytes, as a worker would. */
function put(set: SegmentSet, bytes: number, compacted: boolean, tier: number): string {
  const { file, offset } = set.allocate(DAY, bytes, compacted, tier);
  writeAt(path.join(root, file), offset, new Uint8Array(bytes).fill(tier + 1));
  return file;
}

describe('SegmentSet', () => {
  it('without tiers: write path under segments/, compaction output under compacted/segments/', async () => {
    const set = await SegmentSet.open(root, 1024);
    expect(set.allocate(DAY, 10)).toEqual({ file: `segments/${DAY}/${DAY}-000001.seg`, offset: 0 });
    expect(set.allocate(DAY, 10, true)).toEqual({ file: `compacted/segments/${DAY}/${DAY}-000001.seg`, offset: 0 });
    expect(set.files().map((f) => [f.file, f.tier, f.bytes])).toEqual([
      [`segments/${DAY}/${DAY}-000001.seg`, 0, 10],
      [`compacted/segments/${DAY}/${DAY}-000001.seg`, 0, 10],
    ]);
  });

  it('with tiers: each tier and generation has its own directory, found again on reopen', async () => {
    const tiers = ['', 'hourly/', 'daily/'];
    const set = await SegmentSet.open(root, 1024, tiers);
    const made = [put(set, 7, false, 0), put(set, 8, true, 0), put(set, 9, false, 1), put(set, 10, true, 1), put(set, 11, false, 2), put(set, 12, true, 2)];
    expect(made).toEqual([
      `segments/${DAY}/${DAY}-000001.seg`,
      `compacted/segments/${DAY}/${DAY}-000001.seg`,
      `hourly/segments/${DAY}/${DAY}-000001.seg`,
      `hourly/compacted/segments/${DAY}/${DAY}-000001.seg`,
      `daily/segments/${DAY}/${DAY}-000001.seg`,
      `daily/compacted/segments/${DAY}/${DAY}-000001.seg`,
    ]);
    const again = await SegmentSet.open(root, 1024, tiers);
    expect(again.files().map((f) => [f.file, f.tier, f.bytes])).toEqual(made.map((file, i) => [file, i >> 1, 7 + i]));
  });

  it('deletes and truncates the file of the right directory when prefixes nest (hourly/compacted/ vs hourly/)', async () => {
    const set = await SegmentSet.open(root, 1024, ['', 'hourly/']);
    const hourly = put(set, 20, false, 1);
    const hourlyCompacted = put(set, 30, true, 1);
    const raw = put(set, 40, false, 0);
    await set.deleteFile(hourlyCompacted);
    expect(fs.existsSync(path.join(root, hourlyCompacted))).toBe(false);
    expect(fs.statSync(path.join(root, hourly)).size).toBe(20);
    await set.truncate(hourly, 5);
    expect(fs.statSync(path.join(root, hourly)).size).toBe(5);
    expect(fs.statSync(path.join(root, raw)).size).toBe(40);
    expect(set.files().map((f) => [f.file, f.bytes])).toEqual([
      [raw, 40],
      [hourly, 5],
    ]);
  });

  it('trimSegmentSet cuts tails past the last indexed block and deletes unreferenced files', async () => {
    const set = await SegmentSet.open(root, 1024, ['', 'hourly/']);
    const kept = put(set, 50, false, 0);
    const cut = put(set, 60, true, 1);
    const orphan = put(set, 70, false, 1);
    await trimSegmentSet(
      set,
      new Map([
        [kept, 50],
        [cut, 25],
      ]),
    );
    const reopened = await SegmentSet.open(root, 1024, ['', 'hourly/']);
    expect(reopened.files().map((f) => [f.file, f.bytes])).toEqual([
      [kept, 50],
      [cut, 25],
    ]);
    expect(fs.existsSync(path.join(root, orphan))).toBe(false);
  });
});
