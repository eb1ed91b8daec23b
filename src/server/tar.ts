// Backup archives, streamed: a tar writer and its gzip framing for GET /api/v1/backup/:name/download.
// Tar: POSIX ustar headers, with a PAX extended header ('x') when a name does not fit ustar's 100-byte
// field (or is not ASCII) or a size/mtime does not fit its octal field. It walks a directory (regular
// files and directories only; symlinks and special files are skipped, so nothing outside the tree is
// ever read) and yields the archive in pieces: headers, file content read from disk through a file
// handle in chunks (a file is never held in memory whole), zero padding to 512-byte blocks, the
// trailer. Gzip: each piece is compressed before the next is read (see gzipTar for the per-file
// level). Everything is pulled by the consumer, so memory stays flat whatever the size of the tree.
import { constants as fsc, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';

export const TAR_BLOCK = 512;
/** POSIX: an archive is written in records of 20 blocks; the last one is padded with zeros. */
const TAR_RECORD = 20 * TAR_BLOCK;
/** Bytes read from a file per chunk: big enough for few syscalls, small enough to keep RSS flat. */
const READ_CHUNK = 256 * 1024;
/** Largest value of an 11-digit octal field (size, mtime): 8 GiB - 1. */
const OCTAL11_MAX = 0o77777777777;

export interface TarEntry {
  /** Path inside the archive, '/'-separated, without a trailing slash. */
  name: string;
  type: 'file' | 'directory';
  /** Permission bits (e.g. 0o644). */
  mode: number;
  mtimeMs: number;
  /** Bytes of a file (0 for directories). */
  size: number;
}

const enc = new TextEncoder();

function writeString(h: Buffer, offset: number, length: number, value: string): void {
  h.write(value, offset, length, 'utf8');
}

/** An octal number in `length` bytes: zero-padded digits then one NUL. */
function writeOctal(h: Buffer, offset: number, length: number, value: number): void {
  writeString(h, offset, length, value.toString(8).padStart(length - 1, '0') + '\0');
}

/** One PAX record: "<len> <key>=<value>\n", where <len> counts the whole record, itself included. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyBytes = enc.encode(body).length;
  let len = bodyBytes + 1;
  while (String(len).length + bodyBytes !== len) len = String(len).length + bodyBytes;
  return `${len}${body}`;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7e || s.charCodeAt(i) < 0x20) return false;
  return true;
}

/** A 512-byte ustar header; `name` must already fit (the caller adds a PAX header when not). */
function ustarHeader(name: string, typeflag: string, mode: number, size: number, mtimeSec: number): Buffer {
  const h = Buffer.alloc(TAR_BLOCK);
  writeString(h, 0, 100, name);
  writeOctal(h, 100, 8, mode & 0o7777);
  writeOctal(h, 108, 8, 0); // uid: the extracting user owns the files
  writeOctal(h, 116, 8, 0); // gid
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, mtimeSec);
  h.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  writeString(h, 156, 1, typeflag);
  writeString(h, 257, 6, 'ustar\0');
  writeString(h, 263, 2, '00');
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += h[i];
  writeString(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

/** Zero bytes that bring `size` up to the next block boundary. */
function padding(size: number): number {
  const rest = size % TAR_BLOCK;
  return rest === 0 ? 0 : TAR_BLOCK - rest;
}

/**
 * The header block(s) of one entry: a PAX extended header first when the name, size or mtime does
 * not fit ustar, then the ustar header (with a truncated name the PAX record overrides).
 */
export function entryHeader(e: TarEntry): Buffer {
  const name = e.type === 'directory' ? `${e.name}/` : e.name;
  const mtimeSec = Math.max(0, Math.floor(e.mtimeMs / 1000));
  const size = e.type === 'directory' ? 0 : e.size;
  const records: string[] = [];
  const nameFits = enc.encode(name).length <= 100 && isAscii(name);
  if (!nameFits) records.push(paxRecord('path', name));
  if (size > OCTAL11_MAX) records.push(paxRecord('size', String(size)));
  if (mtimeSec > OCTAL11_MAX) records.push(paxRecord('mtime', String(mtimeSec)));
  const typeflag = e.type === 'directory' ? '5' : '0';
  const main = ustarHeader(nameFits ? name : asciiPrefix(name, 100), typeflag, e.mode, size > OCTAL11_MAX ? 0 : size, Math.min(mtimeSec, OCTAL11_MAX));
  if (records.length === 0) return main;
  const pax = Buffer.from(records.join(''), 'utf8');
  const paxName = asciiPrefix(`PaxHeaders/${path.posix.basename(e.name)}`, 100);
  return Buffer.concat([ustarHeader(paxName, 'x', 0o644, pax.length, mtimeSec > OCTAL11_MAX ? 0 : mtimeSec), pax, Buffer.alloc(padding(pax.length)), main]);
}

/** The first bytes of a name that are printable ASCII (readers without PAX see this stand-in). */
function asciiPrefix(name: string, max: number): string {
  let out = '';
  for (const ch of name) {
    if (out.length >= max) break;
    out += isAscii(ch) ? ch : '_';
  }
  return out;
}

/** Two zero blocks end the archive; then zeros up to the record size. */
export function trailer(written: number): Buffer {
  const end = written + 2 * TAR_BLOCK;
  const rest = end % TAR_RECORD;
  return Buffer.alloc(2 * TAR_BLOCK + (rest === 0 ? 0 : TAR_RECORD - rest));
}

/**
 * Entries of a tree, parents before children, names sorted (a stable archive for the same tree).
 * Uses lstat: a symlink is skipped, never followed, so a link inside the tree cannot pull in a file
 * from outside it.
 */
export async function* walkTree(root: string, prefix: string): AsyncGenerator<TarEntry & { abs: string }> {
  const rootStat = await fs.lstat(root);
  if (!rootStat.isDirectory()) throw new Error(`tar: ${root} is not a directory`);
  yield { name: prefix, type: 'directory', mode: rootStat.mode, mtimeMs: rootStat.mtimeMs, size: 0, abs: root };
  yield* walkDir(root, prefix);
}

async function* walkDir(dir: string, prefix: string): AsyncGenerator<TarEntry & { abs: string }> {
  const names = (await fs.readdir(dir)).sort();
  for (const n of names) {
    const abs = path.join(dir, n);
    let st: Stats;
    try {
      st = await fs.lstat(abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed meanwhile (a temp file)
      throw err;
    }
    const name = `${prefix}/${n}`;
    if (st.isDirectory()) {
      yield { name, type: 'directory', mode: st.mode, mtimeMs: st.mtimeMs, size: 0, abs };
      yield* walkDir(abs, name);
    } else if (st.isFile()) {
      yield { name, type: 'file', mode: st.mode, mtimeMs: st.mtimeMs, size: st.size, abs };
    }
  }
}

/** One piece of the tar stream; `fileStart` marks the first content chunk of a file. */
export interface TarPart {
  bytes: Buffer;
  fileStart: boolean;
}

/**
 * The tar stream of `root`, every entry under `prefix/`. A file's content is read in chunks through
 * one file handle, closed when the file is done or when the consumer stops early (the generator's
 * return() runs the finally). A file that shrank after its header was written is an error: the
 * archive could not be valid any more; one that grew is cut at the size its header announced (the
 * engines only append, and a backup directory is not written to once taken).
 * With `reuseBuffer`, every content chunk is read into the same buffer: the consumer must be done
 * with a chunk before it asks for the next one (tarGzStream waits for zlib to consume each chunk),
 * and in exchange a download of any size allocates one read buffer, not one per chunk.
 */
export async function* tarParts(root: string, prefix: string, opts: { reuseBuffer?: boolean } = {}): AsyncGenerator<TarPart> {
  let written = 0;
  let shared: Buffer | undefined;
  for await (const e of walkTree(root, prefix)) {
    const header = entryHeader(e);
    written += header.length;
    yield { bytes: header, fileStart: false };
    if (e.type !== 'file' || e.size === 0) continue;
    // O_NOFOLLOW: the entry was a regular file at lstat; refuse it if it became a symlink since.
    const fh = await fs.open(e.abs, fsc.O_RDONLY | fsc.O_NOFOLLOW);
    try {
      let pos = 0;
      while (pos < e.size) {
        const want = Math.min(READ_CHUNK, e.size - pos);
        const buf = opts.reuseBuffer ? (shared ??= Buffer.allocUnsafe(READ_CHUNK)) : Buffer.allocUnsafe(want);
        const { bytesRead } = await fh.read(buf, 0, want, pos);
        if (bytesRead === 0) throw new Error(`tar: ${e.name} shrank while it was archived (${pos} of ${e.size} bytes)`);
        yield { bytes: buf.subarray(0, bytesRead), fileStart: pos === 0 };
        pos += bytesRead;
      }
    } finally {
      await fh.close();
    }
    written += e.size;
    const pad = padding(e.size);
    if (pad > 0) {
      written += pad;
      yield { bytes: Buffer.alloc(pad), fileStart: false };
    }
  }
  yield { bytes: trailer(written), fileStart: false };
}

/** The tar bytes of `root` as fresh buffers (each one stays valid). */
export async function* tarChunks(root: string, prefix: string): AsyncGenerator<Buffer> {
  for await (const p of tarParts(root, prefix)) yield p.bytes;
}

/** Bytes of a file's first chunk test-compressed to pick its gzip level. */
const SAMPLE_BYTES = 32 * 1024;
/** A sample that deflate shrinks by less than this is stored, not compressed. */
const STORE_ABOVE_RATIO = 0.9;
/** zlib output chunk size: 64 KiB is a quarter of the per-chunk work of the 16 KiB default. */
const GZIP_CHUNK = 64 * 1024;

/** How a gzip member deflates: zlib level and strategy. */
export interface Deflation {
  level: number;
  strategy: number;
}

const HUFFMAN_KEEPS = 0.9;

/**
 * How to deflate a file, from a sample of its start. A backup is mostly the engines' blocks, already
 * compressed: deflate gains nothing on them and runs at ~50 MB/s on this kind of machine, while
 * storing (level 0) runs at the speed of CRC-32 (~500 MB/s). Text without repeats (ids, random
 * tokens) shrinks only through Huffman coding, which alone runs ~3x faster than level 1: when
 * Huffman-only keeps 90% of level 1's gain, it is used. WAL files and SQLite indexes have repeats
 * (3-4x under level 1): they get `level`.
 */
export function deflationFor(sample: Uint8Array, level: number): Deflation {
  const s = sample.subarray(0, SAMPLE_BYTES);
  const normal = { level, strategy: zlib.constants.Z_DEFAULT_STRATEGY };
  if (level === 0 || s.length < 1024) return normal;
  const lz = zlib.deflateRawSync(s, { level: 1 }).length;
  if (lz > s.length * STORE_ABOVE_RATIO) return { level: 0, strategy: zlib.constants.Z_DEFAULT_STRATEGY };
  const huffman = zlib.deflateRawSync(s, { level: 1, strategy: zlib.constants.Z_HUFFMAN_ONLY }).length;
  if (s.length - huffman >= HUFFMAN_KEEPS * (s.length - lz)) return { level: 1, strategy: zlib.constants.Z_HUFFMAN_ONLY };
  return normal;
}

function sameDeflation(a: Deflation, b: Deflation): boolean {
  return a.level === b.level && a.strategy === b.strategy;
}

/** A gzip member being written: its output is collected as zlib produces it. */
class Member {
  readonly deflation: Deflation;
  private readonly z: zlib.Gzip;
  private out: Buffer[] = [];
  private failure: Error | undefined;
  private readonly finished: Promise<void>;

  constructor(deflation: Deflation) {
    this.deflation = deflation;
    this.z = zlib.createGzip({ ...deflation, chunkSize: GZIP_CHUNK });
    this.z.on('data', (d: Buffer) => this.out.push(d));
    this.finished = new Promise((resolve) => {
      this.z.on('end', resolve);
      this.z.on('close', resolve);
      this.z.on('error', (err) => {
        this.failure = err;
        resolve();
      });
    });
  }

  /** Compresses `bytes`; resolves once zlib has consumed them (the buffer may then be reused). */
  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.z.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  async end(): Promise<void> {
    this.z.end();
    await this.finished;
    if (this.failure) throw this.failure;
  }

  /** Output produced so far, handed over once. */
  take(): Buffer[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  destroy(): void {
    this.z.destroy();
  }
}

/**
 * The .tar.gz bytes of a tar stream, pulled chunk by chunk. With `adaptive`, each file is deflated
 * as its start suggests (deflationFor: stored, Huffman only, or `level`); a change starts a new
 * gzip member (RFC 1952 allows a series of members; gzip, tar, zcat, libarchive and Node read them
 * as one stream), so each kind of file gets the right treatment. Each input
 * chunk is written and consumed before the next one is read, so memory holds one chunk's worth.
 */
export async function* gzipTar(parts: AsyncIterable<TarPart>, opts: { level: number; adaptive: boolean }): AsyncGenerator<Buffer> {
  const base: Deflation = { level: opts.level, strategy: zlib.constants.Z_DEFAULT_STRATEGY };
  let member: Member | undefined;
  try {
    for await (const part of parts) {
      if (opts.adaptive && part.fileStart) {
        const want = deflationFor(part.bytes, opts.level);
        if (member && !sameDeflation(member.deflation, want)) {
          await member.end();
          yield* member.take();
          member = undefined;
        }
        member ??= new Member(want);
      }
      member ??= new Member(base);
      await member.write(part.bytes);
      yield* member.take();
    }
    member ??= new Member(base);
    await member.end();
    yield* member.take();
  } finally {
    // Stopped early (the reader went away) or failed: free zlib's memory now, not at GC.
    member?.destroy();
  }
}

export interface TarGzOptions {
  /** Top-level directory of every entry in the archive. */
  prefix: string;
  /** zlib level for compressible files (default 1: most of the gain, the least CPU). */
  level?: number;
  /** Pick each file's deflation from a sample (default true); false: every file at `level`. */
  adaptive?: boolean;
  /** Called once when the stream ends, fails or is cancelled (the reader went away). */
  onEnd?: (outcome: 'done' | 'cancelled' | 'error', err?: unknown) => void;
}

/**
 * `root` as a .tar.gz web stream (what a Hono handler returns). Pull-based end to end: the HTTP
 * layer asks for the next chunk only when the socket has drained; the next disk read starts only
 * when zlib has consumed the previous chunk (one reused read buffer) and its output was taken. A
 * slow client slows the disk reads instead of filling memory. cancel() (the client disconnected)
 * returns the generators: zlib is destroyed and the open file handle closed (after its pending
 * read, if any).
 */
export function tarGzStream(root: string, opts: TarGzOptions): ReadableStream<Uint8Array> {
  const chunks = gzipTar(tarParts(root, opts.prefix, { reuseBuffer: true }), { level: opts.level ?? 1, adaptive: opts.adaptive ?? true });
  let ended = false;
  const end = (outcome: 'done' | 'cancelled' | 'error', err?: unknown) => {
    if (ended) return;
    ended = true;
    opts.onEnd?.(outcome, err);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const r = await chunks.next();
          if (r.done) {
            end('done');
            controller.close();
          } else controller.enqueue(new Uint8Array(r.value.buffer, r.value.byteOffset, r.value.byteLength));
        } catch (err) {
          end('error', err);
          controller.error(err);
        }
      },
      async cancel() {
        end('cancelled');
        await chunks.return(undefined).catch(() => undefined);
      },
    },
    // Nothing read ahead: reading starts at the first read(). A response whose body is dropped
    // unread (Hono answers HEAD with the GET response minus its body, without cancelling it) then
    // never opens a file; the HTTP layer's own buffering keeps the pipe full.
    { highWaterMark: 0 },
  );
}
