// Logs: search text, minimum level, time range and attribute filters (all in the URL), a results
// table newest first with the query cursor behind "Older", and a live tail (SSE on api/v1/logs/tail
// with the same filters but no time bounds) that prepends new entries to a capped list. The tail is
// opened only once the search has answered: an entry is then either in the answer or in the tail,
// never in both. When the server skips entries for a slow client (`dropped` event) the count is shown.
// Entries carrying a trace id link to that trace's waterfall (#/trace?id=…).
import type { Page, PageContext } from '../page.js';
import { h, errorText, setChildren } from '../dom.js';
import { formatCount, formatTime, nsToMs } from '../format.js';
import { rangeFromParams, rangeToParams, timeRangePicker, type TimeRange } from '../time-range.js';

type AttrValue = string | number | boolean | null | AttrValue[] | { [k: string]: AttrValue };
interface LogEntry {
  tsNs: string;
  level: string;
  severityNumber: number;
  message: string;
  attributes: Record<string, AttrValue>;
  traceId?: string;
  spanId?: string;
  resource: Record<string, string | number | boolean>;
}
interface LogQueryResult {
  entries: LogEntry[];
  cursor?: string;
  skipped: unknown[];
  blocksScanned: number;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
/** Default page size; `limit` in the URL overrides it (1..1000). */
const PAGE_SIZE = 100;
/** Rows kept while tailing: older ones fall off the bottom so a busy stream cannot grow the page. */
const TAIL_CAP = 1000;

export interface LogsState {
  search: string;
  level: string;
  range: TimeRange;
  attrs: Array<[string, string]>;
  live: boolean;
  limit: number;
}

export function stateFromParams(p: URLSearchParams): LogsState {
  const attrs: Array<[string, string]> = [];
  p.forEach((v, k) => {
    if (k.startsWith('attr.') && k.length > 5) attrs.push([k.slice(5), v]);
  });
  const level = p.get('level') ?? '';
  return {
    search: p.get('search') ?? '',
    level: (LEVELS as readonly string[]).includes(level) ? level : '',
    range: rangeFromParams(p),
    attrs,
    live: p.get('live') === '1',
    limit: /^\d+$/.test(p.get('limit') ?? '') ? Math.min(1000, Math.max(1, Number(p.get('limit')))) : PAGE_SIZE,
  };
}

export function stateToParams(s: LogsState): URLSearchParams {
  const p = new URLSearchParams();
  if (s.search) p.set('search', s.search);
  if (s.level) p.set('level', s.level);
  rangeToParams(p, s.range);
  for (const [k, v] of s.attrs) p.append(`attr.${k}`, v);
  if (s.live) p.set('live', '1');
  if (s.limit !== PAGE_SIZE) p.set('limit', String(s.limit));
  return p;
}

/** `k=v, k2=v2` → pairs; entries without '=' are an error the form shows. */
export function parseAttrs(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const part of text.split(',')) {
    const t = part.trim();
    if (t === '') continue;
    const eq = t.indexOf('=');
    if (eq <= 0) throw new Error(`attribute filter '${t}' is not key=value`);
    out.push([t.slice(0, eq).trim(), t.slice(eq + 1).trim()]);
  }
  return out;
}

function attrsText(attrs: Array<[string, string]>): string {
  return attrs.map(([k, v]) => `${k}=${v}`).join(', ');
}

/** The API filter (query and tail share it). */
function filterParams(s: LogsState, withRange: boolean): Record<string, string> {
  const f: Record<string, string> = {};
  if (s.search) f.search = s.search;
  if (s.level) f.level = s.level;
  if (withRange) {
    f.from = s.range.from;
    if (s.range.to !== 'now') f.to = s.range.to;
  }
  for (const [k, v] of s.attrs) f[`attr.${k}`] = v;
  return f;
}

