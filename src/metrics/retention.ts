// Retention by age per tier: block rows whose newest point is past the tier's horizon are deleted,
// then segment files left without live blocks are deleted whole.
import type { MetricsEngine } from './engine.js';
import { deleteDeadSegments } from './segment-gc.js';
import { TIER_DAILY, TIER_HOURLY, TIER_RAW } from './schema.js';
import type { RetentionOptions, RetentionReport } from './types.js';

export const DEFAULT_RETENTION = {
  rawMaxAgeSec: 7 * 86_400,
  hourlyMaxAgeSec: 90 * 86_400,
  dailyMaxAgeSec: 365 * 86_400,
} as const;

export async function runRetention(
  e: MetricsEngine,
  r: Required<Omit<RetentionOptions, 'intervalSec'>>,
  nowMs: number,
): Promise<RetentionReport> {
  const tiers = [
    { tier: 'raw' as const, id: TIER_RAW, maxAgeSec: r.rawMaxAgeSec },
    { tier: 'hourly' as const, id: TIER_HOURLY, maxAgeSec: r.hourlyMaxAgeSec },
    { tier: 'daily' as const, id: TIER_DAILY, maxAgeSec: r.dailyMaxAgeSec },
  ];
  const report: RetentionReport = { nowMs, tiers: [], segmentFilesDeleted: 0, bytesFreed: 0 };
  e.db.transaction(() => {
    for (const t of tiers) {
      const blocksDeleted = e.index.deleteOlderThan(t.id, nowMs - t.maxAgeSec * 1000);
      report.tiers.push({ tier: t.tier, maxAgeSec: t.maxAgeSec, blocksDeleted });
    }
  })();
  e.loadCorrupt(); // corrupt rows of deleted blocks went with them
  const gc = await deleteDeadSegments(e);
  report.segmentFilesDeleted = gc.files;
  report.bytesFreed = gc.bytes;
  return report;
}
