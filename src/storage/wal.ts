// Write-ahead log with group commit.
//
// append() copies a payload into an in-memory buffer (no syscall). sync() turns everything appended so
// far into ONE frame, writes it with async fs (libuv threads, never the event loop) and fdatasyncs;
// while that is in flight new appends accumulate and the next frame takes them all, so any number of
// concurrent sync() calls costs at most two fdatasyncs.
//
// The main thread's share stays small and even however big a frame gets: the buffer is a list of
// fixed-size chunks (no regrowth copy of a multi-MB buffer) written with one writev, and the frame's
// crc32c is computed as records are appended (a few µs per record), not over the whole frame at sync.
//
// File: <dir>/<seq, 10 digits>.wal, a run of frames, little-endian:
//   frame  = [u32 magic 'TWAL'][u32 payloadBytes][u32 crc32c(payload)][payload]
//   payload = ([u32 recordBytes][record])*          - the records exactly as given to append()
// Replay reads the files in seq order. Only the last file can end in a torn frame (a frame is written
// only after the previous one was fdatasynced, and a file only after the previous file was complete),
// so a bad frame there is a crash tail and is truncated away; a bad frame in an older file is real
// corruption: reported through onCorrupt, the rest of that file skipped, later files still replayed.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { WriteErrorLog } from './write-errors.js';
import { crc32c } from '../codec/crc32c.js';
import { ioError, StorageError } from './errors.js';
import { fsyncDir, readdirOrEmpty } from './fsutil.js';

export const WAL_MAGIC = 0x4c415754; // 'TWAL' read as a little-endian u32
export const WAL_FRAME_HEADER_BYTES = 12;
export const DEFAULT_WAL_MAX_FILE_BYTES = 64 * 1024 * 1024;
const FILE_RE = /^(\d{10,})\.wal$/;
/** First chunk of a frame buffer: small, so an idle or lightly used WAL holds little memory. */
const FIRST_CHUNK_BYTES = 64 * 1024;
/** Later chunks: big enough that a 100 MB frame is ~100 iovecs, small enough to allocate cheaply. */
export const WAL_CHUNK_BYTES = 1024 * 1024;
/**
 * Chunks kept for reuse after a frame is written: twice what recent frames used (a decaying maximum,
 * 2% per frame), at least 2, at most 64 = 64 MiB. Twice, because while one frame is being written
 * the next one fills: a steady stream needs both frames' chunks, and frame sizes follow the
 * fdatasync times. Measured (logs.ingest, ~340 k entries/s = ~160 MB/s of WAL): keeping one
 * frame's worth (decaying 10% per frame) still allocated 228 MB of chunks in the 10 s window, and
 * that external memory alone made V8 run 22 full mark-compacts on the host thread (7-22 ms pauses,
 * event-loop p99 10-12 ms); with this rule, 1 MB and one mark-compact. Allocating every chunk
 * afresh (~300 MB/s) made it one every ~150 ms.
 */
const MIN_SPARE_CHUNKS = 2;
const MAX_SPARE_CHUNKS = 64;
const SPARE_DECAY_PER_FRAME = 0.98;
/** The frame header's payloadBytes field is a u32. */
const MAX_FRAME_PAYLOAD_BYTES = 0xffffffff;

export interface WalOptions {
  /** Directory of the .wal files (created if missing). */
  dir: string;
  /** After a frame ends past this size the WAL continues in a new file. Default 64 MiB. */
  maxFileBytes?: number;
  /** Called for each corrupt frame found in a file other than the last (that file's rest is skipped). */
  onCorrupt?: (info: WalCorruption) => void;
}

export interface WalRecord {
  /** Seq of the file the record came from (compare with dropBefore / wal.seq). */
  seq: number;
  /** The bytes given to append(); a view into the file buffer read at open, not a copy. */
  payload: Uint8Array;
}

