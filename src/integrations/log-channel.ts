// The main-thread end of the pino transport (issue #8). pino runs transports in a worker thread of
// the same process, which cannot reach the store's object, so the transport posts batches on a
// BroadcastChannel named after the store's data dir and the open store listens here. Acks make it
// lossless: the transport keeps every batch until acked and re-sends on `ready` and on a timer; the
// receiver remembers recent (from, id) pairs so a re-sent batch is not stored twice.
import path from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';
import type { LogInput } from '../logs/types.js';

/** Transport -> receiver. `entries` are already mapped (pino-line.ts runs in the worker). */
export type TransportMessage =
  | { type: 'batch'; from: string; id: number; entries: LogInput[] }
  | { type: 'flush'; from: string; id: number };

/** Receiver -> transports. `done` < entries.length: the rest could not be written yet (re-send the batch). */
export type ReceiverMessage =
  | { type: 'ready' }
  | { type: 'ack'; to: string; id: number; done: number }
  | { type: 'flushed'; to: string; id: number; ok: boolean };

export type LogChannelMessage = TransportMessage | ReceiverMessage;

export interface LogChannelSink {
  writeBatch(entries: LogInput[]): void;
  write?(entry: LogInput): void;
  flush(): Promise<void>;
}

export interface LogChannelOptions {
  dataDir: string;
  /** Remembered (from, id) pairs for dedup. Default 65,536. */
  dedupWindow?: number;
  /** Where the one-time warning about refused entries goes. Default process.stderr. */
  warn?: (message: string) => void;
}

export interface LogChannelHandle {
  close(): void;
  /** Entries refused as invalid (never retried: retrying cannot make them valid). */
  readonly rejected: number;
}

/** The channel name both ends derive from the store's data dir. */
export function logChannelName(dataDir: string): string {
  return `timeless-node:logs:${path.resolve(dataDir)}`;
}

/** Errors a later retry can get past (the store is busy or being reopened); everything else is the entry's fault. */
function retryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'BACKPRESSURE' || code === 'CLOSED' || typeof code !== 'string' || !String(code).startsWith('INVALID_');
}

/** Starts listening for the transports of this data dir. Never keeps the process alive. */
export function startLogChannel(sink: LogChannelSink, opts: LogChannelOptions): LogChannelHandle {
  const ch = new BroadcastChannel(logChannelName(opts.dataDir));
  const window = opts.dedupWindow ?? 65_536;
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`${m}\n`));
  // (from:id) -> entries of that batch handled so far; insertion-ordered, so the oldest are forgotten
  // first. A batch re-sent while partly written resumes after what was already stored.
  const progress = new Map<string, number>();
  let rejected = 0;
  let warned = false;
  let closed = false;

  const post = (m: ReceiverMessage): void => {
    if (!closed) ch.postMessage(m);
  };

  const remember = (key: string, done: number): void => {
    progress.delete(key);
    progress.set(key, done);
    if (progress.size > window) progress.delete(progress.keys().next().value as string);
  };

  const reject = (n: number, err: unknown): void => {
    rejected += n;
    if (!warned) {
      warned = true;
      warn(`timeless: pino transport entries refused by the store (counted, not retried; further ones are not reported): ${(err as Error)?.message ?? String(err)}`);
    }
  };

  /** Writes entries[from..]; returns how many leading entries are handled (written or refused for good). */
  const write = (entries: LogInput[], from: number): number => {
    try {
      sink.writeBatch(from === 0 ? entries : entries.slice(from));
      return entries.length;
    } catch (err) {
      if (retryable(err)) return from;
    }
    // One bad entry refuses the whole batch: write the rest one by one.
    const one = sink.write?.bind(sink) ?? ((e: LogInput) => sink.writeBatch([e]));
    for (let i = from; i < entries.length; i++) {
      try {
        one(entries[i]);
      } catch (err) {
        if (retryable(err)) return i;
        reject(1, err);
      }
    }
    return entries.length;
  };

  ch.onmessage = (ev: { data: unknown }) => {
    const m = ev.data as LogChannelMessage;
    if (m === null || typeof m !== 'object') return;
    if (m.type === 'batch') {
      if (!Array.isArray(m.entries)) return;
      const key = `${m.from}:${m.id}`;
      const before = Math.min(progress.get(key) ?? 0, m.entries.length);
      const done = before === m.entries.length ? before : write(m.entries, before);
      if (done > before) remember(key, done);
      post({ type: 'ack', to: m.from, id: m.id, done });
    } else if (m.type === 'flush') {
      sink.flush().then(
        () => post({ type: 'flushed', to: m.from, id: m.id, ok: true }),
        () => post({ type: 'flushed', to: m.from, id: m.id, ok: false }),
      );
    }
  };
  ch.unref();
  post({ type: 'ready' });

  return {
    close() {
      if (closed) return;
      closed = true;
      ch.close();
    },
    get rejected() {
      return rejected;
    },
  };
}
