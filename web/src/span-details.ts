// The detail panel of one span: every stored OTel field — identity, kind, status and its message,
// service, times, attributes, events (with their times and attributes), links (each to its trace),
// resource and instrumentation scope. Values are text nodes (dom.ts), never markup.
import { h, type Child } from './dom.js';
import { buildHash } from './router.js';
import { formatDurationMs, formatTime, nsToMs } from './format.js';
import { attrText, durationMs, nsDiffMs, serviceOf, type Attributes, type SpanJson } from './spans.js';

function attrs(a: Attributes, dropped = 0): Child {
  const keys = Object.keys(a).sort();
  if (keys.length === 0 && dropped === 0) return h('p', { class: 'muted' }, 'none');
  return h('dl', { class: 'attrs' }, keys.map((k) => [h('dt', null, k), h('dd', null, attrText(a[k]))]), dropped > 0 ? [h('dt', null, '(dropped)'), h('dd', null, dropped)] : null);
}

function kv(rows: [string, Child][]): HTMLElement {
  return h('dl', { class: 'attrs' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

const time = (ns: string): string => formatTime(nsToMs(ns), { ms: true });

export function spanDetails(span: SpanJson, traceStartNs: string): HTMLElement {
  const status: Child = [h('span', { class: span.status.code === 'error' ? 'error' : span.status.code === 'ok' ? 'ok' : 'muted' }, span.status.code), span.status.message ? ` — ${span.status.message}` : null];
  return h('div', { class: 'span-details', 'data-span-id': span.spanId },
    h('h3', { class: 'mono' }, span.name),
    kv([
      ['service', serviceOf(span)],
      ['kind', span.kind],
      ['status', status],
      ['span id', span.spanId],
      ['parent', span.parentSpanId ?? '(root)'],
      ['start', time(span.startNs)],
      ['end', time(span.endNs)],
      ['duration', formatDurationMs(durationMs(span))],
      ['offset', `+${formatDurationMs(nsDiffMs(traceStartNs, span.startNs))} from trace start`],
      ...(span.traceState ? [['trace state', span.traceState] as [string, Child]] : []),
      ['flags', `0x${span.flags.toString(16)}`],
    ]),
    h('h4', null, 'Attributes'),
    attrs(span.attributes, span.droppedAttributesCount),
    h('h4', null, `Events (${span.events.length}${span.droppedEventsCount ? `, ${span.droppedEventsCount} dropped` : ''})`),
    span.events.length === 0
      ? h('p', { class: 'muted' }, 'none')
      : h('ul', { class: 'span-events' }, span.events.map((e) => h('li', null, h('strong', null, e.name), h('span', { class: 'muted' }, ` ${time(e.timeNs)} (+${formatDurationMs(nsDiffMs(span.startNs, e.timeNs))})`), attrs(e.attributes, e.droppedAttributesCount)))),
    h('h4', null, `Links (${span.links.length}${span.droppedLinksCount ? `, ${span.droppedLinksCount} dropped` : ''})`),
    span.links.length === 0
      ? h('p', { class: 'muted' }, 'none')
      : h('ul', { class: 'span-links' }, span.links.map((l) => h('li', null, h('a', { href: buildHash('trace', { id: l.traceId, span: l.spanId }), class: 'mono' }, `${l.traceId} / ${l.spanId}`), attrs(l.attributes, l.droppedAttributesCount)))),
    h('h4', null, 'Resource'),
    attrs(span.resource.attributes, span.resource.droppedAttributesCount),
    h('h4', null, 'Scope'),
    kv([
      ['name', span.scope.name || '(none)'],
      ...(span.scope.version ? [['version', span.scope.version] as [string, Child]] : []),
      ...(span.scope.schemaUrl ? [['schema', span.scope.schemaUrl] as [string, Child]] : []),
    ]),
    Object.keys(span.scope.attributes).length > 0 ? attrs(span.scope.attributes, span.scope.droppedAttributesCount) : null,
  );
}
