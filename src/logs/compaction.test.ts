import { describe, expect, it } from 'vitest';
import type { EventBlockRow } from '../storage/event-index.js';
import { classOfMask, severityClass, SEVERITY_CLASS_MASKS } from './compact-tasks.js';
import { CLASS_BLOCK_ENTRIES, needsConversion, planGroups, RECENT_BLOCK_ENTRIES, smallBlockEntries } from './compaction.js';
import { CODEC_LOG_BLOCK_V1, CODEC_LOG_RAW_V1 } from './schema.js';

const A = SEVERITY_CLASS_MASKS[0];
const B = SEVERITY_CLASS_MASKS[1];
const C = SEVERITY_CLASS_MASKS[2];

let nextId = 1;
function row(p: Partial<EventBlockRow> & { count: number; mask: number }): EventBlockRow {
  const id = nextId++;
  return {
    id,
    file: 'segments/2024-01-01/0.seg',
    offset: id * 100,
    length: 100,
    tMinNs: 1000n * BigInt(id),
    tMaxNs: 1000n * BigInt(id) + 999n,
    rawBytes: p.count * 50,
    minSeq: id * 10,
    maxSeq: id * 10 + 9,
    codec: CODEC_LOG_BLOCK_V1,
    day: '2024-01-01',
    filter: new Uint8Array(0),
    ...p,
  };
}

describe('severity classes', () => {
  it('maps severities and masks to classes A (trace..info), B (warn), C (error, fatal)', () => {
    expect([1, 4, 5, 9, 12, 13, 16, 17, 21, 24].map(severityClass)).toEqual([0, 0, 0, 0, 0, 1, 1, 2, 2, 2]);
    expect([0b000001, 0b000110, 0b001000, 0b010000, 0b110000].map(classOfMask)).toEqual([0, 0, 1, 2, 2]);
    expect([0, 0b001100, 0b010100, 0b111111].map(classOfMask)).toEqual([-1, -1, -1, -1]);
  });
});

describe('planGroups', () => {
  it('converts RAW and mixed-class blocks first, per day in write order, up to the group budget', () => {
    const rows = [
      row({ count: 10, mask: A }), // small, not converted while conversions are pending
      row({ count: 40, mask: A | C, codec: CODEC_LOG_RAW_V1 }),
      row({ count: 40, mask: B, codec: CODEC_LOG_RAW_V1 }),
      row({ count: 50_000, mask: A | B }), // columnar mixing classes
      row({ count: 30, mask: C, codec: CODEC_LOG_RAW_V1, day: '2024-01-02' }),
    ];
    expect(rows.map(needsConversion)).toEqual([false, true, true, true, true]);
    const groups = planGroups(rows, undefined, 1_000);
    expect(groups.map((g) => g.map((r) => r.id))).toEqual([[rows[1].id, rows[2].id], [rows[3].id], [rows[4].id]]);
  });

  it('then merges small blocks of one day, class and tier, two or more at a time', () => {
    const recentFromNs = 1000n * BigInt(nextId + 7);
    const rows = [
      row({ count: 100, mask: A }),
      row({ count: 100, mask: C }),
      row({ count: CLASS_BLOCK_ENTRIES[0], mask: A }), // full size: left alone
      row({ count: 100, mask: A }),
      row({ count: 100, mask: B }), // alone in its class: nothing to merge with
      row({ count: 100, mask: C, day: '2024-01-02' }), // another day
      row({ count: 100, mask: C }),
      row({ count: 10, mask: A }), // recent tier from here on
      row({ count: 10, mask: A }),
      row({ count: RECENT_BLOCK_ENTRIES, mask: A }), // a full recent block
    ];
    expect(rows[7].tMinNs).toBeGreaterThanOrEqual(recentFromNs);
    expect(rows[6].tMinNs).toBeLessThan(recentFromNs);
    const ids = planGroups(rows, recentFromNs).map((g) => g.map((r) => r.id));
    expect(ids).toEqual([
      [rows[0].id, rows[3].id],
      [rows[7].id, rows[8].id],
      [rows[1].id, rows[6].id],
    ]);
    expect(smallBlockEntries(0, true)).toBe(RECENT_BLOCK_ENTRIES >> 1);
  });

  it('has nothing to do when every block is single-class and full enough', () => {
    const rows = [row({ count: CLASS_BLOCK_ENTRIES[0], mask: A }), row({ count: CLASS_BLOCK_ENTRIES[2], mask: C }), row({ count: 5, mask: B })];
    expect(planGroups(rows)).toEqual([]);
  });
});
