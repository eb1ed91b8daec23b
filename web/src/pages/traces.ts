// Traces: span search by service, operation, status, duration and time range; a duration scatter of
// the matching spans (x start, y duration, errors in their own color; dragging a window narrows the
// URL range, with links to the logs and metrics of that window; a click opens the trace of the span
// nearest in time, the one the legend shows) and the results grouped by trace. A row opens the
// trace's waterfall; "Load more" follows the server's cursor.
// URL: #/traces?service=&name=&status=&minDurationMs=&maxDurationMs=&from=&to=
import type { Page, PageContext } from '../page.js';
import { h, setChildren, errorText } from '../dom.js';
import { buildHash } from '../router.js';
import { formatDurationMs, formatTime } from '../format.js';
import { rangeFromParams, rangeToParams, resolveRange, timeRangePicker, type TimeRange } from '../time-range.js';
import { Chart, type ChartData } from '../chart.js';
import { durationMs, nsDiffMs, serviceColor, serviceOf, startMs, type SpanJson, type TraceQueryJson } from '../spans.js';
import './traces-metrics.css';

const PAGE_SIZE = 200;
const FILTERS = ['service', 'name', 'status', 'minDurationMs', 'maxDurationMs'] as const;
type Filter = (typeof FILTERS)[number];

interface TraceRow {
  traceId: string;
  root: SpanJson;
  spans: SpanJson[];
  durationMs: number;
  error: boolean;
}

/** Result spans grouped by trace, newest first: the root (or the earliest span found) names the row. */
export function groupByTrace(spans: SpanJson[]): TraceRow[] {
  const byTrace = new Map<string, SpanJson[]>();
  for (const s of spans) {
    const list = byTrace.get(s.traceId);
    if (list) list.push(s);
    else byTrace.set(s.traceId, [s]);
  }
  const rows: TraceRow[] = [];
  for (const [traceId, list] of byTrace) {
    const earliest = list.reduce((a, b) => (BigInt(b.startNs) < BigInt(a.startNs) ? b : a));
    const root = list.find((s) => s.parentSpanId === undefined) ?? earliest;
    const latestEnd = list.reduce((a, b) => (BigInt(b.endNs) > BigInt(a.endNs) ? b : a)).endNs;
    rows.push({ traceId, root, spans: list, durationMs: root.parentSpanId === undefined ? durationMs(root) : nsDiffMs(earliest.startNs, latestEnd), error: list.some((s) => s.status.code === 'error') });
  }
  return rows.sort((a, b) => (BigInt(b.root.startNs) > BigInt(a.root.startNs) ? 1 : -1));
}

/** Pixels a click may be from a point's x and still pick it; a press moved further than MOVE_PX is a drag. */
const PICK_PX = 8;
const MOVE_PX = 4;

/**
 * The point nearest in x to a click at `px` on a plot `width` px wide showing [fromMs, toMs] (the
 * chart's fixed x range): what uPlot's cursor snaps to. Undefined when none is within PICK_PX.
 */
export function pickPoint(pts: readonly { x: number }[], px: number, width: number, fromMs: number, toMs: number): number | undefined {
  if (pts.length === 0 || width <= 0 || toMs <= fromMs) return undefined;
  const at = fromMs + (px / width) * (toMs - fromMs);
  // Binary search for the first point at or after the click; the nearest is it or the one before.
  let lo = 0;
  let hi = pts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pts[mid]!.x < at) lo = mid + 1;
    else hi = mid;
  }
  let best: number | undefined;
  for (const i of [lo - 1, lo]) {
    if (i < 0 || i >= pts.length) continue;
    if (best === undefined || Math.abs(pts[i]!.x - at) < Math.abs(pts[best]!.x - at)) best = i;
  }
  if (best === undefined) return undefined;
  const dPx = (Math.abs(pts[best]!.x - at) / (toMs - fromMs)) * width;
  return dPx <= PICK_PX ? best : undefined;
}

interface ScatterPoint {
  x: number;
  y: number;
  err: boolean;
  traceId: string;
}

/** The scatter's points, x ascending as uPlot needs (index i of the chart's columns is pts[i]). */
function scatterPoints(spans: SpanJson[]): ScatterPoint[] {
  return spans.map((s) => ({ x: startMs(s), y: durationMs(s), err: s.status.code === 'error', traceId: s.traceId })).sort((a, b) => a.x - b.x);
}

/** The duration scatter's columns: errors as their own series. */
function scatterData(pts: ScatterPoint[]): ChartData {
  return {
    x: pts.map((p) => p.x),
    series: [
      { label: 'span duration', values: pts.map((p) => (p.err ? null : p.y)), color: 'var(--chart-1)' },
      { label: 'error', values: pts.map((p) => (p.err ? p.y : null)), color: 'var(--error)' },
    ],
  };
}

