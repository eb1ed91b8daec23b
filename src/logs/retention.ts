// Logs retention: storage/event-retention.ts (by age, then by size, whole segment files) with the
// logs defaults and report names.
import { runEventRetention, type ResolvedEventRetention } from '../storage/event-retention.js';
import type { LogsEngine } from './engine.js';
import type { LogsRetentionReport } from './types.js';

export const DEFAULT_LOGS_RETENTION = { maxAgeSec: 7 * 86_400, maxBytes: 512 * 1024 * 1024 } as const;

export type ResolvedLogsRetention = ResolvedEventRetention;

export async function runLogRetention(e: LogsEngine, r: ResolvedLogsRetention, nowMs: number): Promise<LogsRetentionReport> {
  const { eventsDeleted, ...rest } = await runEventRetention(e, r, nowMs);
  return { ...rest, entriesDeleted: eventsDeleted };
}
