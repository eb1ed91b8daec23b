// Small statistics helpers for bench reports.

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

/** Rounds for reports: JSON keeps a few significant digits, not float noise. */
export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * Runs `warmUp` (default: `run` itself) for JIT, wasm tier-up and memory growth, then `run` `reps`
 * times, and returns the fastest duration in ms: the least disturbed run on a shared machine.
 */
export function bestOfMs(reps: number, run: () => void, warmUp: () => void = run): number {
  warmUp();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    run();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}
