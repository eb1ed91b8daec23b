// The soak driver: a store child ingesting all three signals over HTTP at a steady rate, live
// queries, backups, retention and compaction running, one SIGKILL + restart at half time; then a
// graceful stop and a full read-back of the store and of the last backup against the oracle. Each
// store process first gets a warm-up burst (fill.ts) before its RSS is judged.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SIGNALS, METRIC_SERIES, type Signal } from './items.js';
import { Oracle } from './oracle.js';
import { StoreChild } from './store-child.js';
import { ingestLoop, sendBatch, type IngestCounters } from './ingest.js';
import { queryRound, type QueryCounters } from './live-queries.js';
import { takeBackup, type BackupCounters } from './backups.js';
import { readBack, type Readback } from './readback.js';
import { rssGrowth, type RssGrowth, type RssSample } from './rss.js';
import { fillBurst, type FillResult } from './fill.js';
import { call } from './http.js';

export interface SoakOptions {
  minutes: number;
  /** Where the store lives; default a temp dir, removed at the end unless keepDir. */
  dataDir?: string;
  keepDir?: boolean;
  log: (line: string) => void;
}

export interface SoakReport {
  minutes: number;
  seconds: number;
  lost: number;
  duplicated: number;
  corrupted: number;
  kills: number;
  restartMs: number[];
  acknowledged: Record<Signal, number>;
  sent: Record<Signal, number>;
  unackedPresent: Record<Signal, number>;
  retention: Record<Signal, { preSent: number; preDropped: number; preKept: number }>;
  readback: Readback;
  backup: { taken: number; failed: number; unlisted: number; verified?: Readback; checkedAcknowledged: number; errors: string[] };
  queries: Omit<QueryCounters, 'examples'>;
  ingest: Record<Signal, IngestCounters>;
  /** Each store process's warm-up burst (fill.ts), and the settle time given to compaction after it. */
  fill: { bursts: Array<FillResult & { incarnation: number }>; settleSec: number };
  rssGrowthPct: number;
  rss: { growth: RssGrowth[]; peakMb: number; samples: RssSample[] };
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  problems: string[];
}

/** Items per batch and batches per second: ~160 points, 200 log entries and 100 spans a second. */
const BATCH: Record<Signal, number> = { metrics: METRIC_SERIES, logs: 20, spans: 10 };
const TICK_MS = 100;
const QUERY_EVERY_MS = 2000;
const BACKUP_EVERY_MS = 20_000;
const PRE_AGE_MS = 2 * 86_400_000;
/** Fill stamps start this far back: older than any live-query window, far younger than retention. */
const FILL_AGE_MS = 15 * 60_000;
/**
 * After a fill burst, this long (six of the store's 5 s compaction intervals) before the process's
 * RSS counts as warm. Fixed rather than polled: were compaction still busy with the burst after it,
 * its memory would count as growth, so a short settle can only make the figure worse.
 */
const SETTLE_MS = 30_000;
/**
 * A process's RSS counts from this far into its timed life (and never before SETTLE_MS after its
 * burst): every periodic path of the soak has then run several times with its working set (30 live
 * query rounds, 3 backups, 12 retention and compaction runs). Measured on 6-minute soaks: the first
 * process's RSS rises 20-30 % over its first ~60 s as these start, then stays within ±5 %.
 */
