// metrics.nab: the real NAB CloudWatch series through the engine, one series per file in one store
// (the codec suite measures the same files at the codec level, in 8,192-point blocks). Each file is
// flushed, checkpointed and compacted before the next; its data bytes are the growth of stats().
import path from 'node:path';
import { openBenchStore } from '../lib/bench-store.js';
import { loadMetricSet } from '../lib/data.js';
import { measureSeriesInEngine } from '../lib/engine-series.js';
import { median, round } from '../lib/stats.js';
import { makeTempDir, removeTempDir } from '../lib/temp-dirs.js';
import type { SuiteContext, SuiteOutput } from '../lib/report.js';

export async function runMetricsNab(ctx: SuiteContext): Promise<SuiteOutput> {
  const files = loadMetricSet(ctx.dataRoot, 'nab');
  if (!files) {
    const dir = path.join(ctx.dataRoot, 'metrics', 'nab');
    ctx.progress(`metrics.nab: ${dir} is missing, skipping the NAB part`);
    return { json: { skipped: `${dir} is missing` }, rows: [], failures: [] };
  }
  const dataDir = makeTempDir('nab');
  const store = await openBenchStore(dataDir);
  const failures: string[] = [];
  try {
    const perFile = [];
    for (const f of files) {
      const r = await measureSeriesInEngine(store, 'nab_series', { file: f.name }, f.tsMs, f.values);
      if (r.roundTrip !== 'bit-exact') failures.push(`metrics.nab ${f.name}: engine round trip: ${r.roundTrip}`);
      if (r.points !== f.values.length) failures.push(`metrics.nab ${f.name}: stats() counts ${r.points} points, ${f.values.length} were written`);
      const row = { file: f.name, points: f.values.length, blocks: r.blocks, dataBytes: r.dataBytes, dataBytesPerPoint: round(r.dataBytesPerPoint), roundTrip: r.roundTrip };
      ctx.progress(`metrics.nab: ${f.name} ${row.dataBytesPerPoint} B/pt in ${row.blocks} block(s)`);
      perFile.push(row);
    }
    const json = { medianDataBytesPerPoint: round(median(perFile.map((r) => r.dataBytesPerPoint))), files: perFile };
    return {
      json,
      failures,
      rows: [
        {
          key: 'metrics.nab.medianDataBytesPerPoint',
          label: 'NAB via the engine, median data B/pt',
          value: json.medianDataBytesPerPoint,
          unit: 'B/pt',
          target: { op: '<=', value: 1.5 },
          note: `${files.length} files, after checkpoint + compaction`,
        },
      ],
    };
  } finally {
    await store.close();
    removeTempDir(dataDir);
  }
}
