// The log channel's receiver against a scripted transport (a second BroadcastChannel in this
// thread) and a fake sink: acks, dedup of re-sent batches, resuming a partly written batch without
// duplicates, refusing bad entries one by one, flush -> flushed.
import { BroadcastChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogInput } from '../logs/types.js';
import { logChannelName, startLogChannel, type ReceiverMessage } from './log-channel.js';

class FakeSink {
  stored: LogInput[] = [];
  /** Throw BACKPRESSURE after this many more stored entries. */
  room = Infinity;
  flushes = 0;
  private check(e: LogInput): void {
    if (e.message === 'bad') throw Object.assign(new Error('INVALID_ENTRY: bad'), { code: 'INVALID_ENTRY' });
  }
  writeBatch(entries: LogInput[]): void {
    for (const e of entries) this.check(e);
    if (entries.length > this.room) throw Object.assign(new Error('BACKPRESSURE'), { code: 'BACKPRESSURE' });
    this.room -= entries.length;
    this.stored.push(...entries);
  }
  write(e: LogInput): void {
    this.writeBatch([e]);
  }
  async flush(): Promise<void> {
    this.flushes++;
  }
}

const opened: Array<{ close(): void }> = [];
afterEach(() => {
  while (opened.length > 0) opened.pop()!.close();
});

/** A scripted transport: posts, and collects what the receiver answers. */
function peer(dataDir: string) {
  const ch = new BroadcastChannel(logChannelName(dataDir));
  opened.push(ch);
  const got: ReceiverMessage[] = [];
  ch.onmessage = (ev: { data: unknown }) => got.push(ev.data as ReceiverMessage);
  return {
    got,
    post: (m: unknown) => ch.postMessage(m),
    async next(pred: (m: ReceiverMessage) => boolean): Promise<ReceiverMessage> {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const i = got.findIndex(pred);
        if (i >= 0) return got.splice(i, 1)[0];
        if (Date.now() > deadline) throw new Error(`no matching message; got ${JSON.stringify(got)}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
}

const entries = (...msgs: string[]): LogInput[] => msgs.map((message) => ({ message }));

describe('startLogChannel', () => {
  it('announces ready, acks batches and stores a re-sent batch once', async () => {
    const dir = '/tmp/timeless-log-channel-a';
    const p = peer(dir);
    const sink = new FakeSink();
    opened.push(startLogChannel(sink, { dataDir: dir }));
    await p.next((m) => m.type === 'ready');
    p.post({ type: 'batch', from: 't1', id: 1, entries: entries('a', 'b') });
    p.post({ type: 'batch', from: 't1', id: 1, entries: entries('a', 'b') });
    p.post({ type: 'batch', from: 't2', id: 1, entries: entries('c') }); // another transport, same id
    expect(await p.next((m) => m.type === 'ack' && m.to === 't1')).toEqual({ type: 'ack', to: 't1', id: 1, done: 2 });
    expect(await p.next((m) => m.type === 'ack' && m.to === 't1')).toEqual({ type: 'ack', to: 't1', id: 1, done: 2 });
    await p.next((m) => m.type === 'ack' && m.to === 't2');
    expect(sink.stored.map((e) => e.message)).toEqual(['a', 'b', 'c']);
  });

  it('resumes a partly written batch after backpressure without storing its head twice', async () => {
    const dir = '/tmp/timeless-log-channel-b';
    const p = peer(dir);
    const sink = new FakeSink();
    opened.push(startLogChannel(sink, { dataDir: dir, warn: () => undefined }));
    // 'bad' makes the batch fall back to one-by-one writes; the store then fills after 'x2'.
    sink.room = 2;
    p.post({ type: 'batch', from: 't', id: 7, entries: entries('x1', 'bad', 'x2', 'x3', 'x4') });
    expect(await p.next((m) => m.type === 'ack')).toEqual({ type: 'ack', to: 't', id: 7, done: 3 });
    sink.room = Infinity;
    p.post({ type: 'batch', from: 't', id: 7, entries: entries('x1', 'bad', 'x2', 'x3', 'x4') });
    expect(await p.next((m) => m.type === 'ack')).toEqual({ type: 'ack', to: 't', id: 7, done: 5 });
    expect(sink.stored.map((e) => e.message)).toEqual(['x1', 'x2', 'x3', 'x4']);
  });

  it('a batch refused as a whole for backpressure is not acked, and is stored when re-sent', async () => {
    const dir = '/tmp/timeless-log-channel-c';
    const p = peer(dir);
    const sink = new FakeSink();
    opened.push(startLogChannel(sink, { dataDir: dir }));
    sink.room = 0;
    p.post({ type: 'batch', from: 't', id: 1, entries: entries('q1', 'q2') });
    expect(await p.next((m) => m.type === 'ack')).toMatchObject({ id: 1, done: 0 });
    sink.room = Infinity;
    p.post({ type: 'batch', from: 't', id: 1, entries: entries('q1', 'q2') });
    expect(await p.next((m) => m.type === 'ack')).toMatchObject({ id: 1, done: 2 });
    expect(sink.stored.map((e) => e.message)).toEqual(['q1', 'q2']);
  });

  it('counts refused entries and warns once', async () => {
    const dir = '/tmp/timeless-log-channel-d';
    const p = peer(dir);
    const sink = new FakeSink();
    const warnings: string[] = [];
    const h = startLogChannel(sink, { dataDir: dir, warn: (m) => warnings.push(m) });
    opened.push(h);
    p.post({ type: 'batch', from: 't', id: 1, entries: entries('bad', 'ok', 'bad') });
    p.post({ type: 'batch', from: 't', id: 2, entries: entries('bad') });
    await p.next((m) => m.type === 'ack' && m.id === 2);
    expect(h.rejected).toBe(3);
    expect(warnings).toHaveLength(1);
    expect(sink.stored.map((e) => e.message)).toEqual(['ok']);
  });

  it('answers flush after the sink flushed; a closed receiver answers nothing', async () => {
    const dir = '/tmp/timeless-log-channel-e';
    const p = peer(dir);
    const sink = new FakeSink();
    const h = startLogChannel(sink, { dataDir: dir });
    p.post({ type: 'flush', from: 't', id: 3 });
    expect(await p.next((m) => m.type === 'flushed')).toEqual({ type: 'flushed', to: 't', id: 3, ok: true });
    expect(sink.flushes).toBe(1);
    h.close();
    h.close(); // twice is fine
    p.post({ type: 'batch', from: 't', id: 9, entries: entries('late') });
    // A second receiver proves the message was delivered, and that the closed one stayed silent.
    const sink2 = new FakeSink();
    opened.push(startLogChannel(sink2, { dataDir: dir }));
    p.post({ type: 'batch', from: 't', id: 10, entries: entries('later') });
    await p.next((m) => m.type === 'ack' && m.id === 10);
    expect(sink.stored).toEqual([]);
    expect(sink2.stored.map((e) => e.message)).toEqual(['later']);
  });
});