const WARM_AFTER_START_MS = 60_000;

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const dataDir = o.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'timeless-soak-'));
  const runId = randomBytes(4).toString('hex');
  const oracle = new Oracle(runId);
  o.log(`soak: ${o.minutes} min on ${dataDir}${o.dataDir === undefined && !o.keepDir ? ' (removed at the end)' : ''}`);
  let child = await StoreChild.start(dataDir);
  const incarnations: StoreChild[] = [child];
  const durationMs = o.minutes * 60_000;
  // Set once the timed part starts (after the first process's pre-soak batch, fill and settle).
  let t0 = Date.now();
  const problems: string[] = [];
  try {
    // The backdated batch retention must drop (older than the stores' 1-day max age).
    const preBaseMs = t0 - PRE_AGE_MS;
    const ingest = {} as Record<Signal, IngestCounters>;
    for (const s of SIGNALS) {
      ingest[s] = { requests: 0, failed: 0, partial: 0 };
      const n = BATCH[s] * 10;
      const ok = await sendBatch(child.url, oracle, s, n, (i) => preBaseMs + i, 'pre', ingest[s]);
      if (!ok) throw new Error(`soak: the pre-soak ${s} batch was not acknowledged`);
    }
    // Sealed alone (no soak item is sent yet: the seal interval is 1 s), the pre-soak logs and spans
    // are dropped by on-demand retention runs, polled until both are gone (deadline 30 s); the
    // pre-soak metric series, a head until a WAL checkpoint seals it, is left to the scheduled runs.
    const preDropped = { logs: 0, spans: 0 };
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      await sleep(500);
      const r = await call(child.url + '/api/v1/retention/run', 'POST');
      if (!r.ok) throw new Error(`soak: POST /api/v1/retention/run answered ${r.status}: ${JSON.stringify(r.body).slice(0, 200)}`);
      const body = r.body as { logs: { entriesDeleted: number }; traces: { spansDeleted: number } };
      preDropped.logs += body.logs.entriesDeleted;
      preDropped.spans += body.traces.spansDeleted;
      if (preDropped.logs >= BATCH.logs * 10 && preDropped.spans >= BATCH.spans * 10) break;
    }
    o.log(`soak: retention dropped the pre-soak batch: ${preDropped.logs} entries, ${preDropped.spans} spans`);
    const preSent = Object.fromEntries(SIGNALS.map((s) => [s, oracle.sent[s].size])) as Record<Signal, number>;

    const bursts: Array<FillResult & { incarnation: number }> = [];
    let fillFromMs = Date.now() - FILL_AGE_MS;
    const fill = async (incarnation: number) => {
      const r = await fillBurst(child.url, oracle, ingest, fillFromMs);
      fillFromMs = r.nextFromMs;
      bursts.push({ ...r, incarnation });
      o.log(`soak: warm-up burst for process #${incarnation}: ${SIGNALS.map((s) => `${r.acknowledged[s]} ${s}`).join(', ')} in ${r.elapsedMs} ms; settling ${SETTLE_MS / 1000} s`);
    };
    await fill(1);
    await sleep(SETTLE_MS);
    t0 = Date.now();
    /** Per process (incarnation): seconds since t0 when its warm-up ends (rss.ts). */
    const warmEndSec = new Map<number, number>([[1, WARM_AFTER_START_MS / 1000]]);

    let stopping = false;
    const stop = () => stopping || Date.now() - t0 >= durationMs;
    const url = () => child.url;
    const rssSamples: RssSample[] = [];
    const sampler = setInterval(() => {
      const rss = child.rssBytes();
      if (rss !== undefined) rssSamples.push({ tSec: Math.round((Date.now() - t0) / 100) / 10, incarnation: incarnations.length, rssMb: Math.round((rss / 2 ** 20) * 10) / 10, heapUsedMb: child.mem?.heapUsedMb });
    }, 1000);
    const queries: QueryCounters = { checks: 0, misses: 0, duplicates: 0, errors: 0, examples: [] };
    const backups: BackupCounters = { taken: 0, failed: 0, unlisted: 0, errors: [] };
    const restartMs: number[] = [];

    const loops: Array<Promise<void>> = SIGNALS.map((s) => ingestLoop(s, BATCH[s], TICK_MS, url, oracle, ingest[s], stop));
    loops.push(
      (async () => {
        while (!stop()) {
          await sleep(QUERY_EVERY_MS);
          if (!stop()) await queryRound(child.url, oracle, queries);
        }
      })(),
    );
    loops.push(
      (async () => {
        for (let next = t0 + BACKUP_EVERY_MS; ; next += BACKUP_EVERY_MS) {
          // Not in the last 5 s: the final backup must finish before the graceful stop.
          if (next > t0 + durationMs - 5000) return;
          await sleep(next - Date.now());
          await takeBackup(child.url, backups);
        }
      })(),
    );
    loops.push(
      (async () => {
        await sleep(durationMs / 2);
        o.log(`soak: SIGKILL at ${((Date.now() - t0) / 1000).toFixed(1)} s (pid ${child.pid}), restarting on the same directory`);
        await child.kill();
        const r0 = Date.now();
        child = await StoreChild.start(dataDir);
        incarnations.push(child);
        restartMs.push(Date.now() - r0);
        // The soak's own ingest goes on meanwhile (it follows url()).
        const startedSec = (Date.now() - t0) / 1000;
        await fill(incarnations.length);
        warmEndSec.set(incarnations.length, Math.max(startedSec + WARM_AFTER_START_MS / 1000, (Date.now() - t0 + SETTLE_MS) / 1000));
      })(),
    );
    const progress = setInterval(() => {
      const c = oracle.counts();
      o.log(`soak: ${((Date.now() - t0) / 1000).toFixed(0)} s  acknowledged ${SIGNALS.map((s) => `${s} ${c[s].acknowledged}`).join(', ')}  rss ${rssSamples.at(-1)?.rssMb ?? '?'} MB`);
    }, 10_000);
    await Promise.all(loops);
    stopping = true;
    clearInterval(progress);
    clearInterval(sampler);

    // One last retention pass on demand (the scheduled ones ran every 5 s), then a graceful stop.
    const ret = await call(child.url + '/api/v1/retention/run', 'POST').catch((err: Error) => ({ ok: false, status: 0, body: err.message }));
    if (!ret.ok) problems.push(`POST /api/v1/retention/run answered ${ret.status}`);
    const eventLoop = incarnations.map((c) => c.eventLoop).filter((e) => e !== undefined);
    await child.stop();
    for (const c of incarnations) {
      if (/retention failed|compaction failed|corrupt/i.test(c.stderr)) problems.push(`store warnings (pid ${c.pid}): ${c.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }

    o.log('soak: reading the whole store back');
    const fromMs = preBaseMs - 3_600_000;
    const readback = await readBack(dataDir, oracle, fromMs, () => true);
    let verified: Readback | undefined;
    let checkedAcknowledged = 0;
    if (backups.last !== undefined) {
      const cut = backups.last.sentAtMs;
      o.log(`soak: reading backup ${backups.last.name} back`);
      verified = await readBack(path.join(dataDir, 'backups', backups.last.name), oracle, fromMs, (s) => s.ackedAtMs! < cut);
      for (const s of SIGNALS) for (const v of oracle.sent[s].values()) if (v.phase !== 'pre' && v.ackedAtMs !== undefined && v.ackedAtMs < cut) checkedAcknowledged++;
    } else {
      problems.push('no backup completed');
    }

    const counts = oracle.counts();
    const sum = (f: (r: Readback) => number) => f(readback) + (verified ? f(verified) : 0);
    const growth = rssGrowth(rssSamples, warmEndSec);
    const report: SoakReport = {
      minutes: o.minutes,
      seconds: Math.round((Date.now() - t0) / 100) / 10,
      lost: sum((r) => r.metrics.lost + r.logs.lost + r.spans.lost) + queries.misses,
      duplicated: sum((r) => r.metrics.duplicated + r.logs.duplicated + r.spans.duplicated) + queries.duplicates,
      corrupted: sum((r) => r.metrics.corrupted + r.logs.corrupted + r.spans.corrupted + r.skippedBlocks),
      kills: restartMs.length,
      restartMs,
      acknowledged: Object.fromEntries(SIGNALS.map((s) => [s, counts[s].acknowledged])) as Record<Signal, number>,
      sent: Object.fromEntries(SIGNALS.map((s) => [s, counts[s].sent])) as Record<Signal, number>,
      unackedPresent: Object.fromEntries(SIGNALS.map((s) => [s, readback[s].unackedPresent])) as Record<Signal, number>,
      retention: Object.fromEntries(SIGNALS.map((s) => [s, { preSent: preSent[s], preDropped: readback[s].preDropped, preKept: readback[s].preKept }])) as SoakReport['retention'],
      readback,
      backup: { taken: backups.taken, failed: backups.failed, unlisted: backups.unlisted, verified, checkedAcknowledged, errors: backups.errors },
      queries: { checks: queries.checks, misses: queries.misses, duplicates: queries.duplicates, errors: queries.errors },
      ingest,
      fill: { bursts, settleSec: SETTLE_MS / 1000 },
      rssGrowthPct: growth.length === 0 ? NaN : Math.max(...growth.map((g) => g.growthPct)),
      rss: { growth, peakMb: Math.max(...rssSamples.map((s) => s.rssMb)), samples: rssSamples },
      eventLoopP99Ms: Math.round(Math.max(...eventLoop.map((e) => e.p99Ms)) * 100) / 100,
      eventLoopMaxMs: Math.round(Math.max(...eventLoop.map((e) => e.maxMs)) * 100) / 100,
      problems,
    };
    problems.push(...queries.examples);
    for (const r of [readback, verified]) if (r) for (const s of SIGNALS) problems.push(...r[s].examples);
    if (backups.unlisted > 0) problems.push(`${backups.unlisted} backup(s) answered 201 but were not listed`);
    return report;
  } catch (err) {
    for (const c of incarnations) await c.kill().catch(() => undefined);
    throw err;
  } finally {
    if (o.dataDir === undefined && !o.keepDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The acceptance line: what makes `npm run soak` exit 1. */
export function soakFailures(r: SoakReport): string[] {
  const f: string[] = [];
  if (r.lost !== 0) f.push(`${r.lost} acknowledged item(s) lost`);
  if (r.duplicated !== 0) f.push(`${r.duplicated} item(s) duplicated`);
  if (r.corrupted !== 0) f.push(`${r.corrupted} item(s) corrupted`);
  if (r.kills < 1) f.push('the store was never killed');
  for (const s of SIGNALS) if (r.acknowledged[s] === 0) f.push(`no ${s} acknowledged`);
  if (r.rss.growth.length === 0) f.push(`RSS growth not judged: no store process lived past its warm-up (${WARM_AFTER_START_MS / 1000} s of timed life; run 3 minutes or more)`);
  else if (!(r.rssGrowthPct <= 10)) f.push(`RSS growth after warm-up ${r.rssGrowthPct} % (limit 10 %)`);
  if (r.backup.verified === undefined) f.push('no backup was taken and verified');
  if (r.backup.unlisted > 0) f.push('a backup was not listed');
  return f;
}
