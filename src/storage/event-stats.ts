// Statistics of an event store (logs, spans). rawBytes is the events' self-describing record form
// (what the WAL holds), so compressionRatio = rawBytes / everything under the store's directory
// (segments + index + WAL) is an honest whole-store figure, index and filters included.
import { duBytes } from './disk-usage.js';
import type { EventBlockIndex } from './event-index.js';
import type { HotChunkBase, HotChunkList, HotRecordWriter } from './hot-chunks.js';
import type { Wal } from './wal.js';
import { WriteErrorLog, type WriteErrorStats } from './write-errors.js';

export interface EventStats {
  events: number;
  blocks: number;
  hotEvents: number;
  /** Bytes of stored blocks (segments). */
  dataBytes: number;
  /** Everything under the store's directory. */
  diskBytes: number;
  rawBytes: number;
  compressionRatio: number;
  bytesPerEvent: number;
  oldestNs?: bigint;
  newestNs?: bigint;
  walBytes: number;
  pendingBytes: number;
  corruptBlocks: number;
  /** Failed disk writes (WAL frames, seals, compaction) since open, and the last one. */
  writeErrors: WriteErrorStats;
}

export interface EventStatsHost {
  readonly root: string;
  readonly index: EventBlockIndex;
  readonly hot: HotChunkList<HotChunkBase<HotRecordWriter>>;
  readonly wal: Wal;
  readonly pendingBytes: number;
  readonly writeErrors: WriteErrorLog;
}

export async function computeEventStats(e: EventStatsHost): Promise<EventStats> {
  const t = e.index.totals();
  let oldestNs = t.tMinNs;
  let newestNs = t.tMaxNs;
  for (const c of e.hot.chunks()) {
    if (c.tMinNs !== undefined && (oldestNs === undefined || c.tMinNs < oldestNs)) oldestNs = c.tMinNs;
    if (c.tMaxNs !== undefined && (newestNs === undefined || c.tMaxNs > newestNs)) newestNs = c.tMaxNs;
  }
  const hotEvents = e.hot.events;
  const events = t.count + hotEvents;
  const rawBytes = t.rawBytes + e.hot.recordBytes;
  const diskBytes = await duBytes(e.root);
  let walBytes = e.wal.pendingBytes + e.hot.unloggedBytes;
  for (const f of e.wal.files()) walBytes += f.bytes;
  const stats: EventStats = {
    events,
    blocks: t.blocks,
    hotEvents,
    dataBytes: t.bytes,
    diskBytes,
    rawBytes,
    compressionRatio: diskBytes > 0 ? rawBytes / diskBytes : 0,
    bytesPerEvent: events > 0 ? diskBytes / events : 0,
    walBytes,
    pendingBytes: e.pendingBytes,
    corruptBlocks: e.index.corruptFound(),
    writeErrors: WriteErrorLog.merge(e.wal.writeErrors, e.writeErrors),
  };
  if (oldestNs !== undefined) stats.oldestNs = oldestNs;
  if (newestNs !== undefined) stats.newestNs = newestNs;
  return stats;
}
