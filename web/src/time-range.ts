// The time-range picker: presets (15m … 30d) and a custom from/to. A range is kept as the strings
// the server's native routes accept — `now-1h` / `now` or epoch milliseconds — in the URL params
// `from` and `to`, so a preset link stays relative ("the last hour" whenever opened) and a custom
// one is absolute.
import { h } from './dom.js';

export interface TimeRange {
  from: string;
  to: string;
}

export const PRESETS: ReadonlyArray<readonly [string, string]> = [
  ['15m', 'Last 15 minutes'],
  ['1h', 'Last hour'],
  ['6h', 'Last 6 hours'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
];

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `now`, `now-15m`, epoch ms or RFC 3339 → epoch ms; undefined when unreadable. */
export function parseTime(s: string, nowMs = Date.now()): number | undefined {
  const v = s.trim();
  if (v === '' || v === 'now') return nowMs;
  const rel = /^now-(\d+(?:\.\d+)?)([smhdw])$/.exec(v);
  if (rel) return nowMs - Number(rel[1]) * UNIT_MS[rel[2]!]!;
  if (/^\d+$/.test(v)) return Number(v);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

export function rangeFromParams(p: URLSearchParams, defaultFrom = 'now-1h'): TimeRange {
  const from = p.get('from') ?? defaultFrom;
  const to = p.get('to') ?? 'now';
  return { from: parseTime(from) === undefined ? defaultFrom : from, to: parseTime(to) === undefined ? 'now' : to };
}

/** Writes the range into params (`to=now` is the default, so it is left out). */
export function rangeToParams(p: URLSearchParams, r: TimeRange): void {
  p.set('from', r.from);
  if (r.to === 'now' || r.to === '') p.delete('to');
  else p.set('to', r.to);
}

export function resolveRange(r: TimeRange, nowMs = Date.now()): { fromMs: number; toMs: number } {
  return { fromMs: parseTime(r.from, nowMs) ?? nowMs - 3_600_000, toMs: parseTime(r.to, nowMs) ?? nowMs };
}

/** The preset key ('1h') a range is, or undefined for a custom range. */
export function presetOf(r: TimeRange): string | undefined {
  if (r.to !== 'now' && r.to !== '') return undefined;
  const m = /^now-(.+)$/.exec(r.from);
  return m && PRESETS.some(([k]) => k === m[1]) ? m[1] : undefined;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Epoch ms → the value of an <input type="datetime-local"> (local time, minutes). */
function toLocalInput(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export interface TimeRangePicker {
  el: HTMLElement;
  /** Shows another range (e.g. after a chart zoom) without calling onChange. */
  set(r: TimeRange): void;
}

export function timeRangePicker(initial: TimeRange, onChange: (r: TimeRange) => void): TimeRangePicker {
  let range = initial;
  const select = h('select', { 'aria-label': 'Time range', name: 'range' }, PRESETS.map(([k, label]) => h('option', { value: k }, label)), h('option', { value: 'custom' }, 'Custom…'));
  const fromIn = h('input', { type: 'datetime-local', 'aria-label': 'From', name: 'from' });
  const toIn = h('input', { type: 'datetime-local', 'aria-label': 'To', name: 'to' });
  const err = h('span', { class: 'error' });
  const apply = h('button', { type: 'button' }, 'Apply');
  const custom = h('span', { class: 'custom-range' }, fromIn, ' – ', toIn, apply, err);

  function show(): void {
    const preset = presetOf(range);
    select.value = preset ?? 'custom';
    custom.hidden = preset !== undefined;
    const { fromMs, toMs } = resolveRange(range);
    fromIn.value = toLocalInput(fromMs);
    toIn.value = toLocalInput(toMs);
    err.textContent = '';
  }

  select.addEventListener('change', () => {
    if (select.value === 'custom') {
      custom.hidden = false; // the inputs hold the current range, resolved; Apply commits them
      return;
    }
    range = { from: `now-${select.value}`, to: 'now' };
    show();
    onChange(range);
  });
  apply.addEventListener('click', () => {
    const f = Date.parse(fromIn.value);
    const t = Date.parse(toIn.value);
    if (Number.isNaN(f) || Number.isNaN(t)) return void (err.textContent = 'Enter both times.');
    if (f >= t) return void (err.textContent = '“From” must be before “to”.');
    range = { from: String(f), to: String(t) };
    show();
    onChange(range);
  });

  show();
  return {
    el: h('span', { class: 'time-range' }, select, custom),
    set(r) {
      range = r;
      show();
    },
  };
}
