// Small fs helpers shared by the WAL, segments and lock. Directory fsync is what makes a newly
// created or deleted file name itself durable (fdatasync on the file covers only its contents).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { ioError } from './errors.js';

/** fsync a directory so entries created/removed in it survive a power loss. Best effort on platforms
 *  that cannot open directories (Windows), where the call is a no-op. */
export async function fsyncDir(dir: string): Promise<void> {
  let h: fsp.FileHandle | undefined;
  try {
    h = await fsp.open(dir, 'r');
    await h.sync();
  } catch (err) {
    if (!isUnsupportedDirSync(err)) throw ioError('fsync directory', dir, err);
  } finally {
    await h?.close();
  }
}

/** Synchronous twin of fsyncDir, for worker threads. */
export function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    if (!isUnsupportedDirSync(err)) throw ioError('fsync directory', dir, err);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function isUnsupportedDirSync(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EISDIR' || code === 'EPERM' || code === 'EINVAL';
}

/** Writes all of `bytes` at `position`, looping over short writes. */
export async function writeFully(h: fsp.FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await h.write(bytes, done, bytes.length - done, position + done);
    if (bytesWritten <= 0) throw new Error(`short write at ${position + done}`);
    done += bytesWritten;
  }
}

/** Synchronous twin of writeFully. */
export function writeFullySync(fd: number, bytes: Uint8Array | readonly Uint8Array[], position: number): void {
  if (!(bytes instanceof Uint8Array)) {
    // Parts written back to back (a block's header, then its payload in place: no joined copy).
    for (const part of bytes) {
      writeFullySync(fd, part, position);
      position += part.length;
    }
    return;
  }
  let done = 0;
  while (done < bytes.length) {
    const n = fs.writeSync(fd, bytes, done, bytes.length - done, position + done);
    if (n <= 0) throw new Error(`short write at ${position + done}`);
    done += n;
  }
}

/** Reads up to `length` bytes at `position`; the result is shorter only at end of file. */
export function readFullySync(fd: number, length: number, position: number): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, out, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? out : out.subarray(0, done);
}

/** Lists a directory, treating a missing directory as empty. */
export function readdirOrEmptySync(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw ioError('list directory', dir, err);
  }
}

export async function readdirOrEmpty(dir: string): Promise<fs.Dirent[]> {
  try {
    return await fsp.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw ioError('list directory', dir, err);
  }
}
