// Segment files: <root>/segments/<yyyy-mm-dd>/<yyyy-mm-dd>-<seq>.seg, append-only runs of blocks.
// Offsets are handed out on the main thread (SegmentAllocator, sizes tracked in memory: no I/O per
// block), and the bytes are written by workers with positional writes (writeAt), so two writes never
// race on the same bytes even when they complete out of order.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { ioError, StorageError } from './errors.js';
import { fsyncDir, fsyncDirSync, readdirOrEmpty, readdirOrEmptySync, readFullySync, writeFullySync } from './fsutil.js';

export const SEGMENTS_DIR = 'segments';
export const DEFAULT_MAX_SEGMENT_BYTES = 64 * 1024 * 1024;

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const FILE_RE = /^(\d{4}-\d{2}-\d{2})-(\d{6,})\.seg$/;

/** UTC calendar day of a timestamp, 'yyyy-mm-dd'. */
export function dayKeyOf(tsMs: number): string {
  if (!Number.isFinite(tsMs)) throw new RangeError(`dayKeyOf: timestamp ${tsMs} is not a finite number of ms`);
  return new Date(tsMs).toISOString().slice(0, 10);
}

/** Segment path relative to the engine root, always with '/' (it is stored in the index). */
export function segmentFileName(dayKey: string, seq: number): string {
  return `${SEGMENTS_DIR}/${dayKey}/${dayKey}-${String(seq).padStart(6, '0')}.seg`;
}

export interface SegmentFileInfo {
  /** Relative to the engine root, e.g. 'segments/2026-11-27/2026-11-27-000001.seg'. */
  file: string;
  day: string;
  seq: number;
  /** Bytes allocated so far (the file on disk may be shorter while writes are in flight). */
  bytes: number;
  /** Not its day's active file: no more allocations will land in it. */
  sealed: boolean;
}

export interface SegmentAllocatorOptions {
  /** A day's active file rotates once the next run would take it past this. Default 64 MiB. */
  maxSegmentBytes?: number;
}

interface DayState {
  /** seq → allocated bytes. */
  files: Map<number, number>;
  /** Highest seq ever used this process (survives deletes so names are never reused). */
  maxSeq: number;
}

export class SegmentAllocator {
  readonly root: string;
  readonly maxSegmentBytes: number;
  private readonly days = new Map<string, DayState>();

  private constructor(root: string, opts: SegmentAllocatorOptions) {
    this.root = path.resolve(root);
    this.maxSegmentBytes = opts.maxSegmentBytes ?? DEFAULT_MAX_SEGMENT_BYTES;
    if (!(this.maxSegmentBytes > 0)) throw new RangeError(`maxSegmentBytes must be > 0, got ${this.maxSegmentBytes}`);
  }

  /** Builds the allocator from a listing of <root>/segments (a missing directory is empty). */
  static async open(root: string, opts: SegmentAllocatorOptions = {}): Promise<SegmentAllocator> {
    const a = new SegmentAllocator(root, opts);
    const segDir = path.join(a.root, SEGMENTS_DIR);
    for (const d of await readdirOrEmpty(segDir)) {
      if (!d.isDirectory() || !DAY_RE.test(d.name)) continue;
      const dayDir = path.join(segDir, d.name);
      for (const f of await readdirOrEmpty(dayDir)) {
        const m = FILE_RE.exec(f.name);
        if (!m || m[1] !== d.name || !f.isFile()) continue;
        const st = await fsp.stat(path.join(dayDir, f.name)).catch((err) => {
          throw ioError('stat segment', path.join(dayDir, f.name), err);
        });
        a.track(d.name, Number(m[2]), st.size);
      }
    }
    return a;
  }

