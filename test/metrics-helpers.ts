// Shared helpers of the metrics engine tests: temp data dirs (removed after) and answer snapshots
// that compare exactly (Float64Array → number arrays).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `timeless-${prefix}-`));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface PlainSeries {
  name: string;
  labels: Record<string, string>;
  tsMs: number[];
  values: number[];
}

export function plain(result: Array<{ name: string; labels: Record<string, string>; tsMs: ArrayLike<number>; values: ArrayLike<number> }>): PlainSeries[] {
  return result.map((s) => ({ name: s.name, labels: { ...s.labels }, tsMs: Array.from(s.tsMs), values: Array.from(s.values) }));
}

/** Every file under dir (relative paths), for asserting on segment files. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out.sort();
}

export const T0 = Date.UTC(2024, 0, 1); // a UTC midnight: day and hour aligned
