// `timeless-node/pino`: a pino transport (issue #8). pino loads it in its worker thread:
//   pino({ mixin: traceFields, transport: { target: 'timeless-node/pino', options: { dataDir } } })
// Lines are mapped there (pino-line.ts) and sent in batches to the store that has `dataDir` open in
// this process (log-channel.ts), or POSTed to a Timeless server (`url`). Batches are kept until the
// store acknowledges them, so lines logged before the store opens arrive once it does.
//
// Durability: `logger.flush(cb)` calls back once every line logged before it is stored and the
// store's WAL is synced (bounded by flushTimeoutMs). Ending the stream (process exit) cannot wait for
// the store: pino's thread-stream blocks the main thread, where the store lives, until the
// transport closes; so the remaining batches are posted and reach the store as soon as it runs again.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { BroadcastChannel } from 'node:worker_threads';
import type { LogInput, Resource } from '../logs/types.js';
import { logChannelName, type LogChannelMessage, type TransportMessage } from './log-channel.js';
import { pinoLineToLogInput } from './pino-line.js';

export interface PinoTransportOptions {
  /** The data dir of a store opened in this process (Timeless.open({ dataDir })). */
  dataDir?: string;
  /** Or a Timeless server: its mount URL (e.g. http://host:8080 or http://host/obs); batches go to <url>/api/v1/logs/write. */
  url?: string;
  /** Extra request headers for `url` (e.g. authorization). */
  headers?: Record<string, string>;
  /** pino's messageKey / errorKey, when the logger changes them. */
  messageKey?: string;
  errorKey?: string;
  /** Resource attributes stamped on every entry (e.g. { 'service.name': 'api' }). */
  resource?: Resource;
  /** Send a batch after this long (default 50 ms) or this many lines (default 512). */
  batchIntervalMs?: number;
  batchLines?: number;
  /** Unacknowledged lines kept for re-sending; past either bound the oldest are dropped and counted. */
  maxPendingLines?: number;
  maxPendingBytes?: number;
  /** Re-send unacknowledged batches this often (default 1,000 ms). */
  retryIntervalMs?: number;
  /** logger.flush(cb) waits at most this long (default 5,000 ms). */
  flushTimeoutMs?: number;
}

interface Batch {
  id: number;
  entries: LogInput[];
  bytes: number;
}

/** Delivers batches; `pending` are kept (oldest first) until deliver() resolves them. */
interface Sender {
  send(b: Batch): void;
  resendAll(): void;
  /** Resolves true when every batch sent so far is stored and synced. */
  flush(timeoutMs: number): Promise<boolean>;
  close(): void;
}

const warned = new Set<string>();
function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  process.stderr.write(`timeless: ${message}\n`);
}

/** The unacknowledged batches, bounded by line and byte counts (the oldest dropped first). */
class Pending {
  readonly batches = new Map<number, Batch>();
  lines = 0;
  bytes = 0;
  dropped = 0;
  constructor(private readonly maxLines: number, private readonly maxBytes: number) {}
  add(b: Batch): void {
    this.batches.set(b.id, b);
    this.lines += b.entries.length;
    this.bytes += b.bytes;
    while ((this.lines > this.maxLines || this.bytes > this.maxBytes) && this.batches.size > 1) {
      const oldest = this.batches.values().next().value as Batch;
      this.remove(oldest.id);
      this.dropped += oldest.entries.length;
      warnOnce('dropped', `pino transport: no store acknowledged ${this.lines + oldest.entries.length} lines; dropping the oldest (is the store for this dataDir open?)`);
    }
  }
  remove(id: number): void {
    const b = this.batches.get(id);
    if (b === undefined) return;
    this.batches.delete(id);
    this.lines -= b.entries.length;
    this.bytes -= b.bytes;
  }
}

function channelSender(dataDir: string, pending: Pending, retryIntervalMs: number): Sender {
  const from = randomUUID();
  const ch = new BroadcastChannel(logChannelName(dataDir));
  ch.unref();
  let flushSeq = 0;
  const waiters = new Set<() => void>();
  const flushed = new Map<number, boolean>();
  const wake = (): void => {
    for (const w of [...waiters]) w();
  };
  const post = (m: TransportMessage): void => ch.postMessage(m);
  const resendAll = (): void => {
    for (const b of pending.batches.values()) post({ type: 'batch', from, id: b.id, entries: b.entries });
  };
  // Until some receiver has answered, the timer does not re-send (no point posting up to 16 MiB a
  // second to nobody): a receiver that starts later announces itself with `ready`.
  let receiverSeen = false;
  ch.onmessage = (ev: { data: unknown }) => {
    const m = ev.data as LogChannelMessage;
    if (m === null || typeof m !== 'object') return;
    if (m.type === 'ready') {
      receiverSeen = true;
      resendAll();
    } else if (m.type === 'ack' && m.to === from) {
      receiverSeen = true;
      const b = pending.batches.get(m.id);
      if (b !== undefined && m.done >= b.entries.length) pending.remove(m.id);
      wake();
    } else if (m.type === 'flushed' && m.to === from) {
      flushed.set(m.id, m.ok);
      wake();
    }
  };
  const retry = setInterval(() => {
    if (receiverSeen && pending.batches.size > 0) resendAll();
  }, retryIntervalMs);
  retry.unref();

  /** Resolves when cond() holds (checked on every message) or false at the deadline. */
  const until = (cond: () => boolean, deadline: number): Promise<boolean> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (cond()) done(true);
      };
      const timer = setTimeout(() => done(false), Math.max(0, deadline - Date.now()));
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        waiters.delete(check);
        resolve(ok);
      };
      waiters.add(check);
      check();
    });

  return {
    send: (b) => post({ type: 'batch', from, id: b.id, entries: b.entries }),
    resendAll,
    async flush(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const ids = [...pending.batches.keys()];
      if (!(await until(() => ids.every((id) => !pending.batches.has(id)), deadline))) return false;
      const id = ++flushSeq;
      post({ type: 'flush', from, id });
      const ok = await until(() => flushed.has(id), deadline);
      const synced = flushed.get(id) === true;
      flushed.delete(id);
      return ok && synced;
    },
    close() {
      clearInterval(retry);
      ch.close();
    },
  };
}

