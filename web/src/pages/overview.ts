// Overview: small multiples of the host app's runtime (event loop, memory, CPU, GC) and its HTTP
// traffic, from the metric names in the runtime collector's contract (prom-client's names).
// - First paint: one request per panel, all in parallel, stepped to ~300-400 points; when they have
//   all drawn the page sets window.__TIMELESS_OVERVIEW_READY__ = performance.now() (the bench's hook).
// - Live, while the range ends at "now": one SSE stream (api/v1/metrics/live) for every metric shown.
//   Gauge panels append the streamed points; panels that are derived (counter rates, PromQL over the
//   HTTP histogram) re-read only their tail when their metrics have news, with the same query, so new
//   points mean what the history means. The window slides: points older than the range drop out.
// - Dragging on a panel zooms the URL range (shareable) and the links offer that window's logs/traces.
// URL: #/overview?from=&to=
import type { Page, PageContext } from '../page.js';
import type { Api } from '../api.js';
import { h, setChildren, errorText } from '../dom.js';
import { buildHash } from '../router.js';
import { rangeFromParams, rangeToParams, resolveRange, timeRangePicker, type TimeRange } from '../time-range.js';
import { alignSeries, Chart, type MetricSeries } from '../chart.js';
import { formatUnit, type Unit } from '../units.js';
import './traces-metrics.css';
import './overview.css';

declare global {
  interface Window {
    /** performance.now() when every panel of the last full load has drawn (read by the bench). */
    __TIMELESS_OVERVIEW_READY__?: number;
  }
}

const HTTP = 'http_server_request_duration_seconds';
const LIVE_INTERVAL_MS = 5000;

type Source =
  /** Native query: one metric, or several by a __name__ matcher (still one request). */
  | { kind: 'native'; names: string[]; agg: 'avg' | 'rate' }
  /** PromQL range query; `rateWindow` is the `[...]` of its rate()s; `live` the metrics whose news matter. */
  | { kind: 'promql'; expr: (rateWindow: string) => string; live: string[] };

interface PanelDef {
  id: string;
  title: string;
  unit: Unit;
  source: Source;
  /** Legend names by metric name (else the distinguishing label values). */
  legend?: Record<string, string>;
}

const quantileExpr = (q: number, w: string): string => `label_replace(histogram_quantile(${q}, sum by (le) (rate(${HTTP}_bucket[${w}]))), "quantile", "p${Math.round(q * 100)}", "", "")`;

export const PANELS: readonly PanelDef[] = [
  { id: 'eventloop-lag', title: 'Event-loop lag', unit: 'seconds', source: { kind: 'native', names: ['nodejs_eventloop_lag_p50_seconds', 'nodejs_eventloop_lag_p99_seconds'], agg: 'avg' }, legend: { nodejs_eventloop_lag_p50_seconds: 'p50', nodejs_eventloop_lag_p99_seconds: 'p99' } },
  { id: 'eventloop-utilization', title: 'Event-loop utilization', unit: 'ratio', source: { kind: 'native', names: ['nodejs_eventloop_utilization_ratio'], agg: 'avg' }, legend: { nodejs_eventloop_utilization_ratio: 'utilization' } },
  { id: 'heap', title: 'Heap', unit: 'bytes', source: { kind: 'native', names: ['nodejs_heap_size_used_bytes', 'nodejs_heap_size_total_bytes'], agg: 'avg' }, legend: { nodejs_heap_size_used_bytes: 'used', nodejs_heap_size_total_bytes: 'total' } },
  { id: 'memory', title: 'Memory', unit: 'bytes', source: { kind: 'native', names: ['process_resident_memory_bytes', 'nodejs_external_memory_bytes', 'nodejs_array_buffers_bytes'], agg: 'avg' }, legend: { process_resident_memory_bytes: 'rss', nodejs_external_memory_bytes: 'external', nodejs_array_buffers_bytes: 'array buffers' } },
  { id: 'cpu', title: 'CPU (share of one core)', unit: 'ratio', source: { kind: 'native', names: ['process_cpu_user_seconds_total', 'process_cpu_system_seconds_total'], agg: 'rate' }, legend: { process_cpu_user_seconds_total: 'user', process_cpu_system_seconds_total: 'system' } },
  { id: 'gc-runs', title: 'GC runs per second', unit: 'plain', source: { kind: 'native', names: ['nodejs_gc_runs_total'], agg: 'rate' } },
  { id: 'gc-time', title: 'GC time per second', unit: 'seconds', source: { kind: 'native', names: ['nodejs_gc_duration_seconds_total'], agg: 'rate' } },
  { id: 'http-rate', title: 'HTTP requests per second', unit: 'plain', source: { kind: 'promql', expr: (w) => `sum(rate(${HTTP}_count[${w}]))`, live: [`${HTTP}_count`] }, legend: { '': 'requests/s' } },
  { id: 'http-latency', title: 'HTTP latency', unit: 'seconds', source: { kind: 'promql', expr: (w) => [0.5, 0.9, 0.99].map((q) => quantileExpr(q, w)).join(' or '), live: [`${HTTP}_count`] } },
  // 0 when the app serves requests but none failed: the numerator alone would be empty.
  { id: 'http-errors', title: 'HTTP error rate (5xx share)', unit: 'ratio', source: { kind: 'promql', expr: (w) => `(sum(rate(${HTTP}_count{http_response_status_code=~"5.."}[${w}])) or vector(0)) / sum(rate(${HTTP}_count[${w}]))`, live: [`${HTTP}_count`] }, legend: { '': '5xx share' } },
];

const STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/** The smallest round step giving ≤ 400 points over the range (≥ ~300 for the presets above 15 min). */
export function overviewStepMs(rangeMs: number): number {
  const want = rangeMs / 400 / 1000;
  return (STEPS_S.find((s) => s >= want) ?? Math.ceil(want / 86400) * 86400) * 1000;
}

function liveNames(p: PanelDef): string[] {
  return p.source.kind === 'native' ? p.source.names : p.source.live;
}

interface PromMatrix {
  data: { result: { metric: Record<string, string>; values: [number, string][] }[] };
}

/** PromQL matrix → the native answer's shape (name + labels + ms timestamps). */
function fromMatrix(m: PromMatrix): MetricSeries[] {
  return m.data.result.map(({ metric, values }) => {
    const { __name__: name = '', ...labels } = metric;
    return { name, labels, tsMs: values.map((v) => Math.round(v[0] * 1000)), values: values.map((v) => v[1]) };
  });
}

/** One panel's query over [fromMs, toMs]: one request, series in the native shape. */
async function fetchPanel(api: Api, p: PanelDef, fromMs: number, toMs: number, stepMs: number): Promise<MetricSeries[]> {
  const s = p.source;
  if (s.kind === 'native') {
    const one = s.names.length === 1;
    return api.get<MetricSeries[]>('api/v1/metrics/query', {
      name: one ? s.names[0] : undefined,
      matchers: one ? undefined : JSON.stringify([{ label: '__name__', op: '=~', value: s.names.join('|') }]),
      from: fromMs,
      to: toMs,
      step: stepMs,
      agg: s.agg,
    });
  }
  // A rate window of at least a minute, so it spans several scrapes at short steps.
  const w = `${Math.max(2 * (stepMs / 1000), 60)}s`;
  const m = await api.get<PromMatrix>('prometheus/api/v1/query_range', { query: s.expr(w), start: fromMs / 1000, end: toMs / 1000, step: stepMs / 1000 });
  return fromMatrix(m);
}

function keyOf(name: string, labels: Record<string, string>): string {
  return `${name}|${Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',')}`;
}

/** One panel: its series as time → value maps (history merged with live points), and its chart. */
class PanelView {
  readonly el: HTMLElement;
  private readonly box = h('div', { class: 'chart-box' });
  private readonly latest = h('span', { class: 'panel-latest' });
  private readonly series = new Map<string, { name: string; labels: Record<string, string>; points: Map<number, number | string> }>();
  private chart: Chart | undefined;
  /** A tail re-read is running (derived panels): news meanwhile are covered by it or the next one. */
  refreshing = false;
  /** Samples up to this time are in what was read or merged: live points not newer are no news. */
  coveredMs = -Infinity;
  /** The newest sample time announced while a re-read was running: read again after it. */
  pendingMs = -Infinity;

  constructor(
    readonly def: PanelDef,
    private readonly onSelect: (fromMs: number, toMs: number) => void,
  ) {
    this.el = h('section', { class: 'panel overview-panel', 'data-panel': def.id }, h('header', { class: 'panel-head' }, h('h3', null, def.title), this.latest), this.box);
  }

  /** Replaces everything (a full load). */
  reset(list: MetricSeries[]): void {
    this.series.clear();
    this.merge(list, -Infinity);
  }

  /** Adds series points; points at or after `replaceFromMs` replace what was there (a re-read tail). */
  merge(list: MetricSeries[], replaceFromMs: number): void {
    if (Number.isFinite(replaceFromMs)) for (const s of this.series.values()) for (const t of [...s.points.keys()]) if (t >= replaceFromMs) s.points.delete(t);
    for (const m of list) {
      const key = keyOf(m.name, m.labels);
      let s = this.series.get(key);
      if (!s) this.series.set(key, (s = { name: m.name, labels: m.labels, points: new Map() }));
      for (let i = 0; i < m.tsMs.length; i++) s.points.set(m.tsMs[i], m.values[i]);
    }
  }

