// logs.synthetic: compression ratio of the synthetic "Node web app" dataset (bench/lib/logs-dataset.ts):
// the pino NDJSON bytes the app would otherwise write ÷ every byte under <dataDir>/logs (segments,
// index.db and its -wal/-shm, WAL files; a directory walk, not the engine's accounting), after
// flush + sealNow + compactNow, store open. brotli q9, gzip 6 and zstd -19 on the same NDJSON beside
// it (streamed from a file, concurrently: ~8 minutes for 455 MB on 2 cores, zstd -19 the slowest).
import { rmSync } from 'node:fs';
import { logsDataset } from '../lib/logs-dataset.js';
import { peerSizes, zstdVersion } from '../lib/logs-peers.js';
import { round } from '../lib/stats.js';
import type { SuiteContext, SuiteOutput, SummaryRow } from '../lib/report.js';

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

export async function runLogsSynthetic(ctx: SuiteContext): Promise<SuiteOutput> {
  const ds = await logsDataset(ctx);
  const b = ds.build;
  const s = b.stats;
  if (!ds.ndjsonPath) throw new Error('logs.synthetic: the dataset was built without its NDJSON file');
  ctx.progress(`logs.synthetic: brotli q9, gzip 6${zstdVersion() ? ', zstd -19' : ''} on ${mb(ds.ndjsonBytes)} of NDJSON (concurrently)`);
  const p = await peerSizes(ds.ndjsonPath);
  rmSync(ds.ndjsonPath, { force: true });
  if (p.inputBytes !== ds.ndjsonBytes) throw new Error(`logs.synthetic: the NDJSON file has ${p.inputBytes} bytes, ${ds.ndjsonBytes} were written`);
  const failures: string[] = [];
  if (s.entries !== ds.entries) failures.push(`logs.synthetic: the engine reports ${s.entries} entries after compaction, ${ds.entries} were written`);
  const json: Record<string, unknown> = {
    entries: ds.entries,
    rawBytes: ds.ndjsonBytes,
    diskBytes: b.diskBytes,
    ratio: round(ds.ndjsonBytes / b.diskBytes, 2),
    bytesPerEntry: round(b.diskBytes / ds.entries, 2),
    rawBytesPerEntry: round(ds.ndjsonBytes / ds.entries, 1),
    closedDiskBytes: b.closedDiskBytes,
    closedRatio: round(ds.ndjsonBytes / b.closedDiskBytes, 2),
    diskFiles: b.diskFiles,
    diskBreakdown: b.diskBreakdown,
    brotliRatio: round(ds.ndjsonBytes / p.brotliBytes, 2),
    gzipRatio: round(ds.ndjsonBytes / p.gzipBytes, 2),
    ...(p.zstdBytes !== undefined ? { zstdRatio: round(ds.ndjsonBytes / p.zstdBytes, 2) } : { zstdNote: p.zstdNote }),
    brotliBytes: p.brotliBytes,
    gzipBytes: p.gzipBytes,
    ...(p.zstdBytes !== undefined ? { zstdBytes: p.zstdBytes } : {}),
    peerSeconds: round(p.seconds, 1),
    engineRatio: round(s.compressionRatio, 2),
    engineDiskBytes: s.diskBytes,
    dataBytes: s.dataBytes,
    blocks: s.blocks,
    seconds: round(b.writeSeconds, 2),
    writeEntriesPerSec: Math.round(ds.entries / b.writeSeconds),
    flushSeconds: round(b.flushSeconds, 2),
    compactSeconds: round(b.compactSeconds, 2),
    backpressureRetries: b.backpressure,
    spanSeconds: round(Number(ds.lastNs - ds.firstNs) / 1e9, 1),
    stats: { ...s, oldestNs: s.oldestNs?.toString(), newestNs: s.newestNs?.toString() },
  };
  ctx.progress(`logs.synthetic: ratio ${json.ratio} (brotli q9 ${json.brotliRatio}, gzip ${json.gzipRatio}${json.zstdRatio ? `, zstd -19 ${json.zstdRatio}` : ''}), ${json.bytesPerEntry} B/entry`);
  const peers = `brotli q9 ${json.brotliRatio}, gzip 6 ${json.gzipRatio}, ${json.zstdRatio !== undefined ? `zstd -19 ${json.zstdRatio}` : 'zstd not installed'}`;
  const rows: SummaryRow[] = [
    {
      key: 'logs.synthetic.ratio',
      label: 'logs: NDJSON bytes / disk bytes',
      value: json.ratio as number,
      unit: 'x',
      target: { op: '>=', value: 12.8 },
      note: `${(ds.entries / 1e6).toFixed(2)} M entries, ${mb(ds.ndjsonBytes)} -> ${mb(b.diskBytes)}; ${peers}`,
    },
    {
      key: 'logs.synthetic.bytesPerEntry',
      label: 'logs: disk bytes/entry',
      value: json.bytesPerEntry as number,
      unit: 'B',
      note: `raw ${json.rawBytesPerEntry} B/entry; ${Object.entries(b.diskBreakdown).map(([k, v]) => `${k} ${mb(v)}`).join(', ')}`,
    },
    {
      key: 'logs.synthetic.writeEntriesPerSec',
      label: 'logs: dataset write (generation included)',
      value: json.writeEntriesPerSec as number,
      unit: 'entries/s',
      note: `compaction ${json.compactSeconds} s, ${json.backpressureRetries} backpressure waits`,
    },
  ];
  return { json, rows, failures };
}
