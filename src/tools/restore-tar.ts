// Streaming .tar.gz extraction for `timeless restore`: the archive is read from disk, gunzipped and
// parsed chunk by chunk (never held whole), and each file's content goes straight to the staging
// writer. It reads what src/server/tar.ts writes (ustar + PAX 'x' headers, gzip members in series)
// and what GNU/bsd tar produce for a directory (plus GNU 'L' long names). Tar-slip safe: a name that
// is absolute or has a '..' component, a link, a device, a fifo or any other type is refused before
// anything is written for it; names are joined under the staging root only as checked components.
import fs from 'node:fs';
import { pipeline } from 'node:stream';
import zlib from 'node:zlib';
import { RestoreError } from './restore-errors.js';
import type { StagingWriter } from './restore-write.js';

const BLOCK = 512;
/** Engine directories: an archive whose entries start with one of these has no top-level folder. */
export const ENGINE_DIRS = ['metrics', 'logs', 'spans'] as const;
/** A PAX or GNU long-name header is metadata: anything bigger is not a real archive. */
const MAX_META_BYTES = 1024 * 1024;

function truncated(): RestoreError {
  return new RestoreError('BAD_ARCHIVE', 'archive is truncated (it ends in the middle of an entry)');
}

/** Pulls exact byte counts out of a chunk stream without copying large chunks. */
class ChunkReader {
  private buf: Buffer = Buffer.alloc(0);
  private ended = false;
  constructor(private readonly it: AsyncIterator<Buffer>) {}

  private async fill(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.it.next();
    if (r.done) {
      this.ended = true;
      return false;
    }
    this.buf = this.buf.length === 0 ? r.value : Buffer.concat([this.buf, r.value]);
    return true;
  }

  /** The next `n` bytes; undefined at a clean end of input (nothing left). */
  async exactly(n: number): Promise<Buffer | undefined> {
    while (this.buf.length < n) {
      if (!(await this.fill())) {
        if (this.buf.length === 0) return undefined;
        throw truncated();
      }
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** The next `n` bytes as chunks; each must be consumed before the next is asked for. */
  async *take(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0 && !(await this.fill())) throw truncated();
      const k = Math.min(left, this.buf.length);
      const out = this.buf.subarray(0, k);
      this.buf = this.buf.subarray(k);
      left -= k;
      yield out;
    }
  }

  async skip(n: number): Promise<void> {
    for await (const _ of this.take(n)) void _;
  }

  /** Reads to the end (so gzip's trailing CRC and length are checked). */
  async drain(): Promise<void> {
    this.buf = Buffer.alloc(0);
    while (await this.fill()) this.buf = Buffer.alloc(0);
  }
}

function cstring(h: Buffer, start: number, len: number): string {
  const field = h.subarray(start, start + len);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? len : nul).toString('utf8');
}

function octal(h: Buffer, start: number, len: number, what: string): number {
  // GNU base-256: high bit set, big-endian binary in the remaining bytes.
  if (h[start] & 0x80) {
    let v = h[start] & 0x7f;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + h[i];
    return v;
  }
  const s = cstring(h, start, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new RestoreError('BAD_ARCHIVE', `not a tar archive (bad ${what} field '${s}')`);
  return Number.parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
  return sum === octal(h, 148, 8, 'checksum');
}

/** PAX records "<len> <key>=<value>\n" as a map. */
function parsePax(body: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < body.length) {
    const sp = body.indexOf(0x20, pos);
    if (sp === -1) break;
    const len = Number.parseInt(body.subarray(pos, sp).toString('ascii'), 10);
    if (!Number.isInteger(len) || len <= sp - pos || pos + len > body.length) throw new RestoreError('BAD_ARCHIVE', 'malformed PAX header');
    const rec = body.subarray(sp + 1, pos + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    pos += len;
  }
  return out;
}

/**
 * Splits an entry name into safe components relative to the restore root, dropping the archive's
 * top-level folder (the download puts everything under `<backup name>/`). Refuses absolute paths,
 * '..' anywhere, NUL bytes, and entries outside the one top-level folder.
 */
export class NameMapper {
  /** undefined until the first entry decides: '' = no top-level folder. */
  private top: string | undefined;

  map(raw: string): string[] {
    if (raw.includes('\0')) throw new RestoreError('UNSAFE_ENTRY', `archive entry name holds a NUL byte: ${JSON.stringify(raw)}`);
    if (raw.startsWith('/') || /^[A-Za-z]:[\\/]/.test(raw)) throw new RestoreError('UNSAFE_ENTRY', `archive entry has an absolute path: ${raw}`);
    const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.some((p) => p === '..')) throw new RestoreError('UNSAFE_ENTRY', `archive entry has a '..' component: ${raw}`);
    if (parts.length === 0) return [];
    if (this.top === undefined) this.top = (ENGINE_DIRS as readonly string[]).includes(parts[0]) ? '' : parts[0];
    if (this.top === '') return parts;
    if (parts[0] !== this.top) throw new RestoreError('UNSAFE_ENTRY', `archive entry ${raw} is outside the archive's folder ${this.top}/`);
    return parts.slice(1);
  }
}

