// Number and time formatting shared by the pages. The server sends nanosecond times as decimal
// strings and non-finite numbers as 'NaN' / 'Infinity' strings, so the helpers accept those too.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

function num(v: number | string | bigint | null | undefined): number {
  if (v === null || v === undefined || v === '') return NaN;
  return typeof v === 'number' ? v : Number(v);
}

export function formatBytes(v: number | string | null | undefined): string {
  let n = num(v);
  if (!Number.isFinite(n)) return '–';
  const sign = n < 0 ? '-' : '';
  n = Math.abs(n);
  let i = 0;
  while (n >= 1024 && i < UNITS.length - 1) {
    n /= 1024;
    i++;
  }
  return `${sign}${i === 0 ? n.toFixed(0) : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0)} ${UNITS[i]}`;
}

/** Exact count with thousands separators: 1,234,567. */
export function formatCount(v: number | string | null | undefined): string {
  const n = num(v);
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
}

/** Short count: 950, 12.3 k, 4.5 M, 1.2 G. */
export function formatCompact(v: number | string | null | undefined): string {
  const n = num(v);
  if (!Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (a < 1000) return Number.isInteger(n) ? String(n) : n.toPrecision(3).replace(/\.?0+$/, '');
  for (const [div, s] of [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const) {
    if (a >= div) return `${(n / div).toFixed(a / div < 10 ? 2 : a / div < 100 ? 1 : 0)} ${s}`;
  }
  return String(n);
}

/** A plain number with up to `digits` decimals (trailing zeros dropped). */
export function formatNumber(v: number | string | null | undefined, digits = 2): string {
  const n = num(v);
  return Number.isFinite(n) ? String(Number(n.toFixed(digits))) : '–';
}

export function formatRatio(v: number | string | null | undefined): string {
  const n = num(v);
  return Number.isFinite(n) && n > 0 ? `${n.toFixed(n < 10 ? 2 : 1)}×` : '–';
}

export function formatDurationMs(v: number | string | null | undefined): string {
  const ms = num(v);
  if (!Number.isFinite(ms)) return '–';
  const a = Math.abs(ms);
  if (a < 0.001) return `${(ms * 1e6).toFixed(0)} ns`;
  if (a < 1) return `${(ms * 1000).toFixed(a < 0.01 ? 2 : a < 0.1 ? 1 : 0)} µs`;
  if (a < 1000) return `${ms.toFixed(a < 10 ? 2 : a < 100 ? 1 : 0)} ms`;
  if (a < 60_000) return `${(ms / 1000).toFixed(a < 10_000 ? 2 : 1)} s`;
  if (a < 3_600_000) return `${Math.floor(a / 60_000)} min ${Math.round((a % 60_000) / 1000)} s`;
  if (a < 86_400_000) return `${Math.floor(a / 3_600_000)} h ${Math.round((a % 3_600_000) / 60_000)} min`;
  return `${Math.floor(a / 86_400_000)} d ${Math.round((a % 86_400_000) / 3_600_000)} h`;
}

/** Nanoseconds (number, bigint or decimal string) as a duration. */
export function formatDurationNs(v: number | string | bigint | null | undefined): string {
  if (typeof v === 'bigint') return formatDurationMs(Number(v) / 1e6);
  return formatDurationMs(num(v) / 1e6);
}

/** Epoch nanoseconds (decimal string or bigint) → epoch milliseconds, fraction kept. */
export function nsToMs(v: string | bigint | number | null | undefined): number {
  if (v === null || v === undefined || v === '') return NaN;
  if (typeof v === 'number') return v / 1e6;
  try {
    const b = BigInt(v);
    return Number(b / 1_000_000n) + Number(b % 1_000_000n) / 1e6;
  } catch {
    return NaN;
  }
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Local time, 2026-11-27 19:06:29 (+ .123 with ms). */
export function formatTime(ms: number | null | undefined, opts: { ms?: boolean } = {}): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const d = new Date(ms);
  const s = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return opts.ms ? `${s}.${pad(d.getMilliseconds(), 3)}` : s;
}

/** '5 s ago', '3 min ago', '2 h ago', '4 d ago' ('in …' for the future). */
export function formatRelative(ms: number | null | undefined, nowMs = Date.now()): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const d = nowMs - ms;
  const a = Math.abs(d);
  const t = a < 1000 ? 'now' : a < 60_000 ? `${Math.round(a / 1000)} s` : a < 3_600_000 ? `${Math.round(a / 60_000)} min` : a < 86_400_000 ? `${Math.round(a / 3_600_000)} h` : `${Math.round(a / 86_400_000)} d`;
  if (t === 'now') return 'just now';
  return d >= 0 ? `${t} ago` : `in ${t}`;
}
