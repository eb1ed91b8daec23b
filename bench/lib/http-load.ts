// The `http` suite's loopback client: concurrent lanes POST pre-encoded bodies (bench/lib/http-
// bodies-*.ts) in order, each lane one request at a time, as parallel exporter shards do. A warm-up
// (JIT, WAL files, pool threads, the series caches) runs first and is not counted; then the window
// runs until `durationMs` has passed or the bodies run out, and counts the items of the requests
// that completed with a success status inside it. A 429 (the store's backpressure) is waited out
// briefly and the same body re-sent, as an exporter's retry would; retries are counted.
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadRequest } from './http-bodies-metrics.js';

export interface LoadOptions {
  url: string;
  headers: Record<string, string>;
  /** Bodies per lane, sent in order. */
  lanes: LoadRequest[][];
  /** Leading requests of each lane sent before the window (not counted). */
  warmupPerLane: number;
  durationMs: number;
  /** Success statuses (204 for remote_write / VM import, 200 for OTLP). */
  ok: readonly number[];
}

export interface LoadResult {
  seconds: number;
  items: number;
  requests: number;
  /** Items acknowledged in the warm-up (stored too, so counted when checking the store). */
  warmupItems: number;
  retries429: number;
  /** Request latency (send to answer read), ms. */
  latenciesMs: number[];
  /** True when a lane ran out of bodies before the window's end (the window was shorter). */
  exhausted: boolean;
}

const BACKOFF_MS = 20;

async function send(o: LoadOptions, req: LoadRequest, counters: { retries429: number }): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const t0 = performance.now();
    const res = await fetch(o.url, { method: 'POST', headers: o.headers, body: req.body as Uint8Array<ArrayBuffer> });
    const text = await res.text();
    if (o.ok.includes(res.status)) return performance.now() - t0;
    if (res.status === 429 && attempt < 10_000) {
      counters.retries429++;
      await sleep(BACKOFF_MS);
      continue;
    }
    throw new Error(`POST ${new URL(o.url).pathname} answered ${res.status}: ${text.slice(0, 300)}`);
  }
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const counters = { retries429: 0 };
  let warmupItems = 0;
  await Promise.all(
    o.lanes.map(async (lane) => {
      for (const req of lane.slice(0, o.warmupPerLane)) {
        await send(o, req, counters);
        warmupItems += req.items;
      }
    }),
  );
  const retriesBefore = counters.retries429;
  const t0 = performance.now();
  const deadline = t0 + o.durationMs;
  let items = 0;
  let requests = 0;
  let exhausted = false;
  const latenciesMs: number[] = [];
  await Promise.all(
    o.lanes.map(async (lane) => {
      let i = o.warmupPerLane;
      for (; i < lane.length && performance.now() < deadline; i++) {
        latenciesMs.push(await send(o, lane[i], counters));
        items += lane[i].items;
        requests++;
      }
      if (i === lane.length) exhausted = true;
    }),
  );
  return { seconds: (performance.now() - t0) / 1000, items, requests, warmupItems, retries429: counters.retries429 - retriesBefore, latenciesMs, exhausted };
}