function mount(el: HTMLElement, ctx: PageContext): () => void {
  const api = ctx.api;
  const filters: Record<Filter, string> = Object.fromEntries(FILTERS.map((k) => [k, ctx.params.get(k) ?? ''])) as Record<Filter, string>;
  let range: TimeRange = rangeFromParams(ctx.params);
  let spans: SpanJson[] = [];
  let cursor: string | undefined;
  /** What the scatter shows now, for mapping a click back to a span. */
  let shown: { pts: ScatterPoint[]; fromMs: number; toMs: number } = { pts: [], fromMs: 0, toMs: 0 };
  let generation = 0;
  let disposed = false;

  const serviceSel = h('select', { 'aria-label': 'Service', name: 'service' }, h('option', { value: '' }, 'All services'), filters.service ? h('option', { value: filters.service }, filters.service) : null);
  // The URL's operation is an option from the start, so a filter change before the list arrives keeps it.
  const nameSel = h('select', { 'aria-label': 'Operation', name: 'name' }, h('option', { value: '' }, 'All operations'), filters.name ? h('option', { value: filters.name }, filters.name) : null);
  const statusSel = h('select', { 'aria-label': 'Status', name: 'status' }, h('option', { value: '' }, 'Any status'), ['error', 'ok', 'unset'].map((s) => h('option', { value: s }, s)));
  const minIn = h('input', { type: 'number', min: 0, step: 'any', placeholder: 'min ms', 'aria-label': 'Minimum duration (ms)', name: 'minDurationMs', class: 'num-in' });
  const maxIn = h('input', { type: 'number', min: 0, step: 'any', placeholder: 'max ms', 'aria-label': 'Maximum duration (ms)', name: 'maxDurationMs', class: 'num-in' });
  const picker = timeRangePicker(range, (r) => ((range = r), search()));
  const searchBtn = h('button', { type: 'button', class: 'primary' }, 'Search');
  const chartEl = h('div', { class: 'chart-box' });
  const status = h('div', { class: 'status' });
  const tbody = h('tbody');
  const moreBtn = h('button', { type: 'button', hidden: true }, 'Load more');
  const windowLinks = h('div', { class: 'window-links' });
  const chart = new Chart(chartEl, { points: true, unit: 'ms', height: 220, onSelect: (f, t) => ((range = { from: String(f), to: String(t) }), picker.set(range), search()) });

  // A click (not the end of a drag) on the plot opens the trace of the nearest span in time.
  let down: { x: number; y: number } | undefined;
  chartEl.addEventListener('mousedown', (e) => (down = { x: e.clientX, y: e.clientY }));
  chartEl.addEventListener('click', (e) => {
    const start = down;
    down = undefined;
    if (start && Math.hypot(e.clientX - start.x, e.clientY - start.y) > MOVE_PX) return;
    const over = chartEl.querySelector('.u-over');
    if (!over) return;
    const r = over.getBoundingClientRect();
    if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) return;
    const i = pickPoint(shown.pts, e.clientX - r.left, r.width, shown.fromMs, shown.toMs);
    if (i !== undefined) ctx.navigate('trace', { id: shown.pts[i]!.traceId });
  });

  function renderWindowLinks(): void {
    const p = { from: range.from, ...(range.to === 'now' ? {} : { to: range.to }) };
    setChildren(windowLinks, 'This window: ', h('a', { href: buildHash('logs', p), class: 'logs-link' }, 'logs of this window'), ' · ', h('a', { href: buildHash('metrics', p), class: 'metrics-link' }, 'metrics of this window'), ' · ', h('a', { href: buildHash('traces', p), class: 'traces-link' }, 'traces of this window (no filters)'), h('span', { class: 'muted' }, ' — drag on the chart to select a window, click a point to open its trace'));
  }
  serviceSel.value = filters.service;
  nameSel.value = filters.name;
  statusSel.value = filters.status;
  minIn.value = filters.minDurationMs;
  maxIn.value = filters.maxDurationMs;

  setChildren(
    el,
    h('section', { class: 'panel' },
      h('div', { class: 'toolbar' }, serviceSel, nameSel, statusSel, minIn, '–', maxIn, picker.el, searchBtn),
      chartEl,
      status,
      windowLinks,
    ),
    h('section', { class: 'panel' },
      h('div', { class: 'table-wrap' },
        h('table', { class: 'trace-results' },
          h('thead', null, h('tr', null, h('th', null, 'Start'), h('th', null, 'Trace'), h('th', null, 'Service'), h('th', { class: 'num' }, 'Spans found'), h('th', { class: 'num' }, 'Duration'), h('th', null, 'Status'))),
          tbody,
        ),
      ),
      moreBtn,
    ),
  );

  function readForm(): void {
    filters.service = serviceSel.value;
    filters.name = nameSel.value;
    filters.status = statusSel.value;
    filters.minDurationMs = minIn.value.trim();
    filters.maxDurationMs = maxIn.value.trim();
    const p = new URLSearchParams();
    for (const k of FILTERS) if (filters[k]) p.set(k, filters[k]);
    rangeToParams(p, range);
    ctx.setParams(p);
    renderWindowLinks();
  }

  async function loadOperations(): Promise<void> {
    const ops = await api.get<{ name: string }[]>('api/v1/traces/operations', { service: filters.service || undefined }).catch(() => []);
    if (disposed) return;
    const names = [...new Set(ops.map((o) => o.name))].sort();
    if (filters.name && !names.includes(filters.name)) names.unshift(filters.name);
    setChildren(nameSel, h('option', { value: '' }, 'All operations'), names.map((n) => h('option', { value: n }, n)));
    nameSel.value = filters.name;
  }

  function render(): void {
    const { fromMs, toMs } = resolveRange(range);
    const pts = scatterPoints(spans);
    shown = { pts, fromMs, toMs };
    chart.setData(scatterData(pts), { xRange: [fromMs, toMs] });
    const rows = groupByTrace(spans);
    setChildren(
      tbody,
      rows.length === 0 ? h('tr', null, h('td', { colspan: 6, class: 'muted' }, 'No spans match.')) : null,
      rows.map((r) => {
        const service = serviceOf(r.root);
        return h('tr', { class: 'clickable', 'data-trace-id': r.traceId, onclick: () => ctx.navigate('trace', { id: r.traceId }) },
          h('td', { class: 'time' }, formatTime(startMs(r.root), { ms: true })),
          h('td', null, h('a', { href: buildHash('trace', { id: r.traceId }), class: 'mono' }, r.root.name)),
          h('td', null, h('span', { class: 'svc-dot', style: `background:${serviceColor(service)}` }), service),
          h('td', { class: 'num' }, r.spans.length),
          h('td', { class: 'num' }, formatDurationMs(r.durationMs)),
          h('td', null, r.error ? h('span', { class: 'error' }, 'error') : h('span', { class: 'muted' }, r.root.status.code)));
      }),
    );
    moreBtn.hidden = cursor === undefined;
  }

  async function fetchPage(append: boolean): Promise<void> {
    const gen = ++generation;
    const { fromMs, toMs } = resolveRange(range);
    status.textContent = 'Searching…';
    try {
      const res = await api.get<TraceQueryJson>('api/v1/traces/query', {
        service: filters.service || undefined,
        name: filters.name || undefined,
        status: filters.status || undefined,
        minDurationMs: filters.minDurationMs || undefined,
        maxDurationMs: filters.maxDurationMs || undefined,
        from: fromMs,
        to: toMs,
        limit: PAGE_SIZE,
        cursor: append ? cursor : undefined,
      });
      if (disposed || gen !== generation) return;
      spans = append ? spans.concat(res.spans) : res.spans;
      cursor = res.cursor;
      status.textContent = `${spans.length} spans${cursor ? ' (more available)' : ''}`;
      render();
    } catch (err) {
      if (disposed || gen !== generation) return;
      status.textContent = '';
      status.append(h('span', { class: 'error' }, errorText(err)));
    }
  }

  function search(): void {
    readForm();
    cursor = undefined;
    void fetchPage(false);
  }

  serviceSel.addEventListener('change', () => {
    nameSel.value = '';
    search();
    void loadOperations();
  });
  for (const c of [nameSel, statusSel, minIn, maxIn]) c.addEventListener('change', search);
  searchBtn.addEventListener('click', search);
  moreBtn.addEventListener('click', () => void fetchPage(true));

  api
    .get<string[]>('api/v1/traces/services')
    .then((list) => {
      if (disposed) return;
      const all = filters.service && !list.includes(filters.service) ? [filters.service, ...list] : list;
      setChildren(serviceSel, h('option', { value: '' }, 'All services'), [...all].sort().map((s) => h('option', { value: s }, s)));
      serviceSel.value = filters.service;
    })
    .catch((err: unknown) => !disposed && status.append(h('span', { class: 'error' }, errorText(err))));
  void loadOperations();
  renderWindowLinks();
  void fetchPage(false);

  return () => {
    disposed = true;
    chart.destroy();
  };
}

export const tracesPage: Page = { id: 'traces', title: 'Traces', mount };
