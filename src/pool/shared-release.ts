// Lets a pool thread drop the SharedArrayBuffers a task lent it, right after the task.
//
// Why: a SharedArrayBuffer that reaches this thread in a task message gets a wrapper object here,
// and the wrapper keeps the whole buffer alive (the main thread's reference is only one of its
// owners) until this thread's GC collects it. V8 does not count shared buffers towards a thread's
// external memory, and a pool thread allocates little on its own heap, so nothing made it collect:
// measured (issue #9), a logs server at capacity kept every hot chunk buffer it had ever sealed
// alive, ~50 MB more each second, 520 MB of them after 10 s. The wrappers die young (the task
// message is garbage once the task returns), so a minor GC releases them. It runs as a task ends,
// while that task's message is still referenced: it frees the earlier tasks' wrappers, and a thread
// holds at most the buffers of the last task that lent it some.
import { collectGarbage } from './gc.js';

/** Collects this thread's young generation, so that the shared buffers a finished task was lent are released. */
export function releaseLentSharedBuffers(): void {
  collectGarbage('minor');
}

/** Whether a task lent this thread a SharedArrayBuffer (the input fields that can carry one: a seal's `buffer`, a trace lookup's `hot`). */
export function lendsSharedBuffers(task: { type: string; input?: unknown }): boolean {
  const input = task.input as { buffer?: unknown; hot?: unknown[] } | undefined;
  if (input === undefined || input === null || typeof input !== 'object') return false;
  if (input.buffer instanceof SharedArrayBuffer) return true;
  return Array.isArray(input.hot) && input.hot.length > 0;
}
