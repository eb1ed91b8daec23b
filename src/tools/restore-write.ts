// Writes a restore into its staging directory. Every path arrives as already-validated components
// (no '', '.', '..', no '/'); files are created with O_EXCL|O_NOFOLLOW and directories only by us,
// so nothing can be written through a link or over an earlier entry. Files are fsynced as they are
// closed and every directory at finish(), so once the staging directory is renamed into place the
// whole tree is durable.
import { constants as fsc } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir, writeFully } from '../storage/fsutil.js';
import { RestoreError } from './restore-errors.js';

/** Second line of defence behind the archive's name checks: a component can never climb out. */
function checkParts(parts: readonly string[]): void {
  for (const p of parts) {
    if (p === '' || p === '.' || p === '..' || p.includes('/') || p.includes('\\') || p.includes('\0')) {
      throw new RestoreError('UNSAFE_ENTRY', `refusing to write ${JSON.stringify(parts.join('/'))}: unsafe path component ${JSON.stringify(p)}`);
    }
  }
}

export class StagingWriter {
  readonly root: string;
  private readonly dirs = new Set<string>();
  /** Called after each chunk is written, with its byte count. */
  onBytes: (n: number) => void;
  filesDone = 0;
  bytesDone = 0;

  constructor(root: string, onBytes: (n: number) => void = () => undefined) {
    this.root = root;
    this.onBytes = onBytes;
  }

  async dir(parts: readonly string[]): Promise<void> {
    checkParts(parts);
    let cur = this.root;
    for (const p of parts) {
      cur = path.join(cur, p);
      if (this.dirs.has(cur)) continue;
      try {
        await fs.mkdir(cur, { mode: 0o755 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        // Only our own mkdir or a file entry can have put something here; a file is a conflict.
        if (!(await fs.lstat(cur)).isDirectory()) throw new RestoreError('UNSAFE_ENTRY', `archive entry ${parts.join('/')} conflicts with a file of the same name`);
      }
      this.dirs.add(cur);
    }
  }

  async file(parts: readonly string[], chunks: AsyncIterable<Uint8Array>): Promise<void> {
    checkParts(parts);
    await this.dir(parts.slice(0, -1));
    const abs = path.join(this.root, ...parts);
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(abs, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new RestoreError('UNSAFE_ENTRY', `archive holds ${parts.join('/')} twice`);
      throw err;
    }
    try {
      let pos = 0;
      for await (const c of chunks) {
        await writeFully(fh, c, pos);
        pos += c.length;
        this.bytesDone += c.length;
        this.onBytes(c.length);
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.filesDone++;
  }

  /** fsyncs every directory, deepest first, then the root: the names of all files are durable. */
  async finish(): Promise<void> {
    const dirs = [...this.dirs].sort((a, b) => b.length - a.length);
    for (const d of dirs) await fsyncDir(d);
    await fsyncDir(this.root);
  }
}
