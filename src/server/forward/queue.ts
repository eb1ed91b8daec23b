// The bounded on-disk FIFO behind one forward target (<dataDir>/forward/<target-id>/). Accepted
// data must survive a receiver outage and a restart of ours, without growing the disk forever:
// - append-only segment files (<seq>.seg) of frames: a 20-byte header (u32 payload length, u32
//   record count, f64 append time ms, u32 crc32c of the header's first 16 bytes + the payload),
//   then the payload; a record is one item (a point, an entry, a span), a frame carries many;
// - a committed read cursor (segment seq + byte offset, crc-checked) in `cursor`, replaced atomically
//   after each delivered batch: a restart resumes there, so at most the in-flight batch is sent twice;
// - a bound on the segment files' bytes: when an append would pass it, the OLDEST segments are
//   deleted and their unread records counted as dropped (fresh data matters more than stale data);
// - on open, a frame that fails its crc ends its segment: in the last segment that is a torn tail
//   (a crash mid-append) and the file is truncated there; elsewhere the rest of that segment is
//   skipped and counted as corrupt bytes. A frame read later that fails its crc is dropped alone.
// Appends are plain write(2)s (they survive a crash of this process); sync() makes them survive a
// power loss too and is called by the forwarder on a timer and at close.
import fs from 'node:fs';
import path from 'node:path';
import { crc32c } from '../../codec/crc32c.js';

export const FRAME_HEADER_BYTES = 20;
const SEGMENT_EXT = '.seg';
const SEGMENT_NAME = /^(\d{12})\.seg$/;
const CURSOR_FILE = 'cursor';
const CURSOR_BYTES = 20;
/** Default segment size cap; small bounds get smaller segments so dropping one frees little. */
const MAX_SEGMENT_BYTES = 16 * 1024 * 1024;
const MIN_SEGMENT_BYTES = 4096;
/** A fully read last segment at least this big is deleted (and a new one started) at commit. */
const RETIRE_BYTES = 1024 * 1024;

/** Queue directories open in this process: two queues appending to one directory corrupt it. */
const openDirs = new Set<string>();

export interface QueueOptions {
  dir: string;
  /** Bound on the segment files' total bytes. */
  maxBytes: number;
  /** Segment rotation size (default maxBytes / 8, within [4 KiB, 16 MiB]). */
  segmentBytes?: number;
  nowMs?: () => number;
  log?: (message: string) => void;
}

interface Segment {
  seq: number;
  /** Bytes on disk (a corrupt tail skipped on open included). */
  fileBytes: number;
}

interface Frame {
  seq: number;
  offset: number;
  /** Header + payload. */
  bytes: number;
  records: number;
  appendMs: number;
  /** Handed out by peek() and not yet committed. */
  inflight: boolean;
}

/** Frames handed out by peek(); pass it back to commit() once they are delivered (or given up). */
export interface QueueBatch {
  readonly payloads: Uint8Array[];
  readonly records: number;
  readonly bytes: number;
  /** @internal */
  readonly frames: Frame[];
}

export interface QueueStats {
  /** Unread frames' bytes and records (in-flight ones included until committed). */
  queuedBytes: number;
  queuedRecords: number;
  /** Segment files' bytes: what the bound applies to. */
  diskBytes: number;
  maxBytes: number;
  /** Append time of the oldest unread frame, or undefined when nothing is queued. */
  oldestAppendMs: number | undefined;
  /** Unread records deleted to stay within maxBytes (or too big to ever fit). */
  droppedRecords: number;
  /** Records of frames that failed their crc when read. */
  corruptRecords: number;
  /** Bytes skipped on open because a frame failed its crc (torn tails included). */
  corruptBytes: number;
}

export class DiskQueue {
  private readonly segments: Segment[] = [];
  /** Unread frames, oldest first, from `head` on (shifting an array is O(n)). */
  private frames: Frame[] = [];
  private head = 0;
  private active: { seq: number; fd: number } | undefined;
  private reader: { seq: number; fd: number } | undefined;
  private nextSeq = 1;
  private diskBytes = 0;
  private queuedBytes = 0;
  private queuedRecords = 0;
  private droppedRecords = 0;
  private corruptRecords = 0;
  private corruptBytes = 0;
  private dirty = false;
  private syncing: Promise<void> | undefined;
  private closed = false;
  private readonly segmentBytes: number;
  private readonly nowMs: () => number;
  private readonly log: (message: string) => void;

  private constructor(readonly dir: string, readonly maxBytes: number, opts: QueueOptions) {
    this.segmentBytes = opts.segmentBytes ?? Math.min(MAX_SEGMENT_BYTES, Math.max(MIN_SEGMENT_BYTES, Math.floor(maxBytes / 8)));
    this.nowMs = opts.nowMs ?? Date.now;
    this.log = opts.log ?? ((m) => console.warn(m));
  }