export interface WalCorruption {
  seq: number;
  file: string;
  /** Byte offset of the bad frame. */
  offset: number;
  error: StorageError;
}

export interface WalTornTail {
  seq: number;
  file: string;
  /** The file was cut to this length. */
  validBytes: number;
  droppedBytes: number;
}

export interface WalOpenResult {
  wal: Wal;
  /** Every record of every valid frame, in append order. */
  records: WalRecord[];
  /** Corrupt frames in older files (also passed to onCorrupt). */
  corrupt: WalCorruption[];
  /** Set when the last file ended in a torn/corrupt tail that was truncated. */
  tornTail?: WalTornTail;
}

export interface WalFileInfo {
  seq: number;
  /** Absolute path. */
  path: string;
  /** Durable bytes (frames fully written and fdatasynced): copying this prefix gives a valid file. */
  bytes: number;
}

export interface WalStats {
  frames: number;
  /** fdatasync calls made on WAL files (group commit keeps this far below the number of sync() calls). */
  fdatasyncs: number;
  bytesWritten: number;
  /** Frame buffer chunks allocated (not reused from earlier frames). */
  chunksAllocated: number;
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

export class Wal {
  readonly dir: string;
  readonly maxFileBytes: number;
  private readonly fileBytes = new Map<number, number>();
  private currentSeq: number;
  private handle: fsp.FileHandle;
  private position: number;

  // Frame being filled, as chunks: bytes [0, 12) of the first chunk are reserved for the frame header;
  // every chunk but the last is full. `crc` is the running crc32c of the buffered payload bytes.
  private chunks: Uint8Array[] = [new Uint8Array(FIRST_CHUNK_BYTES)];
  private fill = WAL_FRAME_HEADER_BYTES;
  private buffered = 0;
  private crc = 0;
  private readonly spare: Uint8Array[] = [];
  /** Spare FIRST_CHUNK_BYTES chunks (at most two). */
  private readonly spareFirst: Uint8Array[] = [];
  /** Chunks recent frames used (decaying maximum): how many spares to keep. */
  private spareTarget = 0;
  private readonly prefix = new Uint8Array(4);
  private readonly prefixView = new DataView(this.prefix.buffer);

  /** Waiters for the records currently in `buf`. */
  private waiting: Deferred | null = null;
  /** Waiters for the frame being written right now. */
  private inflight: Deferred | null = null;
  private inflightBytes = 0;
  /** A frame write is queued on the chain and has not taken the buffer yet. */
  private frameQueued = false;
  /** File operations (frame writes, rotation, deletes, close) run one at a time in this order. */
  private chain: Promise<void> = Promise.resolve();
  private closing: Promise<void> | null = null;
  private failed: StorageError | null = null;
  private readonly counters: WalStats = { frames: 0, fdatasyncs: 0, bytesWritten: 0, chunksAllocated: 0 };
  /** Frames whose write or fdatasync failed (their records were kept and retried). */
  readonly writeErrors = new WriteErrorLog();

  private constructor(dir: string, maxFileBytes: number, seq: number, handle: fsp.FileHandle, position: number) {
    this.dir = dir;
    this.maxFileBytes = maxFileBytes;
    this.currentSeq = seq;
    this.handle = handle;
    this.position = position;
  }

  /**
   * Replays `dir` and opens it for appending. New appends go to a fresh file (or the last file when it
   * is empty), so every replayed record has `seq < wal.seq`.
   */
  static async open(opts: WalOptions): Promise<WalOpenResult> {
    const dir = path.resolve(opts.dir);
    const maxFileBytes = opts.maxFileBytes ?? DEFAULT_WAL_MAX_FILE_BYTES;
    if (!(maxFileBytes > 0)) throw new RangeError(`maxFileBytes must be > 0, got ${maxFileBytes}`);
    try {
      await fsp.mkdir(dir, { recursive: true });
    } catch (err) {
      throw ioError('create WAL directory', dir, err);
    }
    const seqs = (await readdirOrEmpty(dir))
      .map((d) => (d.isFile() ? FILE_RE.exec(d.name) : null))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);

