// Pieces of `timeless restore`: the progress throttle (a fake clock), entry-name mapping, and the
// tar.gz reader on names the backup writer encodes specially (PAX long and non-ASCII names, GNU 'L').
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { entryHeader, trailer } from '../server/tar.js';
import { Progress } from './restore-progress.js';
import { NameMapper, extractTarGz } from './restore-tar.js';
import { StagingWriter } from './restore-write.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function temp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'timeless-restore-unit-'));
  dirs.push(d);
  return d;
}

function fileEntry(name: string, body: Buffer): Buffer {
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([entryHeader({ name, type: 'file', mode: 0o644, mtimeMs: 0, size: body.length }), body, pad]);
}

function gnuLongName(name: string): Buffer {
  const body = Buffer.from(`${name}\0`);
  const h = Buffer.alloc(512);
  h.write('././@LongLink', 0);
  h.write('0000644\0', 100);
  h.write(body.length.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.fill(0x20, 148, 156);
  h.write('L', 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return Buffer.concat([h, body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}

describe('restore progress', () => {
  it('prints at most one line per interval, and the final line always', () => {
    let nowMs = 1_000;
    const lines: string[] = [];
    const p = new Progress((l) => lines.push(l), 250, () => nowMs);
    for (let i = 0; i < 100; i++) {
      p.update({ files: i, bytes: i * 10, totalFiles: 100, totalBytes: 1_000 });
      nowMs += 10; // 100 updates over 1 s
    }
    expect(lines.length).toBe(4);
    p.final({ files: 100, bytes: 1_000, totalFiles: 100, totalBytes: 1_000 });
    expect(lines.length).toBe(5);
    expect(lines[4]).toBe('restore: 100% 100/100 files, 1000/1000 bytes (1000 B of 1000 B)');
  });
});

describe('restore entry names', () => {
  it('drops the one top-level folder and refuses what could escape it', () => {
    const m = new NameMapper();
    expect(m.map('bk/')).toEqual([]);
    expect(m.map('bk/metrics/./segments//a.seg')).toEqual(['metrics', 'segments', 'a.seg']);
    expect(() => m.map('other/x')).toThrow(/outside the archive's folder/);
    expect(() => m.map('bk/../x')).toThrow(/'\.\.'/);
    expect(() => m.map('/etc/passwd')).toThrow(/absolute/);
    expect(() => m.map('C:\\x')).toThrow(/absolute/);
    expect(() => m.map('bk/a\0b')).toThrow(/NUL/);
    // An archive made from inside a backup directory has no top-level folder.
    const flat = new NameMapper();
    expect(flat.map('logs/index.db')).toEqual(['logs', 'index.db']);
    expect(flat.map('spans/x')).toEqual(['spans', 'x']);
  });
});

describe('restore tar.gz reader', () => {
  it('reads PAX long and non-ASCII names, GNU long names, and several gzip members', async () => {
    const dir = temp();
    const long = `bk/metrics/${'d'.repeat(120)}/${'f'.repeat(90)}.seg`;
    const big = Buffer.alloc(300_000, 7);
    const tar1 = Buffer.concat([entryHeader({ name: 'bk', type: 'directory', mode: 0o755, mtimeMs: 0, size: 0 }), fileEntry(long, Buffer.from('long')), fileEntry('bk/logs/naïve-日本.txt', Buffer.from('utf8'))]);
    const tar2 = Buffer.concat([gnuLongName(`bk/spans/${'g'.repeat(150)}`), fileEntry('bk/spans/short-stand-in', big)]);
    const total = tar1.length + tar2.length;
    const archive = path.join(dir, 'a.tar.gz');
    // Two gzip members, as the backup download writes when files deflate differently.
    fs.writeFileSync(archive, Buffer.concat([zlib.gzipSync(tar1), zlib.gzipSync(Buffer.concat([tar2, trailer(total)]), { level: 0 })]));
    const root = path.join(dir, 'out');
    fs.mkdirSync(root);
    const w = new StagingWriter(root);
    const reads: number[] = [];
    await extractTarGz(archive, w, (n) => reads.push(n));
    expect(fs.readFileSync(path.join(root, long.slice(3)), 'utf8')).toBe('long');
    expect(fs.readFileSync(path.join(root, 'logs', 'naïve-日本.txt'), 'utf8')).toBe('utf8');
    expect(fs.readFileSync(path.join(root, 'spans', 'g'.repeat(150))).equals(big)).toBe(true);
    expect([w.filesDone, w.bytesDone]).toEqual([3, 4 + 4 + big.length]);
    expect(reads[reads.length - 1]).toBe(fs.statSync(archive).size);
  });

  it('refuses an entry written twice instead of overwriting it', async () => {
    const dir = temp();
    const tar = Buffer.concat([fileEntry('bk/metrics/a', Buffer.from('one')), fileEntry('bk/metrics/a', Buffer.from('two'))]);
    const archive = path.join(dir, 'dup.tar.gz');
    fs.writeFileSync(archive, zlib.gzipSync(Buffer.concat([tar, trailer(tar.length)])));
    const root = path.join(dir, 'out');
    fs.mkdirSync(root);
    await expect(extractTarGz(archive, new StagingWriter(root), () => undefined)).rejects.toMatchObject({ code: 'UNSAFE_ENTRY' });
    expect(fs.readFileSync(path.join(root, 'metrics', 'a'), 'utf8')).toBe('one');
  });
});
