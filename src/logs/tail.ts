// Live tail: subscribers get each written entry that passes their filter, synchronously inside
// write() (so before it is even flushed). A subscriber that throws is reported once per burst and
// never breaks the write: the entry is already accepted by then.
import { compileLogQuery } from './query/compile.js';
import { makeMatcher, type LogMatcher } from './query/matcher.js';
import type { LogEntry, LogFilter } from './types.js';

interface Subscriber {
  matches: LogMatcher;
  onEntry: (entry: LogEntry) => void;
}

export class LiveTail {
  private subs: Subscriber[] = [];
  private errorsReported = 0;

  constructor(private readonly log: (message: string) => void) {}

  /** Validates the filter (typed LogsError INVALID_QUERY/INVALID_LEVEL) and returns an unsubscribe function. */
  subscribe(filter: LogFilter, onEntry: (entry: LogEntry) => void): () => void {
    if (typeof onEntry !== 'function') throw new TypeError('timeless: logs.subscribe(filter, onEntry) needs a function onEntry');
    const q = compileLogQuery(filter ?? {});
    const sub: Subscriber = { matches: makeMatcher(q), onEntry };
    // Copy-on-write: a subscriber unsubscribing from inside its callback does not disturb delivery.
    this.subs = [...this.subs, sub];
    return () => {
      this.subs = this.subs.filter((s) => s !== sub);
    };
  }

  get size(): number {
    return this.subs.length;
  }

  deliver(entry: LogEntry): void {
    const subs = this.subs;
    for (let i = 0; i < subs.length; i++) {
      const s = subs[i];
      try {
        if (s.matches(entry)) s.onEntry(entry);
      } catch (err) {
        // Bounded: a subscriber throwing on every entry must not flood the log.
        if (this.errorsReported++ < 10) {
          this.log(`timeless logs: a live-tail subscriber threw (${err instanceof Error ? err.message : String(err)}); the entry was stored anyway`);
        }
      }
    }
  }

  clear(): void {
    this.subs = [];
  }
}
