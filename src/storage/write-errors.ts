// Failed disk writes an engine has seen (issue #9: "a clear error in stats"): how many, and the last
// one with when and what. A full disk shows in stats() and GET /api/v1/stats, not only in a rejected
// flush() that a background timer's caller never saw.

export interface WriteErrorInfo {
  /** What was being done: 'WAL write', 'sealing', 'compaction', 'checkpoint', ... */
  what: string;
  /** The typed error's code (StorageError 'IO', ...), when it has one. */
  code?: string;
  /** errno of the failed syscall (ENOSPC, EIO, ...), when known. */
  errno?: string;
  message: string;
  /** When it happened (epoch ms). */
  atMs: number;
}

export interface WriteErrorStats {
  /** Failures since the store opened. */
  count: number;
  last?: WriteErrorInfo;
}

export class WriteErrorLog {
  private count = 0;
  private last: WriteErrorInfo | undefined;

  record(what: string, err: unknown): void {
    this.count++;
    const e = err as { code?: unknown; message?: unknown; details?: { errno?: unknown }; cause?: { code?: unknown } } | undefined;
    const info: WriteErrorInfo = { what, message: typeof e?.message === 'string' ? e.message : String(err), atMs: Date.now() };
    if (typeof e?.code === 'string') info.code = e.code;
    const errno = e?.details?.errno ?? e?.cause?.code;
    if (typeof errno === 'string') info.errno = errno;
    this.last = info;
  }

  /** This log and others (e.g. the engine's and its WAL's) as one: counts summed, the latest last. */
  static merge(...logs: WriteErrorLog[]): WriteErrorStats {
    let count = 0;
    let last: WriteErrorInfo | undefined;
    for (const l of logs) {
      count += l.count;
      if (l.last !== undefined && (last === undefined || l.last.atMs >= last.atMs)) last = l.last;
    }
    return last === undefined ? { count } : { count, last: { ...last } };
  }
}