/** POSTs batches, one at a time and in order, to a Timeless server's native logs route. */
function httpSender(url: string, headers: Record<string, string>, pending: Pending, retryIntervalMs: number): Sender {
  const endpoint = `${url.replace(/\/+$/, '')}/api/v1/logs/write`;
  let running: Promise<void> | undefined;
  let closed = false;
  let attempt = 0;
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

  /** true: done with this batch (stored or refused for good); false: retry later. */
  const post = async (b: Batch): Promise<boolean> => {
    try {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ entries: b.entries }),
      });
      const text = await res.text();
      if (res.ok) {
        const body = JSON.parse(text) as { rejected?: number; errors?: unknown };
        if ((body.rejected ?? 0) > 0) warnOnce('http-rejected', `pino transport: ${endpoint} refused ${body.rejected} entries: ${JSON.stringify(body.errors).slice(0, 500)}`);
        return true;
      }
      if (res.status >= 500 || res.status === 429 || res.status === 408) return false;
      warnOnce(`http-${res.status}`, `pino transport: ${endpoint} answered ${res.status}; dropping the batch (${b.entries.length} lines): ${text.slice(0, 500)}`);
      return true;
    } catch (err) {
      warnOnce('http-network', `pino transport: ${endpoint} unreachable (retrying): ${(err as Error).message}`);
      return false;
    }
  };

  const drain = async (): Promise<void> => {
    while (!closed && pending.batches.size > 0) {
      const b = pending.batches.values().next().value as Batch;
      if (await post(b)) {
        pending.remove(b.id);
        attempt = 0;
      } else {
        attempt++;
        await sleep(Math.min(retryIntervalMs * 2 ** Math.min(attempt - 1, 5), 30_000) * (0.5 + Math.random() / 2));
      }
    }
  };
  const kick = (): void => {
    if (running === undefined) running = drain().finally(() => (running = undefined));
  };
  return {
    send: kick,
    resendAll: kick,
    async flush(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (pending.batches.size > 0 && Date.now() < deadline) {
        kick();
        await Promise.race([running, sleep(Math.max(0, deadline - Date.now()))]);
      }
      return pending.batches.size === 0;
    },
    close() {
      closed = true;
    },
  };
}

/** The transport: pino calls this in its worker with the `options` of its transport config. */
export default async function timelessPinoTransport(opts: PinoTransportOptions = {}): Promise<Writable> {
  if (opts.dataDir === undefined && opts.url === undefined) throw new TypeError('timeless: the pino transport needs options.dataDir (a store open in this process) or options.url (a Timeless server)');
  const batchIntervalMs = opts.batchIntervalMs ?? 50;
  const batchLines = opts.batchLines ?? 512;
  const retryIntervalMs = opts.retryIntervalMs ?? 1_000;
  const flushTimeoutMs = opts.flushTimeoutMs ?? 5_000;
  const lineOpts = { messageKey: opts.messageKey, errorKey: opts.errorKey, resource: opts.resource };
  const pending = new Pending(opts.maxPendingLines ?? 50_000, opts.maxPendingBytes ?? 16 * 1024 * 1024);
  const sender = opts.url !== undefined ? httpSender(opts.url, opts.headers ?? {}, pending, retryIntervalMs) : channelSender(opts.dataDir!, pending, retryIntervalMs);

  let nextId = 1;
  let current: LogInput[] = [];
  let currentBytes = 0;
  let partial = '';
  let timer: NodeJS.Timeout | undefined;

  const cut = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (current.length === 0) return;
    const b: Batch = { id: nextId++, entries: current, bytes: currentBytes };
    current = [];
    currentBytes = 0;
    pending.add(b);
    sender.send(b);
  };
  const addLine = (line: string): void => {
    if (line.trim() === '') return;
    current.push(pinoLineToLogInput(line, lineOpts, Date.now()));
    currentBytes += line.length;
    if (current.length >= batchLines) cut();
    else if (timer === undefined) {
      timer = setTimeout(cut, batchIntervalMs);
      timer.unref();
    }
  };

  const stream = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _enc, cb) {
      const text = partial + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      const lines = text.split('\n');
      partial = lines.pop()!;
      for (const l of lines) addLine(l);
      cb();
    },
    final(cb) {
      if (partial !== '') addLine(partial);
      partial = '';
      cut();
      // Not waiting for acks here: the store's thread is blocked until this stream closes (see top).
      // The HTTP sender has no such problem, so it gets the flush bound to finish its queue.
      const done = opts.url !== undefined ? sender.flush(flushTimeoutMs) : Promise.resolve(true);
      void done.then(() => {
        sender.close();
        cb();
      });
    },
  });
  // thread-stream calls destination.flush(cb) for logger.flush(cb).
  (stream as Writable & { flush(cb: (err?: Error) => void): void }).flush = (cb) => {
    cut();
    sender.flush(flushTimeoutMs).then(
      (ok) => {
        if (!ok) warnOnce('flush-timeout', `pino transport: flush did not complete within ${flushTimeoutMs} ms (${pending.lines} lines unacknowledged; kept for retry)`);
        cb();
      },
      // An error given to thread-stream's flush callback destroys the logger's stream: never do that.
      () => cb(),
    );
  };
  return stream;
}
