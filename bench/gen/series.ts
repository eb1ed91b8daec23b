// Regular gauge series for speed and pool benchmarks: 10 s interval, a seeded random walk rounded to
// 2 decimals (what a real CPU% or latency gauge looks like once printed).
import { Prng } from './prng.js';

export const SERIES_START_MS = 1.7e12;
export const SERIES_INTERVAL_MS = 10_000;

/** Streams one series block by block, so a producer never holds the whole series. */
export class GaugeSeriesGenerator {
  private readonly prng: Prng;
  private walk = 0;
  private index = 0;

  constructor(seed: number) {
    this.prng = new Prng(seed);
  }

  /** The next `points` points (fresh arrays that own their buffers, so they can be transferred). */
  next(points: number): { tsMs: Float64Array; values: Float64Array } {
    const tsMs = new Float64Array(points);
    const values = new Float64Array(points);
    this.fill(tsMs, values, 0, points);
    return { tsMs, values };
  }

  /** Writes the next points into [from, to) of the given arrays (lets a producer work in slices). */
  fill(tsMs: Float64Array, values: Float64Array, from: number, to: number): void {
    for (let i = from; i < to; i++, this.index++) {
      tsMs[i] = SERIES_START_MS + this.index * SERIES_INTERVAL_MS;
      this.walk += this.prng.normal() * 0.3;
      values[i] = Math.round((50 + this.walk) * 100) / 100;
    }
  }
}

export function generateGaugeSeries(points: number, seed: number): { tsMs: Float64Array; values: Float64Array } {
  return new GaugeSeriesGenerator(seed).next(points);
}
