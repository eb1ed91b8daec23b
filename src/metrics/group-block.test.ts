import { describe, expect, it } from 'vitest';
import { encodeSeries } from '../codec/series.js';
import { frameBlock } from '../storage/block.js';
import { decodeGroupMember, decodeRawRow, diffColumns, encodeGroupPayload, GroupBlockCache, KIND_RAW_GROUP } from './group-block.js';
import { histogramFamilies, leBound } from './histogram-families.js';

const T0 = Date.UTC(2024, 0, 1);
const ts = Float64Array.from({ length: 300 }, (_, i) => T0 + i * 10_000);
/** Three cumulative buckets with a reset at 150. */
const buckets = [1, 3, 6].map((w) => Float64Array.from({ length: 300 }, (_, i) => (i % 150) * w + (i % 4)));

describe('group block', () => {
  it('round-trips every member exactly from the difference columns', () => {
    const cols = diffColumns(buckets)!;
    expect(cols.length).toBe(3);
    expect(Array.from(cols[1].subarray(0, 3))).toEqual([0, 2, 4]);
    const payload = encodeGroupPayload(ts, cols);
    for (let j = 0; j < 3; j++) {
      const m = decodeGroupMember(payload, j);
      expect(Array.from(m.tsMs)).toEqual(Array.from(ts));
      expect(Array.from(m.values)).toEqual(Array.from(buckets[j]));
    }
    const framed = frameBlock({ kind: KIND_RAW_GROUP, ownerId: 1, count: ts.length, tMinMs: ts[0], tMaxMs: ts[ts.length - 1] }, payload);
    expect(Array.from(decodeRawRow(framed, 2).values)).toEqual(Array.from(buckets[2]));
    expect(() => decodeRawRow(framed, -1)).toThrow(/ordinary/);
    expect(() => decodeRawRow(framed, 3)).toThrow(/3 columns/);
    const cache = new GroupBlockCache();
    let reads = 0;
    const get = () => (reads++, framed);
    for (let j = 2; j >= 0; j--) expect(Array.from(cache.member('f', 0, j, get).run.values)).toEqual(Array.from(buckets[j]));
    expect(reads).toBe(1);
  });

  it('refuses differences that do not give the values back bit-exactly', () => {
    expect(diffColumns([buckets[0]])).toBeUndefined(); // one member is no group
    expect(diffColumns([Float64Array.of(1e16), Float64Array.of(0.5)])).toBeUndefined();
    expect(diffColumns([Float64Array.of(NaN), Float64Array.of(1)])).toBeUndefined();
    expect(diffColumns([Float64Array.of(0), Float64Array.of(-0)])).toBeUndefined();
    expect(diffColumns([Float64Array.of(1, 2), Float64Array.of(1)])).toBeUndefined();
    expect(diffColumns([Float64Array.of(0.1), Float64Array.of(0.3)])).toBeDefined();
  });

  it('rejects a block that is not a group block, or a damaged container', () => {
    const ordinary = frameBlock({ kind: 1, ownerId: 1, count: 300, tMinMs: ts[0], tMaxMs: ts[299] }, encodeSeries(ts, buckets[0]));
    expect(Array.from(decodeRawRow(ordinary, -1).values)).toEqual(Array.from(buckets[0]));
    expect(() => decodeRawRow(ordinary, 0)).toThrow(/kind 1/);
    const payload = encodeGroupPayload(ts, diffColumns(buckets)!);
    const badVersion = payload.slice();
    badVersion[0] = 9;
    expect(() => decodeGroupMember(badVersion, 0)).toThrow(/UNSUPPORTED/);
    expect(() => decodeGroupMember(payload.subarray(0, 10), 0)).toThrow(/TRUNCATED/);
    const wrongCount = frameBlock({ kind: KIND_RAW_GROUP, ownerId: 1, count: 7, tMinMs: ts[0], tMaxMs: ts[299] }, payload);
    expect(() => decodeRawRow(wrongCount, 0)).toThrow(/header says 7/);
  });
});

describe('histogram families', () => {
  const series = [
    { name: 'h_bucket', labels: { le: '+Inf', r: 'a' } },
    { name: 'h_bucket', labels: { le: '0.5', r: 'a' } },
    { name: 'h_bucket', labels: { le: '10', r: 'a' } },
    { name: 'h_bucket', labels: { le: '0.5', r: 'b' } }, // alone in its family
    { name: 'h_count', labels: { le: '1', r: 'a' } }, // not a bucket series
    { name: 'd_bucket', labels: { le: '1' } },
    { name: 'd_bucket', labels: { le: '1.0' } }, // same bound twice: ambiguous, not grouped
    { name: 'x_bucket', labels: { le: 'big' } },
    { name: 'x_bucket', labels: { le: '2' } },
    { name: 'h_count', labels: { r: 'a' } }, // the family's _count: last member
    { name: 'h_count', labels: { r: 'c' } }, // a _count without buckets: not grouped
  ];
  const nameOf = (id: number) => series[id].name;
  const labelsOf = (id: number) => series[id].labels;

  it('groups buckets of one histogram and cell, ordered by numeric le with +Inf last, then its _count', () => {
    const all = series.map((_, id) => ({ seriesId: id, cell: 5 }));
    expect(histogramFamilies(all, nameOf, labelsOf)).toEqual([[1, 2, 0, 9]]);
    // Another cell is another family.
    const split = [...all.slice(0, 3), { seriesId: 0, cell: 6 }, { seriesId: 1, cell: 6 }];
    expect(histogramFamilies(split, nameOf, labelsOf)).toEqual([[1, 2, 0], [4, 3]]);
  });

  it('reads le bounds', () => {
    expect(leBound('+Inf')).toBe(Infinity);
    expect(leBound('0.25')).toBe(0.25);
    expect(leBound('')).toBeUndefined();
    expect(leBound('NaN')).toBeUndefined();
    expect(leBound(undefined)).toBeUndefined();
  });
});