  /** The newest timestamp held, or undefined when there is no point. */
  lastMs(): number | undefined {
    let last: number | undefined;
    for (const s of this.series.values()) for (const t of s.points.keys()) if (last === undefined || t > last) last = t;
    return last;
  }

  /** Drops points before the window and draws (or shows "no data yet"). */
  draw(fromMs: number, toMs: number, stepMs: number): void {
    const list: MetricSeries[] = [];
    for (const s of this.series.values()) {
      // Points that slid out of the window are dropped, so a page left open does not grow.
      for (const t of s.points.keys()) if (t < fromMs) s.points.delete(t);
      const ts = [...s.points.keys()].sort((a, b) => a - b);
      if (ts.length === 0) continue;
      list.push({ name: s.name, labels: s.labels, tsMs: ts, values: ts.map((t) => s.points.get(t)!) });
    }
    // Named series in the order the panel lists them (p50 before p99), others by label.
    const order = Object.keys(this.def.legend ?? {});
    const rank = (m: MetricSeries): number => (order.includes(m.name) ? order.indexOf(m.name) : order.length);
    list.sort((a, b) => rank(a) - rank(b) || this.label(a, list).localeCompare(this.label(b, list), 'en', { numeric: true }));
    this.el.dataset.lastTs = String(this.lastMs() ?? '');
    if (list.length === 0) {
      this.chart?.destroy();
      this.chart = undefined;
      setChildren(this.box, h('p', { class: 'no-data muted' }, 'no data yet'));
      this.latest.textContent = '';
      return;
    }
    const data = alignSeries(list, stepMs);
    data.series.forEach((s, i) => (s.label = this.label(list[i], list)));
    if (!this.chart) {
      this.box.replaceChildren();
      this.chart = new Chart(this.box, { height: 180, onSelect: this.onSelect });
    }
    this.chart.setData(data, { unit: this.def.unit, xRange: [fromMs, toMs] });
    this.latest.textContent = list
      .map((m) => {
        const v = Number(m.values[m.values.length - 1]);
        return `${this.label(m, list)} ${Number.isFinite(v) ? formatUnit(v, this.def.unit) : '–'}`;
      })
      .join(' · ');
  }

  showError(err: unknown): void {
    this.chart?.destroy();
    this.chart = undefined;
    setChildren(this.box, h('p', { class: 'error' }, errorText(err)));
  }

  destroy(): void {
    this.chart?.destroy();
  }

  private label(m: MetricSeries, all: MetricSeries[]): string {
    const named = this.def.legend?.[m.name];
    if (named !== undefined) return named;
    const keys = Object.keys(m.labels).filter((k) => all.some((o) => o.labels[k] !== m.labels[k]));
    return keys.length > 0 ? keys.map((k) => m.labels[k]).join(' ') : Object.values(m.labels).join(' ') || m.name || 'value';
  }
}

interface LivePoint {
  name: string;
  labels: Record<string, string>;
  tsMs: number;
  value: number | string;
}

