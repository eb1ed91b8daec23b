// Logs statistics: storage/event-stats.ts under the logs names (entries, hotEntries, bytesPerEntry).
import { computeEventStats } from '../storage/event-stats.js';
import type { LogsEngine } from './engine.js';
import type { LogsStats } from './types.js';

export async function computeLogStats(e: LogsEngine): Promise<LogsStats> {
  const { events, hotEvents, bytesPerEvent, ...rest } = await computeEventStats(e);
  return { entries: events, hotEntries: hotEvents, bytesPerEntry: bytesPerEvent, ...rest };
}