export interface TarGzProgress {
  /** Compressed bytes read from the archive so far. */
  readBytes: number;
}

/**
 * Extracts `archive` (a .tar.gz) into the writer's root. `onRead` is told how many compressed bytes
 * were read so far. Throws RestoreError BAD_ARCHIVE / UNSAFE_ENTRY; the caller removes the staging
 * directory on any failure. With `only`, entries outside that top-level directory (an engine's) are
 * checked like the others but not written.
 */
export async function extractTarGz(archive: string, writer: StagingWriter, onRead: (readBytes: number) => void, only?: string): Promise<void> {
  const input = fs.createReadStream(archive, { highWaterMark: 256 * 1024 });
  let readBytes = 0;
  input.on('data', (c) => {
    readBytes += c.length;
    onRead(readBytes);
  });
  const gunzip = zlib.createGunzip({ chunkSize: 64 * 1024 });
  // Errors of either stream reach the iterator below (pipeline destroys the last stream with them).
  pipeline(input, gunzip, () => undefined);
  const it = gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const r = new ChunkReader(it);
  const names = new NameMapper();
  try {
    let pax = new Map<string, string>();
    let longName: string | undefined;
    let sawEnd = false;
    for (;;) {
      const h = await r.exactly(BLOCK);
      if (h === undefined) break;
      if (h.every((b) => b === 0)) {
        sawEnd = true;
        break;
      }
      if (!checksumOk(h)) throw new RestoreError('BAD_ARCHIVE', 'not a tar archive, or a damaged one (header checksum mismatch)');
      const type = String.fromCharCode(h[156] || 0x30);
      let size = octal(h, 124, 12, 'size');
      if (pax.has('size')) size = Number(pax.get('size'));
      if (!Number.isSafeInteger(size) || size < 0) throw new RestoreError('BAD_ARCHIVE', 'archive entry has an invalid size');
      const padded = Math.ceil(size / BLOCK) * BLOCK;

      if (type === 'x' || type === 'g' || type === 'L') {
        if (size > MAX_META_BYTES) throw new RestoreError('BAD_ARCHIVE', `archive metadata header of ${size} bytes`);
        const body = (await r.exactly(padded)) ?? Buffer.alloc(0);
        if (body.length < padded) throw truncated();
        if (type === 'x') pax = parsePax(body.subarray(0, size));
        else if (type === 'L') longName = cstring(body, 0, size);
        // 'g' (global PAX: comments, charset) changes nothing we restore.
        continue;
      }

      let name = cstring(h, 0, 100);
      if (cstring(h, 257, 6) === 'ustar') {
        const prefix = cstring(h, 345, 155);
        if (prefix !== '') name = `${prefix}/${name}`;
      }
      name = pax.get('path') ?? longName ?? name;
      pax = new Map();
      longName = undefined;

      if (type !== '0' && type !== '5' && type !== '7') {
        const kind = { '1': 'a hard link', '2': 'a symbolic link', '3': 'a character device', '4': 'a block device', '6': 'a fifo' }[type] ?? `of unsupported type '${type}'`;
        throw new RestoreError('UNSAFE_ENTRY', `archive entry ${name} is ${kind}; a backup holds only files and directories`);
      }
      const parts = names.map(name);
      if (only !== undefined && parts[0] !== only) {
        await r.skip(padded);
        continue;
      }
      if (type === '5') {
        if (parts.length > 0) await writer.dir(parts);
        await r.skip(padded);
        continue;
      }
      if (parts.length === 0) throw new RestoreError('UNSAFE_ENTRY', `archive entry ${name} is a file where the restore root should be`);
      await writer.file(parts, r.take(size));
      await r.skip(padded - size);
    }
    if (!sawEnd) throw truncated();
    await r.drain();
  } catch (err) {
    if (err instanceof RestoreError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      const msg = code === 'Z_BUF_ERROR' ? 'archive is truncated (the gzip stream ends early)' : `archive is not a valid gzip stream (${(err as Error).message})`;
      throw new RestoreError('BAD_ARCHIVE', msg, err);
    }
    throw err;
  } finally {
    input.destroy();
    gunzip.destroy();
  }
}
