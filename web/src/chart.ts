// The dashboard's one chart: a uPlot wrapper for time series (lines) and scatters (points).
// - Several series overlaid with uPlot's legend; y values formatted in the series' unit.
// - Gaps are breaks: a step without a value is null and spanGaps is off.
// - Dragging a window does not zoom in place: it calls onSelect(fromMs, toMs) and the page moves its URL
//   range, so the zoom is a shareable link and the query re-reads the right resolution.
// - Colors come from CSS variables, re-read on the shell's theme event (the chart is rebuilt: a canvas
//   keeps the colors it was drawn with). The chart follows its container's width.
import uPlot from 'uplot';
import { cssVar as themeVar, THEME_EVENT } from './theme.js';
import { formatUnit, unitOf, type Unit } from './units.js';

export { unitOf, type Unit };

/** One series of the native metrics query answer; JSON has no NaN, so values may be "NaN"/"Infinity". */
export interface MetricSeries {
  name: string;
  labels: Record<string, string>;
  tsMs: number[];
  values: (number | string)[];
}

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  /** A CSS color or `var(--x)`; default: the palette color of its position. */
  color?: string;
}

export interface ChartData {
  /** Ascending epoch milliseconds. */
  x: number[];
  series: ChartSeries[];
}

export interface ChartOptions {
  unit?: Unit;
  /** Scatter: points only, no lines. */
  points?: boolean;
  height?: number;
  /** The x range to show even where data is missing (the query's from/to). */
  xRange?: [number, number];
  /** Called with the dragged window; the page updates its URL range. */
  onSelect?: (fromMs: number, toMs: number) => void;
}

