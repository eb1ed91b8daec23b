// EIO on demand for the I/O-error tests. A tmpfs can run out of space (ENOSPC, disk-faults.test.ts)
// but cannot fail a write or an fdatasync, so this patches the fs.promises FileHandle methods the WAL
// uses (writev, datasync, truncate) in this process, for files whose path matches, and only while a
// fault is armed. FileHandle has no path, so fs.promises.open is wrapped too, to remember which
// handle is which file (wal.ts calls it as `fsp.open`, so the wrapper sees every WAL file it opens).
// The errors look like libuv's: `EIO: i/o error, fdatasync`, code EIO, errno -5, syscall.
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export type FaultOp = 'writev' | 'datasync' | 'truncate';

export interface ArmOptions {
  /** How many calls fail before the fault clears itself. Default 1. */
  times?: number;
  /** writev only: write the first half of the bytes for real, then fail (a torn frame on disk). */
  partial?: boolean;
}

export interface IoFaults {
  /** Makes the next `times` calls of `op` on a matching file fail with EIO. */
  arm(op: FaultOp, opts?: ArmOptions): void;
  /** Disarms every fault (calls go to the real methods again). */
  clear(): void;
  /** Faults injected so far, by operation (a test asserts the fault it armed really fired). */
  readonly injected: Record<FaultOp, number>;
  /** Bytes the partial writes put on disk before failing. */
  readonly partialBytes: number;
  /** Puts the original methods back. Always call it (afterEach). */
  restore(): void;
}

export function eioError(syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`EIO: i/o error, ${syscall}`), { code: 'EIO', errno: -5, syscall });
}

type Proto = {
  writev(buffers: NodeJS.ArrayBufferView[], position?: number): Promise<{ bytesWritten: number; buffers: NodeJS.ArrayBufferView[] }>;
  datasync(): Promise<void>;
  truncate(len?: number): Promise<void>;
};

/** Installs the patches; `match(absolutePath)` chooses the files that can fail. */
export async function installIoFaults(match: (file: string) => boolean): Promise<IoFaults> {
  const probe = await fsp.open(os.devNull, 'r');
  const proto = Object.getPrototypeOf(probe) as Proto;
  await probe.close();
  const mutableFsp = fsp as unknown as { open: typeof fsp.open };
  const orig = { open: mutableFsp.open, writev: proto.writev, datasync: proto.datasync, truncate: proto.truncate };
  const paths = new WeakMap<object, string>();
  const armed = new Map<FaultOp, { left: number; partial: boolean }>();
  const injected: Record<FaultOp, number> = { writev: 0, datasync: 0, truncate: 0 };
  let partialBytes = 0;

  /** True (and counts one) when this call must fail. */
  const take = (handle: object, op: FaultOp): { partial: boolean } | undefined => {
    const a = armed.get(op);
    const file = paths.get(handle);
    if (!a || file === undefined || !match(file)) return undefined;
    if (--a.left <= 0) armed.delete(op);
    injected[op]++;
    return { partial: a.partial };
  };

  mutableFsp.open = async function open(this: unknown, file: Parameters<typeof fsp.open>[0], ...rest: unknown[]) {
    const h = await (orig.open as (...a: unknown[]) => Promise<fsp.FileHandle>).call(this, file, ...rest);
    if (typeof file === 'string' || file instanceof URL || Buffer.isBuffer(file)) {
      paths.set(h, path.resolve(file instanceof URL ? file.pathname : String(file)));
    }
    return h;
  } as typeof fsp.open;

  proto.writev = async function writev(this: object, buffers, position) {
    const f = take(this, 'writev');
    if (!f) return orig.writev.call(this, buffers, position);
    if (f.partial) {
      // The first half of the frame reaches the file, as when the device fails part-way.
      const total = buffers.reduce((s, b) => s + b.byteLength, 0);
      let want = Math.floor(total / 2);
      const head: Uint8Array[] = [];
      for (const b of buffers) {
        if (want === 0) break;
        const u = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
        const piece = u.subarray(0, Math.min(want, u.length));
        head.push(piece);
        want -= piece.length;
      }
      const { bytesWritten } = await orig.writev.call(this, head, position);
      partialBytes += bytesWritten;
    }
    throw eioError('write');
  };
  proto.datasync = async function datasync(this: object) {
    if (take(this, 'datasync')) throw eioError('fdatasync');
    return orig.datasync.call(this);
  };
  proto.truncate = async function truncate(this: object, len) {
    if (take(this, 'truncate')) throw eioError('ftruncate');
    return orig.truncate.call(this, len);
  };

  return {
    arm(op, opts = {}) {
      armed.set(op, { left: opts.times ?? 1, partial: opts.partial ?? false });
    },
    clear() {
      armed.clear();
    },
    injected,
    get partialBytes() {
      return partialBytes;
    },
    restore() {
      armed.clear();
      mutableFsp.open = orig.open;
      proto.writev = orig.writev;
      proto.datasync = orig.datasync;
      proto.truncate = orig.truncate;
    },
  };
}

/** The WAL files of a data dir under `<dataDir>/<engine dir>/wal/`: match only those. */
export function walFileMatcher(dataDir: string): (file: string) => boolean {
  const root = path.resolve(dataDir) + path.sep;
  return (file) => file.startsWith(root) && file.includes(`${path.sep}wal${path.sep}`) && file.endsWith('.wal');
}
