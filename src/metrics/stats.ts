// Engine statistics. Two byte figures (DESIGN.md §8): data bytes/point = framed raw block bytes ÷
// sealed raw points; disk bytes/point = everything under <dataDir>/metrics ÷ all points.
import { duBytes } from '../storage/disk-usage.js';
import type { MetricsEngine } from './engine.js';
import { TIER_RAW } from './schema.js';
import type { MetricsStats } from './types.js';
import { WriteErrorLog } from '../storage/write-errors.js';

export async function computeStats(e: MetricsEngine): Promise<MetricsStats> {
  const totals = e.index.totals();
  let rawPoints = 0;
  let rawBytes = 0;
  let rawBlocks = 0;
  let rollupBlocks = 0;
  let rollupRows = 0;
  let oldest = Infinity;
  let newest = -Infinity;
  for (const t of totals) {
    if (t.tier === TIER_RAW) {
      rawPoints = t.points;
      rawBytes = t.bytes;
      rawBlocks = t.blocks;
      if (t.tMin !== null) oldest = Math.min(oldest, t.tMin);
      if (t.tMax !== null) newest = Math.max(newest, t.tMax);
    } else {
      rollupBlocks += t.blocks;
      rollupRows += t.points;
    }
  }
  for (const h of e.heads) {
    if (h === undefined || h.n === 0) continue;
    if (h.minTsMs < oldest) oldest = h.minTsMs;
    if (h.maxTsMs > newest) newest = h.maxTsMs;
  }
  for (const cuts of e.sealer.pendingCuts()) {
    for (const c of cuts) {
      for (let i = 0; i < c.n; i++) {
        const t = c.pairs[2 * i];
        if (t < oldest) oldest = t;
        if (t > newest) newest = t;
      }
    }
  }
  const headPoints = e.headPoints + e.sealer.queuedPoints;
  const points = rawPoints + headPoints;
  const diskBytes = await duBytes(e.root);
  const diskBytesPerPoint = points > 0 ? diskBytes / points : 0;
  let walBytes = e.wal.pendingBytes;
  for (const f of e.wal.files()) walBytes += f.bytes;
  return {
    series: e.catalog.size,
    points,
    headPoints,
    blocks: rawBlocks,
    rollupBlocks,
    rollupRows,
    dataBytes: rawBytes,
    diskBytes,
    dataBytesPerPoint: rawPoints > 0 ? rawBytes / rawPoints : 0,
    diskBytesPerPoint,
    compressionRatio: diskBytesPerPoint > 0 ? 16 / diskBytesPerPoint : 0,
    oldestMs: Number.isFinite(oldest) ? oldest : null,
    newestMs: Number.isFinite(newest) ? newest : null,
    walBytes,
    pendingBytes: e.pendingBytes,
    corruptBlocks: e.corrupt.size,
    writeErrors: WriteErrorLog.merge(e.wal.writeErrors, e.writeErrors),
  };
}