const PALETTE_SIZE = 8;
const FALLBACK = ['#3b82f6', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#06b6d4', '#ec4899', '#84cc16'];

/** A CSS custom property's value on the document root, or the fallback when it is not set. */
export function cssVar(name: string, fallback: string): string {
  return themeVar(name) || fallback;
}

/** The palette color of series i (`--chart-1` ... `--chart-8`), resolved now. */
export function paletteColor(i: number): string {
  const k = i % PALETTE_SIZE;
  return cssVar(`--chart-${k + 1}`, FALLBACK[k]);
}

function resolveColor(c: string | undefined, i: number): string {
  if (c === undefined) return paletteColor(i);
  const m = /^var\((--[\w-]+)(?:,\s*(.+))?\)$/.exec(c);
  return m ? cssVar(m[1], m[2] ?? paletteColor(i)) : c;
}

/** A number, or null for a gap ("NaN", "Infinity", null: nothing a chart can place). */
export function finiteOrNull(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}

/** Legend text of a series: the labels that tell it apart from the others, else its metric name. */
export function seriesLabel(s: MetricSeries, all: MetricSeries[]): string {
  const keys = Object.keys(s.labels).filter((k) => all.some((o) => o.labels[k] !== s.labels[k]));
  const shown = keys.length > 0 ? keys : all.length === 1 ? Object.keys(s.labels) : [];
  if (shown.length === 0) return s.name === '' ? 'all' : s.name;
  return shown.map((k) => `${k}=${s.labels[k]}`).join(', ');
}

/** The median distance between a series' consecutive points (its scrape or step interval). */
function typicalInterval(ts: number[]): number {
  if (ts.length < 2) return 0;
  const d = ts.slice(1).map((t, i) => t - ts[i]).sort((a, b) => a - b);
  return d[d.length >> 1];
}

/**
 * Metrics answer → one shared x axis. Each series gets null at the timestamps only others have, and
 * where consecutive points are further apart than 1.5 × its usual interval (the step, or the scrape
 * interval when that is longer) a null is put after the earlier point, so the line breaks there: the
 * engine omits empty steps instead of sending them.
 */
export function alignSeries(list: MetricSeries[], stepMs = 0): ChartData {
  const xs = new Set<number>();
  for (const s of list) {
    const gap = 1.5 * Math.max(stepMs, typicalInterval(s.tsMs));
    for (let i = 0; i < s.tsMs.length; i++) {
      xs.add(s.tsMs[i]);
      if (gap > 0 && i > 0 && s.tsMs[i] - s.tsMs[i - 1] > gap) xs.add(s.tsMs[i - 1] + gap / 1.5);
    }
  }
  const x = [...xs].sort((a, b) => a - b);
  const at = new Map(x.map((t, i) => [t, i]));
  const series = list.map((s) => {
    const values: (number | null)[] = new Array<number | null>(x.length).fill(null);
    for (let i = 0; i < s.tsMs.length; i++) values[at.get(s.tsMs[i])!] = finiteOrNull(s.values[i]);
    return { label: seriesLabel(s, list), values };
  });
  return { x, series };
}

export class Chart {
  private plot: uPlot | undefined;
  private data: ChartData = { x: [], series: [] };
  private readonly resize: ResizeObserver;
  private readonly onTheme = (): void => this.build();

  constructor(
    readonly el: HTMLElement,
    private opts: ChartOptions = {},
  ) {
    el.classList.add('chart');
    this.resize = new ResizeObserver(() => {
      if (this.plot && el.clientWidth > 0 && el.clientWidth !== this.plot.width) this.plot.setSize({ width: el.clientWidth, height: this.height() });
    });
    this.resize.observe(el);
    window.addEventListener(THEME_EVENT, this.onTheme);
  }

  setData(data: ChartData, opts?: Partial<ChartOptions>): void {
    this.data = data;
    if (opts) this.opts = { ...this.opts, ...opts };
    this.build();
  }

  destroy(): void {
    this.resize.disconnect();
    window.removeEventListener(THEME_EVENT, this.onTheme);
    this.plot?.destroy();
    this.plot = undefined;
  }

  private height(): number {
    return this.opts.height ?? 280;
  }

  /** (Re)creates the plot: the series set, unit or theme changed. */
  private build(): void {
    this.plot?.destroy();
    const { unit = 'plain', points = false, xRange, onSelect } = this.opts;
    const fmt = (v: number | null): string => (v === null || v === undefined ? '—' : formatUnit(v, unit));
    const text = cssVar('--muted', '#888');
    const grid = cssVar('--chart-grid', 'rgba(128,128,128,0.2)');
    const series: uPlot.Series[] = [
      { label: 'time', value: (_u, v) => (v === null ? '—' : new Date(v).toLocaleString()) },
      ...this.data.series.map((s, i): uPlot.Series => {
        const color = resolveColor(s.color, i);
        return {
          label: s.label,
          stroke: color,
          width: 1.5,
          spanGaps: false,
          value: (_u, v) => fmt(v),
          // Lines keep uPlot's default points: drawn only where the data is sparse, so a lone value
          // between two gaps stays visible.
          ...(points ? { paths: () => null, points: { show: true, size: 6, space: 0, fill: color, stroke: color } } : {}),
        };
      }),
    ];
    const axis = (extra: uPlot.Axis): uPlot.Axis => ({ stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, ...extra });
    const opts: uPlot.Options = {
      width: Math.max(this.el.clientWidth, 200),
      height: this.height(),
      ms: 1,
      series,
      scales: { x: xRange ? { time: true, range: () => [xRange[0], xRange[1]] } : { time: true } },
      axes: [axis({}), axis({ size: 70, values: (_u, splits) => splits.map((v) => fmt(v)) })],
      cursor: { drag: { x: true, y: false, setScale: false } },
      legend: { live: true },
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 2 || !onSelect) return;
            const from = u.posToVal(u.select.left, 'x');
            const to = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            onSelect(Math.round(from), Math.round(to));
          },
        ],
      },
    };
    const columns: uPlot.AlignedData = [this.data.x, ...this.data.series.map((s) => s.values)];
    this.plot = new uPlot(opts, columns, this.el);
  }
}
