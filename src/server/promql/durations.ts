// Prometheus duration strings ("5m", "1h30m", "250ms", "2w"): units in decreasing order, each at
// most once; y = 365d, w = 7d. Returns milliseconds.

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_MS = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1];
/** Go's time.Duration (int64 nanoseconds) bounds what Prometheus accepts. */
const MAX_MS = 9_223_372_036_854;

/** Milliseconds of a duration string, or an Error explaining why it is not one. */
export function parseDurationMs(s: string): number {
  if (s === '0') return 0;
  if (s === '') throw new Error('empty duration string');
  const m = DURATION_RE.exec(s);
  if (m === null) throw new Error(`not a valid duration string: ${JSON.stringify(s)}`);
  let ms = 0;
  for (let i = 0; i < UNIT_MS.length; i++) {
    const part = m[i + 1];
    if (part !== undefined) ms += Number(part) * UNIT_MS[i];
  }
  if (!(ms <= MAX_MS)) throw new Error(`duration out of range: ${JSON.stringify(s)}`);
  return ms;
}