  static open(opts: QueueOptions): DiskQueue {
    if (!Number.isSafeInteger(opts.maxBytes) || opts.maxBytes < MIN_SEGMENT_BYTES) {
      throw new RangeError(`timeless: forward queue maxBytes must be an integer >= ${MIN_SEGMENT_BYTES}, got ${String(opts.maxBytes)}`);
    }
    const dir = path.resolve(opts.dir);
    if (openDirs.has(dir)) throw new Error(`timeless: forward queue ${dir} is already open in this process (close the other forwarder first)`);
    fs.mkdirSync(dir, { recursive: true });
    const q = new DiskQueue(dir, opts.maxBytes, opts);
    q.load();
    openDirs.add(dir);
    return q;
  }

  /** Appends one frame of `records` items. Throws only on a disk error (nothing partial is left). */
  append(payload: Uint8Array, records: number): void {
    if (this.closed) throw new Error('timeless: forward queue is closed');
    const bytes = FRAME_HEADER_BYTES + payload.length;
    if (bytes > this.maxBytes) {
      // Could never fit: dropping everything else would not make room.
      this.droppedRecords += records;
      return;
    }
    while (this.diskBytes + bytes > this.maxBytes && this.segments.length > 0) this.dropOldestSegment();
    this.compactFrames();
    let seg = this.segments[this.segments.length - 1];
    if (this.active === undefined || seg === undefined || seg.seq !== this.active.seq || seg.fileBytes + bytes > this.segmentBytes) seg = this.rotate();
    const appendMs = this.nowMs();
    const frame = encodeFrame(payload, records, appendMs);
    const fd = this.active!.fd;
    try {
      let done = 0;
      while (done < frame.length) done += fs.writeSync(fd, frame, done, frame.length - done);
    } catch (err) {
      // Leave no partial frame behind (it would read as a torn tail and hide later appends).
      try {
        fs.ftruncateSync(fd, seg.fileBytes);
      } catch {
        // the next open truncates it instead
      }
      throw err;
    }
    this.frames.push({ seq: seg.seq, offset: seg.fileBytes, bytes, records, appendMs, inflight: false });
    seg.fileBytes += bytes;
    this.diskBytes += bytes;
    this.queuedBytes += bytes;
    this.queuedRecords += records;
    this.dirty = true;
  }

  /**
   * The oldest unread frames, up to maxRecords records and maxBytes bytes (at least one frame), or
   * undefined when nothing is unread. A frame failing its crc now is dropped and counted.
   */
  peek(maxRecords: number, maxBytes: number): QueueBatch | undefined {
    const frames: Frame[] = [];
    const payloads: Uint8Array[] = [];
    let records = 0;
    let bytes = 0;
    for (let i = this.head; i < this.frames.length; i++) {
      const f = this.frames[i];
      if (f.inflight) continue;
      if (frames.length > 0 && (records + f.records > maxRecords || bytes + f.bytes > maxBytes)) break;
      const payload = this.readFrame(f);
      if (payload === undefined) {
        this.corruptRecords += f.records;
        // Removing the head frame only moves `head`; any other is spliced out of the list.
        const spliced = i !== this.head;
        this.removeFrame(i);
        if (spliced) i--;
        continue;
      }
      f.inflight = true;
      frames.push(f);
      payloads.push(payload);
      records += f.records;
      bytes += f.bytes;
    }
    return frames.length === 0 ? undefined : { payloads, records, bytes, frames };
  }

  /** Marks a peeked batch delivered (or given up): the cursor moves past it, durably. */
  commit(batch: QueueBatch): void {
    if (this.closed) return;
    for (const f of batch.frames) {
      // Frames whose segment was dropped meanwhile are already gone from the list.
      const i = this.frames.indexOf(f, this.head);
      if (i >= 0) this.removeFrame(i);
    }
    this.compactFrames();
    this.persistCursor();
  }

  stats(): QueueStats {
    const oldest = this.head < this.frames.length ? this.frames[this.head].appendMs : undefined;
    return {
      queuedBytes: this.queuedBytes,
      queuedRecords: this.queuedRecords,
      diskBytes: this.diskBytes,
      maxBytes: this.maxBytes,
      oldestAppendMs: oldest,
      droppedRecords: this.droppedRecords,
      corruptRecords: this.corruptRecords,
      corruptBytes: this.corruptBytes,
    };
  }

  get isEmpty(): boolean {
    return this.head >= this.frames.length;
  }

