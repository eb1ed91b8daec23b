// Live metric updates over Server-Sent Events: GET /api/v1/metrics/live?name=a&name=b (or names=a,b)
// &intervalMs=5000. The store has no push source for metrics (points arrive in batches from many
// protocols), so the stream polls: every intervalMs it reads the newest point of each series of the
// named metrics (tl.metrics.latest) and sends, as one `event: points`, those newer than the last one
// it sent for that series. The first poll runs at once, so a client learns the current values
// without waiting a whole interval. Heartbeat and headers as the tails in sse.ts; the poll stops when
// the client goes away.
import type { Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AppEnv, ServerContext } from '../context.js';
import type { LatestPoint } from '../../metrics/types.js';
import { HttpError } from '../errors.js';
import { toJsonText } from '../json.js';
import { int } from '../params.js';

const DEFAULT_INTERVAL_MS = 5000;
const MIN_INTERVAL_MS = 1000;
const MAX_INTERVAL_MS = 3_600_000;
/** Each name is one latest() per poll: a bound keeps one client from turning the stream into a scan. */
const MAX_NAMES = 64;
const HEARTBEAT_MS = 15_000;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** The metric names asked for: repeated `name`, and/or comma-separated `names`; deduplicated. */
export function liveNames(c: Context): string[] {
  const out = new Set<string>();
  for (const v of c.req.queries('name') ?? []) if (v !== '') out.add(v);
  for (const v of c.req.queries('names') ?? []) for (const n of v.split(',')) if (n.trim() !== '') out.add(n.trim());
  if (out.size === 0) throw new HttpError(400, 'INVALID_PARAM', `name the metrics to follow: ?name=a&name=b or ?names=a,b`);
  if (out.size > MAX_NAMES) throw new HttpError(400, 'INVALID_PARAM', `at most ${MAX_NAMES} metric names per stream, got ${out.size}`);
  for (const n of out) if (!METRIC_NAME.test(n)) throw new HttpError(400, 'INVALID_PARAM', `'${n}' is not a metric name`);
  return [...out];
}

function seriesKey(p: LatestPoint): string {
  const labels = Object.keys(p.labels).sort().map((k) => [k, p.labels[k]]);
  return `${p.name}\u0000${JSON.stringify(labels)}`;
}

/** Keeps, per series, the timestamp last sent; returns the points that are newer. */
export class LatestTracker {
  private readonly sent = new Map<string, number>();

  fresh(points: readonly LatestPoint[]): LatestPoint[] {
    const out: LatestPoint[] = [];
    for (const p of points) {
      const key = seriesKey(p);
      const last = this.sent.get(key);
      if (last !== undefined && p.tsMs <= last) continue;
      this.sent.set(key, p.tsMs);
      out.push(p);
    }
    return out;
  }
}

let openStreams = 0;

/** Live streams polling right now (all apps of this process): tests check that a stream ends with its client. */
export function liveStreamCount(): number {
  return openStreams;
}

export function registerMetricsLive(app: Hono<AppEnv>, ctx: ServerContext): void {
  app.get('/api/v1/metrics/live', (c) => {
    // Parameters are checked before the stream starts, so a bad one is a plain 400 JSON answer.
    const names = liveNames(c);
    const intervalMs = int(c, 'intervalMs', { min: MIN_INTERVAL_MS, max: MAX_INTERVAL_MS }) ?? DEFAULT_INTERVAL_MS;
    const tracker = new LatestTracker();
    c.header('X-Accel-Buffering', 'no');
    c.header('Cache-Control', 'no-cache, no-transform');
    return streamSSE(c, async (stream) => {
      openStreams++;
      let done = false;
      let wake: (() => void) | undefined;
      stream.onAbort(() => {
        done = true;
        wake?.();
      });
      const heartbeat = setInterval(() => {
        stream.write(': keep-alive\n\n').catch(() => undefined);
      }, HEARTBEAT_MS);
      heartbeat.unref();
      try {
        await stream.writeSSE({ event: 'ready', data: toJsonText({ names, intervalMs }) });
        while (!done && !stream.aborted) {
          const latest: LatestPoint[] = [];
          try {
            for (const n of names) latest.push(...(await ctx.tl.metrics.latest(n)));
          } catch (err) {
            // The store closed or failed under the stream: say so and end it (the client may reconnect).
            await stream.writeSSE({ event: 'error', data: toJsonText({ message: err instanceof Error ? err.message : String(err) }) }).catch(() => undefined);
            break;
          }
          const points = tracker.fresh(latest);
          if (points.length > 0 && !done) await stream.writeSSE({ event: 'points', data: toJsonText(points) });
          // Sleep one interval, or less if the client leaves (abort wakes the loop to end it).
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, intervalMs);
            wake = () => {
              clearTimeout(t);
              resolve();
            };
          });
          wake = undefined;
        }
      } finally {
        clearInterval(heartbeat);
        openStreams--;
      }
    });
  });
}
