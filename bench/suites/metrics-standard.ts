// metrics.standard: data and disk bytes/point of the standard workload (200 telemetry series x 7
// days at 10 s) after flush + checkpoint + compactNow. Disk bytes come from walking <dataDir>/metrics
// (segments + index.db and its -wal/-shm + WAL files), not from the engine's own accounting.
// metrics.standardNs: the same request stream at prom-client's hrtime precision (ns durations, exact
// event-loop mean/stddev), reported beside the standard number so nobody mistakes one for the other.
import type { TelemetryPrecision } from '../gen/telemetry.js';
import { removeTempDir } from '../lib/temp-dirs.js';
import { standardDataset } from '../lib/standard-dataset.js';
import { round } from '../lib/stats.js';
import type { SuiteContext, SuiteOutput } from '../lib/report.js';

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

export const runMetricsStandard = (ctx: SuiteContext) => measureStandard(ctx, 'ms');

export async function runMetricsStandardNs(ctx: SuiteContext): Promise<SuiteOutput> {
  const out = await measureStandard(ctx, 'ns');
  // Nothing else reads this dataset (the query part uses the 'ms' one): free the disk now.
  removeTempDir((await standardDataset(ctx, 'ns')).dataDir);
  return out;
}

async function measureStandard(ctx: SuiteContext, precision: TelemetryPrecision): Promise<SuiteOutput> {
  const part = precision === 'ms' ? 'standard' : 'standardNs';
  const ds = await standardDataset(ctx, precision);
  const b = ds.build;
  const s = b.stats;
  const failures: string[] = [];
  if (s.points !== ds.points) failures.push(`metrics.${part}: the engine reports ${s.points} points after compaction, ${ds.points} were written`);
  if (s.series !== ds.catalog.length) failures.push(`metrics.${part}: the engine reports ${s.series} series, ${ds.catalog.length} were written`);
  const json = {
    precision,
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
  ctx.progress(`metrics.${part}: ${json.dataBytesPerPoint} data B/pt, ${json.diskBytesPerPoint} disk B/pt, ${json.blocks} blocks`);
  return {
    json,
    failures,
    rows: precision === 'ns' ? nsRows(json) : [
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

/** The ns profile has no target of its own: it shows what prom-client's hrtime precision costs. */
function nsRows(json: { diskBytesPerPoint: number; dataBytesPerPoint: number; diskBreakdown: Record<string, number> }) {
  return [
    {
      key: 'metrics.standardNs.diskBytesPerPoint',
      label: 'same workload, hrtime ns precision: disk',
      value: json.diskBytesPerPoint,
      unit: 'B/pt',
      note: `data ${json.dataBytesPerPoint} B/pt; ${Object.entries(json.diskBreakdown).map(([k, v]) => `${k} ${mb(v)}`).join(', ')}`,
    },
  ];
}
