// Live tails over Server-Sent Events. The subscription's callbacks run synchronously inside the
// engines' write path, so they only enqueue; a loop drains the queue to the socket. The queue is
// bounded: a client slower than the ingest rate gets a `dropped` event with the count instead of
// growing the server's memory. A comment line every 15 s keeps proxies from closing the stream.
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { toJsonText } from './json.js';

export interface TailOptions<T> {
  /** Subscribes; returns the unsubscribe function. */
  subscribe(onItem: (item: T) => void): () => void;
  /** SSE event name of each item ('log', 'span'). */
  event: string;
  maxQueued?: number;
  heartbeatMs?: number;
}

export function sseTail<T>(c: Context, opts: TailOptions<T>): Response {
  const maxQueued = opts.maxQueued ?? 10_000;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  // Proxies (nginx) buffer responses unless told not to; SSE must reach the browser as it happens.
  c.header('X-Accel-Buffering', 'no');
  c.header('Cache-Control', 'no-cache, no-transform');
  return streamSSE(c, async (stream) => {
    let queue: T[] = [];
    let dropped = 0;
    let wake: (() => void) | undefined;
    const unsubscribe = opts.subscribe((item) => {
      if (queue.length >= maxQueued) dropped++;
      else queue.push(item);
      wake?.();
    });
    let done = false;
    stream.onAbort(() => {
      done = true;
      wake?.();
    });
    const heartbeat = setInterval(() => {
      stream.write(': keep-alive\n\n').catch(() => undefined);
    }, heartbeatMs);
    heartbeat.unref();
    try {
      await stream.writeSSE({ event: 'ready', data: '{}' });
      while (!done && !stream.aborted) {
        if (queue.length === 0 && dropped === 0) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        const batch = queue;
        queue = [];
        if (dropped > 0) {
          const n = dropped;
          dropped = 0;
          await stream.writeSSE({ event: 'dropped', data: JSON.stringify({ count: n }) });
        }
        for (const item of batch) await stream.writeSSE({ event: opts.event, data: toJsonText(item) });
      }
    } finally {
      clearInterval(heartbeat);
      unsubscribe();
    }
  });
}
