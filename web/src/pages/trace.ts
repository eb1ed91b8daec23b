// One trace: its waterfall and the details of the selected span (kept in the URL as `span`, so a link
// can point at a span), plus the jump to the trace's logs; an unknown id says "trace not found".
// URL: #/trace?id=<traceId>[&span=<spanId>]
import type { ApiError } from '../api.js';
import type { Page, PageContext } from '../page.js';
import { h, setChildren, errorText } from '../dom.js';
import { buildHash } from '../router.js';
import { formatDurationMs, formatTime, nsToMs } from '../format.js';
import { nsDiffMs, serviceOf, type SpanJson, type TraceJson, type TraceQueryJson } from '../spans.js';
import { traceBounds, waterfall } from '../waterfall.js';
import { spanDetails } from '../span-details.js';
import './traces-metrics.css';

function mount(el: HTMLElement, ctx: PageContext): () => void {
  const id = (ctx.params.get('id') ?? '').trim().toLowerCase();
  let disposed = false;
  const back = h('a', { href: buildHash('traces') }, '← Traces');

  if (!/^[0-9a-f]{32}$/.test(id)) {
    setChildren(el, h('section', { class: 'panel' }, back, h('p', { class: 'error' }, id ? `'${id}' is not a trace id (32 hex characters).` : 'No trace id given.')));
    return () => undefined;
  }
  setChildren(el, h('section', { class: 'panel' }, back, h('p', { class: 'status' }, 'Loading trace…')));

  function show(trace: TraceJson): void {
    const { startNs, endNs } = traceBounds(trace.spans);
    const root = trace.roots[0]?.span ?? trace.spans[0];
    const byId = new Map(trace.spans.map((s) => [s.spanId, s]));
    const errors = trace.spans.filter((s) => s.status.code === 'error').length;
    const services = new Set(trace.spans.map(serviceOf));
    const details = h('aside', { class: 'panel span-panel' });

    function select(span: SpanJson | undefined, scroll = false): void {
      wf.select(span?.spanId, scroll);
      setChildren(details, span ? spanDetails(span, startNs) : h('p', { class: 'muted' }, 'Click a span to see its attributes, events, links and resource.'));
      const p = new URLSearchParams({ id });
      if (span) p.set('span', span.spanId);
      ctx.setParams(p);
    }
    const wf = waterfall(trace, (s) => select(s));

    setChildren(
      el,
      h('section', { class: 'panel trace-head' },
        h('div', { class: 'toolbar' }, back, h('span', { class: 'grow' }), h('a', { href: buildHash('logs', { traceId: id }), class: 'trace-logs-link' }, 'Logs of this trace')),
        h('h2', null, root.name, h('span', { class: 'muted' }, ` · ${serviceOf(root)}`)),
        h('p', { class: 'muted' },
          h('span', { class: 'mono' }, id), ` · ${formatTime(nsToMs(startNs), { ms: true })} · ${formatDurationMs(nsDiffMs(startNs, endNs))} · ${trace.spans.length} spans · ${services.size} services`,
          errors > 0 ? h('span', { class: 'error' }, ` · ${errors} errors`) : null),
      ),
      h('div', { class: 'trace-layout' }, h('section', { class: 'panel trace-main' }, wf.el), details),
    );
    select(byId.get(ctx.params.get('span') ?? ''), true);
  }

  function notFound(): void {
    setChildren(el, h('section', { class: 'panel' }, back, h('p', { class: 'error' }, `Trace not found: no spans stored for ${id}.`)));
  }

  // A log's trace link often names a trace that was never sampled or stored. The search answers that
  // with an empty list, where the trace route's 404 would also land in the browser console as an error.
  async function load(): Promise<void> {
    const probe = await ctx.api.get<TraceQueryJson>('api/v1/traces/query', { traceId: id, limit: 1 });
    if (disposed) return;
    if (probe.spans.length === 0) return notFound();
    const trace = await ctx.api.get<TraceJson>(`api/v1/traces/trace/${id}`);
    if (!disposed) show(trace);
  }
  load().catch((err: unknown) => {
    if (disposed) return;
    // Retention may drop the trace between the two requests.
    if ((err as Partial<ApiError>).status === 404) return notFound();
    setChildren(el, h('section', { class: 'panel' }, back, h('p', { class: 'error' }, errorText(err))));
  });

  return () => {
    disposed = true;
  };
}

export const tracePage: Page = { id: 'trace', title: 'Trace', mount };