function valueText(v: AttrValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function attrList(title: string, obj: Record<string, unknown>): Node[] {
  const keys = Object.keys(obj).sort();
  if (keys.length === 0) return [];
  return [h('div', { class: 'muted' }, title), h('dl', { class: 'attrs' }, keys.map((k) => [h('dt', null, k), h('dd', null, valueText(obj[k] as AttrValue))]))];
}

function entryRow(e: LogEntry, fresh: boolean): HTMLTableRowElement {
  const ms = nsToMs(e.tsNs);
  const service = e.resource?.['service.name'];
  const n = Object.keys(e.attributes ?? {}).length;
  const ids: Record<string, string> = {};
  if (e.traceId) ids.traceId = e.traceId;
  if (e.spanId) ids.spanId = e.spanId;
  return h('tr', { class: fresh ? 'log-row fresh' : 'log-row', 'data-level': e.level },
    h('td', { class: 'time', title: `${e.tsNs} ns` }, formatTime(ms, { ms: true })),
    h('td', null, h('span', { class: `level level-${e.level}` }, e.level)),
    h('td', { class: 'msg' }, e.message),
    h('td', { class: 'service' }, service === undefined ? '' : String(service)),
    h('td', { class: 'attrs-cell' },
      h('details', null, h('summary', null, `${n} attribute${n === 1 ? '' : 's'}`),
        attrList('attributes', e.attributes ?? {}), attrList('ids', ids), attrList('resource', e.resource ?? {})),
    ),
    h('td', null, e.traceId ? h('a', { class: 'trace-link', href: `#/trace?id=${encodeURIComponent(e.traceId)}`, title: `trace ${e.traceId}` }, 'trace') : ''),
  );
}

function mount(el: HTMLElement, ctx: PageContext): () => void {
  const { api } = ctx;
  let state = stateFromParams(ctx.params);
  let alive = true;
  /** Bumped per new search, so answers of a superseded search are ignored. */
  let generation = 0;
  let cursor: string | undefined;
  let stopTail: (() => void) | undefined;
  let rowCount = 0;

  const searchIn = h('input', { type: 'search', name: 'search', class: 'grow', placeholder: 'Search messages (substring)', value: state.search, 'aria-label': 'Search' });
  const levelSel = h('select', { name: 'level', 'aria-label': 'Minimum level' }, h('option', { value: '' }, 'Any level'), LEVELS.map((l) => h('option', { value: l }, `≥ ${l}`)));
  levelSel.value = state.level;
  const attrIn = h('input', { type: 'text', name: 'attrs', class: 'grow', placeholder: 'Attributes: key=value, key2=value2', value: attrsText(state.attrs), 'aria-label': 'Attribute filters' });
  const picker = timeRangePicker(state.range, (r) => apply({ range: r }));
  const liveBox = h('input', { type: 'checkbox', name: 'live', checked: state.live });
  const formErr = h('div', { class: 'error', role: 'alert' });
  const status = h('span', { class: 'status logs-status' });
  const tailStatus = h('span', { class: 'status tail-status' });
  const tbody = h('tbody');
  const olderBtn = h('button', { type: 'button', class: 'older', onclick: () => void loadPage(false) }, 'Older');
  const olderErr = h('div', { class: 'error', role: 'alert' });

  const form = h('form', { class: 'toolbar', onsubmit: (ev: Event) => {
    ev.preventDefault();
    let attrs: Array<[string, string]>;
    try {
      attrs = parseAttrs(attrIn.value);
    } catch (err) {
      formErr.textContent = errorText(err);
      return;
    }
    apply({ search: searchIn.value.trim(), attrs });
  } },
    searchIn, levelSel, attrIn, picker.el,
    h('button', { type: 'submit', class: 'primary' }, 'Search'),
    h('label', { class: 'check', title: 'Stream new entries as they are written' }, liveBox, 'Live tail'),
  );
  levelSel.addEventListener('change', () => apply({ level: levelSel.value }));
  liveBox.addEventListener('change', () => {
    state = { ...state, live: liveBox.checked };
    ctx.setParams(stateToParams(state));
    syncTail();
  });

  function apply(change: Partial<LogsState>): void {
    formErr.textContent = '';
    state = { ...state, ...change };
    ctx.setParams(stateToParams(state));
    // The old filter's tail stops now; loadPage opens the new one once its answer is shown.
    stopTail?.();
    stopTail = undefined;
    void loadPage(true);
  }

  async function loadPage(first: boolean): Promise<void> {
    const gen = first ? ++generation : generation;
    if (first) cursor = undefined;
    olderBtn.disabled = true;
    olderErr.textContent = '';
    status.textContent = 'Searching…';
    try {
      const res = await api.get<LogQueryResult>('api/v1/logs/query', { ...filterParams(state, true), limit: state.limit, ...(cursor ? { cursor } : {}) });
      if (!alive || gen !== generation) return;
      if (first) {
        tbody.replaceChildren();
        rowCount = 0;
      }
      for (const e of res.entries) tbody.appendChild(entryRow(e, false));
      rowCount += res.entries.length;
      cursor = res.cursor;
      olderBtn.hidden = cursor === undefined;
      const skipped = res.skipped?.length ? ` · ${res.skipped.length} unreadable block(s) skipped` : '';
      status.textContent = rowCount === 0 ? 'No entries match.' : `${formatCount(rowCount)} entries shown${cursor ? ', more older ones' : ''}${skipped}`;
    } catch (err) {
      if (!alive || gen !== generation) return;
      status.textContent = '';
      (first ? formErr : olderErr).textContent = `Search failed: ${errorText(err)}`;
    } finally {
      if (alive && gen === generation) {
        olderBtn.disabled = false;
        // After the answer (or its error): entries written from here on come through the tail only.
        if (first) syncTail();
      }
    }
  }

  function syncTail(): void {
    stopTail?.();
    stopTail = undefined;
    tailStatus.textContent = '';
    if (!state.live) return;
    let skipped = 0;
    // No time bounds: a tail shows what arrives from now on, whatever range the table shows.
    stopTail = api.tail('api/v1/logs/tail', filterParams(state, false), {
      log: (e: LogEntry) => {
        if (!alive) return;
        tbody.insertBefore(entryRow(e, true), tbody.firstChild);
        rowCount++;
        while (tbody.rows.length > TAIL_CAP) tbody.lastElementChild?.remove();
        // The dropped rows' cursor no longer continues the list; paging resumes after a new search.
        if (tbody.rows.length < rowCount) {
          rowCount = tbody.rows.length;
          cursor = undefined;
          olderBtn.hidden = true;
        }
      },
      // The server's queue for this client overflowed: those entries are stored, just not streamed here.
      dropped: (d: { count: number }) => {
        if (!alive) return;
        skipped += d.count;
        tailStatus.textContent = `${formatCount(skipped)} entries skipped (tail too slow)`;
      },
    });
  }

  setChildren(el,
    h('section', { class: 'panel' }, h('h2', null, 'Logs'), form, formErr),
    h('section', { class: 'panel' },
      h('div', { class: 'toolbar' }, status, tailStatus),
      h('div', { class: 'table-wrap' }, h('table', { class: 'logs' },
        h('thead', null, h('tr', null, h('th', null, 'Time'), h('th', null, 'Level'), h('th', null, 'Message'), h('th', null, 'Service'), h('th', null, 'Attributes'), h('th', null, ''))),
        tbody)),
      h('div', { class: 'toolbar' }, olderBtn, olderErr),
    ),
  );
  olderBtn.hidden = true;
  void loadPage(true);
  return () => {
    alive = false;
    stopTail?.();
  };
}

export const logsPage: Page = { id: 'logs', title: 'Logs', mount };
