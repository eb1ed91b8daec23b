// metrics.memory: RSS per active series at 100 k series (5 k with --quick), measured in a child
// process so the bench's own heap (other suites, generators) does not blur the number. The child
// writes 30 points per series through the API and flushes; heads stay in memory (no checkpoint).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { round } from '../lib/stats.js';
import { makeTempDir, removeTempDir } from '../lib/temp-dirs.js';
import type { SuiteContext, SuiteOutput } from '../lib/report.js';

const POINTS_PER_SERIES = 30;

interface ChildReport {
  series: number;
  pointsPerSeries: number;
  points: number;
  engineSeries: number;
  headPoints: number;
  blocks: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  heapUsedDeltaBytes: number;
  bytesPerSeries: number;
}

function runChild(args: string[]): Promise<ChildReport> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'lib', 'memory-child.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trimEnd().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`memory child exited with ${code}: ${err.trim().split('\n').slice(0, 6).join(' | ')}`));
      else resolve(JSON.parse(last) as ChildReport);
    });
  });
}

export async function runMetricsMemory(ctx: SuiteContext): Promise<SuiteOutput> {
  const series = ctx.quick ? 5_000 : 100_000;
  const dataDir = makeTempDir('memory');
  ctx.progress(`metrics.memory: child process writes ${series.toLocaleString('en-US')} series x ${POINTS_PER_SERIES} points`);
  try {
    const r = await runChild([dataDir, String(series), String(POINTS_PER_SERIES)]);
    const failures: string[] = [];
    if (r.engineSeries !== series) failures.push(`metrics.memory: the engine reports ${r.engineSeries} series, ${series} were written`);
    const json = {
      series,
      pointsPerSeries: POINTS_PER_SERIES,
      points: r.points,
      headPoints: r.headPoints,
      blocks: r.blocks,
      rssBeforeBytes: r.rssBeforeBytes,
      rssAfterBytes: r.rssAfterBytes,
      heapUsedDeltaBytes: r.heapUsedDeltaBytes,
      bytesPerSeries: Math.round(r.bytesPerSeries),
      heapBytesPerSeries: Math.round(r.heapUsedDeltaBytes / series),
    };
    ctx.progress(`metrics.memory: ${json.bytesPerSeries} B RSS per series (${json.heapBytesPerSeries} B of JS heap)`);
    return {
      json,
      failures,
      rows: [
        {
          key: 'metrics.memory.bytesPerSeries',
          label: 'RSS per active series',
          value: json.bytesPerSeries,
          unit: 'B',
          target: { op: '<=', value: 2048 },
          note: `${series.toLocaleString('en-US')} series x ${POINTS_PER_SERIES} points in heads; JS heap ${json.heapBytesPerSeries} B/series; RSS +${round(json.rssAfterBytes / 2 ** 20 - json.rssBeforeBytes / 2 ** 20, 1)} MB`,
        },
      ],
    };
  } finally {
    removeTempDir(dataDir);
  }
}
