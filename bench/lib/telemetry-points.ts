// Turns generated telemetry (bench/gen/telemetry.ts) into the engine's write shape, and loops a
// pre-generated window for sustained-ingest runs so the generator's cost stays out of the timing.
import type { TelemetryBatch, TelemetrySeries } from '../gen/telemetry.js';

export interface BenchPoint {
  name: string;
  labels: Record<string, string>;
  value: number;
  tsMs: number;
}

/**
 * Scrapes [fromStep, toStep) of a batch as `writeBatch` points. Each point shares its series' labels
 * object from the catalog, as an app reusing its label sets would (the engine must not rely on that).
 */
export function batchPoints(catalog: readonly TelemetrySeries[], batch: TelemetryBatch, fromStep = 0, toStep = batch.steps): BenchPoint[] {
  const out: BenchPoint[] = new Array((toStep - fromStep) * batch.series);
  let k = 0;
  for (let s = fromStep; s < toStep; s++) {
    const tsMs = batch.tsMs[s];
    const row = s * batch.series;
    for (let i = 0; i < batch.series; i++) {
      const c = catalog[i];
      out[k++] = { name: c.name, labels: c.labels, value: batch.values[row + i], tsMs };
    }
  }
  return out;
}

/**
 * A pre-generated window of scrapes replayed forever with advancing timestamps. Counters and
 * histogram series continue across a wrap (offset by their growth over the window) instead of
 * jumping back, so a replay looks like one long run to the engine, not a restart per window.
 */
export class TelemetryLoop {
  private step = 0;
  private readonly growth: Float64Array;
  private readonly cumulative: Uint8Array;

  constructor(
    private readonly catalog: readonly TelemetrySeries[],
    private readonly window: TelemetryBatch,
    private readonly fromMs: number,
    private readonly stepMs: number,
  ) {
    const n = window.series;
    const last = (window.steps - 1) * n;
    this.growth = new Float64Array(n);
    this.cumulative = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const isCumulative = catalog[i].type === 'counter' || catalog[i].type === 'histogram';
      this.cumulative[i] = isCumulative ? 1 : 0;
      this.growth[i] = isCumulative ? Math.max(0, window.values[last + i] - window.values[i]) : 0;
    }
  }

  get series(): number {
    return this.window.series;
  }

  /** Scrapes handed out so far. */
  get scrapes(): number {
    return this.step;
  }

  /** The next `scrapes` scrapes as points (every series, in catalog order). */
  next(scrapes: number): BenchPoint[] {
    const n = this.window.series;
    const out: BenchPoint[] = new Array(scrapes * n);
    let k = 0;
    for (let s = 0; s < scrapes; s++, this.step++) {
      const wraps = Math.floor(this.step / this.window.steps);
      const row = (this.step % this.window.steps) * n;
      const tsMs = this.fromMs + this.step * this.stepMs;
      for (let i = 0; i < n; i++) {
        const c = this.catalog[i];
        const v = this.window.values[row + i];
        out[k++] = { name: c.name, labels: c.labels, value: this.cumulative[i] ? v + wraps * this.growth[i] : v, tsMs };
      }
    }
    return out;
  }
}
