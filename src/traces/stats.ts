// Traces statistics. rawBytes is the spans' self-describing record form (what the WAL holds), so
// compressionRatio = rawBytes / everything under spans/ (segments + index + WAL) is an honest
// whole-store figure, index and filters included. (The bench also measures against OTLP/JSON.)
import { duBytes } from '../storage/disk-usage.js';
import type { TracesEngine } from './engine.js';
import type { TracesStats } from './types.js';

export async function computeTraceStats(e: TracesEngine): Promise<TracesStats> {
  const t = e.index.totals();
  let oldestNs = t.tMinNs;
  let newestNs = t.tMaxNs;
  for (const c of e.hot.chunks()) {
    if (c.tMinNs !== undefined && (oldestNs === undefined || c.tMinNs < oldestNs)) oldestNs = c.tMinNs;
    if (c.tMaxNs !== undefined && (newestNs === undefined || c.tMaxNs > newestNs)) newestNs = c.tMaxNs;
  }
  const hotSpans = e.hot.events;
  const spans = t.count + hotSpans;
  const rawBytes = t.rawBytes + e.hot.recordBytes;
  const diskBytes = await duBytes(e.root);
  let walBytes = e.wal.pendingBytes + e.hot.unloggedBytes;
  for (const f of e.wal.files()) walBytes += f.bytes;
  const stats: TracesStats = {
    spans,
    blocks: t.blocks,
    hotSpans,
    dataBytes: t.bytes,
    diskBytes,
    rawBytes,
    compressionRatio: diskBytes > 0 ? rawBytes / diskBytes : 0,
    bytesPerSpan: spans > 0 ? diskBytes / spans : 0,
    walBytes,
    pendingBytes: e.pendingBytes,
    corruptBlocks: e.index.corruptFound(),
  };
  if (oldestNs !== undefined) stats.oldestNs = oldestNs;
  if (newestNs !== undefined) stats.newestNs = newestNs;
  return stats;
}
