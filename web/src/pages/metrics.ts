// Metrics: pick a metric (filterable list), narrow it with label matchers, choose a range, an
// aggregation and a group-by label; the series are drawn overlaid. Dragging a window on the chart
// zooms the URL range and the links under the chart open the logs and traces of that window.
// URL: #/metrics?name=&from=&to=&agg=&groupBy=&matchers=[{"label","op","value"}]
import type { Page, PageContext } from '../page.js';
import { h, setChildren, errorText } from '../dom.js';
import { buildHash } from '../router.js';
import { rangeFromParams, rangeToParams, resolveRange, timeRangePicker, type TimeRange } from '../time-range.js';
import { alignSeries, Chart, unitOf, type MetricSeries } from '../chart.js';
import './traces-metrics.css';

const AGGS = ['avg', 'min', 'max', 'sum', 'count', 'last', 'rate', 'increase'] as const;
const OPS = ['=', '!=', '=~', '!~'] as const;
type Op = (typeof OPS)[number];

interface Matcher {
  label: string;
  op: Op;
  value: string;
}

const STEPS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000);

/** The smallest round step that keeps a range at ≤ 600 points (≥ ~300 for the presets). */
export function chooseStepMs(rangeMs: number): number {
  const want = rangeMs / 600;
  return STEPS_MS.find((s) => s >= want) ?? Math.ceil(want / 86_400_000) * 86_400_000;
}

function parseMatchers(text: string | null): Matcher[] {
  if (!text) return [];
  try {
    const v = JSON.parse(text) as unknown;
    if (!Array.isArray(v)) return [];
    return v.filter((m): m is Matcher => typeof m?.label === 'string' && typeof m?.value === 'string' && (OPS as readonly string[]).includes(m?.op));
  } catch {
    return []; // a hand-edited URL with broken JSON: start without filters rather than fail the page
  }
}

/** Counters are read as rates by default: their raw values only ever grow. */
function defaultAgg(name: string): string {
  return /_(total|count|sum|bucket)$/.test(name) ? 'rate' : 'avg';
}

