// Logs statistics. rawBytes is the entries' self-describing record form (what the WAL holds), so
// compressionRatio = rawBytes / everything under logs/ (segments + index + WAL) is an honest
// whole-store figure, index and filters included.
import { duBytes } from '../storage/disk-usage.js';
import type { LogsEngine } from './engine.js';
import type { LogsStats } from './types.js';

export async function computeLogStats(e: LogsEngine): Promise<LogsStats> {
  const t = e.index.totals();
  let oldestNs = t.tMinNs;
  let newestNs = t.tMaxNs;
  for (const c of e.hot.chunks()) {
    if (c.tMinNs !== undefined && (oldestNs === undefined || c.tMinNs < oldestNs)) oldestNs = c.tMinNs;
    if (c.tMaxNs !== undefined && (newestNs === undefined || c.tMaxNs > newestNs)) newestNs = c.tMaxNs;
  }
  const hotEntries = e.hot.entries;
  const entries = t.count + hotEntries;
  const rawBytes = t.rawBytes + e.hot.recordBytes;
  const diskBytes = await duBytes(e.root);
  let walBytes = e.wal.pendingBytes + e.hot.unloggedBytes;
  for (const f of e.wal.files()) walBytes += f.bytes;
  const stats: LogsStats = {
    entries,
    blocks: t.blocks,
    hotEntries,
    dataBytes: t.bytes,
    diskBytes,
    rawBytes,
    compressionRatio: diskBytes > 0 ? rawBytes / diskBytes : 0,
    bytesPerEntry: entries > 0 ? diskBytes / entries : 0,
    walBytes,
    pendingBytes: e.pendingBytes,
    corruptBlocks: e.index.corruptFound(),
  };
  if (oldestNs !== undefined) stats.oldestNs = oldestNs;
  if (newestNs !== undefined) stats.newestNs = newestNs;
  return stats;
}
