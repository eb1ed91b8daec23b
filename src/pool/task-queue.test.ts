// The pool's two-lane queue: background tasks (compaction) leave only when no other task waits;
// each lane keeps its order; remove() finds a task in either lane.
import { describe, expect, it } from 'vitest';
import { LaneTaskQueue, markBackground } from './task-queue.js';

type Q = Parameters<LaneTaskQueue['push']>[0];
const task = (name: string, background = false): Q => {
  const t = { name };
  return (background ? markBackground(t) : t) as unknown as Q;
};
const names = (q: LaneTaskQueue): string[] => {
  const out: string[] = [];
  for (let t = q.shift(); t !== null; t = q.shift()) out.push((t as unknown as { name: string }).name);
  return out;
};

describe('LaneTaskQueue', () => {
  it('hands out every waiting foreground task before any background one, each lane in order', () => {
    const q = new LaneTaskQueue();
    q.push(task('c1', true));
    q.push(task('seal1'));
    q.push(task('c2', true));
    q.push(task('read1'));
    expect(q.size).toBe(4);
    const first = q.shift() as unknown as { name: string };
    expect(first.name).toBe('seal1');
    q.push(task('seal2'));
    expect(names(q)).toEqual(['read1', 'seal2', 'c1', 'c2']);
    expect(q.size).toBe(0);
    expect(q.shift()).toBeNull();
  });

  it('removes from either lane and unshifts into the task\'s own lane', () => {
    const q = new LaneTaskQueue();
    const c = task('c', true);
    const s = task('s');
    q.push(c);
    q.push(s);
    q.push(task('t'));
    q.remove(c);
    q.remove(s);
    q.unshift(task('u', true));
    q.unshift(task('v'));
    expect(names(q)).toEqual(['v', 't', 'u']);
  });
});
