// The streaming tar writer (src/server/tar.ts), checked against GNU tar: every archive it writes is
// extracted by the system `tar` and compared with the source tree byte for byte, names (long ones
// through PAX), modes and mtimes included.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib, { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { deflationFor, entryHeader, TAR_BLOCK, tarChunks, tarGzStream } from '../src/server/tar.js';
import { tempDir } from './metrics-helpers.js';

const tmp = tempDir('tar');
afterAll(() => tmp.remove());

let n = 0;
function scratch(): string {
  const d = path.join(tmp.dir, `case-${n++}`);
  fs.mkdirSync(d);
  return d;
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}

async function collectWeb(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  return Buffer.concat(parts);
}

/** Every path under dir (relative, '/'-separated) with its kind, content, mode and mtime (s). */
function snapshot(dir: string): Map<string, { kind: string; content?: string; mode: number; mtimeSec: number }> {
  const out = new Map<string, { kind: string; content?: string; mode: number; mtimeSec: number }>();
  const walk = (d: string, rel: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const abs = path.join(d, name);
      const r = rel === '' ? name : `${rel}/${name}`;
      const st = fs.lstatSync(abs);
      if (st.isDirectory()) {
        out.set(r, { kind: 'dir', mode: st.mode & 0o777, mtimeSec: Math.floor(st.mtimeMs / 1000) });
        walk(abs, r);
      } else if (st.isFile()) {
        out.set(r, { kind: 'file', content: fs.readFileSync(abs).toString('base64'), mode: st.mode & 0o777, mtimeSec: Math.floor(st.mtimeMs / 1000) });
      }
    }
  };
  walk(dir, '');
  return out;
}

function write(file: string, data: Buffer | string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data, { mode });
  fs.chmodSync(file, mode);
}