    const records: WalRecord[] = [];
    const corrupt: WalCorruption[] = [];
    const sizes = new Map<number, number>();
    let tornTail: WalTornTail | undefined;
    for (let i = 0; i < seqs.length; i++) {
      const seq = seqs[i];
      const file = walFilePath(dir, seq);
      let bytes: Uint8Array;
      try {
        const raw = await fsp.readFile(file);
        // Plain Uint8Array views (no copy): records are payload views into this buffer.
        bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
      } catch (err) {
        throw ioError('read WAL file', file, err);
      }
      const parsed = parseWalFile(bytes, seq, records);
      sizes.set(seq, parsed.validBytes);
      if (!parsed.error) continue;
      if (i === seqs.length - 1) {
        tornTail = { seq, file, validBytes: parsed.validBytes, droppedBytes: bytes.length - parsed.validBytes };
        await truncateFile(file, parsed.validBytes);
      } else {
        const info: WalCorruption = {
          seq,
          file,
          offset: parsed.validBytes,
          error: new StorageError(
            'WAL_CORRUPT',
            `WAL file ${file} has a bad frame at byte ${parsed.validBytes} (${parsed.error}); its later frames were skipped`,
            { seq, file, offset: parsed.validBytes },
          ),
        };
        corrupt.push(info);
        opts.onCorrupt?.(info);
      }
    }

    const last = seqs[seqs.length - 1];
    let seq: number;
    let handle: fsp.FileHandle;
    if (last !== undefined && sizes.get(last) === 0) {
      seq = last;
      handle = await openFile(walFilePath(dir, seq), 'r+');
    } else {
      seq = (last ?? 0) + 1;
      handle = await createFile(dir, seq);
      sizes.set(seq, 0);
    }
    const wal = new Wal(dir, maxFileBytes, seq, handle, 0);
    for (const [s, b] of sizes) wal.fileBytes.set(s, b);
    return { wal, records, corrupt, tornTail };
  }

  /** Seq of the file new appends go to. */
  get seq(): number {
    return this.currentSeq;
  }

  /** Bytes appended but not yet durable (buffered + being written), record length prefixes included. */
  get pendingBytes(): number {
    return this.buffered + this.inflightBytes;
  }

  get stats(): WalStats {
    return { ...this.counters };
  }

  /** Buffers one record (copied). Durable once a later sync() resolves. */
  append(payload: Uint8Array): void {
    this.assertUsable();
    if (this.buffered + 4 + payload.length > MAX_FRAME_PAYLOAD_BYTES) {
      throw new RangeError(`WAL frame would exceed 4 GiB: call sync() more often`);
    }
    const startChunk = this.chunks.length - 1;
    const startFill = this.fill;
    this.prefixView.setUint32(0, payload.length, true);
    this.copyIn(this.prefix);
    this.copyIn(payload);
    // crc32c of what was just copied, chunk span by chunk span (crc32c(b, crc32c(a)) = crc32c(a ++ b)).
    for (let c = startChunk; c < this.chunks.length; c++) {
      const chunk = this.chunks[c];
      const from = c === startChunk ? startFill : 0;
      const to = c === this.chunks.length - 1 ? this.fill : chunk.length;
      if (to > from) this.crc = crc32c(chunk.subarray(from, to), this.crc);
    }
    this.buffered += 4 + payload.length;
  }

  /** Resolves once every record appended before this call is on disk (fdatasync done). */
  sync(): Promise<void> {
    if (this.closing) return Promise.reject(closedError());
    if (this.failed) return Promise.reject(this.failed);
    if (this.buffered > 0) {
      this.waiting ??= deferred();
      const p = this.waiting.promise;
      this.queueFrame();
      return p;
    }
    // Nothing new buffered: our records (if any) are in the frame being written, or already durable.
    // A frame whose buffer was taken is either `inflight` or already settled.
    return this.inflight ? this.inflight.promise : Promise.resolve();
  }

