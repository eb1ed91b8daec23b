// Lowers the CPU priority of the calling thread, so background work (compaction) yields the cores
// to the host app's threads. Linux only: there setpriority(PRIO_PROCESS, tid) and
// sched_setscheduler(tid) apply to one thread, and /proc/thread-self names it. Elsewhere
// os.setPriority() would renice the whole process (the host app with it), so nothing is done.
// Lowering a priority needs no privilege; raising it back would, which is why background work gets
// threads of its own.
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';

/** Linux's SCHED_IDLE policy number (field 41 of /proc/<pid>/task/<tid>/stat). */
export const SCHED_IDLE = 5;

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

/**
 * The fields of /proc/self/task/TID/stat after the command name (so field n of proc(5) is index
 * n - 3: 16 = nice, 38 = policy), or undefined when the thread is gone or off Linux.
 */
export function threadStatFields(tid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Scheduling policy of a thread of this process (0 = SCHED_OTHER, 5 = SCHED_IDLE), or undefined off Linux. */
export function threadPolicy(tid = currentThreadId()): number | undefined {
  const fields = tid === undefined ? undefined : threadStatFields(tid);
  return fields === undefined ? undefined : Number(fields[38]);
}

/**
 * Moves the calling thread to SCHED_IDLE: it runs only on a core no other thread wants, and the
 * scheduler places waking threads on its core as on an idle one. Node has no binding for
 * sched_setscheduler, so util-linux's `chrt` does it (a fixed argument list, no shell). Measured
 * (logs.ingest, 2 cores, compaction busy the whole window, 5 alternating runs each): host
 * event-loop p99 8.5 ms mean (7.9-9.9) and 360-383 k entries/s, against 10.2 ms (9.4-10.8) and
 * 331-348 k at nice 10. Returns whether the thread is SCHED_IDLE afterwards (false without chrt,
 * off Linux, or when refused): callers keep a nice value as the fallback.
 */
export function setThreadIdlePolicy(): boolean {
  const tid = currentThreadId();
  if (tid === undefined) return false;
  try {
    execFileSync('chrt', ['--idle', '--pid', '0', String(tid)], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    return false;
  }
  return threadPolicy(tid) === SCHED_IDLE;
}
