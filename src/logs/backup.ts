// Logs backup: storage/event-backup.ts into <targetDir>/logs (consistent index snapshot + the
// segment and WAL prefixes it refers to, copied in the pool while writes go on).
import { runEventBackup, type EventBackupReport } from '../storage/event-backup.js';
import type { LogsEngine } from './engine.js';

export type LogsBackupReport = EventBackupReport;

export function runLogBackup(e: LogsEngine, targetDir: string): Promise<LogsBackupReport> {
  return runEventBackup(e, targetDir, 'logs');
}
