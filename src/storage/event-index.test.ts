import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../sqlite/open.js';
import { migrate } from '../sqlite/migrate.js';
import { EVENT_INDEX_SCHEMA_V1, EventBlockIndex, type NewEventBlock } from './event-index.js';
import { ReadGate } from './read-gate.js';

const BASE = 1_700_000_000_000_000_000n; // ns, far past 2^53

function block(i: number, over: Partial<NewEventBlock> = {}): NewEventBlock {
  return {
    file: `segments/2024-01-01/2024-01-01-00000${i % 2}.seg`,
    offset: i * 100,
    length: 100,
    tMinNs: BASE + BigInt(i) * 1_000_000_000n + 1n,
    tMaxNs: BASE + BigInt(i) * 1_000_000_000n + 999_999_999n,
    count: 10 + i,
    mask: 1 << (i % 3),
    rawBytes: 1000,
    minSeq: i * 100 + 1,
    maxSeq: i * 100 + 100,
    codec: 1,
    day: '2024-01-01',
    filter: new Uint8Array([i]),
    terms: [`service=s${i % 2}`, 'host=h'],
    keys: ['k', `k${i}`],
    ...over,
  };
}

describe('EventBlockIndex', () => {
  let dir: string;
  let db: Db;
  let index: EventBlockIndex;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'timeless-eventindex-'));
    db = openDatabase(path.join(dir, 'index.db'));
    migrate(db, [EVENT_INDEX_SCHEMA_V1]);
    index = new EventBlockIndex(db);
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const all = { fromNs: -(2n ** 63n), toNs: 2n ** 63n - 1n, mask: 0xff, terms: [] as string[], limit: 1000 };

  it('stores exact ns ranges and returns candidates in time order both ways', () => {
    const ids = db.transaction(() => index.insert([0, 1, 2, 3, 4].map((i) => block(i))))();
    expect(ids).toHaveLength(5);
    const desc = index.candidates({ ...all, order: 'desc' });
    expect(desc.map((r) => r.id)).toEqual([...ids].reverse());
    expect(desc[0].tMaxNs).toBe(BASE + 4_999_999_999n);
    expect([...desc[0].filter]).toEqual([4]);
    const asc = index.candidates({ ...all, order: 'asc' });
    expect(asc.map((r) => r.id)).toEqual(ids);
    expect(asc[0].tMinNs).toBe(BASE + 1n);
  });

  it('filters by ns range (inclusive from, exclusive to), mask, terms and max_seq', () => {
    const ids = db.transaction(() => index.insert([0, 1, 2, 3, 4].map((i) => block(i))))();
    const q = (over: object) => index.candidates({ ...all, order: 'asc', ...over }).map((r) => r.id);
    // Block 2 spans [BASE+2s+1ns, BASE+3s-1ns].
    expect(q({ fromNs: BASE + 2_999_999_999n, toNs: BASE + 3_000_000_002n })).toEqual([ids[2], ids[3]]);
    expect(q({ fromNs: BASE + 3_000_000_000n, toNs: BASE + 3_000_000_001n })).toEqual([]);
    expect(q({ fromNs: BASE + 3_000_000_000n, toNs: BASE + 3_000_000_002n })).toEqual([ids[3]]);
    expect(q({ mask: 0b010 })).toEqual([ids[1], ids[4]]);
    expect(q({ terms: ['service=s1'] })).toEqual([ids[1], ids[3]]);
    expect(q({ terms: ['service=s1', 'host=h'] })).toEqual([ids[1], ids[3]]);
    expect(q({ terms: ['service=nope'] })).toEqual([]);
    expect(q({ maxSeq: 300 })).toEqual([ids[0], ids[1], ids[2]]);
  });

  it('pages by keyset, ties on time broken by id', () => {
    const same = (i: number) => block(i, { tMinNs: BASE, tMaxNs: BASE + 5n });
    const ids = db.transaction(() => index.insert([0, 1, 2, 3, 4, 5, 6].map(same)))();
    for (const order of ['asc', 'desc'] as const) {
      const seen: number[] = [];
      let after: { ns: bigint; id: number } | undefined;
      for (;;) {
        const page = index.candidates({ ...all, order, limit: 3, after });
        seen.push(...page.map((r) => r.id));
        if (page.length < 3) break;
        const last = page[page.length - 1];
        after = { ns: order === 'desc' ? last.tMaxNs : last.tMinNs, id: last.id };
      }
      expect(seen).toEqual(order === 'asc' ? ids : [...ids].reverse());
    }
  });

  it('deletes rows with their postings and corrupt records; keeps keys, meta and the found count', () => {
    const ids = db.transaction(() => index.insert([0, 1].map((i) => block(i))))();
    index.setSealedSeq(200);
    expect(index.markCorrupt(ids[0], 'f', 0, 'CORRUPT_BLOCK', 'crc')).toBe(true);
    expect(index.markCorrupt(ids[0], 'f', 0, 'CORRUPT_BLOCK', 'crc')).toBe(false);
    db.transaction(() => index.delete([ids[0]]))();
    expect(db.prepare('SELECT COUNT(*) FROM terms WHERE block_id = ?').pluck().get(ids[0])).toBe(0);
    expect(index.termValues('service=', 10)).toEqual(['s1']);
    expect(index.keys()).toEqual(['k', 'k0', 'k1']);
    expect(index.sealedSeq()).toBe(200);
    expect(index.corruptFound()).toBe(1);
    expect(index.corruptIds().size).toBe(0);
    expect(index.byId(ids[0])).toBeUndefined();
    expect(index.byId(ids[1])?.count).toBe(11);
  });

  it('answers totals, segment usage and small-block candidates (never corrupt ones)', () => {
    const ids = db.transaction(() => index.insert([0, 1, 2, 3].map((i) => block(i))))();
    const t = index.totals();
    expect(t).toEqual({ blocks: 4, count: 10 + 11 + 12 + 13, bytes: 400, rawBytes: 4000, tMinNs: BASE + 1n, tMaxNs: BASE + 3_999_999_999n });
    const usage = index.segmentUsage();
    expect(usage.map((u) => [u.file.slice(-5), u.blocks, u.end])).toEqual([
      ['0.seg', 2, 300],
      ['1.seg', 2, 400],
    ]);
    expect(index.segmentEnds().get('segments/2024-01-01/2024-01-01-000001.seg')).toBe(400);
    index.markCorrupt(ids[1], 'f', 0, 'X', 'y');
    expect(index.smallBlocks(13, 100).map((r) => r.id)).toEqual([ids[0], ids[2]]);
    expect(index.olderThan(BASE + 2_000_000_000n).map((b) => b.id)).toEqual([ids[0], ids[1]]);
    expect(index.distinctMasks().sort()).toEqual([1, 2, 4]);
  });

  it('selects compaction candidates: listed codecs, small blocks, masks outside every group; never corrupt ones', () => {
    const ids = db.transaction(() =>
      index.insert([
        block(0, { count: 100 }), // mask 1: within group 0b011, not small
        block(1, { count: 100, codec: 2 }), // a listed codec
        block(2, { count: 5, mask: 4 }), // small
        block(3, { count: 100, mask: 0b101 }), // spans groups
        block(4, { count: 100, mask: 0b110, codec: 2, filter: null as unknown as Uint8Array }), // corrupt below
      ]),
    )();
    index.markCorrupt(ids[4], 'f', 0, 'X', 'y');
    const rows = index.compactionCandidates({ codecs: [2], maxCount: 10, maskGroups: [0b011, 0b100] }, 100);
    expect(rows.map((r) => r.id)).toEqual([ids[1], ids[2], ids[3]]);
    expect(rows.map((r) => r.codec)).toEqual([2, 1, 1]);
    expect(index.compactionCandidates({ codecs: [], maxCount: 0, maskGroups: [] }, 100)).toEqual([]);
    // A NULL filter reads back as empty (= may match anything).
    expect(index.byId(ids[4])?.filter).toEqual(new Uint8Array(0));
  });

  it('estimates where the newest N events begin, newest blocks first, interpolating inside one', () => {
    expect(index.newestEventsBoundaryNs(1)).toBeUndefined();
    db.transaction(() => index.insert([0, 1, 2].map((i) => block(i, { count: 100 }))))();
    // Block 2 holds the newest 100: the newest 50 start half-way through it.
    const b2 = block(2);
    expect(index.newestEventsBoundaryNs(50)).toBe(b2.tMaxNs - (b2.tMaxNs - b2.tMinNs) / 2n);
    expect(index.newestEventsBoundaryNs(100)).toBe(b2.tMinNs);
    expect(index.newestEventsBoundaryNs(300)).toBe(block(0).tMinNs);
    expect(index.newestEventsBoundaryNs(301)).toBeUndefined();
  });

  it('prunes segment rows only when no block points into them', () => {
    db.transaction(() => index.insert([block(0), block(1)]))();
    expect(index.hasLiveBlock(block(0).file)).toBe(true);
    index.pruneSegments([block(0).file]);
    expect(db.prepare('SELECT COUNT(*) FROM segments').pluck().get()).toBe(2);
    db.transaction(() => index.delete(index.blocksInFile(block(0).file).map((b) => b.id)))();
    expect(index.hasLiveBlock(block(0).file)).toBe(false);
    index.pruneSegments([block(0).file]);
    expect(db.prepare('SELECT COUNT(*) FROM segments').pluck().get()).toBe(1);
    // A segment re-created after pruning gets a fresh row.
    db.transaction(() => index.insert([block(2)]))();
    expect(index.hasLiveBlock(block(2).file)).toBe(true);
  });
});

describe('ReadGate', () => {
  it('lets a writer in only when readers left, and holds new readers until it is done', async () => {
    const gate = new ReadGate();
    const events: string[] = [];
    await gate.enter();
    const w = gate.exclusive(async () => {
      events.push('writer');
      await new Promise((r) => setTimeout(r, 5));
      events.push('writer done');
    });
    const r2 = gate.enter().then(() => {
      events.push('reader 2');
      gate.exit();
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(events).toEqual([]);
    events.push('reader 1 exits');
    gate.exit();
    await Promise.all([w, r2]);
    expect(events).toEqual(['reader 1 exits', 'writer', 'writer done', 'reader 2']);
    expect(gate.activeReaders).toBe(0);
  });
});
