// Every ingest route ends here: write the batch (all of it when it is valid; otherwise item by item,
// so one bad item rejects only itself), await the engine's flush (the response means durable,
// DESIGN.md §5), count, and tee the accepted items to the forwarder.
import type { Timeless } from '../store.js';
import type { WritePoint } from '../metrics/types.js';
import type { LogInput } from '../logs/types.js';
import type { SpanInput } from '../traces/types.js';
import type { Forwarder } from './context.js';
import type { SelfMetrics } from './self-metrics.js';
import { isInputError, toHttpError } from './errors.js';

export interface IngestResult {
  accepted: number;
  rejected: number;
  /** The first few rejection reasons ("item 3: INVALID_NAME: ..."), for partialSuccess answers. */
  errors: string[];
}

const MAX_REASONS = 5;

type Signal = 'metrics' | 'logs' | 'traces';

/**
 * Items without a time get "now" once, here, so the store and the forwarded copy carry the same
 * timestamp (each would otherwise take its own "now" a few ms apart). The items are the route's own
 * decoded objects.
 */
function stampMissingTimes(items: Array<{ tsMs?: number; tsNs?: unknown }>): void {
  const nowMs = Date.now();
  for (const it of items) if (it !== null && typeof it === 'object' && it.tsMs === undefined && it.tsNs === undefined) it.tsMs = nowMs;
}

export class Ingest {
  constructor(
    private readonly tl: Timeless,
    private readonly self: SelfMetrics,
    private readonly forwarder: Forwarder | undefined,
  ) {}

  /** Points, durable on return. Backpressure and a closed store throw (HTTP 429 / 503). */
  async metrics(points: WritePoint[], protocol: string, rejectedBefore = 0, reasonsBefore: string[] = []): Promise<IngestResult> {
    const m = this.tl.metrics;
    if (this.forwarder !== undefined) stampMissingTimes(points);
    const r = this.writeLenient('metrics', points, (b) => m.writeBatch(b), (p) => m.write(p.name, p.labels, p.value, p.tsMs));
    return this.finish('metrics', protocol, r, rejectedBefore, reasonsBefore, () => m.flush(), (acc) => this.forwarder?.metrics(acc));
  }

  async logs(entries: LogInput[], protocol: string, rejectedBefore = 0, reasonsBefore: string[] = []): Promise<IngestResult> {
    const l = this.tl.logs;
    if (this.forwarder !== undefined) stampMissingTimes(entries);
    const r = this.writeLenient('logs', entries, (b) => l.writeBatch(b), (e) => l.write(e));
    return this.finish('logs', protocol, r, rejectedBefore, reasonsBefore, () => l.flush(), (acc) => this.forwarder?.logs(acc));
  }

  async spans(spans: SpanInput[], protocol: string, rejectedBefore = 0, reasonsBefore: string[] = []): Promise<IngestResult> {
    const t = this.tl.traces;
    const r = this.writeLenient('traces', spans, (b) => t.write(b), (s) => t.write(s));
    return this.finish('traces', protocol, r, rejectedBefore, reasonsBefore, () => t.flush(), (acc) => this.forwarder?.spans(acc));
  }

  private writeLenient<T>(signal: Signal, items: T[], batch: (items: T[]) => void, one: (item: T) => void): { accepted: T[]; rejected: number; errors: string[] } {
    if (items.length === 0) return { accepted: [], rejected: 0, errors: [] };
    try {
      batch(items);
      return { accepted: items, rejected: 0, errors: [] };
    } catch (err) {
      if (!isInputError(err)) throw toHttpError(err);
    }
    // Some item is invalid: nothing of the batch was written (the engines validate first), so write
    // them one by one and keep the reasons of the rejected ones.
    const accepted: T[] = [];
    const errors: string[] = [];
    let rejected = 0;
    for (let i = 0; i < items.length; i++) {
      try {
        one(items[i]);
        accepted.push(items[i]);
      } catch (err) {
        if (!isInputError(err)) {
          // Backpressure part-way: what was written stays written and is flushed by the caller's
          // retry or the background flush; the client is told to retry.
          throw toHttpError(err);
        }
        rejected++;
        if (errors.length < MAX_REASONS) errors.push(`${signal === 'metrics' ? 'point' : signal === 'logs' ? 'entry' : 'span'} ${i}: ${(err as Error).message}`);
      }
    }
    return { accepted, rejected, errors };
  }

  private async finish<T>(
    signal: Signal,
    protocol: string,
    r: { accepted: T[]; rejected: number; errors: string[] },
    rejectedBefore: number,
    reasonsBefore: string[],
    flush: () => Promise<void>,
    forward: (accepted: T[]) => void,
  ): Promise<IngestResult> {
    if (r.accepted.length > 0) {
      try {
        await flush();
      } catch (err) {
        throw toHttpError(err);
      }
      forward(r.accepted);
    }
    const rejected = r.rejected + rejectedBefore;
    this.self.inc('timeless_ingested_total', 'Items accepted (durable) by signal and protocol.', { signal, protocol }, r.accepted.length);
    if (rejected > 0) this.self.inc('timeless_ingest_rejected_total', 'Items rejected as invalid, by signal and protocol.', { signal, protocol }, rejected);
    return { accepted: r.accepted.length, rejected, errors: [...reasonsBefore, ...r.errors].slice(0, MAX_REASONS) };
  }
}
