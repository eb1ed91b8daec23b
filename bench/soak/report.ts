// The soak's summary table (stdout) and its JSON object (`--json`, the last stdout line, under `soak`).
import { SIGNALS } from './items.js';
import type { SoakReport } from './soak.js';

export function summaryLines(r: SoakReport, failures: string[]): string[] {
  const rows: Array<[string, string]> = [
    ['duration', `${r.seconds} s (${r.minutes} min asked)`],
    ['lost / duplicated / corrupted', `${r.lost} / ${r.duplicated} / ${r.corrupted}`],
    ['kills (SIGKILL + restart)', `${r.kills} (restart ${r.restartMs.join(', ')} ms)`],
    ...SIGNALS.map((s): [string, string] => [`${s}: acknowledged / sent`, `${r.acknowledged[s]} / ${r.sent[s]} (unacknowledged but present ${r.unackedPresent[s]})`]),
    ...SIGNALS.map((s): [string, string] => [`${s}: pre-soak dropped by retention`, `${r.retention[s].preDropped} of ${r.retention[s].preSent}`]),
    ['live queries: checks / misses / dups / errors', `${r.queries.checks} / ${r.queries.misses} / ${r.queries.duplicates} / ${r.queries.errors}`],
    ['backups: taken / failed; verified items', `${r.backup.taken} / ${r.backup.failed}; ${r.backup.checkedAcknowledged}`],
    ...r.fill.bursts.map((b): [string, string] => [`warm-up burst, process #${b.incarnation}`, `${SIGNALS.map((s) => `${b.acknowledged[s]} ${s}`).join(', ')} in ${b.elapsedMs} ms, then ${r.fill.settleSec} s to settle`]),
    ['RSS growth after warm-up (max)', `${r.rssGrowthPct} % (${r.rss.growth.map((g) => `#${g.incarnation}: ${g.afterWarmupMb} -> ${g.endMb} MB`).join('; ')})`],
    ['RSS peak', `${r.rss.peakMb} MB`],
    ['event-loop delay p99 / max', `${r.eventLoopP99Ms} / ${r.eventLoopMaxMs} ms`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`);
  lines.push(failures.length === 0 ? 'PASS' : `FAIL: ${failures.join('; ')}`);
  for (const p of r.problems) lines.push(`  problem: ${p}`);
  return lines;
}

/** The JSON under `soak` (keys documented in bench/README.md). RSS samples are thinned to ≤ 200. */
export function soakJson(r: SoakReport, failures: string[]): unknown {
  const step = Math.max(1, Math.ceil(r.rss.samples.length / 200));
  const strip = (rb: SoakReport['readback'] | undefined) =>
    rb === undefined
      ? undefined
      : { ...Object.fromEntries(SIGNALS.map((s) => [s, { lost: rb[s].lost, duplicated: rb[s].duplicated, corrupted: rb[s].corrupted, preKept: rb[s].preKept, unackedPresent: rb[s].unackedPresent }])), skippedBlocks: rb.skippedBlocks };
  return {
    soak: {
      minutes: r.minutes,
      seconds: r.seconds,
      lost: r.lost,
      duplicated: r.duplicated,
      corrupted: r.corrupted,
      kills: r.kills,
      restartMs: r.restartMs,
      acknowledged: r.acknowledged,
      sent: r.sent,
      unacknowledgedPresent: r.unackedPresent,
      retention: r.retention,
      store: strip(r.readback),
      backup: { taken: r.backup.taken, failed: r.backup.failed, errors: r.backup.errors, checkedAcknowledged: r.backup.checkedAcknowledged, result: strip(r.backup.verified) },
      queries: r.queries,
      ingest: r.ingest,
      fill: r.fill,
      rssGrowthPct: r.rssGrowthPct,
      rssGrowth: r.rss.growth,
      rssPeakMb: r.rss.peakMb,
      rssSamples: r.rss.samples.filter((_, i) => i % step === 0),
      eventLoopP99Ms: r.eventLoopP99Ms,
      eventLoopMaxMs: r.eventLoopMaxMs,
      problems: r.problems,
    },
    failures,
  };
}
