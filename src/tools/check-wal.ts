// WAL files under `timeless check`: every frame's magic, length and crc32c, and that its records tile
// the payload, read in bounded chunks (a frame can be ~100 MB). The frame format and the replay rules
// are wal.ts's: only the last file may end in a torn frame (Wal.open cuts it: info); a bad frame
// anywhere else loses the rest of that file on replay (error).
import fs from 'node:fs';
import path from 'node:path';
import { crc32c } from '../codec/crc32c.js';
import { readFullySync } from '../storage/fsutil.js';
import { WAL_FRAME_HEADER_BYTES, WAL_MAGIC } from '../storage/wal.js';
import type { CheckProblem, EngineName } from './check-report.js';

const FILE_RE = /^(\d{10,})\.wal$/;
const CHUNK_BYTES = 1024 * 1024;

export interface WalCheck {
  files: number;
  frames: number;
  bytes: number;
  problems: CheckProblem[];
}

export function checkWalDir(engine: EngineName, root: string): WalCheck {
  const res: WalCheck = { files: 0, frames: 0, bytes: 0, problems: [] };
  let names: string[];
  try {
    names = fs.readdirSync(path.join(root, 'wal')).filter((n) => FILE_RE.test(n));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return res;
    res.problems.push({ engine, file: 'wal', severity: 'error', kind: 'io', message: `cannot list: ${(err as Error).message}` });
    return res;
  }
  names.sort((a, b) => Number(FILE_RE.exec(a)![1]) - Number(FILE_RE.exec(b)![1]));
  names.forEach((name, i) => {
    const file = `wal/${name}`;
    res.files++;
    try {
      const r = checkWalFile(path.join(root, file));
      res.frames += r.frames;
      res.bytes += r.size;
      if (r.bad) {
        const last = i === names.length - 1;
        const tail = last && r.bad.finalFrame;
        res.problems.push({
          engine,
          file,
          severity: tail ? 'info' : 'error',
          kind: tail ? 'wal-torn-tail' : 'wal-bad-frame',
          offset: r.bad.offset,
          message: tail
            ? `torn final frame (${r.bad.reason}); ${r.size - r.bad.offset} bytes will be truncated on open`
            : `${r.bad.reason}; replay ${last ? 'truncates the file here' : 'skips the rest of this file'} (${r.size - r.bad.offset} bytes lost)`,
        });
      }
    } catch (err) {
      res.problems.push({ engine, file, severity: 'error', kind: 'io', message: `read failed: ${(err as Error).message}` });
    }
  });
  return res;
}

interface WalFileResult {
  size: number;
  frames: number;
  /** The first bad frame; `finalFrame`: it is the file's last frame (a torn write looks like this). */
  bad?: { offset: number; reason: string; finalFrame: boolean };
}

function checkWalFile(abs: string): WalFileResult {
  const fd = fs.openSync(abs, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    let pos = 0;
    let frames = 0;
    while (pos < size) {
      const fail = (reason: string, finalFrame: boolean): WalFileResult => ({ size, frames, bad: { offset: pos, reason, finalFrame } });
      if (size - pos < WAL_FRAME_HEADER_BYTES) return fail('incomplete frame header', true);
      const head = readFullySync(fd, WAL_FRAME_HEADER_BYTES, pos);
      const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
      const magic = dv.getUint32(0, true);
      if (magic !== WAL_MAGIC) return fail(`bad frame magic 0x${magic.toString(16)}`, false);
      const n = dv.getUint32(4, true);
      const start = pos + WAL_FRAME_HEADER_BYTES;
      if (start + n > size) return fail(`frame of ${n} bytes runs past the end of the file`, true);
      const finalFrame = start + n === size;
      const body = checkPayload(fd, start, n);
      if (body.crc !== dv.getUint32(8, true)) return fail('frame crc mismatch', finalFrame);
      if (!body.tiled) return fail('records do not fill the frame', false);
      frames++;
      pos = start + n;
    }
    return { size, frames };
  } finally {
    fs.closeSync(fd);
  }
}

/** crc32c of the payload and whether its [u32 length][record] entries tile it exactly, chunk by chunk. */
function checkPayload(fd: number, start: number, n: number): { crc: number; tiled: boolean } {
  let crc = 0;
  let skip = 0; // record bytes still to pass
  const len = new Uint8Array(4);
  let lenHave = 0;
  for (let done = 0; done < n; ) {
    const chunk = readFullySync(fd, Math.min(CHUNK_BYTES, n - done), start + done);
    if (chunk.length === 0) throw new Error(`file shrank while being read (at ${start + done})`);
    crc = crc32c(chunk, crc);
    let i = 0;
    while (i < chunk.length) {
      if (skip > 0) {
        const take = Math.min(skip, chunk.length - i);
        skip -= take;
        i += take;
        continue;
      }
      len[lenHave++] = chunk[i++];
      if (lenHave === 4) {
        skip = new DataView(len.buffer).getUint32(0, true);
        lenHave = 0;
      }
    }
    done += chunk.length;
  }
  return { crc, tiled: skip === 0 && lenHave === 0 };
}