/** Extracts with GNU tar; `--warning=all` so a malformed header would at least print. */
function extract(archive: string, into: string, gz: boolean): string {
  fs.mkdirSync(into, { recursive: true });
  return execFileSync('tar', [gz ? '-xzf' : '-xf', archive, '-C', into, '--warning=all'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('tar writer', () => {
  it('round-trips long names (PAX), non-ASCII names, empty files, empty dirs and block-sized files through GNU tar', async () => {
    const src = scratch();
    const longDir = 'd'.repeat(90) + '/' + 'e'.repeat(90);
    const longName = `${longDir}/${'f'.repeat(120)}.bin`; // > 255 bytes: neither name nor prefix+name fit
    write(path.join(src, longName), randomBytes(1000));
    write(path.join(src, 'x'.repeat(100)), 'exactly one hundred bytes of name'); // fits ustar's name field exactly
    write(path.join(src, 'x'.repeat(101)), 'one byte too long for it');
    write(path.join(src, 'café/ünïcödé-名前.txt'), 'non-ASCII names go through PAX as UTF-8');
    write(path.join(src, 'empty.txt'), '');
    write(path.join(src, 'block-512.bin'), randomBytes(512));
    write(path.join(src, 'block-1024.bin'), randomBytes(1024));
    write(path.join(src, 'chunk-exact.bin'), randomBytes(256 * 1024)); // the reader's chunk size
    write(path.join(src, 'chunk-plus-one.bin'), randomBytes(256 * 1024 + 1));
    write(path.join(src, 'big-odd.bin'), randomBytes(700_001));
    write(path.join(src, 'run.sh'), '#!/bin/sh\necho hi\n', 0o755);
    write(path.join(src, 'secret.key'), 'k', 0o600);
    fs.mkdirSync(path.join(src, 'empty-dir/nested-empty'), { recursive: true });
    const old = new Date('2001-02-03T04:05:06Z');
    fs.utimesSync(path.join(src, 'block-512.bin'), old, old);

    const tarFile = path.join(tmp.dir, 'plain.tar');
    const bytes = await collect(tarChunks(src, 'root'));
    expect(bytes.length % (20 * TAR_BLOCK)).toBe(0);
    fs.writeFileSync(tarFile, bytes);
    const out = path.join(tmp.dir, 'plain-out');
    expect(extract(tarFile, out, false)).toBe('');
    expect(snapshot(path.join(out, 'root'))).toEqual(snapshot(src));
    expect(Math.floor(fs.statSync(path.join(out, 'root', 'block-512.bin')).mtimeMs / 1000)).toBe(old.getTime() / 1000);
    // The listing shows the full long name, so tar read the PAX record, not the truncated stand-in.
    const listing = execFileSync('tar', ['-tf', tarFile], { encoding: 'utf8' }).split('\n');
    expect(listing).toContain(`root/${longName}`);
    expect(listing).toContain('root/empty-dir/nested-empty/');

    const gzFile = path.join(tmp.dir, 'plain.tar.gz');
    const gz = await collectWeb(tarGzStream(src, { prefix: 'root' }));
    fs.writeFileSync(gzFile, gz);
    expect(gunzipSync(gz).equals(bytes)).toBe(true);
    const gzOut = path.join(tmp.dir, 'gz-out');
    expect(extract(gzFile, gzOut, true)).toBe('');
    expect(snapshot(path.join(gzOut, 'root'))).toEqual(snapshot(src));
  });

  it('stores incompressible files and compresses the rest (gzip members that gunzip and tar read as one)', async () => {
    const src = scratch();
    const random = randomBytes(2 * 1024 * 1024);
    const text = Buffer.from('ts=1700000000 level=info msg="GET /api/items 200" dur_ms=12\n'.repeat(40_000));
    write(path.join(src, 'a-text.log'), text);
    write(path.join(src, 'b-random.seg'), random);
    write(path.join(src, 'c-text.log'), text);
    const tokens = randomBytes(768 * 1024).toString('base64'); // no repeats, 6 bits per character
    write(path.join(src, 'd-tokens.txt'), tokens);
    expect(deflationFor(random, 1)).toEqual({ level: 0, strategy: zlib.constants.Z_DEFAULT_STRATEGY });
    expect(deflationFor(text, 1)).toEqual({ level: 1, strategy: zlib.constants.Z_DEFAULT_STRATEGY });
    expect(deflationFor(Buffer.from(tokens), 1)).toEqual({ level: 1, strategy: zlib.constants.Z_HUFFMAN_ONLY });
    const plain = await collect(tarChunks(src, 'm'));
    const adaptive = await collectWeb(tarGzStream(src, { prefix: 'm' }));
    const uniform = await collectWeb(tarGzStream(src, { prefix: 'm', adaptive: false }));
    for (const gz of [adaptive, uniform]) expect(gunzipSync(gz).equals(plain)).toBe(true);
    // Text compressed in both; the random file stored (level 0) only in the adaptive one, which
    // takes a member per change of deflation (4 here): gzip magic at each member start.
    expect(adaptive.length).toBeLessThan(random.length + text.length / 10 + tokens.length * 0.8);
    const members = (b: Buffer) => {
      let n = 0;
      for (let i = b.indexOf(Buffer.from([0x1f, 0x8b, 0x08])); i >= 0; i = b.indexOf(Buffer.from([0x1f, 0x8b, 0x08]), i + 1)) n++;
      return n;
    };
    expect(members(adaptive)).toBeGreaterThanOrEqual(4);
    const file = path.join(tmp.dir, 'members.tar.gz');
    fs.writeFileSync(file, adaptive);
    const out = path.join(tmp.dir, 'members-out');
    expect(extract(file, out, true)).toBe('');
    expect(snapshot(path.join(out, 'm'))).toEqual(snapshot(src));
    expect(execFileSync('gzip', ['-t', file], { encoding: 'utf8' })).toBe('');
  });

  it('skips symlinks instead of following them out of the tree', async () => {
    const outside = scratch();
    write(path.join(outside, 'passwd'), 'outside secret');
    const src = scratch();
    write(path.join(src, 'inside.txt'), 'inside');
    fs.symlinkSync(path.join(outside, 'passwd'), path.join(src, 'link-to-file'));
    fs.symlinkSync(outside, path.join(src, 'link-to-dir'));
    const bytes = await collect(tarChunks(src, 'b'));
    expect(bytes.includes(Buffer.from('outside secret'))).toBe(false);
    const listing = execFileSync('tar', ['-tf', '-'], { input: bytes, encoding: 'utf8' }).trim().split('\n');
    expect(listing).toEqual(['b/', 'b/inside.txt']);
  });

  it('uses PAX records for sizes and mtimes beyond the octal fields', () => {
    const h = entryHeader({ name: 'huge.bin', type: 'file', mode: 0o644, mtimeMs: 1e15, size: 2 ** 33 + 5 });
    const paxBytes = Number.parseInt(h.subarray(124, 135).toString(), 8);
    const pax = h.subarray(TAR_BLOCK, TAR_BLOCK + paxBytes).toString();
    expect(h[156]).toBe('x'.charCodeAt(0));
    expect(pax).toContain(`size=${2 ** 33 + 5}\n`);
    expect(pax).toContain(`mtime=${1e12}\n`);
    // Each record's length prefix counts the whole record.
    for (const rec of pax.split(/(?<=\n)/)) expect(Number(rec.slice(0, rec.indexOf(' ')))).toBe(Buffer.byteLength(rec));
    // The main header follows the padded PAX data and is itself valid.
    expect(h.length % TAR_BLOCK).toBe(0);
    const main = h.subarray(h.length - TAR_BLOCK);
    expect(main[156]).toBe('0'.charCodeAt(0));
    let sum = 0;
    for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : main[i];
    expect(Number.parseInt(main.subarray(148, 154).toString(), 8)).toBe(sum);
  });

  it('closes the open file handle when the reader stops early', async () => {
    const src = scratch();
    write(path.join(src, 'big.bin'), randomBytes(4 * 1024 * 1024));
    const open = () => fs.readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`) === path.join(src, 'big.bin');
      } catch {
        return false;
      }
    }).length;
    const gen = tarChunks(src, 'r');
    await gen.next(); // dir header
    await gen.next(); // file header
    await gen.next(); // first chunk of big.bin: the handle is open now
    expect(open()).toBe(1);
    await gen.return(undefined);
    expect(open()).toBe(0);

    const stream = tarGzStream(src, { prefix: 'r' });
    const reader = stream.getReader();
    for (let i = 0; i < 20 && open() === 0; i++) await reader.read();
    // Let anything in flight settle, so no pull() is running when cancel() comes: then only
    // cancel() itself can shut the pipeline down.
    await new Promise((r) => setTimeout(r, 200));
    expect(open()).toBe(1);
    await reader.cancel();
    for (let i = 0; i < 100 && open() > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(open()).toBe(0);
  });

  it('fails the stream (not a truncated success) when a file shrinks while archived', async () => {
    const src = scratch();
    const file = path.join(src, 'shrinks.bin');
    write(file, randomBytes(1024 * 1024));
    const gen = tarChunks(src, 's');
    await gen.next();
    await gen.next(); // header written with the 1 MiB size
    fs.truncateSync(file, 1000);
    await expect(collect(gen)).rejects.toThrow(/shrank/);
  });
});
