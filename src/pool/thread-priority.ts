// Lowers the CPU priority of the calling thread, so background work (compaction) yields the cores
// to the host app's event loop. Linux only: there setpriority(PRIO_PROCESS, tid) applies to one
// thread, and /proc/thread-self names it. Elsewhere os.setPriority() would renice the whole
// process (the host app with it), so nothing is done. Raising a nice value needs no privilege;
// lowering it back would, which is why background work gets threads of its own.
import { readlinkSync } from 'node:fs';
import os from 'node:os';

/** The Linux thread id of the calling thread, or undefined off Linux. */
export function currentThreadId(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sets the calling thread's nice value to `nice` (1..19) when that lowers its priority. Returns the
 * nice value the thread has afterwards, or undefined when the platform cannot do it per thread.
 */
export function lowerThreadPriority(nice: number): number | undefined {
  if (!Number.isInteger(nice) || nice < 1 || nice > 19) throw new RangeError(`timeless: a thread nice value must be an integer 1..19, got ${String(nice)}`);
  const tid = currentThreadId();
  if (tid === undefined) return undefined;
  const current = os.getPriority(tid);
  if (current < nice) os.setPriority(tid, nice);
  return os.getPriority(tid);
}
