// V8's garbage collector on demand, for the two places that need it (shared-release.ts in the pool
// threads, the memory limit's hard limit on the main thread). Node has no API for it but `gc`, which
// only --expose-gc provides. It is enabled here for the moment it takes to fetch the function, then
// disabled again: V8 flags are process-wide, and the host app's later vm contexts must not get a
// `gc` global because of us. If the process already runs with --expose-gc, that `gc` is used and
// the flag is left alone. One function per thread (each isolate has its own).
import v8 from 'node:v8';
import vm from 'node:vm';

type GcFunction = (options?: { type?: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

let gc: GcFunction | null | undefined;

function gcFunction(): GcFunction | null {
  if (gc !== undefined) return gc;
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') {
    gc = existing as GcFunction;
    return gc;
  }
  try {
    v8.setFlagsFromString('--expose-gc');
    const found: unknown = vm.runInNewContext('gc');
    gc = typeof found === 'function' ? (found as GcFunction) : null;
  } catch {
    gc = null;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
  return gc;
}

/**
 * Runs a synchronous GC on this thread: 'minor' collects the young generation (~1 ms on a pool
 * thread), 'major' the whole heap. Returns false when this runtime offers no way to (nothing ran).
 */
export function collectGarbage(type: 'minor' | 'major'): boolean {
  const f = gcFunction();
  if (f === null) return false;
  // 'major' is gc() without options: on Node 20, gc({ type: 'major' }) left dead ArrayBuffers
  // (24 × 4 MiB in an unreachable array) alive where gc() freed them.
  if (type === 'major') f();
  else f({ type });
  return true;
}
