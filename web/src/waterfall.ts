// A trace's waterfall: one row per span, nested under its parent (depth-first, children in start
// order as the server sends them), with a bar placed by start and end relative to the trace's start,
// colored by service; error spans are marked. Clicking a row selects the span.
import { h } from './dom.js';
import { formatDurationMs } from './format.js';
import { durationMs, nsDiffMs, serviceColor, serviceOf, type SpanJson, type SpanNodeJson, type TraceJson } from './spans.js';

export interface WaterfallRow {
  span: SpanJson;
  depth: number;
}

/** The span tree depth-first (an explicit stack: a pathological trace cannot overflow the call stack). */
export function flattenTree(roots: SpanNodeJson[]): WaterfallRow[] {
  const out: WaterfallRow[] = [];
  const stack: { node: SpanNodeJson; depth: number }[] = roots.map((node) => ({ node, depth: 0 })).reverse();
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    out.push({ span: node.span, depth });
    for (let i = node.children.length - 1; i >= 0; i--) stack.push({ node: node.children[i], depth: depth + 1 });
  }
  return out;
}

/** The trace's first start and last end (ns strings), over every span (orphans included). */
export function traceBounds(spans: SpanJson[]): { startNs: string; endNs: string } {
  let start = BigInt(spans[0].startNs);
  let end = BigInt(spans[0].endNs);
  for (const s of spans) {
    const a = BigInt(s.startNs);
    const b = BigInt(s.endNs);
    if (a < start) start = a;
    if (b > end) end = b;
  }
  return { startNs: start.toString(), endNs: end.toString() };
}

export interface Waterfall {
  el: HTMLElement;
  /** Marks a span's row as selected (and scrolls it into view when asked). */
  select(spanId: string | undefined, scroll?: boolean): void;
}

const pct = (v: number): string => `${Math.min(100, Math.max(0, v)).toFixed(3)}%`;

/** The duration next to its bar: after it, else before it, else (a bar spanning the row) inside it. */
function durationLabel(left: number, width: number, text: string): HTMLElement {
  if (left + width <= 80) return h('span', { class: 'wf-dur', style: `left:calc(${pct(left + width)} + 4px)` }, text);
  if (left >= 15) return h('span', { class: 'wf-dur', style: `right:calc(${pct(100 - left)} + 4px)` }, text);
  return h('span', { class: 'wf-dur wf-dur-in', style: `left:calc(${pct(left)} + 4px)` }, text);
}

export function waterfall(trace: TraceJson, onSelect: (span: SpanJson) => void): Waterfall {
  const { startNs, endNs } = traceBounds(trace.spans);
  const total = Math.max(nsDiffMs(startNs, endNs), 1e-6);
  const ruler = h('div', { class: 'wf-row wf-ruler' }, h('div', { class: 'wf-label muted' }, 'Span'), h('div', { class: 'wf-track' }, [0, 0.25, 0.5, 0.75, 1].map((f) => h('span', { class: 'wf-tick', style: `left:${pct(f * 100)}` }, formatDurationMs(total * f)))));
  const rows = new Map<string, HTMLElement>();
  const body = flattenTree(trace.roots).map(({ span, depth }) => {
    const service = serviceOf(span);
    const color = serviceColor(service);
    const left = (nsDiffMs(startNs, span.startNs) / total) * 100;
    const width = (durationMs(span) / total) * 100;
    const error = span.status.code === 'error';
    const row = h('div', { class: `wf-row${error ? ' wf-error' : ''}`, 'data-span-id': span.spanId, role: 'button', tabindex: 0, title: `${service}: ${span.name}`, onclick: () => onSelect(span), onkeydown: (e: KeyboardEvent) => e.key === 'Enter' && onSelect(span) },
      h('div', { class: 'wf-label', style: `padding-left:${depth * 14 + 4}px` },
        h('span', { class: 'svc-dot', style: `background:${color}` }),
        error ? h('span', { class: 'error', title: span.status.message ?? 'error' }, '⚠ ') : null,
        h('span', { class: 'wf-name' }, span.name),
        h('span', { class: 'wf-svc muted' }, service)),
      h('div', { class: 'wf-track' },
        h('div', { class: 'wf-bar', style: `left:${pct(left)};width:max(2px, ${pct(width)});background:${color}` }),
        durationLabel(left, width, formatDurationMs(durationMs(span)))));
    rows.set(span.spanId, row);
    return row;
  });
  let selected: HTMLElement | undefined;
  return {
    el: h('div', { class: 'waterfall' }, ruler, body),
    select(spanId, scroll = false) {
      selected?.classList.remove('selected');
      selected = spanId === undefined ? undefined : rows.get(spanId);
      selected?.classList.add('selected');
      if (scroll) selected?.scrollIntoView({ block: 'nearest' });
    },
  };
}