  /** fdatasync of the appends since the last sync (off the event loop). */
  sync(): Promise<void> {
    if (this.syncing !== undefined) return this.syncing;
    if (!this.dirty || this.active === undefined) return Promise.resolve();
    this.dirty = false;
    const fd = this.active.fd;
    this.syncing = new Promise<void>((resolve) => {
      fs.fdatasync(fd, (err) => {
        this.syncing = undefined;
        if (err) {
          this.dirty = true;
          this.log(`timeless: forward queue ${this.dir}: fdatasync failed: ${err.message}`);
        }
        resolve();
      });
    });
    return this.syncing;
  }

  /** Syncs and closes the files; the queue keeps its data on disk for the next open. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.sync();
    this.closed = true;
    if (this.active !== undefined) fs.closeSync(this.active.fd);
    if (this.reader !== undefined) fs.closeSync(this.reader.fd);
    this.active = undefined;
    this.reader = undefined;
    openDirs.delete(this.dir);
  }

  private load(): void {
    const seqs = fs
      .readdirSync(this.dir)
      .map((name) => SEGMENT_NAME.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const cursor = this.readCursor();
    const from = cursor ?? { seq: seqs[0] ?? 1, offset: 0 };
    for (const seq of seqs) {
      if (seq < from.seq) {
        // Fully delivered before the last stop (the commit deleted it, or crashed before it could).
        fs.rmSync(this.segmentPath(seq), { force: true });
        continue;
      }
      this.loadSegment(seq, seq === from.seq ? from.offset : 0, seq === seqs[seqs.length - 1]);
    }
    this.nextSeq = Math.max(from.seq, seqs.length > 0 ? seqs[seqs.length - 1] : 0) + 1;
  }

  private loadSegment(seq: number, fromOffset: number, isLast: boolean): void {
    const file = this.segmentPath(seq);
    const data = fs.readFileSync(file);
    let offset = 0;
    const frames: Frame[] = [];
    while (offset < data.length) {
      const f = checkFrame(data, offset);
      if (f === undefined) break;
      if (offset >= fromOffset) frames.push({ seq, offset, bytes: f.bytes, records: f.records, appendMs: f.appendMs, inflight: false });
      offset += f.bytes;
    }
    let fileBytes = data.length;
    if (offset < data.length) {
      const bad = data.length - offset;
      this.corruptBytes += bad;
      if (isLast) {
        this.log(`timeless: forward queue ${file}: truncating ${bad} bytes of torn or corrupt tail at offset ${offset}`);
        fs.truncateSync(file, offset);
        fileBytes = offset;
      } else {
        this.log(`timeless: forward queue ${file}: frame at offset ${offset} fails its checksum; skipping the segment's last ${bad} bytes`);
      }
    }
    this.segments.push({ seq, fileBytes });
    this.diskBytes += fileBytes;
    for (const f of frames) {
      this.frames.push(f);
      this.queuedBytes += f.bytes;
      this.queuedRecords += f.records;
    }
    if (isLast && offset < this.segmentBytes) this.active = { seq, fd: fs.openSync(file, 'a') };
  }

  private rotate(): Segment {
    if (this.active !== undefined) {
      fs.closeSync(this.active.fd);
      this.active = undefined;
    }
    const seq = this.nextSeq++;
    const fd = fs.openSync(this.segmentPath(seq), 'wx');
    this.active = { seq, fd };
    const seg = { seq, fileBytes: 0 };
    this.segments.push(seg);
    return seg;
  }

  private dropOldestSegment(): void {
    const seg = this.segments.shift()!;
    while (this.head < this.frames.length && this.frames[this.head].seq === seg.seq) {
      const f = this.frames[this.head];
      // In-flight frames are not lost: the sender holds them and counts how they end.
      if (!f.inflight) this.droppedRecords += f.records;
      this.removeFrame(this.head);
    }
    this.closeFdsOf(seg.seq);
    this.diskBytes -= seg.fileBytes;
    // The cursor may still name this segment: a reopen then starts at the oldest one left, which
    // is where reading continues anyway.
    fs.rmSync(this.segmentPath(seg.seq), { force: true });
  }

  private removeFrame(i: number): void {
    const f = this.frames[i];
    this.queuedBytes -= f.bytes;
    this.queuedRecords -= f.records;
    if (i === this.head) this.head++;
    else this.frames.splice(i, 1);
  }

  /** Drops the removed frames before `head` from the list (never while a caller walks it). */
  private compactFrames(): void {
    if (this.head > 1024 && this.head * 2 > this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
  }

  private readFrame(f: Frame): Uint8Array | undefined {
    if (this.reader === undefined || this.reader.seq !== f.seq) {
      if (this.reader !== undefined) fs.closeSync(this.reader.fd);
      this.reader = { seq: f.seq, fd: fs.openSync(this.segmentPath(f.seq), 'r') };
    }
    const buf = Buffer.allocUnsafe(f.bytes);
    let done = 0;
    while (done < f.bytes) {
      const n = fs.readSync(this.reader.fd, buf, done, f.bytes - done, f.offset + done);
      if (n === 0) return undefined;
      done += n;
    }
    const checked = checkFrame(buf, 0);
    return checked === undefined || checked.bytes !== f.bytes ? undefined : buf.subarray(FRAME_HEADER_BYTES);
  }

  /** Writes the cursor (the first unread byte) and deletes the segments wholly before it. */
  private persistCursor(): void {
    let seq: number;
    let offset: number;
    if (this.head < this.frames.length) {
      seq = this.frames[this.head].seq;
      offset = this.frames[this.head].offset;
    } else {
      const last = this.segments[this.segments.length - 1];
      if (last !== undefined && this.active !== undefined && last.seq === this.active.seq && last.fileBytes < RETIRE_BYTES) {
        seq = last.seq;
        offset = last.fileBytes;
      } else {
        // Everything read: the next append starts a new segment, so every current one can go.
        if (this.active !== undefined) {
          fs.closeSync(this.active.fd);
          this.active = undefined;
        }
        seq = this.nextSeq;
        offset = 0;
      }
    }
    const buf = Buffer.alloc(CURSOR_BYTES);
    buf.writeDoubleLE(seq, 0);
    buf.writeDoubleLE(offset, 8);
    buf.writeUInt32LE(crc32c(buf.subarray(0, 16)), 16);
    // Replaced by rename: a crash of the process leaves the old cursor or the new one, never a mix.
    // Not fsynced (that would stall the event loop once per batch): after a power loss the cursor
    // may be older or unreadable, which resends data (duplicates), never skips it.
    const tmp = path.join(this.dir, `${CURSOR_FILE}.tmp`);
    fs.writeFileSync(tmp, buf);
    fs.renameSync(tmp, path.join(this.dir, CURSOR_FILE));
    while (this.segments.length > 0 && this.segments[0].seq < seq) {
      const seg = this.segments.shift()!;
      this.closeFdsOf(seg.seq);
      this.diskBytes -= seg.fileBytes;
      fs.rmSync(this.segmentPath(seg.seq), { force: true });
    }
  }

  private readCursor(): { seq: number; offset: number } | undefined {
    let buf: Buffer;
    try {
      buf = fs.readFileSync(path.join(this.dir, CURSOR_FILE));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const seq = buf.length === CURSOR_BYTES ? buf.readDoubleLE(0) : NaN;
    const offset = buf.length === CURSOR_BYTES ? buf.readDoubleLE(8) : NaN;
    if (buf.length !== CURSOR_BYTES || buf.readUInt32LE(16) !== crc32c(buf.subarray(0, 16)) || !Number.isSafeInteger(seq) || !Number.isSafeInteger(offset)) {
      // Resending everything beats losing it: the receiver sees duplicates, not gaps.
      this.log(`timeless: forward queue ${this.dir}: cursor file is corrupt; resending from the oldest segment`);
      return undefined;
    }
    return { seq, offset };
  }

  private closeFdsOf(seq: number): void {
    if (this.active?.seq === seq) {
      fs.closeSync(this.active.fd);
      this.active = undefined;
    }
    if (this.reader?.seq === seq) {
      fs.closeSync(this.reader.fd);
      this.reader = undefined;
    }
  }

  private segmentPath(seq: number): string {
    return path.join(this.dir, `${String(seq).padStart(12, '0')}${SEGMENT_EXT}`);
  }
}

function encodeFrame(payload: Uint8Array, records: number, appendMs: number): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(records, 4);
  frame.writeDoubleLE(appendMs, 8);
  frame.set(payload, FRAME_HEADER_BYTES);
  frame.writeUInt32LE(frameCrc(frame, payload.length), 16);
  return frame;
}

function frameCrc(frame: Uint8Array, payloadBytes: number): number {
  return crc32c(frame.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + payloadBytes), crc32c(frame.subarray(0, 16)));
}

/** The frame at `offset` if it is whole and its crc holds. */
function checkFrame(data: Buffer, offset: number): { bytes: number; records: number; appendMs: number } | undefined {
  if (data.length - offset < FRAME_HEADER_BYTES) return undefined;
  const len = data.readUInt32LE(offset);
  const records = data.readUInt32LE(offset + 4);
  if (len === 0 || records === 0 || data.length - offset - FRAME_HEADER_BYTES < len) return undefined;
  const frame = data.subarray(offset, offset + FRAME_HEADER_BYTES + len);
  if (frameCrc(frame, len) !== data.readUInt32LE(offset + 16)) return undefined;
  return { bytes: FRAME_HEADER_BYTES + len, records, appendMs: data.readDoubleLE(offset + 8) };
}