function mount(el: HTMLElement, ctx: PageContext): () => void {
  const api = ctx.api;
  let name = ctx.params.get('name') ?? '';
  let range: TimeRange = rangeFromParams(ctx.params);
  let agg = ctx.params.get('agg') ?? '';
  let groupBy = ctx.params.get('groupBy') ?? '';
  let matchers = parseMatchers(ctx.params.get('matchers'));
  let names: string[] = [];
  let generation = 0; // answers of superseded loads are dropped
  let disposed = false;

  const filterIn = h('input', { type: 'search', placeholder: 'Filter metrics', 'aria-label': 'Filter metrics', class: 'metric-filter' });
  const list = h('ul', { class: 'metric-list' });
  const title = h('h2', { class: 'mono' });
  const picker = timeRangePicker(range, (r) => {
    range = r;
    changed();
  });
  const aggSel = h('select', { 'aria-label': 'Aggregation', name: 'agg' }, AGGS.map((a) => h('option', { value: a }, a)));
  const groupSel = h('select', { 'aria-label': 'Group by', name: 'groupBy' });
  const labelSel = h('select', { 'aria-label': 'Label', name: 'label' });
  const opSel = h('select', { 'aria-label': 'Operator', name: 'op' }, OPS.map((o) => h('option', { value: o }, o)));
  const valueList = h('datalist', { id: 'metric-label-values' });
  const valueIn = h('input', { list: 'metric-label-values', placeholder: 'value', 'aria-label': 'Label value', name: 'value' });
  const addBtn = h('button', { type: 'button' }, 'Add filter');
  const chips = h('span', { class: 'chips' });
  const chartEl = h('div', { class: 'chart-box' });
  const status = h('div', { class: 'status' });
  const windowLinks = h('div', { class: 'window-links' });
  const chart = new Chart(chartEl, {
    onSelect: (fromMs, toMs) => {
      range = { from: String(fromMs), to: String(toMs) };
      picker.set(range);
      changed();
    },
  });

  setChildren(
    el,
    h('div', { class: 'metrics-layout' },
      h('aside', { class: 'panel metric-side' }, filterIn, list),
      h('section', { class: 'panel metric-main' },
        title,
        h('div', { class: 'toolbar' }, picker.el, h('label', null, 'Aggregation ', aggSel), h('label', null, 'Group by ', groupSel)),
        h('div', { class: 'toolbar' }, labelSel, opSel, valueIn, valueList, addBtn, chips),
        chartEl,
        status,
        windowLinks,
      ),
    ),
  );

  function sync(): void {
    const p = new URLSearchParams();
    if (name) p.set('name', name);
    rangeToParams(p, range);
    if (agg) p.set('agg', agg);
    if (groupBy) p.set('groupBy', groupBy);
    if (matchers.length > 0) p.set('matchers', JSON.stringify(matchers));
    ctx.setParams(p);
  }

  function changed(): void {
    sync();
    renderWindowLinks();
    void loadChart();
  }

  function renderList(): void {
    const q = filterIn.value.trim().toLowerCase();
    const shown = names.filter((n) => n.toLowerCase().includes(q));
    setChildren(
      list,
      shown.length === 0 ? h('li', { class: 'muted' }, names.length === 0 ? 'No metrics stored yet.' : 'No metric matches.') : null,
      shown.map((n) => h('li', null, h('a', { href: buildHash('metrics', { name: n, from: range.from, to: range.to }), class: n === name ? 'active mono' : 'mono', 'data-metric': n, onclick: (e: Event) => (e.preventDefault(), selectMetric(n)) }, n))),
    );
  }

  function selectMetric(n: string): void {
    name = n;
    // Labels differ between metrics, so filters and grouping of the previous one do not carry over.
    matchers = [];
    groupBy = '';
    agg = '';
    renderList();
    void loadLabels();
    changed();
  }

  function renderChips(): void {
    setChildren(
      chips,
      matchers.map((m, i) =>
        h('span', { class: 'chip mono' }, `${m.label}${m.op}"${m.value}"`, h('button', { type: 'button', class: 'chip-x', 'aria-label': `Remove filter ${m.label}`, onclick: () => (matchers.splice(i, 1), renderChips(), changed()) }, '×')),
      ),
    );
  }

  async function loadLabels(): Promise<void> {
    const labels = name ? await api.get<string[]>('api/v1/metrics/labels', { name }).catch(() => [] as string[]) : [];
    if (disposed) return;
    const own = labels.filter((l) => l !== '__name__');
    setChildren(labelSel, h('option', { value: '' }, 'label…'), own.map((l) => h('option', { value: l }, l)));
    setChildren(groupSel, h('option', { value: '' }, '(none)'), own.map((l) => h('option', { value: l }, l)));
    groupSel.value = groupBy;
  }

  async function loadValues(): Promise<void> {
    const label = labelSel.value;
    const values = label ? await api.get<string[]>(`api/v1/metrics/labels/${encodeURIComponent(label)}/values`, { name }).catch(() => [] as string[]) : [];
    if (disposed || label !== labelSel.value) return;
    setChildren(valueList, values.map((v) => h('option', { value: v })));
  }

  function renderWindowLinks(): void {
    const p = { from: range.from, ...(range.to === 'now' ? {} : { to: range.to }) };
    setChildren(windowLinks, 'This window: ', h('a', { href: buildHash('logs', p), class: 'logs-link' }, 'logs of this window'), ' · ', h('a', { href: buildHash('traces', p), class: 'traces-link' }, 'traces of this window'), h('span', { class: 'muted' }, ' — drag on the chart to select a window'));
  }

  async function loadChart(): Promise<void> {
    const gen = ++generation;
    title.textContent = name || 'Pick a metric';
    aggSel.value = agg || defaultAgg(name);
    if (!name) {
      chart.setData({ x: [], series: [] });
      status.textContent = '';
      return;
    }
    const { fromMs, toMs } = resolveRange(range);
    const stepMs = chooseStepMs(toMs - fromMs);
    status.textContent = 'Loading…';
    try {
      const [series, meta] = await Promise.all([
        api.get<MetricSeries[]>('api/v1/metrics/query', {
          name,
          from: fromMs,
          to: toMs,
          step: stepMs,
          agg: aggSel.value,
          groupBy: groupBy || undefined,
          matchers: matchers.length > 0 ? JSON.stringify(matchers) : undefined,
        }),
        // The metadata listing answers {} for a metric never defined (the native meta route is a 404,
        // which the browser reports as a console error).
        api.get<{ data?: Record<string, { unit?: string }[]> }>('prometheus/api/v1/metadata', { metric: name }).catch(() => ({}) as { data?: undefined }),
      ]);
      if (disposed || gen !== generation) return;
      // A rate is per second of whatever the metric counts, so the unit of the counter still applies.
      const unit = aggSel.value === 'count' ? 'plain' : unitOf(name, meta.data?.[name]?.[0]?.unit || undefined);
      chart.setData(alignSeries(series, stepMs), { unit, xRange: [fromMs, toMs] });
      const points = series.reduce((n, s) => n + s.tsMs.length, 0);
      status.textContent = series.length === 0 ? 'No data in this range.' : `${series.length} series · ${points} points · step ${stepMs / 1000} s`;
    } catch (err) {
      if (disposed || gen !== generation) return;
      chart.setData({ x: [], series: [] });
      status.textContent = '';
      status.append(h('span', { class: 'error' }, errorText(err)));
    }
  }

  filterIn.addEventListener('input', renderList);
  aggSel.addEventListener('change', () => ((agg = aggSel.value), changed()));
  groupSel.addEventListener('change', () => ((groupBy = groupSel.value), changed()));
  labelSel.addEventListener('change', () => void loadValues());
  addBtn.addEventListener('click', () => {
    if (!labelSel.value) return;
    matchers.push({ label: labelSel.value, op: opSel.value as Op, value: valueIn.value });
    valueIn.value = '';
    renderChips();
    changed();
  });

  renderChips();
  renderWindowLinks();
  void loadLabels();
  void loadChart();
  api
    .get<string[]>('api/v1/metrics/names')
    .then((n) => {
      if (disposed) return;
      names = [...n].sort();
      renderList();
    })
    .catch((err: unknown) => !disposed && setChildren(list, h('li', { class: 'error' }, errorText(err))));

  return () => {
    disposed = true;
    chart.destroy();
  };
}

export const metricsPage: Page = { id: 'metrics', title: 'Metrics', mount };