  /** Synchronous twin of open() (startup only, never on a hot path). */
  static openSync(root: string, opts: SegmentAllocatorOptions = {}): SegmentAllocator {
    const a = new SegmentAllocator(root, opts);
    const segDir = path.join(a.root, SEGMENTS_DIR);
    for (const d of readdirOrEmptySync(segDir)) {
      if (!d.isDirectory() || !DAY_RE.test(d.name)) continue;
      const dayDir = path.join(segDir, d.name);
      for (const f of readdirOrEmptySync(dayDir)) {
        const m = FILE_RE.exec(f.name);
        if (!m || m[1] !== d.name || !f.isFile()) continue;
        a.track(d.name, Number(m[2]), fs.statSync(path.join(dayDir, f.name)).size);
      }
    }
    return a;
  }

  /**
   * Reserves `bytes` at the end of `dayKey`'s active file (rotating it first if the run would pass
   * maxSegmentBytes; a run larger than that gets a file of its own). Pure bookkeeping, no I/O: the
   * caller (a worker) writes the bytes with writeAt(absPath(file), offset, ...).
   */
  allocate(dayKey: string, bytes: number): { file: string; offset: number } {
    if (!DAY_RE.test(dayKey)) throw new RangeError(`allocate: day key '${dayKey}' is not yyyy-mm-dd (use dayKeyOf)`);
    if (!Number.isInteger(bytes) || bytes <= 0) throw new RangeError(`allocate: bytes must be a positive integer, got ${bytes}`);
    let day = this.days.get(dayKey);
    if (!day) {
      day = { files: new Map(), maxSeq: 0 };
      this.days.set(dayKey, day);
    }
    let seq = activeSeq(day);
    let used = seq === undefined ? 0 : day.files.get(seq)!;
    if (seq === undefined || (used > 0 && used + bytes > this.maxSegmentBytes)) {
      seq = ++day.maxSeq;
      used = 0;
    }
    day.files.set(seq, used + bytes);
    return { file: segmentFileName(dayKey, seq), offset: used };
  }

  /** Absolute path of a segment file name returned by allocate()/files(). */
  absPath(file: string): string {
    return path.join(this.root, file);
  }

  /** Allocated bytes of one file (undefined if unknown). */
  sizeOf(file: string): number | undefined {
    const p = parseFileName(file);
    return p ? this.days.get(p.day)?.files.get(p.seq) : undefined;
  }

  /**
   * Cuts a file to `bytes` (on open: drops a tail past the last indexed block). The in-memory size
   * changes at once, so the next allocate() reuses the space; the disk change is awaited.
   */
  async truncate(file: string, bytes: number): Promise<void> {
    const p = parseFileName(file);
    const size = p && this.days.get(p.day)?.files.get(p.seq);
    if (!p || size === undefined) throw new RangeError(`truncate: unknown segment file '${file}'`);
    if (!Number.isInteger(bytes) || bytes < 0 || bytes > size) {
      throw new RangeError(`truncate: ${bytes} is not within 0..${size} for ${file}`);
    }
    this.days.get(p.day)!.files.set(p.seq, bytes);
    const abs = this.absPath(file);
    let h: fsp.FileHandle | undefined;
    try {
      h = await fsp.open(abs, 'r+');
      await h.truncate(bytes);
      await h.datasync();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && bytes === 0) return;
      throw ioError('truncate segment', abs, err);
    } finally {
      await h?.close();
    }
  }

  /** Every known file, by day then seq. */
  files(): SegmentFileInfo[] {
    const out: SegmentFileInfo[] = [];
    for (const day of [...this.days.keys()].sort()) {
      const st = this.days.get(day)!;
      const active = activeSeq(st);
      for (const seq of [...st.files.keys()].sort((a, b) => a - b)) {
        out.push({ file: segmentFileName(day, seq), day, seq, bytes: st.files.get(seq)!, sealed: seq !== active });
      }
    }
    return out;
  }

  /** Forgets a file at once and unlinks it (plus its day directory once empty). */
  async deleteFile(file: string): Promise<void> {
    const p = parseFileName(file);
    if (!p) throw new RangeError(`deleteFile: '${file}' is not a segment file name`);
    this.days.get(p.day)?.files.delete(p.seq);
    const abs = this.absPath(file);
    try {
      await fsp.unlink(abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('delete segment', abs, err);
    }
    const dayDir = path.dirname(abs);
    if (this.days.get(p.day)?.files.size === 0) {
      // rmdir fails harmlessly if a worker has just created a file in it.
      await fsp.rmdir(dayDir).catch(() => undefined);
      await fsyncDir(path.dirname(dayDir)).catch(() => undefined);
    } else {
      await fsyncDir(dayDir).catch(() => undefined);
    }
  }

  private track(day: string, seq: number, bytes: number): void {
    let st = this.days.get(day);
    if (!st) {
      st = { files: new Map(), maxSeq: 0 };
      this.days.set(day, st);
    }
    st.files.set(seq, bytes);
    st.maxSeq = Math.max(st.maxSeq, seq);
  }
}