  /** Syncs, then continues in file seq+1. Resolves to the new seq. */
  rotate(): Promise<number> {
    if (this.closing) return Promise.reject(closedError());
    return this.enqueue(async () => {
      await this.writePending();
      await this.switchFile();
      return this.currentSeq;
    });
  }

  /** Deletes the files with seq < `seq` (never the current one): their records live elsewhere now.
   *  Resolves to the number of files deleted. */
  dropBefore(seq: number): Promise<number> {
    if (this.closing) return Promise.reject(closedError());
    return this.enqueue(async () => {
      const doomed = [...this.fileBytes.keys()].filter((s) => s < seq && s !== this.currentSeq);
      for (const s of doomed) {
        const file = walFilePath(this.dir, s);
        try {
          await fsp.unlink(file);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('delete WAL file', file, err);
        }
        this.fileBytes.delete(s);
      }
      if (doomed.length > 0) await fsyncDir(this.dir);
      return doomed.length;
    });
  }

  /** The WAL files with their durable lengths, oldest first (for backup: copy `bytes` of each). */
  files(): WalFileInfo[] {
    return [...this.fileBytes.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([seq, bytes]) => ({ seq, path: walFilePath(this.dir, seq), bytes }));
  }

  /** Syncs what is buffered and closes the file. Later calls throw StorageError CLOSED. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    const last = this.enqueue(async () => {
      try {
        await this.writePending();
      } finally {
        await this.handle.close().catch(() => undefined);
      }
    });
    // closing is set after enqueue so the final write is allowed through, and before any await.
    this.closing = last;
    return last;
  }

  // ---- internals ----

  private assertUsable(): void {
    if (this.closing) throw closedError();
    if (this.failed) throw this.failed;
  }

  /** Copies `src` at the end of the buffered bytes, opening new chunks as the last one fills. */
  private copyIn(src: Uint8Array): void {
    let off = 0;
    while (off < src.length) {
      let chunk = this.chunks[this.chunks.length - 1];
      if (this.fill === chunk.length) {
        chunk = this.spare.pop() ?? this.newChunk(WAL_CHUNK_BYTES);
        this.chunks.push(chunk);
        this.fill = 0;
      }
      const n = Math.min(chunk.length - this.fill, src.length - off);
      chunk.set(off === 0 && n === src.length ? src : src.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
    }
  }

  private newChunk(bytes: number): Uint8Array {
    this.counters.chunksAllocated++;
    return new Uint8Array(bytes);
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.chain.then(op);
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private queueFrame(): void {
    if (this.frameQueued) return;
    this.frameQueued = true;
    // Errors reach the waiters through their deferred; the queued op itself never rejects.
    void this.enqueue(async () => {
      this.frameQueued = false;
      await this.writePending().catch(() => undefined);
    });
  }

  /** Writes the buffered records as one frame + fdatasync, settling their waiters. */
  private async writePending(): Promise<void> {
    if (this.failed) throw this.failed;
    if (this.buffered === 0) return;
    const waiters = this.waiting ?? deferred();
    this.waiting = null;
    const chunks = this.chunks;
    const lastFill = this.fill;
    const payloadBytes = this.buffered;
    const crc = this.crc;
    this.chunks = [this.spare.pop() ?? this.spareFirst.pop() ?? this.newChunk(FIRST_CHUNK_BYTES)];
    this.fill = WAL_FRAME_HEADER_BYTES;
    this.buffered = 0;
    this.crc = 0;
    this.inflight = waiters;
    this.inflightBytes = payloadBytes;

    const dv = new DataView(chunks[0].buffer, chunks[0].byteOffset, WAL_FRAME_HEADER_BYTES);
    dv.setUint32(0, WAL_MAGIC, true);
    dv.setUint32(4, payloadBytes, true);
    dv.setUint32(8, crc, true);
    const frame = chunks.map((c, i) => (i === chunks.length - 1 ? c.subarray(0, lastFill) : c));
    const frameBytes = WAL_FRAME_HEADER_BYTES + payloadBytes;
    const file = walFilePath(this.dir, this.currentSeq);
    try {
      await writevFully(this.handle, frame, this.position);
      await this.handle.datasync();
      this.counters.fdatasyncs++;
    } catch (err) {
      const error = ioError('write WAL', file, err);
      this.writeErrors.record('WAL write', error);
      await this.recoverFromFailedWrite(error);
      // The records go back in front of whatever was appended meanwhile: the next sync() writes
      // them again. Dropping them would let a later sync() — which promises that every record
      // appended before it is durable — resolve over records that never reached the disk (a
      // background frame has no waiter to tell). They also stay in pendingBytes, so backpressure
      // engages while the disk stays full. Waiters of this frame are told it failed: their records
      // may still become durable (an IO error means "possibly stored").
      this.requeue(chunks, lastFill, payloadBytes, crc);
      this.inflight = null;
      this.inflightBytes = 0;
      waiters.reject(error);
      // Mark the rejection handled here; callers holding the promise still see it.
      waiters.promise.catch(() => undefined);
      throw error;
    }
    this.position += frameBytes;
    this.fileBytes.set(this.currentSeq, this.position);
    this.counters.frames++;
    this.counters.bytesWritten += frameBytes;
    // Frames of a steady stream vary in size (flush timing): keep what the bigger recent ones used,
    // for the frame filling now and the next one (see MIN_SPARE_CHUNKS).
    this.spareTarget = Math.max(chunks.length, this.spareTarget * SPARE_DECAY_PER_FRAME);
    const keep = Math.min(MAX_SPARE_CHUNKS, Math.max(MIN_SPARE_CHUNKS, Math.ceil(2 * this.spareTarget)));
    if (this.spare.length > keep) this.spare.length = keep;
    for (const c of chunks) {
      if (c.length === WAL_CHUNK_BYTES) {
        if (this.spare.length < keep) this.spare.push(c);
      } else if (this.spareFirst.length < 2) {
        this.spareFirst.push(c); // a small first chunk: two frames (in flight, filling) use one each
      }
    }
    this.inflight = null;
    this.inflightBytes = 0;
    waiters.resolve();
    if (this.position >= this.maxFileBytes) await this.switchFile();
  }

  /** Makes a failed frame's records (chunks[0] begins with header space) the start of the buffer again, followed by what was appended since. */
  private requeue(chunks: Uint8Array[], lastFill: number, payloadBytes: number, crc: number): void {
    const later = this.chunks;
    const laterFill = this.fill;
    const laterBytes = this.buffered;
    this.chunks = chunks;
    this.fill = lastFill;
    this.buffered = payloadBytes;
    this.crc = crc;
    for (let i = 0; i < later.length; i++) {
      const piece = later[i].subarray(i === 0 ? WAL_FRAME_HEADER_BYTES : 0, i === later.length - 1 ? laterFill : later[i].length);
      if (piece.length > 0) {
        this.copyIn(piece);
        // crc32c(b, crc32c(a)) = crc32c(a ++ b): the frame's crc continues over the moved bytes.
        this.crc = crc32c(piece, this.crc);
      }
      if (later[i].length === WAL_CHUNK_BYTES) this.spare.push(later[i]);
      else if (this.spareFirst.length < 2) this.spareFirst.push(later[i]);
    }
    this.buffered += laterBytes;
  }

  /** A half-written frame would hide every later frame at replay: cut it off, or stop the WAL. */
  private async recoverFromFailedWrite(error: StorageError): Promise<void> {
    try {
      await this.handle.truncate(this.position);
      await this.handle.datasync();
    } catch {
      this.failed = new StorageError(
        'IO',
        `WAL is unusable after a failed write that could not be undone (${error.message}); close and reopen the store`,
        { file: walFilePath(this.dir, this.currentSeq) },
        error,
      );
    }
  }

  private async switchFile(): Promise<void> {
    const next = this.currentSeq + 1;
    const handle = await createFile(this.dir, next);
    await this.handle.close().catch(() => undefined);
    this.handle = handle;
    this.currentSeq = next;
    this.position = 0;
    this.fileBytes.set(next, 0);
  }
}

/** Parses frames of one file, pushing records; stops at the first bad frame. */
function parseWalFile(bytes: Uint8Array, seq: number, out: WalRecord[]): { validBytes: number; error?: string } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  while (pos < bytes.length) {
    if (bytes.length - pos < WAL_FRAME_HEADER_BYTES) return { validBytes: pos, error: 'incomplete frame header' };
    const magic = dv.getUint32(pos, true);
    if (magic !== WAL_MAGIC) return { validBytes: pos, error: `bad magic 0x${magic.toString(16)}` };
    const n = dv.getUint32(pos + 4, true);
    const start = pos + WAL_FRAME_HEADER_BYTES;
    if (start + n > bytes.length) return { validBytes: pos, error: `frame of ${n} bytes runs past the end of the file` };
    const payload = bytes.subarray(start, start + n);
    if (crc32c(payload) !== dv.getUint32(pos + 8, true)) return { validBytes: pos, error: 'crc mismatch' };
    const records: WalRecord[] = [];
    let q = 0;
    while (q < n) {
      if (n - q < 4) break;
      const len = dv.getUint32(start + q, true);
      if (q + 4 + len > n) break;
      records.push({ seq, payload: payload.subarray(q + 4, q + 4 + len) });
      q += 4 + len;
    }
    // A crc-valid frame whose records do not tile it exactly was written by a bug, not a crash.
    if (q !== n) return { validBytes: pos, error: 'records do not fill the frame' };
    for (const r of records) out.push(r);
    pos = start + n;
  }
  return { validBytes: pos };
}

export function walFilePath(dir: string, seq: number): string {
  return path.join(dir, `${String(seq).padStart(10, '0')}.wal`);
}

async function openFile(file: string, flags: string): Promise<fsp.FileHandle> {
  try {
    return await fsp.open(file, flags);
  } catch (err) {
    throw ioError('open WAL file', file, err);
  }
}

/** Creates an empty file and makes its name durable before anything is acknowledged in it. */
async function createFile(dir: string, seq: number): Promise<fsp.FileHandle> {
  const h = await openFile(walFilePath(dir, seq), 'wx+');
  await fsyncDir(dir);
  return h;
}

async function truncateFile(file: string, bytes: number): Promise<void> {
  const h = await openFile(file, 'r+');
  try {
    await h.truncate(bytes);
    await h.datasync();
  } catch (err) {
    throw ioError('truncate WAL tail', file, err);
  } finally {
    await h.close();
  }
}

/** Writes every byte of `parts` (in order) at `position` with writev, looping over short writes. */
async function writevFully(h: fsp.FileHandle, parts: Uint8Array[], position: number): Promise<void> {
  let rest = parts.filter((p) => p.length > 0);
  while (rest.length > 0) {
    const { bytesWritten } = await h.writev(rest, position);
    if (bytesWritten <= 0) throw new Error(`short write at ${position}`);
    position += bytesWritten;
    let skip = bytesWritten;
    while (rest.length > 0 && skip >= rest[0].length) skip -= rest.shift()!.length;
    if (skip > 0) rest[0] = rest[0].subarray(skip);
  }
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function closedError(): StorageError {
  return new StorageError('CLOSED', 'the WAL is closed; reopen it (Wal.open) to write again');
}
