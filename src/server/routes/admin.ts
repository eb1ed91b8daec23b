// Store-wide routes: GET /api/v1/stats, GET /api/v1/retention (the resolved settings),
// POST /api/v1/retention/run, GET /metrics (the store's own Prometheus exposition: engine sizes and
// queues, the server's ingest/error counters, forwarding).
import type { Hono } from 'hono';
import type { AppEnv, ServerContext } from '../context.js';
import { sendJson } from '../json.js';
import { gaugeText } from '../self-metrics.js';
import type { TimelessStats } from '../../store.js';

export function registerAdmin(app: Hono<AppEnv>, ctx: ServerContext): void {
  app.get('/api/v1/stats', async (c) => {
    const stats = await ctx.tl.stats();
    return sendJson(c, { ...stats, ...(ctx.forwarder ? { forward: ctx.forwarder.stats() } : {}) });
  });

  // The configured limits (defaults filled in), so the dashboard can say what retention will drop.
  app.get('/api/v1/retention', (c) => sendJson(c, ctx.tl.retention.settings()));

  app.post('/api/v1/retention/run', async (c) => {
    const report = await ctx.tl.retention.runNow();
    return sendJson(c, report);
  });

  app.get('/metrics', async (c) => {
    const stats = await ctx.tl.stats();
    const text = exposition(stats) + ctx.self.render() + forwardText(ctx) + processText();
    return c.body(text, 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
  });
}

function nsToSec(ns: bigint | undefined): number | undefined {
  return ns === undefined ? undefined : Number(ns / 1_000_000n) / 1000;
}

function exposition(s: TimelessStats): string {
  const m = s.metrics;
  const l = s.logs;
  const t = s.traces;
  const sig = (signal: string) => ({ signal });
  return [
    gaugeText('timeless_stored_items', 'Stored points (metrics), entries (logs) or spans (traces).', [
      [sig('metrics'), m.points],
      [sig('logs'), l.entries],
      [sig('traces'), t.spans],
    ]),
    gaugeText('timeless_series', 'Metric series known.', [[{}, m.series]]),
    gaugeText('timeless_disk_bytes', 'Bytes on disk per signal (segments + index + WAL).', [
      [sig('metrics'), m.diskBytes],
      [sig('logs'), l.diskBytes],
      [sig('traces'), t.diskBytes],
    ]),
    gaugeText('timeless_data_bytes', 'Bytes of stored blocks per signal.', [
      [sig('metrics'), m.dataBytes],
      [sig('logs'), l.dataBytes],
      [sig('traces'), t.dataBytes],
    ]),
    gaugeText('timeless_wal_bytes', 'Bytes in the write-ahead logs.', [
      [sig('metrics'), m.walBytes],
      [sig('logs'), l.walBytes],
      [sig('traces'), t.walBytes],
    ]),
    gaugeText('timeless_pending_bytes', 'Bytes not yet sealed into blocks (the backpressure measure).', [
      [sig('metrics'), m.pendingBytes],
      [sig('logs'), l.pendingBytes],
      [sig('traces'), t.pendingBytes],
    ]),
    gaugeText('timeless_hot_items', 'Items in the in-memory heads / hot tails.', [
      [sig('metrics'), m.headPoints],
      [sig('logs'), l.hotEntries],
      [sig('traces'), t.hotSpans],
    ]),
    gaugeText('timeless_blocks', 'Stored blocks per signal.', [
      [sig('metrics'), m.blocks],
      [sig('logs'), l.blocks],
      [sig('traces'), t.blocks],
    ]),
    gaugeText('timeless_corrupt_blocks', 'Blocks found corrupt (skipped by queries, never overwritten).', [
      [sig('metrics'), m.corruptBlocks],
      [sig('logs'), l.corruptBlocks],
      [sig('traces'), t.corruptBlocks],
    ]),
    gaugeText('timeless_compression_ratio', 'Raw size / disk size per signal.', [
      [sig('metrics'), m.compressionRatio],
      [sig('logs'), l.compressionRatio],
      [sig('traces'), t.compressionRatio],
    ]),
    gaugeText('timeless_oldest_timestamp_seconds', 'Oldest stored item per signal.', [
      [sig('metrics'), m.oldestMs === null ? undefined : m.oldestMs / 1000],
      [sig('logs'), nsToSec(l.oldestNs)],
      [sig('traces'), nsToSec(t.oldestNs)],
    ]),
    gaugeText('timeless_newest_timestamp_seconds', 'Newest stored item per signal.', [
      [sig('metrics'), m.newestMs === null ? undefined : m.newestMs / 1000],
      [sig('logs'), nsToSec(l.newestNs)],
      [sig('traces'), nsToSec(t.newestNs)],
    ]),
  ].join('');
}

function forwardText(ctx: ServerContext): string {
  const f = ctx.forwarder;
  if (f === undefined) return '';
  // stats(): { <endpoint without credentials>: { queued_records, oldest_age_seconds, sent_records_total, ... } }
  const byKey = new Map<string, Array<[Record<string, string>, number]>>();
  for (const [target, st] of Object.entries(f.stats())) {
    for (const [key, value] of Object.entries(st)) {
      let rows = byKey.get(key);
      if (rows === undefined) byKey.set(key, (rows = []));
      rows.push([{ target }, value]);
    }
  }
  const out: string[] = [];
  for (const [key, rows] of byKey) {
    const name = `timeless_forward_${key}`;
    const text = gaugeText(name, `Forwarding: ${key.replace(/_/g, ' ')}.`, rows);
    out.push(key.endsWith('_total') ? text.replace(`# TYPE ${name} gauge`, `# TYPE ${name} counter`) : text);
  }
  return out.join('');
}

function processText(): string {
  const mem = process.memoryUsage();
  return [
    gaugeText('timeless_process_resident_memory_bytes', 'Resident set size of the process.', [[{}, mem.rss]]),
    gaugeText('timeless_process_heap_used_bytes', 'V8 heap in use.', [[{}, mem.heapUsed]]),
    gaugeText('timeless_process_external_bytes', 'Memory outside the V8 heap held by JS objects (buffers).', [[{}, mem.external]]),
  ].join('');
}