function activeSeq(day: DayState): number | undefined {
  let best: number | undefined;
  for (const seq of day.files.keys()) if (best === undefined || seq > best) best = seq;
  return best;
}

/** Parses 'segments/<day>/<day>-<seq>.seg' (either separator). */
export function parseFileName(file: string): { day: string; seq: number } | undefined {
  const m = FILE_RE.exec(path.basename(file));
  return m ? { day: m[1], seq: Number(m[2]) } : undefined;
}

// ---- worker side: synchronous fs, run inside pool workers (never on the main thread) ----

export interface WriteAtOptions {
  /** fdatasync before returning (default true). */
  sync?: boolean;
}

/**
 * Writes `bytes` at `offset` of `absPath`, creating the directory and file if needed (never
 * truncating: other workers may be writing other ranges of the same new file), then fdatasyncs.
 * A newly created file also gets its directory fsynced, so its name survives a power loss.
 */
export function writeAt(absPath: string, offset: number, bytes: Uint8Array | readonly Uint8Array[], opts: WriteAtOptions = {}): void {
  const sync = opts.sync ?? true;
  const dir = path.dirname(absPath);
  let fd: number | undefined;
  try {
    let created = false;
    try {
      fd = fs.openSync(absPath, fs.constants.O_WRONLY);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const firstMade = fs.mkdirSync(dir, { recursive: true });
      fd = fs.openSync(absPath, fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o644);
      created = true;
      // New directories are entries of their parents: make each level's entry durable.
      if (sync && firstMade !== undefined) {
        for (let d = dir; d !== path.dirname(firstMade); d = path.dirname(d)) fsyncDirSync(path.dirname(d));
      }
    }
    writeFullySync(fd, bytes, offset);
    if (sync) {
      fs.fdatasyncSync(fd);
      if (created) fsyncDirSync(dir);
    }
  } catch (err) {
    throw ioError('write segment', absPath, err);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Reads `length` bytes at `offset`. A file that ends before offset + length means the index points
 * past the data: StorageError CORRUPT_BLOCK (with file/offset/length in details).
 */
export function readAt(absPath: string, offset: number, length: number): Uint8Array {
  const reader = new SegmentReader();
  try {
    return reader.read(absPath, offset, length);
  } finally {
    reader.close();
  }
}

/**
 * Positional reads that keep each file open until close(): a query reads hundreds of blocks from a
 * handful of segment files, and an open/close per block cost more than the reads themselves.
 */
export class SegmentReader {
  private readonly fds = new Map<string, number>();

  read(absPath: string, offset: number, length: number): Uint8Array {
    let out: Uint8Array;
    try {
      let fd = this.fds.get(absPath);
      if (fd === undefined) {
        fd = fs.openSync(absPath, 'r');
        this.fds.set(absPath, fd);
      }
      out = readFullySync(fd, length, offset);
    } catch (err) {
      throw ioError('read segment', absPath, err);
    }
    if (out.length !== length) {
      throw new StorageError(
        'CORRUPT_BLOCK',
        `segment ${absPath} ends at ${offset + out.length}, before the block at ${offset} (+${length} bytes) the index points to`,
        { file: absPath, offset, length },
      );
    }
    return out;
  }

  close(): void {
    for (const fd of this.fds.values()) fs.closeSync(fd);
    this.fds.clear();
  }
}