function mount(el: HTMLElement, ctx: PageContext): () => void {
  const api = ctx.api;
  let range: TimeRange = rangeFromParams(ctx.params);
  let generation = 0; // answers of superseded loads are dropped
  let disposed = false;
  let closeLive: (() => void) | undefined;
  let win = { fromMs: 0, toMs: 0, stepMs: 0 };

  const picker = timeRangePicker(range, (r) => {
    range = r;
    changed();
  });
  const zoom = (fromMs: number, toMs: number): void => {
    range = { from: String(fromMs), to: String(toMs) };
    picker.set(range);
    changed();
  };
  const views = PANELS.map((p) => new PanelView(p, zoom));
  const status = h('span', { class: 'status muted' });
  const windowLinks = h('div', { class: 'window-links' });

  setChildren(
    el,
    h('div', { class: 'overview' },
      h('div', { class: 'toolbar' }, h('h2', null, 'Overview'), picker.el, status),
      windowLinks,
      h('div', { class: 'overview-grid' }, views.map((v) => v.el)),
    ),
  );

  function renderWindowLinks(): void {
    const p = { from: range.from, ...(range.to === 'now' ? {} : { to: range.to }) };
    setChildren(windowLinks, 'This window: ', h('a', { href: buildHash('logs', p), class: 'logs-link' }, 'logs of this window'), ' · ', h('a', { href: buildHash('traces', p), class: 'traces-link' }, 'traces of this window'), h('span', { class: 'muted' }, ' — drag on a chart to select a window'));
  }

  function changed(): void {
    const p = new URLSearchParams();
    rangeToParams(p, range);
    ctx.setParams(p);
    renderWindowLinks();
    void load();
  }

  /** The current window; a range ending at "now" slides with the clock. */
  function currentWindow(): { fromMs: number; toMs: number; stepMs: number } {
    const { fromMs, toMs } = resolveRange(range);
    const stepMs = overviewStepMs(toMs - fromMs);
    return { fromMs, toMs, stepMs };
  }

  async function load(): Promise<void> {
    const gen = ++generation;
    closeLive?.();
    closeLive = undefined;
    win = currentWindow();
    // Steps start at a multiple of the step, so a re-read tail lands on the same timestamps.
    const alignedFrom = Math.floor(win.fromMs / win.stepMs) * win.stepMs;
    status.textContent = 'Loading…';
    await Promise.all(
      views.map(async (v) => {
        try {
          const list = await fetchPanel(api, v.def, alignedFrom, win.toMs, win.stepMs);
          if (disposed || gen !== generation) return;
          v.reset(list);
          v.coveredMs = win.toMs;
          v.draw(win.fromMs, win.toMs, win.stepMs);
        } catch (err) {
          if (!disposed && gen === generation) v.showError(err);
        }
      }),
    );
    if (disposed || gen !== generation) return;
    // uPlot draws in a microtask after setData; the next frame is when the charts are on screen.
    requestAnimationFrame(() => {
      if (!disposed && gen === generation) window.__TIMELESS_OVERVIEW_READY__ = performance.now();
    });
    status.textContent = `step ${win.stepMs / 1000} s`;
    if (range.to === 'now') startLive(gen);
  }

  function startLive(gen: number): void {
    const names = [...new Set(views.flatMap((v) => liveNames(v.def)))];
    closeLive = api.tail<LivePoint[]>('api/v1/metrics/live', { names: names.join(','), intervalMs: LIVE_INTERVAL_MS }, 'points', (points) => {
      if (disposed || gen !== generation) return;
      const w = currentWindow();
      win = w;
      for (const v of views) {
        const names = liveNames(v.def);
        // The stream's first event repeats the newest stored points, which the load already read.
        const news = points.filter((p) => names.includes(p.name) && p.tsMs > v.coveredMs);
        if (news.length === 0) {
          v.draw(w.fromMs, w.toMs, w.stepMs); // nothing new: only slide
          continue;
        }
        const newest = Math.max(...news.map((p) => p.tsMs));
        if (v.def.source.kind === 'native' && v.def.source.agg === 'avg') {
          v.merge(news.map((p) => ({ name: p.name, labels: p.labels, tsMs: [p.tsMs], values: [p.value] })), Infinity);
          v.coveredMs = newest;
          v.draw(w.fromMs, w.toMs, w.stepMs);
        } else void refreshTail(v, gen, newest);
      }
    });
  }

  /**
   * A derived panel: re-reads from its last step (possibly partial then) to the newest sample, same
   * query. Not to "now": a rate evaluated past the last sample only extrapolates (a dip at the edge).
   */
  async function refreshTail(v: PanelView, gen: number, untilMs: number): Promise<void> {
    if (v.refreshing) {
      // The stream announces each sample once: remember it, the running read is followed by another.
      v.pendingMs = Math.max(v.pendingMs, untilMs);
      return;
    }
    v.refreshing = true;
    try {
      const { stepMs } = win;
      const last = v.lastMs();
      const from = last ?? Math.floor(win.fromMs / stepMs) * stepMs;
      const list = await fetchPanel(api, v.def, from, Math.max(from, untilMs), stepMs);
      if (disposed || gen !== generation) return;
      v.merge(list, from);
      v.coveredMs = Math.max(v.coveredMs, untilMs);
      v.draw(win.fromMs, win.toMs, win.stepMs);
    } catch {
      // A failed tail read leaves the drawn history; the next news retries it.
    } finally {
      v.refreshing = false;
      if (!disposed && gen === generation && v.pendingMs > v.coveredMs) {
        const next = v.pendingMs;
        v.pendingMs = -Infinity;
        void refreshTail(v, gen, next);
      }
    }
  }

  renderWindowLinks();
  void load();

  return () => {
    disposed = true;
    closeLive?.();
    for (const v of views) v.destroy();
  };
}

export const overviewPage: Page = { id: 'overview', title: 'Overview', mount };
