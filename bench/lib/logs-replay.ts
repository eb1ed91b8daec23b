// Replays a pre-generated window of log entries with advancing timestamps, so a sustained-ingest
// bench can write millions of entries without generating them inside the measured window (and
// without holding millions of entry objects). Each pass shifts the window by its own span: time keeps
// moving forward at the generator's rate; only the contents repeat.
import type { LogInput } from '../../src/logs/types.js';

export class LogReplay {
  private readonly firstNs: bigint;
  private readonly spanNs: bigint;
  private pass = 0;
  private i = 0;
  /** Entries handed out so far. */
  count = 0;

  constructor(private readonly window: readonly LogInput[]) {
    if (window.length < 2) throw new RangeError('LogReplay needs a window of at least 2 entries');
    this.firstNs = window[0].tsNs as bigint;
    const lastNs = window[window.length - 1].tsNs as bigint;
    // One mean gap after the last entry, so passes do not collide.
    this.spanNs = lastNs - this.firstNs + (lastNs - this.firstNs) / BigInt(window.length - 1);
  }

  /** The next n entries: shallow copies with the pass's time shift (the engine copies what it keeps). */
  next(n: number): LogInput[] {
    const out: LogInput[] = new Array(n);
    for (let k = 0; k < n; k++) {
      if (this.i === this.window.length) {
        this.i = 0;
        this.pass++;
      }
      const e = this.window[this.i++];
      out[k] = this.pass === 0 ? e : { ...e, tsNs: (e.tsNs as bigint) + BigInt(this.pass) * this.spanNs };
    }
    this.count += n;
    return out;
  }

  /** Simulated time covered so far, seconds. */
  simulatedSeconds(): number {
    const whole = Number(this.spanNs) * this.pass;
    const last = this.i > 0 ? Number((this.window[this.i - 1].tsNs as bigint) - this.firstNs) : 0;
    return (whole + last) / 1e9;
  }
}
