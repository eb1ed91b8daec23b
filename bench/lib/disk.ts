// Bytes on disk under a directory, counted the way `du --apparent-size` does: every regular file's
// size, recursively. The engine's own stats are checked against this independent walk.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export function dirBytes(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) {
        try {
          bytes += statSync(p).size;
          files++;
        } catch {
          // A file deleted between readdir and stat (e.g. a WAL file dropped by a checkpoint).
        }
      }
    }
  };
  walk(dir);
  return { bytes, files };
}

/**
 * Where the bytes of a directory are: one entry per top-level file or folder (for `<dataDir>/metrics`:
 * `segments` raw blocks, `hourly` / `daily` rollup segments, `index.db` (+ `-wal`, `-shm`), `wal`).
 */
export function topLevelBytes(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    try {
      out[entry.name] = entry.isDirectory() ? dirBytes(p).bytes : statSync(p).size;
    } catch {
      // removed meanwhile
    }
  }
  return out;
}
