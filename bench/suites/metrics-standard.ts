// metrics.standard: data and disk bytes/point of the standard workload (200 telemetry series x 7
// days at 10 s) after flush + checkpoint + compactNow. Disk bytes come from walking <dataDir>/metrics
// (segments + index.db and its -wal/-shm + WAL files), not from the engine's own accounting.
import { standardDataset } from '../lib/standard-dataset.js';
import { round } from '../lib/stats.js';
import type { SuiteContext, SuiteOutput } from '../lib/report.js';

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

export async function runMetricsStandard(ctx: SuiteContext): Promise<SuiteOutput> {
  const ds = await standardDataset(ctx);
  const b = ds.build;
  const s = b.stats;
  const failures: string[] = [];
  if (s.points !== ds.points) failures.push(`metrics.standard: the engine reports ${s.points} points after compaction, ${ds.points} were written`);
  if (s.series !== ds.catalog.length) failures.push(`metrics.standard: the engine reports ${s.series} series, ${ds.catalog.length} were written`);
  const json = {
    series: ds.catalog.length,
    pointsPerSeries: ds.pointsPerSeries,
    points: ds.points,
    stepMs: ds.stepMs,
    blocks: s.blocks,
    rollupBlocks: s.rollupBlocks,
    rollupRows: s.rollupRows,
    seconds: round(b.writeSeconds, 2),
    writeMptsPerSec: round(ds.points / 1e6 / b.writeSeconds, 2),
    flushSeconds: round(b.flushSeconds, 2),
    checkpointSeconds: round(b.checkpointSeconds, 2),
    compactSeconds: round(b.compactSeconds, 2),
    backpressureRetries: b.backpressure,
    dataBytes: s.dataBytes,
    dataBytesPerPoint: round(s.dataBytes / ds.points),
    diskBytes: b.metricsDirBytes,
    diskFiles: b.metricsDirFiles,
    diskBreakdown: b.metricsDirBreakdown,
    diskBytesPerPoint: round(b.metricsDirBytes / ds.points),
    closedDiskBytesPerPoint: round(b.metricsDirBytesClosed / ds.points),
    engineDiskBytesPerPoint: round(s.diskBytes / ds.points),
    compressionRatio: round((16 * ds.points) / b.metricsDirBytes, 1),
    stats: s,
  };
  ctx.progress(`metrics.standard: ${json.dataBytesPerPoint} data B/pt, ${json.diskBytesPerPoint} disk B/pt, ${json.blocks} blocks`);
  return {
    json,
    failures,
    rows: [
      {
        key: 'metrics.standard.diskBytesPerPoint',
        label: 'standard workload disk bytes/point',
        value: json.diskBytesPerPoint,
        unit: 'B/pt',
        target: { op: '<=', value: 0.5 },
        note: `${(json.points / 1e6).toFixed(1)} M points; ${Object.entries(json.diskBreakdown).map(([k, v]) => `${k} ${mb(v)}`).join(', ')}`,
      },
      {
        key: 'metrics.standard.dataBytesPerPoint',
        label: 'standard workload data bytes/point',
        value: json.dataBytesPerPoint,
        unit: 'B/pt',
        note: `${json.blocks} raw blocks, ${json.rollupBlocks} rollup blocks`,
      },
      {
        key: 'metrics.standard.writeMptsPerSec',
        label: 'standard workload write (writeBatch)',
        value: json.writeMptsPerSec,
        unit: 'M pts/s',
        note: `generation included; checkpoint ${json.checkpointSeconds} s, compaction ${json.compactSeconds} s`,
      },
    ],
  };
}
