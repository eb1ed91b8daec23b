// traces.synthetic: compression ratio of the synthetic "microservice shop" traces
// (bench/lib/traces-dataset.ts): the OTLP/JSON bytes the exporters would POST ÷ every byte under
// <dataDir>/spans (segments, index.db and its -wal/-shm, WAL files; a directory walk, not the
// engine's accounting), after flush + sealNow + compactNow, store open (as logs.synthetic; the
// closed figure beside it). brotli q9, gzip 6 and zstd -19 on the same OTLP/JSON text, as ONE stream
// of the concatenated requests (the strongest form of those peers: a whole file, not per request).
import { rmSync } from 'node:fs';
import { peerSizes, zstdVersion } from '../lib/logs-peers.js';
import { round } from '../lib/stats.js';
import { EXPORT_BATCH_SPANS, tracesDataset } from '../lib/traces-dataset.js';
import type { SuiteContext, SuiteOutput, SummaryRow } from '../lib/report.js';

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

export async function runTracesSynthetic(ctx: SuiteContext): Promise<SuiteOutput> {
  const ds = await tracesDataset(ctx);
  const b = ds.build;
  const s = b.stats;
  if (!ds.otlpPath || ds.otlpBytes === undefined) throw new Error('traces.synthetic: the dataset was built without its OTLP/JSON file');
  const raw = ds.otlpBytes;
  ctx.progress(`traces.synthetic: brotli q9, gzip 6${zstdVersion() ? ', zstd -19' : ''} on ${mb(raw)} of OTLP/JSON (concurrently)`);
  const p = await peerSizes(ds.otlpPath);
  rmSync(ds.otlpPath, { force: true });
  if (p.inputBytes !== raw) throw new Error(`traces.synthetic: the OTLP/JSON file has ${p.inputBytes} bytes, ${raw} were written`);
  const failures: string[] = [];
  if (s.spans !== ds.spans) failures.push(`traces.synthetic: the engine reports ${s.spans} spans after compaction, ${ds.spans} were written`);
  if (s.hotSpans !== 0) failures.push(`traces.synthetic: ${s.hotSpans} spans still hot after sealNow() + compactNow()`);
  const json: Record<string, unknown> = {
    spans: ds.spans,
    traces: ds.oracle.traces.size,
    rawBytes: raw,
    diskBytes: b.diskBytes,
    ratio: round(raw / b.diskBytes, 2),
    bytesPerSpan: round(b.diskBytes / ds.spans, 2),
    rawBytesPerSpan: round(raw / ds.spans, 1),
    closedDiskBytes: b.closedDiskBytes,
    closedRatio: round(raw / b.closedDiskBytes, 2),
    closedBytesPerSpan: round(b.closedDiskBytes / ds.spans, 2),
    diskFiles: b.diskFiles,
    diskBreakdown: b.diskBreakdown,
    closedBreakdown: b.closedBreakdown,
    index: b.index,
    brotliRatio: round(raw / p.brotliBytes, 2),
    gzipRatio: round(raw / p.gzipBytes, 2),
    ...(p.zstdBytes !== undefined ? { zstdRatio: round(raw / p.zstdBytes, 2) } : { zstdNote: p.zstdNote }),
    brotliBytes: p.brotliBytes,
    gzipBytes: p.gzipBytes,
    ...(p.zstdBytes !== undefined ? { zstdBytes: p.zstdBytes } : {}),
    peerSeconds: round(p.seconds, 1),
    exportBatchSpans: EXPORT_BATCH_SPANS,
    engineRatio: round(s.compressionRatio, 2),
    engineDiskBytes: s.diskBytes,
    engineBytesPerSpan: round(s.bytesPerSpan, 2),
    dataBytes: s.dataBytes,
    dataBytesPerSpan: round(s.dataBytes / ds.spans, 2),
    blocks: s.blocks,
    seconds: round(b.writeSeconds, 2),
    writeSpansPerSec: Math.round(ds.spans / b.writeSeconds),
    flushSeconds: round(b.flushSeconds, 2),
    compactSeconds: round(b.compactSeconds, 2),
    backpressureRetries: b.backpressure,
    spanHours: round(Number(ds.lastStartNs - ds.firstStartNs) / 3.6e12, 2),
    endLagSeconds: round(b.endLagSeconds, 1),
    stats: { ...s, oldestNs: s.oldestNs?.toString(), newestNs: s.newestNs?.toString() },
  };
  ctx.progress(`traces.synthetic: ratio ${json.ratio} (brotli q9 ${json.brotliRatio}, gzip ${json.gzipRatio}${json.zstdRatio ? `, zstd -19 ${json.zstdRatio}` : ''}), ${json.bytesPerSpan} B/span`);
  const peers = `brotli q9 ${json.brotliRatio}, gzip 6 ${json.gzipRatio}, ${json.zstdRatio !== undefined ? `zstd -19 ${json.zstdRatio}` : 'zstd not installed'}`;
  const breakdown = Object.entries(b.diskBreakdown).map(([k, v]) => `${k} ${mb(v)}`).join(', ');
  const rows: SummaryRow[] = [
    {
      key: 'traces.synthetic.ratio',
      label: 'traces: OTLP/JSON bytes / disk bytes',
      value: json.ratio as number,
      unit: 'x',
      target: { op: '>=', value: 10.2 },
      note: `${(ds.spans / 1e6).toFixed(2)} M spans, ${mb(raw)} -> ${mb(b.diskBytes)}; ${peers}`,
    },
    {
      key: 'traces.synthetic.bytesPerSpan',
      label: 'traces: disk bytes/span (index included)',
      value: json.bytesPerSpan as number,
      unit: 'B',
      target: { op: '<=', value: 40 },
      note: `raw ${json.rawBytesPerSpan} B/span, blocks ${json.dataBytesPerSpan} B/span; ${breakdown}`,
    },
    {
      key: 'traces.synthetic.writeSpansPerSec',
      label: 'traces: dataset write (generation + OTLP/JSON incl.)',
      value: json.writeSpansPerSec as number,
      unit: 'spans/s',
      note: `compaction ${json.compactSeconds} s, ${json.backpressureRetries} backpressure waits`,
    },
  ];
  return { json, rows, failures };
}
