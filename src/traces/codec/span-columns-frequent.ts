// Frequent attribute values of a block, which the row tuples then name whole instead of rows storing
// them (span-columns.ts hands them to attr-columns.ts as literal strings and constant integers).
import type { Span } from '../types.js';

/** Values that occur at least this often in a block become dictionary entries (measured: 4-32 alike). */
const FREQUENT_MIN_COUNT = 8;

/**
 * Frequent span attribute values, which the row tuples then name whole instead of rows storing
 * them: strings that templates would cut into variables (a pod's IP address - a few pods serve
 * every request -, a user agent with its version numbers) and integers (server ports, status
 * codes, the callee port of client spans). Strings without digits or quotes have no variables
 * and are constant templates anyway, so they are not counted. Measured on the shop workload:
 * 24.33 -> 23.23 bytes/span for the strings, 0.34 for the integers.
 */
export function frequentValues(spans: readonly Span[]): { strings: Set<string> | undefined; ints: Map<string, Set<number>> } {
  const strings = new Map<string, number>();
  const ints = new Map<string, Map<number, number>>();
  for (const s of spans) {
    const a = s?.attributes;
    if (typeof a !== 'object' || a === null) continue;
    for (const k of Object.keys(a)) {
      const v = a[k];
      if (typeof v === 'string') {
        if (/[0-9"]/.test(v)) strings.set(v, (strings.get(v) ?? 0) + 1);
      } else if (typeof v === 'number' && Number.isInteger(v)) {
        let m = ints.get(k);
        if (m === undefined) ints.set(k, (m = new Map()));
        m.set(v, (m.get(v) ?? 0) + 1);
      }
    }
  }
  const outStrings = new Set<string>();
  for (const [v, c] of strings) if (c >= FREQUENT_MIN_COUNT) outStrings.add(v);
  const outInts = new Map<string, Set<number>>();
  for (const [k, m] of ints) {
    const set = new Set<number>();
    for (const [v, c] of m) if (c >= FREQUENT_MIN_COUNT) set.add(v);
    if (set.size > 0) outInts.set(k, set);
  }
  return { strings: outStrings.size > 0 ? outStrings : undefined, ints: outInts };
}
