// The pool's task queue: two lanes. Background work (compaction of log and metrics blocks) waits
// behind everything else, so a seal, a segment write, a query read or a backup copy never queues
// behind a backlog of compaction tasks - only behind the one a thread is running. Measured before
// this queue (logs.ingest with background compaction, one pool thread): a compaction pass queued
// ~16 tasks of up to 65 k entries, seals waited seconds behind them, and flush() (which waits for
// sealing under memory pressure) took 5-11 s. FIFO within each lane.
import { Piscina, type TaskQueue } from 'piscina';
import type { PoolTaskType } from './messages.js';

/** Task types that run only when no other task is waiting. */
export const BACKGROUND_TASKS: ReadonlySet<PoolTaskType> = new Set<PoolTaskType>(['compactLogBlocks', 'compactBlocks', 'compactSpanBlocks']);

/** Queue options a background task carries (Piscina reads them from the task object's symbol key; structured clone drops it). */
export const BACKGROUND_QUEUE_OPTIONS = Object.freeze({ lane: 'background' as const });

export function markBackground<T extends object>(task: T): T {
  (task as Record<symbol, unknown>)[Piscina.queueOptionsSymbol] = BACKGROUND_QUEUE_OPTIONS;
  return task;
}

type QueuedTask = Parameters<TaskQueue['push']>[0];

function isBackground(t: QueuedTask): boolean {
  return (t as unknown as Record<symbol, unknown>)[Piscina.queueOptionsSymbol] === BACKGROUND_QUEUE_OPTIONS;
}

export class LaneTaskQueue implements TaskQueue {
  private readonly foreground: QueuedTask[] = [];
  private readonly background: QueuedTask[] = [];

  get size(): number {
    return this.foreground.length + this.background.length;
  }

  shift(): QueuedTask | null {
    return this.foreground.shift() ?? this.background.shift() ?? null;
  }

  push(task: QueuedTask): void {
    (isBackground(task) ? this.background : this.foreground).push(task);
  }

  unshift(task: QueuedTask): void {
    (isBackground(task) ? this.background : this.foreground).unshift(task);
  }

  remove(task: QueuedTask): void {
    for (const lane of [this.foreground, this.background]) {
      const i = lane.indexOf(task);
      if (i >= 0) {
        lane.splice(i, 1);
        return;
      }
    }
  }
}
