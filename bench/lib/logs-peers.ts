// General-purpose compressors on the same raw log bytes the engine stored, as the yardstick beside
// its ratio: brotli quality 9 (with the size hint) and gzip level 6 through node:zlib streams, and
// `zstd -19` through the CLI when it is installed. They run concurrently (zlib streams in the libuv
// pool, zstd in its own process). Input: a file, streamed (a 500 MB NDJSON never sits in memory), or
// bytes already in memory (a `.gz` log the caller decompressed: the peers must see what the engine
// stored, the uncompressed lines).
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, openSync, closeSync, statSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';

export interface PeerSizes {
  inputBytes: number;
  brotliBytes: number;
  gzipBytes: number;
  /** Absent when `zstd` is not on PATH (see zstdNote). */
  zstdBytes?: number;
  zstdNote?: string;
  seconds: number;
}

function counter(): { sink: Writable; bytes: () => number } {
  let n = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      n += chunk.length;
      done();
    },
  });
  return { sink, bytes: () => n };
}

/** A file path (streamed) or the bytes themselves. */
export type PeerInput = string | Uint8Array;

function source(input: PeerInput): Readable {
  return typeof input === 'string' ? createReadStream(input, { highWaterMark: 1 << 20 }) : Readable.from([input]);
}

async function zlibBytes(input: PeerInput, stream: zlib.BrotliCompress | zlib.Gzip): Promise<number> {
  const c = counter();
  await pipeline(source(input), stream, c.sink);
  return c.bytes();
}

let zstdChecked: string | null | undefined;

/** `zstd --version` once per process: the version line, or null when it cannot run. */
export function zstdVersion(): string | null {
  if (zstdChecked === undefined) {
    const r = spawnSync('zstd', ['--version'], { encoding: 'utf8' });
    zstdChecked = r.status === 0 ? r.stdout.trim() : null;
  }
  return zstdChecked;
}

/** `zstd -19` with the file (or the bytes, piped) as its stdin; resolves the compressed size. */
function zstdBytes(input: PeerInput): Promise<number> {
  return new Promise((resolve, reject) => {
    const fd = typeof input === 'string' ? openSync(input, 'r') : 'pipe';
    const child = spawn('zstd', ['-19', '-q', '-c'], { stdio: [fd, 'pipe', 'pipe'] });
    if (typeof fd === 'number') closeSync(fd); // the child holds its own copy
    else {
      child.stdin!.on('error', () => undefined); // a zstd that died early is reported by 'close'
      child.stdin!.end(input);
    }
    let n = 0;
    let stderr = '';
    child.stdout!.on('data', (b: Buffer) => (n += b.length));
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(n) : reject(new Error(`zstd -19 exited with ${code}: ${stderr.trim()}`))));
  });
}

export async function peerSizes(input: PeerInput): Promise<PeerSizes> {
  const inputBytes = typeof input === 'string' ? statSync(input).size : input.byteLength;
  const t0 = performance.now();
  const brotli = zlibBytes(
    input,
    zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: inputBytes } }),
  );
  const gzip = zlibBytes(input, zlib.createGzip({ level: 6 }));
  const haveZstd = zstdVersion() !== null;
  const zstd = haveZstd ? zstdBytes(input) : Promise.resolve(undefined);
  const [brotliBytes, gzipBytes, zstdSize] = await Promise.all([brotli, gzip, zstd]);
  const out: PeerSizes = { inputBytes, brotliBytes, gzipBytes, seconds: (performance.now() - t0) / 1000 };
  if (zstdSize !== undefined) out.zstdBytes = zstdSize;
  else out.zstdNote = 'zstd not on PATH: skipped';
  return out;
}
