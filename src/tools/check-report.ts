// The report `timeless check` builds: per engine, what was read and every problem found, plus the
// human summary printed without --json.

export type CheckSeverity = 'error' | 'warning' | 'info';

export type CheckProblemKind =
  /** A block in a segment failed its magic/version/length/crc check. */
  | 'bad-block'
  /** A segment ends inside a block that no index row references (the store cuts it on open). */
  | 'torn-tail'
  /** An index row points at bytes that are not a valid block (bad crc, wrong length, missing file). */
  | 'index-bad-row'
  /** An index row points past the end of its segment file. */
  | 'index-past-eof'
  /** `PRAGMA integrity_check` failed, or index.db could not be opened/read. */
  | 'index-corrupt'
  /** Valid blocks no index row references (compaction/crash leftovers until GC). */
  | 'orphan-blocks'
  /** A WAL frame failed its check where the store would not simply cut it off (data after it is lost on replay). */
  | 'wal-bad-frame'
  /** The last WAL file ends in an incomplete or bad final frame: cut on the next open. */
  | 'wal-torn-tail'
  /** A file or directory could not be read. */
  | 'io';

export interface CheckProblem {
  severity: CheckSeverity;
  kind: CheckProblemKind;
  engine: EngineName;
  /** Relative to the engine root ('segments/2026-11-27/2026-11-27-000001.seg', 'wal/0000000003.wal', 'index.db'). */
  file: string;
  /** Byte offset in `file` where the problem starts, when it has one. */
  offset?: number;
  message: string;
}

export type EngineName = 'metrics' | 'logs' | 'spans';
export const ENGINE_NAMES: readonly EngineName[] = ['metrics', 'logs', 'spans'];

export interface EngineCheck {
  engine: EngineName;
  /** False when the engine's directory does not exist (a store that never used it). */
  present: boolean;
  segmentFiles: number;
  /** Valid blocks found walking the segments. */
  blocks: number;
  /** Segment bytes read. */
  segmentBytes: number;
  /** Distinct (segment, offset, length) the index points at, and how many of them were verified valid. */
  indexRows: number;
  indexRowsValid: number;
  orphanBlocks: number;
  walFiles: number;
  walFrames: number;
  walBytes: number;
  /** `PRAGMA integrity_check` said ok. */
  indexIntegrityOk: boolean;
  problems: CheckProblem[];
}

export interface CheckReport {
  dataDir: string;
  engines: EngineCheck[];
  errors: number;
  warnings: number;
  infos: number;
  /** True when no problem has severity 'error'. */
  ok: boolean;
}

export function emptyEngineCheck(engine: EngineName, present: boolean): EngineCheck {
  return {
    engine,
    present,
    segmentFiles: 0,
    blocks: 0,
    segmentBytes: 0,
    indexRows: 0,
    indexRowsValid: 0,
    orphanBlocks: 0,
    walFiles: 0,
    walFrames: 0,
    walBytes: 0,
    indexIntegrityOk: false,
    problems: [],
  };
}

export function finishReport(dataDir: string, engines: EngineCheck[]): CheckReport {
  const all = engines.flatMap((e) => e.problems);
  const count = (s: CheckSeverity) => all.filter((p) => p.severity === s).length;
  const errors = count('error');
  return { dataDir, engines, errors, warnings: count('warning'), infos: count('info'), ok: errors === 0 };
}

/** Human summary: one line per engine, one per problem, a verdict. */
export function formatReport(r: CheckReport): string[] {
  const lines = [`timeless check ${r.dataDir}`];
  for (const e of r.engines) {
    if (!e.present) {
      lines.push(`  ${e.engine}: not present`);
      continue;
    }
    lines.push(
      `  ${e.engine}: ${e.segmentFiles} segment files, ${e.blocks} blocks, ${e.segmentBytes} bytes; ` +
        `index ${e.indexIntegrityOk ? 'ok' : 'NOT ok'}, ${e.indexRowsValid}/${e.indexRows} rows valid, ${e.orphanBlocks} orphan blocks; ` +
        `wal ${e.walFiles} files, ${e.walFrames} frames, ${e.walBytes} bytes; ${e.problems.length} problems`,
    );
    for (const p of e.problems) {
      const at = p.offset === undefined ? '' : ` @${p.offset}`;
      lines.push(`    ${p.severity.toUpperCase()} ${p.kind} ${e.engine}/${p.file}${at}: ${p.message}`);
    }
  }
  lines.push(
    r.ok
      ? `OK: no errors (${r.warnings} warnings, ${r.infos} infos)`
      : `FAILED: ${r.errors} errors, ${r.warnings} warnings, ${r.infos} infos`,
  );
  return lines;
}
