// The final check: opens a data directory in this process (the live store after its graceful
// close, or a backup) and reads every soak item back, page by page, into one Tally per signal.
import { Timeless } from '../../src/index.js';
import { METRIC_NAME, SIGNALS, type Signal } from './items.js';
import { Tally, type Oracle, type Sent, type TallyResult } from './oracle.js';
import { storeOptions } from './store-options.js';

export type Readback = Record<Signal, TallyResult> & { skippedBlocks: number };

const PAGE = 10_000;

export async function readBack(dataDir: string, oracle: Oracle, fromMs: number, eligible: (s: Sent) => boolean): Promise<Readback> {
  // Scheduled retention off: what is judged is what the store kept while it ran.
  const tl = await Timeless.open(storeOptions(dataDir, { retentionIntervalSec: 0, runtimeMetrics: false }));
  try {
    const toMs = Date.now() + 3_600_000;
    const tallies = { metrics: new Tally(oracle, 'metrics'), logs: new Tally(oracle, 'logs'), spans: new Tally(oracle, 'spans') };
    let skippedBlocks = 0;

    const series = await tl.metrics.query({ name: METRIC_NAME, fromMs, toMs });
    skippedBlocks += series.skipped.length;
    for (const s of series) {
      for (let i = 0; i < s.tsMs.length; i++) tallies.metrics.metricPoint(s.labels, s.tsMs[i], s.values[i]);
    }

    for await (const page of tl.logs.stream({ fromMs, toMs, limit: PAGE, order: 'asc' })) {
      skippedBlocks += page.skipped.length;
      for (const e of page.entries) tallies.logs.log(e);
    }

    let cursor: string | undefined;
    do {
      const page = await tl.traces.query({ fromMs, toMs, limit: PAGE, cursor });
      skippedBlocks += page.skipped.length;
      for (const sp of page.spans) tallies.spans.span(sp);
      cursor = page.cursor;
    } while (cursor !== undefined);

    const out = { skippedBlocks } as Readback;
    for (const s of SIGNALS) out[s] = tallies[s].result(eligible);
    return out;
  } finally {
    await tl.close();
  }
}
