// A store of a given size on disk, built as fast as honestly possible for the backup-download bench:
// log entries whose messages are random bytes in base64 (nothing can compress them much, so every
// byte written reaches the disk), through tl.logs.writeBatch() with the engine's backpressure,
// then sealed and flushed so the bytes are blocks at rest (not WAL), the way a backup of a
// long-running store looks. A few metrics and spans come along so all three engines are in it.
// Logs compaction is off, in the filler and in the server child alike: turning RAW blocks of random
// text into columnar ones runs at well under 1 MB/s (an hour per GB), and in the child it would
// compete with the download being measured. The blocks are then RAW blocks: real, sealed data.
import { randomBytes } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Timeless } from '../../src/index.js';
import type { LogInput } from '../../src/logs/types.js';
import { generateTraces } from '../gen/traces.js';
import { isBackpressure } from './bench-store.js';

/** Random bytes per message (base64 makes it 4/3 longer, ~6 bits of entropy per character). */
const MESSAGE_RANDOM_BYTES = 3 * 1024;
const BATCH_ENTRIES = 512;

export type FillStore = Awaited<ReturnType<typeof Timeless.open>>;

/** Retention off (no schedule, no size cap): the bench decides how big the store is. */
export const HTTP_BENCH_RETENTION = { intervalSec: 0, logs: { maxBytes: 2 ** 50 }, traces: { maxBytes: 2 ** 50 } } as const;

export function openFillStore(dataDir: string): Promise<FillStore> {
  return Timeless.open({ dataDir, runtimeMetrics: false, retention: HTTP_BENCH_RETENTION, logs: { compaction: false } });
}

export interface FillReport {
  entries: number;
  diskBytes: number;
  seconds: number;
  backpressureRetries: number;
}

function batch(fromMs: number, n: number): LogInput[] {
  const random = randomBytes(MESSAGE_RANDOM_BYTES * n);
  const out: LogInput[] = new Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = {
      tsMs: fromMs + i,
      level: i % 50 === 0 ? 'error' : 'info',
      message: random.subarray(i * MESSAGE_RANDOM_BYTES, (i + 1) * MESSAGE_RANDOM_BYTES).toString('base64'),
      attributes: { 'bench.i': i },
    };
  }
  return out;
}

async function diskBytes(tl: FillStore): Promise<number> {
  const s = await tl.stats();
  return s.logs.diskBytes + s.metrics.diskBytes + s.traces.diskBytes;
}

/** Bytes a backup will hold: sealed log blocks (the logs WAL is dropped once sealed) and the rest. */
async function atRestBytes(tl: FillStore): Promise<number> {
  const s = await tl.stats();
  return s.logs.dataBytes + s.metrics.diskBytes + s.traces.diskBytes;
}

/** Writes until the store's three engines hold at least `targetBytes` on disk. */
export async function fillStore(tl: FillStore, targetBytes: number, progress: (m: string) => void): Promise<FillReport> {
  const t0 = performance.now();
  const startMs = Date.now() - 3_600_000;
  // The small parts first: a few series and traces, so the backup has every engine in it.
  const points = [];
  for (let s = 0; s < 20; s++) for (let i = 0; i < 360; i++) points.push({ name: 'bench_http_fill', labels: { series: String(s) }, value: Math.sin(i + s), tsMs: startMs + i * 10_000 });
  tl.metrics.writeBatch(points);
  for (const spans of generateTraces({ spans: 5_000, seed: 5, fromMs: startMs })) tl.traces.write(spans);

  let entries = 0;
  let retries = 0;
  let onDisk = 0;
  // Sealed bytes follow the written bytes closely (base64 of random data, sealing in the
  // background): check every ~64 MB written rather than after every batch.
  const checkEvery = Math.max(1, Math.floor((64 * 2 ** 20) / (MESSAGE_RANDOM_BYTES * 4 / 3 * BATCH_ENTRIES)));
  for (let b = 0; ; b++) {
    if (b % checkEvery === 0) {
      await tl.flush();
      onDisk = await atRestBytes(tl);
      if (b > 0) progress(`http.backupDownload: ${(onDisk / 2 ** 30).toFixed(2)} GB sealed, ${entries.toLocaleString('en-US')} entries`);
      if (onDisk >= targetBytes) break;
    }
    const entriesBatch = batch(startMs + entries, BATCH_ENTRIES);
    for (;;) {
      try {
        tl.logs.writeBatch(entriesBatch);
        break;
      } catch (err) {
        if (!isBackpressure(err) || ++retries > 100_000) throw err;
        await tl.logs.flush();
        await nextTurn();
      }
    }
    entries += BATCH_ENTRIES;
    await nextTurn();
  }
  // Data at rest: sealed, so the backup copies blocks, not a long WAL.
  await tl.logs.sealNow();
  await tl.flush();
  return { entries, diskBytes: await diskBytes(tl), seconds: (performance.now() - t0) / 1000, backpressureRetries: retries };
}
