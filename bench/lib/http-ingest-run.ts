// One HTTP ingest part of the `http` suite: pre-encode the bodies, start a server child on a fresh
// store (engine defaults), drive it from the loopback client (bench/lib/http-load.ts), then check
// that the store holds exactly what was acknowledged, and report items/s with latency and the
// server's RSS beside it.
import type { TimelessStats } from '../../src/store.js';
import type { LoadRequest } from './http-bodies-metrics.js';
import { RssSampler, startServerChild, type ServerChild } from './http-child.js';
import { runLoad } from './http-load.js';
import { percentile } from './percentile.js';
import { round } from './stats.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';
import type { SuiteContext, SuiteOutput, Target } from './report.js';

/** Concurrent requests in flight: several exporter shards, on a 2-core machine. */
export const HTTP_LANES = 4;

export interface IngestPartSpec {
  /** The part's name, e.g. `remoteWrite`. */
  part: string;
  /** Its headline key, e.g. `http.remoteWritePointsPerSec`. */
  key: string;
  label: string;
  /** What is counted: points, spans or logs. */
  unit: string;
  target?: Target;
  path: string;
  headers: Record<string, string>;
  ok: readonly number[];
  warmupPerLane: number;
  /** Pre-encoded bodies per lane. */
  build(lanes: number): LoadRequest[][];
  /** Items of this kind the store holds. */
  stored(stats: TimelessStats): number;
}

export async function runIngestPart(ctx: SuiteContext, spec: IngestPartSpec): Promise<SuiteOutput> {
  const name = `http.${spec.part}`;
  const durationMs = ctx.quick ? 2_000 : 10_000;
  ctx.progress(`${name}: pre-encoding the request bodies`);
  const t0 = performance.now();
  let lanes: LoadRequest[][] | undefined = spec.build(HTTP_LANES);
  const encodeSeconds = (performance.now() - t0) / 1000;
  const requestCount = lanes.reduce((n, l) => n + l.length, 0);
  const itemsPerRequest = Math.round(lanes.reduce((n, l) => n + l.reduce((m, r) => m + r.items, 0), 0) / requestCount);
  const bodyBytes = Math.round(lanes.reduce((n, l) => n + l.reduce((m, r) => m + r.body.byteLength, 0), 0) / requestCount);
  const dataDir = makeTempDir(`http-${spec.part}`);
  let child: ServerChild | undefined;
  try {
    child = await startServerChild(dataDir, 'ingest');
    const server = child;
    ctx.progress(`${name}: ${requestCount} requests of ~${itemsPerRequest.toLocaleString('en-US')} ${spec.unit} (${round(bodyBytes / 1024, 1)} KiB) encoded in ${round(encodeSeconds, 1)} s; sending for up to ${durationMs / 1000} s over ${HTTP_LANES} connections`);
    const sampler = new RssSampler(() => server.rssBytes(), 50);
    const load = await runLoad({ url: `${server.url}${spec.path}`, headers: spec.headers, lanes, warmupPerLane: spec.warmupPerLane, durationMs, ok: spec.ok }).finally(() => sampler.stop());
    const rss = sampler.stop();
    lanes = undefined; // the bodies can go before the store is read back
    const statsRes = await fetch(`${server.url}/api/v1/stats`);
    const stats = (await statsRes.json()) as TimelessStats;
    const stored = spec.stored(stats);
    const acknowledged = load.warmupItems + load.items;
    const failures: string[] = [];
    if (stored !== acknowledged) failures.push(`${name}: the store holds ${stored} ${spec.unit}, ${acknowledged} were acknowledged`);
    const perSec = Math.round(load.items / load.seconds);
    const json = {
      seconds: round(load.seconds, 2),
      items: load.items,
      perSec,
      requests: load.requests,
      lanes: HTTP_LANES,
      itemsPerRequest,
      bodyBytes,
      warmupItems: load.warmupItems,
      retries429: load.retries429,
      latencyP50Ms: round(percentile(load.latenciesMs, 50), 1),
      latencyP99Ms: round(percentile(load.latenciesMs, 99), 1),
      bodiesExhausted: load.exhausted,
      encodeSeconds: round(encodeSeconds, 1),
      serverRssBaselineMB: round(rss.baselineBytes / 2 ** 20, 1),
      serverRssPeakMB: round(rss.peakBytes / 2 ** 20, 1),
    };
    ctx.progress(`${name}: ${perSec.toLocaleString('en-US')} ${spec.unit}/s, p50 ${json.latencyP50Ms} ms, p99 ${json.latencyP99Ms} ms per request`);
    return {
      json,
      failures,
      rows: [
        {
          key: spec.key,
          label: spec.label,
          value: perSec,
          unit: `${spec.unit}/s`,
          ...(spec.target ? { target: spec.target } : {}),
          note: `${json.seconds} s${load.exhausted ? ' (bodies ran out)' : ''}, ${HTTP_LANES} connections x ${itemsPerRequest.toLocaleString('en-US')} ${spec.unit}/request, p99 ${json.latencyP99Ms} ms, ${json.retries429} 429s, server RSS ${json.serverRssPeakMB} MB`,
        },
      ],
    };
  } finally {
    await child?.stop().catch((err: unknown) => ctx.progress(`${name}: ${(err as Error).message}`));
    removeTempDir(dataDir);
  }
}
