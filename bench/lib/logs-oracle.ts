// An independent in-memory answer for the logs query bench: while the dataset is generated, each
// query's predicate (written here from LogQuery's documented semantics, sharing no code with the
// engine) sees every entry; the collector keeps the newest matches and the total. The engine's
// answers are then compared entry by entry.
import type { AttrValue, LogEntry, LogInput, LogLevel } from '../../src/logs/types.js';

/** Newest `keep` entries matching `match`, and how many matched in all. */
export class MatchCollector {
  total = 0;
  private ring: LogInput[] = [];
  private head = 0;

  constructor(
    readonly match: (e: LogInput) => boolean,
    private readonly keep: number,
  ) {}

  observe(e: LogInput): void {
    if (!this.match(e)) return;
    this.total++;
    if (this.ring.length < this.keep) this.ring.push(e);
    else {
      this.ring[this.head] = e;
      this.head = (this.head + 1) % this.keep;
    }
  }

  /** Kept matches, newest first (entries arrive in time order). */
  newestFirst(): LogInput[] {
    const inOrder = [...this.ring.slice(this.head), ...this.ring.slice(0, this.head)];
    return inOrder.reverse();
  }
}

const RANK: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, fatal: 5 };

export const atLeast = (min: LogLevel) => (e: LogInput) => RANK[e.level as LogLevel] >= RANK[min];
/** LogQuery.search: case-insensitive substring of the message. */
export const messageContains = (needle: string) => {
  const n = needle.toLowerCase();
  return (e: LogInput) => e.message.toLowerCase().includes(n);
};
/** LogQuery.attributes: the attribute (else the resource key) compared as a string. */
export const attributeEquals = (key: string, value: string) => (e: LogInput) => {
  const a = e.attributes?.[key];
  const v = a !== undefined ? a : e.resource?.[key];
  return v !== undefined && v !== null && typeof v !== 'object' && String(v) === value;
};

function canonical(v: AttrValue | undefined): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
}

/**
 * First difference between the engine's page and the expected entries (both newest first), or null.
 * Resource: every key the input set must come back (the engine may add its defaults).
 */
export function firstMismatch(got: readonly LogEntry[], want: readonly LogInput[]): string | null {
  if (got.length !== want.length) return `${got.length} entries, expected ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    const where = `entry ${i} (tsNs ${String(w.tsNs)})`;
    if (g.tsNs !== BigInt(w.tsNs!)) return `${where}: tsNs ${g.tsNs}`;
    if (g.level !== w.level) return `${where}: level ${g.level}, expected ${String(w.level)}`;
    if (g.message !== w.message) return `${where}: message ${JSON.stringify(g.message.slice(0, 80))}, expected ${JSON.stringify(w.message.slice(0, 80))}`;
    if (canonical(g.attributes) !== canonical(w.attributes ?? {})) return `${where}: attributes ${canonical(g.attributes).slice(0, 200)}`;
    if ((g.traceId ?? '') !== (w.traceId ?? '') || (g.spanId ?? '') !== (w.spanId ?? '')) return `${where}: trace ${g.traceId}/${g.spanId}, expected ${w.traceId}/${w.spanId}`;
    for (const [k, v] of Object.entries(w.resource ?? {})) if (g.resource[k] !== v) return `${where}: resource ${k}=${String(g.resource[k])}, expected ${String(v)}`;
  }
  return null;
}
