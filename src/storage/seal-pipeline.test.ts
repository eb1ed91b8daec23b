import { describe, expect, it } from 'vitest';
import { SealPipeline } from './seal-pipeline.js';

/** A prepare whose promise the test settles by hand. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

function harness(maxInFlight = 4) {
  const prepares = new Map<number, ReturnType<typeof deferred<string>>>();
  const commits: number[][] = [];
  const committed: number[] = [];
  const errors: unknown[] = [];
  let failNextCommit = false;
  const p = new SealPipeline<number, string>({
    prepare: (chunk) => {
      const d = deferred<string>();
      prepares.set(chunk, d);
      return d.promise;
    },
    commit: (run) => {
      if (failNextCommit) {
        failNextCommit = false;
        throw new Error('disk full');
      }
      commits.push(run.map((r) => r.chunk));
    },
    committed: (chunk, prepared) => {
      expect(prepared).toBe(`p${chunk}`);
      committed.push(chunk);
    },
    maxInFlight,
    onCommit: () => undefined,
    onError: (e) => errors.push(e),
  });
  return { p, prepares, commits, committed, errors, failCommit: () => (failNextCommit = true) };
}

describe('SealPipeline', () => {
  it('commits in push order even when later chunks prepare first, ready runs together', async () => {
    const h = harness();
    for (const c of [1, 2, 3]) h.p.push(c);
    h.prepares.get(3)!.resolve('p3');
    h.prepares.get(2)!.resolve('p2');
    await tick();
    expect(h.commits).toEqual([]);
    h.prepares.get(1)!.resolve('p1');
    await h.p.drain();
    expect(h.commits).toEqual([[1, 2, 3]]);
    expect(h.committed).toEqual([1, 2, 3]);
    expect(h.p.blocksSealed).toBe(3);
    expect(h.p.queued).toBe(0);
  });

  it('bounds prepares in flight', async () => {
    const h = harness(2);
    for (const c of [1, 2, 3, 4]) h.p.push(c);
    expect([...h.prepares.keys()]).toEqual([1, 2]);
    h.prepares.get(1)!.resolve('p1');
    await tick();
    expect([...h.prepares.keys()]).toEqual([1, 2, 3]);
  });

  it('a failed prepare rejects drain, keeps the chunk queued and retries it', async () => {
    const h = harness();
    h.p.push(1);
    const first = h.prepares.get(1)!;
    const drained = h.p.drain();
    first.reject(new Error('EIO'));
    await expect(drained).rejects.toThrow('EIO');
    expect(h.errors).toHaveLength(1);
    expect(h.p.queued).toBe(1);
    // The retry (after RETRY_MIN_MS) prepares the same chunk again.
    await new Promise((r) => setTimeout(r, 260));
    const retry = h.prepares.get(1)!;
    expect(retry).not.toBe(first);
    retry.resolve('p1');
    await h.p.drain();
    expect(h.committed).toEqual([1]);
    await h.p.idle();
  });

  it('a failed commit is retried without preparing again', async () => {
    const h = harness();
    h.failCommit();
    h.p.push(1);
    const d = h.prepares.get(1)!;
    const drained = h.p.drain();
    d.resolve('p1');
    await expect(drained).rejects.toThrow('disk full');
    await new Promise((r) => setTimeout(r, 260));
    await h.p.drain();
    expect(h.prepares.get(1)).toBe(d);
    expect(h.commits).toEqual([[1]]);
    await h.p.idle();
  });

  it('idle() stops the pipeline: drain resolves, queued work settles, nothing commits after', async () => {
    const h = harness();
    h.p.push(1);
    const idle = h.p.idle();
    h.prepares.get(1)!.resolve('p1');
    await idle;
    await h.p.drain();
    expect(h.commits).toEqual([]);
  });
});
