// Locates and loads the shared real data sets (read in place, never copied into the repo).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../src/codec/wasm.js';
import { parseMetricsCsv, type ParsedSeries } from './csv.js';

export function defaultDataRoot(): string {
  return path.resolve(packageRoot(), '..', 'shared', 'data');
}

export interface DataFile extends ParsedSeries {
  /** File name without directory or extension, e.g. `ec2_cpu_utilization_24ae8d`. */
  name: string;
  path: string;
}

/** Every *.csv in `<dataRoot>/metrics/<set>`, parsed; null when the folder is missing. */
export function loadMetricSet(dataRoot: string, set: 'nab' | 'alp'): DataFile[] | null {
  const dir = path.join(dataRoot, 'metrics', set);
  if (!existsSync(dir)) return null;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.csv'))
    .sort()
    .map((f) => {
      const file = path.join(dir, f);
      return { name: f.replace(/\.csv$/, ''), path: file, ...parseMetricsCsv(readFileSync(file, 'utf8'), file) };
    });
}
