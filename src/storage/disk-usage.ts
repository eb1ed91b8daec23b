// Bytes on disk under an engine's directory, for stats (disk bytes per point/entry) and size-based
// retention. Best effort by design: files and directories can vanish while a compaction or a
// retention pass runs beside the walk, and a figure for stats must not fail because of that, so
// anything unreadable counts as 0 bytes.
import fsp from 'node:fs/promises';
import path from 'node:path';

/** Total size of the regular files under `dir`, recursively (0 when it does not exist). */
export async function duBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const d of entries) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) total += await duBytes(p);
    else if (d.isFile()) total += await fsp.stat(p).then((s) => s.size, () => 0);
  }
  return total;
}
