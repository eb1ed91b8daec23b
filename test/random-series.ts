// Seeded series for the query layer's property tests (steps and rollups): irregular integer-ms
// timestamps, gauges or counters with resets, and some NaNs (stale markers).
import type { Prng } from '../bench/gen/prng.js';

export function randomSeries(rng: Prng, n: number, opts: { counter: boolean; integer: boolean; nanRate?: number }) {
  const ts: number[] = [];
  const vs: number[] = [];
  let t = rng.int(0, 100_000);
  let c = 0;
  for (let i = 0; i < n; i++) {
    t += rng.float() < 0.1 ? rng.int(0, 600_000) : rng.int(1, 20_000);
    ts.push(t);
    let v: number;
    if (opts.counter) {
      if (rng.float() < 0.05) c = rng.float() < 0.5 ? 0 : rng.int(0, 5); // reset
      else c += rng.int(0, 50) + (opts.integer ? 0 : rng.int(0, 99) / 100);
      v = c;
    } else {
      v = opts.integer ? rng.int(-1000, 1000) : Math.round(rng.normal() * 10_000) / 100;
    }
    vs.push(rng.float() < (opts.nanRate ?? 0.03) ? NaN : v);
  }
  return { ts, vs };
}
